//! AArch64 (A64) machine-code encoder: the instruction set the 6502 and Z80
//! backends emit through.
//!
//! - [`Assembler`]: a buffer of instruction words with labels; one method per
//!   mnemonic, operands in assembly order (`a.add_imm(X0, X1, 12)`,
//!   `a.ldrb(W0, Mem::offset(X19, 5))`, `a.b_cond(Cond::Ne, label)`).
//!   Encoding errors are accumulated and reported by [`Assembler::finish`].
//! - [`Reg`], [`Cond`], [`Operand`], [`Mem`]: operands. SP and the zero
//!   register share field value 31 but are distinct [`Reg`] values, and each
//!   operand position accepts only the one its encoding means.
//! - [`encode_b`] / [`decode_b`], [`NOP`], [`brk`]: stand-alone words for the
//!   block linker and jitmem's patch validator.
//! - [`encode_logical_imm`]: the bitmask-immediate encoder.
//!
//! Encodings follow the Arm Architecture Reference Manual (ARM ARM) for
//! A-profile, chapter C4 "A64 Instruction Set Encoding"; only ARMv8.0
//! instructions are used (no FEAT_FlagM `SETF8`, no LSE atomics).

mod asm;
mod branch;
pub mod disasm;
mod error;
mod logical_imm;
pub mod mos6502;
mod operand;
mod reg;

#[cfg(test)]
mod tests;

pub use asm::{Assembler, Label, to_le_bytes};
pub use branch::{B_RANGE, NOP, brk, decode_b, encode_b};
pub use error::{AsmError, EncodeError};
pub use logical_imm::encode_logical_imm;
pub use operand::{Barrier, Extend, IndexExtend, Mem, Operand, Shift};
pub use reg::*;
