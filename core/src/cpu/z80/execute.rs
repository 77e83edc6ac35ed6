//! The Z80 interpreter: T-state exact, with every bus access in the real
//! chip's order and at its T-state, so SingleStepTests' per-T-state bus logs
//! and FUSE's event lists can be reproduced by a recording bus.
//!
//! Dispatch: each page is one `match` with an arm per opcode, generated from
//! the decode table; each arm executes its (constant) table entry through the
//! always-inlined `Cpu::exec`, so the compiler specialises every arm and
//! the table stays the one description of what opcodes do. Debug builds
//! look the entry up at run time instead (see `dispatch!`).

use super::alu;
use super::decode::{
    Addr, AluOp, BASE, Block, BlockKind, CB, Cond, DD, DDCB, ED, FD, Instr, Loc8, Prefix, Reg8,
    Reg16, for_each_opcode,
};
use super::state::{FLAG_C, FLAG_H, FLAG_N, FLAG_PV, FLAG_S, FLAG_X, FLAG_Y, FLAG_Z, Registers};
use crate::bus::{BusZ80, Z80Cycle};

/// A Z80: the register file plus the interpreter's private latches.
#[derive(Clone, Debug, Default)]
pub struct Cpu {
    /// Registers, hidden state and the T-state counter.
    pub regs: Registers,
    /// /NMI level seen before the previous instruction (NMI is edge-triggered).
    nmi_level: bool,
    /// Q as the previous instruction left it; `regs.q` is rebuilt by the
    /// current one, SCF and CCF read this copy.
    q_prev: u8,
}

/// Optimised builds: one arm per opcode, each executing its constant table
/// entry, so every arm is specialised.
#[cfg(not(debug_assertions))]
macro_rules! dispatch {
    ($self:ident, $bus:ident, $table:ident, $op:expr; $($n:literal)*) => {
        match $op {
            $($n => $self.exec($bus, $table[$n]),)*
        }
    };
}

/// Debug builds: the same table entry looked up at run time. Unoptimised
/// code cannot fold the specialised arms, and 1280 unfolded copies of
/// `exec` make every crate that instantiates the CPU slow to compile.
#[cfg(debug_assertions)]
macro_rules! dispatch {
    ($self:ident, $bus:ident, $table:ident, $op:expr; $($n:literal)*) => {
        $self.exec($bus, $table[usize::from($op)])
    };
}

impl Cpu {
    /// A CPU in the power-on state of the register file's `Default`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Executes one instruction (prefixes included), one HALT cycle, or the
    /// acceptance of a pending interrupt.
    #[inline]
    pub fn step<B: BusZ80>(&mut self, bus: &mut B) {
        bus.instruction_start(self.regs.tstates);
        let nmi = bus.nmi_line();
        let nmi_edge = nmi && !self.nmi_level;
        self.nmi_level = nmi;
        if nmi_edge {
            self.accept_nmi(bus);
            return;
        }
        if self.regs.iff1 && !self.regs.ei && bus.int_line() {
            self.accept_int(bus);
            return;
        }
        self.q_prev = self.regs.q;
        self.regs.q = 0;
        self.regs.ei = false;
        self.regs.p = false;
        let op = self.fetch_opcode(bus);
        if self.regs.halted {
            // Halted, the CPU keeps fetching the byte after HALT and discards it.
            self.regs.pc = self.regs.pc.wrapping_sub(1);
            return;
        }
        self.exec_base(bus, op);
    }

    fn exec_base<B: BusZ80>(&mut self, bus: &mut B, op: u8) {
        for_each_opcode!(dispatch!(self, bus, BASE, op))
    }

    fn exec_cb<B: BusZ80>(&mut self, bus: &mut B) {
        let op = self.fetch_opcode(bus);
        for_each_opcode!(dispatch!(self, bus, CB, op))
    }

    fn exec_ed<B: BusZ80>(&mut self, bus: &mut B) {
        let op = self.fetch_opcode(bus);
        for_each_opcode!(dispatch!(self, bus, ED, op))
    }

    /// After DD or FD. Further DD/FD bytes only replace the prefix (each costs
    /// an M1 cycle and no interrupt is accepted in between); ED cancels it.
    fn exec_index<B: BusZ80>(&mut self, bus: &mut B, mut iy: bool) {
        loop {
            let op = self.fetch_opcode(bus);
            match op {
                0xDD => iy = false,
                0xFD => iy = true,
                0xED => return self.exec_ed(bus),
                0xCB => return self.exec_index_cb(bus, iy),
                _ if iy => return for_each_opcode!(dispatch!(self, bus, FD, op)),
                _ => return for_each_opcode!(dispatch!(self, bus, DD, op)),
            }
        }
    }

    /// `DD CB d op`: the displacement and opcode are plain memory reads (no
    /// M1, no R increment), then two internal T-states compute the address.
    fn exec_index_cb<B: BusZ80>(&mut self, bus: &mut B, iy: bool) {
        let base = if iy { self.regs.iy } else { self.regs.ix };
        let pc = self.regs.pc;
        let d = self.read(bus, pc) as i8;
        let op_addr = pc.wrapping_add(1);
        let op = self.read(bus, op_addr);
        self.idle(bus, op_addr, 2);
        self.regs.pc = pc.wrapping_add(2);
        let addr = base.wrapping_add_signed(i16::from(d));
        self.regs.wz = addr;
        // DDCB and FDCB hold the same operations; the address is already known.
        match DDCB[op as usize] {
            Instr::Bit { bit, .. } => {
                let v = self.read(bus, addr);
                self.idle(bus, addr, 1);
                self.set_f(alu::bit(bit, v, (addr >> 8) as u8, self.regs.f));
            }
            Instr::Shift { op, copy, .. } => {
                self.rmw_indexed(bus, addr, copy, |cpu, v| {
                    let (r, f) = alu::shift(op, v, cpu.regs.f);
                    cpu.set_f(f);
                    r
                });
            }
            Instr::Res { bit, copy, .. } => {
                self.rmw_indexed(bus, addr, copy, |_, v| v & !(1 << bit));
            }
            Instr::Set { bit, copy, .. } => {
                self.rmw_indexed(bus, addr, copy, |_, v| v | (1 << bit));
            }
            other => unreachable!("DDCB table holds only CB operations, found {other:?}"),
        }
    }

    #[inline(always)]
    fn rmw_indexed<B: BusZ80>(
        &mut self,
        bus: &mut B,
        addr: u16,
        copy: Option<Reg8>,
        op: impl FnOnce(&mut Self, u8) -> u8,
    ) {
        let v = self.read(bus, addr);
        self.idle(bus, addr, 1);
        let r = op(self, v);
        self.write(bus, addr, r);
        if let Some(reg) = copy {
            self.set8(reg, r);
        }
    }

    /// Executes one decoded instruction whose opcode (and prefixes) have been fetched.
    #[inline(always)]
    fn exec<B: BusZ80>(&mut self, bus: &mut B, instr: Instr) {
        match instr {
            Instr::Nop | Instr::EdNop => {}
            Instr::Prefix(Prefix::Cb) => self.exec_cb(bus),
            Instr::Prefix(Prefix::Ed) => self.exec_ed(bus),
            Instr::Prefix(Prefix::Dd) => self.exec_index(bus, false),
            Instr::Prefix(Prefix::Fd) => self.exec_index(bus, true),
            Instr::Ld8 { dst, src } => self.ld8(bus, dst, src),
            Instr::Ld16Imm(r) => {
                let v = self.imm16(bus);
                self.set16(r, v);
            }
            Instr::Ld16Store(r) => {
                let addr = self.imm16(bus);
                let [lo, hi] = self.get16(r).to_le_bytes();
                self.write(bus, addr, lo);
                let next = addr.wrapping_add(1);
                self.write(bus, next, hi);
                self.regs.wz = next;
            }
            Instr::Ld16Load(r) => {
                let addr = self.imm16(bus);
                let lo = self.read(bus, addr);
                let next = addr.wrapping_add(1);
                let hi = self.read(bus, next);
                self.regs.wz = next;
                self.set16(r, u16::from_le_bytes([lo, hi]));
            }
            Instr::LdSp(r) => {
                self.idle_ir(bus, 2);
                self.regs.sp = self.get16(r);
            }
            Instr::LdAI | Instr::LdAR => {
                self.idle_ir(bus, 1);
                let v = if matches!(instr, Instr::LdAI) {
                    self.regs.i
                } else {
                    self.regs.r
                };
                self.regs.a = v;
                let iff2 = if self.regs.iff2 { FLAG_PV } else { 0 };
                self.set_f((self.regs.f & FLAG_C) | alu::SZ53[v as usize] | iff2);
                self.regs.p = true;
            }
            Instr::LdIA => {
                self.idle_ir(bus, 1);
                self.regs.i = self.regs.a;
            }
            Instr::LdRA => {
                self.idle_ir(bus, 1);
                self.regs.r = self.regs.a;
            }
            Instr::Push(r) => {
                self.idle_ir(bus, 1);
                let v = self.get16(r);
                self.push16(bus, v);
            }
            Instr::Pop(r) => {
                let v = self.pop16(bus);
                self.set16(r, v);
            }
            Instr::ExAf => {
                let af = self.regs.af();
                self.regs.set_af(self.regs.af_alt);
                self.regs.af_alt = af;
            }
            Instr::Exx => {
                let (bc, de, hl) = (self.regs.bc(), self.regs.de(), self.regs.hl());
                self.regs.set_bc(self.regs.bc_alt);
                self.regs.set_de(self.regs.de_alt);
                self.regs.set_hl(self.regs.hl_alt);
                (self.regs.bc_alt, self.regs.de_alt, self.regs.hl_alt) = (bc, de, hl);
            }
            Instr::ExDeHl => {
                let de = self.regs.de();
                self.regs.set_de(self.regs.hl());
                self.regs.set_hl(de);
            }
            Instr::ExSp(r) => {
                let sp = self.regs.sp;
                let sp1 = sp.wrapping_add(1);
                let lo = self.read(bus, sp);
                let hi = self.read(bus, sp1);
                self.idle(bus, sp1, 1);
                let [old_lo, old_hi] = self.get16(r).to_le_bytes();
                self.write(bus, sp1, old_hi);
                self.write(bus, sp, old_lo);
                self.idle(bus, sp, 2);
                let v = u16::from_le_bytes([lo, hi]);
                self.set16(r, v);
                self.regs.wz = v;
            }
            Instr::Alu(op, loc) => {
                let v = self.load8(bus, loc);
                let (a, f) = alu::alu(op, self.regs.a, v, self.regs.f);
                if !matches!(op, AluOp::Cp) {
                    self.regs.a = a;
                }
                self.set_f(f);
            }
            Instr::Inc8(loc) => self.rmw8(bus, loc, |cpu, v| {
                let (r, f) = alu::inc8(v, cpu.regs.f);
                cpu.set_f(f);
                r
            }),
            Instr::Dec8(loc) => self.rmw8(bus, loc, |cpu, v| {
                let (r, f) = alu::dec8(v, cpu.regs.f);
                cpu.set_f(f);
                r
            }),
            Instr::Inc16(r) => {
                self.idle_ir(bus, 2);
                self.set16(r, self.get16(r).wrapping_add(1));
            }
            Instr::Dec16(r) => {
                self.idle_ir(bus, 2);
                self.set16(r, self.get16(r).wrapping_sub(1));
            }
            Instr::Add16(dst, src) => {
                self.idle_ir(bus, 7);
                let a = self.get16(dst);
                self.regs.wz = a.wrapping_add(1);
                let (r, f) = alu::add16(a, self.get16(src), self.regs.f);
                self.set16(dst, r);
                self.set_f(f);
            }
            Instr::Adc16(src) | Instr::Sbc16(src) => {
                self.idle_ir(bus, 7);
                let hl = self.regs.hl();
                self.regs.wz = hl.wrapping_add(1);
                let v = self.get16(src);
                let (r, f) = if matches!(instr, Instr::Adc16(_)) {
                    alu::adc16(hl, v, self.regs.f)
                } else {
                    alu::sbc16(hl, v, self.regs.f)
                };
                self.regs.set_hl(r);
                self.set_f(f);
            }
            Instr::RotateA(op) => {
                let (a, f) = alu::rotate_a(op, self.regs.a, self.regs.f);
                self.regs.a = a;
                self.set_f(f);
            }
            Instr::Daa => {
                let (a, f) = alu::daa(self.regs.a, self.regs.f);
                self.regs.a = a;
                self.set_f(f);
            }
            Instr::Cpl => {
                let a = !self.regs.a;
                self.regs.a = a;
                let keep = self.regs.f & (FLAG_S | FLAG_Z | FLAG_PV | FLAG_C);
                self.set_f(keep | FLAG_H | FLAG_N | (a & (FLAG_X | FLAG_Y)));
            }
            Instr::Scf | Instr::Ccf => {
                let f = self.regs.f;
                // X/Y: from A alone if the previous instruction wrote F
                // (Q = F), else A ORed with F (Q = 0).
                let xy = ((self.q_prev ^ f) | self.regs.a) & (FLAG_X | FLAG_Y);
                let carry = if matches!(instr, Instr::Scf) {
                    FLAG_C
                } else if f & FLAG_C != 0 {
                    FLAG_H
                } else {
                    FLAG_C
                };
                self.set_f((f & (FLAG_S | FLAG_Z | FLAG_PV)) | xy | carry);
            }
            Instr::Neg => {
                let (a, f) = alu::sub8(0, self.regs.a, 0);
                self.regs.a = a;
                self.set_f(f);
            }
            Instr::Jp => {
                let nn = self.imm16(bus);
                self.regs.wz = nn;
                self.regs.pc = nn;
            }
            Instr::JpCc(c) => {
                let nn = self.imm16(bus);
                self.regs.wz = nn;
                if self.cond(c) {
                    self.regs.pc = nn;
                }
            }
            Instr::JpInd(r) => self.regs.pc = self.get16(r),
            Instr::Jr => self.jr(bus, true),
            Instr::JrCc(c) => {
                let taken = self.cond(c);
                self.jr(bus, taken);
            }
            Instr::Djnz => {
                self.idle_ir(bus, 1);
                let b = self.regs.b.wrapping_sub(1);
                self.regs.b = b;
                self.jr(bus, b != 0);
            }
            Instr::Call => self.call(bus, true),
            Instr::CallCc(c) => {
                let taken = self.cond(c);
                self.call(bus, taken);
            }
            Instr::Ret => self.ret(bus),
            Instr::RetCc(c) => {
                self.idle_ir(bus, 1);
                if self.cond(c) {
                    self.ret(bus);
                }
            }
            Instr::Retn | Instr::Reti => {
                self.regs.iff1 = self.regs.iff2;
                self.ret(bus);
            }
            Instr::Rst(target) => {
                self.idle_ir(bus, 1);
                let pc = self.regs.pc;
                self.push16(bus, pc);
                self.regs.pc = u16::from(target);
                self.regs.wz = u16::from(target);
            }
            Instr::Halt => self.regs.halted = true,
            Instr::Di => {
                self.regs.iff1 = false;
                self.regs.iff2 = false;
            }
            Instr::Ei => {
                self.regs.iff1 = true;
                self.regs.iff2 = true;
                self.regs.ei = true;
            }
            Instr::Im(mode) => self.regs.im = mode,
            Instr::InAImm => {
                let n = self.imm8(bus);
                let port = u16::from_le_bytes([n, self.regs.a]);
                self.regs.a = self.port_in(bus, port);
                self.regs.wz = port.wrapping_add(1);
            }
            Instr::OutImmA => {
                let n = self.imm8(bus);
                let a = self.regs.a;
                self.port_out(bus, u16::from_le_bytes([n, a]), a);
                self.regs.wz = u16::from_le_bytes([n.wrapping_add(1), a]);
            }
            Instr::InC(reg) => {
                let bc = self.regs.bc();
                let v = self.port_in(bus, bc);
                self.regs.wz = bc.wrapping_add(1);
                self.set_f((self.regs.f & FLAG_C) | alu::SZ53P[v as usize]);
                if let Some(reg) = reg {
                    self.set8(reg, v);
                }
            }
            Instr::OutC(reg) => {
                let bc = self.regs.bc();
                let v = reg.map_or(0, |reg| self.get8(reg));
                self.port_out(bus, bc, v);
                self.regs.wz = bc.wrapping_add(1);
            }
            Instr::Rrd | Instr::Rld => {
                let hl = self.regs.hl();
                let v = self.read(bus, hl);
                self.idle(bus, hl, 4);
                let a = self.regs.a;
                let (mem, acc) = if matches!(instr, Instr::Rrd) {
                    ((a << 4) | (v >> 4), (a & 0xF0) | (v & 0x0F))
                } else {
                    ((v << 4) | (a & 0x0F), (a & 0xF0) | (v >> 4))
                };
                self.regs.a = acc;
                self.set_f((self.regs.f & FLAG_C) | alu::SZ53P[acc as usize]);
                self.write(bus, hl, mem);
                self.regs.wz = hl.wrapping_add(1);
            }
            Instr::Block(block) => self.block(bus, block),
            Instr::Shift { op, loc, .. } => self.rmw8(bus, loc, |cpu, v| {
                let (r, f) = alu::shift(op, v, cpu.regs.f);
                cpu.set_f(f);
                r
            }),
            Instr::Bit { bit, loc } => {
                let (v, xy) = match loc {
                    Loc8::Reg(r) => {
                        let v = self.get8(r);
                        (v, v)
                    }
                    _ => {
                        let hl = self.regs.hl();
                        let v = self.read(bus, hl);
                        self.idle(bus, hl, 1);
                        // BIT n,(HL) leaks MEMPTR's high byte into X/Y.
                        (v, (self.regs.wz >> 8) as u8)
                    }
                };
                self.set_f(alu::bit(bit, v, xy, self.regs.f));
            }
            Instr::Res { bit, loc, .. } => self.rmw8(bus, loc, |_, v| v & !(1 << bit)),
            Instr::Set { bit, loc, .. } => self.rmw8(bus, loc, |_, v| v | (1 << bit)),
        }
    }

    #[inline(always)]
    fn ld8<B: BusZ80>(&mut self, bus: &mut B, dst: Loc8, src: Loc8) {
        match (dst, src) {
            (Loc8::Mem(addr @ (Addr::Ix | Addr::Iy)), Loc8::Imm) => {
                // LD (IX+d),n: the immediate is read before the address is
                // formed, so the internal T-states sit on n's address.
                let base = if matches!(addr, Addr::Iy) {
                    self.regs.iy
                } else {
                    self.regs.ix
                };
                let pc = self.regs.pc;
                let d = self.read(bus, pc) as i8;
                let n_addr = pc.wrapping_add(1);
                let n = self.read(bus, n_addr);
                self.idle(bus, n_addr, 2);
                self.regs.pc = pc.wrapping_add(2);
                let target = base.wrapping_add_signed(i16::from(d));
                self.regs.wz = target;
                self.write(bus, target, n);
            }
            (Loc8::Mem(kind), _) => {
                let v = self.load8(bus, src);
                let addr = self.effective_address(bus, kind);
                self.write(bus, addr, v);
                if matches!(kind, Addr::Bc | Addr::De | Addr::Abs) {
                    self.regs.wz = u16::from_le_bytes([addr.wrapping_add(1) as u8, v]);
                }
            }
            (Loc8::Reg(r), Loc8::Mem(kind)) => {
                let addr = self.effective_address(bus, kind);
                let v = self.read(bus, addr);
                if matches!(kind, Addr::Bc | Addr::De | Addr::Abs) {
                    self.regs.wz = addr.wrapping_add(1);
                }
                self.set8(r, v);
            }
            (Loc8::Reg(r), _) => {
                let v = self.load8(bus, src);
                self.set8(r, v);
            }
            (Loc8::Imm, _) => unreachable!("decode tables never store to an immediate"),
        }
    }

    /// Read-modify-write of an 8-bit operand: registers directly; memory as
    /// read, one internal T-state on the address, write.
    #[inline(always)]
    fn rmw8<B: BusZ80>(&mut self, bus: &mut B, loc: Loc8, op: impl FnOnce(&mut Self, u8) -> u8) {
        match loc {
            Loc8::Reg(r) => {
                let v = self.get8(r);
                let res = op(self, v);
                self.set8(r, res);
            }
            Loc8::Mem(kind) => {
                let addr = self.effective_address(bus, kind);
                let v = self.read(bus, addr);
                self.idle(bus, addr, 1);
                let res = op(self, v);
                self.write(bus, addr, res);
            }
            Loc8::Imm => unreachable!("decode tables never modify an immediate"),
        }
    }

    /// The value of an 8-bit source operand, fetching whatever it needs.
    #[inline(always)]
    fn load8<B: BusZ80>(&mut self, bus: &mut B, loc: Loc8) -> u8 {
        match loc {
            Loc8::Reg(r) => self.get8(r),
            Loc8::Imm => self.imm8(bus),
            Loc8::Mem(kind) => {
                let addr = self.effective_address(bus, kind);
                self.read(bus, addr)
            }
        }
    }

    /// The address of a memory operand. (IX+d) reads d and spends five
    /// internal T-states (on d's address) adding it; it also sets MEMPTR.
    #[inline(always)]
    fn effective_address<B: BusZ80>(&mut self, bus: &mut B, kind: Addr) -> u16 {
        match kind {
            Addr::Bc => self.regs.bc(),
            Addr::De => self.regs.de(),
            Addr::Hl => self.regs.hl(),
            Addr::Abs => self.imm16(bus),
            Addr::Ix | Addr::Iy => {
                let base = if matches!(kind, Addr::Iy) {
                    self.regs.iy
                } else {
                    self.regs.ix
                };
                let pc = self.regs.pc;
                let d = self.read(bus, pc) as i8;
                self.idle(bus, pc, 5);
                self.regs.pc = pc.wrapping_add(1);
                let addr = base.wrapping_add_signed(i16::from(d));
                self.regs.wz = addr;
                addr
            }
        }
    }

    /// JR/DJNZ tail: reads e; if taken, five internal T-states on e's address.
    #[inline(always)]
    fn jr<B: BusZ80>(&mut self, bus: &mut B, taken: bool) {
        let pc = self.regs.pc;
        let e = self.read(bus, pc) as i8;
        self.regs.pc = pc.wrapping_add(1);
        if taken {
            self.idle(bus, pc, 5);
            let target = self.regs.pc.wrapping_add_signed(i16::from(e));
            self.regs.pc = target;
            self.regs.wz = target;
        }
    }

    /// CALL tail: both address bytes are always read; a taken call spends
    /// one internal T-state on the high byte's address, then pushes.
    #[inline(always)]
    fn call<B: BusZ80>(&mut self, bus: &mut B, taken: bool) {
        let pc = self.regs.pc;
        let lo = self.read(bus, pc);
        let hi_addr = pc.wrapping_add(1);
        let hi = self.read(bus, hi_addr);
        let target = u16::from_le_bytes([lo, hi]);
        self.regs.wz = target;
        self.regs.pc = pc.wrapping_add(2);
        if taken {
            self.idle(bus, hi_addr, 1);
            let ret = self.regs.pc;
            self.push16(bus, ret);
            self.regs.pc = target;
        }
    }

    #[inline(always)]
    fn ret<B: BusZ80>(&mut self, bus: &mut B) {
        let target = self.pop16(bus);
        self.regs.pc = target;
        self.regs.wz = target;
    }

    /// One step of LDI ... OTDR. A repeating instruction whose counter has not
    /// run out rewinds PC onto itself after five more internal T-states; that
    /// pass leaves PC's bits 11 and 13 in X/Y (and, for I/O, adjusts H and P/V).
    fn block<B: BusZ80>(&mut self, bus: &mut B, block: Block) {
        let delta: u16 = if block.decrement { 0xFFFF } else { 1 };
        match block.kind {
            BlockKind::Ld => {
                let (hl, de) = (self.regs.hl(), self.regs.de());
                let v = self.read(bus, hl);
                self.write(bus, de, v);
                self.idle(bus, de, 2);
                self.regs.set_hl(hl.wrapping_add(delta));
                self.regs.set_de(de.wrapping_add(delta));
                let bc = self.regs.bc().wrapping_sub(1);
                self.regs.set_bc(bc);
                let n = v.wrapping_add(self.regs.a);
                let mut f =
                    (self.regs.f & (FLAG_S | FLAG_Z | FLAG_C)) | (n & FLAG_X) | ((n << 4) & FLAG_Y);
                if bc != 0 {
                    f |= FLAG_PV;
                    if block.repeat {
                        self.idle(bus, de, 5);
                        f = self.rewind_block(f);
                    }
                }
                self.set_f(f);
            }
            BlockKind::Cp => {
                let hl = self.regs.hl();
                let v = self.read(bus, hl);
                self.idle(bus, hl, 5);
                self.regs.set_hl(hl.wrapping_add(delta));
                self.regs.wz = self.regs.wz.wrapping_add(delta);
                let bc = self.regs.bc().wrapping_sub(1);
                self.regs.set_bc(bc);
                let a = self.regs.a;
                let r = a.wrapping_sub(v);
                let half = (a ^ v ^ r) & FLAG_H;
                // X/Y come from A - (HL) - H.
                let n = r.wrapping_sub(half >> 4);
                let mut f = (self.regs.f & FLAG_C)
                    | FLAG_N
                    | half
                    | (alu::SZ53[r as usize] & (FLAG_S | FLAG_Z))
                    | (n & FLAG_X)
                    | ((n << 4) & FLAG_Y);
                if bc != 0 {
                    f |= FLAG_PV;
                    if block.repeat && r != 0 {
                        self.idle(bus, hl, 5);
                        f = self.rewind_block(f);
                    }
                }
                self.set_f(f);
            }
            BlockKind::In => {
                self.idle_ir(bus, 1);
                let bc = self.regs.bc();
                let v = self.port_in(bus, bc);
                self.regs.wz = bc.wrapping_add(delta);
                let hl = self.regs.hl();
                self.write(bus, hl, v);
                self.regs.b = self.regs.b.wrapping_sub(1);
                self.regs.set_hl(hl.wrapping_add(delta));
                let k = u16::from(v) + u16::from(self.regs.c.wrapping_add(delta as u8));
                self.io_block_end(bus, block.repeat, hl, v, k);
            }
            BlockKind::Out => {
                self.idle_ir(bus, 1);
                let hl = self.regs.hl();
                let v = self.read(bus, hl);
                self.regs.b = self.regs.b.wrapping_sub(1);
                let bc = self.regs.bc();
                self.regs.wz = bc.wrapping_add(delta);
                self.port_out(bus, bc, v);
                self.regs.set_hl(hl.wrapping_add(delta));
                let k = u16::from(v) + u16::from(self.regs.l);
                self.io_block_end(bus, block.repeat, bc, v, k);
            }
        }
    }

    /// Flags (and the repeat) of INI/OUTI and friends. `v` is the byte moved,
    /// `k` its sum with C+-1 (IN) or L (OUT); `idle_addr` is what the bus
    /// shows during the repeat's extra T-states.
    fn io_block_end<B: BusZ80>(
        &mut self,
        bus: &mut B,
        repeat: bool,
        idle_addr: u16,
        v: u8,
        k: u16,
    ) {
        let b = self.regs.b;
        let mut rewound = None;
        if repeat && b != 0 {
            self.idle(bus, idle_addr, 5);
            self.rewind_block(0);
            rewound = Some((self.regs.pc >> 8) as u8);
        }
        self.set_f(alu::block_io_flags(b, v, k, rewound));
    }

    /// Rewinds PC onto the repeating instruction; returns `f` with X/Y taken
    /// from the new PC's high byte.
    #[inline(always)]
    fn rewind_block(&mut self, f: u8) -> u8 {
        let pc = self.regs.pc.wrapping_sub(2);
        self.regs.pc = pc;
        self.regs.wz = pc.wrapping_add(1);
        (f & !(FLAG_X | FLAG_Y)) | ((pc >> 8) as u8 & (FLAG_X | FLAG_Y))
    }

    /// NMI: an opcode fetch whose byte is discarded, one internal T-state,
    /// then a push and a jump to $0066. IFF2 keeps the interrupted IFF1.
    fn accept_nmi<B: BusZ80>(&mut self, bus: &mut B) {
        self.regs.halted = false;
        self.regs.iff1 = false;
        self.regs.ei = false;
        self.regs.p = false;
        self.regs.q = 0;
        let pc = self.regs.pc;
        self.fetch_opcode(bus);
        self.regs.pc = pc;
        self.idle_ir(bus, 1);
        self.push16(bus, pc);
        self.regs.pc = 0x0066;
        self.regs.wz = 0x0066;
    }

    /// Maskable interrupt: a 6-T-state acknowledge cycle, then IM 0 executes
    /// the byte the device supplies, IM 1 is RST 38h and IM 2 jumps through
    /// the vector table at I*256 + byte.
    fn accept_int<B: BusZ80>(&mut self, bus: &mut B) {
        self.regs.halted = false;
        self.regs.iff1 = false;
        self.regs.iff2 = false;
        if self.regs.p {
            // LD A,I / LD A,R copied IFF2 just as it was being cleared.
            self.regs.f &= !FLAG_PV;
        }
        self.regs.p = false;
        self.q_prev = self.regs.q;
        self.regs.q = 0;
        let pc = self.regs.pc;
        let mut now = self.regs.tstates;
        now += u64::from(bus.wait_states(Z80Cycle::InterruptAck, pc, now));
        let data = bus.int_ack(now);
        self.regs.tstates = now + 6;
        self.bump_r();
        match self.regs.im {
            // IM 0 runs the byte as an opcode; operand bytes of multi-byte
            // instructions would come from memory at PC (no machine here
            // supplies any: they all put RST n on the bus).
            0 => self.exec_base(bus, data),
            1 => {
                self.idle_ir(bus, 1);
                self.push16(bus, pc);
                self.regs.pc = 0x0038;
                self.regs.wz = 0x0038;
            }
            _ => {
                self.idle_ir(bus, 1);
                self.push16(bus, pc);
                let vector = u16::from_le_bytes([data, self.regs.i]);
                let lo = self.read(bus, vector);
                let hi = self.read(bus, vector.wrapping_add(1));
                let target = u16::from_le_bytes([lo, hi]);
                self.regs.pc = target;
                self.regs.wz = target;
            }
        }
    }

    // --- bus cycles -------------------------------------------------------

    #[inline(always)]
    fn bump_r(&mut self) {
        let r = self.regs.r;
        self.regs.r = (r & 0x80) | (r.wrapping_add(1) & 0x7F);
    }

    /// M1: opcode read, refresh, R increment; 4 T-states.
    #[inline(always)]
    fn fetch_opcode<B: BusZ80>(&mut self, bus: &mut B) -> u8 {
        let pc = self.regs.pc;
        let mut now = self.regs.tstates;
        now += u64::from(bus.wait_states(Z80Cycle::OpcodeFetch, pc, now));
        let op = bus.fetch_opcode(pc, self.regs.ir(), now);
        self.regs.tstates = now + 4;
        self.regs.pc = pc.wrapping_add(1);
        self.bump_r();
        op
    }

    #[inline(always)]
    fn read<B: BusZ80>(&mut self, bus: &mut B, addr: u16) -> u8 {
        let mut now = self.regs.tstates;
        now += u64::from(bus.wait_states(Z80Cycle::MemRead, addr, now));
        let v = bus.read(addr, now);
        self.regs.tstates = now + 3;
        v
    }

    #[inline(always)]
    fn write<B: BusZ80>(&mut self, bus: &mut B, addr: u16, value: u8) {
        let mut now = self.regs.tstates;
        now += u64::from(bus.wait_states(Z80Cycle::MemWrite, addr, now));
        bus.write(addr, value, now);
        self.regs.tstates = now + 3;
    }

    #[inline(always)]
    fn port_in<B: BusZ80>(&mut self, bus: &mut B, port: u16) -> u8 {
        let mut now = self.regs.tstates;
        now += u64::from(bus.wait_states(Z80Cycle::PortIn, port, now));
        let v = bus.port_in(port, now);
        self.regs.tstates = now + 4;
        v
    }

    #[inline(always)]
    fn port_out<B: BusZ80>(&mut self, bus: &mut B, port: u16, value: u8) {
        let mut now = self.regs.tstates;
        now += u64::from(bus.wait_states(Z80Cycle::PortOut, port, now));
        bus.port_out(port, value, now);
        self.regs.tstates = now + 4;
    }

    /// `n` internal T-states with `addr` left on the address bus.
    #[inline(always)]
    fn idle<B: BusZ80>(&mut self, bus: &mut B, addr: u16, n: u32) {
        for _ in 0..n {
            let now = self.regs.tstates;
            self.regs.tstates = now + 1 + u64::from(bus.wait_states(Z80Cycle::Internal, addr, now));
        }
    }

    /// Internal T-states right after an opcode fetch: the refresh address is still on the bus.
    #[inline(always)]
    fn idle_ir<B: BusZ80>(&mut self, bus: &mut B, n: u32) {
        let ir = self.regs.ir();
        self.idle(bus, ir, n);
    }

    #[inline(always)]
    fn imm8<B: BusZ80>(&mut self, bus: &mut B) -> u8 {
        let pc = self.regs.pc;
        self.regs.pc = pc.wrapping_add(1);
        self.read(bus, pc)
    }

    #[inline(always)]
    fn imm16<B: BusZ80>(&mut self, bus: &mut B) -> u16 {
        let lo = self.imm8(bus);
        let hi = self.imm8(bus);
        u16::from_le_bytes([lo, hi])
    }

    /// Pushes high byte first, as the chip does.
    #[inline(always)]
    fn push16<B: BusZ80>(&mut self, bus: &mut B, v: u16) {
        let [lo, hi] = v.to_le_bytes();
        let sp = self.regs.sp.wrapping_sub(1);
        self.write(bus, sp, hi);
        let sp = sp.wrapping_sub(1);
        self.write(bus, sp, lo);
        self.regs.sp = sp;
    }

    #[inline(always)]
    fn pop16<B: BusZ80>(&mut self, bus: &mut B) -> u16 {
        let sp = self.regs.sp;
        let lo = self.read(bus, sp);
        let hi = self.read(bus, sp.wrapping_add(1));
        self.regs.sp = sp.wrapping_add(2);
        u16::from_le_bytes([lo, hi])
    }

    // --- registers --------------------------------------------------------

    /// Writes F and records it in Q (the instruction changed the flags).
    #[inline(always)]
    fn set_f(&mut self, f: u8) {
        self.regs.f = f;
        self.regs.q = f;
    }

    #[inline(always)]
    fn cond(&self, c: Cond) -> bool {
        let f = self.regs.f;
        match c {
            Cond::Nz => f & FLAG_Z == 0,
            Cond::Z => f & FLAG_Z != 0,
            Cond::Nc => f & FLAG_C == 0,
            Cond::C => f & FLAG_C != 0,
            Cond::Po => f & FLAG_PV == 0,
            Cond::Pe => f & FLAG_PV != 0,
            Cond::P => f & FLAG_S == 0,
            Cond::M => f & FLAG_S != 0,
        }
    }

    #[inline(always)]
    fn get8(&self, r: Reg8) -> u8 {
        let regs = &self.regs;
        match r {
            Reg8::B => regs.b,
            Reg8::C => regs.c,
            Reg8::D => regs.d,
            Reg8::E => regs.e,
            Reg8::H => regs.h,
            Reg8::L => regs.l,
            Reg8::A => regs.a,
            Reg8::Ixh => (regs.ix >> 8) as u8,
            Reg8::Ixl => regs.ix as u8,
            Reg8::Iyh => (regs.iy >> 8) as u8,
            Reg8::Iyl => regs.iy as u8,
        }
    }

    #[inline(always)]
    fn set8(&mut self, r: Reg8, v: u8) {
        let regs = &mut self.regs;
        match r {
            Reg8::B => regs.b = v,
            Reg8::C => regs.c = v,
            Reg8::D => regs.d = v,
            Reg8::E => regs.e = v,
            Reg8::H => regs.h = v,
            Reg8::L => regs.l = v,
            Reg8::A => regs.a = v,
            Reg8::Ixh => regs.ix = (regs.ix & 0x00FF) | (u16::from(v) << 8),
            Reg8::Ixl => regs.ix = (regs.ix & 0xFF00) | u16::from(v),
            Reg8::Iyh => regs.iy = (regs.iy & 0x00FF) | (u16::from(v) << 8),
            Reg8::Iyl => regs.iy = (regs.iy & 0xFF00) | u16::from(v),
        }
    }

    #[inline(always)]
    fn get16(&self, r: Reg16) -> u16 {
        match r {
            Reg16::Bc => self.regs.bc(),
            Reg16::De => self.regs.de(),
            Reg16::Hl => self.regs.hl(),
            Reg16::Sp => self.regs.sp,
            Reg16::Af => self.regs.af(),
            Reg16::Ix => self.regs.ix,
            Reg16::Iy => self.regs.iy,
        }
    }

    #[inline(always)]
    fn set16(&mut self, r: Reg16, v: u16) {
        match r {
            Reg16::Bc => self.regs.set_bc(v),
            Reg16::De => self.regs.set_de(v),
            Reg16::Hl => self.regs.set_hl(v),
            Reg16::Sp => self.regs.sp = v,
            Reg16::Af => self.regs.set_af(v),
            Reg16::Ix => self.regs.ix = v,
            Reg16::Iy => self.regs.iy = v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RAM plus interrupt lines a test drives by hand.
    struct TestBus {
        mem: Vec<u8>,
        int: bool,
        nmi: bool,
        vector: u8,
    }

    impl TestBus {
        fn with_program(at: u16, code: &[u8]) -> Self {
            let mut mem = vec![0; 0x10000];
            mem[usize::from(at)..usize::from(at) + code.len()].copy_from_slice(code);
            Self {
                mem,
                int: false,
                nmi: false,
                vector: 0xFF,
            }
        }
    }

    impl BusZ80 for TestBus {
        fn fetch_opcode(&mut self, addr: u16, _refresh: u16, _now: u64) -> u8 {
            self.mem[usize::from(addr)]
        }
        fn read(&mut self, addr: u16, _now: u64) -> u8 {
            self.mem[usize::from(addr)]
        }
        fn write(&mut self, addr: u16, value: u8, _now: u64) {
            self.mem[usize::from(addr)] = value;
        }
        fn int_line(&self) -> bool {
            self.int
        }
        fn nmi_line(&self) -> bool {
            self.nmi
        }
        fn int_ack(&mut self, _now: u64) -> u8 {
            self.vector
        }
    }

    fn cpu_at(pc: u16) -> Cpu {
        let mut cpu = Cpu::new();
        cpu.regs.pc = pc;
        cpu.regs.sp = 0xF000;
        cpu
    }

    fn stacked_pc(cpu: &Cpu, bus: &TestBus) -> u16 {
        let sp = usize::from(cpu.regs.sp);
        u16::from_le_bytes([bus.mem[sp], bus.mem[sp + 1]])
    }

    #[test]
    fn ei_delays_acceptance_by_one_instruction() {
        // EI / NOP / NOP with /INT held low, IM 1.
        let mut bus = TestBus::with_program(0x100, &[0xFB, 0x00, 0x00]);
        bus.int = true;
        let mut cpu = cpu_at(0x100);
        cpu.regs.im = 1;
        cpu.step(&mut bus);
        cpu.step(&mut bus);
        assert_eq!(cpu.regs.pc, 0x102, "the instruction after EI runs first");
        let before = cpu.regs.tstates;
        cpu.step(&mut bus);
        assert_eq!(cpu.regs.pc, 0x0038);
        assert_eq!(cpu.regs.tstates - before, 13);
        assert_eq!(stacked_pc(&cpu, &bus), 0x102);
        assert!(!cpu.regs.iff1 && !cpu.regs.iff2);
    }

    #[test]
    fn interrupt_wakes_halt_and_returns_past_it() {
        let mut bus = TestBus::with_program(0x200, &[0x76, 0x00]);
        let mut cpu = cpu_at(0x200);
        (cpu.regs.iff1, cpu.regs.iff2, cpu.regs.im) = (true, true, 1);
        for _ in 0..3 {
            cpu.step(&mut bus);
        }
        assert!(cpu.regs.halted);
        assert_eq!(cpu.regs.pc, 0x201);
        assert_eq!(cpu.regs.tstates, 12);
        assert_eq!(cpu.regs.r, 3, "every halted M1 cycle refreshes");
        bus.int = true;
        cpu.step(&mut bus);
        assert!(!cpu.regs.halted);
        assert_eq!(stacked_pc(&cpu, &bus), 0x201);
    }

    #[test]
    fn im2_jumps_through_the_vector_table() {
        let mut bus = TestBus::with_program(0x300, &[0x00]);
        bus.mem[0x8020..0x8022].copy_from_slice(&[0x34, 0x12]);
        bus.vector = 0x20;
        bus.int = true;
        let mut cpu = cpu_at(0x300);
        (cpu.regs.iff1, cpu.regs.iff2, cpu.regs.im, cpu.regs.i) = (true, true, 2, 0x80);
        cpu.step(&mut bus);
        assert_eq!(cpu.regs.pc, 0x1234);
        assert_eq!(cpu.regs.tstates, 19);
        assert_eq!(stacked_pc(&cpu, &bus), 0x300);
    }

    #[test]
    fn im0_executes_the_rst_on_the_bus() {
        let mut bus = TestBus::with_program(0x300, &[0x00]);
        bus.vector = 0xD7; // RST 10h
        bus.int = true;
        let mut cpu = cpu_at(0x300);
        (cpu.regs.iff1, cpu.regs.iff2) = (true, true);
        cpu.step(&mut bus);
        assert_eq!(cpu.regs.pc, 0x0010);
        assert_eq!(cpu.regs.tstates, 13);
    }

    #[test]
    fn nmi_is_edge_triggered_and_retn_restores_iff1() {
        let mut bus = TestBus::with_program(0x400, &[0x00, 0x00, 0x00]);
        bus.mem[0x66..0x68].copy_from_slice(&[0xED, 0x45]); // RETN
        let mut cpu = cpu_at(0x400);
        (cpu.regs.iff1, cpu.regs.iff2) = (true, true);
        bus.nmi = true;
        cpu.step(&mut bus);
        assert_eq!(cpu.regs.pc, 0x0066);
        assert_eq!(cpu.regs.tstates, 11);
        assert!(!cpu.regs.iff1 && cpu.regs.iff2);
        cpu.step(&mut bus); // RETN, NMI still held: no new edge
        assert_eq!(cpu.regs.pc, 0x400);
        assert!(cpu.regs.iff1);
        cpu.step(&mut bus);
        assert_eq!(cpu.regs.pc, 0x401);
    }

    #[test]
    fn interrupt_right_after_ld_a_i_clears_parity() {
        let mut bus = TestBus::with_program(0x500, &[0xED, 0x57, 0x00]);
        let mut cpu = cpu_at(0x500);
        (cpu.regs.iff1, cpu.regs.iff2, cpu.regs.im) = (true, true, 1);
        cpu.step(&mut bus);
        assert_ne!(cpu.regs.f & FLAG_PV, 0, "LD A,I copies IFF2");
        bus.int = true;
        cpu.step(&mut bus);
        assert_eq!(cpu.regs.pc, 0x38);
        assert_eq!(cpu.regs.f & FLAG_PV, 0);
    }
}
