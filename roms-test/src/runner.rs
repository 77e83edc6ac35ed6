//! Runs manifest suites: resolves their files against the ROM directory,
//! dispatches to the suite kinds, and turns missing files into skips (or
//! failures when ROMs are required).

use crate::engine::Engine;
use crate::manifest::{Suite, TestSpec, Z80_INTERP_ONLY};
use crate::report::SuiteResult;
use crate::z80suites::{cpm, fuse, sst as sst_z80};
use crate::{bare, blargg, frames, nestest, progress, sst6502, sst6502_jit, zx};
use indicatif::ProgressBar;
use retrojit_core::cpu::mos6502::Variant;
use std::io::Write;
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

/// A suite that could not run: one failed case with the error chain as its note.
fn errored(name: &str, engine: Engine, error: &anyhow::Error) -> SuiteResult {
    let mut r = SuiteResult::new(name, engine.name());
    r.cases = 1;
    r.failed = 1;
    r.note(format!("{error:#}"));
    r
}

/// Runs one manifest suite under one engine. A kind that cannot run under
/// `engine` (a Z80 suite under the JIT) is reported as skipped.
pub fn run_suite(ctx: &RunContext, suite: &Suite, engine: Engine) -> SuiteResult {
    let name = suite.name.as_str();
    if !suite.test.runs_under(engine) {
        let mut skipped = SuiteResult::new(name, engine.name());
        skipped.cases = 1;
        skipped.skipped = 1;
        skipped.note(Z80_INTERP_ONLY);
        return skipped;
    }
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
            nestest::run(name, engine, &rom, &log).unwrap_or_else(|e| errored(name, engine, &e))
        }
        TestSpec::Sst6502 { path, cpu } => {
            let path = resolve(path);
            if !path.exists() {
                return ctx.missing(name, engine, &path);
            }
            run_sst6502(name, engine, &[path], (*cpu).into())
        }
        TestSpec::Cpm {
            file,
            pass,
            max_instructions,
        } => {
            let file = resolve(file);
            if !file.exists() {
                return ctx.missing(name, engine, &file);
            }
            let spinner = progress::spinner(name);
            let check = CpmCheck {
                rule: Some(*pass),
                forbidden: None,
            };
            let result = run_cpm(
                name,
                engine,
                &file,
                &check,
                *max_instructions,
                &mut CurrentLine::new(&spinner),
            )
            .unwrap_or_else(|e| errored(name, engine, &e));
            spinner.finish_and_clear();
            result
        }
        TestSpec::Fuse {
            tests_in,
            tests_expected,
        } => {
            let (tests_in, tests_expected) = (resolve(tests_in), resolve(tests_expected));
            for path in [&tests_in, &tests_expected] {
                if !path.exists() {
                    return ctx.missing(name, engine, path);
                }
            }
            let spinner = progress::spinner(name);
            let result = run_fuse(name, engine, &tests_in, &tests_expected)
                .unwrap_or_else(|e| errored(name, engine, &e));
            spinner.finish_and_clear();
            result
        }
        TestSpec::SstZ80 { path } => {
            let path = resolve(path);
            if !path.exists() {
                return ctx.missing(name, engine, &path);
            }
            run_sst_z80(name, engine, &[path])
        }
        TestSpec::Frames {
            rom,
            frames: count,
            input,
            frame_hash,
        } => {
            let rom = resolve(rom);
            if !rom.exists() {
                return ctx.missing(name, engine, &rom);
            }
            let spinner = progress::spinner(name);
            let result = frames::run(
                name,
                engine,
                &frames::GoldenFrame {
                    rom: &rom,
                    frames: *count,
                    input,
                    // Checked when the manifest was loaded.
                    frame_hash: u64::from_str_radix(frame_hash, 16).unwrap_or_default(),
                },
                &ctx.roms_dir,
            );
            spinner.finish_and_clear();
            result
        }
        TestSpec::ZxTape {
            tape,
            frames,
            expect,
        } => {
            let tape = resolve(tape);
            if !tape.exists() {
                return ctx.missing(name, engine, &tape);
            }
            let spinner = progress::spinner(name);
            let result = zx::run(name, &tape, *frames, Some(expect), &ctx.roms_dir, |_| {});
            spinner.finish_and_clear();
            result
        }
        TestSpec::Blargg { paths, max_frames } => {
            let paths: Vec<PathBuf> = paths.iter().map(|p| resolve(p)).collect();
            if let Some(missing) = paths.iter().find(|p| !p.exists()) {
                return ctx.missing(name, engine, missing);
            }
            let spinner = progress::spinner(name);
            let result = blargg::run(name, engine, &paths, *max_frames, |rom, _| {
                if let Some(file) = rom.file_name() {
                    spinner.set_message(format!("{name}: {}", file.to_string_lossy()));
                }
            });
            spinner.finish_and_clear();
            result
        }
    }
}

/// How a CP/M program's console output is judged.
#[derive(Clone, Debug, Default)]
pub struct CpmCheck {
    /// The program's own rule (zexdoc/zexall, prelim), if it has one.
    pub rule: Option<cpm::PassRule>,
    /// Text whose appearance in the output is a failure (`--expect-no`).
    pub forbidden: Option<String>,
}

/// Runs a CP/M .COM program as a one-case suite under `engine`, streaming
/// its console output to `echo`. With neither a rule nor a forbidden text,
/// reaching warm boot is the pass. Errors (unreadable, empty or oversized
/// file, unsupported BDOS call, a lockstep divergence) name the file.
pub fn run_cpm(
    name: &str,
    engine: Engine,
    file: &Path,
    check: &CpmCheck,
    max_instructions: u64,
    echo: &mut impl Write,
) -> anyhow::Result<SuiteResult> {
    let mut z80 = crate::engine::build_z80(engine).map_err(anyhow::Error::msg)?;
    let run = cpm::run_program_with(file, &mut z80, max_instructions, echo)?;
    let mut result = SuiteResult::new(name, engine.name());
    if let Some(stats) = z80.stats() {
        result.note(stats.to_string());
    }
    result.cases = 1;
    result.guest_instructions = run.stats.instructions;
    result.guest_cycles = run.stats.tstates;
    result.seconds = run.elapsed.as_secs_f64();
    let verdict = if run.warm_boot {
        check_output(check, &run.output)
    } else {
        let last = run.output.lines().rev().find(|l| !l.trim().is_empty());
        Err(match last {
            Some(line) => format!(
                "no warm boot within {max_instructions} instructions; last output: {}",
                line.trim()
            ),
            None => format!("no warm boot within {max_instructions} instructions, and no output"),
        })
    };
    match verdict {
        Ok(()) => {
            result.passed = 1;
            if check.rule.is_none() && check.forbidden.is_none() {
                result.note(format!(
                    "{}: no pass rule for this file name and no --expect-no: passed by reaching warm boot",
                    file_name(file)
                ));
            }
        }
        Err(why) => {
            result.failed = 1;
            result.note(why);
        }
    }
    Ok(result)
}

fn check_output(check: &CpmCheck, output: &str) -> Result<(), String> {
    if let Some(rule) = check.rule {
        rule.check(output)?;
    }
    if let Some(text) = &check.forbidden
        && let Some(line) = output.lines().find(|l| l.contains(text.as_str()))
    {
        return Err(format!("output contains {text:?}: {}", line.trim()));
    }
    Ok(())
}

/// Console output of a manifest CP/M run, shown only as the spinner's
/// message: the line being printed, which for zexdoc/zexall names the test
/// group in progress.
struct CurrentLine<'a> {
    spinner: &'a ProgressBar,
    line: Vec<u8>,
    /// The last byte ended a line: the next text starts a new one.
    line_done: bool,
}

impl<'a> CurrentLine<'a> {
    fn new(spinner: &'a ProgressBar) -> Self {
        Self {
            spinner,
            line: Vec::new(),
            line_done: false,
        }
    }
}

impl Write for CurrentLine<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &byte in buf {
            match byte {
                b'\n' => self.line_done = true,
                b'\r' => {}
                _ => {
                    if self.line_done {
                        self.line.clear();
                        self.line_done = false;
                    }
                    self.line.push(byte);
                }
            }
        }
        self.spinner
            .set_message(String::from_utf8_lossy(&self.line).trim().to_owned());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs FUSE's Z80 unit tests as one suite. Cases whose expected data
/// predates the 2018 block-instruction findings are counted as skipped, with
/// the reason and each case's strict difference in the notes.
pub fn run_fuse(
    name: &str,
    engine: Engine,
    tests_in: &Path,
    tests_expected: &Path,
) -> anyhow::Result<SuiteResult> {
    let started = Instant::now();
    let report = fuse::run(tests_in, tests_expected, engine)?;
    let mut result = SuiteResult::new(name, engine.name());
    if engine != Engine::Interp {
        result.note(format!(
            "{} of {} instructions ran as one-instruction blocks of generated code (their cases are judged without the event log)",
            report.translated, report.instructions
        ));
    }
    result.seconds = started.elapsed().as_secs_f64();
    result.cases = report.cases as u64;
    result.passed = report.passed as u64;
    result.failed = report.failures.len() as u64;
    result.skipped = report.superseded.len() as u64;
    result.guest_instructions = report.instructions;
    result.guest_cycles = report.tstates;
    for failure in &report.failures {
        result.note(failure.to_string());
    }
    if !report.superseded.is_empty() {
        result.note(format!(
            "{} skipped: repeating block instructions whose expected X/Y (and for INxR/OTxR H, P/V \
             and MEMPTR) predate the 2018 findings; SingleStepTests checks those bits",
            report.superseded.len()
        ));
        for case in &report.superseded {
            result.note(format!("superseded {case}"));
        }
    }
    Ok(result)
}

/// Runs SingleStepTests Z80 files (one instruction per case) as one suite.
pub fn run_sst_z80(name: &str, engine: Engine, paths: &[PathBuf]) -> SuiteResult {
    let mut translated = 0;
    let mut result = run_test_files(name, engine, paths, |file, result| {
        let report = sst_z80::run_file(file, engine)?;
        translated += report.translated as u64;
        let (cases, passed) = (report.cases as u64, report.passed as u64);
        result.cases += cases;
        result.passed += passed;
        result.failed += cases - passed;
        result.guest_instructions += cases;
        result.guest_cycles += report.tstates;
        for failure in report.failures {
            result.note(format!("{}: {failure}", file_name(file)));
        }
        Ok(())
    });
    if engine != Engine::Interp {
        result.note(format!(
            "{translated} of {} cases ran as one-instruction blocks of generated code",
            result.cases
        ));
    }
    result
}

/// Runs every test file below `paths` through `run_file`, which adds its
/// cases to the suite's result; a file that cannot be run counts as one
/// failed case. Shows progress per file on a terminal.
fn run_test_files(
    name: &str,
    engine: Engine,
    paths: &[PathBuf],
    mut run_file: impl FnMut(&Path, &mut SuiteResult) -> anyhow::Result<()>,
) -> SuiteResult {
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
        if let Err(e) = run_file(file, &mut result) {
            result.cases += 1;
            result.failed += 1;
            result.note(format!("{}: {e:#}", file.display()));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    result.seconds = started.elapsed().as_secs_f64();
    result
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
    run_test_files(name, engine, paths, |file, result| {
        let report = match engine {
            Engine::Interp => sst6502::run_file(file, variant),
            Engine::Jit | Engine::Lockstep => sst6502_jit::run_file(file, variant, engine),
        }?;
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
        Ok(())
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    #[test]
    fn z80_suites_are_skipped_under_the_jit() {
        let manifest = Manifest::parse(
            r#"(suites: [(name: "tape", engines: [interp], test: ZxTape(tape: "t.tap", frames: 1, expect: "x"))])"#,
            "m.ron",
        )
        .unwrap();
        let ctx = RunContext {
            roms_dir: PathBuf::from("/nonexistent"),
            require_roms: true,
        };
        let result = run_suite(&ctx, &manifest.suites[0], Engine::Jit);
        assert_eq!((result.cases, result.skipped, result.failed), (1, 1, 0));
        assert_eq!(result.engine, "jit");
        assert_eq!(result.messages, [Z80_INTERP_ONLY]);
    }

    #[test]
    fn cpm_output_checks() {
        let zex = CpmCheck {
            rule: Some(cpm::PassRule::Zex),
            forbidden: None,
        };
        assert!(check_output(&zex, "a....  OK\nTests complete\n").is_ok());
        assert!(check_output(&zex, "a....  OK\n").is_err());
        let forbid = CpmCheck {
            rule: None,
            forbidden: Some("FAIL".into()),
        };
        assert!(check_output(&forbid, "all good\n").is_ok());
        assert_eq!(
            check_output(&forbid, "x\n  test 3 FAIL \n"),
            Err("output contains \"FAIL\": test 3 FAIL".to_owned())
        );
    }

    #[test]
    fn spinner_line_follows_the_output() {
        let spinner = ProgressBar::hidden();
        let mut line = CurrentLine::new(&spinner);
        line.write_all(b"Z80 instruction exerciser\r\n<adc,sbc> hl....")
            .unwrap();
        assert_eq!(spinner.message(), "<adc,sbc> hl....");
        line.write_all(b"  OK\r\n").unwrap();
        assert_eq!(spinner.message(), "<adc,sbc> hl....  OK");
        line.write_all(b"next").unwrap();
        assert_eq!(spinner.message(), "next");
    }
}
