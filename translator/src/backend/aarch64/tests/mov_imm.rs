//! `mov_imm`: the chosen sequences, and a property test executing the
//! emitted words on a tiny model of MOVZ/MOVN/MOVK/ORR-immediate.

use super::{XorShift, asm_text, decode_bit_masks};
use crate::backend::aarch64::{Assembler, Reg, W0, Width, X0, X7, encode_logical_imm};

/// The value the words leave in their (single) destination register,
/// decoding fields as the ARM ARM "Move wide (immediate)" and "Logical
/// (immediate)" classes define them.
fn run(words: &[u32], rd: Reg) -> u64 {
    let mut value = 0u64;
    for &word in words {
        assert_eq!(
            word & 0x1f,
            u32::from(rd.number()),
            "{word:#010x} writes another register"
        );
        let is64 = word >> 31 == 1;
        assert_eq!(is64, rd.is_64(), "{word:#010x} has the wrong width");
        let opc = (word >> 29) & 0b11;
        match (word >> 23) & 0x3f {
            0b100101 => {
                let shift = 16 * ((word >> 21) & 0b11);
                let imm = u64::from((word >> 5) & 0xffff) << shift;
                value = match opc {
                    0b00 => !imm,
                    0b10 => imm,
                    0b11 => (value & !(0xffff << shift)) | imm,
                    _ => panic!("{word:#010x}: reserved move-wide opc"),
                };
            }
            0b100100 if opc == 0b01 && (word >> 5) & 0x1f == 31 => {
                let (n, immr, imms) = ((word >> 22) & 1, (word >> 16) & 0x3f, (word >> 10) & 0x3f);
                value = decode_bit_masks(n, imms, immr, if is64 { 64 } else { 32 })
                    .unwrap_or_else(|| panic!("{word:#010x}: reserved bitmask"));
            }
            _ => panic!("{word:#010x} is not a MOVZ/MOVN/MOVK/ORR-immediate"),
        }
        if !is64 {
            value &= 0xffff_ffff;
        }
    }
    value
}

fn mov_imm_words(rd: Reg, value: u64) -> Vec<u32> {
    let mut a = Assembler::new();
    a.mov_imm(rd, value);
    a.finish()
        .unwrap_or_else(|e| panic!("mov_imm({rd}, {value:#x}): {e}"))
}

#[test]
fn chosen_sequences() {
    let cases: &[(Reg, u64, &str)] = &[
        (X0, 0, "mov x0, #0x0"),
        (X0, 0x1234, "mov x0, #0x1234"),
        (X0, 0x1234_0000_0000, "mov x0, #0x123400000000"),
        (X0, u64::MAX, "mov x0, #0xffffffffffffffff"),
        (X0, 0xffff_ffff_ffff_1234, "mov x0, #0xffffffffffff1234"),
        (X0, 0xffff_5678_ffff_ffff, "mov x0, #0xffff5678ffffffff"),
        (X0, 0x5555_5555_5555_5555, "mov x0, #0x5555555555555555"),
        (
            X0,
            0x0000_0000_1234_5678,
            "mov x0, #0x5678; movk x0, #0x1234, lsl #16",
        ),
        (
            X0,
            0xffff_1234_ffff_5678,
            "mov x0, #0xffffffffffff5678; movk x0, #0x1234, lsl #32",
        ),
        // ORR + MOVK beats MOVZ + 3 MOVK.
        (
            X0,
            0x1234_5555_5555_5555,
            "mov x0, #0x5555555555555555; movk x0, #0x1234, lsl #48",
        ),
        (
            X0,
            0x00ff_00ff_1234_00ff,
            "mov x0, #0xff00ff00ff00ff; movk x0, #0x1234, lsl #16",
        ),
        (
            X0,
            0x1234_5678_9abc_def0,
            "mov x0, #0xdef0; movk x0, #0x9abc, lsl #16; movk x0, #0x5678, lsl #32; movk x0, #0x1234, lsl #48",
        ),
        (W0, 0, "mov w0, #0x0"),
        (W0, 0xffff_ffff, "mov w0, #0xffffffff"),
        (W0, 0xffff_1234, "mov w0, #0xffff1234"),
        (W0, 0x00ff_00ff, "mov w0, #0xff00ff"),
        (
            W0,
            0x1234_5678,
            "mov w0, #0x5678; movk w0, #0x1234, lsl #16",
        ),
    ];
    let mut failures = Vec::new();
    for &(rd, value, expected) in cases {
        let got = asm_text(|a| a.mov_imm(rd, value));
        if got != expected {
            failures.push(format!(
                "mov_imm({rd}, {value:#x}):\n  expected {expected}\n  got      {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Values built from halfwords that are often 0 or 0xffff, or repeat, so
/// that every strategy gets exercised; plus plain random values.
fn interesting_values(rng: &mut XorShift) -> impl Iterator<Item = u64> + '_ {
    (0..50_000).map(|i| {
        if i % 4 == 0 {
            return rng.next();
        }
        let pool = [0u64, 0xffff, rng.next() & 0xffff, rng.next() & 0xffff];
        (0..4).fold(0, |acc, k| {
            acc | pool[(rng.next() % 4) as usize] << (16 * k)
        })
    })
}

#[test]
fn sequences_compute_the_value_and_are_short() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    for value in interesting_values(&mut rng) {
        for (rd, value) in [(X7, value), (W0, value & 0xffff_ffff)] {
            let words = mov_imm_words(rd, value);
            assert_eq!(
                run(&words, rd),
                value,
                "mov_imm({rd}, {value:#x}) computes the wrong value"
            );

            let halves = if rd.width() == Width::X64 { 4 } else { 2 };
            let half = |i: u32| (value >> (16 * i)) & 0xffff;
            let busy = |background| (0..halves).filter(|&i| half(i) != background).count();
            let movz_movn = busy(0).min(busy(0xffff)).max(1);
            assert!(
                words.len() <= movz_movn,
                "{value:#x}: {} words",
                words.len()
            );
            if encode_logical_imm(value, rd.is_64()).is_some() {
                assert_eq!(words.len(), 1, "{value:#x} is one ORR");
            }
        }
    }
}

#[test]
fn rejects_registers_and_values_it_cannot_load() {
    use crate::backend::aarch64::{EncodeError, SP, WZR, XZR};
    let cases = [
        (XZR, 1, EncodeError::RegisterNotAllowed { reg: XZR }),
        (WZR, 1, EncodeError::RegisterNotAllowed { reg: WZR }),
        (SP, 1, EncodeError::RegisterNotAllowed { reg: SP }),
        (
            W0,
            1 << 32,
            EncodeError::ImmediateOutOfRange {
                value: 1 << 32,
                min: 0,
                max: 0xffff_ffff,
            },
        ),
    ];
    for (rd, value, expected) in cases {
        let mut a = Assembler::new();
        a.mov_imm(rd, value);
        assert_eq!(
            a.offset(),
            4,
            "a failed mov_imm leaves one placeholder word"
        );
        let error = a.finish().expect_err("must fail");
        assert_eq!(
            (error.offset, error.mnemonic, error.error),
            (0, "mov", expected)
        );
    }
}
