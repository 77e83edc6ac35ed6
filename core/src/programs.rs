//! Guest programs written by this project: the built-in demo of
//! `retrojit run`, benchmark workloads and test programs that need no
//! external ROM. Each is hand-assembled; the listing sits beside the bytes.

/// A program for the bare 6502 machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BareProgram {
    /// What it is.
    pub name: &'static str,
    /// The image.
    pub image: Vec<u8>,
    /// Load address.
    pub load: u16,
    /// Entry point.
    pub start: u16,
    /// Address of the `JMP *` that ends it.
    pub done: u16,
}

/// CRC-16/CCITT (polynomial $1021, initial $FFFF, MSB first) of its own
/// code page, $0400-$04FF, streamed `passes` times (0 means 256). The
/// result is left in $00 (low) and $01 (high). About 16,000 instructions a
/// pass: shifts, read-modify-write on zero page, indexed loads and taken and
/// untaken branches, so a fair CPU-bound workload.
pub fn crc16(passes: u8) -> BareProgram {
    #[rustfmt::skip]
    let image = vec![
        0xA9, 0xFF,       // 0400 start: LDA #$FF
        0x85, 0x00,       // 0402        STA crc_lo
        0x85, 0x01,       // 0404        STA crc_hi
        0xA9, passes,     // 0406        LDA #passes
        0x85, 0x02,       // 0408        STA count
        0xA0, 0x00,       // 040A outer: LDY #0
        0xB9, 0x00, 0x04, // 040C byte:  LDA $0400,Y
        0x45, 0x01,       // 040F        EOR crc_hi
        0x85, 0x01,       // 0411        STA crc_hi
        0xA2, 0x08,       // 0413        LDX #8
        0x06, 0x00,       // 0415 bit:   ASL crc_lo
        0x26, 0x01,       // 0417        ROL crc_hi
        0x90, 0x0C,       // 0419        BCC next
        0xA5, 0x00,       // 041B        LDA crc_lo
        0x49, 0x21,       // 041D        EOR #$21
        0x85, 0x00,       // 041F        STA crc_lo
        0xA5, 0x01,       // 0421        LDA crc_hi
        0x49, 0x10,       // 0423        EOR #$10
        0x85, 0x01,       // 0425        STA crc_hi
        0xCA,             // 0427 next:  DEX
        0xD0, 0xEB,       // 0428        BNE bit
        0xC8,             // 042A        INY
        0xD0, 0xDF,       // 042B        BNE byte
        0xC6, 0x02,       // 042D        DEC count
        0xD0, 0xD9,       // 042F        BNE outer
        0x4C, 0x31, 0x04, // 0431 done:  JMP done
    ];
    BareProgram {
        name: "crc16",
        image,
        load: 0x0400,
        start: 0x0400,
        done: 0x0431,
    }
}

/// What [`crc16`] computes, in plain Rust: the reference its result is
/// checked against.
pub fn crc16_reference(passes: u8) -> u16 {
    let program = crc16(passes);
    let mut page = [0u8; 256];
    page[..program.image.len()].copy_from_slice(&program.image);
    let passes = if passes == 0 {
        256
    } else {
        usize::from(passes)
    };
    let mut crc: u16 = 0xFFFF;
    for _ in 0..passes {
        for &byte in &page {
            crc ^= u16::from(byte) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x1021
                } else {
                    crc << 1
                };
            }
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_matches_an_independent_computation() {
        // Values computed separately with a Python CRC-16/CCITT routine.
        assert_eq!(crc16_reference(1), 0xC0CD);
        assert_eq!(crc16_reference(100), 0x50C5);
        assert_eq!(crc16_reference(0), 0xEA54);
    }
}
