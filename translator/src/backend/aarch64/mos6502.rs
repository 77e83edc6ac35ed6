//! 6502 IR to AArch64: the runtime stubs (entry trampoline and the common
//! exit) and one function per translated block.
//!
//! Register plan, fixed for all generated 6502 code so blocks can branch to
//! each other directly:
//!
//! | host | holds |
//! |---|---|
//! | x19 | the [`JitContext`](crate::engine::context::JitContext) |
//! | x20 | guest memory backing store |
//! | x21 | guest page table (`u32` per page) |
//! | w22, w23, w24, w25 | A, X, Y, S (Z80: A, F, DE, C) |
//! | x26 | cycle counter |
//! | x27 | deadline |
//! | w28 | C (Z80: SP) |
//! | w9, w10, w11 | N, Z, V (Z80: HL, MEMPTR, B; caller-saved: spilled around helper calls) |
//! | x12 | instructions executed |
//! | w0-w8, w13-w15 | IR temporaries |
//! | x16, x17 | scratch inside one IR op |
//!
//! I and D (and the Z80's other locations) live in the context. A block starts with its budget check, then
//! its body; static cycles and the instruction count are added where the
//! block leaves, dynamic cycles (page crossings) when they occur. Each
//! linkable exit has one patchable word, a NOP until the linker makes it a
//! `B` to the target block, followed by the fall-back to the dispatcher.

use super::{Assembler, Cond, IndexExtend, Label, Mem, Reg, encode_logical_imm, to_le_bytes};
use super::{W0, W1, W9, W10, W11, W16, W17, W22, W23, W24, W25, W28, X0, X1, X12, X16, X17};
use super::{X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30};
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

/// Temporaries' host registers, in allocation order.
const TEMP_REGS: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 13, 14, 15];

/// Bytes of stack the trampoline uses (x19-x30 saved).
const FRAME: i32 = 96;

/// 6502 locations held in host registers while generated code runs. N, Z,
/// C and V sit where `PackP` and `UnpackP` expect them.
const PINNED_6502: [(GuestReg, Reg); 8] = [
    (GuestReg::A, W22),
    (GuestReg::X, W23),
    (GuestReg::Y, W24),
    (GuestReg::S, W25),
    (GuestReg::N, W9),
    (GuestReg::Z, W10),
    (GuestReg::C, W28),
    (GuestReg::V, W11),
];

/// Z80 locations held in the same host registers: A, F, the pairs held
/// whole (HL, DE, SP), B and C, and MEMPTR, which most instructions that
/// touch memory write.
const PINNED_Z80: [(GuestReg, Reg); 8] = [
    (GuestReg::Z80(Z80Reg::A), W22),
    (GuestReg::Z80(Z80Reg::F), W23),
    (GuestReg::Z80(Z80Reg::De), W24),
    (GuestReg::Z80(Z80Reg::C), W25),
    (GuestReg::Z80(Z80Reg::Hl), W9),
    (GuestReg::Z80(Z80Reg::Wz), W10),
    (GuestReg::Z80(Z80Reg::Sp), W28),
    (GuestReg::Z80(Z80Reg::B), W11),
];

/// The pinned locations of `guest`.
fn pinned(guest: Guest) -> &'static [(GuestReg, Reg)] {
    match guest {
        Guest::Mos6502 => &PINNED_6502,
        Guest::Z80 => &PINNED_Z80,
    }
}

/// The host register of a pinned location. A block only names one
/// guest's locations, so both plans can be searched.
fn guest_reg(r: GuestReg) -> Option<Reg> {
    PINNED_6502
        .iter()
        .chain(&PINNED_Z80)
        .find(|(g, _)| *g == r)
        .map(|&(_, h)| h)
}

fn w(n: u8) -> Reg {
    Reg::w(n).expect("register number below 31")
}

fn x(n: u8) -> Reg {
    Reg::x(n).expect("register number below 31")
}

/// The instruction set this backend emits.
pub const ISA: crate::jitmem::Isa = crate::jitmem::Isa::Aarch64;

/// Emits the entry trampoline (`extern "C" fn(ctx, entry)`) at offset 0 and
/// the common exit after it, for `guest`'s register plan.
pub fn emit_runtime(guest: Guest) -> Result<Runtime, CodegenError> {
    let mut a = Assembler::new();
    // Entry: save the callee-saved registers we pin, load guest state.
    a.stp(X29, X30, Mem::pre(super::SP, -FRAME));
    a.add_imm(X29, super::SP, 0);
    a.stp(X19, X20, Mem::offset(super::SP, 16));
    a.stp(X21, X22, Mem::offset(super::SP, 32));
    a.stp(X23, X24, Mem::offset(super::SP, 48));
    a.stp(X25, X26, Mem::offset(super::SP, 64));
    a.stp(X27, X28, Mem::offset(super::SP, 80));
    a.mov(X19, X0);
    a.ldr(X20, Mem::offset(X19, offsets::MEMORY as i32));
    a.ldr(X21, Mem::offset(X19, offsets::PAGES as i32));
    for &(location, host) in pinned(guest) {
        a.ldr(host, Mem::offset(X19, offsets::reg(location) as i32));
    }
    a.ldr(X26, Mem::offset(X19, offsets::CYCLES as i32));
    a.ldr(X27, Mem::offset(X19, offsets::DEADLINE as i32));
    a.ldr(X12, Mem::offset(X19, offsets::INSTRUCTIONS as i32));
    a.br(X1);

    // Common exit: w0 = next guest PC, w1 = reason.
    let epilogue = a.offset() as u32;
    a.str(W0, Mem::offset(X19, offsets::EXIT_PC as i32));
    a.str(W1, Mem::offset(X19, offsets::EXIT_REASON as i32));
    for &(location, host) in pinned(guest) {
        a.str(host, Mem::offset(X19, offsets::reg(location) as i32));
    }
    a.str(X26, Mem::offset(X19, offsets::CYCLES as i32));
    a.str(X12, Mem::offset(X19, offsets::INSTRUCTIONS as i32));
    a.ldp(X19, X20, Mem::offset(super::SP, 16));
    a.ldp(X21, X22, Mem::offset(super::SP, 32));
    a.ldp(X23, X24, Mem::offset(super::SP, 48));
    a.ldp(X25, X26, Mem::offset(super::SP, 64));
    a.ldp(X27, X28, Mem::offset(super::SP, 80));
    a.ldp(X29, X30, Mem::post(super::SP, FRAME));
    a.ret();
    let words = a
        .finish()
        .map_err(|e| CodegenError::Encode(e.to_string()))?;
    Ok(Runtime {
        code: to_le_bytes(&words),
        epilogue,
    })
}

/// Where a code-write stub finds the stored-to address.
#[derive(Clone, Copy)]
enum StoredAddr {
    /// Still in this register when the stub runs.
    Reg(Reg),
    /// A translation-time constant.
    Imm(u32),
}

/// The page-entry bit that routes reads (`write` false) or writes to I/O.
fn io_bit(write: bool) -> u8 {
    let mask = if write {
        PageEntry::WRITE_IO
    } else {
        PageEntry::READ_IO
    };
    mask.trailing_zeros() as u8
}

struct Codegen<'a> {
    a: Assembler,
    memory: &'a MappedMemory,
    shape: MemoryShape,
    config: CodegenConfig,
    block: &'a Block,
    temps: Temps<u8>,
    frame: Frame<Label, StoredAddr>,
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
    let words =
        cg.a.finish()
            .map_err(|e| CodegenError::Encode(e.to_string()))?;
    Ok(Emitted {
        code: to_le_bytes(&words),
        exits: cg.frame.exits,
        epilogue_branches: cg.frame.epilogue_branches,
    })
}

impl Codegen<'_> {
    /// A host register holding `operand`; immediates and context-held
    /// flags go to `scratch`.
    fn read(&mut self, operand: Operand, scratch: Reg) -> Reg {
        match operand {
            Operand::Reg(r) => match guest_reg(r) {
                Some(host) => host,
                None => {
                    self.a
                        .ldr(scratch, Mem::offset(X19, offsets::reg(r) as i32));
                    scratch
                }
            },
            Operand::Tmp(t) => w(self.temps.get(t)),
            Operand::Imm(v) => {
                if v == 0 {
                    super::WZR
                } else {
                    self.a.mov_imm(scratch, u64::from(v));
                    scratch
                }
            }
        }
    }

    /// The register to compute `dst` into; for context-held flags,
    /// [`Self::commit`] stores it afterwards.
    fn target(&mut self, dst: Dst) -> Result<Reg, CodegenError> {
        Ok(match dst {
            Dst::Reg(r) => guest_reg(r).unwrap_or(W16),
            Dst::Tmp(t) => {
                let reg = self
                    .temps
                    .define(t)
                    .ok_or(CodegenError::OutOfRegisters(self.block.start))?;
                w(reg)
            }
        })
    }

    fn commit(&mut self, dst: Dst, reg: Reg) {
        if let Dst::Reg(r) = dst
            && guest_reg(r).is_none()
        {
            self.a.str(reg, Mem::offset(X19, offsets::reg(r) as i32));
        }
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
                let value = self.read(src, W17);
                self.temps.release(i);
                let rd = self.target(dst)?;
                if rd != value {
                    self.a.mov(rd, value);
                }
                self.commit(dst, rd);
            }
            Op::Bin { op, dst, a, b } => self.bin(i, op, dst, a, b)?,
            Op::Bit { dst, src, bit } => {
                let rs = self.read(src, W17);
                self.temps.release(i);
                let rd = self.target(dst)?;
                self.a.ubfx(rd, rs, bit, 1);
                self.commit(dst, rd);
            }
            Op::Lookup { dst, table, index } => {
                if let Operand::Imm(v) = index {
                    self.temps.release(i);
                    let rd = self.target(dst)?;
                    self.a.mov_imm(rd, table.get(v as u8).into());
                    self.commit(dst, rd);
                } else {
                    let ri = self.read(index, W17);
                    self.a.add_imm(X16, X19, offsets::table(table));
                    self.temps.release(i);
                    let rd = self.target(dst)?;
                    self.a.ldrb(rd, Mem::index_uxtw(X16, ri));
                    self.commit(dst, rd);
                }
            }
            Op::Overflow { dst, a, b, r } => {
                // V = bit 7 of (a ^ r) & !(a ^ b)
                let mut borrowed = Vec::new();
                let ra = self.value_reg(a, &mut borrowed)?;
                let rb = self.value_reg(b, &mut borrowed)?;
                let rr = self.value_reg(r, &mut borrowed)?;
                self.a.eor(W16, ra, rb);
                self.a.eor(W17, ra, rr);
                self.a.bic(W17, W17, W16);
                self.give_back(borrowed);
                self.temps.release(i);
                let rd = self.target(dst)?;
                self.a.ubfx(rd, W17, 7, 1);
                self.commit(dst, rd);
            }
            Op::PackP { dst } => {
                self.temps.release(i);
                let rd = self.target(dst)?;
                let rd = if rd == W16 { W17 } else { rd };
                self.pack_p(rd);
                if let Dst::Reg(_) = dst {
                    self.commit(dst, rd);
                }
            }
            Op::UnpackP { src } => {
                let rs = self.read(src, W17);
                if rs != W17 {
                    self.a.mov(W17, rs);
                }
                self.temps.release(i);
                self.a.mov(W9, W17);
                self.a.mvn(W10, W17);
                self.a.and_imm(W10, W10, 2);
                self.a.and_imm(W28, W17, 1);
                self.a.ubfx(W11, W17, 6, 1);
                self.a.ubfx(W16, W17, 2, 1);
                self.a
                    .str(W16, Mem::offset(X19, offsets::reg(GuestReg::I) as i32));
                self.a.ubfx(W16, W17, 3, 1);
                self.a
                    .str(W16, Mem::offset(X19, offsets::reg(GuestReg::D) as i32));
            }
            Op::Load { dst, addr } => {
                let mem = self.host_address(addr, false);
                self.temps.release(i);
                let rd = self.target(dst)?;
                self.a.ldrb(rd, mem);
                self.commit(dst, rd);
            }
            Op::ProbeRead { addr } | Op::ProbeWrite { addr } => {
                let write = matches!(op, Op::ProbeWrite { .. });
                if !self.shape.access(write).plain {
                    let ra = self.read(addr, W17);
                    self.a.lsr_imm(W16, ra, 8);
                    self.a.ldr(W16, Mem::index_scaled(X21, X16));
                    let exit = self.side_exit();
                    self.a.tbnz(W16, io_bit(write), exit);
                }
                self.temps.release(i);
            }
            Op::IrqCheck => {
                self.a.ldr(W16, Mem::offset(X19, offsets::IRQ_HELD as i32));
                let exit = self.side_exit();
                self.a.tbnz(W16, 0, exit);
            }
            Op::ExitIf { cond, target } => {
                let label = self.new_label();
                self.branch_if(cond, label);
                let cycles_after = self.block.cycles_after(self.frame.insn.index);
                self.frame.exit_after_insn(label, cycles_after, target);
            }
            Op::Store { addr, src } => {
                let mut borrowed = Vec::new();
                let rs = self.value_reg(src, &mut borrowed)?;
                let mem = self.host_address(addr, true);
                self.a.strb(rs, mem);
                self.give_back(borrowed);
                self.temps.release(i);
            }
            Op::CodeCheck { addr, .. } | Op::CodeProbe { addr } => {
                let ra = self.read(addr, W17);
                let label = match op {
                    Op::CodeProbe { .. } => self.side_exit(),
                    _ => self.a.new_label(),
                };
                // One byte of the map per guest address; `read` put an
                // immediate address in a register too.
                self.a.ldr(X16, Mem::offset(X19, offsets::CODE_MAP as i32));
                self.a.ldrb(W16, Mem::index_uxtw(X16, ra));
                self.a.cbnz(W16, label);
                if let Op::CodeCheck { resume, .. } = *op {
                    let cycles_after = self.block.cycles_after(self.frame.insn.index);
                    let addr = match addr {
                        Operand::Imm(v) => StoredAddr::Imm(v),
                        _ => StoredAddr::Reg(ra),
                    };
                    self.frame.stubs.push(Stub::CodeWrite {
                        label,
                        insn: self.frame.insn,
                        cycles_after,
                        resume,
                        addr,
                    });
                }
                self.temps.release(i);
            }
            Op::Penalty { src } => {
                let rs = self.read(src, W17);
                self.a.add(X26, X26, rs.uxtw(0));
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
            self.a.mov_imm(rd, u64::from(op.apply(x, y)));
            self.commit(dst, rd);
            return Ok(());
        }
        // Commutative ops take the immediate on the right.
        let (a, b) = match (op, a) {
            (BinOp::Add | BinOp::And | BinOp::Or | BinOp::Xor, Operand::Imm(_)) => (b, a),
            _ => (a, b),
        };
        let ra = self.read(a, W16);
        match b {
            Operand::Imm(v) => {
                self.temps.release(i);
                let rd = self.target(dst)?;
                match op {
                    BinOp::Add if v < 4096 => self.a.add_imm(rd, ra, v),
                    BinOp::Sub if v < 4096 => self.a.sub_imm(rd, ra, v),
                    BinOp::Shl => self.a.lsl_imm(rd, ra, (v & 31) as u8),
                    BinOp::Shr => self.a.lsr_imm(rd, ra, (v & 31) as u8),
                    BinOp::And | BinOp::Or | BinOp::Xor
                        if encode_logical_imm(u64::from(v), false).is_some() =>
                    {
                        match op {
                            BinOp::And => self.a.and_imm(rd, ra, u64::from(v)),
                            BinOp::Or => self.a.orr_imm(rd, ra, u64::from(v)),
                            _ => self.a.eor_imm(rd, ra, u64::from(v)),
                        }
                    }
                    _ => {
                        self.a.mov_imm(W17, u64::from(v));
                        self.reg_op(op, rd, ra, W17);
                    }
                }
                self.commit(dst, rd);
            }
            _ => {
                let rb = self.read(b, W17);
                self.temps.release(i);
                let rd = self.target(dst)?;
                self.reg_op(op, rd, ra, rb);
                self.commit(dst, rd);
            }
        }
        Ok(())
    }

    fn reg_op(&mut self, op: BinOp, rd: Reg, ra: Reg, rb: Reg) {
        match op {
            BinOp::Add => self.a.add(rd, ra, rb),
            BinOp::Sub => self.a.sub(rd, ra, rb),
            BinOp::And => self.a.and(rd, ra, rb),
            BinOp::Or => self.a.orr(rd, ra, rb),
            BinOp::Xor => self.a.eor(rd, ra, rb),
            BinOp::Shl => self.a.lslv(rd, ra, rb),
            BinOp::Shr => self.a.lsrv(rd, ra, rb),
        }
    }

    /// The host location of `addr` (x16 and x17 may be used), after
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
                match offset {
                    Operand::Imm(o) => self.flat_address(base + (o & 0xFF)),
                    other => {
                        let ro = self.read(other, W17);
                        if base == 0 {
                            Mem::index_uxtw(X20, ro)
                        } else if base < 4096 {
                            self.a.add_imm(X16, X20, base);
                            Mem::index_uxtw(X16, ro)
                        } else {
                            self.a.mov_imm(X16, u64::from(base));
                            self.a.add(X16, X16, X20);
                            Mem::index_uxtw(X16, ro)
                        }
                    }
                }
            }
            Addr::Dynamic(a) => {
                let shape = self.shape.access(write);
                if shape.flat {
                    // The guest address is the host offset.
                    return match a {
                        Operand::Imm(v) => self.flat_address(v & 0xFFFF),
                        other => {
                            let ra = self.read(other, W17);
                            Mem::index_uxtw(X20, ra)
                        }
                    };
                }
                let ra = self.read(a, W17);
                self.a.lsr_imm(W16, ra, 8);
                self.a.ldr(W16, Mem::index_scaled(X21, X16));
                if !(shape.plain || write && self.frame.write_checked(a)) {
                    let exit = self.side_exit();
                    self.a.tbnz(W16, io_bit(write), exit);
                }
                // Page base with the address's low byte (flag bits overwritten).
                self.a.bfxil(W16, ra, 0, 8);
                Mem::index(X20, X16)
            }
        }
    }

    /// Byte `at` of the guest memory backing store.
    fn flat_address(&mut self, at: u32) -> Mem {
        if at < 4096 {
            Mem::offset(X20, at as i32)
        } else {
            self.a.mov_imm(X16, u64::from(at));
            Mem::index(X20, X16)
        }
    }

    /// A register holding `operand`, borrowing a free temporary register for
    /// immediates and context-held flags (returned by [`Self::give_back`]).
    fn value_reg(&mut self, operand: Operand, borrowed: &mut Vec<u8>) -> Result<Reg, CodegenError> {
        let needs_register = match operand {
            Operand::Imm(0) | Operand::Tmp(_) => false,
            Operand::Imm(_) => true,
            Operand::Reg(r) => guest_reg(r).is_none(),
        };
        if !needs_register {
            return Ok(self.read(operand, W16));
        }
        let reg = self
            .temps
            .borrow()
            .ok_or(CodegenError::OutOfRegisters(self.block.start))?;
        borrowed.push(reg);
        Ok(self.read(operand, w(reg)))
    }

    fn give_back(&mut self, borrowed: Vec<u8>) {
        self.temps.give_back(borrowed);
    }

    /// P as PHP pushes it, into `rd` (not x16).
    fn pack_p(&mut self, rd: Reg) {
        self.a.and_imm(rd, W9, 0x80);
        self.a.orr(rd, rd, W11.lsl(6));
        self.a.orr_imm(rd, rd, 0x30);
        self.a.orr(rd, rd, W28);
        self.a
            .ldr(W16, Mem::offset(X19, offsets::reg(GuestReg::D) as i32));
        self.a.orr(rd, rd, W16.lsl(3));
        self.a
            .ldr(W16, Mem::offset(X19, offsets::reg(GuestReg::I) as i32));
        self.a.orr(rd, rd, W16.lsl(2));
        self.a.tst_imm(W10, 0xFF);
        self.a.cset(W16, Cond::Eq);
        self.a.orr(rd, rd, W16.lsl(1));
    }

    fn helper(
        &mut self,
        i: usize,
        helper: Helper,
        dst: Dst,
        args: [Operand; 3],
    ) -> Result<(), CodegenError> {
        self.call_out(i, offsets::helper(helper.index()), args, false)?;
        let rd = self.target(dst)?;
        self.a.mov(rd, W17);
        self.commit(dst, rd);
        Ok(())
    }

    /// A port cycle `at` T-states into the current instruction, through
    /// the context's port function at `func`: `ctx.cycles` is set to the
    /// cycle's start, the bus's wait states are added to the count, and
    /// a read's byte goes to `dst`. After a write the deadline is
    /// reloaded: a write that remapped memory clears it.
    fn port(
        &mut self,
        i: usize,
        func: u32,
        [port, value]: [Operand; 2],
        at: u8,
        dst: Option<Dst>,
    ) -> Result<(), CodegenError> {
        let start = u32::from(self.frame.insn.cycles) + u32::from(at);
        self.a.add_imm(X16, X26, start);
        self.a.str(X16, Mem::offset(X19, offsets::CYCLES as i32));
        self.call_out(i, func, [port, value, Operand::Imm(0)], true)?;
        self.a.lsr_imm(W16, W17, 8);
        self.a.add(X26, X26, W16.uxtw(0));
        match dst {
            Some(dst) => {
                let rd = self.target(dst)?;
                self.a.and_imm(rd, W17, 0xFF);
                self.commit(dst, rd);
            }
            None => self.a.ldr(X27, Mem::offset(X19, offsets::DEADLINE as i32)),
        }
        Ok(())
    }

    /// Calls the function in the context slot at `func` with `args` as its
    /// three `u32` arguments, after the context pointer when `with_ctx`,
    /// saving and restoring what the call may clobber. Frees op `i`'s last
    /// uses; the result is in w17.
    fn call_out(
        &mut self,
        i: usize,
        func: u32,
        args: [Operand; 3],
        with_ctx: bool,
    ) -> Result<(), CodegenError> {
        // Arguments to the spill area first (they may sit in w0-w3).
        for (slot, arg) in args.iter().enumerate() {
            let r = self.read(*arg, W16);
            self.a
                .str(r.as_x(), Mem::offset(X19, offsets::spill(slot) as i32));
        }
        self.temps.release(i);
        // Save what the call may clobber: the caller-saved pins (w9-w11),
        // the instruction count and every live temporary.
        let live: Vec<u8> = self.temps.live().collect();
        if live.len() + 7 > SPILL_SLOTS {
            return Err(CodegenError::OutOfRegisters(self.block.start));
        }
        self.a
            .stp(x(9), x(10), Mem::offset(X19, offsets::spill(3) as i32));
        self.a
            .stp(x(11), X12, Mem::offset(X19, offsets::spill(5) as i32));
        for (k, &reg) in live.iter().enumerate() {
            self.a
                .str(x(reg), Mem::offset(X19, offsets::spill(7 + k) as i32));
        }
        let first = u8::from(with_ctx);
        for slot in 0..3 {
            self.a.ldr(
                w(first + slot),
                Mem::offset(X19, offsets::spill(usize::from(slot)) as i32),
            );
        }
        if with_ctx {
            self.a.mov(X0, X19);
        }
        self.a.ldr(X16, Mem::offset(X19, func as i32));
        self.a.blr(X16);
        self.a.mov(W17, W0);
        for (k, &reg) in live.iter().enumerate() {
            self.a
                .ldr(x(reg), Mem::offset(X19, offsets::spill(7 + k) as i32));
        }
        self.a
            .ldp(x(9), x(10), Mem::offset(X19, offsets::spill(3) as i32));
        self.a
            .ldp(x(11), X12, Mem::offset(X19, offsets::spill(5) as i32));
        Ok(())
    }

    fn branch_to_epilogue(&mut self) {
        self.frame.epilogue_branches.push(self.a.offset() as u32);
        // Placeholder; the block cache patches it once the block is placed.
        self.a.emit(super::NOP);
    }

    /// Continues at the guest PC in w0 without the dispatcher when a block
    /// is translated there: looks (D << 16 | PC) up in the entry table and
    /// branches to the entry (whose budget check runs as for any link).
    /// Falls through when there is none.
    fn inline_dispatch(&mut self, decimal: Option<bool>) {
        let miss = self.a.new_label();
        match decimal {
            Some(false) => self.a.mov(W17, W0),
            Some(true) => self.a.orr_imm(W17, W0, 1 << 16),
            None => {
                self.a
                    .ldr(W16, Mem::offset(X19, offsets::reg(GuestReg::D) as i32));
                self.a.orr(W17, W0, W16.lsl(16));
            }
        }
        self.a.ldr(X16, Mem::offset(X19, offsets::DISPATCH as i32));
        self.a.ldr(
            W17,
            Mem::Index {
                base: X16,
                index: W17,
                extend: IndexExtend::Uxtw,
                scaled: true,
            },
        );
        self.a.cbz(W17, miss);
        self.a.ldr(X16, Mem::offset(X19, offsets::CODE_BASE as i32));
        self.a.add(X16, X16, X17);
        self.a.br(X16);
        self.a.bind(miss);
    }
}

impl BlockEmitter for Codegen<'_> {
    type Label = Label;
    type Stored = StoredAddr;

    fn frame(&mut self) -> &mut Frame<Label, StoredAddr> {
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
        self.a.add_imm(X16, X26, u32::from(worst_cycles));
        self.a.cmp(X16, X27);
        self.a.b_cond(Cond::Hi, budget_exit);
        budget_exit
    }

    fn op(&mut self, i: usize, op: &Op) -> Result<(), CodegenError> {
        self.temps.release_dead(i);
        self.frame.track_write_checks(op);
        self.lower(i, op)
    }

    fn account(&mut self, cycles: u32, insns: u32) {
        if cycles > 0 {
            self.a.add_imm(X26, X26, cycles);
        }
        if insns > 0 {
            self.a.add_imm(X12, X12, insns);
        }
    }

    /// w0 = `pc`, w1 = `reason`, branch to the common exit.
    fn leave_with(&mut self, pc: u32, reason: ExitReason) {
        self.a.mov_imm(W0, u64::from(pc));
        self.a.mov_imm(W1, reason as u64);
        self.branch_to_epilogue();
    }

    /// A NOP until linked, then a `B` to the target.
    fn exit_slot(&mut self) -> u32 {
        let at = self.a.offset() as u32;
        self.a.nop();
        at
    }

    fn branch_if_decimal(&mut self, label: Label) {
        self.a
            .ldr(W16, Mem::offset(X19, offsets::reg(GuestReg::D) as i32));
        self.a.cbnz(W16, label);
    }

    fn branch_if(&mut self, cond: IrCond, label: Label) {
        if let Some(bit) = cond.bit {
            let reg = self.read(Operand::Reg(cond.flag), W16);
            if cond.set {
                self.a.tbnz(reg, bit, label);
            } else {
                self.a.tbz(reg, bit, label);
            }
            return;
        }
        match (cond.flag, cond.set) {
            (GuestReg::Z, set) => {
                self.a.tst_imm(W10, 0xFF);
                self.a.b_cond(if set { Cond::Eq } else { Cond::Ne }, label);
            }
            (GuestReg::N, true) => self.a.tbnz(W9, 7, label),
            (GuestReg::N, false) => self.a.tbz(W9, 7, label),
            (flag, set) => {
                // C and V are pinned; other 0/1 locations (I, D, the Z80's
                // branch condition) are loaded from the context.
                let reg = self.read(Operand::Reg(flag), W16);
                if set {
                    self.a.cbnz(reg, label);
                } else {
                    self.a.cbz(reg, label);
                }
            }
        }
    }

    fn indirect(&mut self, target: Operand, from: u16, decimal: Option<bool>) {
        let rt = self.read(target, W17);
        self.a.mov(W0, rt);
        if self.config.stop_on_trap {
            let not_trap = self.a.new_label();
            self.a.mov_imm(W16, u64::from(from));
            self.a.cmp(W0, W16);
            self.a.b_cond(Cond::Ne, not_trap);
            self.a.mov_imm(W1, ExitReason::Trap as u64);
            self.branch_to_epilogue();
            self.a.bind(not_trap);
        }
        if self.config.link {
            self.inline_dispatch(decimal);
        }
        self.a.mov_imm(W1, ExitReason::Next as u64);
        self.branch_to_epilogue();
    }

    fn store_exit_addr(&mut self, addr: StoredAddr) {
        let addr = match addr {
            StoredAddr::Reg(r) => r,
            StoredAddr::Imm(v) => {
                self.a.mov_imm(W17, u64::from(v));
                W17
            }
        };
        self.a
            .str(addr, Mem::offset(X19, offsets::EXIT_ADDR as i32));
    }
}
