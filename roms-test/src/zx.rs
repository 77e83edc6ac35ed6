//! ZX Spectrum tapes headless: the 48K ROM boots, `LOAD ""` is typed, the
//! tape loads (the ROM's loader trapped), and the text the machine prints
//! through RST $10 is the result, judged by an expected message.

use crate::engine::Engine;
use crate::report::SuiteResult;
use anyhow::Context;
use retrojit_core::machine::Machine;
use retrojit_core::machine::zx48::launch::{ROM_PATH, launch};
use std::path::Path;
use std::time::Instant;

/// Sample rate the beeper runs at (the sound is not judged).
const SAMPLE_RATE: u32 = 44_100;

/// What a run printed, and how long it ran.
#[derive(Clone, Debug)]
pub struct TapeRun {
    /// Everything printed through RST $10, as text (the ROM's `©` is
    /// `\x7F`, shown as `(c)`).
    pub printed: String,
    /// Tape blocks not loaded.
    pub blocks_left: usize,
    /// Instructions executed.
    pub instructions: u64,
    /// T-states run.
    pub tstates: u64,
}

/// Runs the tape at `path` for `frames` frames; `echo` sees the printed
/// text as it appears.
pub fn run_tape(
    path: &Path,
    frames: u64,
    roms_dir: &Path,
    mut echo: impl FnMut(&str),
) -> anyhow::Result<TapeRun> {
    let rom_path = roms_dir.join(ROM_PATH);
    let rom = std::fs::read(&rom_path).with_context(|| format!("{}", rom_path.display()))?;
    let tape = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut zx = launch(&rom, Some((&name, &tape)), false, SAMPLE_RATE)
        .with_context(|| format!("{}", path.display()))?;
    let mut run = TapeRun {
        printed: String::new(),
        blocks_left: 0,
        instructions: 0,
        tstates: 0,
    };
    let mut audio = Vec::new();
    for _ in 0..frames {
        let report = zx.run_frame()?;
        run.tstates += report.cycles;
        run.instructions += report.instructions;
        audio.clear();
        zx.take_audio(&mut audio);
        let printed = zx.machine_mut().take_printed();
        if !printed.is_empty() {
            let text: String = printed
                .iter()
                .map(|&b| match b {
                    0x7F => "(c)".to_owned(),
                    b'\r' => "\n".to_owned(),
                    0x20..=0x7E => char::from(b).to_string(),
                    // Keyword tokens and control codes: not text.
                    _ => String::new(),
                })
                .collect();
            echo(&text);
            run.printed.push_str(&text);
        }
    }
    run.blocks_left = zx.machine().tape_blocks_left();
    Ok(run)
}

/// Runs the tape as a one-case suite: it passes when the printed text
/// contains `expect` and the whole tape was read.
pub fn run(
    name: &str,
    path: &Path,
    frames: u64,
    expect: Option<&str>,
    roms_dir: &Path,
    echo: impl FnMut(&str),
) -> SuiteResult {
    let mut result = SuiteResult::new(name, Engine::Interp.name());
    result.cases = 1;
    let started = Instant::now();
    match run_tape(path, frames, roms_dir, echo) {
        Ok(run) => {
            result.guest_instructions = run.instructions;
            result.guest_cycles = run.tstates;
            let verdict = match expect {
                Some(text) if !run.printed.contains(text) => {
                    Err(format!("`{text}` was not printed within {frames} frames"))
                }
                _ if run.blocks_left > 0 => Err(format!(
                    "{} tape blocks were not loaded within {frames} frames",
                    run.blocks_left
                )),
                _ => Ok(()),
            };
            match verdict {
                Ok(()) => result.passed = 1,
                Err(why) => {
                    result.failed = 1;
                    result.note(format!("{why}; printed: {:?}", run.printed));
                }
            }
        }
        Err(e) => {
            result.failed = 1;
            result.note(format!("{e:#}"));
        }
    }
    result.seconds = started.elapsed().as_secs_f64();
    result
}
