//! The conformance manifest (`roms-test/manifest.ron`): which suites exist,
//! where their files are (relative to the ROM directory), how to run them
//! and what counts as a pass.

use crate::engine::Engine;
use crate::z80suites::cpm::PassRule as CpmPassRule;
use retrojit_core::cpu::mos6502::Variant;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;

/// The manifest file shipped with the crate.
pub const DEFAULT_MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/manifest.ron");

/// The whole manifest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Suites in the order they run.
    pub suites: Vec<Suite>,
}

/// One named suite.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// Unique name, matched by `--filter`.
    pub name: String,
    /// Engines the suite runs under.
    pub engines: Vec<Engine>,
    /// What to run and how to judge it.
    pub test: TestSpec,
}

/// 6502 flavours as the manifest spells them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Deserialize)]
pub enum Cpu6502 {
    /// NMOS 6502 with decimal mode.
    Nmos,
    /// NES 2A03: no decimal mode.
    Ricoh2A03,
}

impl From<Cpu6502> for Variant {
    fn from(cpu: Cpu6502) -> Self {
        match cpu {
            Cpu6502::Nmos => Variant::Nmos,
            Cpu6502::Ricoh2A03 => Variant::Ricoh2A03,
        }
    }
}

/// The kinds of test the runner knows.
#[derive(Clone, Debug, Deserialize)]
pub enum TestSpec {
    /// A binary image on the bare 6502 machine.
    Bare6502 {
        /// Image file.
        file: String,
        /// CPU flavour.
        cpu: Cpu6502,
        /// Load address.
        load: u16,
        /// Entry point.
        start: u16,
        /// Pass condition.
        pass: PassRule,
        /// Give up (fail) after this many cycles.
        max_cycles: u64,
    },
    /// nestest in automation mode, traced against its reference log.
    Nestest {
        /// The iNES image.
        rom: String,
        /// The reference log.
        log: String,
    },
    /// A folder (or file) of SingleStepTests 6502 JSON(.gz) files.
    Sst6502 {
        /// Folder or file.
        path: String,
        /// CPU flavour.
        cpu: Cpu6502,
    },
    /// A CP/M .COM program on the Z80 `cpm` machine, judged by its output.
    Cpm {
        /// The .COM file.
        file: String,
        /// `Zex` (every group OK, then "Tests complete") or `Prelim`.
        pass: CpmPassRule,
        /// Give up (fail) after this many instructions without a warm boot.
        max_instructions: u64,
    },
    /// FUSE's Z80 unit tests.
    Fuse {
        /// `tests.in`: the cases.
        tests_in: String,
        /// `tests.expected`: their results.
        tests_expected: String,
    },
    /// A folder (or file) of SingleStepTests Z80 JSON(.gz) files.
    SstZ80 {
        /// Folder or file.
        path: String,
    },
    /// An NES program run for `frames` frames with scripted input; the
    /// last frame must hash to `frame_hash` (FNV-1a-64 of its RGBA pixels,
    /// 16 hex digits).
    Frames {
        /// The cartridge image.
        rom: String,
        /// Frames to run.
        frames: u64,
        /// Input script: `FRAME PAD BUTTONS` lines.
        input: String,
        /// The golden hash.
        frame_hash: String,
    },
    /// A ZX Spectrum tape loaded with `LOAD ""` on the 48K ROM and run for
    /// `frames` frames: the text printed through RST $10 must contain
    /// `expect`, and every block must have loaded.
    ZxTape {
        /// The .tap or .tzx file.
        tape: String,
        /// Frames to run.
        frames: u64,
        /// Text the run must print.
        expect: String,
    },
    /// blargg NES test ROMs judged through the `$6000` protocol; each ROM
    /// is a case.
    Blargg {
        /// .nes files or folders of them.
        paths: Vec<String>,
        /// Give up (fail) on a ROM after this many frames.
        max_frames: u64,
    },
}

/// Why a suite cannot run under the JIT or lockstep engines.
pub const Z80_INTERP_ONLY: &str = "the ZX Spectrum tape-loading suites run only under interp";

impl TestSpec {
    /// Whether this kind of test can run under `engine`: the tape-loading
    /// suites run only under the interpreter.
    pub fn runs_under(&self, engine: Engine) -> bool {
        match self {
            Self::Bare6502 { .. }
            | Self::Nestest { .. }
            | Self::Sst6502 { .. }
            | Self::Blargg { .. } => true,
            Self::Frames { .. } => true,
            Self::Cpm { .. } | Self::SstZ80 { .. } | Self::Fuse { .. } => true,
            Self::ZxTape { .. } => engine == Engine::Interp,
        }
    }
}

/// When a bare-machine program has passed.
#[derive(Clone, Debug, Deserialize)]
pub enum PassRule {
    /// The program ends in a trap (jump/branch to self) at this address;
    /// a trap anywhere else is a failure.
    TrapAt(u16),
    /// The program reaches `pc` and memory then holds `expect`.
    StopAt {
        /// Stop address (not executed).
        pc: u16,
        /// `(address, value)` pairs that must hold there.
        expect: Vec<(u16, u8)>,
    },
}

/// A manifest that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// RON syntax or schema error (the message carries line and column).
    #[error("{path}:{error}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's complaint with its position.
        error: Box<ron::error::SpannedError>,
    },
    /// Semantically invalid content.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Manifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io {
            path: name.clone(),
            source,
        })?;
        Self::parse(&text, &name)
    }

    /// Parses and validates manifest text; `name` is used in errors.
    pub fn parse(text: &str, name: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest = ron::from_str(text).map_err(|error| ManifestError::Parse {
            path: name.to_owned(),
            error: Box::new(error),
        })?;
        let invalid = |message: String| ManifestError::Invalid {
            path: name.to_owned(),
            message,
        };
        let mut seen = HashSet::new();
        for suite in &manifest.suites {
            if !seen.insert(suite.name.as_str()) {
                return Err(invalid(format!("suite `{}` is listed twice", suite.name)));
            }
            if suite.engines.is_empty() {
                return Err(invalid(format!("suite `{}` lists no engine", suite.name)));
            }
            if let TestSpec::Frames { frame_hash, .. } = &suite.test
                && u64::from_str_radix(frame_hash, 16).is_err()
            {
                return Err(invalid(format!(
                    "suite `{}`: frame_hash `{frame_hash}` is not a hexadecimal number",
                    suite.name
                )));
            }
            if let Some(engine) = suite.engines.iter().find(|&&e| !suite.test.runs_under(e)) {
                return Err(invalid(format!(
                    "suite `{}` lists {engine}, but {Z80_INTERP_ONLY}",
                    suite.name
                )));
            }
        }
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_manifest_is_valid() {
        let m = Manifest::load(Path::new(DEFAULT_MANIFEST)).unwrap();
        assert!(m.suites.iter().any(|s| s.name == "klaus-functional"));
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = Manifest::parse(
            "(suites: [\n  (name: \"x\",\n  engines: [interp],\n  test: Nope()\n)])",
            "m.ron",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("m.ron:4:"), "{err}");
    }

    #[test]
    fn duplicate_names_are_refused() {
        let suite = r#"(name: "a", engines: [interp], test: Sst6502(path: "x", cpu: Nmos))"#;
        let err = Manifest::parse(&format!("(suites: [{suite}, {suite}])"), "m.ron")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "m.ron: suite `a` is listed twice");
    }

    #[test]
    fn z80_kinds_parse() {
        let m = Manifest::parse(
            r#"(suites: [
                (name: "zex", engines: [interp],
                 test: Cpm(file: "z.com", pass: Zex, max_instructions: 10)),
                (name: "fuse", engines: [interp],
                 test: Fuse(tests_in: "a", tests_expected: "b")),
                (name: "sst", engines: [interp], test: SstZ80(path: "p")),
            ])"#,
            "m.ron",
        )
        .unwrap();
        assert!(matches!(
            m.suites[0].test,
            TestSpec::Cpm {
                pass: CpmPassRule::Zex,
                max_instructions: 10,
                ..
            }
        ));
        assert!(m.suites[1].test.runs_under(Engine::Jit));
        assert!(m.suites[2].test.runs_under(Engine::Jit));
    }

    #[test]
    fn z80_suites_under_the_jit_are_refused() {
        let err = Manifest::parse(
            r#"(suites: [(name: "f", engines: [interp, jit], test: ZxTape(tape: "t.tap", frames: 1, expect: "x"))])"#,
            "m.ron",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            format!("m.ron: suite `f` lists jit, but {Z80_INTERP_ONLY}")
        );
    }
}
