//! Engines that run guest code through the translator.

mod call;
pub mod context;
pub mod mos6502;
