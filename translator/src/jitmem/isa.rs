//! The host instruction words the write path itself must understand.
//!
//! jitmem does not assemble code; the backends do. It only needs three words
//! per host ISA to police `Patch32` entries and fill `Poison` ranges: the
//! unconditional branch used to link exits, the NOP used to unlink them, and
//! the trapping word that fills dead code. Everything here is a pure
//! function of its arguments, so the AArch64 rules are unit-tested on any
//! host. The x86-64 backend adds its variant here (a rel32 displacement as
//! the patch word, `UD2`/`INT3` as poison).
//!
//! This module is called from the write callback: no panics, no overflowing
//! arithmetic.

#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used
)]

/// A host instruction set the region can hold code for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Isa {
    /// ARMv8-A, A64 instruction set.
    Aarch64,
}

/// What a `Patch32` word means, as far as the validator cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PatchWord {
    /// Unconditional direct branch to `at + displacement` (arena offsets).
    Branch { displacement: i64 },
    /// The ISA's no-op: an unlinked exit falls through to its fallback path.
    Nop,
    /// The poison word: a patched slot that traps.
    Poison,
    /// Anything else: refused.
    Other,
}

// A64 encodings (Arm ARM, C6.2): B is 0b000101 in bits 31..26 followed by a
// signed 26-bit word displacement; BRK is 0xd4200000 | imm16 << 5.
const A64_B_OPCODE: u32 = 0x1400_0000;
const A64_B_MASK: u32 = 0xfc00_0000;
const A64_B_IMM26: u32 = 0x03ff_ffff;
const A64_NOP: u32 = 0xd503_201f;
/// `brk #0xdead`: the immediate marks the trap as retrojit poison in a debugger.
const A64_POISON: u32 = 0xd420_0000 | (0xdead << 5);
/// B reaches +-128 MiB: a signed 26-bit count of 4-byte words.
const A64_B_MIN: i64 = -(1 << 27);
const A64_B_MAX: i64 = (1 << 27) - 4;

impl Isa {
    /// The ISA of the machine this process runs on, if retrojit has a
    /// backend for it. `None` means code can be reserved and carved but not
    /// committed or executed.
    pub const HOST: Option<Isa> = if cfg!(target_arch = "aarch64") {
        Some(Isa::Aarch64)
    } else {
        None
    };

    /// Short lowercase name, as used in messages.
    pub const fn name(self) -> &'static str {
        match self {
            Isa::Aarch64 => "aarch64",
        }
    }

    /// Alignment (and length granule) of every `Copy` and `Poison` entry and
    /// of every `Patch32` address: the instruction size on AArch64.
    pub const fn code_align(self) -> u32 {
        match self {
            Isa::Aarch64 => 4,
        }
    }

    /// The word `Poison` fills dead code with (AArch64: `brk #0xdead`, which
    /// raises SIGTRAP when executed).
    pub const fn poison_word(self) -> u32 {
        match self {
            Isa::Aarch64 => A64_POISON,
        }
    }

    /// The no-op word an exit slot holds while it is unlinked.
    pub const fn nop_word(self) -> u32 {
        match self {
            Isa::Aarch64 => A64_NOP,
        }
    }

    /// The patch word for an unconditional branch from the slot at arena
    /// offset `from` to arena offset `to`, or `None` if `to` is unreachable
    /// or misaligned. Within one arena every aligned target is reachable,
    /// because arenas are at most 128 MiB.
    pub const fn branch_word(self, from: u32, to: u32) -> Option<u32> {
        match self {
            Isa::Aarch64 => {
                // Both fit in i64, so the subtraction cannot wrap.
                let displacement = (to as i64).wrapping_sub(from as i64);
                if displacement % 4 != 0 || displacement < A64_B_MIN || displacement > A64_B_MAX {
                    return None;
                }
                // Two's complement truncation to 26 bits is the encoding.
                Some(A64_B_OPCODE | ((displacement >> 2) as u32 & A64_B_IMM26))
            }
        }
    }

    /// Classifies a word that a journal wants to store into an exit slot.
    pub(crate) const fn classify_patch(self, word: u32) -> PatchWord {
        match self {
            Isa::Aarch64 => {
                if word == A64_NOP {
                    PatchWord::Nop
                } else if word == A64_POISON {
                    PatchWord::Poison
                } else if word & A64_B_MASK == A64_B_OPCODE {
                    // Sign-extend imm26 by shifting it to the top, then scale by 4.
                    let words = ((word << 6) as i32 >> 6) as i64;
                    PatchWord::Branch {
                        displacement: words << 2,
                    }
                } else {
                    PatchWord::Other
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]
mod tests {
    use super::*;
    use yaxpeax_arch::{Decoder, U8Reader};
    use yaxpeax_arm::armv8::a64::InstDecoder;

    fn disassemble(word: u32) -> String {
        let bytes = word.to_le_bytes();
        let inst = InstDecoder::default()
            .decode(&mut U8Reader::new(&bytes))
            .expect("valid A64 word");
        inst.to_string()
    }

    #[test]
    fn special_words_decode_to_what_they_claim() {
        assert_eq!(disassemble(Isa::Aarch64.nop_word()), "nop");
        assert_eq!(disassemble(Isa::Aarch64.poison_word()), "brk #0xdead");
    }

    #[test]
    fn branch_words_decode_to_b_with_the_same_displacement() {
        for (from, to) in [
            (0u32, 4u32),
            (64, 0),
            (0, (1 << 27) - 4),
            ((1 << 27) - 4, 0),
            (100, 100),
        ] {
            let word = Isa::Aarch64.branch_word(from, to).unwrap();
            let expected = i64::from(to) - i64::from(from);
            assert_eq!(
                Isa::Aarch64.classify_patch(word),
                PatchWord::Branch {
                    displacement: expected
                }
            );
            let text = disassemble(word);
            assert!(text.starts_with("b "), "{word:#010x} decodes as {text}");
            // yaxpeax prints the displacement relative to the instruction.
            let shown = text.trim_start_matches("b $");
            let shown = if let Some(neg) = shown.strip_prefix("-0x") {
                -i64::from_str_radix(neg, 16).unwrap()
            } else {
                i64::from_str_radix(shown.trim_start_matches("+0x"), 16).unwrap()
            };
            assert_eq!(shown, expected, "{text}");
        }
    }

    #[test]
    fn branch_word_refuses_misaligned_and_unreachable_targets() {
        assert_eq!(Isa::Aarch64.branch_word(0, 2), None);
        assert_eq!(Isa::Aarch64.branch_word(0, 1 << 27), None);
        assert_eq!(Isa::Aarch64.branch_word((1 << 27) + 4, 0), None);
    }

    #[test]
    fn other_branches_and_instructions_are_not_patch_words() {
        let bl = 0x9400_0004; // bl +16: a call, not a link
        let b_eq = 0x5400_0080; // b.eq +16: conditional
        let br_x0 = 0xd61f_0000; // br x0: indirect
        let udf = 0x0000_0000; // udf #0: traps, but is not our poison
        for word in [bl, b_eq, br_x0, udf, 0x5280_0540] {
            assert_eq!(
                Isa::Aarch64.classify_patch(word),
                PatchWord::Other,
                "{word:#010x}"
            );
        }
    }
}
