//! `.tzx` tapes: the header `ZXTape!` `$1A` major minor, then blocks, each
//! an id byte and a body. Supported: the data blocks $10 (standard speed),
//! $11 (turbo), $14 (pure data), the signal blocks $12 (pure tone), $13
//! (pulse sequence), $20 (pause / stop the tape), and the informational
//! blocks $21/$22 (group start/end), $30 (text) and $32 (archive info),
//! which play nothing. Any other id is refused by name, because skipping
//! blocks that shape the signal (loops, jumps, custom loaders) would play a
//! different tape than the file describes.

use super::{MediaError, Reader, Tape, TapeBlock, le16};

/// The 8-byte signature.
pub const SIGNATURE: &[u8; 8] = b"ZXTape!\x1A";

/// Parses a `.tzx` file.
pub fn parse(bytes: &[u8]) -> Result<Tape, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty("TZX"));
    }
    let mut rd = Reader::new(bytes);
    let head = rd.fixed(10, || "TZX header".into())?;
    if &head[..8] != SIGNATURE {
        return Err(MediaError::Invalid {
            format: "TZX",
            reason: "missing the signature \"ZXTape!\" $1A".into(),
        });
    }
    if head[8] != 1 {
        return Err(MediaError::Invalid {
            format: "TZX",
            reason: format!(
                "version {}.{:02} (only major version 1 exists)",
                head[8], head[9]
            ),
        });
    }
    let mut blocks = Vec::new();
    while rd.left() > 0 {
        let at = rd.pos();
        let id = rd.fixed(1, || format!("TZX block id at offset {at}"))?[0];
        let what = |field: &str| format!("TZX block ${id:02X} {field} at offset {at}");
        match id {
            0x10 => {
                let h = rd.fixed(4, || what("header"))?;
                let pause_ms = le16(h, 0);
                let data = rd.counted(usize::from(le16(h, 2)), || what("header"))?;
                let mut b = TapeBlock::standard(data.to_vec());
                b.pause_ms = pause_ms;
                blocks.push(b);
            }
            0x11 => {
                let h = rd.fixed(18, || what("header"))?;
                let data = rd.counted(le24(h, 15), || what("header"))?;
                blocks.push(TapeBlock {
                    data: data.to_vec(),
                    pulses: Vec::new(),
                    pilot: le16(h, 0),
                    sync1: le16(h, 2),
                    sync2: le16(h, 4),
                    zero: le16(h, 6),
                    one: le16(h, 8),
                    pilot_pulses: le16(h, 10),
                    used_bits: used_bits(h[12], at)?,
                    pause_ms: le16(h, 13),
                    stop: false,
                });
            }
            0x12 => {
                let h = rd.fixed(4, || what("body"))?;
                let mut b = TapeBlock::pause(0, false);
                b.pilot = le16(h, 0);
                b.pilot_pulses = le16(h, 2);
                blocks.push(b);
            }
            0x13 => {
                let n = rd.fixed(1, || what("pulse count"))?[0];
                let p = rd.counted(2 * usize::from(n), || what("pulse count"))?;
                let mut b = TapeBlock::pause(0, false);
                b.pulses = p.chunks_exact(2).map(|c| le16(c, 0)).collect();
                blocks.push(b);
            }
            0x14 => {
                let h = rd.fixed(10, || what("header"))?;
                let data = rd.counted(le24(h, 7), || what("header"))?;
                let mut b = TapeBlock::pause(le16(h, 5), false);
                b.data = data.to_vec();
                b.zero = le16(h, 0);
                b.one = le16(h, 2);
                b.used_bits = used_bits(h[4], at)?;
                blocks.push(b);
            }
            0x20 => {
                let ms = le16(rd.fixed(2, || what("body"))?, 0);
                // A pause of 0 means "stop the tape": the user must press
                // play again (multi-load games wait there).
                blocks.push(TapeBlock::pause(ms, ms == 0));
            }
            0x21 | 0x30 => {
                let n = rd.fixed(1, || what("length"))?[0];
                rd.counted(usize::from(n), || what("length"))?;
            }
            0x22 => {}
            0x32 => {
                let n = le16(rd.fixed(2, || what("length"))?, 0);
                rd.counted(usize::from(n), || what("length"))?;
            }
            _ => return Err(MediaError::UnsupportedTzxBlock { id, offset: at }),
        }
    }
    if blocks.is_empty() {
        return Err(MediaError::Invalid {
            format: "TZX",
            reason: "no blocks that play anything".into(),
        });
    }
    Ok(Tape { blocks })
}

/// Little-endian 24-bit length at `offset`.
fn le24(bytes: &[u8], offset: usize) -> usize {
    usize::from(bytes[offset])
        | usize::from(bytes[offset + 1]) << 8
        | usize::from(bytes[offset + 2]) << 16
}

/// The "used bits in the last byte" field, which must be 1-8.
fn used_bits(v: u8, at: usize) -> Result<u8, MediaError> {
    match v {
        1..=8 => Ok(v),
        _ => Err(MediaError::Invalid {
            format: "TZX",
            reason: format!("block at offset {at} uses {v} bits of its last byte (expected 1-8)"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::zx48::media::tap::tests::{data_block, header};

    fn file(blocks: &[Vec<u8>]) -> Vec<u8> {
        let mut f = SIGNATURE.to_vec();
        f.extend_from_slice(&[1, 20]);
        for b in blocks {
            f.extend_from_slice(b);
        }
        f
    }

    fn standard_block(pause: u16, data: &[u8]) -> Vec<u8> {
        let mut b = vec![0x10];
        b.extend_from_slice(&pause.to_le_bytes());
        b.extend_from_slice(&(data.len() as u16).to_le_bytes());
        b.extend_from_slice(data);
        b
    }

    fn turbo_block(data: &[u8]) -> Vec<u8> {
        let mut b = vec![0x11];
        for v in [2000u16, 600, 700, 800, 1600, 1500] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.push(6); // used bits
        b.extend_from_slice(&250u16.to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes()[..3]);
        b.extend_from_slice(data);
        b
    }

    fn sample() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let h = header(3, "turbo", 4, 40000, 32768);
        let d = data_block(&[9, 8, 7, 6]);
        let text = {
            let mut t = vec![0x30, 5];
            t.extend_from_slice(b"hello");
            t
        };
        // One text entry: id $00 (title), length 1, "x".
        let archive = vec![0x32, 4, 0, 1, 0x00, 1, b'x'];
        let f = file(&[
            text,
            vec![0x21, 3, b'g', b'r', b'p'],
            standard_block(500, &h),
            turbo_block(&d),
            vec![0x22],
            vec![0x20, 0x2C, 0x01], // 300 ms
            vec![0x12, 0x10, 0x00, 0x05, 0x00],
            vec![0x13, 2, 0x11, 0x00, 0x22, 0x00],
            {
                let mut p = vec![0x14, 0x00, 0x01, 0x00, 0x02, 8, 0, 0, 2, 0, 0];
                p.extend_from_slice(&[0xAA, 0x55]);
                p
            },
            archive,
            vec![0x20, 0, 0], // stop the tape
        ]);
        (f, h, d)
    }

    #[test]
    fn standard_turbo_pause_text_and_signal_blocks() {
        let (f, h, d) = sample();
        let tape = parse(&f).unwrap();
        let b = &tape.blocks;
        assert_eq!(b.len(), 7);
        assert_eq!(b[0], {
            let mut s = TapeBlock::standard(h);
            s.pause_ms = 500;
            s
        });
        assert_eq!(b[0].pilot_pulses, 8063);
        assert_eq!(b[1].data, d);
        assert_eq!((b[1].pilot, b[1].sync1, b[1].sync2), (2000, 600, 700));
        assert_eq!((b[1].zero, b[1].one, b[1].pilot_pulses), (800, 1600, 1500));
        assert_eq!((b[1].used_bits, b[1].pause_ms), (6, 250));
        assert_eq!(b[2], TapeBlock::pause(300, false));
        assert_eq!(
            (b[3].pilot, b[3].pilot_pulses, b[3].pulse_count()),
            (16, 5, 5)
        );
        assert_eq!(b[4].pulses, [0x11, 0x22]);
        assert_eq!(b[5].data, [0xAA, 0x55]);
        assert_eq!(
            (b[5].zero, b[5].one, b[5].pilot_pulses, b[5].sync1),
            (256, 512, 0, 0)
        );
        assert_eq!(b[5].pulse_count(), 32);
        assert_eq!(b[6], TapeBlock::pause(0, true));
    }

    #[test]
    fn unsupported_and_malformed_are_refused() {
        let (f, _, _) = sample();
        let mut loop_block = f[..10].to_vec();
        loop_block.extend_from_slice(&standard_block(1000, &[0xFF, 1, 0xFE]));
        let at = loop_block.len();
        loop_block.extend_from_slice(&[0x24, 2, 0]);
        assert_eq!(
            parse(&loop_block).unwrap_err().to_string(),
            format!("TZX block id $24 at offset {at} is not supported")
        );
        let mut csw = f[..10].to_vec();
        csw.extend_from_slice(&[0x15, 0, 0]);
        assert_eq!(
            parse(&csw).unwrap_err().to_string(),
            "TZX block id $15 at offset 10 is not supported"
        );
        assert_eq!(parse(&[]).unwrap_err().to_string(), "empty TZX file");
        assert_eq!(
            parse(&f[..5]).unwrap_err().to_string(),
            "truncated: TZX header needs 10 bytes, 5 left"
        );
        let mut sig = f.clone();
        sig[0] = b'X';
        assert!(parse(&sig).unwrap_err().to_string().contains("signature"));
        let mut ver = f.clone();
        ver[8] = 2;
        assert!(
            parse(&ver)
                .unwrap_err()
                .to_string()
                .contains("version 2.20")
        );
        assert_eq!(
            parse(&f[..10]).unwrap_err().to_string(),
            "TZX: no blocks that play anything"
        );
        // Cut inside the standard block's data (offset 10 + 7 text + 5 group).
        let std_at = 22;
        assert_eq!(
            parse(&f[..std_at + 10]).unwrap_err().to_string(),
            format!("truncated: TZX block $10 header at offset {std_at} says 19 bytes, 5 left")
        );
        assert_eq!(
            parse(&f[..std_at + 3]).unwrap_err().to_string(),
            format!("truncated: TZX block $10 header at offset {std_at} needs 4 bytes, 2 left")
        );
        let mut bits = file(&[turbo_block(&[1])]);
        bits[10 + 13] = 0;
        assert!(
            parse(&bits)
                .unwrap_err()
                .to_string()
                .contains("uses 0 bits")
        );
    }

    #[test]
    fn truncations_and_garbage_never_panic() {
        let (f, _, _) = sample();
        for len in 0..f.len() {
            // Every cut either fails or (when it falls between blocks)
            // yields fewer blocks.
            if let Ok(t) = parse(&f[..len]) {
                assert!(t.blocks.len() < 7);
            }
        }
        let mut seed = 99u32;
        for _ in 0..2000 {
            let mut g = f.clone();
            for _ in 0..4 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let at = 10 + (seed >> 8) as usize % (g.len() - 10);
                g[at] = (seed >> 24) as u8;
            }
            let _ = parse(&g);
        }
    }
}
