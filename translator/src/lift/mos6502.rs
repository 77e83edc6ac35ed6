//! 6502 lifter: guest instructions to IR, driven by core's decode table.
//!
//! A block runs from its entry to the first control transfer, an
//! instruction the translator leaves to the interpreter (BRK, JAM, the
//! unstable opcodes, accesses to I/O pages known at translation time), the
//! instruction limit, or a stop address. Addresses in pages the lifter can
//! see are plain memory become [`Addr::Page`]; computed addresses become
//! [`Addr::Dynamic`] and are checked when the code runs.

use super::Rewrites;
use crate::ir::{Addr, BinOp, Block, Cond, Dst, Exit, Helper, MAX_TMPS, Op, Operand, Reg, Tmp};
use retrojit_core::bus::MappedMemory;
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::cpu::mos6502::decode::{Access, Class, Mnemonic, Mode, Opcode, decode};

/// Translation settings that change the code produced.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LiftConfig {
    /// The chip (the 2A03 has no decimal mode).
    pub variant: Variant,
    /// Most guest instructions per block.
    pub max_instructions: u16,
    /// Blocks end before this address (a run's stop address).
    pub stop_at: Option<u16>,
    /// Addresses never translated (`--no-jit-range`): blocks end before them.
    pub interpret_only: Option<(u16, u16)>,
}

impl LiftConfig {
    /// Whether `pc` is in the range left to the interpreter.
    pub fn interpreted(&self, pc: u16) -> bool {
        self.interpret_only
            .is_some_and(|(first, last)| (first..=last).contains(&pc))
    }
}

impl Default for LiftConfig {
    fn default() -> Self {
        Self {
            variant: Variant::Nmos,
            max_instructions: 64,
            stop_at: None,
            interpret_only: None,
        }
    }
}

/// Translates the block at `start` with D = `decimal`. Returns `None` when
/// not even the first instruction can be translated (the interpreter runs
/// it).
pub fn lift(
    memory: &MappedMemory,
    start: u16,
    decimal: bool,
    config: &LiftConfig,
) -> Option<Block> {
    lift_with(memory, start, decimal, config, &|_| Rewrites::Never)
}

/// [`lift`], treating the code bytes the guest has rewritten as
/// `rewrites` says: dynamic operands are read from guest memory when the
/// code runs instead of being compiled in, and a block ends before an
/// instruction with a dynamic opcode byte.
pub fn lift_with(
    memory: &MappedMemory,
    start: u16,
    decimal: bool,
    config: &LiftConfig,
    rewrites: &dyn Fn(u16) -> Rewrites,
) -> Option<Block> {
    if config.interpreted(start) {
        return None;
    }
    let mut lifter = Lifter {
        memory,
        config,
        ops: Vec::new(),
        pc: start,
        // The 2A03 ignores D, so it never splits or ends blocks.
        decimal: Some(decimal && config.variant == Variant::Nmos),
        cycles: 0,
        worst: 0,
        next_tmp: 0,
        penalty: None,
        checks: Vec::new(),
        rewrites,
        immediates: Vec::new(),
        dynamic_operands: Vec::new(),
    };
    let mut instructions = 0u16;
    let mut last_pc = start;
    let exit = loop {
        if instructions > 0
            && (instructions >= config.max_instructions || config.stop_at == Some(lifter.pc))
        {
            break Exit::Jump {
                target: lifter.pc,
                from: last_pc,
            };
        }
        let Some(decimal) = lifter.decimal else {
            break Exit::Dispatch { target: lifter.pc };
        };
        let Some(insn) = lifter.fetch() else {
            break Exit::Interpret { pc: lifter.pc };
        };
        let len = u16::from(insn.opcode.instruction_len());
        if (0..len).any(|i| rewrites(insn.pc.wrapping_add(i)) == Rewrites::Opcode) {
            break Exit::Interpret { pc: insn.pc };
        }
        let Some(outcome) = lifter.instruction(&insn, decimal, instructions) else {
            break Exit::Interpret { pc: lifter.pc };
        };
        instructions += 1;
        last_pc = insn.pc;
        lifter.cycles += u16::from(insn.opcode.cycles);
        lifter.worst += u16::from(insn.opcode.cycles) + u16::from(insn.opcode.page_penalty);
        lifter.pc = insn.next();
        if let Some(exit) = outcome {
            break exit;
        }
    };
    if instructions == 0 {
        return None;
    }
    Some(Block {
        start,
        len: lifter.pc.wrapping_sub(start),
        decimal: decimal && config.variant == Variant::Nmos,
        exit_decimal: lifter.decimal,
        ops: lifter.ops,
        exit,
        instructions,
        cycles: lifter.cycles,
        worst_cycles: lifter.worst,
        immediates: lifter.immediates,
        dynamic_operands: lifter.dynamic_operands,
    })
}

/// One decoded guest instruction.
struct Insn {
    pc: u16,
    opcode: &'static Opcode,
    /// Operand bytes (0, 1 or 2 used).
    operand: [u8; 2],
}

impl Insn {
    fn next(&self) -> u16 {
        self.pc
            .wrapping_add(u16::from(self.opcode.instruction_len()))
    }

    fn byte(&self) -> u8 {
        self.operand[0]
    }

    fn word(&self) -> u16 {
        u16::from_le_bytes(self.operand)
    }
}

/// An instruction either continues the block (`Some(None)`), ends it
/// (`Some(Some(exit))`), or cannot be translated (`None`).
type Outcome = Option<Option<Exit>>;

struct Lifter<'a> {
    memory: &'a MappedMemory,
    config: &'a LiftConfig,
    ops: Vec<Op>,
    pc: u16,
    /// D as known at this point; `None` after PLP/RTI made it dynamic.
    decimal: Option<bool>,
    cycles: u16,
    worst: u16,
    next_tmp: u8,
    /// The current instruction's page-crossing cycle, added at its end so
    /// that a side exit before then leaves the cycle count untouched.
    penalty: Option<Operand>,
    /// The current instruction's stored-to addresses and where it resumes,
    /// checked at its end against translated code.
    checks: Vec<(Operand, u16)>,
    rewrites: &'a dyn Fn(u16) -> Rewrites,
    immediates: Vec<u16>,
    dynamic_operands: Vec<u16>,
}

const A: Operand = Operand::Reg(Reg::A);
const X: Operand = Operand::Reg(Reg::X);
const Y: Operand = Operand::Reg(Reg::Y);
const S: Operand = Operand::Reg(Reg::S);
const C: Operand = Operand::Reg(Reg::C);

fn imm(v: u32) -> Operand {
    Operand::Imm(v)
}

/// Where an instruction's operand is.
#[derive(Clone, Copy)]
enum Target {
    /// An immediate or register value.
    Value(Operand),
    /// Memory.
    Memory(Addr),
}

impl Lifter<'_> {
    /// Reads the instruction at `self.pc` from memory-backed pages only.
    fn fetch(&self) -> Option<Insn> {
        let opcode = decode(self.memory.read(self.pc)?);
        let mut operand = [0u8; 2];
        for (i, byte) in operand
            .iter_mut()
            .enumerate()
            .take(usize::from(opcode.mode.operand_len()))
        {
            *byte = self.memory.read(self.pc.wrapping_add(1 + i as u16))?;
        }
        Some(Insn {
            pc: self.pc,
            opcode,
            operand,
        })
    }

    fn tmp(&mut self) -> Tmp {
        assert!(
            self.next_tmp < MAX_TMPS,
            "an instruction used too many temporaries"
        );
        let t = Tmp(self.next_tmp);
        self.next_tmp += 1;
        t
    }

    fn emit(&mut self, op: Op) {
        self.ops.push(op);
    }

    fn bin(&mut self, op: BinOp, a: Operand, b: Operand) -> Operand {
        let t = self.tmp();
        self.emit(Op::Bin {
            op,
            dst: Dst::Tmp(t),
            a,
            b,
        });
        Operand::Tmp(t)
    }

    fn set(&mut self, reg: Reg, src: Operand) {
        self.emit(Op::Mov {
            dst: Dst::Reg(reg),
            src,
        });
    }

    fn set_nz(&mut self, value: Operand) {
        self.set(Reg::N, value);
        self.set(Reg::Z, value);
    }

    fn load(&mut self, addr: Addr) -> Operand {
        let t = self.tmp();
        self.emit(Op::Load {
            dst: Dst::Tmp(t),
            addr,
        });
        Operand::Tmp(t)
    }

    fn page_readable(&self, page: u8) -> bool {
        self.memory.pages()[usize::from(page)]
            .read_offset()
            .is_some()
    }

    fn page_writable(&self, page: u8) -> bool {
        self.memory.pages()[usize::from(page)]
            .write_offset()
            .is_some()
    }

    /// A fixed address as a page access, if that page is plain memory for
    /// the access (`write`: stores too).
    fn fixed(&self, addr: u16, write: bool) -> Option<Addr> {
        let [lo, hi] = addr.to_le_bytes();
        let ok = self.page_readable(hi) && (!write || self.page_writable(hi));
        ok.then_some(Addr::Page {
            page: hi,
            offset: imm(lo.into()),
        })
    }

    /// A byte of zero page at a run-time offset.
    fn zero_page(&self, offset: Operand, write: bool) -> Option<Addr> {
        let ok = self.page_readable(0) && (!write || self.page_writable(0));
        ok.then_some(Addr::Page { page: 0, offset })
    }

    /// 16-bit pointer from zero page at `zp` (wrapping inside the page).
    fn zp_pointer(&mut self, zp: Operand) -> Option<(Operand, Operand)> {
        let lo_addr = self.zero_page(zp, false)?;
        let lo = self.load(lo_addr);
        let next = self.bin(BinOp::Add, zp, imm(1));
        let next = self.bin(BinOp::And, next, imm(0xFF));
        let hi_addr = self.zero_page(next, false)?;
        let hi = self.load(hi_addr);
        let hi = self.bin(BinOp::Shl, hi, imm(8));
        Some((lo, hi))
    }

    /// `base + index` as a dynamic address, with the chip's page-crossing
    /// behaviour: reads that cross pay a cycle (`page_penalty`), and the
    /// dummy read at the unfixed address must not touch I/O. `low` is the
    /// base's low byte.
    fn indexed(&mut self, base: Operand, low: Operand, index: Operand, opcode: &Opcode) -> Addr {
        let sum = self.bin(BinOp::Add, base, index);
        let addr = self.bin(BinOp::And, sum, imm(0xFFFF));
        // Writes and read-modify-writes always make the dummy read; reads
        // only when the index crossed a page, which costs them a cycle: the
        // carry out of the low byte.
        if opcode.access == Access::Read {
            let carry = self.bin(BinOp::Add, low, index);
            let crossed = self.bin(BinOp::Shr, carry, imm(8));
            self.penalty = Some(crossed);
        }
        // The unfixed address (the base's high byte with the sum's low
        // byte) lies on the base's page, and probes only look at the page.
        // When the index did not cross, that is the page read anyway.
        self.emit(Op::ProbeRead { addr: base });
        self.dynamic(addr, opcode)
    }

    /// A run-time address. Instructions that write it probe it first, so
    /// that the store cannot leave the block after registers changed.
    fn dynamic(&mut self, addr: Operand, opcode: &Opcode) -> Addr {
        if matches!(opcode.access, Access::Write | Access::ReadModifyWrite) {
            self.emit(Op::ProbeWrite { addr });
        }
        Addr::Dynamic(addr)
    }

    /// The memory operand of `insn` (or `None` when the lifter must leave
    /// the instruction to the interpreter).
    fn target(&mut self, insn: &Insn) -> Option<Target> {
        let write = matches!(insn.opcode.access, Access::Write | Access::ReadModifyWrite);
        Some(match insn.opcode.mode {
            Mode::Implied | Mode::Relative | Mode::Indirect => return None,
            Mode::Accumulator => Target::Value(A),
            Mode::Immediate => {
                let at = insn.pc.wrapping_add(1);
                match self
                    .fixed(at, false)
                    .filter(|_| (self.rewrites)(at) == Rewrites::Operand)
                {
                    Some(addr) => {
                        self.dynamic_operands.push(at);
                        Target::Memory(addr)
                    }
                    None => {
                        self.immediates.push(at);
                        Target::Value(imm(insn.byte().into()))
                    }
                }
            }
            Mode::ZeroPage => Target::Memory(self.zero_page(imm(insn.byte().into()), write)?),
            Mode::ZeroPageX | Mode::ZeroPageY => {
                let index = if insn.opcode.mode == Mode::ZeroPageX {
                    X
                } else {
                    Y
                };
                let sum = self.bin(BinOp::Add, index, imm(insn.byte().into()));
                let offset = self.bin(BinOp::And, sum, imm(0xFF));
                Target::Memory(self.zero_page(offset, write)?)
            }
            Mode::Absolute => Target::Memory(self.fixed(insn.word(), write)?),
            Mode::AbsoluteX | Mode::AbsoluteY => {
                let index = if insn.opcode.mode == Mode::AbsoluteX {
                    X
                } else {
                    Y
                };
                let base = insn.word();
                let low = imm((base & 0xFF).into());
                Target::Memory(self.indexed(imm(base.into()), low, index, insn.opcode))
            }
            Mode::IndirectX => {
                let sum = self.bin(BinOp::Add, X, imm(insn.byte().into()));
                let zp = self.bin(BinOp::And, sum, imm(0xFF));
                let (lo, hi) = self.zp_pointer(zp)?;
                let addr = self.bin(BinOp::Or, hi, lo);
                Target::Memory(self.dynamic(addr, insn.opcode))
            }
            Mode::IndirectY => {
                let (lo, hi) = self.zp_pointer(imm(insn.byte().into()))?;
                let base = self.bin(BinOp::Or, hi, lo);
                Target::Memory(self.indexed(base, lo, Y, insn.opcode))
            }
        })
    }

    fn read(&mut self, target: Target) -> Operand {
        match target {
            Target::Value(v) => v,
            Target::Memory(addr) => self.load(addr),
        }
    }

    /// Writes `value` to the operand and records the code check.
    fn write(&mut self, target: Target, value: Operand, resume: u16) {
        match target {
            Target::Value(Operand::Reg(reg)) => self.set(reg, value),
            Target::Value(_) => unreachable!("immediate operands are never written"),
            Target::Memory(addr) => {
                self.emit(Op::Store { addr, src: value });
                let check = self.address_of(addr);
                self.checks.push((check, resume));
            }
        }
    }

    /// The 16-bit address of `addr`, for code checks.
    fn address_of(&mut self, addr: Addr) -> Operand {
        match addr {
            Addr::Dynamic(a) => a,
            Addr::Page {
                page,
                offset: Operand::Imm(o),
            } => imm(u32::from(page) << 8 | o),
            Addr::Page { page, offset } => self.bin(BinOp::Or, offset, imm(u32::from(page) << 8)),
        }
    }

    fn push(&mut self, value: Operand, resume: u16) {
        self.emit(Op::Store {
            addr: Addr::Page { page: 1, offset: S },
            src: value,
        });
        let addr = self.bin(BinOp::Or, S, imm(0x100));
        self.checks.push((addr, resume));
        let s = self.bin(BinOp::Sub, S, imm(1));
        self.emit(Op::Bin {
            op: BinOp::And,
            dst: Dst::Reg(Reg::S),
            a: s,
            b: imm(0xFF),
        });
    }

    /// The stack byte `depth` above S, without moving S.
    fn peek_stack(&mut self, depth: u32) -> Operand {
        let at = self.bin(BinOp::Add, S, imm(depth));
        let at = self.bin(BinOp::And, at, imm(0xFF));
        self.load(Addr::Page {
            page: 1,
            offset: at,
        })
    }

    fn pull(&mut self) -> Operand {
        let s = self.bin(BinOp::Add, S, imm(1));
        self.emit(Op::Bin {
            op: BinOp::And,
            dst: Dst::Reg(Reg::S),
            a: s,
            b: imm(0xFF),
        });
        self.load(Addr::Page { page: 1, offset: S })
    }

    /// `A = A + m + C` with NMOS or binary flags, as `decimal` says.
    fn adc(&mut self, m: Operand, decimal: bool) {
        if decimal {
            self.decimal_helper(Helper::AdcDecimal, m);
            return;
        }
        let sum = self.bin(BinOp::Add, A, m);
        let sum = self.bin(BinOp::Add, sum, C);
        let result = self.bin(BinOp::And, sum, imm(0xFF));
        self.emit(Op::Overflow {
            dst: Dst::Reg(Reg::V),
            a: A,
            b: m,
            r: result,
        });
        self.emit(Op::Bit {
            dst: Dst::Reg(Reg::C),
            src: sum,
            bit: 8,
        });
        self.set(Reg::A, result);
        self.set_nz(result);
    }

    fn sbc(&mut self, m: Operand, decimal: bool) {
        if decimal {
            self.decimal_helper(Helper::SbcDecimal, m);
            return;
        }
        let inverted = self.bin(BinOp::Xor, m, imm(0xFF));
        self.adc(inverted, false);
    }

    /// Decimal ADC/SBC/ARR through a helper that takes and returns P.
    fn decimal_helper(&mut self, helper: Helper, m: Operand) {
        let p = self.tmp();
        self.emit(Op::PackP { dst: Dst::Tmp(p) });
        let out = self.tmp();
        self.emit(Op::Helper {
            helper,
            dst: Dst::Tmp(out),
            args: [A, m, Operand::Tmp(p)],
        });
        let out = Operand::Tmp(out);
        let result = self.bin(BinOp::And, out, imm(0xFF));
        let flags = self.bin(BinOp::Shr, out, imm(8));
        self.set(Reg::A, result);
        self.emit(Op::UnpackP { src: flags });
    }

    /// CMP/CPX/CPY/DCP/SBX: flags of `reg - m`; returns the 8-bit difference.
    fn compare(&mut self, reg: Operand, m: Operand) -> Operand {
        // reg + !m + 1 = reg - m + 256: bit 8 is the 6502's "no borrow" carry.
        let inverted = self.bin(BinOp::Xor, m, imm(0xFF));
        let sum = self.bin(BinOp::Add, reg, inverted);
        let sum = self.bin(BinOp::Add, sum, imm(1));
        let diff = self.bin(BinOp::And, sum, imm(0xFF));
        self.emit(Op::Bit {
            dst: Dst::Reg(Reg::C),
            src: sum,
            bit: 8,
        });
        self.set_nz(diff);
        diff
    }

    /// Shifts and rotates; returns the result (C and NZ set).
    fn shift(&mut self, mnemonic: Mnemonic, v: Operand) -> Operand {
        let result = match mnemonic {
            Mnemonic::Asl | Mnemonic::Slo => {
                let shifted = self.bin(BinOp::Shl, v, imm(1));
                self.bin(BinOp::And, shifted, imm(0xFF))
            }
            Mnemonic::Rol | Mnemonic::Rla => {
                let shifted = self.bin(BinOp::Shl, v, imm(1));
                let shifted = self.bin(BinOp::Or, shifted, C);
                self.bin(BinOp::And, shifted, imm(0xFF))
            }
            Mnemonic::Lsr | Mnemonic::Sre => self.bin(BinOp::Shr, v, imm(1)),
            Mnemonic::Ror | Mnemonic::Rra => {
                let shifted = self.bin(BinOp::Shr, v, imm(1));
                let carry = self.bin(BinOp::Shl, C, imm(7));
                self.bin(BinOp::Or, shifted, carry)
            }
            _ => unreachable!("not a shift"),
        };
        let carry_bit = match mnemonic {
            Mnemonic::Asl | Mnemonic::Slo | Mnemonic::Rol | Mnemonic::Rla => 7,
            _ => 0,
        };
        self.emit(Op::Bit {
            dst: Dst::Reg(Reg::C),
            src: v,
            bit: carry_bit,
        });
        self.set_nz(result);
        result
    }

    fn logic(&mut self, op: BinOp, m: Operand) {
        let result = self.bin(op, A, m);
        self.set(Reg::A, result);
        self.set_nz(result);
    }

    fn increment(&mut self, v: Operand, delta: u32) -> Operand {
        let sum = self.bin(BinOp::Add, v, imm(delta));
        let result = self.bin(BinOp::And, sum, imm(0xFF));
        self.set_nz(result);
        result
    }

    /// Lifts one instruction.
    fn instruction(&mut self, insn: &Insn, decimal: bool, index: u16) -> Outcome {
        let opcode = insn.opcode;
        if opcode.class == Class::Unstable || matches!(opcode.access, Access::Halt) {
            return None;
        }
        let decimal_alu = decimal && self.config.variant == Variant::Nmos;
        let next = insn.next();
        let mark = self.ops.len();
        self.next_tmp = 0;
        self.emit(Op::Insn {
            pc: insn.pc,
            index,
            cycles: self.cycles,
        });
        self.penalty = None;
        self.checks.clear();
        if !self.static_dummy_reads_are_memory(insn) {
            self.ops.truncate(mark);
            return None;
        }
        let operand_marks = (self.immediates.len(), self.dynamic_operands.len());
        let outcome = self.semantics(insn, decimal_alu, next);
        if outcome.is_none() {
            self.ops.truncate(mark);
            self.immediates.truncate(operand_marks.0);
            self.dynamic_operands.truncate(operand_marks.1);
            return None;
        }
        if let Some(src) = self.penalty.take() {
            self.emit(Op::Penalty { src });
        }
        for (addr, resume) in std::mem::take(&mut self.checks) {
            self.emit(Op::CodeCheck { addr, resume });
        }
        outcome
    }

    fn semantics(&mut self, insn: &Insn, decimal: bool, next: u16) -> Outcome {
        use Mnemonic::*;
        let opcode = insn.opcode;
        match opcode.mnemonic {
            Lda | Ldx | Ldy | Lax => {
                let target = self.target(insn)?;
                let v = self.read(target);
                match opcode.mnemonic {
                    Lda => self.set(Reg::A, v),
                    Ldx => self.set(Reg::X, v),
                    Ldy => self.set(Reg::Y, v),
                    _ => {
                        self.set(Reg::A, v);
                        self.set(Reg::X, v);
                    }
                }
                self.set_nz(v);
            }
            Sta | Stx | Sty | Sax => {
                let target = self.target(insn)?;
                let v = match opcode.mnemonic {
                    Sta => A,
                    Stx => X,
                    Sty => Y,
                    _ => self.bin(BinOp::And, A, X),
                };
                self.write(target, v, next);
            }
            Adc | Sbc | Usbc | And | Ora | Eor | Cmp | Cpx | Cpy | Bit | Nop => {
                if opcode.mode == Mode::Implied {
                    return Some(None);
                }
                let target = self.target(insn)?;
                let m = self.read(target);
                match opcode.mnemonic {
                    Adc => self.adc(m, decimal),
                    Sbc | Usbc => self.sbc(m, decimal),
                    And => self.logic(BinOp::And, m),
                    Ora => self.logic(BinOp::Or, m),
                    Eor => self.logic(BinOp::Xor, m),
                    Cmp => {
                        self.compare(A, m);
                    }
                    Cpx => {
                        self.compare(X, m);
                    }
                    Cpy => {
                        self.compare(Y, m);
                    }
                    Bit => {
                        let and = self.bin(BinOp::And, A, m);
                        self.set(Reg::Z, and);
                        self.set(Reg::N, m);
                        self.emit(Op::Bit {
                            dst: Dst::Reg(Reg::V),
                            src: m,
                            bit: 6,
                        });
                    }
                    _ => {} // NOP with an operand: the read is all it does.
                }
            }
            Asl | Lsr | Rol | Ror => {
                let target = self.target(insn)?;
                let v = self.read(target);
                let result = self.shift(opcode.mnemonic, v);
                self.write(target, result, next);
            }
            Inc | Dec => {
                let target = self.target(insn)?;
                let v = self.read(target);
                let delta = if opcode.mnemonic == Inc { 1 } else { 0xFF };
                let result = self.increment(v, delta);
                self.write(target, result, next);
            }
            Slo | Rla | Sre | Rra | Dcp | Isc => {
                let target = self.target(insn)?;
                let v = self.read(target);
                let result = match opcode.mnemonic {
                    Dcp | Isc => {
                        let delta = if opcode.mnemonic == Isc { 1 } else { 0xFF };
                        let sum = self.bin(BinOp::Add, v, imm(delta));
                        self.bin(BinOp::And, sum, imm(0xFF))
                    }
                    _ => self.shift(opcode.mnemonic, v),
                };
                self.write(target, result, next);
                match opcode.mnemonic {
                    Slo => self.logic(BinOp::Or, result),
                    Rla => self.logic(BinOp::And, result),
                    Sre => self.logic(BinOp::Xor, result),
                    Rra => self.adc(result, decimal),
                    Dcp => {
                        self.compare(A, result);
                    }
                    _ => self.sbc(result, decimal),
                }
            }
            Inx | Iny | Dex | Dey => {
                let (reg, delta) = match opcode.mnemonic {
                    Inx => (Reg::X, 1),
                    Iny => (Reg::Y, 1),
                    Dex => (Reg::X, 0xFF),
                    _ => (Reg::Y, 0xFF),
                };
                let result = self.increment(Operand::Reg(reg), delta);
                self.set(reg, result);
            }
            Tax | Tay | Txa | Tya | Tsx => {
                let (from, to) = match opcode.mnemonic {
                    Tax => (Reg::A, Reg::X),
                    Tay => (Reg::A, Reg::Y),
                    Txa => (Reg::X, Reg::A),
                    Tya => (Reg::Y, Reg::A),
                    _ => (Reg::S, Reg::X),
                };
                self.set(to, Operand::Reg(from));
                self.set_nz(Operand::Reg(from));
            }
            Txs => self.set(Reg::S, X),
            Clc | Sec => self.set(Reg::C, imm(u32::from(opcode.mnemonic == Sec))),
            Sei => self.set(Reg::I, imm(1)),
            Cli => {
                self.emit(Op::IrqCheck);
                self.set(Reg::I, imm(0));
            }
            Clv => self.set(Reg::V, imm(0)),
            Cld | Sed => {
                let d = opcode.mnemonic == Sed;
                self.set(Reg::D, imm(u32::from(d)));
                if self.config.variant == Variant::Nmos {
                    self.decimal = Some(d);
                }
            }
            Anc => {
                let m = imm(insn.byte().into());
                self.logic(BinOp::And, m);
                self.emit(Op::Bit {
                    dst: Dst::Reg(Reg::C),
                    src: A,
                    bit: 7,
                });
            }
            Alr => {
                let and = self.bin(BinOp::And, A, imm(insn.byte().into()));
                let result = self.shift(Mnemonic::Lsr, and);
                self.set(Reg::A, result);
            }
            Arr => {
                let m = imm(insn.byte().into());
                if decimal {
                    self.decimal_helper(Helper::ArrDecimal, m);
                } else {
                    // (A & imm) ROR 1; C = bit 6, V = bit 6 ^ bit 5 of the result.
                    let and = self.bin(BinOp::And, A, m);
                    let shifted = self.bin(BinOp::Shr, and, imm(1));
                    let carry = self.bin(BinOp::Shl, C, imm(7));
                    let result = self.bin(BinOp::Or, shifted, carry);
                    let bits = self.bin(BinOp::Shr, result, imm(5));
                    let v = self.bin(BinOp::Shr, bits, imm(1));
                    let v = self.bin(BinOp::Xor, v, bits);
                    self.emit(Op::Bit {
                        dst: Dst::Reg(Reg::V),
                        src: v,
                        bit: 0,
                    });
                    self.emit(Op::Bit {
                        dst: Dst::Reg(Reg::C),
                        src: result,
                        bit: 6,
                    });
                    self.set(Reg::A, result);
                    self.set_nz(result);
                }
            }
            Sbx => {
                let and = self.bin(BinOp::And, A, X);
                let diff = self.compare(and, imm(insn.byte().into()));
                self.set(Reg::X, diff);
            }
            Pha => self.push(A, next),
            Php => {
                let p = self.tmp();
                self.emit(Op::PackP { dst: Dst::Tmp(p) });
                self.push(Operand::Tmp(p), next);
            }
            Pla => {
                let v = self.pull();
                self.set(Reg::A, v);
                self.set_nz(v);
            }
            Plp => {
                self.emit(Op::IrqCheck);
                let p = self.pull();
                self.emit(Op::UnpackP { src: p });
                self.forget_decimal();
            }
            Jmp if opcode.mode == Mode::Absolute => {
                return Some(Some(Exit::Jump {
                    target: insn.word(),
                    from: insn.pc,
                }));
            }
            Jmp => {
                // The pointer's high byte comes from the same page (NMOS bug).
                let ptr = insn.word();
                let hi_ptr = (ptr & 0xFF00) | (ptr.wrapping_add(1) & 0x00FF);
                let lo_addr = self.fixed(ptr, false)?;
                let hi_addr = self.fixed(hi_ptr, false)?;
                let lo = self.load(lo_addr);
                let hi = self.load(hi_addr);
                let hi = self.bin(BinOp::Shl, hi, imm(8));
                let target = self.bin(BinOp::Or, hi, lo);
                return Some(Some(self.indirect(target, insn.pc)));
            }
            Jsr => {
                let ret = insn.pc.wrapping_add(2);
                let target = insn.word();
                self.push(imm(u32::from(ret >> 8)), target);
                self.push(imm(u32::from(ret & 0xFF)), target);
                return Some(Some(Exit::Jump {
                    target,
                    from: insn.pc,
                }));
            }
            Rts => {
                let lo = self.peek_stack(1);
                let hi = self.peek_stack(2);
                let hi = self.bin(BinOp::Shl, hi, imm(8));
                let ret = self.bin(BinOp::Or, hi, lo);
                // The chip reads the pulled address before incrementing it;
                // that read must not be I/O (checked before S moves).
                self.emit(Op::ProbeRead { addr: ret });
                let s = self.bin(BinOp::Add, S, imm(2));
                self.emit(Op::Bin {
                    op: BinOp::And,
                    dst: Dst::Reg(Reg::S),
                    a: s,
                    b: imm(0xFF),
                });
                let ret = self.bin(BinOp::Add, ret, imm(1));
                let target = self.bin(BinOp::And, ret, imm(0xFFFF));
                return Some(Some(self.indirect(target, insn.pc)));
            }
            Rti => {
                self.emit(Op::IrqCheck);
                let p = self.pull();
                self.emit(Op::UnpackP { src: p });
                self.forget_decimal();
                let lo = self.pull();
                let hi = self.pull();
                let hi = self.bin(BinOp::Shl, hi, imm(8));
                let target = self.bin(BinOp::Or, hi, lo);
                return Some(Some(self.indirect(target, insn.pc)));
            }
            Bpl | Bmi | Bvc | Bvs | Bcc | Bcs | Bne | Beq => {
                let (flag, set) = match opcode.mnemonic {
                    Bpl => (Reg::N, false),
                    Bmi => (Reg::N, true),
                    Bvc => (Reg::V, false),
                    Bvs => (Reg::V, true),
                    Bcc => (Reg::C, false),
                    Bcs => (Reg::C, true),
                    Bne => (Reg::Z, false),
                    _ => (Reg::Z, true),
                };
                let taken = next.wrapping_add(insn.byte() as i8 as u16);
                let taken_cycles = if taken & 0xFF00 == next & 0xFF00 {
                    1
                } else {
                    2
                };
                // The table's page_penalty covers one extra cycle; a page
                // crossing adds one more.
                self.worst += u16::from(taken_cycles) - 1;
                return Some(Some(Exit::Branch {
                    cond: Cond {
                        flag,
                        bit: None,
                        set,
                    },
                    taken,
                    not_taken: next,
                    taken_cycles,
                    from: insn.pc,
                }));
            }
            Brk | Jam | Ane | Lxa | Sha | Shx | Shy | Tas | Las => return None,
        }
        Some(None)
    }

    /// The chip's dummy reads at addresses known now (the byte after a
    /// one-byte instruction, a taken branch's reads) must not touch I/O;
    /// generated code does not make them.
    fn static_dummy_reads_are_memory(&self, insn: &Insn) -> bool {
        let readable = |addr: u16| self.memory.read(addr).is_some();
        let opcode = insn.opcode;
        if opcode.mode.operand_len() == 0 && !readable(insn.pc.wrapping_add(1)) {
            return false;
        }
        if opcode.access == Access::Branch {
            let next = insn.next();
            let taken = next.wrapping_add(insn.byte() as i8 as u16);
            let unfixed = (next & 0xFF00) | (taken & 0x00FF);
            return readable(next) && readable(unfixed);
        }
        true
    }

    /// D is only known at run time from here on (NMOS: ends the block).
    fn forget_decimal(&mut self) {
        if self.config.variant == Variant::Nmos {
            self.decimal = None;
        }
    }

    /// The exit of an indirect jump: the dispatcher finds the target.
    fn indirect(&self, target: Operand, from: u16) -> Exit {
        Exit::Indirect { target, from }
    }
}
