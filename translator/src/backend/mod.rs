//! Host code generation: one submodule per host architecture, both built on
//! every host (they only produce bytes, so their encoders are tested
//! everywhere), and [`host`]: the one the block cache uses, chosen by
//! `cfg(target_arch)`. Nothing upstream of the IR forks per host.
//!
//! Backends only produce machine code in ordinary memory; getting it into
//! executable memory is `jitmem`'s job alone, so nothing here needs (or
//! may use) `unsafe`.
#![forbid(unsafe_code)]

pub mod aarch64;
mod block;
mod frame;
pub mod shape;
mod temps;
pub mod x86_64;

/// The backend for the machine this process runs on.
#[cfg(not(target_arch = "x86_64"))]
pub use aarch64 as host;
/// The backend for the machine this process runs on.
#[cfg(target_arch = "x86_64")]
pub use x86_64 as host;

/// A block's code before it is placed.
#[derive(Clone, Debug)]
pub struct Emitted {
    /// The machine code.
    pub code: Vec<u8>,
    /// Link slots.
    pub exits: Vec<ExitSlot>,
    /// Byte offsets of the 4-byte branch words that must reach the common
    /// exit (filled by the block cache once the block is placed, with
    /// [`crate::jitmem::Isa::branch_word`]).
    pub epilogue_branches: Vec<u32>,
}

/// A patchable exit: unlinked (go to the dispatcher) or a branch to the
/// target block.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ExitSlot {
    /// Byte offset of the patchable 4-byte word (4-aligned).
    pub at: u32,
    /// Guest address the exit continues at.
    pub target: u16,
    /// D there (the target block's key).
    pub decimal: bool,
}

/// The guest a block cache compiles for. Each guest has its own register
/// plan (which guest locations live in host registers), so the runtime
/// stubs that load and store them differ; blocks of one cache all share
/// its plan, which is what lets them branch to each other directly.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Guest {
    /// The 6502 and 2A03.
    Mos6502,
    /// The Z80.
    Z80,
}

/// The shared stubs at the start of every arena.
#[derive(Clone, Debug)]
pub struct Runtime {
    /// The machine code.
    pub code: Vec<u8>,
    /// Byte offset of the common exit.
    pub epilogue: u32,
}

/// Why a block could not be compiled (the interpreter runs it instead).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodegenError {
    /// More temporaries live at once than host registers.
    #[error("block at ${0:04X} needs more registers than the backend has")]
    OutOfRegisters(u16),
    /// The encoder refused an instruction (a backend bug).
    #[error("encoding failed: {0}")]
    Encode(String),
}

/// What code generation needs to know beyond the block.
#[derive(Clone, Copy, Debug)]
pub struct CodegenConfig {
    /// Jumps to self end the run (bare test machines).
    pub stop_on_trap: bool,
    /// Exits may continue into other blocks without the dispatcher (linked
    /// branches, the inline lookup of indirect targets).
    pub link: bool,
}
