//! iNES and NES 2.0 cartridge images: the 16-byte header, the optional
//! trainer, PRG ROM and CHR ROM.

/// Nametable arrangement wired on the cartridge.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mirroring {
    /// Vertical arrangement, horizontal mirroring (CIRAM A10 = PPU A11).
    Horizontal,
    /// Horizontal arrangement, vertical mirroring (CIRAM A10 = PPU A10).
    Vertical,
    /// The cartridge provides four nametables.
    FourScreen,
}

/// Which header dialect the file uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HeaderFormat {
    /// Archaic/standard iNES.
    INes,
    /// NES 2.0.
    Nes20,
}

/// A parsed cartridge image.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Cartridge {
    /// Header dialect.
    pub format: HeaderFormat,
    /// Mapper number (0..=4095 for NES 2.0, 0..=255 for iNES).
    pub mapper: u16,
    /// NES 2.0 submapper (0 for iNES).
    pub submapper: u8,
    /// Nametable mirroring.
    pub mirroring: Mirroring,
    /// The cartridge has battery-backed (saved) memory.
    pub battery: bool,
    /// 512-byte trainer meant for $7000-$71FF, if present.
    pub trainer: Option<Vec<u8>>,
    /// PRG ROM.
    pub prg_rom: Vec<u8>,
    /// CHR ROM; empty when the board has CHR RAM.
    pub chr_rom: Vec<u8>,
    /// PRG RAM size in bytes (work RAM + battery RAM; 8 KiB assumed for iNES).
    pub prg_ram_size: usize,
    /// CHR RAM size in bytes when `chr_rom` is empty.
    pub chr_ram_size: usize,
}

/// Why an image was refused.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum InesError {
    /// Shorter than the header.
    #[error("file is {len} bytes, shorter than the 16-byte iNES header")]
    TooShort {
        /// File length.
        len: usize,
    },
    /// The first four bytes are not `NES\x1A`.
    #[error("not an iNES file (bad magic {found:02X?}, expected 4E 45 53 1A)")]
    BadMagic {
        /// The bytes found.
        found: [u8; 4],
    },
    /// The header announces more data than the file holds.
    #[error("truncated: header announces {expected} bytes of {what}, file has {available}")]
    Truncated {
        /// Which section is cut short.
        what: &'static str,
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present.
        available: usize,
    },
    /// The header announces no PRG ROM.
    #[error("header announces no PRG ROM")]
    NoPrgRom,
    /// A NES 2.0 size field does not describe a sensible size.
    #[error("NES 2.0 {what} size field is out of range")]
    BadSize {
        /// Which field.
        what: &'static str,
    },
}

const MAGIC: [u8; 4] = *b"NES\x1A";
const HEADER_LEN: usize = 16;
const TRAINER_LEN: usize = 512;
/// Largest ROM we accept from a size field: no real cartridge comes close.
const MAX_ROM: u64 = 64 << 20;

impl Cartridge {
    /// Parses a complete image.
    pub fn parse(image: &[u8]) -> Result<Self, InesError> {
        let header: &[u8; HEADER_LEN] = image
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(InesError::TooShort { len: image.len() })?;
        let magic = [header[0], header[1], header[2], header[3]];
        if magic != MAGIC {
            return Err(InesError::BadMagic { found: magic });
        }
        let (flags6, flags7) = (header[6], header[7]);
        let format = if flags7 & 0x0C == 0x08 {
            HeaderFormat::Nes20
        } else {
            HeaderFormat::INes
        };

        let (mapper, submapper, prg_len, chr_len, prg_ram_size, chr_ram_size) = match format {
            HeaderFormat::Nes20 => {
                let mapper = u16::from(flags6 >> 4)
                    | u16::from(flags7 & 0xF0)
                    | (u16::from(header[8] & 0x0F) << 8);
                let prg = nes20_rom_size(header[4], header[9] & 0x0F, 16 << 10, "PRG ROM")?;
                let chr = nes20_rom_size(header[5], header[9] >> 4, 8 << 10, "CHR ROM")?;
                let ram = |nibble: u8| if nibble == 0 { 0 } else { 64usize << nibble };
                let prg_ram = ram(header[10] & 0x0F) + ram(header[10] >> 4);
                let chr_ram = ram(header[11] & 0x0F) + ram(header[11] >> 4);
                (mapper, header[8] >> 4, prg, chr, prg_ram, chr_ram)
            }
            HeaderFormat::INes => {
                // Headers written by old tools carry junk ("DiskDude!") in
                // bytes 7..16; their mapper high nibble is then meaningless.
                let junk = header[12..16].iter().any(|&b| b != 0);
                let high = if junk { 0 } else { flags7 & 0xF0 };
                let mapper = u16::from(flags6 >> 4) | u16::from(high);
                let prg = usize::from(header[4]) * (16 << 10);
                let chr = usize::from(header[5]) * (8 << 10);
                let chr_ram = if chr == 0 { 8 << 10 } else { 0 };
                (mapper, 0, prg, chr, 8 << 10, chr_ram)
            }
        };
        if prg_len == 0 {
            return Err(InesError::NoPrgRom);
        }

        let mut rest = &image[HEADER_LEN..];
        let mut take = |what: &'static str, len: usize| -> Result<Vec<u8>, InesError> {
            if rest.len() < len {
                return Err(InesError::Truncated {
                    what,
                    expected: len,
                    available: rest.len(),
                });
            }
            let (head, tail) = rest.split_at(len);
            rest = tail;
            Ok(head.to_vec())
        };
        let trainer = if flags6 & 0x04 != 0 {
            Some(take("trainer", TRAINER_LEN)?)
        } else {
            None
        };
        let prg_rom = take("PRG ROM", prg_len)?;
        let chr_rom = take("CHR ROM", chr_len)?;

        let mirroring = if flags6 & 0x08 != 0 {
            Mirroring::FourScreen
        } else if flags6 & 0x01 != 0 {
            Mirroring::Vertical
        } else {
            Mirroring::Horizontal
        };
        Ok(Self {
            format,
            mapper,
            submapper,
            mirroring,
            battery: flags6 & 0x02 != 0,
            trainer,
            prg_rom,
            chr_rom,
            prg_ram_size,
            chr_ram_size,
        })
    }
}

/// NES 2.0 ROM size: LSB byte plus MSB nibble in `unit`s, or, when the
/// nibble is $F, the exponent-multiplier form `2^E * (2M + 1)`.
fn nes20_rom_size(lsb: u8, msb: u8, unit: usize, what: &'static str) -> Result<usize, InesError> {
    let size = if msb == 0x0F {
        let exponent = u32::from(lsb >> 2);
        let multiplier = u64::from(lsb & 3) * 2 + 1;
        1u64.checked_shl(exponent)
            .filter(|_| exponent < 40)
            .map(|p| p * multiplier)
            .ok_or(InesError::BadSize { what })?
    } else {
        (u64::from(msb) << 8 | u64::from(lsb)) * unit as u64
    };
    if size > MAX_ROM {
        return Err(InesError::BadSize { what });
    }
    Ok(size as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(header: [u8; 16], body: usize) -> Vec<u8> {
        let mut v = header.to_vec();
        v.extend((0..body).map(|i| i as u8));
        v
    }

    const NROM: [u8; 16] = [
        b'N', b'E', b'S', 0x1A, 1, 1, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    #[test]
    fn parses_an_nrom_image() {
        let cart = Cartridge::parse(&image(NROM, 24 << 10)).unwrap();
        assert_eq!(cart.format, HeaderFormat::INes);
        assert_eq!(cart.mapper, 0);
        assert_eq!(cart.mirroring, Mirroring::Vertical);
        assert_eq!(cart.prg_rom.len(), 16 << 10);
        assert_eq!(cart.chr_rom.len(), 8 << 10);
        assert_eq!(cart.prg_rom[0], 0);
        assert_eq!(cart.chr_rom[0], (16usize << 10) as u8);
    }

    #[test]
    fn mapper_number_combines_both_nibbles() {
        let mut h = NROM;
        h[6] = 0x40 | 0x02 | 0x04; // mapper low 4, battery, trainer
        h[7] = 0x10;
        let cart = Cartridge::parse(&image(h, 512 + (24 << 10))).unwrap();
        assert_eq!(cart.mapper, 0x14);
        assert!(cart.battery);
        assert_eq!(cart.trainer.as_ref().map(Vec::len), Some(512));
    }

    #[test]
    fn junk_in_old_headers_is_ignored() {
        let mut h = NROM;
        h[6] = 0x10;
        h[7] = 0x40;
        h[12..16].copy_from_slice(b"Dude");
        assert_eq!(Cartridge::parse(&image(h, 24 << 10)).unwrap().mapper, 1);
    }

    #[test]
    fn nes20_extends_mapper_and_sizes() {
        let mut h = NROM;
        h[6] = 0x10;
        h[7] = 0x08;
        h[8] = 0x21; // submapper 2, mapper bits 8..11 = 1
        h[5] = 0;
        h[10] = 0x07; // 8 KiB PRG RAM
        h[11] = 0x07; // 8 KiB CHR RAM
        let cart = Cartridge::parse(&image(h, 16 << 10)).unwrap();
        assert_eq!(cart.format, HeaderFormat::Nes20);
        assert_eq!(cart.mapper, 0x101);
        assert_eq!(cart.submapper, 2);
        assert_eq!(cart.prg_ram_size, 8 << 10);
        assert_eq!(cart.chr_ram_size, 8 << 10);
    }

    #[test]
    fn nes20_exponent_multiplier_size() {
        assert_eq!(nes20_rom_size(0x0E << 2 | 1, 0xF, 0, "x").unwrap(), 3 << 14);
        assert!(nes20_rom_size(0xFF, 0xF, 0, "x").is_err());
    }

    #[test]
    fn bad_images_are_refused_with_reasons() {
        assert_eq!(Cartridge::parse(&[]), Err(InesError::TooShort { len: 0 }));
        let mut h = NROM;
        h[0] = b'X';
        assert!(matches!(
            Cartridge::parse(&image(h, 0)),
            Err(InesError::BadMagic { .. })
        ));
        assert_eq!(
            Cartridge::parse(&image(NROM, 100)),
            Err(InesError::Truncated {
                what: "PRG ROM",
                expected: 16 << 10,
                available: 100
            })
        );
        let mut h = NROM;
        h[4] = 0;
        assert_eq!(Cartridge::parse(&image(h, 0)), Err(InesError::NoPrgRom));
    }
}
