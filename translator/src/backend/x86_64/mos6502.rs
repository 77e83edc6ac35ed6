//! 6502 IR to x86-64: the runtime stubs (entry trampoline and the common
//! exit) and one function per translated block. The same contract as the
//! AArch64 backend ([`crate::backend::aarch64::mos6502`]): same context,
//! same exits, same accounting; only the register plan differs.
//!
//! Register plan (System V ABI), fixed for all generated 6502 code so
//! blocks can jump to each other directly:
//!
//! | host | holds |
//! |---|---|
//! | rbx | the [`JitContext`](crate::engine::context::JitContext) |
//! | rbp | guest memory backing store |
//! | r12d, r13d, r14d, r15d | A, X, Y, S (Z80: A, F, HL, DE) |
//! | r11 | cycle counter (caller-saved: spilled around helper calls) |
//! | r10d | C (Z80: SP; likewise spilled) |
//! | r9d | unused (Z80: B; likewise spilled) |
//! | rdx, rsi, rdi, r8 | IR temporaries |
//! | rax, rcx | scratch inside one IR op (rcx: shift counts) |
//!
//! x86-64 has half the registers of AArch64, so N, Z, V, I and D (and the
//! Z80's C, the index registers and its hidden state) stay in
//! the context (x86 ALU instructions take memory operands, stores are
//! cheap, and branches on them are predicted), as do the deadline, the
//! page table and the instruction count (added to in place where a block
//! leaves). Four temporaries are enough for every instruction the
//! lifter emits; a block that needed more would stay interpreted.
//! A block starts with its budget check, then its body; static cycles and
//! the instruction count are added where the block leaves, dynamic cycles
//! (page crossings) when they occur. Each linkable exit is a `jmp rel32`
//! whose displacement is 4-aligned: 0 (fall through to the dispatcher
//! fallback) until the linker patches it to reach the target block.

use super::asm::{Alu, Assembler, Cond, Label, Mem, Shift, Src};
use super::reg::Reg;
use crate::backend::block::{self, BlockEmitter};
use crate::backend::frame::{Frame, Stub};
use crate::backend::shape::MemoryShape;
use crate::backend::temps::Temps;
use crate::backend::{CodegenConfig, CodegenError, Emitted, Guest, Runtime};
use crate::engine::context::{ExitReason, SPILL_SLOTS, offsets};
use crate::ir::{
    Addr, BinOp, Block, Cond as IrCond, Dst, Helper, Op, Operand, Reg as GuestReg, Z80Reg,
};
use retrojit_core::bus::{MappedMemory, PageEntry};

/// The instruction set this backend emits.
pub const ISA: crate::jitmem::Isa = crate::jitmem::Isa::X86_64;

const CTX: Reg = Reg::RBX;
const MEMORY: Reg = Reg::RBP;
const CYCLES: Reg = Reg::R11;
/// Result scratch.
const S0: Reg = Reg::RAX;
/// Operand scratch (and shift count).
const S1: Reg = Reg::RCX;

/// Temporaries' host registers, in allocation order.
const TEMP_REGS: [Reg; 4] = [Reg::RDX, Reg::RSI, Reg::RDI, Reg::R8];

/// 6502 locations held in host registers while generated code runs.
const PINNED_6502: [(GuestReg, Reg); 5] = [
    (GuestReg::A, Reg::R12),
    (GuestReg::X, Reg::R13),
    (GuestReg::Y, Reg::R14),
    (GuestReg::S, Reg::R15),
    (GuestReg::C, Reg::R10),
];

/// Z80 locations held in the same host registers: the ones its hot code
/// touches most (measured over zexdoc's blocks: SP, HL, A, F, DE, then B).
const PINNED_Z80: [(GuestReg, Reg); 6] = [
    (GuestReg::Z80(Z80Reg::A), Reg::R12),
    (GuestReg::Z80(Z80Reg::F), Reg::R13),
    (GuestReg::Z80(Z80Reg::Hl), Reg::R14),
    (GuestReg::Z80(Z80Reg::De), Reg::R15),
    (GuestReg::Z80(Z80Reg::Sp), Reg::R10),
    (GuestReg::Z80(Z80Reg::B), Reg::R9),
];

/// The pinned locations of `guest`.
fn pinned(guest: Guest) -> &'static [(GuestReg, Reg)] {
    match guest {
        Guest::Mos6502 => &PINNED_6502,
        Guest::Z80 => &PINNED_Z80,
    }
}

/// The pins in caller-saved registers (the 6502's C; the Z80's SP and B).
const PINNED_CALLER_SAVED: [Reg; 2] = [Reg::R10, Reg::R9];

/// Callee-saved registers the trampoline preserves, in push order.
const SAVED: [Reg; 6] = [Reg::RBX, Reg::RBP, Reg::R12, Reg::R13, Reg::R14, Reg::R15];

// The page-table bits generated code tests with `test byte`.
const READ_IO_MASK: u8 = PageEntry::READ_IO as u8;
const WRITE_IO_MASK: u8 = PageEntry::WRITE_IO as u8;
const _: () = assert!(PageEntry::READ_IO < 0x100 && PageEntry::WRITE_IO < 0x100);

/// The host register of a pinned location. A block only names one
/// guest's locations, so both plans can be searched.
fn guest_reg(r: GuestReg) -> Option<Reg> {
    PINNED_6502
        .iter()
        .chain(&PINNED_Z80)
        .find(|(g, _)| *g == r)
        .map(|&(_, h)| h)
}

fn ctx(offset: u32) -> Mem {
    Mem::base(CTX, offset as i32)
}

fn ctx_reg(r: GuestReg) -> Mem {
    ctx(offsets::reg(r))
}

/// Emits the entry trampoline (`extern "sysv64" fn(ctx, entry)`) at offset
/// 0 and the common exit after it, for `guest`'s register plan.
pub fn emit_runtime(guest: Guest) -> Result<Runtime, CodegenError> {
    let mut a = Assembler::new();
    // Entry (rdi = ctx, rsi = entry): the six pushes plus the return
    // address leave rsp 8 off 16-byte alignment; one more slot fixes it, so
    // helper calls from blocks see an aligned stack.
    for r in SAVED {
        a.push(r);
    }
    a.alu64(Alu::Sub, Reg::RSP, Src::Imm(8));
    a.mov64(CTX, Reg::RDI);
    a.load64(MEMORY, ctx(offsets::MEMORY));
    for &(location, host) in pinned(guest) {
        a.load32(host, ctx_reg(location));
    }
    a.load64(CYCLES, ctx(offsets::CYCLES));
    a.jmp_reg(Reg::RSI);

    // Common exit: eax = next guest PC, ecx = reason.
    a.align_with_nops(16, 0);
    let epilogue = a.offset() as u32;
    a.store32(ctx(offsets::EXIT_PC), Reg::RAX);
    a.store32(ctx(offsets::EXIT_REASON), Reg::RCX);
    for &(location, host) in pinned(guest) {
        a.store32(ctx_reg(location), host);
    }
    a.store64(ctx(offsets::CYCLES), CYCLES);
    a.alu64(Alu::Add, Reg::RSP, Src::Imm(8));
    for r in SAVED.iter().rev() {
        a.pop(*r);
    }
    a.ret();
    let code = a.finish().map_err(CodegenError::Encode)?;
    Ok(Runtime { code, epilogue })
}

struct Codegen<'a> {
    a: Assembler,
    memory: &'a MappedMemory,
    shape: MemoryShape,
    config: CodegenConfig,
    block: &'a Block,
    temps: Temps<Reg>,
    frame: Frame<Label, Src>,
}

/// Compiles `block`. Page accesses are resolved against `memory`'s page
/// table now, so a block is only valid for the mapping it was compiled for.
pub fn emit_block(
    block: &Block,
    memory: &MappedMemory,
    shape: MemoryShape,
    config: CodegenConfig,
) -> Result<Emitted, CodegenError> {
    let mut cg = Codegen {
        a: Assembler::new(),
        memory,
        shape,
        config,
        block,
        temps: Temps::new(block, &TEMP_REGS),
        frame: Frame::new(block.start),
    };
    block::emit(&mut cg, block)?;
    let code = cg.a.finish().map_err(CodegenError::Encode)?;
    Ok(Emitted {
        code,
        exits: cg.frame.exits,
        epilogue_branches: cg.frame.epilogue_branches,
    })
}

impl Codegen<'_> {
    /// `operand` as an instruction source: its register, immediate or
    /// context slot. Emits nothing.
    fn src(&self, operand: Operand) -> Src {
        match operand {
            Operand::Reg(r) => match guest_reg(r) {
                Some(host) => Src::Reg(host),
                None => Src::Mem(ctx_reg(r)),
            },
            Operand::Tmp(t) => Src::Reg(self.temps.get(t)),
            Operand::Imm(v) => Src::Imm(v),
        }
    }

    /// `src`'s register, or `scratch` loaded with it.
    fn in_register(&mut self, src: Src, scratch: Reg) -> Reg {
        match src {
            Src::Reg(r) => r,
            other => {
                self.a.mov_src32(scratch, other);
                scratch
            }
        }
    }

    /// The register to compute `dst` into; for context-held flags,
    /// [`Self::commit`] stores it afterwards.
    fn target(&mut self, dst: Dst) -> Result<Reg, CodegenError> {
        Ok(match dst {
            Dst::Reg(r) => guest_reg(r).unwrap_or(S0),
            Dst::Tmp(t) => self
                .temps
                .define(t)
                .ok_or(CodegenError::OutOfRegisters(self.block.start))?,
        })
    }

    fn commit(&mut self, dst: Dst, reg: Reg) {
        if let Dst::Reg(r) = dst
            && guest_reg(r).is_none()
        {
            self.a.store32(ctx_reg(r), reg);
        }
    }

    /// Frees op `i`'s last uses, then moves `value` (a scratch register)
    /// into `dst`.
    fn finish_into(&mut self, i: usize, dst: Dst, value: Reg) -> Result<(), CodegenError> {
        self.temps.release(i);
        let rd = self.target(dst)?;
        if rd != value {
            self.a.mov32(rd, value);
        }
        self.commit(dst, rd);
        Ok(())
    }

    fn side_exit(&mut self) -> Label {
        let a = &mut self.a;
        self.frame.side_exit(|| a.new_label())
    }

    /// Op `i` of the body.
    fn lower(&mut self, i: usize, op: &Op) -> Result<(), CodegenError> {
        match *op {
            Op::Insn { pc, index, cycles } => {
                self.frame.start_insn(pc, index, cycles);
            }
            Op::Mov { dst, src } => {
                let value = self.src(src);
                self.temps.release(i);
                match (dst, value) {
                    (Dst::Reg(r), Src::Imm(v)) if guest_reg(r).is_none() => {
                        self.a.store32_imm(ctx_reg(r), v);
                    }
                    (Dst::Reg(r), Src::Reg(v)) if guest_reg(r).is_none() => {
                        self.a.store32(ctx_reg(r), v);
                    }
                    _ => {
                        let rd = self.target(dst)?;
                        self.a.mov_src32(rd, value);
                        self.commit(dst, rd);
                    }
                }
            }
            Op::Bin { op, dst, a, b } => self.bin(i, op, dst, a, b)?,
            Op::Bit { dst, src, bit } => {
                let value = self.src(src);
                self.temps.release(i);
                let rd = self.target(dst)?;
                self.a.mov_src32(rd, value);
                if bit > 0 {
                    self.a.shift32_imm(Shift::Shr, rd, bit);
                }
                self.a.alu32(Alu::And, rd, Src::Imm(1));
                self.commit(dst, rd);
            }
            Op::Overflow { dst, a, b, r } => {
                // V = bit 7 of (a ^ r) & !(a ^ b)
                let (sa, sb, sr) = (self.src(a), self.src(b), self.src(r));
                self.a.mov_src32(S0, sa);
                self.a.alu32(Alu::Xor, S0, sb);
                self.a.not32(S0);
                self.a.mov_src32(S1, sa);
                self.a.alu32(Alu::Xor, S1, sr);
                self.a.alu32(Alu::And, S0, Src::Reg(S1));
                self.a.shift32_imm(Shift::Shr, S0, 7);
                self.a.alu32(Alu::And, S0, Src::Imm(1));
                self.finish_into(i, dst, S0)?;
            }
            Op::Lookup { dst, table, index } => match self.src(index) {
                Src::Imm(v) => {
                    self.temps.release(i);
                    let rd = self.target(dst)?;
                    self.a.mov_imm32(rd, table.get(v as u8).into());
                    self.commit(dst, rd);
                }
                other => {
                    let ri = self.in_register(other, S1);
                    self.temps.release(i);
                    let rd = self.target(dst)?;
                    let entry = Mem::index(CTX, ri, 1, offsets::table(table) as i32);
                    self.a.load8(rd, entry);
                    self.commit(dst, rd);
                }
            },
            Op::PackP { dst } => {
                self.pack_p();
                self.finish_into(i, dst, S0)?;
            }
            Op::UnpackP { src } => {
                let value = self.src(src);
                self.a.mov_src32(S0, value);
                self.temps.release(i);
                self.unpack_p();
            }
            Op::Load { dst, addr } => {
                let mem = self.host_address(addr, false);
                self.temps.release(i);
                let rd = self.target(dst)?;
                self.a.load8(rd, mem);
                self.commit(dst, rd);
            }
            Op::ProbeRead { addr } | Op::ProbeWrite { addr } => {
                let write = matches!(op, Op::ProbeWrite { .. });
                let mask = if write { WRITE_IO_MASK } else { READ_IO_MASK };
                if !self.shape.access(write).plain {
                    let value = self.src(addr);
                    self.page_check(value, mask);
                }
                self.temps.release(i);
            }
            Op::IrqCheck => {
                self.a.test8_mem(ctx(offsets::IRQ_HELD), 1);
                let exit = self.side_exit();
                self.a.jcc(Cond::Ne, exit);
            }
            Op::ExitIf { cond, target } => {
                let label = self.new_label();
                self.branch_if(cond, label);
                let cycles_after = self.block.cycles_after(self.frame.insn.index);
                self.frame.exit_after_insn(label, cycles_after, target);
            }
            Op::Store { addr, src } => {
                let mem = self.host_address(addr, true);
                match self.src(src) {
                    Src::Imm(v) => self.a.store8_imm(mem, v as u8),
                    Src::Reg(r) => self.a.store8(mem, r),
                    Src::Mem(m) => {
                        let scratch = if mem.uses(S0) { S1 } else { S0 };
                        self.a.load32(scratch, m);
                        self.a.store8(mem, scratch);
                    }
                }
                self.temps.release(i);
            }
            Op::CodeCheck { addr, .. } | Op::CodeProbe { addr } => {
                let value = self.src(addr);
                let label = match op {
                    Op::CodeProbe { .. } => self.side_exit(),
                    _ => self.a.new_label(),
                };
                self.a.load64(S0, ctx(offsets::CODE_MAP));
                // One byte of the map per guest address (addresses are
                // 16-bit: inside the 64 KiB map).
                let entry = match value {
                    Src::Imm(v) => Mem::base(S0, v as i32),
                    other => Mem::index(S0, self.in_register(other, S1), 1, 0),
                };
                self.a.cmp8_mem(entry, 0);
                self.a.jcc(Cond::Ne, label);
                if let Op::CodeCheck { resume, .. } = *op {
                    let cycles_after = self.block.cycles_after(self.frame.insn.index);
                    self.frame.stubs.push(Stub::CodeWrite {
                        label,
                        insn: self.frame.insn,
                        cycles_after,
                        resume,
                        addr: value,
                    });
                }
                self.temps.release(i);
            }
            Op::Penalty { src } => {
                match self.src(src) {
                    Src::Imm(v) => self.a.alu64(Alu::Add, CYCLES, Src::Imm(v)),
                    // 32-bit values are zero-extended in their registers.
                    Src::Reg(r) => self.a.alu64(Alu::Add, CYCLES, Src::Reg(r)),
                    Src::Mem(m) => {
                        self.a.load32(S0, m);
                        self.a.alu64(Alu::Add, CYCLES, Src::Reg(S0));
                    }
                }
                self.temps.release(i);
            }
            Op::Helper { helper, dst, args } => self.helper(i, helper, dst, args)?,
            Op::PortIn { dst, port, at } => {
                let value = Operand::Imm(0);
                self.port(i, offsets::PORT_IN, [port, value], at, Some(dst))?;
            }
            Op::PortOut { port, src, at } => {
                self.port(i, offsets::PORT_OUT, [port, src], at, None)?;
            }
        }
        Ok(())
    }

    fn bin(
        &mut self,
        i: usize,
        op: BinOp,
        dst: Dst,
        a: Operand,
        b: Operand,
    ) -> Result<(), CodegenError> {
        if let (Operand::Imm(x), Operand::Imm(y)) = (a, b) {
            self.temps.release(i);
            let rd = self.target(dst)?;
            self.a.mov_imm32(rd, op.apply(x, y));
            self.commit(dst, rd);
            return Ok(());
        }
        // A context-held location updated in place (the Z80's R counter,
        // once per run of instructions): one read-modify-write.
        if let (Dst::Reg(r), Operand::Reg(ra), Operand::Imm(k)) = (dst, a, b)
            && ra == r
            && guest_reg(r).is_none()
            && matches!(op, BinOp::Add | BinOp::Sub)
        {
            let alu = if op == BinOp::Add { Alu::Add } else { Alu::Sub };
            self.temps.release(i);
            self.a.alu32_mem_imm(alu, ctx_reg(r), k as i32);
            return Ok(());
        }
        let (sa, sb) = (self.src(a), self.src(b));
        let shift = match op {
            BinOp::Shl => Some(Shift::Shl),
            BinOp::Shr => Some(Shift::Shr),
            _ => None,
        };
        if let Some(kind) = shift {
            // The count goes to cl first: the result may reuse its register.
            if !matches!(sb, Src::Imm(_)) {
                self.a.mov_src32(S1, sb);
            }
            self.temps.release(i);
            let rd = self.target(dst)?;
            if matches!(sa, Src::Reg(r) if r == rd) || !matches!(sb, Src::Reg(r) if r == rd) {
                self.a.mov_src32(rd, sa);
                match sb {
                    Src::Imm(n) => self.a.shift32_imm(kind, rd, (n & 31) as u8),
                    _ => self.a.shift32_cl(kind, rd),
                }
            } else {
                // rd held the count (now in cl) and not the value.
                self.a.mov_src32(S0, sa);
                self.a.shift32_cl(kind, S0);
                self.a.mov32(rd, S0);
            }
            self.commit(dst, rd);
            return Ok(());
        }
        let alu = match op {
            BinOp::Add => Alu::Add,
            BinOp::Sub => Alu::Sub,
            BinOp::And => Alu::And,
            BinOp::Or => Alu::Or,
            BinOp::Xor => Alu::Xor,
            BinOp::Shl | BinOp::Shr => unreachable!("handled above"),
        };
        self.temps.release(i);
        let rd = self.target(dst)?;
        let commutative = alu != Alu::Sub;
        match (sa, sb) {
            // Masks to a byte or a halfword: one zero-extending move.
            (Src::Reg(ra), Src::Imm(0xFF)) if alu == Alu::And => self.a.movzx8(rd, ra),
            (Src::Reg(ra), Src::Imm(0xFFFF)) if alu == Alu::And => self.a.movzx16(rd, ra),
            // rd = a; rd op= b, unless b lives in rd.
            (_, sb) if sb != Src::Reg(rd) => {
                self.a.mov_src32(rd, sa);
                self.a.alu32(alu, rd, sb);
            }
            (sa, _) if commutative => self.a.alu32(alu, rd, sa),
            _ => {
                self.a.mov_src32(S0, sa);
                self.a.alu32(alu, S0, sb);
                self.a.mov32(rd, S0);
            }
        }
        self.commit(dst, rd);
        Ok(())
    }

    /// Leaves through the side exit if the page of the 16-bit address
    /// `addr` has a bit of `mask` set in the page table. Leaves the page
    /// table's address in rax and, for a dynamic address, the page number
    /// in rcx.
    fn page_check(&mut self, addr: Src, mask: u8) {
        self.a.load64(S0, ctx(offsets::PAGES));
        match addr {
            Src::Imm(v) => self
                .a
                .test8_mem(Mem::base(S0, ((v >> 8) & 0xFF) as i32 * 4), mask),
            other => {
                self.a.mov_src32(S1, other);
                self.a.shift32_imm(Shift::Shr, S1, 8);
                self.a.test8_mem(Mem::index(S0, S1, 4, 0), mask);
            }
        }
        let exit = self.side_exit();
        self.a.jcc(Cond::Ne, exit);
    }

    /// The host location of `addr` (rax and rcx may be used), after
    /// checking a dynamic address's page: reads must hit memory-backed
    /// pages, writes writable ones; anything else leaves the block.
    fn host_address(&mut self, addr: Addr, write: bool) -> Mem {
        match addr {
            Addr::Page { page, offset } => {
                let entry = self.memory.pages()[usize::from(page)];
                let base = if write {
                    entry.write_offset()
                } else {
                    entry.read_offset()
                }
                .expect("the lifter only emits page accesses to memory-backed pages")
                    as u32;
                match self.src(offset) {
                    Src::Imm(o) => Mem::base(MEMORY, (base + (o & 0xFF)) as i32),
                    other => {
                        let ro = self.in_register(other, S1);
                        Mem::index(MEMORY, ro, 1, base as i32)
                    }
                }
            }
            Addr::Dynamic(a) => {
                let mask = if write { WRITE_IO_MASK } else { READ_IO_MASK };
                let value = self.src(a);
                let shape = self.shape.access(write);
                if shape.flat {
                    // The guest address is the host offset (addresses are
                    // 16-bit values, zero-extended in their registers).
                    return match value {
                        Src::Imm(v) => Mem::base(MEMORY, (v & 0xFFFF) as i32),
                        other => {
                            let ra = self.in_register(other, S1);
                            Mem::index(MEMORY, ra, 1, 0)
                        }
                    };
                }
                if shape.plain || (write && self.frame.write_checked(a)) {
                    self.a.load64(S0, ctx(offsets::PAGES));
                    if !matches!(value, Src::Imm(_)) {
                        self.a.mov_src32(S1, value);
                        self.a.shift32_imm(Shift::Shr, S1, 8);
                    }
                } else {
                    self.page_check(value, mask);
                }
                // The entry's page base with the address's low byte (the
                // flag bits are overwritten).
                // rax holds the page table, rcx a dynamic page number.
                match value {
                    Src::Imm(v) => {
                        self.a
                            .load32(S0, Mem::base(S0, ((v >> 8) & 0xFF) as i32 * 4));
                        self.a.mov8_imm(S0, v as u8);
                    }
                    other => {
                        self.a.load32(S0, Mem::index(S0, S1, 4, 0));
                        let ra = self.in_register(other, S1);
                        self.a.mov8(S0, ra);
                    }
                }
                Mem::index(MEMORY, S0, 1, 0)
            }
        }
    }

    /// P as PHP pushes it, into eax (uses ecx).
    fn pack_p(&mut self) {
        let a = &mut self.a;
        let c = guest_reg(GuestReg::C).expect("pinned");
        a.load32(S0, ctx_reg(GuestReg::N));
        a.alu32(Alu::And, S0, Src::Imm(0x80));
        a.alu32(Alu::Or, S0, Src::Reg(c));
        // The fields are disjoint bits, so adding them is or-ing them.
        a.load32(S1, ctx_reg(GuestReg::V));
        a.shift32_imm(Shift::Shl, S1, 6);
        a.lea64(S0, Mem::index(S0, S1, 1, 0x30));
        // D << 3 | I << 2 as (D * 2 + I) * 4.
        a.load32(S1, ctx_reg(GuestReg::D));
        a.alu32(Alu::Add, S1, Src::Reg(S1));
        a.alu32(Alu::Add, S1, Src::Mem(ctx_reg(GuestReg::I)));
        a.lea64(S0, Mem::index(S0, S1, 4, 0));
        // Z's byte is zero when the flag is set: `cmp byte, 1` borrows
        // exactly then, and `sbb` turns the borrow into all ones.
        a.cmp8_mem(ctx_reg(GuestReg::Z), 1);
        a.alu32(Alu::Sbb, S1, Src::Reg(S1));
        a.alu32(Alu::And, S1, Src::Imm(2));
        a.alu32(Alu::Or, S0, Src::Reg(S1));
    }

    /// Sets the flag locations from the status byte in eax (uses ecx).
    fn unpack_p(&mut self) {
        let a = &mut self.a;
        // N holds the byte (bit 7 is the flag); Z is zero exactly when bit 1
        // is set.
        a.store32(ctx_reg(GuestReg::N), S0);
        a.mov32(S1, S0);
        a.not32(S1);
        a.alu32(Alu::And, S1, Src::Imm(2));
        a.store32(ctx_reg(GuestReg::Z), S1);
        let c = guest_reg(GuestReg::C).expect("pinned");
        a.mov32(c, S0);
        a.alu32(Alu::And, c, Src::Imm(1));
        for (flag, bit) in [(GuestReg::V, 6), (GuestReg::I, 2), (GuestReg::D, 3)] {
            a.mov32(S1, S0);
            a.shift32_imm(Shift::Shr, S1, bit);
            a.alu32(Alu::And, S1, Src::Imm(1));
            a.store32(ctx_reg(flag), S1);
        }
    }

    fn helper(
        &mut self,
        i: usize,
        helper: Helper,
        dst: Dst,
        args: [Operand; 3],
    ) -> Result<(), CodegenError> {
        let sources = args.map(|arg| self.src(arg));
        self.call_out(i, offsets::helper(helper.index()), sources, false)?;
        let rd = self.target(dst)?;
        self.a.mov32(rd, Reg::RAX);
        self.commit(dst, rd);
        Ok(())
    }

    /// A port cycle `at` T-states into the current instruction, through
    /// the context's port function at `func`: `ctx.cycles` is set to the
    /// cycle's start, the bus's wait states are added to the count, and
    /// a read's byte goes to `dst`.
    fn port(
        &mut self,
        i: usize,
        func: u32,
        [port, value]: [Operand; 2],
        at: u8,
        dst: Option<Dst>,
    ) -> Result<(), CodegenError> {
        let start = i32::from(self.frame.insn.cycles) + i32::from(at);
        self.a.lea64(S0, Mem::base(CYCLES, start));
        self.a.store64(ctx(offsets::CYCLES), S0);
        let sources = [self.src(port), self.src(value), Src::Imm(0)];
        self.call_out(i, func, sources, true)?;
        self.a.mov32(S1, Reg::RAX);
        self.a.shift32_imm(Shift::Shr, S1, 8);
        self.a.alu64(Alu::Add, CYCLES, Src::Reg(S1));
        if let Some(dst) = dst {
            let rd = self.target(dst)?;
            self.a.movzx8(rd, Reg::RAX);
            self.commit(dst, rd);
        }
        Ok(())
    }

    /// Calls the function in the context slot at `func` with `sources` as
    /// its three `u32` arguments, after the context pointer when
    /// `with_ctx`, saving and restoring what the call may clobber. Frees op
    /// `i`'s last uses; the result is in eax.
    fn call_out(
        &mut self,
        i: usize,
        func: u32,
        sources: [Src; 3],
        with_ctx: bool,
    ) -> Result<(), CodegenError> {
        let args = if with_ctx {
            [Reg::RSI, Reg::RDX, Reg::RCX]
        } else {
            [Reg::RDI, Reg::RSI, Reg::RDX]
        };
        // Arguments held in argument registers are staged in the spill
        // area (loading one could overwrite another); immediates, context
        // slots and other registers go straight to their register.
        let staged = sources
            .iter()
            .any(|s| matches!(s, Src::Reg(r) if args.contains(r)));
        if staged {
            for (slot, source) in sources.iter().enumerate() {
                let r = self.in_register(*source, S0);
                self.a.store32(ctx(offsets::spill(slot)), r);
            }
        }
        self.temps.release(i);
        // Save what the call may clobber: the caller-saved pins, the cycle
        // counter and every live temporary (the other pins and the
        // pointers are callee-saved).
        let mut saved = PINNED_CALLER_SAVED.to_vec();
        saved.push(CYCLES);
        saved.extend(self.temps.live());
        if saved.len() + 3 > SPILL_SLOTS {
            return Err(CodegenError::OutOfRegisters(self.block.start));
        }
        for (k, &reg) in saved.iter().enumerate() {
            self.a.store64(ctx(offsets::spill(3 + k)), reg);
        }
        for (slot, (reg, source)) in args.into_iter().zip(sources).enumerate() {
            if staged {
                self.a.load32(reg, ctx(offsets::spill(slot)));
            } else {
                self.a.mov_src32(reg, source);
            }
        }
        if with_ctx {
            self.a.mov64(Reg::RDI, CTX);
        }
        self.a.call_mem(ctx(func));
        for (k, &reg) in saved.iter().enumerate() {
            self.a.load64(reg, ctx(offsets::spill(3 + k)));
        }
        Ok(())
    }

    fn jump_to_epilogue(&mut self) {
        // Displacement filled by the block cache once the block is placed.
        let at = self.a.jmp_placeholder();
        self.frame.epilogue_branches.push(at as u32);
    }

    /// Continues at the guest PC in eax without the dispatcher when a block
    /// is translated there: looks (D << 16 | PC) up in the entry table and
    /// jumps to the entry (whose budget check runs as for any link). Falls
    /// through when there is none. Every temporary is dead here, so rdx is
    /// free.
    fn inline_dispatch(&mut self, decimal: Option<bool>) {
        let miss = self.a.new_label();
        let key = Reg::RCX;
        let entry = Reg::RDX;
        self.a.mov32(key, Reg::RAX);
        match decimal {
            Some(false) => {}
            Some(true) => self.a.alu32(Alu::Or, key, Src::Imm(1 << 16)),
            None => {
                self.a.load32(entry, ctx_reg(GuestReg::D));
                self.a.shift32_imm(Shift::Shl, entry, 16);
                self.a.alu32(Alu::Or, key, Src::Reg(entry));
            }
        }
        self.a.load64(entry, ctx(offsets::DISPATCH));
        self.a.load32(entry, Mem::index(entry, key, 4, 0));
        self.a.test32(entry, entry);
        self.a.jcc(Cond::E, miss);
        self.a
            .alu64(Alu::Add, entry, Src::Mem(ctx(offsets::CODE_BASE)));
        self.a.jmp_reg(entry);
        self.a.bind(miss);
    }
}

impl BlockEmitter for Codegen<'_> {
    type Label = Label;
    type Stored = Src;

    fn frame(&mut self) -> &mut Frame<Label, Src> {
        &mut self.frame
    }

    fn config(&self) -> CodegenConfig {
        self.config
    }

    fn new_label(&mut self) -> Label {
        self.a.new_label()
    }

    fn bind(&mut self, label: Label) {
        self.a.bind(label);
    }

    fn budget_check(&mut self, worst_cycles: u16) -> Label {
        let budget_exit = self.a.new_label();
        self.a.lea64(S0, Mem::base(CYCLES, i32::from(worst_cycles)));
        self.a.alu64(Alu::Cmp, S0, Src::Mem(ctx(offsets::DEADLINE)));
        self.a.jcc(Cond::A, budget_exit);
        budget_exit
    }

    fn op(&mut self, i: usize, op: &Op) -> Result<(), CodegenError> {
        self.temps.release_dead(i);
        self.frame.track_write_checks(op);
        self.lower(i, op)
    }

    fn account(&mut self, cycles: u32, insns: u32) {
        if cycles > 0 {
            self.a.alu64(Alu::Add, CYCLES, Src::Imm(cycles));
        }
        if insns > 0 {
            self.a
                .alu64_mem_imm(Alu::Add, ctx(offsets::INSTRUCTIONS), insns as i32);
        }
    }

    /// eax = `pc`, ecx = `reason`, jump to the common exit.
    fn leave_with(&mut self, pc: u32, reason: ExitReason) {
        self.a.mov_imm32(Reg::RAX, pc);
        self.a.mov_imm32(Reg::RCX, reason as u32);
        self.jump_to_epilogue();
    }

    /// A `jmp rel32` whose displacement (0 until linked) is 4-aligned.
    fn exit_slot(&mut self) -> u32 {
        // The opcode byte goes one before a 4-byte boundary.
        self.a.align_with_nops(4, 1);
        self.a.jmp_placeholder() as u32
    }

    fn branch_if_decimal(&mut self, label: Label) {
        self.a.test8_mem(ctx_reg(GuestReg::D), 0xFF);
        self.a.jcc(Cond::Ne, label);
    }

    fn branch_if(&mut self, cond: IrCond, label: Label) {
        if let Some(bit) = cond.bit {
            let mask = 1 << bit;
            match guest_reg(cond.flag) {
                Some(host) => self.a.test8_imm(host, mask),
                None => self.a.test8_mem(ctx_reg(cond.flag), mask),
            }
            self.a.jcc(if cond.set { Cond::Ne } else { Cond::E }, label);
            return;
        }
        let (mask, location) = match cond.flag {
            GuestReg::N => (0x80, ctx_reg(GuestReg::N)),
            flag => (0xFF, ctx_reg(flag)),
        };
        match guest_reg(cond.flag) {
            Some(host) => self.a.test32(host, host),
            None => self.a.test8_mem(location, mask),
        }
        // Z's location is zero when the flag is set.
        let set = if cond.flag == GuestReg::Z {
            !cond.set
        } else {
            cond.set
        };
        self.a.jcc(if set { Cond::Ne } else { Cond::E }, label);
    }

    fn indirect(&mut self, target: Operand, from: u16, decimal: Option<bool>) {
        let value = self.src(target);
        self.a.mov_src32(Reg::RAX, value);
        if self.config.stop_on_trap {
            let not_trap = self.a.new_label();
            self.a.alu32(Alu::Cmp, Reg::RAX, Src::Imm(u32::from(from)));
            self.a.jcc(Cond::Ne, not_trap);
            self.a.mov_imm32(Reg::RCX, ExitReason::Trap as u32);
            self.jump_to_epilogue();
            self.a.bind(not_trap);
        }
        if self.config.link {
            self.inline_dispatch(decimal);
        }
        self.a.mov_imm32(Reg::RCX, ExitReason::Next as u32);
        self.jump_to_epilogue();
    }

    fn store_exit_addr(&mut self, addr: Src) {
        let exit_addr = ctx(offsets::EXIT_ADDR);
        match addr {
            Src::Imm(v) => self.a.store32_imm(exit_addr, v),
            Src::Reg(r) => self.a.store32(exit_addr, r),
            Src::Mem(m) => {
                self.a.load32(S0, m);
                self.a.store32(exit_addr, S0);
            }
        }
    }
}
