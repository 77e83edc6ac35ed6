//! Lifters: guest code to the IR, one module per guest CPU.

pub mod mos6502;
pub mod z80;
