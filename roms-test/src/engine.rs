//! Engine selection for suites: the translator's [`EngineKind`], plus how
//! a suite builds the 6502 engine it names.

use crate::report::SuiteResult;
use retrojit_core::cpu::mos6502::Variant;
pub use retrojit_translator::engine::EngineKind as Engine;
use retrojit_translator::engine::mos6502::JitConfig;
use retrojit_translator::engine::{Engine6502Any, EngineZ80Any};

/// Parses `--engine` values.
pub fn parse_engine(text: &str) -> Result<Engine, String> {
    text.parse()
}

/// Builds `engine` for `variant` with the default translator settings.
pub fn build_6502(engine: Engine, variant: Variant) -> Result<Engine6502Any, String> {
    Engine6502Any::new(engine, variant, JitConfig::default()).map_err(|e| e.to_string())
}

/// Builds the Z80 engine `engine` with the default translator settings.
pub fn build_z80(engine: Engine) -> Result<EngineZ80Any, String> {
    EngineZ80Any::new(engine, JitConfig::default()).map_err(|e| e.to_string())
}

/// Adds the translator's counters and any lockstep report to `result`.
pub fn record_engine(result: &mut SuiteResult, engine: &Engine6502Any) {
    if let Some(stats) = engine.stats() {
        result.note(stats.to_string());
    }
    if let Some(report) = engine.divergence() {
        result.note(report.to_owned());
    }
}
