//! A reference evaluator for IR blocks: executes a block against guest
//! state and memory with the semantics the backends must implement. Tests
//! use it to check the lifter against the interpreter on any host, apart
//! from any backend.

use super::{Addr, Block, Cond, Dst, Exit, Helper, Op, Operand, Reg};
use retrojit_core::bus::MappedMemory;
use retrojit_core::cpu::mos6502::Registers;
use retrojit_core::cpu::mos6502::alu;
use retrojit_core::cpu::mos6502::state::{FLAG_C, FLAG_D, FLAG_I, FLAG_N, FLAG_V, FLAG_Z};

/// Guest registers as the IR sees them (indexed by [`Reg::index`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct IrState {
    /// Register and flag locations.
    pub regs: [u32; Reg::COUNT],
    /// Cycle counter.
    pub cycles: u64,
}

impl IrState {
    /// The IR view of a status byte and registers.
    pub fn from_registers(a: u8, x: u8, y: u8, s: u8, p: u8, cycles: u64) -> Self {
        let mut st = Self {
            regs: [0; Reg::COUNT],
            cycles,
        };
        st.regs[Reg::A.index()] = a.into();
        st.regs[Reg::X.index()] = x.into();
        st.regs[Reg::Y.index()] = y.into();
        st.regs[Reg::S.index()] = s.into();
        st.unpack_p(p);
        st
    }

    /// The 6502 registers this state stands for, continuing at `pc`.
    pub fn to_registers(&self, pc: u16) -> Registers {
        let byte = |r: Reg| self.regs[r.index()] as u8;
        Registers {
            cycles: self.cycles,
            pc,
            a: byte(Reg::A),
            x: byte(Reg::X),
            y: byte(Reg::Y),
            s: byte(Reg::S),
            p: self.p(),
        }
    }

    /// The status byte as the chip keeps it (bit 5 set, B clear).
    pub fn p(&self) -> u8 {
        pack_p(&self.regs) & !0x10
    }

    fn get(&self, r: Reg) -> u32 {
        self.regs[r.index()]
    }

    fn unpack_p(&mut self, p: u8) {
        let p = u32::from(p);
        self.regs[Reg::N.index()] = p & 0x80;
        self.regs[Reg::Z.index()] = !p & 0x02;
        self.regs[Reg::C.index()] = p & 1;
        self.regs[Reg::V.index()] = (p >> 6) & 1;
        self.regs[Reg::I.index()] = (p >> 2) & 1;
        self.regs[Reg::D.index()] = (p >> 3) & 1;
    }
}

/// P as PHP pushes it (B and bit 5 set) from IR flag locations.
pub fn pack_p(regs: &[u32; Reg::COUNT]) -> u8 {
    let flag = |r: Reg, bit: u8| if regs[r.index()] != 0 { bit } else { 0 };
    let n = if regs[Reg::N.index()] & 0x80 != 0 {
        FLAG_N
    } else {
        0
    };
    let z = if regs[Reg::Z.index()] & 0xFF == 0 {
        FLAG_Z
    } else {
        0
    };
    n | z
        | flag(Reg::C, FLAG_C)
        | flag(Reg::V, FLAG_V)
        | flag(Reg::I, FLAG_I)
        | flag(Reg::D, FLAG_D)
        | 0x30
}

/// Runs a helper the way generated code calls it.
pub fn call_helper(helper: Helper, a: u32, b: u32, c: u32) -> u32 {
    use retrojit_core::cpu::z80::alu as z80;
    let (a8, b8, c8) = (a as u8, b as u8, c as u8);
    let decimal = |(result, p): (u8, u8)| u32::from(result) | u32::from(p) << 8;
    let z80_8 = |(result, f): (u8, u8)| u32::from(result) | u32::from(f) << 16;
    let z80_16 = |(result, f): (u16, u8)| u32::from(result) | u32::from(f) << 16;
    match helper {
        Helper::AdcDecimal => decimal(alu::adc_decimal(a8, b8, c8)),
        Helper::SbcDecimal => decimal(alu::sbc_decimal(a8, b8, c8)),
        Helper::ArrDecimal => decimal(alu::arr_decimal(a8, b8, c8)),
        Helper::Z80Alu(op) => z80_8(z80::alu(op, a8, b8, c8)),
        Helper::Z80Inc => z80_8(z80::inc8(a8, b8)),
        Helper::Z80Dec => z80_8(z80::dec8(a8, b8)),
        Helper::Z80Shift(op) => z80_8(z80::shift(op, a8, b8)),
        Helper::Z80RotateA(op) => z80_8(z80::rotate_a(op, a8, b8)),
        Helper::Z80Bit => u32::from(z80::bit(b8, a8, (b >> 8) as u8, c8)) << 16,
        Helper::Z80Daa => z80_8(z80::daa(a8, b8)),
        Helper::Z80Add16 => z80_16(z80::add16(a as u16, b as u16, c8)),
        Helper::Z80Adc16 => z80_16(z80::adc16(a as u16, b as u16, c8)),
        Helper::Z80Sbc16 => z80_16(z80::sbc16(a as u16, b as u16, c8)),
        Helper::Z80BlockIo => {
            let again = (c & 0x100 != 0).then_some(c8);
            z80::block_io_flags(a8, (a >> 8) as u8, b as u16, again).into()
        }
    }
}

/// How an evaluated block ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// The block ran to its exit; the guest continues at `pc`.
    Exit {
        /// Next guest PC.
        pc: u16,
        /// Instructions executed.
        instructions: u16,
    },
    /// An access hit I/O: state is as before the instruction at `pc`.
    SideExit {
        /// The instruction the interpreter must run.
        pc: u16,
        /// Instructions completed before it.
        instructions: u16,
    },
    /// A store hit translated code: state is after the instruction.
    CodeWritten {
        /// Where the guest continues.
        pc: u16,
        /// Instructions executed.
        instructions: u16,
    },
}

/// Evaluates `block` from `state`, reading and writing `memory`; `is_code`
/// says which guest bytes hold translated code.
pub fn eval(
    block: &Block,
    state: &mut IrState,
    memory: &mut MappedMemory,
    is_code: &dyn Fn(u16) -> bool,
) -> Outcome {
    let mut tmps = [0u32; 256];
    let entry_cycles = state.cycles;
    let mut penalties = 0u64;
    // State at the start of the current instruction, where side exits resume.
    let mut insn_start = (*state, block.start, 0u16);
    let value = |op: Operand, state: &IrState, tmps: &[u32; 256]| match op {
        Operand::Reg(r) => state.get(r),
        Operand::Tmp(t) => tmps[usize::from(t.0)],
        Operand::Imm(v) => v,
    };
    let side_exit = |start: (IrState, u16, u16), state: &mut IrState| {
        let (saved, pc, index) = start;
        *state = saved;
        Outcome::SideExit {
            pc,
            instructions: index,
        }
    };
    // Leaving after the instruction at `index` completes it: its cycles are
    // charged and it counts as executed.
    let finish_insn = |index: u16, penalties: u64, state: &mut IrState| {
        state.cycles = entry_cycles + penalties + u64::from(block.cycles_after(index));
        index + 1
    };
    for op in &block.ops {
        let write = |dst: Dst, v: u32, state: &mut IrState, tmps: &mut [u32; 256]| match dst {
            Dst::Reg(r) => state.regs[r.index()] = v,
            Dst::Tmp(t) => tmps[usize::from(t.0)] = v,
        };
        match *op {
            Op::Insn { pc, index, cycles } => {
                let mut at_start = *state;
                at_start.cycles = entry_cycles + penalties + u64::from(cycles);
                insn_start = (at_start, pc, index);
            }
            Op::Mov { dst, src } => write(dst, value(src, state, &tmps), state, &mut tmps),
            Op::Bin { op, dst, a, b } => {
                let v = op.apply(value(a, state, &tmps), value(b, state, &tmps));
                write(dst, v, state, &mut tmps);
            }
            Op::Bit { dst, src, bit } => {
                write(dst, (value(src, state, &tmps) >> bit) & 1, state, &mut tmps)
            }
            Op::Overflow { dst, a, b, r } => {
                let (a, b, r) = (
                    value(a, state, &tmps),
                    value(b, state, &tmps),
                    value(r, state, &tmps),
                );
                write(dst, ((!(a ^ b) & (a ^ r)) >> 7) & 1, state, &mut tmps);
            }
            Op::Lookup { dst, table, index } => {
                let v = table.get(value(index, state, &tmps) as u8);
                write(dst, v.into(), state, &mut tmps);
            }
            Op::PackP { dst } => write(dst, pack_p(&state.regs).into(), state, &mut tmps),
            Op::UnpackP { src } => {
                let p = value(src, state, &tmps) as u8;
                state.unpack_p(p);
            }
            Op::Load { dst, addr } => {
                let a = address(addr, state, &tmps, &value);
                match memory.read(a) {
                    Some(v) => write(dst, v.into(), state, &mut tmps),
                    None => return side_exit(insn_start, state),
                }
            }
            Op::ProbeRead { addr } => {
                if memory.read(value(addr, state, &tmps) as u16).is_none() {
                    return side_exit(insn_start, state);
                }
            }
            Op::ProbeWrite { addr } => {
                let a = value(addr, state, &tmps) as u16;
                let page = memory.pages()[usize::from(a >> 8)];
                if page.write_offset().is_none() || page.read_offset().is_none() {
                    return side_exit(insn_start, state);
                }
            }
            Op::Store { addr, src } => {
                let a = address(addr, state, &tmps, &value);
                let v = value(src, state, &tmps) as u8;
                assert!(memory.write(a, v), "store to ${a:04X} was not probed");
            }
            Op::CodeProbe { addr } => {
                if is_code(value(addr, state, &tmps) as u16) {
                    return side_exit(insn_start, state);
                }
            }
            Op::CodeCheck { addr, resume } => {
                if is_code(value(addr, state, &tmps) as u16) {
                    let instructions = finish_insn(insn_start.2, penalties, state);
                    return Outcome::CodeWritten {
                        pc: resume,
                        instructions,
                    };
                }
            }
            Op::ExitIf { cond, target } => {
                if holds(cond, state) {
                    let instructions = finish_insn(insn_start.2, penalties, state);
                    return Outcome::Exit {
                        pc: target,
                        instructions,
                    };
                }
            }
            // The evaluator models entries with the IRQ line released, where
            // the check never leaves.
            Op::IrqCheck => {}
            Op::Penalty { src } => penalties += u64::from(value(src, state, &tmps)),
            Op::Helper { helper, dst, args } => {
                let [a, m, p] = args.map(|x| value(x, state, &tmps));
                write(dst, call_helper(helper, a, m, p), state, &mut tmps);
            }
            // The evaluator has no port bus: the instruction is left to the
            // interpreter, as any instruction may be.
            Op::PortIn { .. } | Op::PortOut { .. } => return side_exit(insn_start, state),
        }
    }
    let base = entry_cycles + penalties + u64::from(block.cycles);
    let instructions = block.instructions;
    let (pc, extra) = match block.exit {
        Exit::Jump { target, .. } | Exit::Dispatch { target } => (target, 0),
        Exit::Branch {
            cond,
            taken,
            not_taken,
            taken_cycles,
            ..
        } => {
            if holds(cond, state) {
                (taken, u64::from(taken_cycles))
            } else {
                (not_taken, 0)
            }
        }
        Exit::Indirect { target, .. } => (value(target, state, &tmps) as u16, 0),
        Exit::Interpret { pc } => (pc, 0),
    };
    state.cycles = base + extra;
    Outcome::Exit { pc, instructions }
}

/// Whether a branch condition holds.
fn holds(cond: Cond, state: &IrState) -> bool {
    let v = state.get(cond.flag);
    let is_set = match (cond.bit, cond.flag) {
        (Some(bit), _) => v >> bit & 1 != 0,
        (None, Reg::N) => v & 0x80 != 0,
        (None, Reg::Z) => v & 0xFF == 0,
        (None, _) => v != 0,
    };
    is_set == cond.set
}

fn address(
    addr: Addr,
    state: &IrState,
    tmps: &[u32; 256],
    value: &dyn Fn(Operand, &IrState, &[u32; 256]) -> u32,
) -> u16 {
    match addr {
        Addr::Page { page, offset } => {
            u16::from(page) << 8 | (value(offset, state, tmps) as u16 & 0xFF)
        }
        Addr::Dynamic(a) => value(a, state, tmps) as u16,
    }
}
