//! Bitmask-immediate encoder against the `DecodeBitMasks` oracle, over every
//! (N, immr, imms) triple.

use std::collections::HashMap;

use super::{XorShift, decode_bit_masks};
use crate::backend::aarch64::encode_logical_imm;

/// Every valid encoding for `datasize`, keyed by value, with the canonical
/// triple (immr reduced below the element size, which the hardware ignores
/// above it).
fn all_encodings(datasize: u32) -> HashMap<u64, (u32, u32, u32)> {
    let mut values = HashMap::new();
    let max_n = u32::from(datasize == 64);
    for n in 0..=max_n {
        for immr in 0..64 {
            for imms in 0..64 {
                let Some(value) = decode_bit_masks(n, imms, immr, datasize) else {
                    continue;
                };
                let len = 31 - ((n << 6) | (!imms & 0x3f)).leading_zeros();
                let canonical = (n, immr & ((1 << len) - 1), imms);
                if let Some(previous) = values.insert(value, canonical) {
                    assert_eq!(
                        previous, canonical,
                        "{value:#x} has two canonical encodings"
                    );
                }
            }
        }
    }
    values
}

#[test]
fn every_64_bit_encoding_round_trips() {
    let all = all_encodings(64);
    // The well-known count of distinct 64-bit bitmask immediates.
    assert_eq!(all.len(), 5334);
    for (&value, &triple) in &all {
        assert_eq!(encode_logical_imm(value, true), Some(triple), "{value:#x}");
    }
}

#[test]
fn every_32_bit_encoding_round_trips() {
    let all = all_encodings(32);
    assert_eq!(all.len(), 1302);
    for (&value, &triple) in &all {
        assert_eq!(encode_logical_imm(value, false), Some(triple), "{value:#x}");
    }
}

#[test]
fn values_without_an_encoding_are_rejected() {
    let all64 = all_encodings(64);
    let all32 = all_encodings(32);
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let edge = [
        0,
        u64::MAX,
        0xffff_ffff,
        1 << 32,
        0x1_0000_0001,
        0x8000_0001,
        0b101,
    ];
    let random = (0..20_000).map(|_| {
        // Mix dense random values with sparse ones (few bits set), which are
        // much more likely to sit near valid patterns.
        let x = rng.next();
        if x & 1 == 0 {
            x
        } else {
            x & rng.next() & rng.next()
        }
    });
    for value in edge.into_iter().chain(random) {
        assert_eq!(
            encode_logical_imm(value, true).is_some(),
            all64.contains_key(&value),
            "64-bit {value:#x}"
        );
        let low = value & 0xffff_ffff;
        assert_eq!(
            encode_logical_imm(low, false).is_some(),
            all32.contains_key(&low),
            "32-bit {low:#x}"
        );
    }
    // A 32-bit operation takes no immediate above 32 bits, even one whose
    // 64-bit pattern is valid.
    for value in [0xff00_0000_0000_00ff, 0x0000_00ff_0000_00ff] {
        assert!(encode_logical_imm(value, true).is_some(), "{value:#x}");
        assert_eq!(encode_logical_imm(value, false), None, "{value:#x}");
    }
}
