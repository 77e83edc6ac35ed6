//! The Nintendo Entertainment System.

pub mod apu;
pub mod ines;
