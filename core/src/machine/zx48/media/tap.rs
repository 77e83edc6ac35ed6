//! `.tap` tapes: a sequence of blocks, each a little-endian u16 length and
//! that many bytes (flag byte, payload, checksum), all played with the
//! standard ROM timings.

use super::{MediaError, Reader, Tape, TapeBlock, le16};

/// Parses a `.tap` file.
pub fn parse(bytes: &[u8]) -> Result<Tape, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty("TAP"));
    }
    let mut rd = Reader::new(bytes);
    let mut blocks = Vec::new();
    while rd.left() > 0 {
        let at = rd.pos();
        let n = blocks.len() + 1;
        let len = le16(
            rd.fixed(2, || format!("TAP block {n} length at offset {at}"))?,
            0,
        );
        if len == 0 {
            // Not even a flag byte: LD-BYTES could never accept it, and it
            // usually means the offsets are off.
            return Err(MediaError::Invalid {
                format: "TAP",
                reason: format!("block {n} at offset {at} has length 0"),
            });
        }
        let data = rd.counted(usize::from(len), || {
            format!("TAP block {n} header at offset {at}")
        })?;
        blocks.push(TapeBlock::standard(data.to_vec()));
    }
    Ok(Tape { blocks })
}

/// Writes `tape` as a `.tap` file: the data of every block that has any
/// (timings and signal-only blocks cannot be expressed in the format).
pub fn write(tape: &Tape) -> Vec<u8> {
    let mut out = Vec::new();
    for block in tape.blocks.iter().filter(|b| !b.data.is_empty()) {
        // A block longer than 65535 bytes cannot be stored; cutting it keeps
        // the file readable rather than misframing every block after it.
        let len = block.data.len().min(0xFFFF);
        out.extend_from_slice(&(len as u16).to_le_bytes());
        out.extend_from_slice(&block.data[..len]);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::machine::zx48::media::standard;

    /// A ROM header block (flag 0) for a file of `kind` (0 program, 3 code).
    pub(crate) fn header(kind: u8, name: &str, len: u16, p1: u16, p2: u16) -> Vec<u8> {
        let mut b = vec![0x00, kind];
        let mut padded = name.as_bytes().to_vec();
        padded.resize(10, b' ');
        b.extend_from_slice(&padded);
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&p1.to_le_bytes());
        b.extend_from_slice(&p2.to_le_bytes());
        b.push(b.iter().fold(0, |x, y| x ^ y));
        b
    }

    /// A data block (flag $FF) with its checksum.
    pub(crate) fn data_block(payload: &[u8]) -> Vec<u8> {
        let mut b = vec![0xFF];
        b.extend_from_slice(payload);
        b.push(b.iter().fold(0, |x, y| x ^ y));
        b
    }

    fn two_blocks() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let h = header(3, "code", 5, 32768, 32768);
        let d = data_block(&[1, 2, 3, 4, 5]);
        let mut f = Vec::new();
        for b in [&h, &d] {
            f.extend_from_slice(&(b.len() as u16).to_le_bytes());
            f.extend_from_slice(b);
        }
        (f, h, d)
    }

    #[test]
    fn two_blocks_round_trip_with_standard_timings() {
        let (f, h, d) = two_blocks();
        let tape = parse(&f).unwrap();
        assert_eq!(tape.blocks.len(), 2);
        assert_eq!(tape.blocks[0].data, h);
        assert_eq!(tape.blocks[1].data, d);
        assert_eq!(tape.blocks[0].data.len(), 19);
        for (b, pilots) in tape
            .blocks
            .iter()
            .zip([standard::PILOT_HEADER, standard::PILOT_DATA])
        {
            assert_eq!(b.pilot_pulses, pilots);
            assert_eq!((b.pilot, b.sync1, b.sync2), (2168, 667, 735));
            assert_eq!((b.zero, b.one, b.used_bits), (855, 1710, 8));
            assert_eq!(b.pause_ms, 1000);
            assert!(b.pulses.is_empty() && !b.stop);
        }
        assert_eq!(write(&tape), f);
    }

    #[test]
    fn truncations_are_refused_with_the_right_message() {
        let (f, _, _) = two_blocks();
        assert_eq!(parse(&[]).unwrap_err().to_string(), "empty TAP file");
        assert_eq!(
            parse(&f[..1]).unwrap_err().to_string(),
            "truncated: TAP block 1 length at offset 0 needs 2 bytes, 1 left"
        );
        assert_eq!(
            parse(&f[..10]).unwrap_err().to_string(),
            "truncated: TAP block 1 header at offset 0 says 19 bytes, 8 left"
        );
        assert_eq!(
            parse(&f[..22]).unwrap_err().to_string(),
            "truncated: TAP block 2 length at offset 21 needs 2 bytes, 1 left"
        );
        assert_eq!(
            parse(&f[..f.len() - 1]).unwrap_err().to_string(),
            "truncated: TAP block 2 header at offset 21 says 7 bytes, 6 left"
        );
        assert_eq!(
            parse(&[0, 0]).unwrap_err().to_string(),
            "TAP: block 1 at offset 0 has length 0"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let (f, _, _) = two_blocks();
        for len in 0..f.len() {
            // Cutting exactly between the blocks leaves a valid one-block tape.
            let ok = len == 21;
            assert_eq!(parse(&f[..len]).is_ok(), ok, "cut at {len}");
        }
        let mut seed = 7u32;
        for _ in 0..500 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let g: Vec<u8> = (0..(seed >> 20) % 64)
                .map(|i| (seed.rotate_left(i) >> 3) as u8)
                .collect();
            let _ = parse(&g);
        }
    }

    /// The real tape in `../shared/roms` when present: a BASIC loader and
    /// its machine code.
    #[test]
    fn znake_tap_when_present() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/roms/games/zx/znake/znake.tap"
        );
        let Ok(bytes) = std::fs::read(path) else {
            eprintln!("skipped: {path} not present");
            return;
        };
        let tape = parse(&bytes).unwrap();
        let b = &tape.blocks;
        assert_eq!(b.len(), 4);
        // Every block's checksum (XOR of all its bytes) is zero.
        for block in b {
            assert_eq!(block.data.iter().fold(0, |x, y| x ^ y), 0);
        }
        // 1: program header "loader", 71 bytes, autostart line 10.
        assert_eq!(b[0].data.len(), 19);
        assert_eq!((b[0].data[0], b[0].data[1]), (0x00, 0));
        assert_eq!(&b[0].data[2..12], b"loader    ");
        assert_eq!(le16(&b[0].data, 12), 71);
        assert_eq!(le16(&b[0].data, 14), 10);
        assert_eq!(b[0].pilot_pulses, standard::PILOT_HEADER);
        // 2: the BASIC program, flag + 71 + checksum.
        assert_eq!((b[1].data.len(), b[1].data[0]), (73, 0xFF));
        assert_eq!(b[1].pilot_pulses, standard::PILOT_DATA);
        // 3: code header "znake", 2983 bytes at 32896.
        assert_eq!((b[2].data[0], b[2].data[1]), (0x00, 3));
        assert_eq!(&b[2].data[2..12], b"znake     ");
        assert_eq!(le16(&b[2].data, 12), 2983);
        assert_eq!(le16(&b[2].data, 14), 32896);
        // 4: the code, flag + 2983 + checksum.
        assert_eq!((b[3].data.len(), b[3].data[0]), (2985, 0xFF));
        assert_eq!(write(&tape), bytes);
    }
}
