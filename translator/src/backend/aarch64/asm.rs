//! The assembler: a buffer of instruction words, labels with their fixups,
//! and error accumulation.
//!
//! Instruction methods live in one submodule per ARM ARM encoding group
//! (`data_imm`: "Data Processing -- Immediate", `data_reg`: "Data Processing
//! -- Register", `load_store`: "Loads and Stores", `control`: "Branches,
//! Exception Generating and System instructions"); this file holds what they
//! share.
//!
//! Error handling: instruction methods never panic and return nothing. An
//! operand that cannot be encoded (immediate out of range, wrong register
//! class or width, branch out of reach, ...) records an [`AsmError`]; only
//! the first one is kept, and [`Assembler::finish`] returns it. The failed
//! instruction still occupies its words (as `UDF #0`), so offsets taken
//! after it stay meaningful and no caller has to handle a `Result` per
//! instruction for operands it already knows to be valid.

mod control;
mod data_imm;
mod data_reg;
mod load_store;

use super::branch::PcRelField;
use super::error::{AsmError, EncodeError};
use super::reg::{Reg, Width, XZR};

/// Emitted in place of an instruction that failed to encode: `UDF #0`, the
/// permanently undefined encoding (all zeros).
const UDF: u32 = 0;

/// A position in the code, bound with [`Assembler::bind`] and referenced by
/// branches and `ADR` before or after binding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Label(usize);

#[derive(Debug)]
enum LabelState {
    /// Not bound yet; the references to patch when it is.
    Unbound(Vec<Fixup>),
    /// Bound to this word index.
    Bound(usize),
}

/// A PC-relative reference emitted before its label was bound.
#[derive(Clone, Copy, Debug)]
struct Fixup {
    /// Word index of the referencing instruction.
    at: usize,
    field: PcRelField,
    mnemonic: &'static str,
}

/// AArch64 assembler emitting 32-bit instruction words.
///
/// Offsets are bytes from the start of the buffer. The words are stored
/// host-endian in a `Vec<u32>`; AArch64 instructions are always
/// little-endian in memory, see [`to_le_bytes`].
#[derive(Debug, Default)]
pub struct Assembler {
    words: Vec<u32>,
    labels: Vec<LabelState>,
    error: Option<AsmError>,
}

impl Assembler {
    /// An empty assembler.
    pub fn new() -> Assembler {
        Assembler::default()
    }

    /// Byte offset of the next instruction.
    pub fn offset(&self) -> usize {
        self.words.len() * 4
    }

    /// The words emitted so far (forward references not yet bound hold a zero
    /// offset).
    pub fn words(&self) -> &[u32] {
        &self.words
    }

    /// The first error recorded so far, if any.
    pub fn error(&self) -> Option<&AsmError> {
        self.error.as_ref()
    }

    /// Appends a raw instruction word (e.g. [`NOP`](super::NOP) or one built
    /// by [`encode_b`](super::encode_b)).
    pub fn emit(&mut self, word: u32) {
        self.words.push(word);
    }

    /// Replaces the word at byte `offset`, which must be a word-aligned
    /// offset of an already emitted instruction.
    pub fn patch_word(&mut self, offset: usize, word: u32) {
        match self.words.get_mut(offset / 4) {
            Some(slot) if offset.is_multiple_of(4) => *slot = word,
            _ => self.fail(offset, "patch", EncodeError::PatchOutOfBounds { offset }),
        }
    }

    /// A fresh, unbound label of this assembler.
    pub fn new_label(&mut self) -> Label {
        self.labels.push(LabelState::Unbound(Vec::new()));
        Label(self.labels.len() - 1)
    }

    /// Binds `label` to the current offset and resolves the references
    /// emitted before it.
    pub fn bind(&mut self, label: Label) {
        let here = self.words.len();
        let offset = self.offset();
        let Some(state) = self.labels.get_mut(label.0) else {
            return self.fail(offset, "bind", EncodeError::UnknownLabel { label });
        };
        let fixups = match std::mem::replace(state, LabelState::Bound(here)) {
            LabelState::Unbound(fixups) => fixups,
            LabelState::Bound(previous) => {
                *state = LabelState::Bound(previous);
                return self.fail(offset, "bind", EncodeError::LabelAlreadyBound { label });
            }
        };
        for fixup in fixups {
            self.resolve(fixup, here);
        }
    }

    /// Byte offset `label` is bound to, if it is bound.
    pub fn label_offset(&self, label: Label) -> Option<usize> {
        match self.labels.get(label.0) {
            Some(LabelState::Bound(at)) => Some(at * 4),
            _ => None,
        }
    }

    /// The finished code, or the first error: an encoding error recorded
    /// while emitting, or else a label referenced but never bound.
    pub fn finish(self) -> Result<Vec<u32>, AsmError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        for (id, state) in self.labels.iter().enumerate() {
            if let LabelState::Unbound(fixups) = state
                && let Some(first) = fixups.first()
            {
                let label = Label(id);
                return Err(AsmError {
                    offset: first.at * 4,
                    mnemonic: first.mnemonic,
                    error: EncodeError::UnboundLabel { label },
                });
            }
        }
        Ok(self.words)
    }

    /// Emits an encoded instruction, or `UDF` and records why it failed.
    fn put(&mut self, mnemonic: &'static str, word: Result<u32, EncodeError>) {
        match word {
            Ok(word) => self.words.push(word),
            Err(error) => {
                self.fail(self.offset(), mnemonic, error);
                self.words.push(UDF);
            }
        }
    }

    /// Emits `word` with its `field` referring to `label`, now if the label
    /// is bound, else when it is.
    fn put_label_ref(
        &mut self,
        mnemonic: &'static str,
        word: Result<u32, EncodeError>,
        field: PcRelField,
        label: Label,
    ) {
        let word = match word {
            Ok(word) => word,
            Err(error) => return self.put(mnemonic, Err(error)),
        };
        let at = self.words.len();
        self.words.push(word);
        let fixup = Fixup {
            at,
            field,
            mnemonic,
        };
        match self.labels.get_mut(label.0) {
            Some(LabelState::Bound(target)) => {
                let target = *target;
                self.resolve(fixup, target);
            }
            Some(LabelState::Unbound(fixups)) => fixups.push(fixup),
            None => self.fail(at * 4, mnemonic, EncodeError::UnknownLabel { label }),
        }
    }

    /// Emits `word` with its `field` referring to byte `target` relative to
    /// the start of the buffer (which may lie outside it).
    fn put_offset_ref(
        &mut self,
        mnemonic: &'static str,
        word: Result<u32, EncodeError>,
        field: PcRelField,
        target: i64,
    ) {
        let here = self.offset() as i64;
        // Saturating: a far-away target must become a range error, not overflow.
        let word = word.and_then(|word| field.insert(word, target.saturating_sub(here)));
        self.put(mnemonic, word);
    }

    /// Writes the offset from the fixup's instruction to word index `target`.
    fn resolve(&mut self, fixup: Fixup, target: usize) {
        let delta = (target as i64 - fixup.at as i64) * 4;
        match fixup.field.insert(self.words[fixup.at], delta) {
            Ok(word) => self.words[fixup.at] = word,
            Err(error) => self.fail(fixup.at * 4, fixup.mnemonic, error),
        }
    }

    /// Records `error` unless an earlier one is already recorded.
    fn fail(&mut self, offset: usize, mnemonic: &'static str, error: EncodeError) {
        self.error.get_or_insert(AsmError {
            offset,
            mnemonic,
            error,
        });
    }
}

/// The little-endian byte image of `words`, as it must appear in memory.
pub fn to_le_bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

// Operand checks shared by the encoding groups. Each returns the value to
// place in the instruction field.

/// A register field in which 31 means XZR/WZR.
fn zr(reg: Reg) -> Result<u32, EncodeError> {
    if reg.is_sp() {
        return Err(EncodeError::RegisterNotAllowed { reg });
    }
    Ok(u32::from(reg.number()))
}

/// A register field in which 31 means SP/WSP.
fn sp(reg: Reg) -> Result<u32, EncodeError> {
    if reg.is_zero() {
        return Err(EncodeError::RegisterNotAllowed { reg });
    }
    Ok(u32::from(reg.number()))
}

/// The zero register of width `w` (for aliases such as CMP, TST, NEG, MVN).
fn zero(w: Width) -> Reg {
    XZR.with_width(w)
}

/// Checks that `reg` has width `expected`.
fn width(reg: Reg, expected: Width) -> Result<(), EncodeError> {
    if reg.width() == expected {
        Ok(())
    } else {
        Err(EncodeError::WidthMismatch { reg, expected })
    }
}

/// The `sf` bit (bit 31) for an operation of width `w`.
fn sf(w: Width) -> u32 {
    u32::from(w == Width::X64) << 31
}

/// Checks `min <= value <= max` and returns `value` as a field.
fn imm(value: i64, min: i64, max: i64) -> Result<u32, EncodeError> {
    if (min..=max).contains(&value) {
        Ok(value as u32)
    } else {
        Err(EncodeError::ImmediateOutOfRange {
            value: i128::from(value),
            min: i128::from(min),
            max: i128::from(max),
        })
    }
}

/// Checks a shift amount (or bit position) for a register of width `w`.
fn shift_amount(w: Width, amount: u8) -> Result<u32, EncodeError> {
    imm(i64::from(amount), 0, i64::from(w.bits()) - 1)
}
