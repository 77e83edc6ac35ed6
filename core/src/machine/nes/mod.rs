//! The Nintendo Entertainment System.

pub mod ines;
