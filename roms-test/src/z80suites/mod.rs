//! Z80 conformance suites: SingleStepTests (per-instruction state and
//! per-T-state bus log), FUSE's unit tests (state, T-states and bus events)
//! and CP/M test programs (prelim, zexdoc, zexall) with their pass rules.

pub mod cpm;
pub mod fuse;
pub mod sst;
