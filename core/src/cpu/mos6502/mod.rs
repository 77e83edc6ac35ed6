//! MOS 6502 (NMOS) and Ricoh 2A03.
//!
//! `decode` is the opcode map everything else is generated from or reads;
//! `execute` the cycle-exact interpreter; `alu` its arithmetic as pure
//! functions; `disasm` the disassembler.

pub mod alu;
pub mod decode;
pub mod disasm;
pub mod execute;
pub mod state;

#[cfg(test)]
mod tests;

pub use decode::{Access, Class, Mnemonic, Mode, OPCODES, Opcode, decode};
pub use disasm::disassemble;
pub use execute::{Cpu, Interrupt, Step, Variant};
pub use state::Registers;
