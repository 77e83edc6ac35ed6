//! The ZX Spectrum 48K: the ULA (contention, picture, floating bus), the
//! keyboard and Kempston joystick, the beeper, the machine itself, and the
//! snapshot and tape formats it loads.

pub mod beeper;
pub mod keyboard;
pub mod launch;
pub mod machine;
pub mod ula;

#[cfg(test)]
mod tests;

pub use machine::{Zx48, Zx48Bus, Zx48Error};

pub mod media;
