//! Labels, fixups, reach limits, and the stand-alone `B` helpers.

use super::{XorShift, asm_text, disasm};
use crate::backend::aarch64::branch::PcRelField;
use crate::backend::aarch64::*;

/// Emits `n` NOPs.
fn nops(a: &mut Assembler, n: usize) {
    for _ in 0..n {
        a.nop();
    }
}

#[test]
fn forward_and_backward_references_to_one_label() {
    let text = asm_text(|a| {
        let l = a.new_label();
        a.b(l);
        a.cbz(X0, l);
        a.bind(l);
        a.b_cond(Cond::Eq, l);
        a.tbnz(W1, 0, l);
        a.adr(X2, l);
    });
    assert_eq!(
        text,
        "b $+0x8; cbz x0, $+0x4; b.eq $+0x0; tbnz w1, #0x0, $-0x4; adr x2, $-0x8"
    );
}

#[test]
fn label_offsets_and_raw_words() {
    let mut a = Assembler::new();
    let entry = a.new_label();
    let exit = a.new_label();
    a.bind(entry);
    a.cbnz(W0, exit);
    a.emit(brk(7));
    assert_eq!(a.offset(), 8);
    assert_eq!(a.label_offset(entry), Some(0));
    assert_eq!(a.label_offset(exit), None);
    // Unbound forward references hold a zero offset until bound.
    assert_eq!(disasm(a.words()[0]), "cbnz w0, $+0x0");
    a.bind(exit);
    assert_eq!(a.label_offset(exit), Some(8));
    a.patch_word(4, NOP);
    let words = a.finish().expect("valid code");
    assert_eq!(disasm(words[0]), "cbnz w0, $+0x8");
    assert_eq!(words[1], NOP);
    assert_eq!(to_le_bytes(&words[1..]), [0x1f, 0x20, 0x03, 0xd5]);
}

#[test]
fn unbound_label_fails_at_finish() {
    let mut a = Assembler::new();
    let unused = a.new_label();
    let _ = unused; // created, never referenced: harmless
    let missing = a.new_label();
    a.nop();
    a.tbz(X3, 40, missing);
    let error = a.finish().expect_err("unbound label");
    assert_eq!(error.offset, 4);
    assert_eq!(error.mnemonic, "tbz");
    assert_eq!(error.error, EncodeError::UnboundLabel { label: missing });
}

#[test]
fn binding_twice_and_foreign_labels_fail() {
    let mut a = Assembler::new();
    let l = a.new_label();
    a.bind(l);
    a.nop();
    a.bind(l);
    let error = a.finish().expect_err("bound twice");
    assert_eq!((error.offset, error.mnemonic), (4, "bind"));
    assert_eq!(error.error, EncodeError::LabelAlreadyBound { label: l });

    let mut other = Assembler::new();
    let (_, foreign) = (other.new_label(), other.new_label());
    let mut a = Assembler::new();
    a.b(foreign);
    let error = a.finish().expect_err("label of another assembler");
    assert_eq!((error.offset, error.mnemonic), (0, "b"));
    assert_eq!(error.error, EncodeError::UnknownLabel { label: foreign });
}

#[test]
fn only_the_first_error_is_kept() {
    let mut a = Assembler::new();
    a.add_imm(X0, X1, 0x1001);
    a.lsl_imm(W0, W1, 40);
    assert_eq!(a.error().map(|e| e.mnemonic), Some("add"));
    assert_eq!(a.finish().map_err(|e| e.mnemonic), Err("add"));
}

/// `branch` emitted `words_between` instructions before (forward) or after
/// (backward) its label; returns the assembler's result.
fn branch_over(
    forward: bool,
    words_between: usize,
    branch: fn(&mut Assembler, Label),
) -> Result<Vec<u32>, AsmError> {
    let mut a = Assembler::new();
    let l = a.new_label();
    if forward {
        branch(&mut a, l);
        nops(&mut a, words_between - 1);
        a.bind(l);
    } else {
        a.bind(l);
        nops(&mut a, words_between);
        branch(&mut a, l);
    }
    a.finish()
}

#[test]
fn reach_limits_of_conditional_and_test_branches() {
    type Branch = fn(&mut Assembler, Label);
    // (name, branch, reach in bytes: forward max and backward max)
    let cases: [(&str, Branch, usize); 4] = [
        ("tbz", |a, l| a.tbz(W0, 1, l), 1 << 15),
        ("b.cond", |a, l| a.b_cond(Cond::Ne, l), 1 << 20),
        ("cbnz", |a, l| a.cbnz(X0, l), 1 << 20),
        ("adr", |a, l| a.adr(X0, l), 1 << 20),
    ];
    for (name, branch, reach) in cases {
        let words = reach / 4;
        // Forward: delta = words_between * 4, at most reach - 4.
        assert!(
            branch_over(true, words - 1, branch).is_ok(),
            "{name} forward limit"
        );
        let error = branch_over(true, words, branch).expect_err("one word too far");
        assert_eq!(error.offset, 0, "{name}");
        assert_eq!(error.mnemonic, name);
        assert!(
            matches!(error.error, EncodeError::BranchOutOfRange { delta, .. } if delta == reach as i64)
        );
        // Backward: delta = -words_between * 4, at least -reach.
        assert!(
            branch_over(false, words, branch).is_ok(),
            "{name} backward limit"
        );
        let error = branch_over(false, words + 1, branch).expect_err("one word too far back");
        assert_eq!(error.offset, reach + 4, "{name}");
        assert!(
            matches!(error.error, EncodeError::BranchOutOfRange { delta, .. } if delta == -(reach as i64) - 4)
        );
    }
}

#[test]
fn branches_to_buffer_offsets() {
    let max = B_RANGE.1;
    let min = B_RANGE.0;
    assert_eq!((min, max), (-(128 << 20), (128 << 20) - 4));
    let text = asm_text(|a| {
        a.nop();
        a.b_to_offset(4 + max);
        a.bl_to_offset(8 + min);
    });
    assert_eq!(text, "nop; b $+0x7fffffc; bl $-0x8000000");

    for (target, expected) in [
        (
            max + 4,
            EncodeError::BranchOutOfRange {
                delta: max + 4,
                min,
                max,
            },
        ),
        (
            min - 4,
            EncodeError::BranchOutOfRange {
                delta: min - 4,
                min,
                max,
            },
        ),
        (2, EncodeError::Misaligned { value: 2, align: 4 }),
        (
            i64::MIN,
            EncodeError::BranchOutOfRange {
                delta: i64::MIN,
                min,
                max,
            },
        ),
    ] {
        let mut a = Assembler::new();
        a.b_to_offset(target);
        let error = a.finish().expect_err("unreachable target");
        assert_eq!((error.mnemonic, error.error), ("b", expected));
    }
}

#[test]
fn encode_b_and_decode_b_round_trip() {
    let base = 0x7f00_0000_0000u64;
    let limits = [0, 4, -4, B_RANGE.0, B_RANGE.1];
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    let random = (0..1000).map(|_| ((rng.next() as i64) >> 36) & !3);
    for delta in limits.into_iter().chain(random) {
        let to = base.wrapping_add_signed(delta);
        let word = encode_b(base, to).unwrap_or_else(|| panic!("delta {delta:#x}"));
        assert_eq!(decode_b(word, base), Some(to), "delta {delta:#x}");
        // yaxpeax agrees on the target.
        let sign = if delta < 0 { '-' } else { '+' };
        assert_eq!(
            disasm(word),
            format!("b ${sign}{:#x}", delta.unsigned_abs())
        );
    }
    assert_eq!(encode_b(0x1000, 0x1000), Some(0x1400_0000));
    assert_eq!(encode_b(0, 8), Some(0x1400_0002));
    assert_eq!(encode_b(8, 0), Some(0x17ff_fffe));
}

#[test]
fn encode_b_rejects_what_b_cannot_reach() {
    let base = 0x4000_0000u64;
    let reach = 128u64 << 20;
    assert!(encode_b(base, base + reach - 4).is_some());
    assert_eq!(encode_b(base, base + reach), None);
    assert!(encode_b(base, base - reach).is_some());
    assert_eq!(encode_b(base, base - reach - 4), None);
    assert_eq!(encode_b(base, base + 2), None, "misaligned target");
    assert_eq!(encode_b(base + 1, base + 4), None, "misaligned source");
    assert_eq!(encode_b(0, u64::MAX - 3), None, "no wrap-around");
    assert_eq!(encode_b(u64::MAX - 3, 0), None, "no wrap-around");
}

#[test]
fn decode_b_accepts_only_b() {
    assert_eq!(decode_b(0x1400_0002, 0x100), Some(0x108));
    assert_eq!(decode_b(0x17ff_ffff, 0x100), Some(0xfc));
    // BL, B.cond and NOP are not B.
    assert_eq!(decode_b(0x9400_0002, 0x100), None);
    assert_eq!(decode_b(0x5400_0040, 0x100), None);
    assert_eq!(decode_b(NOP, 0x100), None);
    // A target below address 0 is not an address.
    assert_eq!(decode_b(0x17ff_ffff, 0), None);
}

/// Inserting an offset into a field and reading it back gives the offset,
/// and leaves every bit outside the field alone.
#[test]
fn offset_fields_round_trip_without_touching_other_bits() {
    let fields = [
        (PcRelField::Imm26, 0xfc00_0000u32, 4),
        (PcRelField::Imm19, 0xff00_001f, 4),
        (PcRelField::Imm14, 0xfff8_001f, 4),
        (PcRelField::Adr21, 0x9f00_001f, 1),
    ];
    let mut rng = XorShift(0x0bad_cafe_f00d_d00d);
    for (field, outside, unit) in fields {
        let (min, max) = field.range();
        let random = (0..1000).map(|_| (rng.next() as i64 % (max + 1)) / unit * unit);
        for delta in [min, max, 0, unit, -unit].into_iter().chain(random) {
            for background in [0, u32::MAX] {
                let word = field.insert(background, delta).expect("in range");
                assert_eq!(field.extract(word), delta, "{field:?} {delta:#x}");
                assert_eq!(word & outside, background & outside, "{field:?} {delta:#x}");
            }
        }
        assert!(field.insert(0, max + unit).is_err());
        assert!(field.insert(0, min - unit).is_err());
    }
}
