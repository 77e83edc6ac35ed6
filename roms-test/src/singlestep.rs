//! What the SingleStepTests runners (6502 and Z80) share: reading a test
//! file and describing a failed case.

use anyhow::Context;
use flate2::read::GzDecoder;
use serde::de::DeserializeOwned;
use std::fmt;
use std::io::Read;
use std::path::Path;

/// One failed case: its name and the first field that differed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SstFailure {
    /// The case's `name` (its instruction bytes).
    pub case: String,
    /// E.g. `a: expected 0x12, got 0x13`.
    pub detail: String,
}

impl fmt::Display for SstFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.case, self.detail)
    }
}

/// Reads a `.json` or `.json.gz` test file into `T`.
pub fn load_cases<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let json = if path.extension().is_some_and(|e| e == "gz") {
        let mut json = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut json)
            .with_context(|| format!("decompressing {}", path.display()))?;
        json
    } else {
        raw
    };
    serde_json::from_slice(&json).with_context(|| format!("parsing {}", path.display()))
}
