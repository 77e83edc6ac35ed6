//! Machines: a CPU, its bus and its devices, driven by frontends and runners.

pub mod cpm;
pub mod nes;
