//! The 6502 opcode map: the single source of truth for what every opcode is.
//!
//! [`opcode_list!`] holds one line per opcode. It builds the `const` table
//! [`OPCODES`] (read by the disassembler and the JIT's lifter) and it expands
//! into the interpreter's one `match` on the opcode byte, so the interpreter
//! cannot disagree with the table about mnemonic, addressing mode or bus
//! access pattern. Base cycle counts in the list are cross-checked against the
//! interpreter's real bus accesses by a unit test.

/// What an instruction does, independent of how it finds its operand.
/// Undocumented NMOS opcodes use the names of the "No More Secrets" document.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Mnemonic {
    Adc,
    And,
    Asl,
    Bcc,
    Bcs,
    Beq,
    Bit,
    Bmi,
    Bne,
    Bpl,
    Brk,
    Bvc,
    Bvs,
    Clc,
    Cld,
    Cli,
    Clv,
    Cmp,
    Cpx,
    Cpy,
    Dec,
    Dex,
    Dey,
    Eor,
    Inc,
    Inx,
    Iny,
    Jmp,
    Jsr,
    Lda,
    Ldx,
    Ldy,
    Lsr,
    Nop,
    Ora,
    Pha,
    Php,
    Pla,
    Plp,
    Rol,
    Ror,
    Rti,
    Rts,
    Sbc,
    Sec,
    Sed,
    Sei,
    Sta,
    Stx,
    Sty,
    Tax,
    Tay,
    Tsx,
    Txa,
    Txs,
    Tya,
    /// AND #imm, then LSR A.
    Alr,
    /// AND #imm, C = bit 7 of the result.
    Anc,
    /// A = (A | magic) & X & #imm (unstable; magic $EE as SingleStepTests).
    Ane,
    /// AND #imm, then ROR A with ADC-like flags (decimal-aware on NMOS).
    Arr,
    /// DEC memory, then CMP.
    Dcp,
    /// INC memory, then SBC.
    Isc,
    /// Halts the CPU until reset (a.k.a. KIL).
    Jam,
    /// A, X, S = memory & S.
    Las,
    /// LDA and LDX at once.
    Lax,
    /// A, X = (A | magic) & #imm (unstable; magic $EE as SingleStepTests).
    Lxa,
    /// ROL memory, then AND.
    Rla,
    /// ROR memory, then ADC.
    Rra,
    /// Stores A & X.
    Sax,
    /// X = (A & X) - #imm, flags as CMP (a.k.a. AXS).
    Sbx,
    /// Stores A & X & (high byte of the address + 1).
    Sha,
    /// Stores X & (high byte of the address + 1).
    Shx,
    /// Stores Y & (high byte of the address + 1).
    Shy,
    /// ASL memory, then ORA.
    Slo,
    /// LSR memory, then EOR.
    Sre,
    /// S = A & X, then stores S & (high byte of the address + 1).
    Tas,
    /// $EB: the same as SBC #imm.
    Usbc,
}

impl Mnemonic {
    /// The upper-case assembler name.
    pub const fn name(self) -> &'static str {
        use Mnemonic::*;
        match self {
            Adc => "ADC",
            And => "AND",
            Asl => "ASL",
            Bcc => "BCC",
            Bcs => "BCS",
            Beq => "BEQ",
            Bit => "BIT",
            Bmi => "BMI",
            Bne => "BNE",
            Bpl => "BPL",
            Brk => "BRK",
            Bvc => "BVC",
            Bvs => "BVS",
            Clc => "CLC",
            Cld => "CLD",
            Cli => "CLI",
            Clv => "CLV",
            Cmp => "CMP",
            Cpx => "CPX",
            Cpy => "CPY",
            Dec => "DEC",
            Dex => "DEX",
            Dey => "DEY",
            Eor => "EOR",
            Inc => "INC",
            Inx => "INX",
            Iny => "INY",
            Jmp => "JMP",
            Jsr => "JSR",
            Lda => "LDA",
            Ldx => "LDX",
            Ldy => "LDY",
            Lsr => "LSR",
            Nop => "NOP",
            Ora => "ORA",
            Pha => "PHA",
            Php => "PHP",
            Pla => "PLA",
            Plp => "PLP",
            Rol => "ROL",
            Ror => "ROR",
            Rti => "RTI",
            Rts => "RTS",
            Sbc => "SBC",
            Sec => "SEC",
            Sed => "SED",
            Sei => "SEI",
            Sta => "STA",
            Stx => "STX",
            Sty => "STY",
            Tax => "TAX",
            Tay => "TAY",
            Tsx => "TSX",
            Txa => "TXA",
            Txs => "TXS",
            Tya => "TYA",
            Alr => "ALR",
            Anc => "ANC",
            Ane => "ANE",
            Arr => "ARR",
            Dcp => "DCP",
            Isc => "ISC",
            Jam => "JAM",
            Las => "LAS",
            Lax => "LAX",
            Lxa => "LXA",
            Rla => "RLA",
            Rra => "RRA",
            Sax => "SAX",
            Sbx => "SBX",
            Sha => "SHA",
            Shx => "SHX",
            Shy => "SHY",
            Slo => "SLO",
            Sre => "SRE",
            Tas => "TAS",
            Usbc => "USBC",
        }
    }
}

/// How an instruction finds its operand.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Mode {
    /// No operand (also JAM, and BRK whose padding byte is not an operand).
    Implied,
    /// Operates on A.
    Accumulator,
    /// `#$nn`
    Immediate,
    /// `$nn`
    ZeroPage,
    /// `$nn,X` (wraps within page zero)
    ZeroPageX,
    /// `$nn,Y` (wraps within page zero)
    ZeroPageY,
    /// `$nnnn`
    Absolute,
    /// `$nnnn,X`
    AbsoluteX,
    /// `$nnnn,Y`
    AbsoluteY,
    /// `($nnnn)`, JMP only; the pointer's high byte is read from the same page.
    Indirect,
    /// `($nn,X)`
    IndirectX,
    /// `($nn),Y`
    IndirectY,
    /// Branch displacement.
    Relative,
}

impl Mode {
    /// Operand bytes after the opcode.
    pub const fn operand_len(self) -> u8 {
        match self {
            Mode::Implied | Mode::Accumulator => 0,
            Mode::Immediate
            | Mode::ZeroPage
            | Mode::ZeroPageX
            | Mode::ZeroPageY
            | Mode::IndirectX
            | Mode::IndirectY
            | Mode::Relative => 1,
            Mode::Absolute | Mode::AbsoluteX | Mode::AbsoluteY | Mode::Indirect => 2,
        }
    }

    /// Whether the effective address is a base plus an index that may carry
    /// into the high byte (the modes with a page-crossing fix-up cycle).
    pub const fn is_page_indexed(self) -> bool {
        matches!(self, Mode::AbsoluteX | Mode::AbsoluteY | Mode::IndirectY)
    }
}

/// The bus pattern of an instruction, which decides its cycle structure.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Access {
    /// Reads its operand (immediate or from memory).
    Read,
    /// Writes memory without reading it.
    Write,
    /// Reads memory, writes the old value back, then writes the result.
    ReadModifyWrite,
    /// Conditional relative branch.
    Branch,
    /// PHA, PHP, PLA, PLP.
    Stack,
    /// Unconditional control transfer: JMP, JSR, RTS, RTI, BRK.
    Jump,
    /// Registers only (incl. shifts of A); a dummy read of the next byte.
    Implied,
    /// JAM: the CPU stops.
    Halt,
}

/// How much of the chip's behaviour an opcode can be trusted to have.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Class {
    /// One of the 151 documented opcodes.
    Documented,
    /// Undocumented but behaves the same on every NMOS chip.
    Undocumented,
    /// Undocumented and chip/temperature dependent (ANE, LXA, SHA, SHX, SHY,
    /// TAS, LAS); emulated as the SingleStepTests data records them.
    Unstable,
}

/// Everything the emulator knows about one opcode byte.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Opcode {
    /// The operation.
    pub mnemonic: Mnemonic,
    /// How it finds its operand.
    pub mode: Mode,
    /// Its bus pattern.
    pub access: Access,
    /// Bus cycles without penalties (for JAM: the cycles of one halted step).
    pub cycles: u8,
    /// For reads through [`Mode::is_page_indexed`] modes: one more cycle when
    /// the index carries into the high byte. For branches: one more cycle
    /// when taken and another when the target is in a different page.
    pub page_penalty: bool,
    /// Documented, undocumented, or unstable.
    pub class: Class,
}

impl Opcode {
    /// Instruction length in bytes, as the PC advances over it (BRK counts
    /// 1 here although it skips a padding byte when it pushes its return PC).
    pub const fn instruction_len(&self) -> u8 {
        1 + self.mode.operand_len()
    }

    const fn new(mnemonic: Mnemonic, mode: Mode, access: Access, cycles: u8, class: Class) -> Self {
        let page_penalty = match access {
            Access::Branch => true,
            Access::Read => mode.is_page_indexed(),
            _ => false,
        };
        Self {
            mnemonic,
            mode,
            access,
            cycles,
            page_penalty,
            class,
        }
    }
}

/// Calls `$callback!` with the whole opcode map, one
/// `opcode => (mnemonic, mode, access, base cycles, class),` per byte.
/// The `Mnemonic`, `Mode`, `Access` and `Class` names are variant names.
macro_rules! opcode_list {
    ($callback:ident) => {
        $callback! {
            0x00 => (Brk, Implied, Jump, 7, Documented),
            0x01 => (Ora, IndirectX, Read, 6, Documented),
            0x02 => (Jam, Implied, Halt, 3, Undocumented),
            0x03 => (Slo, IndirectX, ReadModifyWrite, 8, Undocumented),
            0x04 => (Nop, ZeroPage, Read, 3, Undocumented),
            0x05 => (Ora, ZeroPage, Read, 3, Documented),
            0x06 => (Asl, ZeroPage, ReadModifyWrite, 5, Documented),
            0x07 => (Slo, ZeroPage, ReadModifyWrite, 5, Undocumented),
            0x08 => (Php, Implied, Stack, 3, Documented),
            0x09 => (Ora, Immediate, Read, 2, Documented),
            0x0A => (Asl, Accumulator, Implied, 2, Documented),
            0x0B => (Anc, Immediate, Read, 2, Undocumented),
            0x0C => (Nop, Absolute, Read, 4, Undocumented),
            0x0D => (Ora, Absolute, Read, 4, Documented),
            0x0E => (Asl, Absolute, ReadModifyWrite, 6, Documented),
            0x0F => (Slo, Absolute, ReadModifyWrite, 6, Undocumented),

            0x10 => (Bpl, Relative, Branch, 2, Documented),
            0x11 => (Ora, IndirectY, Read, 5, Documented),
            0x12 => (Jam, Implied, Halt, 3, Undocumented),
            0x13 => (Slo, IndirectY, ReadModifyWrite, 8, Undocumented),
            0x14 => (Nop, ZeroPageX, Read, 4, Undocumented),
            0x15 => (Ora, ZeroPageX, Read, 4, Documented),
            0x16 => (Asl, ZeroPageX, ReadModifyWrite, 6, Documented),
            0x17 => (Slo, ZeroPageX, ReadModifyWrite, 6, Undocumented),
            0x18 => (Clc, Implied, Implied, 2, Documented),
            0x19 => (Ora, AbsoluteY, Read, 4, Documented),
            0x1A => (Nop, Implied, Implied, 2, Undocumented),
            0x1B => (Slo, AbsoluteY, ReadModifyWrite, 7, Undocumented),
            0x1C => (Nop, AbsoluteX, Read, 4, Undocumented),
            0x1D => (Ora, AbsoluteX, Read, 4, Documented),
            0x1E => (Asl, AbsoluteX, ReadModifyWrite, 7, Documented),
            0x1F => (Slo, AbsoluteX, ReadModifyWrite, 7, Undocumented),

            0x20 => (Jsr, Absolute, Jump, 6, Documented),
            0x21 => (And, IndirectX, Read, 6, Documented),
            0x22 => (Jam, Implied, Halt, 3, Undocumented),
            0x23 => (Rla, IndirectX, ReadModifyWrite, 8, Undocumented),
            0x24 => (Bit, ZeroPage, Read, 3, Documented),
            0x25 => (And, ZeroPage, Read, 3, Documented),
            0x26 => (Rol, ZeroPage, ReadModifyWrite, 5, Documented),
            0x27 => (Rla, ZeroPage, ReadModifyWrite, 5, Undocumented),
            0x28 => (Plp, Implied, Stack, 4, Documented),
            0x29 => (And, Immediate, Read, 2, Documented),
            0x2A => (Rol, Accumulator, Implied, 2, Documented),
            0x2B => (Anc, Immediate, Read, 2, Undocumented),
            0x2C => (Bit, Absolute, Read, 4, Documented),
            0x2D => (And, Absolute, Read, 4, Documented),
            0x2E => (Rol, Absolute, ReadModifyWrite, 6, Documented),
            0x2F => (Rla, Absolute, ReadModifyWrite, 6, Undocumented),

            0x30 => (Bmi, Relative, Branch, 2, Documented),
            0x31 => (And, IndirectY, Read, 5, Documented),
            0x32 => (Jam, Implied, Halt, 3, Undocumented),
            0x33 => (Rla, IndirectY, ReadModifyWrite, 8, Undocumented),
            0x34 => (Nop, ZeroPageX, Read, 4, Undocumented),
            0x35 => (And, ZeroPageX, Read, 4, Documented),
            0x36 => (Rol, ZeroPageX, ReadModifyWrite, 6, Documented),
            0x37 => (Rla, ZeroPageX, ReadModifyWrite, 6, Undocumented),
            0x38 => (Sec, Implied, Implied, 2, Documented),
            0x39 => (And, AbsoluteY, Read, 4, Documented),
            0x3A => (Nop, Implied, Implied, 2, Undocumented),
            0x3B => (Rla, AbsoluteY, ReadModifyWrite, 7, Undocumented),
            0x3C => (Nop, AbsoluteX, Read, 4, Undocumented),
            0x3D => (And, AbsoluteX, Read, 4, Documented),
            0x3E => (Rol, AbsoluteX, ReadModifyWrite, 7, Documented),
            0x3F => (Rla, AbsoluteX, ReadModifyWrite, 7, Undocumented),

            0x40 => (Rti, Implied, Jump, 6, Documented),
            0x41 => (Eor, IndirectX, Read, 6, Documented),
            0x42 => (Jam, Implied, Halt, 3, Undocumented),
            0x43 => (Sre, IndirectX, ReadModifyWrite, 8, Undocumented),
            0x44 => (Nop, ZeroPage, Read, 3, Undocumented),
            0x45 => (Eor, ZeroPage, Read, 3, Documented),
            0x46 => (Lsr, ZeroPage, ReadModifyWrite, 5, Documented),
            0x47 => (Sre, ZeroPage, ReadModifyWrite, 5, Undocumented),
            0x48 => (Pha, Implied, Stack, 3, Documented),
            0x49 => (Eor, Immediate, Read, 2, Documented),
            0x4A => (Lsr, Accumulator, Implied, 2, Documented),
            0x4B => (Alr, Immediate, Read, 2, Undocumented),
            0x4C => (Jmp, Absolute, Jump, 3, Documented),
            0x4D => (Eor, Absolute, Read, 4, Documented),
            0x4E => (Lsr, Absolute, ReadModifyWrite, 6, Documented),
            0x4F => (Sre, Absolute, ReadModifyWrite, 6, Undocumented),

            0x50 => (Bvc, Relative, Branch, 2, Documented),
            0x51 => (Eor, IndirectY, Read, 5, Documented),
            0x52 => (Jam, Implied, Halt, 3, Undocumented),
            0x53 => (Sre, IndirectY, ReadModifyWrite, 8, Undocumented),
            0x54 => (Nop, ZeroPageX, Read, 4, Undocumented),
            0x55 => (Eor, ZeroPageX, Read, 4, Documented),
            0x56 => (Lsr, ZeroPageX, ReadModifyWrite, 6, Documented),
            0x57 => (Sre, ZeroPageX, ReadModifyWrite, 6, Undocumented),
            0x58 => (Cli, Implied, Implied, 2, Documented),
            0x59 => (Eor, AbsoluteY, Read, 4, Documented),
            0x5A => (Nop, Implied, Implied, 2, Undocumented),
            0x5B => (Sre, AbsoluteY, ReadModifyWrite, 7, Undocumented),
            0x5C => (Nop, AbsoluteX, Read, 4, Undocumented),
            0x5D => (Eor, AbsoluteX, Read, 4, Documented),
            0x5E => (Lsr, AbsoluteX, ReadModifyWrite, 7, Documented),
            0x5F => (Sre, AbsoluteX, ReadModifyWrite, 7, Undocumented),

            0x60 => (Rts, Implied, Jump, 6, Documented),
            0x61 => (Adc, IndirectX, Read, 6, Documented),
            0x62 => (Jam, Implied, Halt, 3, Undocumented),
            0x63 => (Rra, IndirectX, ReadModifyWrite, 8, Undocumented),
            0x64 => (Nop, ZeroPage, Read, 3, Undocumented),
            0x65 => (Adc, ZeroPage, Read, 3, Documented),
            0x66 => (Ror, ZeroPage, ReadModifyWrite, 5, Documented),
            0x67 => (Rra, ZeroPage, ReadModifyWrite, 5, Undocumented),
            0x68 => (Pla, Implied, Stack, 4, Documented),
            0x69 => (Adc, Immediate, Read, 2, Documented),
            0x6A => (Ror, Accumulator, Implied, 2, Documented),
            0x6B => (Arr, Immediate, Read, 2, Undocumented),
            0x6C => (Jmp, Indirect, Jump, 5, Documented),
            0x6D => (Adc, Absolute, Read, 4, Documented),
            0x6E => (Ror, Absolute, ReadModifyWrite, 6, Documented),
            0x6F => (Rra, Absolute, ReadModifyWrite, 6, Undocumented),

            0x70 => (Bvs, Relative, Branch, 2, Documented),
            0x71 => (Adc, IndirectY, Read, 5, Documented),
            0x72 => (Jam, Implied, Halt, 3, Undocumented),
            0x73 => (Rra, IndirectY, ReadModifyWrite, 8, Undocumented),
            0x74 => (Nop, ZeroPageX, Read, 4, Undocumented),
            0x75 => (Adc, ZeroPageX, Read, 4, Documented),
            0x76 => (Ror, ZeroPageX, ReadModifyWrite, 6, Documented),
            0x77 => (Rra, ZeroPageX, ReadModifyWrite, 6, Undocumented),
            0x78 => (Sei, Implied, Implied, 2, Documented),
            0x79 => (Adc, AbsoluteY, Read, 4, Documented),
            0x7A => (Nop, Implied, Implied, 2, Undocumented),
            0x7B => (Rra, AbsoluteY, ReadModifyWrite, 7, Undocumented),
            0x7C => (Nop, AbsoluteX, Read, 4, Undocumented),
            0x7D => (Adc, AbsoluteX, Read, 4, Documented),
            0x7E => (Ror, AbsoluteX, ReadModifyWrite, 7, Documented),
            0x7F => (Rra, AbsoluteX, ReadModifyWrite, 7, Undocumented),

            0x80 => (Nop, Immediate, Read, 2, Undocumented),
            0x81 => (Sta, IndirectX, Write, 6, Documented),
            0x82 => (Nop, Immediate, Read, 2, Undocumented),
            0x83 => (Sax, IndirectX, Write, 6, Undocumented),
            0x84 => (Sty, ZeroPage, Write, 3, Documented),
            0x85 => (Sta, ZeroPage, Write, 3, Documented),
            0x86 => (Stx, ZeroPage, Write, 3, Documented),
            0x87 => (Sax, ZeroPage, Write, 3, Undocumented),
            0x88 => (Dey, Implied, Implied, 2, Documented),
            0x89 => (Nop, Immediate, Read, 2, Undocumented),
            0x8A => (Txa, Implied, Implied, 2, Documented),
            0x8B => (Ane, Immediate, Read, 2, Unstable),
            0x8C => (Sty, Absolute, Write, 4, Documented),
            0x8D => (Sta, Absolute, Write, 4, Documented),
            0x8E => (Stx, Absolute, Write, 4, Documented),
            0x8F => (Sax, Absolute, Write, 4, Undocumented),

            0x90 => (Bcc, Relative, Branch, 2, Documented),
            0x91 => (Sta, IndirectY, Write, 6, Documented),
            0x92 => (Jam, Implied, Halt, 3, Undocumented),
            0x93 => (Sha, IndirectY, Write, 6, Unstable),
            0x94 => (Sty, ZeroPageX, Write, 4, Documented),
            0x95 => (Sta, ZeroPageX, Write, 4, Documented),
            0x96 => (Stx, ZeroPageY, Write, 4, Documented),
            0x97 => (Sax, ZeroPageY, Write, 4, Undocumented),
            0x98 => (Tya, Implied, Implied, 2, Documented),
            0x99 => (Sta, AbsoluteY, Write, 5, Documented),
            0x9A => (Txs, Implied, Implied, 2, Documented),
            0x9B => (Tas, AbsoluteY, Write, 5, Unstable),
            0x9C => (Shy, AbsoluteX, Write, 5, Unstable),
            0x9D => (Sta, AbsoluteX, Write, 5, Documented),
            0x9E => (Shx, AbsoluteY, Write, 5, Unstable),
            0x9F => (Sha, AbsoluteY, Write, 5, Unstable),

            0xA0 => (Ldy, Immediate, Read, 2, Documented),
            0xA1 => (Lda, IndirectX, Read, 6, Documented),
            0xA2 => (Ldx, Immediate, Read, 2, Documented),
            0xA3 => (Lax, IndirectX, Read, 6, Undocumented),
            0xA4 => (Ldy, ZeroPage, Read, 3, Documented),
            0xA5 => (Lda, ZeroPage, Read, 3, Documented),
            0xA6 => (Ldx, ZeroPage, Read, 3, Documented),
            0xA7 => (Lax, ZeroPage, Read, 3, Undocumented),
            0xA8 => (Tay, Implied, Implied, 2, Documented),
            0xA9 => (Lda, Immediate, Read, 2, Documented),
            0xAA => (Tax, Implied, Implied, 2, Documented),
            0xAB => (Lxa, Immediate, Read, 2, Unstable),
            0xAC => (Ldy, Absolute, Read, 4, Documented),
            0xAD => (Lda, Absolute, Read, 4, Documented),
            0xAE => (Ldx, Absolute, Read, 4, Documented),
            0xAF => (Lax, Absolute, Read, 4, Undocumented),

            0xB0 => (Bcs, Relative, Branch, 2, Documented),
            0xB1 => (Lda, IndirectY, Read, 5, Documented),
            0xB2 => (Jam, Implied, Halt, 3, Undocumented),
            0xB3 => (Lax, IndirectY, Read, 5, Undocumented),
            0xB4 => (Ldy, ZeroPageX, Read, 4, Documented),
            0xB5 => (Lda, ZeroPageX, Read, 4, Documented),
            0xB6 => (Ldx, ZeroPageY, Read, 4, Documented),
            0xB7 => (Lax, ZeroPageY, Read, 4, Undocumented),
            0xB8 => (Clv, Implied, Implied, 2, Documented),
            0xB9 => (Lda, AbsoluteY, Read, 4, Documented),
            0xBA => (Tsx, Implied, Implied, 2, Documented),
            0xBB => (Las, AbsoluteY, Read, 4, Unstable),
            0xBC => (Ldy, AbsoluteX, Read, 4, Documented),
            0xBD => (Lda, AbsoluteX, Read, 4, Documented),
            0xBE => (Ldx, AbsoluteY, Read, 4, Documented),
            0xBF => (Lax, AbsoluteY, Read, 4, Undocumented),

            0xC0 => (Cpy, Immediate, Read, 2, Documented),
            0xC1 => (Cmp, IndirectX, Read, 6, Documented),
            0xC2 => (Nop, Immediate, Read, 2, Undocumented),
            0xC3 => (Dcp, IndirectX, ReadModifyWrite, 8, Undocumented),
            0xC4 => (Cpy, ZeroPage, Read, 3, Documented),
            0xC5 => (Cmp, ZeroPage, Read, 3, Documented),
            0xC6 => (Dec, ZeroPage, ReadModifyWrite, 5, Documented),
            0xC7 => (Dcp, ZeroPage, ReadModifyWrite, 5, Undocumented),
            0xC8 => (Iny, Implied, Implied, 2, Documented),
            0xC9 => (Cmp, Immediate, Read, 2, Documented),
            0xCA => (Dex, Implied, Implied, 2, Documented),
            0xCB => (Sbx, Immediate, Read, 2, Undocumented),
            0xCC => (Cpy, Absolute, Read, 4, Documented),
            0xCD => (Cmp, Absolute, Read, 4, Documented),
            0xCE => (Dec, Absolute, ReadModifyWrite, 6, Documented),
            0xCF => (Dcp, Absolute, ReadModifyWrite, 6, Undocumented),

            0xD0 => (Bne, Relative, Branch, 2, Documented),
            0xD1 => (Cmp, IndirectY, Read, 5, Documented),
            0xD2 => (Jam, Implied, Halt, 3, Undocumented),
            0xD3 => (Dcp, IndirectY, ReadModifyWrite, 8, Undocumented),
            0xD4 => (Nop, ZeroPageX, Read, 4, Undocumented),
            0xD5 => (Cmp, ZeroPageX, Read, 4, Documented),
            0xD6 => (Dec, ZeroPageX, ReadModifyWrite, 6, Documented),
            0xD7 => (Dcp, ZeroPageX, ReadModifyWrite, 6, Undocumented),
            0xD8 => (Cld, Implied, Implied, 2, Documented),
            0xD9 => (Cmp, AbsoluteY, Read, 4, Documented),
            0xDA => (Nop, Implied, Implied, 2, Undocumented),
            0xDB => (Dcp, AbsoluteY, ReadModifyWrite, 7, Undocumented),
            0xDC => (Nop, AbsoluteX, Read, 4, Undocumented),
            0xDD => (Cmp, AbsoluteX, Read, 4, Documented),
            0xDE => (Dec, AbsoluteX, ReadModifyWrite, 7, Documented),
            0xDF => (Dcp, AbsoluteX, ReadModifyWrite, 7, Undocumented),

            0xE0 => (Cpx, Immediate, Read, 2, Documented),
            0xE1 => (Sbc, IndirectX, Read, 6, Documented),
            0xE2 => (Nop, Immediate, Read, 2, Undocumented),
            0xE3 => (Isc, IndirectX, ReadModifyWrite, 8, Undocumented),
            0xE4 => (Cpx, ZeroPage, Read, 3, Documented),
            0xE5 => (Sbc, ZeroPage, Read, 3, Documented),
            0xE6 => (Inc, ZeroPage, ReadModifyWrite, 5, Documented),
            0xE7 => (Isc, ZeroPage, ReadModifyWrite, 5, Undocumented),
            0xE8 => (Inx, Implied, Implied, 2, Documented),
            0xE9 => (Sbc, Immediate, Read, 2, Documented),
            0xEA => (Nop, Implied, Implied, 2, Documented),
            0xEB => (Usbc, Immediate, Read, 2, Undocumented),
            0xEC => (Cpx, Absolute, Read, 4, Documented),
            0xED => (Sbc, Absolute, Read, 4, Documented),
            0xEE => (Inc, Absolute, ReadModifyWrite, 6, Documented),
            0xEF => (Isc, Absolute, ReadModifyWrite, 6, Undocumented),

            0xF0 => (Beq, Relative, Branch, 2, Documented),
            0xF1 => (Sbc, IndirectY, Read, 5, Documented),
            0xF2 => (Jam, Implied, Halt, 3, Undocumented),
            0xF3 => (Isc, IndirectY, ReadModifyWrite, 8, Undocumented),
            0xF4 => (Nop, ZeroPageX, Read, 4, Undocumented),
            0xF5 => (Sbc, ZeroPageX, Read, 4, Documented),
            0xF6 => (Inc, ZeroPageX, ReadModifyWrite, 6, Documented),
            0xF7 => (Isc, ZeroPageX, ReadModifyWrite, 6, Undocumented),
            0xF8 => (Sed, Implied, Implied, 2, Documented),
            0xF9 => (Sbc, AbsoluteY, Read, 4, Documented),
            0xFA => (Nop, Implied, Implied, 2, Undocumented),
            0xFB => (Isc, AbsoluteY, ReadModifyWrite, 7, Undocumented),
            0xFC => (Nop, AbsoluteX, Read, 4, Undocumented),
            0xFD => (Sbc, AbsoluteX, Read, 4, Documented),
            0xFE => (Inc, AbsoluteX, ReadModifyWrite, 7, Documented),
            0xFF => (Isc, AbsoluteX, ReadModifyWrite, 7, Undocumented),
        }
    };
}
pub(crate) use opcode_list;

macro_rules! build_table {
    ($($code:literal => ($mnemonic:ident, $mode:ident, $access:ident, $cycles:literal, $class:ident),)*) => {{
        let mut table = [Opcode::new(Mnemonic::Jam, Mode::Implied, Access::Halt, 0, Class::Undocumented); 256];
        let mut filled = [false; 256];
        $(
            assert!(!filled[$code], "opcode listed twice");
            filled[$code] = true;
            table[$code] = Opcode::new(
                Mnemonic::$mnemonic,
                Mode::$mode,
                Access::$access,
                $cycles,
                Class::$class,
            );
        )*
        let mut i = 0;
        while i < 256 {
            assert!(filled[i], "opcode missing from the list");
            i += 1;
        }
        table
    }};
}

/// The description of every opcode byte, indexed by the opcode.
pub const OPCODES: [Opcode; 256] = opcode_list!(build_table);

/// The description of `opcode`.
#[inline]
pub const fn decode(opcode: u8) -> &'static Opcode {
    &OPCODES[opcode as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_151_documented_opcodes() {
        let documented = OPCODES
            .iter()
            .filter(|o| o.class == Class::Documented)
            .count();
        assert_eq!(documented, 151);
    }

    #[test]
    fn well_known_entries() {
        let lda = decode(0xBD);
        assert_eq!(
            (lda.mnemonic, lda.mode, lda.access),
            (Mnemonic::Lda, Mode::AbsoluteX, Access::Read)
        );
        assert!(lda.page_penalty);
        assert!(
            !decode(0x9D).page_penalty,
            "stores always take the fix-up cycle"
        );
        assert_eq!(decode(0x6C).instruction_len(), 3);
        assert_eq!(decode(0xEA).instruction_len(), 1);
        assert_eq!(
            OPCODES.iter().filter(|o| o.access == Access::Halt).count(),
            12
        );
    }
}
