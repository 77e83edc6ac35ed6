//! The Nintendo Entertainment System.

pub mod ines;
pub mod ppu;
