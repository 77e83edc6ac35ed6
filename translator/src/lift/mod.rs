//! Lifters: guest code to the IR, one module per guest CPU.

pub mod mos6502;
pub mod z80;

/// What the block cache has seen the guest do to a byte of translated
/// code, which decides how the lifters treat it (beebjit's ladder).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Rewrites {
    /// Not rewritten: compiled in.
    #[default]
    Never,
    /// An immediate operand the guest keeps rewriting: the instruction
    /// reads it from guest memory when it runs.
    Operand,
    /// Rewritten again and again otherwise (an opcode, an instruction
    /// under test): blocks end before the instruction and the interpreter
    /// runs it.
    Opcode,
}
