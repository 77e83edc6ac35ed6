//! x86-64 machine-code encoder and the 6502 backend built on it.
//!
//! - [`Assembler`]: a byte buffer with labels; one method per instruction
//!   form (`a.alu32(Alu::Add, Reg::RAX, Src::Imm(1))`,
//!   `a.load8(Reg::RDX, Mem::index(Reg::RBP, Reg::RAX, 1, 0))`). Jumps to
//!   labels are always `rel32`, so a block's layout never depends on
//!   distances.
//! - [`Reg`], [`Mem`], [`Src`], [`Cond`], [`Alu`], [`Shift`]: operands.
//! - [`mos6502`]: the 6502 code generator and runtime stubs.
//! - [`disasm`]: iced-x86 listings for block dumps, lockstep reports and
//!   the encoder's tests.

mod asm;
pub mod disasm;
pub mod mos6502;
mod reg;

#[cfg(test)]
mod tests;

pub use asm::{Alu, Assembler, Cond, Label, Mem, Shift, Src};
pub use reg::Reg;
