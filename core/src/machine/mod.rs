//! Machines: a CPU, its bus and its devices, driven by frontends and runners.

pub mod bare6502;
pub mod cpm;
pub mod nes;
