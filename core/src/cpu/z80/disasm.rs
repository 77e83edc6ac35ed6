//! Z80 disassembler, driven by the decode tables (Zilog syntax, undocumented
//! forms in their common spelling: `IXH`, `SLL`, `IN F,(C)`, `OUT (C),0`,
//! `RLC (IX+d),B`).

use core::fmt::Write;

use super::decode::{
    Addr, AluOp, BASE, BlockKind, CB, Cond, DD, DDCB, ED, FD, FDCB, Instr, Loc8, Prefix, Reg8,
    Reg16, ShiftOp,
};

/// One disassembled instruction.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Disassembly {
    /// Assembly text.
    pub text: String,
    /// Length in bytes, prefixes and operands included.
    pub len: u16,
}

/// Disassembles the instruction at `pc`, reading bytes through `peek`.
pub fn disassemble(pc: u16, peek: impl Fn(u16) -> u8) -> Disassembly {
    let mut cursor = Cursor {
        pc,
        len: 0,
        peek: &peek,
    };
    let mut op = cursor.next();
    let mut table = &BASE;
    let mut index_cb_disp = None;
    // Prefix chains: the last DD/FD wins, ED and CB select their pages.
    loop {
        match table[op as usize] {
            Instr::Prefix(Prefix::Dd) if !core::ptr::eq(table, &CB) => table = &DD,
            Instr::Prefix(Prefix::Fd) if !core::ptr::eq(table, &CB) => table = &FD,
            Instr::Prefix(Prefix::Ed) => table = &ED,
            Instr::Prefix(Prefix::Cb) if core::ptr::eq(table, &DD) || core::ptr::eq(table, &FD) => {
                index_cb_disp = Some(cursor.next() as i8);
                table = if core::ptr::eq(table, &DD) {
                    &DDCB
                } else {
                    &FDCB
                };
                op = cursor.next();
                break;
            }
            Instr::Prefix(Prefix::Cb) => table = &CB,
            _ => break,
        }
        op = cursor.next();
    }
    let text = format_instr(table[op as usize], &mut cursor, index_cb_disp);
    Disassembly {
        text,
        len: cursor.len,
    }
}

struct Cursor<'a, F: Fn(u16) -> u8> {
    pc: u16,
    len: u16,
    peek: &'a F,
}

impl<F: Fn(u16) -> u8> Cursor<'_, F> {
    fn next(&mut self) -> u8 {
        let b = (self.peek)(self.pc.wrapping_add(self.len));
        self.len += 1;
        b
    }
    fn word(&mut self) -> u16 {
        let lo = self.next();
        u16::from_le_bytes([lo, self.next()])
    }
    /// Address after the instruction so far, for relative jumps.
    fn here(&self) -> u16 {
        self.pc.wrapping_add(self.len)
    }
}

fn reg8(r: Reg8) -> &'static str {
    match r {
        Reg8::B => "B",
        Reg8::C => "C",
        Reg8::D => "D",
        Reg8::E => "E",
        Reg8::H => "H",
        Reg8::L => "L",
        Reg8::A => "A",
        Reg8::Ixh => "IXH",
        Reg8::Ixl => "IXL",
        Reg8::Iyh => "IYH",
        Reg8::Iyl => "IYL",
    }
}

fn reg16(r: Reg16) -> &'static str {
    match r {
        Reg16::Bc => "BC",
        Reg16::De => "DE",
        Reg16::Hl => "HL",
        Reg16::Sp => "SP",
        Reg16::Af => "AF",
        Reg16::Ix => "IX",
        Reg16::Iy => "IY",
    }
}

fn cond(c: Cond) -> &'static str {
    ["NZ", "Z", "NC", "C", "PO", "PE", "P", "M"][c as usize]
}

fn alu(op: AluOp) -> &'static str {
    [
        "ADD A,", "ADC A,", "SUB ", "SBC A,", "AND ", "XOR ", "OR ", "CP ",
    ][op as usize]
}

fn shift(op: ShiftOp) -> &'static str {
    ["RLC", "RRC", "RL", "RR", "SLA", "SRA", "SLL", "SRL"][op as usize]
}

fn loc<F: Fn(u16) -> u8>(l: Loc8, c: &mut Cursor<'_, F>, disp: Option<i8>) -> String {
    match l {
        Loc8::Reg(r) => reg8(r).to_string(),
        Loc8::Imm => format!("${:02X}", c.next()),
        Loc8::Mem(Addr::Bc) => "(BC)".to_string(),
        Loc8::Mem(Addr::De) => "(DE)".to_string(),
        Loc8::Mem(Addr::Hl) => "(HL)".to_string(),
        Loc8::Mem(Addr::Abs) => format!("(${:04X})", c.word()),
        Loc8::Mem(a @ (Addr::Ix | Addr::Iy)) => {
            let d = disp.unwrap_or_else(|| c.next() as i8);
            let name = if matches!(a, Addr::Ix) { "IX" } else { "IY" };
            if d < 0 {
                format!("({name}-${:02X})", d.unsigned_abs())
            } else {
                format!("({name}+${d:02X})")
            }
        }
    }
}

fn format_instr<F: Fn(u16) -> u8>(instr: Instr, c: &mut Cursor<'_, F>, disp: Option<i8>) -> String {
    let rel = |c: &mut Cursor<'_, F>| {
        let e = c.next() as i8;
        format!("${:04X}", c.here().wrapping_add_signed(i16::from(e)))
    };
    let with_copy = |mut s: String, copy: Option<Reg8>| {
        if let Some(r) = copy {
            let _ = write!(s, ",{}", reg8(r));
        }
        s
    };
    match instr {
        Instr::Nop => "NOP".into(),
        Instr::EdNop => "NOP*".into(),
        Instr::Prefix(_) => "PREFIX".into(),
        Instr::Ld8 { dst, src } => {
            let d = loc(dst, c, disp);
            format!("LD {d},{}", loc(src, c, disp))
        }
        Instr::Ld16Imm(r) => format!("LD {},${:04X}", reg16(r), c.word()),
        Instr::Ld16Store(r) => format!("LD (${:04X}),{}", c.word(), reg16(r)),
        Instr::Ld16Load(r) => format!("LD {},(${:04X})", reg16(r), c.word()),
        Instr::LdSp(r) => format!("LD SP,{}", reg16(r)),
        Instr::LdAI => "LD A,I".into(),
        Instr::LdAR => "LD A,R".into(),
        Instr::LdIA => "LD I,A".into(),
        Instr::LdRA => "LD R,A".into(),
        Instr::Push(r) => format!("PUSH {}", reg16(r)),
        Instr::Pop(r) => format!("POP {}", reg16(r)),
        Instr::ExAf => "EX AF,AF'".into(),
        Instr::Exx => "EXX".into(),
        Instr::ExDeHl => "EX DE,HL".into(),
        Instr::ExSp(r) => format!("EX (SP),{}", reg16(r)),
        Instr::Alu(op, l) => format!("{}{}", alu(op), loc(l, c, disp)),
        Instr::Inc8(l) => format!("INC {}", loc(l, c, disp)),
        Instr::Dec8(l) => format!("DEC {}", loc(l, c, disp)),
        Instr::Inc16(r) => format!("INC {}", reg16(r)),
        Instr::Dec16(r) => format!("DEC {}", reg16(r)),
        Instr::Add16(d, s) => format!("ADD {},{}", reg16(d), reg16(s)),
        Instr::Adc16(r) => format!("ADC HL,{}", reg16(r)),
        Instr::Sbc16(r) => format!("SBC HL,{}", reg16(r)),
        Instr::RotateA(op) => format!("{}A", shift(op)),
        Instr::Daa => "DAA".into(),
        Instr::Cpl => "CPL".into(),
        Instr::Scf => "SCF".into(),
        Instr::Ccf => "CCF".into(),
        Instr::Neg => "NEG".into(),
        Instr::Jp => format!("JP ${:04X}", c.word()),
        Instr::JpCc(cc) => format!("JP {},${:04X}", cond(cc), c.word()),
        Instr::JpInd(r) => format!("JP ({})", reg16(r)),
        Instr::Jr => format!("JR {}", rel(c)),
        Instr::JrCc(cc) => format!("JR {},{}", cond(cc), rel(c)),
        Instr::Djnz => format!("DJNZ {}", rel(c)),
        Instr::Call => format!("CALL ${:04X}", c.word()),
        Instr::CallCc(cc) => format!("CALL {},${:04X}", cond(cc), c.word()),
        Instr::Ret => "RET".into(),
        Instr::RetCc(cc) => format!("RET {}", cond(cc)),
        Instr::Retn => "RETN".into(),
        Instr::Reti => "RETI".into(),
        Instr::Rst(p) => format!("RST ${p:02X}"),
        Instr::Halt => "HALT".into(),
        Instr::Di => "DI".into(),
        Instr::Ei => "EI".into(),
        Instr::Im(m) => format!("IM {m}"),
        Instr::InAImm => format!("IN A,(${:02X})", c.next()),
        Instr::OutImmA => format!("OUT (${:02X}),A", c.next()),
        Instr::InC(r) => format!("IN {},(C)", r.map_or("F", reg8)),
        Instr::OutC(r) => format!("OUT (C),{}", r.map_or("0", reg8)),
        Instr::Rrd => "RRD".into(),
        Instr::Rld => "RLD".into(),
        Instr::Block(b) => {
            let base = match (b.kind, b.repeat) {
                (BlockKind::Ld, _) => "LD",
                (BlockKind::Cp, _) => "CP",
                (BlockKind::In, _) => "IN",
                (BlockKind::Out, false) => "OUT",
                (BlockKind::Out, true) => "OT",
            };
            let dir = if b.decrement { "D" } else { "I" };
            format!("{base}{dir}{}", if b.repeat { "R" } else { "" })
        }
        Instr::Shift { op, loc: l, copy } => {
            with_copy(format!("{} {}", shift(op), loc(l, c, disp)), copy)
        }
        Instr::Bit { bit, loc: l } => format!("BIT {bit},{}", loc(l, c, disp)),
        Instr::Res { bit, loc: l, copy } => {
            with_copy(format!("RES {bit},{}", loc(l, c, disp)), copy)
        }
        Instr::Set { bit, loc: l, copy } => {
            with_copy(format!("SET {bit},{}", loc(l, c, disp)), copy)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dis(bytes: &[u8]) -> (String, u16) {
        let d = disassemble(0x100, |a| {
            bytes.get(usize::from(a - 0x100)).copied().unwrap_or(0)
        });
        (d.text, d.len)
    }

    /// Every opcode of every page: the disassembler's length equals how far
    /// the interpreter moves PC, for instructions that do not jump.
    #[test]
    fn lengths_agree_with_the_interpreter() {
        use crate::cpu::z80::Cpu;
        use crate::machine::cpm::Ram64;
        let jumps = |i: Instr| {
            matches!(
                i,
                Instr::Jp
                    | Instr::JpCc(_)
                    | Instr::JpInd(_)
                    | Instr::Jr
                    | Instr::JrCc(_)
                    | Instr::Djnz
                    | Instr::Call
                    | Instr::CallCc(_)
                    | Instr::Ret
                    | Instr::RetCc(_)
                    | Instr::Retn
                    | Instr::Reti
                    | Instr::Rst(_)
                    | Instr::Halt
                    | Instr::Prefix(_)
            ) || matches!(i, Instr::Block(b) if b.repeat)
        };
        let pages: [(&[u8], &[Instr; 256]); 7] = [
            (&[], &BASE),
            (&[0xCB], &CB),
            (&[0xED], &ED),
            (&[0xDD], &DD),
            (&[0xFD], &FD),
            (&[0xDD, 0xCB, 0x05], &DDCB),
            (&[0xFD, 0xCB, 0x05], &FDCB),
        ];
        for (prefix, table) in pages {
            for op in 0..=255u8 {
                if jumps(table[usize::from(op)]) {
                    continue;
                }
                let mut ram = Ram64::new();
                let code = [prefix, &[op, 0x12, 0x34, 0x56]].concat();
                ram.bytes_mut()[0x100..0x100 + code.len()].copy_from_slice(&code);
                let d = disassemble(0x100, |a| ram.bytes()[usize::from(a)]);
                let mut cpu = Cpu::new();
                cpu.regs.pc = 0x100;
                cpu.regs.sp = 0x8000;
                cpu.step(&mut ram);
                assert_eq!(
                    cpu.regs.pc - 0x100,
                    d.len,
                    "{prefix:02x?} {op:02x}: {}",
                    d.text
                );
            }
        }
    }

    #[test]
    fn formats_every_page() {
        assert_eq!(dis(&[0x00]), ("NOP".into(), 1));
        assert_eq!(dis(&[0x21, 0x34, 0x12]), ("LD HL,$1234".into(), 3));
        assert_eq!(
            dis(&[0xDD, 0x36, 0xFE, 0x42]),
            ("LD (IX-$02),$42".into(), 4)
        );
        assert_eq!(dis(&[0xFD, 0xCB, 0x05, 0x00]), ("RLC (IY+$05),B".into(), 4));
        assert_eq!(dis(&[0xED, 0xB0]), ("LDIR".into(), 2));
        assert_eq!(dis(&[0xED, 0xB3]), ("OTIR".into(), 2));
        assert_eq!(dis(&[0xCB, 0x36]), ("SLL (HL)".into(), 2));
        assert_eq!(dis(&[0x18, 0xFE]), ("JR $0100".into(), 2));
        assert_eq!(dis(&[0xDD, 0xFD, 0x7C]), ("LD A,IYH".into(), 3));
    }
}
