//! The execution engines a suite can run under.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How guest code is executed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, clap::ValueEnum)]
pub enum Engine {
    /// The cycle-exact interpreter (the reference).
    #[serde(rename = "interp", alias = "Interp")]
    #[value(name = "interp")]
    Interp,
    /// The dynamic binary translator.
    #[serde(rename = "jit", alias = "Jit")]
    #[value(name = "jit")]
    Jit,
    /// JIT and interpreter side by side, compared after every block.
    #[serde(rename = "lockstep", alias = "Lockstep")]
    #[value(name = "lockstep")]
    Lockstep,
}

impl Engine {
    /// The engine's name as the CLI and reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Interp => "interp",
            Engine::Jit => "jit",
            Engine::Lockstep => "lockstep",
        }
    }

    /// `Err` with the reason when this build cannot run the engine.
    pub fn ensure_available(self) -> Result<(), EngineUnavailable> {
        match self {
            Engine::Interp => Ok(()),
            Engine::Jit | Engine::Lockstep => Err(EngineUnavailable(self)),
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The requested engine does not exist in this build.
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error(
    "engine `{0}` is not available: this build has no dynamic binary translator yet (use --engine interp)"
)]
pub struct EngineUnavailable(pub Engine);
