//! Why an instruction could not be encoded, and where.

use std::fmt;

use super::asm::Label;
use super::reg::{Cond, Reg, Width};

/// Reason an instruction (or label reference) could not be encoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EncodeError {
    /// The register cannot appear in this operand: SP where field value 31
    /// means the zero register, the zero register where it means SP, or a
    /// register (SP, ZR) an instruction has no use for.
    RegisterNotAllowed { reg: Reg },
    /// The register has the wrong width for this operand.
    WidthMismatch { reg: Reg, expected: Width },
    /// An immediate (offset, shift, bit position, ...) is outside `min..=max`.
    ImmediateOutOfRange { value: i128, min: i128, max: i128 },
    /// An immediate is not a multiple of `align`.
    Misaligned { value: i128, align: u32 },
    /// Not expressible as an AArch64 bitmask immediate.
    NotLogicalImmediate { value: u64 },
    /// `AL`/`NV` given to an alias (`CSET`, `CINC`, ...) that inverts its
    /// condition: the inverted form would not mean what the alias says.
    InvalidCondition { cond: Cond },
    /// The operand shape is not available for this instruction (e.g. `ROR`
    /// on add/subtract, an extended register on a logical instruction, a
    /// register index on `LDP`).
    InvalidOperand,
    /// Register combination the architecture makes CONSTRAINED UNPREDICTABLE
    /// (writeback to the transfer register, `LDP` of one register twice).
    Unpredictable,
    /// A label referenced but never bound.
    UnboundLabel { label: Label },
    /// A label bound twice.
    LabelAlreadyBound { label: Label },
    /// A label from another assembler.
    UnknownLabel { label: Label },
    /// A PC-relative target is out of reach of the instruction's offset field.
    BranchOutOfRange { delta: i64, min: i64, max: i64 },
    /// `patch_word` outside the emitted code or not word-aligned.
    PatchOutOfBounds { offset: usize },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EncodeError::RegisterNotAllowed { reg } => write!(f, "register {reg} not allowed here"),
            EncodeError::WidthMismatch { reg, expected } => {
                let want = match expected {
                    Width::W32 => "a 32-bit (W) register",
                    Width::X64 => "a 64-bit (X) register",
                };
                write!(f, "register {reg} should be {want}")
            }
            EncodeError::ImmediateOutOfRange { value, min, max } => {
                write!(f, "immediate {value} outside {min}..={max}")
            }
            EncodeError::Misaligned { value, align } => {
                write!(f, "immediate {value} is not a multiple of {align}")
            }
            EncodeError::NotLogicalImmediate { value } => {
                write!(f, "{value:#x} is not a bitmask immediate")
            }
            EncodeError::InvalidCondition { cond } => {
                write!(f, "condition {cond:?} not allowed for this alias")
            }
            EncodeError::InvalidOperand => {
                f.write_str("operand form not available for this instruction")
            }
            EncodeError::Unpredictable => {
                f.write_str("register combination is CONSTRAINED UNPREDICTABLE")
            }
            EncodeError::UnboundLabel { label } => {
                write!(f, "{label:?} referenced but never bound")
            }
            EncodeError::LabelAlreadyBound { label } => write!(f, "{label:?} bound twice"),
            EncodeError::UnknownLabel { label } => {
                write!(f, "{label:?} belongs to another assembler")
            }
            EncodeError::BranchOutOfRange { delta, min, max } => {
                write!(f, "branch offset {delta} outside {min}..={max}")
            }
            EncodeError::PatchOutOfBounds { offset } => {
                write!(
                    f,
                    "patch at byte offset {offset} is outside the code or misaligned"
                )
            }
        }
    }
}

/// The first encoding error of an [`Assembler`](super::Assembler) run: what
/// went wrong, in which instruction, at which byte offset of the buffer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AsmError {
    /// Byte offset of the offending instruction from the start of the buffer.
    pub offset: usize,
    /// Lower-case mnemonic of the method that failed (`"add"`, `"b.cond"`, ...).
    pub mnemonic: &'static str,
    pub error: EncodeError,
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte offset {:#x}: {}",
            self.mnemonic, self.offset, self.error
        )
    }
}

impl std::error::Error for AsmError {}
