//! `.sna` 48K snapshots: a 27-byte register header and the 48 KiB of RAM.
//!
//! The format has no PC field: the saving emulator pushed PC onto the stack
//! as if an NMI had happened, so loading pops it (the real machine would
//! RETN). The bytes stay in RAM, as they would after a RETN.

use super::{MediaError, Snapshot, le16};
use crate::cpu::z80::state::Registers;

/// Size of the register header.
pub const HEADER_LEN: usize = 27;
/// The only valid size of a 48K `.sna` file.
pub const FILE_LEN: usize = HEADER_LEN + RAM_LEN;
const RAM_LEN: usize = 49152;
const RAM_BASE: u16 = 0x4000;

/// Parses a 48K `.sna` file.
pub fn parse(bytes: &[u8]) -> Result<Snapshot, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty("SNA"));
    }
    if bytes.len() != FILE_LEN {
        // 131103 and 147487 bytes are the 128K variant; any other size is
        // damaged. Either way there is nothing a 48K can load.
        return Err(MediaError::WrongSize {
            format: "SNA",
            expected: FILE_LEN,
            actual: bytes.len(),
        });
    }
    let h = &bytes[..HEADER_LEN];
    let ram = bytes[HEADER_LEN..].to_vec();
    let mut regs = Registers {
        i: h[0],
        hl_alt: le16(h, 1),
        de_alt: le16(h, 3),
        bc_alt: le16(h, 5),
        af_alt: le16(h, 7),
        iy: le16(h, 15),
        ix: le16(h, 17),
        r: h[20],
        sp: le16(h, 23),
        ..Registers::default()
    };
    regs.set_hl(le16(h, 9));
    regs.set_de(le16(h, 11));
    regs.set_bc(le16(h, 13));
    regs.set_af(le16(h, 21));
    // Byte 19 holds IFF2; the RETN that popped PC copied it into IFF1.
    regs.iff2 = h[19] & 0x04 != 0;
    regs.iff1 = regs.iff2;
    regs.im = match h[25] {
        im @ 0..=2 => im,
        im => {
            return Err(MediaError::Invalid {
                format: "SNA",
                reason: format!("interrupt mode {im} in byte 25 (expected 0, 1 or 2)"),
            });
        }
    };
    let border = h[26] & 0x07;
    // Both bytes of the return address must be in RAM; a stack in ROM
    // ($0000-$3FFF, or SP = $FFFF whose high byte wraps to $0000) cannot
    // have been written by the saving emulator.
    if regs.sp < RAM_BASE || regs.sp == 0xFFFF {
        return Err(MediaError::Invalid {
            format: "SNA",
            reason: format!(
                "stack pointer ${:04X} is outside RAM, so PC cannot be popped",
                regs.sp
            ),
        });
    }
    let at = usize::from(regs.sp - RAM_BASE);
    regs.pc = le16(&ram, at);
    regs.sp = regs.sp.wrapping_add(2);
    Ok(Snapshot { regs, ram, border })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot with distinct values in every register.
    fn sample() -> Vec<u8> {
        let mut f = vec![0u8; FILE_LEN];
        let header: [u8; 27] = [
            0x3F, // I
            0x11, 0x22, // HL'
            0x33, 0x44, // DE'
            0x55, 0x66, // BC'
            0x77, 0x88, // AF'
            0x01, 0x02, // HL
            0x03, 0x04, // DE
            0x05, 0x06, // BC
            0x3A, 0x5C, // IY
            0x07, 0x08, // IX
            0x04, // IFF2 set
            0x9A, // R
            0xBB, 0xAA, // AF: F = $BB, A = $AA
            0xF0, 0xFF, // SP = $FFF0
            0x01, // IM 1
            0x05, // border cyan
        ];
        f[..27].copy_from_slice(&header);
        // PC $8123 on the stack at $FFF0.
        f[27 + 0xFFF0 - 0x4000] = 0x23;
        f[27 + 0xFFF1 - 0x4000] = 0x81;
        f[27] = 0xAB; // first byte of RAM, $4000
        f[FILE_LEN - 1] = 0xCD; // $FFFF
        f
    }

    #[test]
    fn registers_ram_and_popped_pc() {
        let s = parse(&sample()).unwrap();
        let r = &s.regs;
        assert_eq!(r.i, 0x3F);
        assert_eq!(
            (r.hl_alt, r.de_alt, r.bc_alt, r.af_alt),
            (0x2211, 0x4433, 0x6655, 0x8877)
        );
        assert_eq!((r.hl(), r.de(), r.bc()), (0x0201, 0x0403, 0x0605));
        assert_eq!((r.iy, r.ix), (0x5C3A, 0x0807));
        assert!(r.iff1 && r.iff2);
        assert_eq!(r.r, 0x9A);
        assert_eq!((r.a, r.f), (0xAA, 0xBB));
        assert_eq!(r.pc, 0x8123);
        assert_eq!(r.sp, 0xFFF2);
        assert_eq!(r.im, 1);
        assert_eq!(s.border, 5);
        assert_eq!(s.ram.len(), 49152);
        assert_eq!((s.ram[0], s.ram[49151]), (0xAB, 0xCD));
    }

    #[test]
    fn interrupts_disabled_when_bit_2_is_clear() {
        let mut f = sample();
        f[19] = 0xFB;
        let s = parse(&f).unwrap();
        assert!(!s.regs.iff1 && !s.regs.iff2);
    }

    #[test]
    fn wrong_sizes_and_bad_fields_are_refused() {
        let f = sample();
        assert_eq!(parse(&[]).unwrap_err().to_string(), "empty SNA file");
        assert_eq!(
            parse(&f[..FILE_LEN - 1]).unwrap_err().to_string(),
            "SNA file is 49178 bytes; a 48K snapshot is exactly 49179"
        );
        let mut long = f.clone();
        long.push(0);
        assert!(matches!(
            parse(&long),
            Err(MediaError::WrongSize { actual: 49180, .. })
        ));
        let mut rom_stack = f.clone();
        rom_stack[23..25].copy_from_slice(&[0x00, 0x3F]);
        assert_eq!(
            parse(&rom_stack).unwrap_err().to_string(),
            "SNA: stack pointer $3F00 is outside RAM, so PC cannot be popped"
        );
        let mut im3 = f;
        im3[25] = 3;
        assert!(
            parse(&im3)
                .unwrap_err()
                .to_string()
                .contains("interrupt mode 3")
        );
    }

    #[test]
    fn garbage_never_panics() {
        let f = sample();
        for len in [0, 1, 26, 27, 28, 49178] {
            assert!(parse(&f[..len]).is_err());
        }
        let mut seed = 0x1234_5678u32;
        for _ in 0..64 {
            let mut g = vec![0u8; FILE_LEN];
            for b in g.iter_mut() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *b = (seed >> 16) as u8;
            }
            let _ = parse(&g);
        }
    }
}
