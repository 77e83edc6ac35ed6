//! Golden frames: a program runs a fixed number of frames with scripted
//! input, and the hash of its last picture must equal the recorded one,
//! under every engine.

use crate::engine::{Engine, build_6502, record_engine};
use crate::report::SuiteResult;
use anyhow::Context;
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::machine::Machine;
use retrojit_core::machine::input_script::InputScript;
use retrojit_core::machine::nes::Nes;
use retrojit_core::machine::state::fnv1a64;
use std::path::Path;
use std::time::Instant;

/// Sample rate the APU runs at (the sound is not judged here).
const SAMPLE_RATE: u32 = 44_100;

/// What to run and what the last frame must hash to.
#[derive(Clone, Debug)]
pub struct GoldenFrame<'a> {
    /// The cartridge image.
    pub rom: &'a Path,
    /// Frames to run.
    pub frames: u64,
    /// Input script text (see `retrojit_core::machine::input_script`).
    pub input: &'a str,
    /// Expected FNV-1a-64 of the last frame's RGBA pixels.
    pub frame_hash: u64,
}

/// Runs `golden` as a one-case suite under `engine`.
pub fn run(name: &str, engine: Engine, golden: &GoldenFrame<'_>) -> SuiteResult {
    let mut result = SuiteResult::new(name, engine.name());
    result.cases = 1;
    let started = Instant::now();
    match last_frame_hash(engine, golden, &mut result) {
        Ok(hash) if hash == golden.frame_hash => result.passed = 1,
        Ok(hash) => {
            result.failed = 1;
            result.note(format!(
                "frame {} hashes to {hash:016x}, expected {:016x}",
                golden.frames, golden.frame_hash
            ));
        }
        Err(e) => {
            result.failed = 1;
            result.note(format!("{e:#}"));
        }
    }
    result.seconds = started.elapsed().as_secs_f64();
    result
}

fn last_frame_hash(
    engine: Engine,
    golden: &GoldenFrame<'_>,
    result: &mut SuiteResult,
) -> anyhow::Result<u64> {
    let script = InputScript::parse(golden.input).context("input script")?;
    let image = std::fs::read(golden.rom).with_context(|| format!("{}", golden.rom.display()))?;
    let runner = build_6502(engine, Variant::Ricoh2A03).map_err(anyhow::Error::msg)?;
    let mut nes = Nes::new(&image, runner, SAMPLE_RATE)
        .with_context(|| format!("{}", golden.rom.display()))?;
    let mut audio = Vec::new();
    for frame in 0..golden.frames {
        nes.set_input(&script.input_at(frame));
        let report = nes
            .run_frame()
            .with_context(|| format!("{} frame {frame}", golden.rom.display()))?;
        result.guest_cycles += report.cycles;
        result.guest_instructions += report.instructions;
        audio.clear();
        nes.take_audio(&mut audio);
    }
    record_engine(result, nes.engine());
    Ok(fnv1a64(nes.framebuffer()))
}
