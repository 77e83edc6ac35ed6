//! Results of suite runs: the terminal table and the JSON file.

use serde::Serialize;
use std::io::{self, Write};
use std::path::Path;

/// The outcome of one suite under one engine.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SuiteResult {
    /// Suite name from the manifest (or the ad-hoc command).
    pub name: String,
    /// Engine name.
    pub engine: String,
    /// Test cases in the suite (1 for a whole-program test).
    pub cases: u64,
    /// Cases that passed.
    pub passed: u64,
    /// Cases that failed.
    pub failed: u64,
    /// Cases not run (missing files, known-bad reference data).
    pub skipped: u64,
    /// Guest instructions executed.
    pub guest_instructions: u64,
    /// Guest cycles executed.
    pub guest_cycles: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Why cases failed or were skipped, first ones first.
    #[serde(skip)]
    pub messages: Vec<String>,
}

/// How many failure messages a suite keeps.
pub const MAX_MESSAGES: usize = 20;

impl SuiteResult {
    /// An empty result for `name` under `engine`.
    pub fn new(name: &str, engine: &str) -> Self {
        Self {
            name: name.to_owned(),
            engine: engine.to_owned(),
            ..Self::default()
        }
    }

    /// A suite that could not run at all; a failure when ROMs are required.
    pub fn missing(name: &str, engine: &str, reason: String, required: bool) -> Self {
        let mut r = Self::new(name, engine);
        r.cases = 1;
        if required {
            r.failed = 1;
        } else {
            r.skipped = 1;
        }
        r.messages.push(reason);
        r
    }

    /// Records a message, keeping only the first [`MAX_MESSAGES`].
    pub fn note(&mut self, message: impl Into<String>) {
        if self.messages.len() < MAX_MESSAGES {
            self.messages.push(message.into());
        }
    }

    /// Guest instructions per second, in millions.
    pub fn mips(&self) -> f64 {
        if self.seconds > 0.0 {
            self.guest_instructions as f64 / self.seconds / 1e6
        } else {
            0.0
        }
    }
}

/// Prints the results table, then each suite's messages.
pub fn print_table(out: &mut impl Write, results: &[SuiteResult]) -> io::Result<()> {
    let width = results
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    writeln!(
        out,
        "{:<width$}  {:<8} {:>7} {:>7} {:>7} {:>7} {:>14} {:>8} {:>9}",
        "suite",
        "engine",
        "cases",
        "passed",
        "failed",
        "skipped",
        "guest instr",
        "seconds",
        "guest MIPS"
    )?;
    for r in results {
        writeln!(
            out,
            "{:<width$}  {:<8} {:>7} {:>7} {:>7} {:>7} {:>14} {:>8.2} {:>9.1}",
            r.name,
            r.engine,
            r.cases,
            r.passed,
            r.failed,
            r.skipped,
            r.guest_instructions,
            r.seconds,
            r.mips()
        )?;
    }
    for r in results.iter().filter(|r| !r.messages.is_empty()) {
        writeln!(out, "\n{} ({}):", r.name, r.engine)?;
        for m in &r.messages {
            writeln!(out, "  {m}")?;
        }
    }
    let failed: u64 = results.iter().map(|r| r.failed).sum();
    let passed: u64 = results.iter().map(|r| r.passed).sum();
    let skipped: u64 = results.iter().map(|r| r.skipped).sum();
    writeln!(
        out,
        "\nroms-test: {passed} passed, {failed} failed, {skipped} skipped"
    )
}

#[derive(Serialize)]
struct JsonReport<'a> {
    suites: &'a [SuiteResult],
}

/// Writes the JSON report atomically: a temporary file beside `path`,
/// renamed over it, so a failed run never leaves half a report.
pub fn write_json(path: &Path, results: &[SuiteResult]) -> anyhow::Result<()> {
    use anyhow::Context;
    let text = serde_json::to_string_pretty(&JsonReport { suites: results })?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text + "\n").with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}
