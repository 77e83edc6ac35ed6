//! Z80 opcode tables: the single source of truth for what every opcode of
//! every page does. The interpreter's dispatch is generated from these tables
//! (one match arm per opcode, each executing its table entry), the
//! disassembler prints them, and a lifter reads them.
//!
//! Tables are built at compile time from the opcode's `x y z` / `p q` bit
//! fields. The DD/FD pages are derived from the unprefixed page by the
//! documented substitution rules (HL -> IX, H -> IXH, (HL) -> (IX+d), and
//! no H/L substitution in an instruction that has an (IX+d) operand).

/// An 8-bit register. `Ixh`..`Iyl` are the undocumented index halves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reg8 {
    /// B.
    B,
    /// C.
    C,
    /// D.
    D,
    /// E.
    E,
    /// H.
    H,
    /// L.
    L,
    /// A.
    A,
    /// High byte of IX.
    Ixh,
    /// Low byte of IX.
    Ixl,
    /// High byte of IY.
    Iyh,
    /// Low byte of IY.
    Iyl,
}

/// A 16-bit register as instructions name it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reg16 {
    /// BC.
    Bc,
    /// DE.
    De,
    /// HL.
    Hl,
    /// SP.
    Sp,
    /// AF (PUSH/POP only).
    Af,
    /// IX.
    Ix,
    /// IY.
    Iy,
}

/// Where a memory operand's address comes from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Addr {
    /// (BC).
    Bc,
    /// (DE).
    De,
    /// (HL).
    Hl,
    /// (IX+d), d a signed byte after the opcode (before it on DDCB).
    Ix,
    /// (IY+d).
    Iy,
    /// (nn), a 16-bit address after the opcode.
    Abs,
}

/// An 8-bit operand.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Loc8 {
    /// A register.
    Reg(Reg8),
    /// The byte after the opcode (after the displacement, if any).
    Imm,
    /// A memory byte.
    Mem(Addr),
}

/// Branch conditions, in encoding order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cond {
    /// Z clear.
    Nz,
    /// Z set.
    Z,
    /// C clear.
    Nc,
    /// C set.
    C,
    /// P/V clear (parity odd).
    Po,
    /// P/V set (parity even).
    Pe,
    /// S clear.
    P,
    /// S set.
    M,
}

/// Accumulator operations, in encoding order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AluOp {
    /// ADD A,v.
    Add,
    /// ADC A,v.
    Adc,
    /// SUB v.
    Sub,
    /// SBC A,v.
    Sbc,
    /// AND v.
    And,
    /// XOR v.
    Xor,
    /// OR v.
    Or,
    /// CP v.
    Cp,
}

/// CB-page rotates and shifts, in encoding order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ShiftOp {
    /// Rotate left circular.
    Rlc,
    /// Rotate right circular.
    Rrc,
    /// Rotate left through carry.
    Rl,
    /// Rotate right through carry.
    Rr,
    /// Shift left arithmetic.
    Sla,
    /// Shift right arithmetic (bit 7 kept).
    Sra,
    /// Undocumented shift left that shifts a 1 in.
    Sll,
    /// Shift right logical.
    Srl,
}

/// What one step of a block instruction moves or compares.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BlockKind {
    /// LDI family: (DE) <- (HL).
    Ld,
    /// CPI family: compare A with (HL).
    Cp,
    /// INI family: (HL) <- port (BC).
    In,
    /// OUTI family: port (BC) <- (HL).
    Out,
}

/// A block instruction: LDI ... OTDR.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Block {
    /// What each step does.
    pub kind: BlockKind,
    /// Pointers step down (LDD, CPD, ...) instead of up.
    pub decrement: bool,
    /// Repeats until the counter runs out (LDIR, ...), re-executing itself.
    pub repeat: bool,
}

/// The next opcode belongs to another page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Prefix {
    /// CB: rotates and bit operations (DDCB/FDCB after an index prefix).
    Cb,
    /// DD: IX instead of HL.
    Dd,
    /// ED: the extended page.
    Ed,
    /// FD: IY instead of HL.
    Fd,
}

/// What an opcode does. Timing and bus order follow from the variant and its
/// operands (see `execute`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Instr {
    /// NOP (also every DD/FD opcode whose base instruction does nothing).
    Nop,
    /// An ED-page opcode with no instruction: does nothing in 8 T-states.
    EdNop,
    /// A prefix byte.
    Prefix(Prefix),
    /// LD dst,src for 8-bit operands.
    Ld8 {
        /// Destination.
        dst: Loc8,
        /// Source.
        src: Loc8,
    },
    /// LD rr,nn.
    Ld16Imm(Reg16),
    /// LD (nn),rr.
    Ld16Store(Reg16),
    /// LD rr,(nn).
    Ld16Load(Reg16),
    /// LD SP,rr.
    LdSp(Reg16),
    /// LD A,I (sets P/V from IFF2).
    LdAI,
    /// LD A,R.
    LdAR,
    /// LD I,A.
    LdIA,
    /// LD R,A.
    LdRA,
    /// PUSH rr.
    Push(Reg16),
    /// POP rr.
    Pop(Reg16),
    /// EX AF,AF'.
    ExAf,
    /// EXX.
    Exx,
    /// EX DE,HL (never indexed).
    ExDeHl,
    /// EX (SP),rr.
    ExSp(Reg16),
    /// ALU operation on A.
    Alu(AluOp, Loc8),
    /// INC of an 8-bit operand.
    Inc8(Loc8),
    /// DEC of an 8-bit operand.
    Dec8(Loc8),
    /// INC rr.
    Inc16(Reg16),
    /// DEC rr.
    Dec16(Reg16),
    /// ADD dst,src (HL, IX or IY).
    Add16(Reg16, Reg16),
    /// ADC HL,rr.
    Adc16(Reg16),
    /// SBC HL,rr.
    Sbc16(Reg16),
    /// RLCA, RRCA, RLA, RRA (only Rlc, Rrc, Rl, Rr occur).
    RotateA(ShiftOp),
    /// DAA.
    Daa,
    /// CPL.
    Cpl,
    /// SCF.
    Scf,
    /// CCF.
    Ccf,
    /// NEG (and its ED aliases).
    Neg,
    /// JP nn.
    Jp,
    /// JP cc,nn.
    JpCc(Cond),
    /// JP (rr).
    JpInd(Reg16),
    /// JR e.
    Jr,
    /// JR cc,e (only NZ, Z, NC, C).
    JrCc(Cond),
    /// DJNZ e.
    Djnz,
    /// CALL nn.
    Call,
    /// CALL cc,nn.
    CallCc(Cond),
    /// RET.
    Ret,
    /// RET cc.
    RetCc(Cond),
    /// RETN (and aliases): RET and IFF1 <- IFF2.
    Retn,
    /// RETI: the same operation as RETN, recognised by Z80 peripherals.
    Reti,
    /// RST p.
    Rst(u8),
    /// HALT.
    Halt,
    /// DI.
    Di,
    /// EI.
    Ei,
    /// IM 0/1/2.
    Im(u8),
    /// IN A,(n): port A*256+n, flags unchanged.
    InAImm,
    /// OUT (n),A.
    OutImmA,
    /// IN r,(C); `None` is ED 70, which sets flags only.
    InC(Option<Reg8>),
    /// OUT (C),r; `None` is ED 71, which outputs 0 (NMOS).
    OutC(Option<Reg8>),
    /// RRD.
    Rrd,
    /// RLD.
    Rld,
    /// LDI ... OTDR.
    Block(Block),
    /// CB rotate/shift; `copy` is the DDCB/FDCB register that also receives the result.
    Shift {
        /// Operation.
        op: ShiftOp,
        /// Operand.
        loc: Loc8,
        /// Undocumented extra destination.
        copy: Option<Reg8>,
    },
    /// BIT n,v.
    Bit {
        /// Bit number.
        bit: u8,
        /// Operand.
        loc: Loc8,
    },
    /// RES n,v.
    Res {
        /// Bit number.
        bit: u8,
        /// Operand.
        loc: Loc8,
        /// Undocumented extra destination.
        copy: Option<Reg8>,
    },
    /// SET n,v.
    Set {
        /// Bit number.
        bit: u8,
        /// Operand.
        loc: Loc8,
        /// Undocumented extra destination.
        copy: Option<Reg8>,
    },
}

const R: [Loc8; 8] = [
    Loc8::Reg(Reg8::B),
    Loc8::Reg(Reg8::C),
    Loc8::Reg(Reg8::D),
    Loc8::Reg(Reg8::E),
    Loc8::Reg(Reg8::H),
    Loc8::Reg(Reg8::L),
    Loc8::Mem(Addr::Hl),
    Loc8::Reg(Reg8::A),
];
const R8: [Reg8; 8] = [
    Reg8::B,
    Reg8::C,
    Reg8::D,
    Reg8::E,
    Reg8::H,
    Reg8::L,
    Reg8::A, // z = 6 never reaches a register table lookup.
    Reg8::A,
];
const RP: [Reg16; 4] = [Reg16::Bc, Reg16::De, Reg16::Hl, Reg16::Sp];
const RP2: [Reg16; 4] = [Reg16::Bc, Reg16::De, Reg16::Hl, Reg16::Af];
const CC: [Cond; 8] = [
    Cond::Nz,
    Cond::Z,
    Cond::Nc,
    Cond::C,
    Cond::Po,
    Cond::Pe,
    Cond::P,
    Cond::M,
];
const ALU: [AluOp; 8] = [
    AluOp::Add,
    AluOp::Adc,
    AluOp::Sub,
    AluOp::Sbc,
    AluOp::And,
    AluOp::Xor,
    AluOp::Or,
    AluOp::Cp,
];
const SHIFT: [ShiftOp; 8] = [
    ShiftOp::Rlc,
    ShiftOp::Rrc,
    ShiftOp::Rl,
    ShiftOp::Rr,
    ShiftOp::Sla,
    ShiftOp::Sra,
    ShiftOp::Sll,
    ShiftOp::Srl,
];

/// The unprefixed page.
const fn decode_base(op: u8) -> Instr {
    let (x, y, z) = (op >> 6, ((op >> 3) & 7) as usize, (op & 7) as usize);
    let (p, q) = (y >> 1, y & 1);
    match x {
        0 => match z {
            0 => match y {
                0 => Instr::Nop,
                1 => Instr::ExAf,
                2 => Instr::Djnz,
                3 => Instr::Jr,
                _ => Instr::JrCc(CC[y - 4]),
            },
            1 if q == 0 => Instr::Ld16Imm(RP[p]),
            1 => Instr::Add16(Reg16::Hl, RP[p]),
            2 => {
                let a = Loc8::Reg(Reg8::A);
                match (p, q) {
                    (0, 0) => Instr::Ld8 {
                        dst: Loc8::Mem(Addr::Bc),
                        src: a,
                    },
                    (1, 0) => Instr::Ld8 {
                        dst: Loc8::Mem(Addr::De),
                        src: a,
                    },
                    (2, 0) => Instr::Ld16Store(Reg16::Hl),
                    (3, 0) => Instr::Ld8 {
                        dst: Loc8::Mem(Addr::Abs),
                        src: a,
                    },
                    (0, _) => Instr::Ld8 {
                        dst: a,
                        src: Loc8::Mem(Addr::Bc),
                    },
                    (1, _) => Instr::Ld8 {
                        dst: a,
                        src: Loc8::Mem(Addr::De),
                    },
                    (2, _) => Instr::Ld16Load(Reg16::Hl),
                    _ => Instr::Ld8 {
                        dst: a,
                        src: Loc8::Mem(Addr::Abs),
                    },
                }
            }
            3 if q == 0 => Instr::Inc16(RP[p]),
            3 => Instr::Dec16(RP[p]),
            4 => Instr::Inc8(R[y]),
            5 => Instr::Dec8(R[y]),
            6 => Instr::Ld8 {
                dst: R[y],
                src: Loc8::Imm,
            },
            _ => match y {
                0..=3 => Instr::RotateA(SHIFT[y]),
                4 => Instr::Daa,
                5 => Instr::Cpl,
                6 => Instr::Scf,
                _ => Instr::Ccf,
            },
        },
        1 if y == 6 && z == 6 => Instr::Halt,
        1 => Instr::Ld8 {
            dst: R[y],
            src: R[z],
        },
        2 => Instr::Alu(ALU[y], R[z]),
        _ => match z {
            0 => Instr::RetCc(CC[y]),
            1 if q == 0 => Instr::Pop(RP2[p]),
            1 => match p {
                0 => Instr::Ret,
                1 => Instr::Exx,
                2 => Instr::JpInd(Reg16::Hl),
                _ => Instr::LdSp(Reg16::Hl),
            },
            2 => Instr::JpCc(CC[y]),
            3 => match y {
                0 => Instr::Jp,
                1 => Instr::Prefix(Prefix::Cb),
                2 => Instr::OutImmA,
                3 => Instr::InAImm,
                4 => Instr::ExSp(Reg16::Hl),
                5 => Instr::ExDeHl,
                6 => Instr::Di,
                _ => Instr::Ei,
            },
            4 => Instr::CallCc(CC[y]),
            5 if q == 0 => Instr::Push(RP2[p]),
            5 => match p {
                0 => Instr::Call,
                1 => Instr::Prefix(Prefix::Dd),
                2 => Instr::Prefix(Prefix::Ed),
                _ => Instr::Prefix(Prefix::Fd),
            },
            6 => Instr::Alu(ALU[y], Loc8::Imm),
            _ => Instr::Rst((y as u8) * 8),
        },
    }
}

/// The CB page.
const fn decode_cb(op: u8) -> Instr {
    let (x, y, z) = (op >> 6, (op >> 3) & 7, (op & 7) as usize);
    match x {
        0 => Instr::Shift {
            op: SHIFT[y as usize],
            loc: R[z],
            copy: None,
        },
        1 => Instr::Bit { bit: y, loc: R[z] },
        2 => Instr::Res {
            bit: y,
            loc: R[z],
            copy: None,
        },
        _ => Instr::Set {
            bit: y,
            loc: R[z],
            copy: None,
        },
    }
}

/// The ED page, undocumented aliases included.
const fn decode_ed(op: u8) -> Instr {
    let (x, y, z) = (op >> 6, (op >> 3) & 7, op & 7);
    let (p, q) = ((y >> 1) as usize, y & 1);
    match (x, z) {
        (1, 0) if y == 6 => Instr::InC(None),
        (1, 0) => Instr::InC(Some(R8[y as usize])),
        (1, 1) if y == 6 => Instr::OutC(None),
        (1, 1) => Instr::OutC(Some(R8[y as usize])),
        (1, 2) if q == 0 => Instr::Sbc16(RP[p]),
        (1, 2) => Instr::Adc16(RP[p]),
        (1, 3) if q == 0 => Instr::Ld16Store(RP[p]),
        (1, 3) => Instr::Ld16Load(RP[p]),
        (1, 4) => Instr::Neg,
        (1, 5) if y == 1 => Instr::Reti,
        (1, 5) => Instr::Retn,
        (1, 6) => Instr::Im([0, 0, 1, 2][(y & 3) as usize]),
        (1, 7) => match y {
            0 => Instr::LdIA,
            1 => Instr::LdRA,
            2 => Instr::LdAI,
            3 => Instr::LdAR,
            4 => Instr::Rrd,
            5 => Instr::Rld,
            _ => Instr::EdNop,
        },
        (2, 0..=3) if y >= 4 => Instr::Block(Block {
            kind: [BlockKind::Ld, BlockKind::Cp, BlockKind::In, BlockKind::Out][z as usize],
            decrement: y & 1 != 0,
            repeat: y >= 6,
        }),
        _ => Instr::EdNop,
    }
}

const fn index_loc(loc: Loc8, iy: bool, has_mem: bool) -> Loc8 {
    match loc {
        Loc8::Mem(Addr::Hl) => Loc8::Mem(if iy { Addr::Iy } else { Addr::Ix }),
        Loc8::Reg(Reg8::H) if !has_mem => Loc8::Reg(if iy { Reg8::Iyh } else { Reg8::Ixh }),
        Loc8::Reg(Reg8::L) if !has_mem => Loc8::Reg(if iy { Reg8::Iyl } else { Reg8::Ixl }),
        other => other,
    }
}

const fn index_reg16(r: Reg16, iy: bool) -> Reg16 {
    match r {
        Reg16::Hl if iy => Reg16::Iy,
        Reg16::Hl => Reg16::Ix,
        other => other,
    }
}

const fn is_mem_hl(loc: Loc8) -> bool {
    matches!(loc, Loc8::Mem(Addr::Hl))
}

/// The DD (IX) or FD (IY) page: the base instruction with HL replaced.
const fn decode_index(op: u8, iy: bool) -> Instr {
    match decode_base(op) {
        Instr::Ld8 { dst, src } => {
            let m = is_mem_hl(dst) || is_mem_hl(src);
            Instr::Ld8 {
                dst: index_loc(dst, iy, m),
                src: index_loc(src, iy, m),
            }
        }
        Instr::Alu(op, loc) => Instr::Alu(op, index_loc(loc, iy, false)),
        Instr::Inc8(loc) => Instr::Inc8(index_loc(loc, iy, false)),
        Instr::Dec8(loc) => Instr::Dec8(index_loc(loc, iy, false)),
        Instr::Ld16Imm(r) => Instr::Ld16Imm(index_reg16(r, iy)),
        Instr::Ld16Store(r) => Instr::Ld16Store(index_reg16(r, iy)),
        Instr::Ld16Load(r) => Instr::Ld16Load(index_reg16(r, iy)),
        Instr::LdSp(r) => Instr::LdSp(index_reg16(r, iy)),
        Instr::Push(r) => Instr::Push(index_reg16(r, iy)),
        Instr::Pop(r) => Instr::Pop(index_reg16(r, iy)),
        Instr::ExSp(r) => Instr::ExSp(index_reg16(r, iy)),
        Instr::Inc16(r) => Instr::Inc16(index_reg16(r, iy)),
        Instr::Dec16(r) => Instr::Dec16(index_reg16(r, iy)),
        Instr::Add16(d, s) => Instr::Add16(index_reg16(d, iy), index_reg16(s, iy)),
        Instr::JpInd(r) => Instr::JpInd(index_reg16(r, iy)),
        other => other,
    }
}

/// The DDCB/FDCB page (after `DD CB d`): every operation works on (IX+d);
/// except for BIT, a register operand field names an extra register that
/// also receives the result.
const fn decode_index_cb(op: u8, iy: bool) -> Instr {
    let loc = Loc8::Mem(if iy { Addr::Iy } else { Addr::Ix });
    let (x, y, z) = (op >> 6, (op >> 3) & 7, (op & 7) as usize);
    let copy = if z == 6 { None } else { Some(R8[z]) };
    match x {
        0 => Instr::Shift {
            op: SHIFT[y as usize],
            loc,
            copy,
        },
        1 => Instr::Bit { bit: y, loc },
        2 => Instr::Res { bit: y, loc, copy },
        _ => Instr::Set { bit: y, loc, copy },
    }
}

macro_rules! build_table {
    ($decode:ident $(, $arg:expr)?) => {{
        let mut table = [Instr::Nop; 256];
        let mut op = 0;
        while op < 256 {
            table[op] = $decode(op as u8 $(, $arg)?);
            op += 1;
        }
        table
    }};
}

/// Unprefixed opcodes.
pub const BASE: [Instr; 256] = build_table!(decode_base);
/// CB page.
pub const CB: [Instr; 256] = build_table!(decode_cb);
/// ED page.
pub const ED: [Instr; 256] = build_table!(decode_ed);
/// DD page (IX).
pub const DD: [Instr; 256] = build_table!(decode_index, false);
/// FD page (IY).
pub const FD: [Instr; 256] = build_table!(decode_index, true);
/// DDCB page (IX), indexed by the opcode byte after the displacement.
pub const DDCB: [Instr; 256] = build_table!(decode_index_cb, false);
/// FDCB page (IY).
pub const FDCB: [Instr; 256] = build_table!(decode_index_cb, true);

/// Calls `$m!` with every opcode value, so dispatchers can generate one match
/// arm per table entry.
macro_rules! for_each_opcode {
    ($m:ident!($($args:tt)*)) => {
        $m!($($args)*;
            0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09 0x0A 0x0B 0x0C 0x0D 0x0E 0x0F
            0x10 0x11 0x12 0x13 0x14 0x15 0x16 0x17 0x18 0x19 0x1A 0x1B 0x1C 0x1D 0x1E 0x1F
            0x20 0x21 0x22 0x23 0x24 0x25 0x26 0x27 0x28 0x29 0x2A 0x2B 0x2C 0x2D 0x2E 0x2F
            0x30 0x31 0x32 0x33 0x34 0x35 0x36 0x37 0x38 0x39 0x3A 0x3B 0x3C 0x3D 0x3E 0x3F
            0x40 0x41 0x42 0x43 0x44 0x45 0x46 0x47 0x48 0x49 0x4A 0x4B 0x4C 0x4D 0x4E 0x4F
            0x50 0x51 0x52 0x53 0x54 0x55 0x56 0x57 0x58 0x59 0x5A 0x5B 0x5C 0x5D 0x5E 0x5F
            0x60 0x61 0x62 0x63 0x64 0x65 0x66 0x67 0x68 0x69 0x6A 0x6B 0x6C 0x6D 0x6E 0x6F
            0x70 0x71 0x72 0x73 0x74 0x75 0x76 0x77 0x78 0x79 0x7A 0x7B 0x7C 0x7D 0x7E 0x7F
            0x80 0x81 0x82 0x83 0x84 0x85 0x86 0x87 0x88 0x89 0x8A 0x8B 0x8C 0x8D 0x8E 0x8F
            0x90 0x91 0x92 0x93 0x94 0x95 0x96 0x97 0x98 0x99 0x9A 0x9B 0x9C 0x9D 0x9E 0x9F
            0xA0 0xA1 0xA2 0xA3 0xA4 0xA5 0xA6 0xA7 0xA8 0xA9 0xAA 0xAB 0xAC 0xAD 0xAE 0xAF
            0xB0 0xB1 0xB2 0xB3 0xB4 0xB5 0xB6 0xB7 0xB8 0xB9 0xBA 0xBB 0xBC 0xBD 0xBE 0xBF
            0xC0 0xC1 0xC2 0xC3 0xC4 0xC5 0xC6 0xC7 0xC8 0xC9 0xCA 0xCB 0xCC 0xCD 0xCE 0xCF
            0xD0 0xD1 0xD2 0xD3 0xD4 0xD5 0xD6 0xD7 0xD8 0xD9 0xDA 0xDB 0xDC 0xDD 0xDE 0xDF
            0xE0 0xE1 0xE2 0xE3 0xE4 0xE5 0xE6 0xE7 0xE8 0xE9 0xEA 0xEB 0xEC 0xED 0xEE 0xEF
            0xF0 0xF1 0xF2 0xF3 0xF4 0xF5 0xF6 0xF7 0xF8 0xF9 0xFA 0xFB 0xFC 0xFD 0xFE 0xFF
        )
    };
}
pub(crate) use for_each_opcode;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_pages_substitute_hl() {
        assert_eq!(DD[0x21], Instr::Ld16Imm(Reg16::Ix));
        assert_eq!(
            FD[0x7C],
            Instr::Ld8 {
                dst: Loc8::Reg(Reg8::A),
                src: Loc8::Reg(Reg8::Iyh)
            }
        );
        // An (IX+d) operand keeps the other operand's H and L.
        assert_eq!(
            DD[0x66],
            Instr::Ld8 {
                dst: Loc8::Reg(Reg8::H),
                src: Loc8::Mem(Addr::Ix)
            }
        );
        assert_eq!(DD[0xEB], Instr::ExDeHl);
        assert_eq!(DD[0x00], Instr::Nop);
    }

    #[test]
    fn ed_aliases_decode_to_their_originals() {
        for op in [0x44, 0x4C, 0x54, 0x5C, 0x64, 0x6C, 0x74, 0x7C] {
            assert_eq!(ED[op], Instr::Neg);
        }
        assert_eq!(ED[0x4D], Instr::Reti);
        assert_eq!(ED[0x6E], Instr::Im(0));
        assert_eq!(ED[0x7E], Instr::Im(2));
        assert_eq!(ED[0x63], Instr::Ld16Store(Reg16::Hl));
        assert_eq!(ED[0x00], Instr::EdNop);
        assert_eq!(ED[0x77], Instr::EdNop);
    }

    #[test]
    fn index_cb_copies_to_registers() {
        assert_eq!(
            DDCB[0x00],
            Instr::Shift {
                op: ShiftOp::Rlc,
                loc: Loc8::Mem(Addr::Ix),
                copy: Some(Reg8::B)
            }
        );
        assert_eq!(
            FDCB[0xFE],
            Instr::Set {
                bit: 7,
                loc: Loc8::Mem(Addr::Iy),
                copy: None
            }
        );
        assert_eq!(
            DDCB[0x45],
            Instr::Bit {
                bit: 0,
                loc: Loc8::Mem(Addr::Ix)
            }
        );
    }
}
