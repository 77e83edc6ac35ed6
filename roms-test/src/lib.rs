//! Headless conformance runner: public test ROMs and instruction-level
//! suites, listed in a RON manifest, run under any engine, with a results
//! table and a JSON report. The `roms-test` binary is a thin CLI over this.

pub mod bare;
pub mod blargg;
pub mod engine;
pub mod frames;
pub mod manifest;
pub mod nestest;
pub mod progress;
pub mod report;
pub mod roms;
pub mod runner;
pub mod singlestep;
pub mod sst6502;
pub mod sst6502_jit;
pub mod z80suites;
pub mod zx;
