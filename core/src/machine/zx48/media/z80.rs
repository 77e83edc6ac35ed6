//! `.z80` snapshots, versions 1 to 3, 48K hardware only.
//!
//! Version 1 has a 30-byte header with PC != 0 and then the 48 KiB of RAM,
//! raw or compressed (ending in `00 ED ED 00`). Versions 2 and 3 set PC to 0
//! in that header, add a second header (23 bytes for v2, 54 or 55 for v3)
//! holding the real PC and the hardware mode, and store RAM as 16 KiB pages
//! each with a 3-byte header: the 48K uses pages 8 ($4000), 4 ($8000) and
//! 5 ($C000). Compression replaces runs of 5 or more equal bytes, and any
//! run of `ED`s of 2 or more, by `ED ED count byte`.

use super::{MediaError, Reader, Snapshot, le16};
use crate::cpu::z80::state::Registers;

const FORMAT: &str = "Z80";
const RAM_LEN: usize = 49152;
const PAGE_LEN: usize = 16384;
/// The v1 compressed data's end marker.
const END_MARKER: [u8; 4] = [0x00, 0xED, 0xED, 0x00];

/// Parses a `.z80` snapshot of a 48K Spectrum.
pub fn parse(bytes: &[u8]) -> Result<Snapshot, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty(FORMAT));
    }
    let mut rd = Reader::new(bytes);
    let h = rd.fixed(30, || "Z80 header".into())?;
    // Byte 12 = $FF must be read as 1, for compatibility with old files.
    let flags = if h[12] == 0xFF { 1 } else { h[12] };
    let border = (flags >> 1) & 0x07;
    let mut regs = Registers {
        a: h[0],
        f: h[1],
        pc: le16(h, 6),
        sp: le16(h, 8),
        i: h[10],
        // The saved R's bit 7 lives apart because the counter only
        // increments the low 7 bits; LD R,A is the only thing that sets it.
        r: (h[11] & 0x7F) | ((flags & 1) << 7),
        bc_alt: le16(h, 15),
        de_alt: le16(h, 17),
        hl_alt: le16(h, 19),
        af_alt: u16::from_le_bytes([h[22], h[21]]),
        iy: le16(h, 23),
        ix: le16(h, 25),
        iff1: h[27] != 0,
        iff2: h[28] != 0,
        ..Registers::default()
    };
    regs.set_bc(le16(h, 2));
    regs.set_hl(le16(h, 4));
    regs.set_de(le16(h, 13));
    regs.im = match h[29] & 0x03 {
        3 => {
            return Err(MediaError::Invalid {
                format: FORMAT,
                reason: "interrupt mode 3 in byte 29 (expected 0, 1 or 2)".into(),
            });
        }
        im => im,
    };

    let ram = if regs.pc != 0 {
        version1(&mut rd, flags & 0x20 != 0)?
    } else {
        let (pc, ram) = version2or3(&mut rd)?;
        regs.pc = pc;
        ram
    };
    Ok(Snapshot { regs, ram, border })
}

/// The RAM of a version 1 file.
fn version1(rd: &mut Reader<'_>, compressed: bool) -> Result<Vec<u8>, MediaError> {
    let data = rd.rest();
    if !compressed {
        if data.len() < RAM_LEN {
            return Err(MediaError::TruncatedFixed {
                what: "Z80 v1 uncompressed memory".into(),
                length: RAM_LEN,
                left: data.len(),
            });
        }
        return Ok(data[..RAM_LEN].to_vec());
    }
    let mut ram = Vec::with_capacity(RAM_LEN);
    let used = decompress(data, &mut ram, RAM_LEN, "Z80 v1 memory")?;
    // The end marker is expected but some writers omit it; anything else
    // after 48 KiB means the stream was misread.
    let tail = &data[used..];
    if !(tail.is_empty() || tail.starts_with(&END_MARKER)) {
        return Err(MediaError::Invalid {
            format: FORMAT,
            reason: format!(
                "v1 memory decompressed to 48 KiB at offset {} but is not followed by the end marker 00 ED ED 00",
                30 + used
            ),
        });
    }
    Ok(ram)
}

/// PC and the RAM of a version 2 or 3 file.
fn version2or3(rd: &mut Reader<'_>) -> Result<(u16, Vec<u8>), MediaError> {
    let len_field = rd.fixed(2, || "Z80 additional header length".into())?;
    let extra_len = le16(len_field, 0);
    let v3 = match extra_len {
        23 => false,
        54 | 55 => true,
        n => {
            return Err(MediaError::Invalid {
                format: FORMAT,
                reason: format!(
                    "additional header length {n} (expected 23 for v2, 54 or 55 for v3)"
                ),
            });
        }
    };
    let extra = rd.counted(usize::from(extra_len), || {
        "Z80 additional header length at offset 30".into()
    })?;
    let pc = le16(extra, 0);
    let mode = extra[2];
    // Byte 37 (extra[5]) bit 7 "modify hardware" turns a 48K into a 16K.
    check_hardware(mode, v3, extra[5] & 0x80 != 0)?;

    // Pages 8, 4, 5 hold $4000, $8000, $C000; other pages (ROM images of
    // interfaces) are skipped.
    let mut pages: [Option<Vec<u8>>; 3] = [None, None, None];
    while rd.left() > 0 {
        let at = rd.pos();
        let ph = rd.fixed(3, || format!("Z80 page header at offset {at}"))?;
        let (len, page) = (le16(ph, 0), ph[2]);
        let mut mem = Vec::with_capacity(PAGE_LEN);
        if len == 0xFFFF {
            let raw = rd.fixed(PAGE_LEN, || {
                format!("Z80 uncompressed page {page} at offset {at}")
            })?;
            mem.extend_from_slice(raw);
        } else {
            let data = rd.counted(usize::from(len), || {
                format!("Z80 page {page} header at offset {at}")
            })?;
            let what = format!("Z80 page {page} at offset {at}");
            let used = decompress(data, &mut mem, PAGE_LEN, &what)?;
            if used != data.len() {
                return Err(MediaError::Invalid {
                    format: FORMAT,
                    reason: format!(
                        "page {page} at offset {at} fills 16 KiB after {used} of its {} bytes",
                        data.len()
                    ),
                });
            }
        }
        let slot = match page {
            8 => 0,
            4 => 1,
            5 => 2,
            _ => continue,
        };
        pages[slot] = Some(mem);
    }
    let mut ram = Vec::with_capacity(RAM_LEN);
    for (page, mem) in [8, 4, 5].into_iter().zip(pages) {
        match mem {
            Some(mem) => ram.extend_from_slice(&mem),
            None => {
                return Err(MediaError::Invalid {
                    format: FORMAT,
                    reason: format!(
                        "memory page {page} is missing (a 48K snapshot has pages 4, 5 and 8)"
                    ),
                });
            }
        }
    }
    Ok((pc, ram))
}

/// Refuses hardware other than a plain 48K (with or without Interface 1 or,
/// in v3, an MGT interface, which do not change the 48K's memory).
fn check_hardware(mode: u8, v3: bool, modified: bool) -> Result<(), MediaError> {
    let machine = match (mode, v3) {
        (0 | 1, _) | (3, true) => {
            if modified {
                // Bit 7 of byte 37 turns a 48K into a 16K.
                return Err(MediaError::UnsupportedHardware {
                    machine: "16K",
                    mode,
                });
            }
            return Ok(());
        }
        (2, _) => "SamRam",
        (3 | 4, false) | (4..=6, true) => "128K",
        (7 | 8, _) => "+3",
        (9, _) => "Pentagon",
        (10, _) => "Scorpion",
        (11, _) => "Didaktik",
        (12, _) => "+2",
        (13, _) => "+2A",
        (14, _) => "TC2048",
        (15, _) => "TC2068",
        (128, _) => "TS2068",
        _ => "unknown",
    };
    Err(MediaError::UnsupportedHardware { machine, mode })
}

/// Decompresses `input` into `out` until it holds `want` bytes; returns how
/// many input bytes that took. `ED ED n b` is `n` copies of `b`; every
/// other byte (a lone `ED` included) is itself.
fn decompress(
    input: &[u8],
    out: &mut Vec<u8>,
    want: usize,
    what: &str,
) -> Result<usize, MediaError> {
    let mut i = 0;
    while out.len() < want {
        match input[i..] {
            [0xED, 0xED, count, byte, ..] => {
                let n = usize::from(count);
                if out.len() + n > want {
                    return Err(MediaError::Invalid {
                        format: FORMAT,
                        reason: format!(
                            "{what}: a run of {n} bytes at input offset {i} overflows 0x{want:X} bytes"
                        ),
                    });
                }
                out.resize(out.len() + n, byte);
                i += 4;
            }
            [byte, ..] => {
                out.push(byte);
                i += 1;
            }
            [] => {
                return Err(MediaError::Invalid {
                    format: FORMAT,
                    reason: format!(
                        "{what}: compressed data ends after {} of {want} bytes",
                        out.len()
                    ),
                });
            }
        }
    }
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference compressor: runs of 5+ equal bytes, or 2+ `ED`s, become
    /// `ED ED n b`; a literal `ED` is never followed by a run (its second
    /// byte would read as a run marker), so the byte after a lone `ED` is
    /// always emitted as a literal.
    fn compress(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        let mut after_lone_ed = false;
        while i < data.len() {
            let b = data[i];
            let mut run = 1;
            while i + run < data.len() && data[i + run] == b && run < 255 {
                run += 1;
            }
            if !after_lone_ed && (run >= 5 || (b == 0xED && run >= 2)) {
                out.extend_from_slice(&[0xED, 0xED, run as u8, b]);
                i += run;
                after_lone_ed = false;
            } else {
                out.push(b);
                i += 1;
                after_lone_ed = b == 0xED;
            }
        }
        out
    }

    fn header_v1(pc: u16, flags: u8) -> Vec<u8> {
        let mut h = vec![0u8; 30];
        h[0] = 0xA1; // A
        h[1] = 0xF1; // F
        h[2..4].copy_from_slice(&0xBC01u16.to_le_bytes());
        h[4..6].copy_from_slice(&0x4801u16.to_le_bytes());
        h[6..8].copy_from_slice(&pc.to_le_bytes());
        h[8..10].copy_from_slice(&0xFF40u16.to_le_bytes());
        h[10] = 0x3F; // I
        h[11] = 0x85; // R low 7 bits = $05 (bit 7 ignored)
        h[12] = flags;
        h[13..15].copy_from_slice(&0xDE01u16.to_le_bytes());
        h[15..17].copy_from_slice(&0xBC02u16.to_le_bytes());
        h[17..19].copy_from_slice(&0xDE02u16.to_le_bytes());
        h[19..21].copy_from_slice(&0x4802u16.to_le_bytes());
        h[21] = 0xA2; // A'
        h[22] = 0xF2; // F'
        h[23..25].copy_from_slice(&0x5C3Au16.to_le_bytes());
        h[25..27].copy_from_slice(&0x1D1Du16.to_le_bytes());
        h[27] = 1; // IFF1
        h[28] = 0; // IFF2
        h[29] = 0x42; // IM 2, plus joystick bits that must be ignored
        h
    }

    /// RAM with runs, lone EDs, ED pairs and a 3-ED run.
    fn sample_ram() -> Vec<u8> {
        let mut ram = vec![0u8; RAM_LEN];
        for (i, b) in ram.iter_mut().enumerate().skip(0x1B00).take(0x400) {
            *b = (i * 7 % 251) as u8;
        }
        ram[0x2000..0x2003].copy_from_slice(&[0xED, 0x01, 0xED]);
        ram[0x2010..0x2012].copy_from_slice(&[0xED, 0xED]);
        ram[0x2020..0x2023].copy_from_slice(&[0xED, 0xED, 0xED]);
        ram[0x2030..0x2036].copy_from_slice(&[0xED, 7, 7, 7, 7, 7]);
        ram[0xBFFF] = 0x99;
        ram
    }

    fn check_regs(r: &Registers) {
        assert_eq!((r.a, r.f), (0xA1, 0xF1));
        assert_eq!((r.bc(), r.de(), r.hl()), (0xBC01, 0xDE01, 0x4801));
        assert_eq!((r.bc_alt, r.de_alt, r.hl_alt), (0xBC02, 0xDE02, 0x4802));
        assert_eq!(r.af_alt, 0xA2F2);
        assert_eq!((r.ix, r.iy, r.sp, r.i), (0x1D1D, 0x5C3A, 0xFF40, 0x3F));
        assert!(r.iff1 && !r.iff2);
        assert_eq!(r.im, 2);
    }

    #[test]
    fn compressor_emits_literal_and_run_forms() {
        let c = compress(&[0xED, 0x01, 0xED, 0xED, 0xED, 0, 0, 0, 0, 0]);
        assert_eq!(c, [0xED, 0x01, 0xED, 0xED, 3, 0xED, 0xED, 0xED, 5, 0]);
        let c = compress(&[0xED, 0xED, 0xED]);
        assert_eq!(c, [0xED, 0xED, 3, 0xED]);
        // A lone ED followed by a run: the first byte of the run is literal.
        let c = compress(&[0xED, 5, 5, 5, 5, 5]);
        assert_eq!(c, [0xED, 5, 5, 5, 5, 5]);
    }

    #[test]
    fn v1_compressed_with_end_marker() {
        let ram = sample_ram();
        // Flags: R bit 7, border 3 (bits 1-3), compressed (bit 5).
        let mut f = header_v1(0x8000, 0x01 | (3 << 1) | 0x20);
        let packed = compress(&ram);
        assert!(packed.windows(4).any(|w| w == [0xED, 0xED, 2, 0xED]));
        assert!(packed.len() < RAM_LEN / 4);
        f.extend_from_slice(&packed);
        f.extend_from_slice(&END_MARKER);
        let s = parse(&f).unwrap();
        check_regs(&s.regs);
        assert_eq!(s.regs.pc, 0x8000);
        assert_eq!(s.regs.r, 0x85);
        assert_eq!(s.border, 3);
        assert_eq!(s.ram, ram);

        // Missing marker is tolerated; garbage instead of it is not.
        assert_eq!(parse(&f[..f.len() - 4]).unwrap().ram, ram);
        let mut bad = f.clone();
        let n = bad.len();
        bad[n - 4..].copy_from_slice(&[1, 2, 3, 4]);
        assert!(parse(&bad).unwrap_err().to_string().contains("end marker"));
        // Cut inside the data.
        let cut = parse(&f[..200]).unwrap_err().to_string();
        assert!(cut.contains("compressed data ends after"), "{cut}");
    }

    #[test]
    fn v1_uncompressed_and_flags_ff() {
        let ram = sample_ram();
        let mut f = header_v1(0x1234, 0xFF);
        f.extend_from_slice(&ram);
        let s = parse(&f).unwrap();
        // $FF reads as 1: R bit 7 set, border 0, not compressed.
        assert_eq!((s.regs.r, s.border, s.regs.pc), (0x85, 0, 0x1234));
        assert_eq!(s.ram, ram);
        assert_eq!(
            parse(&f[..30 + 100]).unwrap_err().to_string(),
            "truncated: Z80 v1 uncompressed memory needs 49152 bytes, 100 left"
        );
    }

    /// A v2 (23) or v3 (54) file with the three 48K pages: page 8
    /// uncompressed, 4 and 5 compressed, in a scrambled order, plus an
    /// ignored ROM page.
    fn file_v2v3(extra_len: u16, mode: u8, ram: &[u8]) -> Vec<u8> {
        let mut f = header_v1(0, 0x20 | (6 << 1));
        f.extend_from_slice(&extra_len.to_le_bytes());
        let mut extra = vec![0u8; usize::from(extra_len)];
        extra[0..2].copy_from_slice(&0x6789u16.to_le_bytes());
        extra[2] = mode;
        f.extend_from_slice(&extra);
        let page = |n: usize| &ram[n * PAGE_LEN..(n + 1) * PAGE_LEN];
        for (num, slot) in [(5u8, 2usize), (8, 0), (4, 1)] {
            if num == 8 {
                f.extend_from_slice(&[0xFF, 0xFF, 8]);
                f.extend_from_slice(page(slot));
            } else {
                let c = compress(page(slot));
                f.extend_from_slice(&(c.len() as u16).to_le_bytes());
                f.push(num);
                f.extend_from_slice(&c);
            }
        }
        let rom = compress(&[0x11; PAGE_LEN]);
        f.extend_from_slice(&(rom.len() as u16).to_le_bytes());
        f.push(0);
        f.extend_from_slice(&rom);
        f
    }

    #[test]
    fn v2_and_v3_48k_pages() {
        let mut ram = sample_ram();
        ram[0x4000..0x4010].fill(0x44);
        ram[0x8123] = 0xED;
        for (len, mode) in [(23, 0), (23, 1), (54, 0), (54, 3), (55, 1)] {
            let f = file_v2v3(len, mode, &ram);
            let s = parse(&f).unwrap_or_else(|e| panic!("v{len} mode {mode}: {e}"));
            check_regs(&s.regs);
            assert_eq!(s.regs.pc, 0x6789);
            assert_eq!(s.border, 6);
            assert_eq!(s.ram, ram);
        }
    }

    #[test]
    fn other_hardware_is_refused_by_name() {
        let ram = sample_ram();
        let msg = |len, mode| parse(&file_v2v3(len, mode, &ram)).unwrap_err().to_string();
        assert_eq!(
            msg(54, 4),
            "128K snapshot (hardware mode 4) is not supported: 48K only"
        );
        assert_eq!(
            msg(23, 3),
            "128K snapshot (hardware mode 3) is not supported: 48K only"
        );
        assert_eq!(
            msg(54, 7),
            "+3 snapshot (hardware mode 7) is not supported: 48K only"
        );
        assert_eq!(
            msg(23, 2),
            "SamRam snapshot (hardware mode 2) is not supported: 48K only"
        );
        assert_eq!(
            msg(54, 99),
            "unknown snapshot (hardware mode 99) is not supported: 48K only"
        );
        let mut f = file_v2v3(54, 0, &ram);
        f[37] |= 0x80;
        assert_eq!(
            parse(&f).unwrap_err().to_string(),
            "16K snapshot (hardware mode 0) is not supported: 48K only"
        );
    }

    #[test]
    fn malformed_v2v3_is_refused() {
        let ram = sample_ram();
        let f = file_v2v3(23, 0, &ram);
        assert_eq!(
            parse(&f[..20]).unwrap_err().to_string(),
            "truncated: Z80 header needs 30 bytes, 20 left"
        );
        assert_eq!(
            parse(&f[..40]).unwrap_err().to_string(),
            "truncated: Z80 additional header length at offset 30 says 23 bytes, 8 left"
        );
        let mut bad_len = f.clone();
        bad_len[30] = 40;
        assert!(
            parse(&bad_len)
                .unwrap_err()
                .to_string()
                .contains("additional header length 40")
        );
        // Cut in the second page header (the first page starts at 55).
        let first = 55 + 3 + usize::from(le16(&f, 55));
        assert_eq!(
            parse(&f[..first + 1]).unwrap_err().to_string(),
            format!("truncated: Z80 page header at offset {first} needs 3 bytes, 1 left")
        );
        assert_eq!(
            parse(&f[..first + 100]).unwrap_err().to_string(),
            format!(
                "truncated: Z80 uncompressed page 8 at offset {first} needs 16384 bytes, 97 left"
            )
        );
        assert_eq!(
            parse(&f[..60]).unwrap_err().to_string(),
            format!(
                "truncated: Z80 page 5 header at offset 55 says {} bytes, 2 left",
                le16(&f, 55)
            )
        );
        // Drop the last 48K page (page 4) and the ROM page: page 4 missing.
        let second_end = first + 3 + PAGE_LEN;
        let third_end = second_end + 3 + usize::from(le16(&f, second_end));
        let mut missing = f[..second_end].to_vec();
        missing.extend_from_slice(&f[third_end..]);
        assert_eq!(
            parse(&missing).unwrap_err().to_string(),
            "Z80: memory page 4 is missing (a 48K snapshot has pages 4, 5 and 8)"
        );
        assert_eq!(parse(&[]).unwrap_err().to_string(), "empty Z80 file");
    }

    #[test]
    fn decompress_refuses_overflowing_runs_and_short_pages() {
        let mut out = Vec::new();
        let e = decompress(&[1, 0xED, 0xED, 5, 0], &mut out, 4, "t").unwrap_err();
        assert!(e.to_string().contains("overflows"), "{e}");
        let mut out = Vec::new();
        // A page whose data fills 16 KiB before its end is refused.
        let mut page = compress(&[0u8; PAGE_LEN]);
        page.push(0);
        assert_eq!(
            decompress(&page, &mut out, PAGE_LEN, "t").unwrap(),
            page.len() - 1
        );
    }

    #[test]
    fn truncations_and_garbage_never_panic() {
        let ram = sample_ram();
        let mut v1 = header_v1(0x8000, 0x20);
        v1.extend_from_slice(&compress(&ram));
        v1.extend_from_slice(&END_MARKER);
        let files = [v1, file_v2v3(23, 0, &ram), file_v2v3(54, 3, &ram)];
        for f in &files {
            for len in (0..f.len()).step_by(7) {
                let _ = parse(&f[..len]);
            }
            // One byte short cuts the v1 end marker or the last page.
            assert!(parse(&f[..f.len() - 1]).is_err());
            assert!(parse(f).is_ok());
        }
        let mut seed = 0x00C0_FFEEu32;
        for round in 0..200 {
            let mut g = files[round % 3].clone();
            for _ in 0..8 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let at = (seed >> 8) as usize % g.len();
                g[at] = (seed >> 24) as u8;
            }
            let _ = parse(&g);
            let len = (seed >> 4) as usize % g.len();
            let _ = parse(&g[..len]);
        }
    }
}
