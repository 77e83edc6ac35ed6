//! One-instruction disassembler in the nestest log syntax (`LDA $1234,X`,
//! `BNE $C0F2` with the branch target resolved), driven by the decode table.
//! Undocumented opcodes get no `*` prefix here; callers that want nestest's
//! marking add it from [`Opcode::class`](super::decode::Opcode::class).

use super::decode::{Mode, decode};

/// Disassembles the instruction at `pc` whose first bytes are `bytes`
/// (bytes past its length are ignored). Returns the text and the length.
pub fn disassemble(pc: u16, bytes: [u8; 3]) -> (String, u8) {
    let opcode = decode(bytes[0]);
    let name = opcode.mnemonic.name();
    let byte = bytes[1];
    let word = u16::from_le_bytes([bytes[1], bytes[2]]);
    let text = match opcode.mode {
        Mode::Implied => name.to_string(),
        Mode::Accumulator => format!("{name} A"),
        Mode::Immediate => format!("{name} #${byte:02X}"),
        Mode::ZeroPage => format!("{name} ${byte:02X}"),
        Mode::ZeroPageX => format!("{name} ${byte:02X},X"),
        Mode::ZeroPageY => format!("{name} ${byte:02X},Y"),
        Mode::Absolute => format!("{name} ${word:04X}"),
        Mode::AbsoluteX => format!("{name} ${word:04X},X"),
        Mode::AbsoluteY => format!("{name} ${word:04X},Y"),
        Mode::Indirect => format!("{name} (${word:04X})"),
        Mode::IndirectX => format!("{name} (${byte:02X},X)"),
        Mode::IndirectY => format!("{name} (${byte:02X}),Y"),
        Mode::Relative => {
            let target = pc
                .wrapping_add(2)
                .wrapping_add_signed(i16::from(byte as i8));
            format!("{name} ${target:04X}")
        }
    };
    (text, opcode.instruction_len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_every_mode() {
        let cases: [(u16, [u8; 3], &str, u8); 13] = [
            (0, [0xEA, 0, 0], "NOP", 1),
            (0, [0x0A, 0, 0], "ASL A", 1),
            (0, [0xA9, 0x12, 0], "LDA #$12", 2),
            (0, [0xA5, 0x12, 0], "LDA $12", 2),
            (0, [0xB5, 0x12, 0], "LDA $12,X", 2),
            (0, [0xB6, 0x12, 0], "LDX $12,Y", 2),
            (0, [0xAD, 0x34, 0x12], "LDA $1234", 3),
            (0, [0xBD, 0x34, 0x12], "LDA $1234,X", 3),
            (0, [0xB9, 0x34, 0x12], "LDA $1234,Y", 3),
            (0, [0x6C, 0x34, 0x12], "JMP ($1234)", 3),
            (0, [0xA1, 0x12, 0], "LDA ($12,X)", 2),
            (0, [0xB1, 0x12, 0], "LDA ($12),Y", 2),
            (0xC000, [0xD0, 0xFE, 0], "BNE $C000", 2),
        ];
        for (pc, bytes, text, len) in cases {
            assert_eq!(
                disassemble(pc, bytes),
                (text.to_string(), len),
                "{bytes:02X?}"
            );
        }
    }

    #[test]
    fn undocumented_opcodes_use_their_names() {
        assert_eq!(disassemble(0, [0xA7, 0x10, 0]).0, "LAX $10");
        assert_eq!(disassemble(0, [0x02, 0, 0]).0, "JAM");
        assert_eq!(disassemble(0xFFFF, [0x10, 0x00, 0]).0, "BPL $0001");
    }
}
