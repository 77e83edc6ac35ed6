//! blargg's NES test ROMs through their `$6000` protocol: the ROM writes a
//! signature at $6001-$6003, a status at $6000 and its text from $6004;
//! status $80 means running, $81 asks for the reset button, below $80 is
//! the final result ($00 = passed).

use crate::engine::{Engine, build_6502, record_engine};
use crate::report::SuiteResult;
use anyhow::Context;
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::machine::Machine;
use retrojit_core::machine::nes::Nes;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `$6001-$6003` once the status is valid.
const SIGNATURE: [u8; 3] = [0xDE, 0xB0, 0x61];
/// Status: still running.
const RUNNING: u8 = 0x80;
/// Status: press reset (after at least 100 ms).
const NEEDS_RESET: u8 = 0x81;
/// Frames to hold before pressing reset: 100 ms is six NTSC frames; a few
/// more for margin, as the protocol asks for "at least".
const RESET_DELAY_FRAMES: u64 = 10;
/// Sample rate the APU runs at here (the sound is not listened to).
const SAMPLE_RATE: u32 = 44_100;

/// How one ROM ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Final status ($00 = passed), or None if it never finished.
    pub status: Option<u8>,
    /// The text the ROM printed.
    pub text: String,
    /// Frames run.
    pub frames: u64,
    /// Guest instructions executed.
    pub instructions: u64,
    /// CPU cycles executed.
    pub cycles: u64,
}

/// What the ROM has reported so far, read from $6000-$7FFF.
fn report(prg_ram: &[u8]) -> Option<(u8, String)> {
    if prg_ram.get(1..4)? != SIGNATURE {
        return None;
    }
    let text = prg_ram.get(4..).unwrap_or_default();
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    Some((
        prg_ram[0],
        String::from_utf8_lossy(&text[..end]).into_owned(),
    ))
}

/// Runs the ROM at `path` under `engine` for at most `max_frames` frames;
/// `progress` sees the text whenever it grows.
pub fn run_rom(
    path: &Path,
    engine: Engine,
    max_frames: u64,
    mut progress: impl FnMut(&str),
    result: &mut SuiteResult,
) -> anyhow::Result<Outcome> {
    let image = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let runner = build_6502(engine, Variant::Ricoh2A03).map_err(anyhow::Error::msg)?;
    let mut nes =
        Nes::new(&image, runner, SAMPLE_RATE).with_context(|| format!("{}", path.display()))?;
    let mut shown = 0;
    let mut reset_requested_at = None;
    let mut outcome = Outcome {
        status: None,
        text: String::new(),
        frames: 0,
        instructions: 0,
        cycles: 0,
    };
    let mut samples = Vec::new();
    while outcome.frames < max_frames {
        let frame = nes
            .run_frame()
            .with_context(|| format!("{} after {} frames", path.display(), outcome.frames))?;
        outcome.frames += 1;
        outcome.instructions += frame.instructions;
        outcome.cycles += frame.cycles;
        samples.clear();
        nes.take_audio(&mut samples);
        let Some((status, text)) = report(nes.bus().prg_ram()) else {
            continue;
        };
        if text.len() > shown {
            progress(&text[shown..]);
            shown = text.len();
        }
        outcome.text = text;
        match status {
            RUNNING => {}
            NEEDS_RESET => {
                let at = *reset_requested_at.get_or_insert(outcome.frames);
                if outcome.frames - at >= RESET_DELAY_FRAMES {
                    nes.reset();
                    reset_requested_at = None;
                }
            }
            done if done < RUNNING => {
                outcome.status = Some(done);
                break;
            }
            // Other values: not written by the protocol; keep running
            // until a final status or the frame limit.
            _ => {}
        }
    }
    record_engine(result, nes.engine());
    Ok(outcome)
}

/// The .nes files at `path`: the file itself, or a folder's, sorted.
pub fn roms_at(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("{}", path.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("nes")))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("{}: no .nes files", path.display());
    }
    Ok(files)
}

/// Runs every ROM of `paths` as one suite; each ROM is a case.
pub fn run(
    name: &str,
    engine: Engine,
    paths: &[PathBuf],
    max_frames: u64,
    mut progress: impl FnMut(&Path, &str),
) -> SuiteResult {
    let mut result = SuiteResult::new(name, engine.name());
    let started = Instant::now();
    for path in paths {
        let roms = match roms_at(path) {
            Ok(roms) => roms,
            Err(e) => {
                result.cases += 1;
                result.failed += 1;
                result.note(format!("{e:#}"));
                continue;
            }
        };
        for rom in roms {
            result.cases += 1;
            let file = rom.file_name().map_or_else(
                || rom.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let mut engine_notes = SuiteResult::default();
            match run_rom(
                &rom,
                engine,
                max_frames,
                |t| progress(&rom, t),
                &mut engine_notes,
            ) {
                Ok(outcome) => {
                    result.guest_instructions += outcome.instructions;
                    result.guest_cycles += outcome.cycles;
                    let summary = outcome.text.trim().replace('\n', " / ");
                    match outcome.status {
                        Some(0) => result.passed += 1,
                        Some(code) => {
                            result.failed += 1;
                            result.note(format!("{file}: failed with status {code}: {summary}"));
                        }
                        None => {
                            result.failed += 1;
                            result.note(format!(
                                "{file}: no result within {max_frames} frames; text so far: {summary}"
                            ));
                        }
                    }
                }
                Err(e) => {
                    result.failed += 1;
                    result.note(format!("{e:#}"));
                }
            }
            if result.failed > 0 {
                for message in engine_notes.messages {
                    result.note(format!("{file}: {message}"));
                }
            }
        }
    }
    result.seconds = started.elapsed().as_secs_f64();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_needs_the_signature() {
        let mut ram = vec![0u8; 0x2000];
        ram[0] = 0x80;
        assert_eq!(report(&ram), None);
        ram[1..4].copy_from_slice(&SIGNATURE);
        ram[4..10].copy_from_slice(b"Passed");
        ram[0] = 0;
        assert_eq!(report(&ram), Some((0, "Passed".to_owned())));
    }
}
