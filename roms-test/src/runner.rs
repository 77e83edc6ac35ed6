//! Runs manifest suites: resolves their files against the ROM directory,
//! dispatches to the suite kinds, and turns missing files into skips (or
//! failures when ROMs are required).

use crate::engine::Engine;
use crate::manifest::{Suite, TestSpec};
use crate::report::SuiteResult;
use crate::{bare, nestest, progress, sst6502, sst6502_jit};
use retrojit_core::cpu::mos6502::Variant;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Settings shared by every suite of a run.
#[derive(Clone, Debug)]
pub struct RunContext {
    /// Where ROM-relative paths are resolved.
    pub roms_dir: PathBuf,
    /// Missing files fail instead of skipping.
    pub require_roms: bool,
}

impl RunContext {
    fn missing(&self, suite: &str, engine: Engine, path: &Path) -> SuiteResult {
        SuiteResult::missing(
            suite,
            engine.name(),
            format!("{} not found", path.display()),
            self.require_roms,
        )
    }
}

/// Runs one manifest suite under one engine.
pub fn run_suite(ctx: &RunContext, suite: &Suite, engine: Engine) -> SuiteResult {
    let name = suite.name.as_str();
    let resolve = |rel: &str| ctx.roms_dir.join(rel);
    match &suite.test {
        TestSpec::Bare6502 {
            file,
            cpu,
            load,
            start,
            pass,
            max_cycles,
        } => {
            let file = resolve(file);
            if !file.exists() {
                return ctx.missing(name, engine, &file);
            }
            let spinner = progress::spinner(name);
            let result = bare::run(
                name,
                engine,
                &bare::BareProgram {
                    file: &file,
                    variant: (*cpu).into(),
                    load: *load,
                    start: *start,
                    pass,
                    max_cycles: *max_cycles,
                },
            );
            spinner.finish_and_clear();
            result
        }
        TestSpec::Nestest { rom, log } => {
            let (rom, log) = (resolve(rom), resolve(log));
            for path in [&rom, &log] {
                if !path.exists() {
                    return ctx.missing(name, engine, path);
                }
            }
            nestest::run(name, engine, &rom, &log).unwrap_or_else(|e| {
                let mut r = SuiteResult::new(name, engine.name());
                r.cases = 1;
                r.failed = 1;
                r.note(format!("{e:#}"));
                r
            })
        }
        TestSpec::Sst6502 { path, cpu } => {
            let path = resolve(path);
            if !path.exists() {
                return ctx.missing(name, engine, &path);
            }
            run_sst6502(name, engine, &[path], (*cpu).into())
        }
    }
}

/// SingleStepTests files below `paths` (files or folders), sorted.
pub fn sst_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            for entry in std::fs::read_dir(path)? {
                let file = entry?.path();
                let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.ends_with(".json") || name.ends_with(".json.gz") {
                    files.push(file);
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    Ok(files)
}

/// Runs SingleStepTests 6502 files as one suite.
pub fn run_sst6502(name: &str, engine: Engine, paths: &[PathBuf], variant: Variant) -> SuiteResult {
    let mut result = SuiteResult::new(name, engine.name());
    let files = match sst_files(paths) {
        Ok(files) => files,
        Err(e) => {
            result.cases = 1;
            result.failed = 1;
            result.note(format!("listing test files: {e}"));
            return result;
        }
    };
    let bar = progress::bar(files.len() as u64, name);
    let started = Instant::now();
    for file in &files {
        bar.set_message(file_name(file));
        let report = match engine {
            Engine::Interp => sst6502::run_file(file, variant),
            Engine::Jit | Engine::Lockstep => sst6502_jit::run_file(file, variant, engine),
        };
        match report {
            Ok(report) => {
                result.cases += report.cases;
                result.passed += report.passed;
                result.failed += report.failed;
                result.skipped += report.skipped;
                result.guest_instructions += report.cases - report.skipped;
                result.guest_cycles += report.cycles;
                if let (Some(reason), true) = (report.skip_reason, report.skipped > 0) {
                    result.note(format!(
                        "{}: {} skipped: {reason}",
                        file_name(file),
                        report.skipped
                    ));
                }
                for failure in report.failures {
                    result.note(format!(
                        "{}: {}: {}",
                        file_name(file),
                        failure.case,
                        failure.detail
                    ));
                }
            }
            Err(e) => {
                result.cases += 1;
                result.failed += 1;
                result.note(format!("{}: {e:#}", file.display()));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    result.seconds = started.elapsed().as_secs_f64();
    result
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
