//! Z80 code to the IR.
//!
//! What an opcode does comes from core's decode tables (`BASE`, `CB`, `ED`,
//! `DD`, `FD`, `DDCB`, `FDCB`), its length from core's disassembler, and
//! its T-states from the interpreter itself: the lifter runs the
//! instruction once on a scratch CPU over a bus that only holds the
//! instruction's bytes (twice for conditional ones, with the condition
//! false and true). No second opcode or timing table exists to drift.
//!
//! Flag arithmetic calls the interpreter's ALU through [`Helper`]s; the
//! result and F come back in one word, and the dead-code pass deletes the
//! F, Q and MEMPTR writes a later instruction overwrites unread.
//!
//! HL and DE are 16-bit locations, as SP and the index registers are: code
//! mostly uses them as pointers, and a pair rebuilt from two bytes costs a
//! shift and an OR at every use. Their halves are read with a shift or a
//! mask and written by merging. B and C, mostly counters, are bytes.
//!
//! Within an instruction the lifter first emits everything that reads
//! (loads, write probes: the ops that may leave the block before the
//! instruction) and queues every register write and store; the queue is
//! flushed at the instruction's end. That gives each instruction the
//! interpreter's all-or-nothing behaviour on a side exit and makes swaps
//! (EX DE,HL, EXX) plain assignments.
//!
//! IN and OUT call the machine's bus from generated code, at the T-state
//! the interpreter's port cycle starts; the bus's wait states are added as
//! they come. An OUT ends its block (a write may remap memory).
//!
//! The INI and OUTI families are lifted as the LDI family is.
//!
//! Not lifted (the block ends before them and the interpreter runs them):
//! interrupt control (DI, EI, IM,
//! RETN, RETI, HALT), LD A,I / LD A,R / LD I,A / LD R,A, repeated index
//! prefixes, and jumps whose operand is self-modified. The LDI and CPI
//! families are lifted, a repeat branching back to itself.

use super::Rewrites;
use crate::ir::MAX_PORT_WAIT_STATES;
use crate::ir::{Addr as IrAddr, BinOp, Block, Cond, Dst, Exit, Helper, MAX_TMPS, Op, Operand};
use crate::ir::{Reg, Table, Tmp, Z80Reg};
use retrojit_core::bus::{BusZ80, MappedMemory};
use retrojit_core::cpu::z80::decode::{
    Addr, AluOp, BASE, Block as BlockInstr, BlockKind, CB, Cond as ZCond, DD, DDCB, ED, FD, FDCB,
    Instr, Loc8, Prefix, Reg8, Reg16, ShiftOp,
};
use retrojit_core::cpu::z80::state::{
    FLAG_C, FLAG_H, FLAG_N, FLAG_PV, FLAG_S, FLAG_X, FLAG_Y, FLAG_Z,
};
use retrojit_core::cpu::z80::{Cpu, disasm};

/// Knobs of the lifter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiftConfig {
    /// Most guest instructions per block.
    pub max_instructions: u16,
    /// Blocks end before an address below this one (the machine's trap
    /// area; the dispatcher stops there).
    pub stop_below: u16,
    /// Blocks end before these addresses (the machine's other traps).
    pub stop_at: [Option<u16>; 2],
}

impl Default for LiftConfig {
    fn default() -> Self {
        Self {
            max_instructions: 64,
            stop_below: 0,
            stop_at: [None; 2],
        }
    }
}

const fn z(r: Z80Reg) -> Operand {
    Operand::Reg(Reg::Z80(r))
}

const fn zd(r: Z80Reg) -> Dst {
    Dst::Reg(Reg::Z80(r))
}

/// One decoded instruction.
#[derive(Clone, Copy, Debug)]
struct Decoded {
    instr: Instr,
    len: u16,
    /// M1 cycles (R increments): 1, or 2 with a prefix.
    fetches: u32,
    /// Address of the displacement byte of an (IX+d) operand.
    disp_at: u16,
    /// Address of the first immediate byte.
    imm_at: u16,
}

fn has_index_operand(instr: &Instr) -> bool {
    let indexed = |loc: &Loc8| matches!(loc, Loc8::Mem(Addr::Ix | Addr::Iy));
    match instr {
        Instr::Ld8 { dst, src } => indexed(dst) || indexed(src),
        Instr::Alu(_, loc) | Instr::Inc8(loc) | Instr::Dec8(loc) => indexed(loc),
        Instr::Shift { loc, .. }
        | Instr::Bit { loc, .. }
        | Instr::Res { loc, .. }
        | Instr::Set { loc, .. } => indexed(loc),
        _ => false,
    }
}

fn decode(memory: &MappedMemory, pc: u16) -> Option<Decoded> {
    let byte = |i: u16| memory.read(pc.wrapping_add(i));
    let len = disasm::disassemble(pc, |a| memory.read(a).unwrap_or(0)).len;
    let (instr, fetches, operands, index_cb) = match BASE[usize::from(byte(0)?)] {
        Instr::Prefix(Prefix::Cb) => (CB[usize::from(byte(1)?)], 2, 2, false),
        Instr::Prefix(Prefix::Ed) => (ED[usize::from(byte(1)?)], 2, 2, false),
        Instr::Prefix(p @ (Prefix::Dd | Prefix::Fd)) => {
            let iy = p == Prefix::Fd;
            match byte(1)? {
                // A second prefix replaces or cancels the first.
                0xDD | 0xFD | 0xED => return None,
                0xCB => {
                    let table = if iy { &FDCB } else { &DDCB };
                    (table[usize::from(byte(3)?)], 2, 2, true)
                }
                op => {
                    let table = if iy { &FD } else { &DD };
                    (table[usize::from(op)], 2, 2, false)
                }
            }
        }
        other => (other, 1, 1, false),
    };
    // Every byte of the instruction must be plain memory.
    for i in 0..len {
        byte(i)?;
    }
    let operands = pc.wrapping_add(operands);
    let disp = index_cb || has_index_operand(&instr);
    Some(Decoded {
        instr,
        len,
        fetches,
        disp_at: operands,
        imm_at: if disp && !index_cb {
            operands.wrapping_add(1)
        } else {
            operands
        },
    })
}

/// A bus holding one instruction's bytes, for timing it on the interpreter.
struct TimingBus {
    pc: u16,
    bytes: [u8; 4],
    /// When the instruction's port cycle started (the bus adds no waits).
    port_at: Option<u64>,
}

impl TimingBus {
    fn byte(&self, addr: u16) -> u8 {
        self.bytes
            .get(usize::from(addr.wrapping_sub(self.pc)))
            .copied()
            .unwrap_or(0)
    }
}

impl BusZ80 for TimingBus {
    fn fetch_opcode(&mut self, addr: u16, _refresh: u16, _now: u64) -> u8 {
        self.byte(addr)
    }
    fn read(&mut self, addr: u16, _now: u64) -> u8 {
        self.byte(addr)
    }
    fn write(&mut self, _addr: u16, _value: u8, _now: u64) {}
    fn port_in(&mut self, _port: u16, now: u64) -> u8 {
        self.port_at = Some(now);
        0xFF
    }
    fn port_out(&mut self, _port: u16, _value: u8, now: u64) {
        self.port_at = Some(now);
    }
}

/// The instruction at `pc`'s bytes.
fn instruction_bytes(memory: &MappedMemory, pc: u16) -> [u8; 4] {
    let mut bytes = [0; 4];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = memory.read(pc.wrapping_add(i as u16)).unwrap_or(0);
    }
    bytes
}

/// T-states from the start of the I/O instruction at `pc` to the start of
/// its port cycle, as the interpreter spends them.
fn port_cycle_at(memory: &MappedMemory, pc: u16) -> Option<u8> {
    let mut bus = TimingBus {
        pc,
        bytes: instruction_bytes(memory, pc),
        port_at: None,
    };
    let mut cpu = Cpu::new();
    cpu.regs.pc = pc;
    cpu.step(&mut bus);
    bus.port_at.and_then(|t| u8::try_from(t).ok())
}

/// T-states of the instruction at `pc` as the interpreter spends them:
/// (condition false, condition true). Flags all clear and all set, with B
/// 1 and 2 for DJNZ, give one outcome each for every condition; BC = 1
/// stops a repeating block instruction, BC = $0100 repeats it.
fn timing(memory: &MappedMemory, pc: u16) -> (u16, u16) {
    let bytes = instruction_bytes(memory, pc);
    let run = |f: u8, b: u8, c: u8| {
        let mut cpu = Cpu::new();
        cpu.regs.pc = pc;
        cpu.regs.f = f;
        cpu.regs.b = b;
        cpu.regs.c = c;
        // Unlike every byte the bus returns off the instruction (0), so
        // CPIR/CPDR repeat whenever BC lets them.
        cpu.regs.a = 0x5A;
        cpu.step(&mut TimingBus {
            pc,
            bytes,
            port_at: None,
        });
        cpu.regs.tstates as u16
    };
    let runs = [run(0x00, 1, 0), run(0xFF, 2, 0), run(0x00, 0, 1)];
    let (min, max) = runs
        .iter()
        .fold((u16::MAX, 0), |(lo, hi), &t| (lo.min(t), hi.max(t)));
    (min, max)
}

/// How an instruction continues.
enum Flow {
    Next,
    End(Exit),
}

/// A queued write, applied at the end of the instruction.
#[derive(Clone, Copy)]
enum Write {
    Reg(Z80Reg, Operand),
    Store(Operand, Operand),
}

struct Lifter<'a> {
    memory: &'a MappedMemory,
    rewrites: &'a dyn Fn(u16) -> Rewrites,
    ops: Vec<Op>,
    next_tmp: u8,
    /// Pairs built by [`Self::pair`] in this instruction, as
    /// `(pair, high, low)`: taking one apart again gives the halves back.
    pairs: Vec<(Operand, Operand, Operand)>,
    writes: Vec<Write>,
    stored: Vec<Operand>,
    flags_written: bool,
    /// The instruction's opcode fetches (R's increment).
    fetches: u32,
    /// Whether [`Self::settle`] counted the instruction already.
    settled: bool,
    /// Whether the instruction went on past [`Self::leave_unless`]: the
    /// rest of it is its taken case, which spends extra T-states.
    conditional: bool,
    immediates: Vec<u16>,
    dynamic_operands: Vec<u16>,
    /// The current instruction's address and the next one's.
    pc: u16,
    next_pc: u16,
}

/// The lifter ran out of temporaries or met something it does not lift.
struct Unliftable;

type Lift<T> = Result<T, Unliftable>;

impl Lifter<'_> {
    fn emit(&mut self, op: Op) {
        self.ops.push(op);
    }

    fn tmp(&mut self) -> Lift<Tmp> {
        if self.next_tmp == MAX_TMPS {
            return Err(Unliftable);
        }
        self.next_tmp += 1;
        Ok(Tmp(self.next_tmp - 1))
    }

    fn bin(&mut self, op: BinOp, a: Operand, b: Operand) -> Lift<Operand> {
        if let (Operand::Imm(x), Operand::Imm(y)) = (a, b) {
            return Ok(Operand::Imm(op.apply(x, y)));
        }
        // x op 0 is x for every operation but AND.
        if b == Operand::Imm(0) && op != BinOp::And {
            return Ok(a);
        }
        let t = self.tmp()?;
        self.emit(Op::Bin {
            op,
            dst: Dst::Tmp(t),
            a,
            b,
        });
        Ok(Operand::Tmp(t))
    }

    fn and(&mut self, a: Operand, mask: u32) -> Lift<Operand> {
        self.bin(BinOp::And, a, Operand::Imm(mask))
    }

    fn add16(&mut self, a: Operand, k: u32) -> Lift<Operand> {
        let sum = self.bin(BinOp::Add, a, Operand::Imm(k))?;
        self.and(sum, 0xFFFF)
    }

    fn built_pair(&self, v: Operand) -> Option<(Operand, Operand)> {
        self.pairs
            .iter()
            .find(|(pair, ..)| *pair == v)
            .map(|&(_, high, low)| (high, low))
    }

    fn low(&mut self, v: Operand) -> Lift<Operand> {
        match self.built_pair(v) {
            Some((_, low)) => Ok(low),
            None => self.and(v, 0xFF),
        }
    }

    fn high(&mut self, v: Operand) -> Lift<Operand> {
        match self.built_pair(v) {
            Some((high, _)) => Ok(high),
            None => self.bin(BinOp::Shr, v, Operand::Imm(8)),
        }
    }

    /// `high << 8 | low` of two bytes.
    fn pair(&mut self, high: Operand, low: Operand) -> Lift<Operand> {
        let shifted = self.bin(BinOp::Shl, high, Operand::Imm(8))?;
        let pair = self.bin(BinOp::Or, shifted, low)?;
        self.pairs.push((pair, high, low));
        Ok(pair)
    }

    fn helper(&mut self, helper: Helper, args: [Operand; 3]) -> Lift<Operand> {
        let t = self.tmp()?;
        self.emit(Op::Helper {
            helper,
            dst: Dst::Tmp(t),
            args,
        });
        Ok(Operand::Tmp(t))
    }

    /// The result byte and flags of a helper's `result | f << 16`.
    fn split(&mut self, word: Operand) -> Lift<(Operand, Operand)> {
        let result = self.low(word)?;
        let flags = self.bin(BinOp::Shr, word, Operand::Imm(16))?;
        Ok((result, flags))
    }

    /// `v` as it is now: a register is copied to a temporary.
    fn copy(&mut self, v: Operand) -> Lift<Operand> {
        Ok(match v {
            Operand::Reg(_) => {
                let t = self.tmp()?;
                self.emit(Op::Mov {
                    dst: Dst::Tmp(t),
                    src: v,
                });
                Operand::Tmp(t)
            }
            other => other,
        })
    }

    /// Queues `r = v`. A register source is copied now, so the queue
    /// behaves as a parallel assignment.
    fn set(&mut self, r: Z80Reg, v: Operand) -> Lift<()> {
        let v = self.copy(v)?;
        self.writes.push(Write::Reg(r, v));
        Ok(())
    }

    fn set_flags(&mut self, f: Operand) -> Lift<()> {
        self.flags_written = true;
        self.set(Z80Reg::F, f)
    }

    fn load(&mut self, addr: Operand) -> Lift<Operand> {
        let t = self.tmp()?;
        self.emit(Op::Load {
            dst: Dst::Tmp(t),
            addr: IrAddr::Dynamic(addr),
        });
        Ok(Operand::Tmp(t))
    }

    /// Probes the write now, queues the store.
    fn store(&mut self, addr: Operand, v: Operand) {
        self.emit(Op::ProbeWrite { addr });
        self.writes.push(Write::Store(addr, v));
        self.stored.push(addr);
    }

    /// Stores at once, to an address already probed, once nothing can
    /// leave before the instruction's end.
    fn store_now(&mut self, addr: Operand, v: Operand) {
        self.emit(Op::Store {
            addr: IrAddr::Dynamic(addr),
            src: v,
        });
        self.stored.push(addr);
    }

    /// An immediate byte: a constant, or read when the code runs if the
    /// guest has rewritten it before.
    fn imm8(&mut self, at: u16) -> Lift<Operand> {
        if (self.rewrites)(at) == Rewrites::Operand {
            self.dynamic_operands.push(at);
            let t = self.tmp()?;
            self.emit(Op::Load {
                dst: Dst::Tmp(t),
                addr: IrAddr::Page {
                    page: (at >> 8) as u8,
                    offset: Operand::Imm(u32::from(at & 0xFF)),
                },
            });
            Ok(Operand::Tmp(t))
        } else {
            self.immediates.push(at);
            Ok(Operand::Imm(u32::from(self.memory.read(at).unwrap_or(0))))
        }
    }

    fn imm16(&mut self, at: u16) -> Lift<Operand> {
        let lo = self.imm8(at)?;
        let hi = self.imm8(at.wrapping_add(1))?;
        self.pair(hi, lo)
    }

    /// A 16-bit operand that must be a constant (a jump target).
    fn const16(&mut self, at: u16) -> Lift<u16> {
        match self.imm16(at)? {
            Operand::Imm(v) => Ok(v as u16),
            _ => Err(Unliftable),
        }
    }

    fn get8(&mut self, r: Reg8) -> Lift<Operand> {
        Ok(match r {
            Reg8::B => z(Z80Reg::B),
            Reg8::C => z(Z80Reg::C),
            Reg8::A => z(Z80Reg::A),
            Reg8::D => self.high(z(Z80Reg::De))?,
            Reg8::E => self.low(z(Z80Reg::De))?,
            Reg8::H => self.high(z(Z80Reg::Hl))?,
            Reg8::L => self.low(z(Z80Reg::Hl))?,
            Reg8::Ixh => self.high(z(Z80Reg::Ix))?,
            Reg8::Ixl => self.low(z(Z80Reg::Ix))?,
            Reg8::Iyh => self.high(z(Z80Reg::Iy))?,
            Reg8::Iyl => self.low(z(Z80Reg::Iy))?,
        })
    }

    fn set8(&mut self, r: Reg8, v: Operand) -> Lift<()> {
        let (index, high) = match r {
            Reg8::B => return self.set(Z80Reg::B, v),
            Reg8::C => return self.set(Z80Reg::C, v),
            Reg8::A => return self.set(Z80Reg::A, v),
            Reg8::D => (Z80Reg::De, true),
            Reg8::E => (Z80Reg::De, false),
            Reg8::H => (Z80Reg::Hl, true),
            Reg8::L => (Z80Reg::Hl, false),
            Reg8::Ixh => (Z80Reg::Ix, true),
            Reg8::Ixl => (Z80Reg::Ix, false),
            Reg8::Iyh => (Z80Reg::Iy, true),
            Reg8::Iyl => (Z80Reg::Iy, false),
        };
        // The other half comes from the pair's queued value when the
        // instruction already wrote it, else from the register.
        let current = self
            .writes
            .iter()
            .rev()
            .find_map(|w| match *w {
                Write::Reg(r, v) if r == index => Some(v),
                _ => None,
            })
            .unwrap_or(z(index));
        let value = if high {
            let kept = self.and(current, 0x00FF)?;
            let moved = self.bin(BinOp::Shl, v, Operand::Imm(8))?;
            self.bin(BinOp::Or, kept, moved)?
        } else {
            let kept = self.and(current, 0xFF00)?;
            self.bin(BinOp::Or, kept, v)?
        };
        self.set(index, value)
    }

    /// The two 8-bit locations of a pair held as bytes (BC, whose halves
    /// are mostly counters, and AF).
    fn halves(r: Reg16) -> Option<(Z80Reg, Z80Reg)> {
        Some(match r {
            Reg16::Bc => (Z80Reg::B, Z80Reg::C),
            Reg16::Af => (Z80Reg::A, Z80Reg::F),
            Reg16::De | Reg16::Hl | Reg16::Sp | Reg16::Ix | Reg16::Iy => return None,
        })
    }

    /// The 16-bit location of a pair held whole.
    fn wide(r: Reg16) -> Z80Reg {
        match r {
            Reg16::De => Z80Reg::De,
            Reg16::Hl => Z80Reg::Hl,
            Reg16::Sp => Z80Reg::Sp,
            Reg16::Ix => Z80Reg::Ix,
            Reg16::Iy => Z80Reg::Iy,
            Reg16::Bc | Reg16::Af => unreachable!("{r:?} is held as two bytes"),
        }
    }

    fn get16(&mut self, r: Reg16) -> Lift<Operand> {
        match Self::halves(r) {
            Some((hi, lo)) => self.pair(z(hi), z(lo)),
            None => Ok(z(Self::wide(r))),
        }
    }

    fn set16(&mut self, r: Reg16, v: Operand) -> Lift<()> {
        match Self::halves(r) {
            Some((hi, lo)) => {
                let h = self.high(v)?;
                let l = self.low(v)?;
                self.set(hi, h)?;
                self.set(lo, l)
            }
            None => self.set(Self::wide(r), v),
        }
    }

    /// A memory operand's address. (IX+d) also sets MEMPTR.
    fn address(&mut self, kind: Addr, d: &Decoded) -> Lift<Operand> {
        match kind {
            Addr::Bc => self.get16(Reg16::Bc),
            Addr::De => self.get16(Reg16::De),
            Addr::Hl => self.get16(Reg16::Hl),
            Addr::Abs => self.imm16(d.imm_at),
            Addr::Ix | Addr::Iy => {
                let base = z(if kind == Addr::Ix {
                    Z80Reg::Ix
                } else {
                    Z80Reg::Iy
                });
                let disp = match self.imm8(d.disp_at)? {
                    Operand::Imm(v) => Operand::Imm(v as u8 as i8 as i32 as u32),
                    dynamic => {
                        // Sign-extend at run time: (d ^ 0x80) - 0x80.
                        let flipped = self.bin(BinOp::Xor, dynamic, Operand::Imm(0x80))?;
                        self.bin(BinOp::Sub, flipped, Operand::Imm(0x80))?
                    }
                };
                let sum = self.bin(BinOp::Add, base, disp)?;
                let addr = self.and(sum, 0xFFFF)?;
                self.set(Z80Reg::Wz, addr)?;
                Ok(addr)
            }
        }
    }

    /// Reads an 8-bit operand; for memory also returns the address.
    fn read8(&mut self, loc: Loc8, d: &Decoded) -> Lift<(Operand, Option<Operand>)> {
        Ok(match loc {
            Loc8::Reg(r) => (self.get8(r)?, None),
            Loc8::Imm => (self.imm8(d.imm_at)?, None),
            Loc8::Mem(kind) => {
                let addr = self.address(kind, d)?;
                (self.load(addr)?, Some(addr))
            }
        })
    }

    /// Writes back a read-modify-write result.
    fn write8(&mut self, loc: Loc8, addr: Option<Operand>, v: Operand) -> Lift<()> {
        match (loc, addr) {
            (Loc8::Reg(r), _) => self.set8(r, v),
            (_, Some(addr)) => {
                self.store(addr, v);
                Ok(())
            }
            _ => Err(Unliftable),
        }
    }

    fn push(&mut self, v: Operand) -> Lift<()> {
        let high_at = self.add16(z(Z80Reg::Sp), 0xFFFF)?;
        let low_at = self.add16(z(Z80Reg::Sp), 0xFFFE)?;
        let hi = self.high(v)?;
        let lo = self.low(v)?;
        self.store(high_at, hi);
        self.store(low_at, lo);
        self.set(Z80Reg::Sp, low_at)
    }

    fn pop(&mut self) -> Lift<Operand> {
        let lo = self.load(z(Z80Reg::Sp))?;
        let high_at = self.add16(z(Z80Reg::Sp), 1)?;
        let hi = self.load(high_at)?;
        let sp = self.add16(z(Z80Reg::Sp), 2)?;
        self.set(Z80Reg::Sp, sp)?;
        self.pair(hi, lo)
    }

    /// `cond` as a test of F's bit in place.
    fn flag_test(cond: ZCond) -> Cond {
        let (bit, set) = match cond {
            ZCond::Nz => (6, false),
            ZCond::Z => (6, true),
            ZCond::Nc => (0, false),
            ZCond::C => (0, true),
            ZCond::Po => (2, false),
            ZCond::Pe => (2, true),
            ZCond::P => (7, false),
            ZCond::M => (7, true),
        };
        Cond {
            flag: Reg::Z80(Z80Reg::F),
            bit: Some(bit),
            set,
        }
    }

    /// 0/1: F's bit that `cond` tests, and whether the condition is that
    /// bit set.
    fn condition(&mut self, cond: ZCond) -> Lift<(Operand, bool)> {
        let test = Self::flag_test(cond);
        let t = self.tmp()?;
        self.emit(Op::Bit {
            dst: Dst::Tmp(t),
            src: z(Z80Reg::F),
            bit: test.bit.unwrap_or(0),
        });
        Ok((Operand::Tmp(t), test.set))
    }

    /// 1 when `bit` (0/1) equals `when`, else 0.
    fn equals(&mut self, bit: Operand, when: bool) -> Lift<Operand> {
        if when {
            Ok(bit)
        } else {
            self.bin(BinOp::Xor, bit, Operand::Imm(1))
        }
    }

    /// `mask` is all ones when `taken`: `if taken { new } else { old }`.
    fn select(&mut self, mask: Operand, new: Operand, old: Operand) -> Lift<Operand> {
        let diff = self.bin(BinOp::Xor, old, new)?;
        let picked = self.bin(BinOp::And, diff, mask)?;
        self.bin(BinOp::Xor, old, picked)
    }

    /// All ones when `bit` (0/1) equals `when`, else zero.
    fn mask(&mut self, bit: Operand, when: bool) -> Lift<Operand> {
        let truth = self.equals(bit, when)?;
        self.bin(BinOp::Sub, Operand::Imm(0), truth)
    }

    fn relative(&mut self, d: &Decoded) -> Lift<u16> {
        match self.imm8(d.imm_at)? {
            Operand::Imm(e) => Ok(self.next_pc.wrapping_add_signed(i16::from(e as u8 as i8))),
            _ => Err(Unliftable),
        }
    }

    /// Applies the queued writes.
    fn flush(&mut self) {
        for write in std::mem::take(&mut self.writes) {
            match write {
                Write::Reg(r, v) => self.emit(Op::Mov { dst: zd(r), src: v }),
                Write::Store(addr, v) => self.emit(Op::Store {
                    addr: IrAddr::Dynamic(addr),
                    src: v,
                }),
            }
        }
    }

    /// The instruction's semantics; `taken_extra` is the conditional
    /// T-states the interpreter spends when the condition holds.
    fn instruction(&mut self, d: &Decoded, taken_extra: u16) -> Lift<Flow> {
        let next = self.next_pc;
        let a = z(Z80Reg::A);
        let f = z(Z80Reg::F);
        match d.instr {
            Instr::Nop | Instr::EdNop => {}
            Instr::Ld8 { dst, src } => {
                let (v, src_addr) = self.read8(src, d)?;
                if let (Some(addr), Loc8::Mem(Addr::Bc | Addr::De | Addr::Abs)) = (src_addr, src) {
                    let wz = self.add16(addr, 1)?;
                    self.set(Z80Reg::Wz, wz)?;
                }
                match dst {
                    Loc8::Reg(r) => self.set8(r, v)?,
                    Loc8::Mem(kind) => {
                        let addr = self.address(kind, d)?;
                        self.store(addr, v);
                        if matches!(kind, Addr::Bc | Addr::De | Addr::Abs) {
                            let next_addr = self.add16(addr, 1)?;
                            let low = self.low(next_addr)?;
                            let wz = self.pair(v, low)?;
                            self.set(Z80Reg::Wz, wz)?;
                        }
                    }
                    Loc8::Imm => return Err(Unliftable),
                }
            }
            Instr::Ld16Imm(r) => {
                let v = self.imm16(d.imm_at)?;
                self.set16(r, v)?;
            }
            Instr::Ld16Store(r) => {
                let addr = self.imm16(d.imm_at)?;
                let v = self.get16(r)?;
                let next_addr = self.add16(addr, 1)?;
                let lo = self.low(v)?;
                let hi = self.high(v)?;
                self.store(addr, lo);
                self.store(next_addr, hi);
                self.set(Z80Reg::Wz, next_addr)?;
            }
            Instr::Ld16Load(r) => {
                let addr = self.imm16(d.imm_at)?;
                let next_addr = self.add16(addr, 1)?;
                let lo = self.load(addr)?;
                let hi = self.load(next_addr)?;
                let v = self.pair(hi, lo)?;
                self.set16(r, v)?;
                self.set(Z80Reg::Wz, next_addr)?;
            }
            Instr::LdSp(r) => {
                let v = self.get16(r)?;
                self.set(Z80Reg::Sp, v)?;
            }
            Instr::Push(r) => {
                let v = self.get16(r)?;
                self.push(v)?;
            }
            Instr::Pop(r) => {
                let v = self.pop()?;
                self.set16(r, v)?;
            }
            Instr::ExSp(r) => {
                // Both writes are probed first; after that nothing can
                // leave, so the stores go out at once and free their
                // temporaries (x86-64 has few to spare).
                let sp = z(Z80Reg::Sp);
                let high_at = self.add16(sp, 1)?;
                let lo = self.load(sp)?;
                let hi = self.load(high_at)?;
                self.emit(Op::ProbeWrite { addr: high_at });
                self.emit(Op::ProbeWrite { addr: sp });
                let old = self.get16(r)?;
                let old_hi = self.high(old)?;
                self.store_now(high_at, old_hi);
                let old_lo = self.low(old)?;
                self.store_now(sp, old_lo);
                let v = self.pair(hi, lo)?;
                self.set16(r, v)?;
                self.set(Z80Reg::Wz, v)?;
            }
            Instr::Rrd | Instr::Rld => {
                use BinOp::{Or, Shl, Shr};
                let hl = self.get16(Reg16::Hl)?;
                let v = self.load(hl)?;
                // RRD rotates the three nibbles A.low, (HL).high, (HL).low
                // right, RLD left: the byte stored first, then A.
                let byte = if d.instr == Instr::Rrd {
                    let a_low = self.and(a, 0x0F)?;
                    let up = self.bin(Shl, a_low, Operand::Imm(4))?;
                    let down = self.bin(Shr, v, Operand::Imm(4))?;
                    self.bin(Or, up, down)?
                } else {
                    let v_low = self.and(v, 0x0F)?;
                    let up = self.bin(Shl, v_low, Operand::Imm(4))?;
                    let a_low = self.and(a, 0x0F)?;
                    self.bin(Or, up, a_low)?
                };
                // The probe was the last way out: the store goes now.
                self.emit(Op::ProbeWrite { addr: hl });
                self.store_now(hl, byte);
                let kept = if d.instr == Instr::Rrd {
                    self.and(v, 0x0F)?
                } else {
                    self.bin(Shr, v, Operand::Imm(4))?
                };
                let a_high = self.and(a, 0xF0)?;
                let acc = self.bin(Or, a_high, kept)?;
                let sz = self.lookup(Table::Sz53p, acc)?;
                let carry = self.and(f, FLAG_C.into())?;
                let flags = self.bin(Or, sz, carry)?;
                self.set(Z80Reg::A, acc)?;
                self.set_flags(flags)?;
                self.flush();
                let wz = self.add16(hl, 1)?;
                self.set(Z80Reg::Wz, wz)?;
            }
            Instr::ExAf => {
                let af = self.pair(a, f)?;
                let alt = z(Z80Reg::AfAlt);
                self.set16(Reg16::Af, alt)?;
                self.set(Z80Reg::AfAlt, af)?;
            }
            Instr::Exx => {
                for (r, alt) in [
                    (Reg16::Bc, Z80Reg::BcAlt),
                    (Reg16::De, Z80Reg::DeAlt),
                    (Reg16::Hl, Z80Reg::HlAlt),
                ] {
                    // Nothing can leave: each swap is written at once,
                    // so no more than one pair's temporaries are live.
                    let current = self.get16(r)?;
                    let current = self.copy(current)?;
                    match Self::halves(r) {
                        Some((hi, lo)) => {
                            let h = self.high(z(alt))?;
                            let l = self.low(z(alt))?;
                            self.put(hi, h);
                            self.put(lo, l);
                        }
                        None => self.put(Self::wide(r), z(alt)),
                    }
                    self.put(alt, current);
                }
            }
            Instr::ExDeHl => {
                self.set(Z80Reg::De, z(Z80Reg::Hl))?;
                self.set(Z80Reg::Hl, z(Z80Reg::De))?;
            }
            Instr::Alu(op, loc) => {
                let (v, _) = self.read8(loc, d)?;
                // The operand's load was the last way out of the
                // instruction: (IX+d)'s MEMPTR can be written now, which
                // frees its temporary for the flags.
                self.flush();
                let (result, flags) = self.alu8(op, a, v, f)?;
                if op != AluOp::Cp {
                    self.set(Z80Reg::A, result)?;
                }
                self.set_flags(flags)?;
            }
            Instr::Inc8(loc) | Instr::Dec8(loc) => {
                let (step, table) = if matches!(d.instr, Instr::Inc8(_)) {
                    (1, Table::Z80Inc)
                } else {
                    (0xFF, Table::Z80Dec)
                };
                let (v, addr) = self.read8(loc, d)?;
                let sum = self.bin(BinOp::Add, v, Operand::Imm(step))?;
                let result = self.low(sum)?;
                // Every flag but C depends on the result alone.
                let others = self.lookup(table, result)?;
                let carry = self.and(f, u32::from(FLAG_C))?;
                let flags = self.bin(BinOp::Or, others, carry)?;
                self.write8(loc, addr, result)?;
                self.set_flags(flags)?;
            }
            Instr::Inc16(r) | Instr::Dec16(r) => {
                let k = if matches!(d.instr, Instr::Inc16(_)) {
                    1
                } else {
                    0xFFFF
                };
                let v = self.get16(r)?;
                let v = self.add16(v, k)?;
                self.set16(r, v)?;
            }
            Instr::Add16(dst, src) => {
                let x = self.get16(dst)?;
                let y = self.get16(src)?;
                let wz = self.add16(x, 1)?;
                let (result, flags) = self.add16_flags(x, y, f)?;
                self.set16(dst, result)?;
                self.set_flags(flags)?;
                self.set(Z80Reg::Wz, wz)?;
            }
            Instr::Adc16(src) | Instr::Sbc16(src) => {
                let helper = if matches!(d.instr, Instr::Adc16(_)) {
                    Helper::Z80Adc16
                } else {
                    Helper::Z80Sbc16
                };
                let hl = self.get16(Reg16::Hl)?;
                let v = self.get16(src)?;
                let wz = self.add16(hl, 1)?;
                let word = self.helper(helper, [hl, v, f])?;
                self.wide_result(Reg16::Hl, word)?;
                self.set(Z80Reg::Wz, wz)?;
            }
            Instr::RotateA(op) => {
                // S, Z and P/V stay; X and Y come from the new A.
                let (result, carry) = self.rotate8(op, a, f)?;
                let kept = self.and(f, u32::from(FLAG_S | FLAG_Z | FLAG_PV))?;
                let flags = self.bin(BinOp::Or, kept, carry)?;
                let xy = self.and(result, u32::from(FLAG_X | FLAG_Y))?;
                let flags = self.bin(BinOp::Or, flags, xy)?;
                self.set(Z80Reg::A, result)?;
                self.set_flags(flags)?;
            }
            Instr::Daa => self.accumulator_helper(Helper::Z80Daa)?,
            Instr::Neg => {
                let (result, flags) = self.alu8(AluOp::Sub, Operand::Imm(0), a, f)?;
                self.set(Z80Reg::A, result)?;
                self.set_flags(flags)?;
            }
            Instr::Cpl => {
                let inverted = self.bin(BinOp::Xor, a, Operand::Imm(0xFF))?;
                let kept = self.and(f, 0xC5)?;
                let xy = self.and(inverted, 0x28)?;
                let merged = self.bin(BinOp::Or, kept, xy)?;
                let flags = self.bin(BinOp::Or, merged, Operand::Imm(0x12))?;
                self.set(Z80Reg::A, inverted)?;
                self.set_flags(flags)?;
            }
            Instr::Scf | Instr::Ccf => {
                // X/Y from (Q ^ F) | A, as the interpreter takes them.
                let qf = self.bin(BinOp::Xor, z(Z80Reg::Q), f)?;
                let qfa = self.bin(BinOp::Or, qf, a)?;
                let xy = self.and(qfa, 0x28)?;
                let kept = self.and(f, 0xC4)?;
                let base = self.bin(BinOp::Or, kept, xy)?;
                let flags = if d.instr == Instr::Scf {
                    self.bin(BinOp::Or, base, Operand::Imm(1))?
                } else {
                    // H = old C, C = !old C.
                    let carry = self.and(f, 1)?;
                    let half = self.bin(BinOp::Shl, carry, Operand::Imm(4))?;
                    let flipped = self.bin(BinOp::Xor, carry, Operand::Imm(1))?;
                    let both = self.bin(BinOp::Or, half, flipped)?;
                    self.bin(BinOp::Or, base, both)?
                };
                self.set_flags(flags)?;
            }
            Instr::Jp => {
                let target = self.const16(d.imm_at)?;
                self.set(Z80Reg::Wz, Operand::Imm(target.into()))?;
                return Ok(Flow::End(Exit::Jump {
                    target,
                    from: self.pc,
                }));
            }
            Instr::JpCc(c) => {
                let target = self.const16(d.imm_at)?;
                self.set(Z80Reg::Wz, Operand::Imm(target.into()))?;
                return self.branch(Self::flag_test(c), target, 0);
            }
            Instr::JpInd(r) => {
                let target = self.get16(r)?;
                return Ok(Flow::End(Exit::Indirect {
                    target,
                    from: self.pc,
                }));
            }
            Instr::Jr => {
                let target = self.relative(d)?;
                self.set(Z80Reg::Wz, Operand::Imm(target.into()))?;
                return Ok(Flow::End(Exit::Jump {
                    target,
                    from: self.pc,
                }));
            }
            Instr::JrCc(c) => {
                let target = self.relative(d)?;
                let (bit, set) = self.condition(c)?;
                let mask = self.mask(bit, set)?;
                let wz = self.select(mask, Operand::Imm(target.into()), z(Z80Reg::Wz))?;
                self.set(Z80Reg::Wz, wz)?;
                return self.branch(Self::flag_test(c), target, taken_extra);
            }
            Instr::Djnz => {
                let target = self.relative(d)?;
                let dec = self.bin(BinOp::Sub, z(Z80Reg::B), Operand::Imm(1))?;
                let b = self.low(dec)?;
                // 1 when the new B is not zero.
                let biased = self.bin(BinOp::Add, b, Operand::Imm(0xFF))?;
                let nonzero = self.bin(BinOp::Shr, biased, Operand::Imm(8))?;
                let mask = self.mask(nonzero, true)?;
                let wz = self.select(mask, Operand::Imm(target.into()), z(Z80Reg::Wz))?;
                self.set(Z80Reg::Wz, wz)?;
                self.set(Z80Reg::B, b)?;
                return self.branch(Self::nonzero(Z80Reg::B), target, taken_extra);
            }
            Instr::Call => {
                let target = self.const16(d.imm_at)?;
                self.push(Operand::Imm(next.into()))?;
                self.set(Z80Reg::Wz, Operand::Imm(target.into()))?;
                return Ok(Flow::End(Exit::Jump {
                    target,
                    from: self.pc,
                }));
            }
            Instr::Block(
                b @ BlockInstr {
                    kind: BlockKind::Ld,
                    ..
                },
            ) => return self.block_load(b, taken_extra),
            Instr::Block(
                b @ BlockInstr {
                    kind: BlockKind::Cp,
                    ..
                },
            ) => return self.block_compare(b, taken_extra),
            Instr::Block(
                b @ BlockInstr {
                    kind: BlockKind::In | BlockKind::Out,
                    ..
                },
            ) => return self.block_io(b, taken_extra),
            Instr::CallCc(c) => {
                let target = self.const16(d.imm_at)?;
                return self.call_conditional(c, target);
            }
            Instr::Rst(target) => {
                self.push(Operand::Imm(next.into()))?;
                self.set(Z80Reg::Wz, Operand::Imm(target.into()))?;
                return Ok(Flow::End(Exit::Jump {
                    target: target.into(),
                    from: self.pc,
                }));
            }
            Instr::Ret => {
                let target = self.pop()?;
                self.set(Z80Reg::Wz, target)?;
                return Ok(Flow::End(Exit::Indirect {
                    target,
                    from: self.pc,
                }));
            }
            Instr::RetCc(c) => {
                // The pops are read first (I/O leaves before the
                // instruction, whichever way it goes); a failed condition
                // then leaves the block.
                let sp = z(Z80Reg::Sp);
                let lo = self.load(sp)?;
                let high_at = self.add16(sp, 1)?;
                let hi = self.load(high_at)?;
                self.leave_unless(Self::flag_test(c));
                let target = self.pair(hi, lo)?;
                let sp = self.add16(sp, 2)?;
                self.set(Z80Reg::Wz, target)?;
                self.set(Z80Reg::Sp, sp)?;
                return Ok(Flow::End(Exit::Indirect {
                    target,
                    from: self.pc,
                }));
            }
            Instr::Shift { op, loc, copy } => {
                let (v, addr) = self.read8(loc, d)?;
                let (result, carry) = self.rotate8(op, v, f)?;
                let sz = self.lookup(Table::Sz53p, result)?;
                let flags = self.bin(BinOp::Or, sz, carry)?;
                self.write8(loc, addr, result)?;
                self.set_flags(flags)?;
                if let Some(r) = copy {
                    self.copy_result(r, result)?;
                }
            }
            Instr::Bit { bit, loc } => {
                let (v, addr) = self.read8(loc, d)?;
                // X/Y leak from the operand (registers), MEMPTR's high byte
                // ((HL)) or the indexed address's ((IX+d), which is MEMPTR).
                let xy_source = match (loc, addr) {
                    (Loc8::Mem(Addr::Hl), _) => self.high(z(Z80Reg::Wz))?,
                    (_, Some(addr)) => self.high(addr)?,
                    _ => v,
                };
                // The tested bit alone: S is its bit 7; Z and P/V are set
                // when it is clear (a lone bit has odd parity).
                let tested = self.and(v, 1 << bit)?;
                let sz = self.lookup(Table::Sz53p, tested)?;
                let flags = self.and(sz, u32::from(FLAG_S | FLAG_Z | FLAG_PV))?;
                let xy = self.and(xy_source, u32::from(FLAG_X | FLAG_Y))?;
                let flags = self.bin(BinOp::Or, flags, xy)?;
                let carry = self.and(f, FLAG_C.into())?;
                let flags = self.bin(BinOp::Or, flags, carry)?;
                let flags = self.bin(BinOp::Or, flags, Operand::Imm(FLAG_H.into()))?;
                self.set_flags(flags)?;
            }
            Instr::InAImm => {
                let n = self.imm8(d.imm_at)?;
                let port = self.pair(a, n)?;
                let v = self.port_in(port)?;
                self.set(Z80Reg::A, v)?;
                let wz = self.add16(port, 1)?;
                self.set(Z80Reg::Wz, wz)?;
            }
            Instr::InC(r) => {
                let bc = self.get16(Reg16::Bc)?;
                let v = self.port_in(bc)?;
                let wz = self.add16(bc, 1)?;
                self.set(Z80Reg::Wz, wz)?;
                let sz = self.lookup(Table::Sz53p, v)?;
                let carry = self.and(f, FLAG_C.into())?;
                let flags = self.bin(BinOp::Or, sz, carry)?;
                self.set_flags(flags)?;
                if let Some(r) = r {
                    self.set8(r, v)?;
                }
            }
            Instr::OutImmA => {
                let n = self.imm8(d.imm_at)?;
                let port = self.pair(a, n)?;
                self.port_out(port, a)?;
                let n1 = self.bin(BinOp::Add, n, Operand::Imm(1))?;
                let n1 = self.and(n1, 0xFF)?;
                let wz = self.pair(a, n1)?;
                self.set(Z80Reg::Wz, wz)?;
                return Ok(self.end_after_port_write());
            }
            Instr::OutC(r) => {
                let bc = self.get16(Reg16::Bc)?;
                // ED 71 writes 0 (NMOS).
                let v = match r {
                    Some(r) => self.get8(r)?,
                    None => Operand::Imm(0),
                };
                self.port_out(bc, v)?;
                let wz = self.add16(bc, 1)?;
                self.set(Z80Reg::Wz, wz)?;
                return Ok(self.end_after_port_write());
            }
            Instr::Res { bit, loc, copy } | Instr::Set { bit, loc, copy } => {
                let (v, addr) = self.read8(loc, d)?;
                let result = if matches!(d.instr, Instr::Res { .. }) {
                    self.and(v, !(1u32 << bit) & 0xFF)?
                } else {
                    self.bin(BinOp::Or, v, Operand::Imm(1 << bit))?
                };
                self.write8(loc, addr, result)?;
                if let Some(r) = copy {
                    self.copy_result(r, result)?;
                }
            }
            _ => return Err(Unliftable),
        }
        Ok(Flow::Next)
    }

    /// A port read cycle on `port`, at the T-state the interpreter runs
    /// it. Emitted after everything that may leave the block: the cycle
    /// cannot be taken back.
    fn port_in(&mut self, port: Operand) -> Lift<Operand> {
        let at = port_cycle_at(self.memory, self.pc).ok_or(Unliftable)?;
        let t = self.tmp()?;
        self.emit(Op::PortIn {
            dst: Dst::Tmp(t),
            port,
            at,
        });
        Ok(Operand::Tmp(t))
    }

    /// A port write cycle, as [`Self::port_in`].
    fn port_out(&mut self, port: Operand, v: Operand) -> Lift<()> {
        let at = port_cycle_at(self.memory, self.pc).ok_or(Unliftable)?;
        self.emit(Op::PortOut { port, src: v, at });
        Ok(())
    }

    /// A port write ends the block: it may remap memory, and the next
    /// block's code is looked up (and its mapping checked) afresh.
    fn end_after_port_write(&self) -> Flow {
        Flow::End(Exit::Jump {
            target: self.next_pc,
            from: self.pc,
        })
    }

    /// The undocumented DDCB/FDCB copy of a result written to (IX+d) into
    /// register `r`. The store's probe was the last way out, so the queued
    /// writes go now: that frees temporaries for merging a byte into a pair.
    fn copy_result(&mut self, r: Reg8, result: Operand) -> Lift<()> {
        self.flush();
        self.set8(r, result)
    }

    /// CALL cc: the stack writes are probed first (I/O leaves before the
    /// instruction, whichever way it goes); a failed condition then leaves
    /// the block with MEMPTR set, and the taken call pushes and jumps.
    fn call_conditional(&mut self, c: ZCond, target: u16) -> Lift<Flow> {
        let high_at = self.add16(z(Z80Reg::Sp), 0xFFFF)?;
        let low_at = self.add16(z(Z80Reg::Sp), 0xFFFE)?;
        self.emit(Op::ProbeWrite { addr: high_at });
        self.emit(Op::ProbeWrite { addr: low_at });
        self.set(Z80Reg::Wz, Operand::Imm(target.into()))?;
        self.leave_unless(Self::flag_test(c));
        let [ret_lo, ret_hi] = self.next_pc.to_le_bytes();
        self.store_now(high_at, Operand::Imm(ret_hi.into()));
        self.store_now(low_at, Operand::Imm(ret_lo.into()));
        self.set(Z80Reg::Sp, low_at)?;
        Ok(Flow::End(Exit::Jump {
            target,
            from: self.pc,
        }))
    }

    /// Applies the queued writes and, the first time, counts the
    /// instruction: R's increment and Q.
    fn settle(&mut self) {
        self.flush();
        if self.settled {
            return;
        }
        self.settled = true;
        self.emit(Op::Bin {
            op: BinOp::Add,
            dst: zd(Z80Reg::R),
            a: z(Z80Reg::R),
            b: Operand::Imm(self.fetches),
        });
        let q = if self.flags_written {
            z(Z80Reg::F)
        } else {
            Operand::Imm(0)
        };
        self.emit(Op::Mov {
            dst: zd(Z80Reg::Q),
            src: q,
        });
    }

    /// Completes the instruction as it is when `taken` fails and leaves
    /// the block to the next instruction then; what follows is the taken
    /// case only. Every way out before the instruction (loads, probes) must
    /// come before this, and the instruction must not write F before it.
    fn leave_unless(&mut self, taken: Cond) {
        self.settle();
        self.emit(Op::ExitIf {
            cond: Cond {
                set: !taken.set,
                ..taken
            },
            target: self.next_pc,
        });
        self.conditional = true;
    }

    /// Emits `r = v` at once (after the instruction's last possible side
    /// exit), instead of queueing it.
    fn put(&mut self, r: Z80Reg, v: Operand) {
        self.emit(Op::Mov { dst: zd(r), src: v });
    }

    /// `pair += delta` (16 bits), at once.
    fn step_pair(&mut self, r: Reg16, delta: u32) -> Lift<()> {
        let v = self.get16(r)?;
        let v = self.add16(v, delta)?;
        match Self::halves(r) {
            Some((hi, lo)) => {
                let h = self.high(v)?;
                let l = self.low(v)?;
                self.put(hi, h);
                self.put(lo, l);
            }
            None => self.put(Self::wide(r), v),
        }
        Ok(())
    }

    /// LDI, LDD, LDIR, LDDR: one step. A repeating one whose counter has not
    /// run out branches back to itself (the linker makes that a host loop;
    /// each pass re-checks the cycle budget at the block's entry, where the
    /// interpreter would take an interrupt). After the load and the write
    /// probes nothing can leave the block, so registers are written at once
    /// and few temporaries are live.
    /// CPI, CPD, CPIR, CPDR: A compared with (HL), HL and MEMPTR stepped,
    /// BC counted down. A repeat (BC not zero, no match) branches back to
    /// the instruction, as LDIR's does. Intermediate values go to the
    /// condition location early: the x86-64 backend has four temporaries.
    fn block_compare(&mut self, b: BlockInstr, repeat_extra: u16) -> Lift<Flow> {
        use BinOp::{Add, And, Or, Shl, Shr, Sub, Xor};
        let a = z(Z80Reg::A);
        let hl = self.get16(Reg16::Hl)?;
        let v = self.load(hl)?;
        let wide = self.bin(Sub, a, v)?;
        let carries = self.bin(Xor, a, v)?;
        let carries = self.bin(Xor, carries, wide)?;
        let result = self.low(wide)?;
        let half = self.and(carries, FLAG_H.into())?;
        let sz = self.lookup(Table::Sz53, result)?;
        let sz = self.and(sz, u32::from(FLAG_S | FLAG_Z))?;
        let mut flags = self.bin(Or, sz, half)?;
        // X/Y from A - (HL) - H: its bit 3, and bit 1 as bit 5.
        let borrow = self.bin(Shr, half, Operand::Imm(4))?;
        let n = self.bin(Sub, result, borrow)?;
        let x = self.and(n, FLAG_X.into())?;
        flags = self.bin(Or, flags, x)?;
        let y = self.bin(Shl, n, Operand::Imm(4))?;
        let y = self.and(y, FLAG_Y.into())?;
        flags = self.bin(Or, flags, y)?;
        let carry = self.and(z(Z80Reg::F), FLAG_C.into())?;
        flags = self.bin(Or, flags, carry)?;
        flags = self.bin(Or, flags, Operand::Imm(FLAG_N.into()))?;
        // 1 when A and (HL) differ.
        let biased = self.bin(Add, result, Operand::Imm(0xFF))?;
        let differs = self.bin(Shr, biased, Operand::Imm(8))?;
        self.put(Z80Reg::Cond, differs);
        let delta = if b.decrement { 0xFFFF } else { 1 };
        self.step_pair(Reg16::Hl, delta)?;
        self.step_pair(Reg16::Bc, 0xFFFF)?;
        let any = self.bin(Or, z(Z80Reg::B), z(Z80Reg::C))?;
        let biased = self.bin(Add, any, Operand::Imm(0xFF))?;
        let counting = self.bin(Shr, biased, Operand::Imm(8))?;
        let pv = self.bin(Shl, counting, Operand::Imm(2))?;
        flags = self.bin(Or, flags, pv)?;
        let wz = self.add16(z(Z80Reg::Wz), delta)?;
        if !b.repeat {
            self.put(Z80Reg::Wz, wz);
            self.set_flags(flags)?;
            return Ok(Flow::Next);
        }
        let repeat = self.bin(And, counting, z(Z80Reg::Cond))?;
        self.put(Z80Reg::Cond, repeat);
        // Repeating, MEMPTR becomes PC+1 and X/Y come from the rewound
        // PC's high byte.
        let mask = self.mask(z(Z80Reg::Cond), true)?;
        let wz = self.select(mask, Operand::Imm(u32::from(self.pc.wrapping_add(1))), wz)?;
        self.put(Z80Reg::Wz, wz);
        let rewound_xy = u32::from(self.pc >> 8) & u32::from(FLAG_X | FLAG_Y);
        let without_xy = self.and(flags, u32::from(!(FLAG_X | FLAG_Y)))?;
        let rewound = self.bin(Or, without_xy, Operand::Imm(rewound_xy))?;
        let mask = self.mask(z(Z80Reg::Cond), true)?;
        let flags = self.select(mask, rewound, flags)?;
        self.set_flags(flags)?;
        let here = self.pc;
        self.branch(Self::nonzero(Z80Reg::Cond), here, repeat_extra)
    }

    fn block_load(&mut self, b: BlockInstr, repeat_extra: u16) -> Lift<Flow> {
        let hl = self.get16(Reg16::Hl)?;
        let v = self.load(hl)?;
        let de = self.get16(Reg16::De)?;
        // A repeat resumes on itself, a last step after it: a store into
        // translated code leaves before the instruction instead, for the
        // interpreter to run it.
        self.emit(Op::ProbeWrite { addr: de });
        self.emit(Op::CodeProbe { addr: de });
        self.emit(Op::Store {
            addr: IrAddr::Dynamic(de),
            src: v,
        });
        // X/Y from the byte moved plus A: bit 3 and bit 1 (as bit 5).
        let sum = self.bin(BinOp::Add, v, z(Z80Reg::A))?;
        let bit3 = self.and(sum, 0x08)?;
        let shifted = self.bin(BinOp::Shl, sum, Operand::Imm(4))?;
        let bit5 = self.and(shifted, 0x20)?;
        let xy = self.bin(BinOp::Or, bit3, bit5)?;
        let delta = if b.decrement { 0xFFFF } else { 1 };
        self.step_pair(Reg16::Hl, delta)?;
        self.step_pair(Reg16::De, delta)?;
        self.step_pair(Reg16::Bc, 0xFFFF)?;
        // 1 when BC is not zero now (P/V, and the repeat), kept in the
        // condition location so that few temporaries stay live.
        let any = self.bin(BinOp::Or, z(Z80Reg::B), z(Z80Reg::C))?;
        let biased = self.bin(BinOp::Add, any, Operand::Imm(0xFF))?;
        let nonzero = self.bin(BinOp::Shr, biased, Operand::Imm(8))?;
        self.put(Z80Reg::Cond, nonzero);
        let kept = self.and(z(Z80Reg::F), 0xC1)?;
        let pv = self.bin(BinOp::Shl, z(Z80Reg::Cond), Operand::Imm(2))?;
        let with_pv = self.bin(BinOp::Or, kept, pv)?;
        let flags = self.bin(BinOp::Or, with_pv, xy)?;
        if !b.repeat {
            self.set_flags(flags)?;
            return Ok(Flow::Next);
        }
        // Repeating, X/Y come from the rewound PC's high byte and MEMPTR
        // becomes PC+1. (Each select recomputes its mask from the
        // condition location: the x86-64 backend has four temporaries.)
        let rewound_xy = u32::from(self.pc >> 8) & 0x28;
        let without_xy = self.and(flags, 0xD7)?;
        let rewound = self.bin(BinOp::Or, without_xy, Operand::Imm(rewound_xy))?;
        let mask = self.mask(z(Z80Reg::Cond), true)?;
        let flags = self.select(mask, rewound, flags)?;
        self.set_flags(flags)?;
        let mask = self.mask(z(Z80Reg::Cond), true)?;
        let wz = self.select(
            mask,
            Operand::Imm(u32::from(self.pc.wrapping_add(1))),
            z(Z80Reg::Wz),
        )?;
        self.set(Z80Reg::Wz, wz)?;
        let here = self.pc;
        self.branch(Self::nonzero(Z80Reg::Cond), here, repeat_extra)
    }

    /// INI, IND, INIR, INDR: a port read (port BC) stored at (HL); OUTI,
    /// OUTD, OTIR, OTDR: (HL) written to port BC after B's decrement. B
    /// counts down and HL steps; a repeat (B not zero) branches back to
    /// the instruction, as LDIR's does. Every way out (the load, the write
    /// probe, a store into translated code, which leaves before the
    /// instruction) comes before the port cycle, which cannot be taken
    /// back. An OUTI ends its block, as any port write does.
    fn block_io(&mut self, b: BlockInstr, repeat_extra: u16) -> Lift<Flow> {
        use BinOp::{Add, Shl, Shr};
        let delta = if b.decrement { 0xFFFF } else { 1 };
        let hl = self.get16(Reg16::Hl)?;
        let counted = self.bin(Add, z(Z80Reg::B), Operand::Imm(0xFF))?;
        let counted = self.and(counted, 0xFF)?;
        let (v, k) = if b.kind == BlockKind::In {
            self.emit(Op::ProbeWrite { addr: hl });
            self.emit(Op::CodeProbe { addr: hl });
            let bc = self.get16(Reg16::Bc)?;
            let v = self.port_in(bc)?;
            self.emit(Op::Store {
                addr: IrAddr::Dynamic(hl),
                src: v,
            });
            let wz = self.add16(bc, delta)?;
            self.put(Z80Reg::Wz, wz);
            // k: the byte plus C+-1.
            let c = self.bin(Add, z(Z80Reg::C), Operand::Imm(delta))?;
            let c = self.and(c, 0xFF)?;
            (v, self.bin(Add, v, c)?)
        } else {
            let v = self.load(hl)?;
            let port = self.pair(counted, z(Z80Reg::C))?;
            self.port_out(port, v)?;
            let wz = self.add16(port, delta)?;
            self.put(Z80Reg::Wz, wz);
            // k: the byte plus L after the step.
            let l = self.add16(hl, delta)?;
            let l = self.low(l)?;
            (v, self.bin(Add, v, l)?)
        };
        self.step_pair(Reg16::Hl, delta)?;
        self.put(Z80Reg::B, counted);
        let moved = self.bin(Shl, v, Operand::Imm(8))?;
        let bv = self.bin(BinOp::Or, z(Z80Reg::B), moved)?;
        if !b.repeat {
            let flags = self.helper(Helper::Z80BlockIo, [bv, k, Operand::Imm(0)])?;
            self.set_flags(flags)?;
            if b.kind == BlockKind::Out {
                return Ok(self.end_after_port_write());
            }
            return Ok(Flow::Next);
        }
        // 1 when B is not zero: the instruction goes round again, with
        // MEMPTR at PC+1 and the flags of a repeat.
        let biased = self.bin(Add, z(Z80Reg::B), Operand::Imm(0xFF))?;
        let again = self.bin(Shr, biased, Operand::Imm(8))?;
        self.put(Z80Reg::Cond, again);
        let mask = self.mask(z(Z80Reg::Cond), true)?;
        let rewound = self.and(mask, 0x100 | u32::from(self.pc >> 8))?;
        let flags = self.helper(Helper::Z80BlockIo, [bv, k, rewound])?;
        self.set_flags(flags)?;
        let mask = self.mask(z(Z80Reg::Cond), true)?;
        let wz = self.select(
            mask,
            Operand::Imm(u32::from(self.pc.wrapping_add(1))),
            z(Z80Reg::Wz),
        )?;
        self.set(Z80Reg::Wz, wz)?;
        let here = self.pc;
        self.branch(Self::nonzero(Z80Reg::B), here, repeat_extra)
    }

    fn lookup(&mut self, table: Table, index: Operand) -> Lift<Operand> {
        let t = self.tmp()?;
        self.emit(Op::Lookup {
            dst: Dst::Tmp(t),
            table,
            index,
        });
        Ok(Operand::Tmp(t))
    }

    /// An accumulator operation inline: `(result, flags)` exactly as
    /// core's `alu::alu` gives them. The order keeps at most four
    /// temporaries live (the x86-64 backend has four).
    fn alu8(&mut self, op: AluOp, a: Operand, v: Operand, f: Operand) -> Lift<(Operand, Operand)> {
        use BinOp::{And, Or, Shr, Xor};
        let logic = match op {
            AluOp::And => Some(And),
            AluOp::Xor => Some(Xor),
            AluOp::Or => Some(Or),
            _ => None,
        };
        if let Some(logic) = logic {
            let result = self.bin(logic, a, v)?;
            let mut flags = self.lookup(Table::Sz53p, result)?;
            if op == AluOp::And {
                flags = self.bin(Or, flags, Operand::Imm(FLAG_H.into()))?;
            }
            return Ok((result, flags));
        }
        let subtract = !matches!(op, AluOp::Add | AluOp::Adc);
        let arith = if subtract { BinOp::Sub } else { BinOp::Add };
        let mut wide = self.bin(arith, a, v)?;
        if matches!(op, AluOp::Adc | AluOp::Sbc) {
            let carry = self.and(f, FLAG_C.into())?;
            wide = self.bin(arith, wide, carry)?;
        }
        // CP takes X and Y from the operand.
        let xy = (op == AluOp::Cp)
            .then(|| self.and(v, u32::from(FLAG_X | FLAG_Y)))
            .transpose()?;
        // a ^ v ^ wide holds the carry into every bit: bit 4 is H, bit 7
        // the carry into the sign, bit 8 the carry (or borrow) out.
        let carries = self.bin(Xor, a, v)?;
        let carries = self.bin(Xor, carries, wide)?;
        let result = self.low(wide)?;
        let out = self.bin(Shr, carries, Operand::Imm(8))?;
        let mut flags = self.and(out, FLAG_C.into())?;
        if let Some(xy) = xy {
            flags = self.bin(Or, flags, xy)?;
        }
        let half = self.and(carries, FLAG_H.into())?;
        flags = self.bin(Or, flags, half)?;
        // Overflow: the carry into bit 7 differs from the carry out.
        let shifted = self.bin(Shr, carries, Operand::Imm(1))?;
        let differ = self.bin(Xor, shifted, carries)?;
        let overflow = self.and(differ, 0x80)?;
        let overflow = self.bin(Shr, overflow, Operand::Imm(7 - FLAG_PV.trailing_zeros()))?;
        flags = self.bin(Or, flags, overflow)?;
        let mut sz = self.lookup(Table::Sz53, result)?;
        if op == AluOp::Cp {
            sz = self.and(sz, u32::from(!(FLAG_X | FLAG_Y)))?;
        }
        flags = self.bin(Or, flags, sz)?;
        if subtract {
            flags = self.bin(Or, flags, Operand::Imm(FLAG_N.into()))?;
        }
        let result = if op == AluOp::Cp { a } else { result };
        Ok((result, flags))
    }

    /// ADD rr,rr inline: `(result, flags)` as core's `alu::add16` gives
    /// them.
    fn add16_flags(&mut self, x: Operand, y: Operand, f: Operand) -> Lift<(Operand, Operand)> {
        use BinOp::{And, Or, Shr, Xor};
        let wide = self.bin(BinOp::Add, x, y)?;
        // H: the carry into bit 12, bit 12 of x ^ y ^ wide.
        let carries = self.bin(Xor, x, y)?;
        let carries = self.bin(Xor, carries, wide)?;
        let carries = self.bin(Shr, carries, Operand::Imm(8))?;
        let mut flags = self.and(carries, FLAG_H.into())?;
        let high = self.bin(Shr, wide, Operand::Imm(8))?;
        let xy = self.and(high, u32::from(FLAG_X | FLAG_Y))?;
        flags = self.bin(Or, flags, xy)?;
        let carry = self.bin(Shr, wide, Operand::Imm(16))?;
        flags = self.bin(Or, flags, carry)?;
        let kept = self.bin(And, f, Operand::Imm(u32::from(FLAG_S | FLAG_Z | FLAG_PV)))?;
        flags = self.bin(Or, flags, kept)?;
        let result = self.and(wide, 0xFFFF)?;
        Ok((result, flags))
    }

    /// A rotate or shift of the byte `v`: `(result, carry out)` as core's
    /// `alu::shift` computes them. The bit shifted in is computed before
    /// the shift so that `v` dies early (at most four temporaries live).
    fn rotate8(&mut self, op: ShiftOp, v: Operand, f: Operand) -> Lift<(Operand, Operand)> {
        use BinOp::{Or, Shl, Shr};
        let left = matches!(op, ShiftOp::Rlc | ShiftOp::Rl | ShiftOp::Sla | ShiftOp::Sll);
        let carry = if left {
            self.bin(Shr, v, Operand::Imm(7))?
        } else {
            self.and(v, 1)?
        };
        let shifted_in = match op {
            ShiftOp::Rlc => Some(carry),
            ShiftOp::Rrc => Some(self.bin(Shl, carry, Operand::Imm(7))?),
            ShiftOp::Rl => Some(self.and(f, FLAG_C.into())?),
            ShiftOp::Rr => {
                let c = self.and(f, FLAG_C.into())?;
                Some(self.bin(Shl, c, Operand::Imm(7))?)
            }
            ShiftOp::Sra => Some(self.and(v, 0x80)?),
            ShiftOp::Sll => Some(Operand::Imm(1)),
            ShiftOp::Sla | ShiftOp::Srl => None,
        };
        let moved = self.bin(if left { Shl } else { Shr }, v, Operand::Imm(1))?;
        let result = match shifted_in {
            Some(bit) => self.bin(Or, moved, bit)?,
            None => moved,
        };
        let result = if left { self.low(result)? } else { result };
        Ok((result, carry))
    }

    fn accumulator_helper(&mut self, helper: Helper) -> Lift<()> {
        let word = self.helper(helper, [z(Z80Reg::A), z(Z80Reg::F), Operand::Imm(0)])?;
        let (result, flags) = self.split(word)?;
        self.set(Z80Reg::A, result)?;
        self.set_flags(flags)
    }

    fn wide_result(&mut self, dst: Reg16, word: Operand) -> Lift<()> {
        let result = self.and(word, 0xFFFF)?;
        let flags = self.bin(BinOp::Shr, word, Operand::Imm(16))?;
        self.set16(dst, result)?;
        self.set_flags(flags)
    }

    /// The condition that `r` is nonzero.
    fn nonzero(r: Z80Reg) -> Cond {
        Cond {
            flag: Reg::Z80(r),
            bit: None,
            set: true,
        }
    }

    /// Ends the block: to `taken` when `cond` holds at the block's end
    /// (spending `extra` more T-states), else to the next instruction.
    fn branch(&mut self, cond: Cond, taken: u16, extra: u16) -> Lift<Flow> {
        Ok(Flow::End(Exit::Branch {
            cond,
            taken,
            not_taken: self.next_pc,
            taken_cycles: u8::try_from(extra).map_err(|_| Unliftable)?,
            from: self.pc,
        }))
    }
}

/// The most wait states the port cycles among `ops` may add.
fn port_waits(ops: &[Op]) -> u16 {
    let ports = ops
        .iter()
        .filter(|op| matches!(op, Op::PortIn { .. } | Op::PortOut { .. }))
        .count();
    ports as u16 * MAX_PORT_WAIT_STATES
}

/// Lifts the block at `pc`. `rewrites` tells which bytes the guest has
/// rewritten: operands are read when the code runs, instructions with a
/// rewritten opcode byte are left to the interpreter. None when the first
/// instruction is not lifted.
pub fn lift(
    memory: &MappedMemory,
    start: u16,
    config: &LiftConfig,
    rewrites: &dyn Fn(u16) -> Rewrites,
) -> Option<Block> {
    let mut l = Lifter {
        memory,
        rewrites,
        ops: Vec::new(),
        next_tmp: 0,
        pairs: Vec::new(),
        writes: Vec::new(),
        stored: Vec::new(),
        flags_written: false,
        fetches: 0,
        settled: false,
        conditional: false,
        immediates: Vec::new(),
        dynamic_operands: Vec::new(),
        pc: start,
        next_pc: start,
    };
    let mut pc = start;
    let mut last = start;
    let mut index = 0u16;
    let mut cycles = 0u16;
    let mut worst_extra = 0u16;
    let exit = loop {
        let stop = pc < config.stop_below || config.stop_at.contains(&Some(pc));
        if index >= config.max_instructions || (index > 0 && stop) {
            break Exit::Jump {
                target: pc,
                from: last,
            };
        }
        let Some(d) = decode(memory, pc) else {
            break Exit::Interpret { pc };
        };
        if (0..d.len).any(|i| rewrites(pc.wrapping_add(i)) == Rewrites::Opcode) {
            break Exit::Interpret { pc };
        }
        let (base, taken) = timing(memory, pc);
        let mark = (l.ops.len(), l.immediates.len(), l.dynamic_operands.len());
        l.ops.push(Op::Insn { pc, index, cycles });
        l.next_tmp = 0;
        l.pairs.clear();
        l.writes.clear();
        l.stored.clear();
        l.flags_written = false;
        l.fetches = d.fetches;
        l.settled = false;
        l.conditional = false;
        l.pc = pc;
        l.next_pc = pc.wrapping_add(d.len);
        let flow = match l.instruction(&d, taken - base) {
            Ok(flow) => flow,
            Err(Unliftable) => {
                l.next_pc = pc;
                l.ops.truncate(mark.0);
                l.immediates.truncate(mark.1);
                l.dynamic_operands.truncate(mark.2);
                break Exit::Interpret { pc };
            }
        };
        l.settle();
        if l.conditional {
            l.emit(Op::Penalty {
                src: Operand::Imm((taken - base).into()),
            });
            worst_extra += taken - base;
        }
        // A store into code leaves after the instruction, where it went.
        let resume = match flow {
            Flow::End(Exit::Jump { target, .. }) => target,
            _ => l.next_pc,
        };
        for addr in std::mem::take(&mut l.stored) {
            l.emit(Op::CodeCheck { addr, resume });
        }
        cycles += base;
        index += 1;
        last = pc;
        pc = l.next_pc;
        if let Flow::End(exit) = flow {
            if let Exit::Branch { taken_cycles, .. } = exit {
                worst_extra += u16::from(taken_cycles);
            }
            break exit;
        }
    };
    if index == 0 {
        return None;
    }
    let port_waits = port_waits(&l.ops);
    Some(Block {
        start,
        // The lifted instructions end where the next one would start.
        len: pc.wrapping_sub(start),
        decimal: false,
        exit_decimal: Some(false),
        ops: l.ops,
        exit,
        instructions: index,
        cycles,
        worst_cycles: cycles + worst_extra + port_waits,
        immediates: l.immediates,
        dynamic_operands: l.dynamic_operands,
    })
}
