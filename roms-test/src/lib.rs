//! Conformance runner library.
