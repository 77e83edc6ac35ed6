//! Engines that run guest code through the translator.

pub mod context;
