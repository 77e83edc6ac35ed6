//! The host instruction words the write path itself must understand.
//!
//! jitmem does not assemble code; the backends do. It only needs three words
//! per host ISA to police `Patch32` entries and fill `Poison` ranges: the
//! patch word that links an exit, the one that unlinks it, and the trapping
//! word that fills dead code. Everything here is a pure function of its
//! arguments, so the rules of every ISA are unit-tested on any host.
//!
//! | | AArch64 | x86-64 |
//! |---|---|---|
//! | exit slot | one `B`/`NOP` word at a 4-aligned `at` | `jmp rel32` (`E9`) at `at - 1`, its rel32 at the 4-aligned `at` |
//! | link word ([`Isa::branch_word`]) | `B to` | rel32 = `to - (at + 4)` |
//! | unlink word ([`Isa::nop_word`]) | `NOP` | rel32 = 0: the jump falls through to the exit's fallback path |
//! | poison word ([`Isa::poison_word`]) | `brk #0xdead` | `CC CC CC CC` (four `INT3`) |
//! | [`Isa::code_align`] | 4 | 1 |
//!
//! On x86-64 a `Patch32` only ever rewrites the displacement of a `jmp`, so
//! it cannot poison: the poison word stored there is just a (wild) branch,
//! which the validator refuses because its target lies outside the arena.
//! Code is poisoned with `Poison` entries (at block entries) instead.
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
    /// x86-64 (AMD64 / Intel 64), 64-bit mode.
    X86_64,
}

/// What a `Patch32` word means, as far as the validator cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PatchWord {
    /// Unconditional direct branch to `at + displacement` (arena offsets).
    Branch { displacement: i64 },
    /// The ISA's no-op: an unlinked exit falls through to its fallback path.
    Nop,
    /// The poison word: a patched slot that traps (AArch64 only; on x86-64
    /// the patch word is a displacement, so this is never the class).
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

/// x86-64 unlinked exit: `jmp rel32` with rel32 = 0 jumps to the next
/// instruction, the exit's fallback path.
const X86_NOP: u32 = 0;
/// Four `INT3` (`CC`): traps (SIGTRAP) from whichever byte execution enters.
const X86_POISON: u32 = 0xcccc_cccc;
/// `jmp rel32`: the opcode byte right before an x86-64 exit slot.
const X86_JMP_REL32: u8 = 0xe9;
/// The rel32 of a `jmp` counts from the end of the instruction, which is the
/// end of the 4-byte displacement field.
const X86_REL32_BASE: i64 = 4;

impl Isa {
    /// The ISA of the machine this process runs on, if retrojit has a
    /// backend for it. `None` means code can be reserved and carved but not
    /// committed or executed.
    pub const HOST: Option<Isa> = if cfg!(target_arch = "x86_64") {
        Some(Isa::X86_64)
    } else if cfg!(target_arch = "aarch64") {
        Some(Isa::Aarch64)
    } else {
        None
    };

    /// Short lowercase name, as used in messages.
    pub const fn name(self) -> &'static str {
        match self {
            Isa::Aarch64 => "aarch64",
            Isa::X86_64 => "x86_64",
        }
    }

    /// Alignment (and length granule) of every `Copy` entry's offset and
    /// length: the instruction size on AArch64, 1 on x86-64 (variable-length
    /// code). `Patch32` addresses and `Poison` ranges are 4-aligned on every
    /// ISA, because both are stored one aligned 32-bit word at a time.
    pub const fn code_align(self) -> u32 {
        match self {
            Isa::Aarch64 => 4,
            Isa::X86_64 => 1,
        }
    }

    /// The word `Poison` fills dead code with. AArch64: `brk #0xdead`;
    /// x86-64: `0xcccccccc`, four `INT3`. Both raise SIGTRAP when executed.
    pub const fn poison_word(self) -> u32 {
        match self {
            Isa::Aarch64 => A64_POISON,
            Isa::X86_64 => X86_POISON,
        }
    }

    /// The patch word an exit slot holds while it is unlinked. AArch64: the
    /// `NOP` instruction; x86-64: 0, the rel32 of a `jmp` to the next
    /// instruction (the exit's fallback path).
    pub const fn nop_word(self) -> u32 {
        match self {
            Isa::Aarch64 => A64_NOP,
            Isa::X86_64 => X86_NOP,
        }
    }

    /// The patch word for an unconditional branch from the slot at arena
    /// offset `from` to arena offset `to`, or `None` if `to` is unreachable
    /// (or, on AArch64, misaligned).
    ///
    /// - AArch64: a `B` instruction at `from`. Within one arena every
    ///   4-aligned target is reachable, because arenas are at most 128 MiB.
    /// - x86-64: the rel32 of a `jmp` whose 4-byte displacement field starts
    ///   at `from`, i.e. `to - (from + 4)` as two's complement. Any `from` is
    ///   accepted (backends also use this to fill jumps that are never
    ///   patched); a `Patch32` additionally needs `from` 4-aligned, with
    ///   the `E9` opcode at `from - 1`. Only a distance beyond `i32` gives
    ///   `None`, which cannot happen within one arena.
    pub const fn branch_word(self, from: u32, to: u32) -> Option<u32> {
        match self {
            Isa::X86_64 => {
                // Both fit in i64 with room to spare, so nothing can wrap.
                let rel = (to as i64).wrapping_sub((from as i64).wrapping_add(X86_REL32_BASE));
                if rel < i32::MIN as i64 || rel > i32::MAX as i64 {
                    return None;
                }
                Some(rel as i32 as u32)
            }
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

    /// The opcode byte that must precede a `Patch32` slot, if the ISA's patch
    /// word is only the operand of an instruction: x86-64 `jmp rel32` (`E9`),
    /// whose displacement is the patched word. `None` on AArch64, where the
    /// word is the whole instruction.
    pub(crate) const fn slot_opcode(self) -> Option<u8> {
        match self {
            Isa::Aarch64 => None,
            Isa::X86_64 => Some(X86_JMP_REL32),
        }
    }

    /// Classifies a word that a journal wants to store into an exit slot.
    /// Displacements are relative to the slot address `at`.
    pub(crate) const fn classify_patch(self, word: u32) -> PatchWord {
        match self {
            // Every rel32 is a branch: target = at + 4 + rel32. The poison
            // word is no exception (a jump about 0.8 GiB back).
            Isa::X86_64 => {
                if word == X86_NOP {
                    PatchWord::Nop
                } else {
                    PatchWord::Branch {
                        displacement: (word as i32 as i64).wrapping_add(X86_REL32_BASE),
                    }
                }
            }
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

    #[test]
    fn host_is_the_target_architecture() {
        let expected = match std::env::consts::ARCH {
            "x86_64" => Some(Isa::X86_64),
            "aarch64" => Some(Isa::Aarch64),
            _ => None,
        };
        assert_eq!(Isa::HOST, expected);
        assert_eq!(Isa::X86_64.name(), "x86_64");
        assert_eq!(Isa::Aarch64.name(), "aarch64");
    }

    #[test]
    fn x86_words() {
        let isa = Isa::X86_64;
        assert_eq!(isa.code_align(), 1);
        assert_eq!(isa.nop_word(), 0);
        // INT3 is the one-byte CC; four of them in every byte order.
        assert_eq!(isa.poison_word().to_le_bytes(), [0xcc; 4]);
        assert_eq!(isa.classify_patch(0), PatchWord::Nop);
        // The poison word is only a rel32 on x86-64: a branch far backwards,
        // which the validator refuses as leaving the arena.
        assert_eq!(
            isa.classify_patch(0xcccc_cccc),
            PatchWord::Branch {
                displacement: -0x3333_3334 + 4
            }
        );
    }

    #[test]
    fn x86_branch_words_are_rel32_from_the_end_of_the_field() {
        let isa = Isa::X86_64;
        // The jmp at 0x0f, its rel32 at 0x10..0x14: the next instruction is
        // at 0x14, so a jump there is rel32 0, the unlinked slot.
        assert_eq!(isa.branch_word(0x10, 0x14), Some(0));
        assert_eq!(isa.branch_word(0x10, 0x100), Some(0xec));
        assert_eq!(isa.branch_word(0x100, 0x10), Some((-0xf4i32) as u32));
        assert_eq!(isa.branch_word(0x10, 0x10), Some(u32::MAX - 3));
        // Any `from`, not only 4-aligned ones (placeholder jumps in a block).
        assert_eq!(isa.branch_word(0x13, 0x20), Some(0x09));
        assert_eq!(isa.branch_word(0x21, 0x20), Some((-5i32) as u32));
        for (from, to) in [
            (4u32, 0u32),
            (4, 8),
            (64, 12),
            (0x100, 0x7ff_fffc),
            (0x7ff_fff8, 4),
            (12, 12),
        ] {
            let word = isa.branch_word(from, to).unwrap();
            assert_eq!(
                i64::from(from) + 4 + i64::from(word as i32),
                i64::from(to),
                "{from:#x} -> {to:#x}"
            );
            // The validator's view: displacement relative to the slot.
            let expected = if word == 0 {
                PatchWord::Nop
            } else {
                PatchWord::Branch {
                    displacement: i64::from(to) - i64::from(from),
                }
            };
            assert_eq!(isa.classify_patch(word), expected, "{from:#x} -> {to:#x}");
        }
    }

    #[test]
    fn x86_branch_word_refuses_only_distances_beyond_i32() {
        let isa = Isa::X86_64;
        let max = i32::MAX as u32;
        assert_eq!(isa.branch_word(0, max + 4), Some(max));
        assert_eq!(isa.branch_word(0, max + 5), None);
        assert_eq!(isa.branch_word(max - 3, 0), Some(i32::MIN as u32));
        assert_eq!(isa.branch_word(max - 2, 0), None);
        assert_eq!(isa.branch_word(u32::MAX, 0), None);
        assert_eq!(isa.branch_word(0, u32::MAX), None);
    }
}
