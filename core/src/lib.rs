//! Guest side of retrojit: cycle-exact CPUs, their buses and the machines
//! built from them. Safe Rust only; it knows nothing about the JIT, which
//! reads the `#[repr(C)]` register files and page tables defined here.
#![forbid(unsafe_code)]

pub mod asm6502;
pub mod bus;
pub mod cpu;
pub mod engine;
pub mod machine;
pub mod number;
pub mod programs;
