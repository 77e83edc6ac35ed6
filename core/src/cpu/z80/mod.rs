//! Zilog Z80 (NMOS), documented and undocumented behaviour, T-state exact.
//!
//! `state` is the register file shared with the JIT, `decode` the opcode
//! tables every consumer reads, `alu` the flag arithmetic, `execute` the
//! interpreter and `disasm` the disassembler.

pub mod alu;
pub mod decode;
pub mod disasm;
pub mod execute;
pub mod state;

pub use execute::Cpu;
pub use state::Registers;
