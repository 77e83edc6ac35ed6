//! retrojit's dynamic binary translator.
//!
//! - [`jitmem`]: the one code region, its arenas, and the validated write
//!   journal through which all machine code is written, patched and poisoned.

pub mod backend;
pub mod cache;
pub mod engine;
pub mod ir;
pub mod jitmem;
pub mod lift;
pub mod opt;
