//! Guest programs written by this project: the built-in demo of
//! `retrojit run`, benchmark workloads and test programs that need no
//! external ROM. The small ones here are hand-assembled, the listing beside
//! the bytes; [`nes_demo`] is assembled from source by [`crate::asm6502`].

pub mod nes_demo;

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
    crc16_of_code_page(&crc16(passes).image, passes)
}

/// CRC-16/CCITT of a 256-byte page holding `image` followed by zeros, the
/// page streamed `passes` times (0 means 256): what both CRC programs compute.
fn crc16_of_code_page(image: &[u8], passes: u8) -> u16 {
    let mut page = [0u8; 256];
    page[..image.len()].copy_from_slice(image);
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

/// A CP/M program for the Z80 `cpm` machine: loaded and started at $0100,
/// finished when it jumps to $0000 (warm boot).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComProgram {
    /// What it is.
    pub name: &'static str,
    /// The .COM image.
    pub image: Vec<u8>,
}

/// Where [`crc16_z80`] leaves its result (little-endian).
pub const CRC16_Z80_RESULT: u16 = 0x0200;

/// The Z80 counterpart of [`crc16`]: CRC-16/CCITT (polynomial $1021,
/// initial $FFFF, MSB first) of its own page, $0100-$01FF (the code, then
/// zeros), streamed `passes` times (0 means 256), the result stored at
/// [`CRC16_Z80_RESULT`]. About 14,000 instructions a pass. The CRC lives in HL and shifts with `ADD HL,HL`, so the inner
/// loop is 16-bit adds, conditional relative jumps and `DJNZ`; the byte
/// loop adds indirect loads and 8-bit logic. It prints nothing.
pub fn crc16_z80(passes: u8) -> ComProgram {
    #[rustfmt::skip]
    let image = vec![
        0x21, 0xFF, 0xFF, // 0100 start: LD HL,$FFFF    ; crc
        0x0E, passes,     // 0103        LD C,passes
        0x11, 0x00, 0x01, // 0105 outer: LD DE,$0100    ; page pointer
        0x1A,             // 0108 byte:  LD A,(DE)
        0xAC,             // 0109        XOR H
        0x67,             // 010A        LD H,A         ; crc ^= byte << 8
        0x06, 0x08,       // 010B        LD B,8
        0x29,             // 010D bit:   ADD HL,HL      ; carry = old bit 15
        0x30, 0x08,       // 010E        JR NC,next
        0x7D,             // 0110        LD A,L
        0xEE, 0x21,       // 0111        XOR $21
        0x6F,             // 0113        LD L,A
        0x7C,             // 0114        LD A,H
        0xEE, 0x10,       // 0115        XOR $10
        0x67,             // 0117        LD H,A         ; crc ^= $1021
        0x10, 0xF3,       // 0118 next:  DJNZ bit
        0x1C,             // 011A        INC E
        0x20, 0xEB,       // 011B        JR NZ,byte
        0x0D,             // 011D        DEC C
        0x20, 0xE5,       // 011E        JR NZ,outer
        0x22, 0x00, 0x02, // 0120        LD ($0200),HL
        0xC3, 0x00, 0x00, // 0123        JP $0000       ; warm boot
    ];
    ComProgram {
        name: "crc16-z80",
        image,
    }
}

/// What [`crc16_z80`] computes, in plain Rust.
pub fn crc16_z80_reference(passes: u8) -> u16 {
    crc16_of_code_page(&crc16_z80(passes).image, passes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::cpm::Cpm;

    #[test]
    fn z80_crc_matches_its_reference() {
        for passes in [1, 3, 0] {
            let program = crc16_z80(passes);
            let mut machine = Cpm::load(program.name, &program.image).unwrap();
            let mut output = Vec::new();
            machine.run(&mut output).unwrap();
            assert!(output.is_empty());
            let at = usize::from(CRC16_Z80_RESULT);
            let got = u16::from_le_bytes([machine.ram.bytes()[at], machine.ram.bytes()[at + 1]]);
            assert_eq!(got, crc16_z80_reference(passes), "{passes} passes");
        }
    }

    #[test]
    fn z80_reference_matches_an_independent_computation() {
        // Values computed separately with a Python CRC-16/CCITT routine.
        assert_eq!(crc16_z80_reference(1), 0xC32B);
        assert_eq!(crc16_z80_reference(3), 0xA2BE);
        assert_eq!(crc16_z80_reference(0), 0x65A0);
    }

    #[test]
    fn reference_matches_an_independent_computation() {
        // Values computed separately with a Python CRC-16/CCITT routine.
        assert_eq!(crc16_reference(1), 0xC0CD);
        assert_eq!(crc16_reference(100), 0x50C5);
        assert_eq!(crc16_reference(0), 0xEA54);
    }
}
