//! Host code generation: one submodule per host architecture.
//!
//! Backends only produce machine-code words in ordinary memory; getting those
//! words into executable memory is `jitmem`'s job alone, so nothing here needs
//! (or may use) `unsafe`.
#![forbid(unsafe_code)]

pub mod aarch64;
