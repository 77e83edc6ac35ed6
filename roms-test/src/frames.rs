//! Golden frames: a program runs a fixed number of frames with scripted
//! input, and the hash of its last picture must equal the recorded one,
//! under every engine. NES cartridges run on the NES; ZX Spectrum
//! snapshots and tapes (loaded with `LOAD ""` typed) and 16 KiB ROM images
//! (booted) on the ZX Spectrum 48K, whose Z80 only the interpreter runs.

use crate::engine::{Engine, build_6502};
use crate::report::SuiteResult;
use anyhow::Context;
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::machine::Machine;
use retrojit_core::machine::input_script::InputScript;
use retrojit_core::machine::nes::Nes;
use retrojit_core::machine::state::fnv1a64;
use retrojit_core::machine::zx48::launch::{ROM_PATH as ZX48_ROM_PATH, launch};
use std::path::Path;
use std::time::Instant;

/// Sample rate the machines make sound at (the sound is not judged here).
const SAMPLE_RATE: u32 = 44_100;

/// Whether `rom` is for the ZX Spectrum (by extension): a snapshot, a tape,
/// or a 16 KiB ROM image to boot.
pub fn is_zx48(rom: &str) -> bool {
    let lower = rom.to_ascii_lowercase();
    [".sna", ".z80", ".tap", ".tzx", ".rom"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// The machine for `path` on `engine`: the NES, or the ZX Spectrum.
fn open(path: &Path, engine: Engine, roms_dir: &Path) -> anyhow::Result<Box<dyn Machine>> {
    let image = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    if !is_zx48(&name) {
        let runner = build_6502(engine, Variant::Ricoh2A03).map_err(anyhow::Error::msg)?;
        let nes =
            Nes::new(&image, runner, SAMPLE_RATE).with_context(|| format!("{}", path.display()))?;
        return Ok(Box::new(nes));
    }
    let mut zx = if name.to_ascii_lowercase().ends_with(".rom") {
        launch(&image, None, false, SAMPLE_RATE)
    } else {
        let rom_path = roms_dir.join(ZX48_ROM_PATH);
        let rom = std::fs::read(&rom_path).with_context(|| format!("{}", rom_path.display()))?;
        launch(&rom, Some((&name, &image)), false, SAMPLE_RATE)
    }
    .with_context(|| format!("{}", path.display()))?;
    if engine != Engine::Interp {
        let runner = crate::engine::build_z80(engine).map_err(anyhow::Error::msg)?;
        zx.machine_mut().set_engine(Box::new(runner));
    }
    Ok(Box::new(zx))
}

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

/// Runs `golden` as a one-case suite under `engine`; a ZX Spectrum's ROM
/// comes from `roms_dir`.
pub fn run(name: &str, engine: Engine, golden: &GoldenFrame<'_>, roms_dir: &Path) -> SuiteResult {
    let mut result = SuiteResult::new(name, engine.name());
    result.cases = 1;
    let started = Instant::now();
    match last_frame_hash(engine, golden, roms_dir, &mut result) {
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
    roms_dir: &Path,
    result: &mut SuiteResult,
) -> anyhow::Result<u64> {
    let script = InputScript::parse(golden.input).context("input script")?;
    let mut machine = open(golden.rom, engine, roms_dir)?;
    let mut audio = Vec::new();
    for frame in 0..golden.frames {
        machine.set_input(&script.input_at(frame));
        let report = machine
            .run_frame()
            .with_context(|| format!("{} frame {frame}", golden.rom.display()))?;
        result.guest_cycles += report.cycles;
        result.guest_instructions += report.instructions;
        audio.clear();
        machine.take_audio(&mut audio);
    }
    if let Some(translated) = machine.translated_instructions() {
        result.note(format!(
            "{translated} of {} guest instructions ran as generated code",
            machine.instructions()
        ));
    }
    Ok(fnv1a64(machine.framebuffer()))
}
