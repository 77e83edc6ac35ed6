//! The ZX Spectrum 48K.

pub mod media;
