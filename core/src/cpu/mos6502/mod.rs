//! MOS 6502 (NMOS) and Ricoh 2A03.

pub mod state;

pub use state::Registers;
