//! Conformance runner library.

pub mod z80suites;
