//! The ZX Spectrum workloads of `retrojit bench`: headless frames per
//! second and emulated Z80 MHz for the 48K ROM's BASIC idle loop and a
//! game loaded from tape. The Z80 has no translator, so only the
//! interpreter runs; every run must end like the first.

use super::Progress;
use crate::machines::{MachineOptions, open_zx48, roms_dir};
use anyhow::{Result, bail};
use retrojit_core::machine::Machine;
use retrojit_core::machine::state::fnv1a64;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// The game timed when the ROM directory has it.
const GAME: &str = "games/zx/znake/znake.tap";

/// One workload.
#[derive(Serialize, Debug)]
pub struct ZxMeasurement {
    workload: &'static str,
    frames: u64,
    instructions: u64,
    tstates: u64,
    best_seconds: f64,
    frames_per_second: f64,
    /// Emulated Z80 clock: T-states per second of host time.
    emulated_mhz: f64,
}

/// Frames, T-states, instructions and the last frame's hash of one run.
fn timed_run(tape: Option<&PathBuf>, frames: u64) -> Result<(f64, u64, u64, u64)> {
    let mut zx = open_zx48(tape.map(PathBuf::as_path), &MachineOptions::default())?;
    let mut audio = Vec::new();
    let mut tstates = 0;
    let started = Instant::now();
    for _ in 0..frames {
        tstates += zx.run_frame()?.cycles;
        audio.clear();
        zx.take_audio(&mut audio);
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok((
        seconds,
        tstates,
        zx.instructions(),
        fnv1a64(zx.framebuffer()),
    ))
}

/// Times BASIC's idle loop and, when present, the game: one untimed run,
/// then `repeat` timed ones.
pub fn measure_all(repeat: u32, frames: u64) -> Result<Vec<ZxMeasurement>> {
    let progress = Progress::new();
    let game = roms_dir().join(GAME);
    let mut workloads: Vec<(&'static str, Option<PathBuf>)> = vec![("basic", None)];
    if game.exists() {
        workloads.push(("znake", Some(game)));
    } else {
        eprintln!("skipping znake: {} not found", game.display());
    }
    let mut results = Vec::new();
    for (name, tape) in workloads {
        let mut best = f64::INFINITY;
        let mut first = None;
        for run in 0..=repeat {
            progress.show(&format!("zx48 {name}: run {run} of {repeat}"));
            let (seconds, tstates, instructions, hash) = timed_run(tape.as_ref(), frames)?;
            match first {
                None => first = Some((tstates, instructions, hash)),
                Some(expected) if expected != (tstates, instructions, hash) => {
                    bail!("zx48 {name}: run {run} ended differently from the first")
                }
                Some(_) => {}
            }
            if run > 0 {
                best = best.min(seconds);
            }
        }
        let (tstates, instructions, _) = first.expect("at least one run");
        results.push(ZxMeasurement {
            workload: name,
            frames,
            instructions,
            tstates,
            best_seconds: best,
            frames_per_second: frames as f64 / best,
            emulated_mhz: tstates as f64 / best / 1e6,
        });
    }
    Ok(results)
}

/// The table of ZX Spectrum results.
pub fn print_table(results: &[ZxMeasurement]) {
    println!(
        "{:<8} {:<7} {:>7} {:>13} {:>9} {:>9} {:>9}",
        "zx48", "engine", "frames", "instructions", "best s", "frames/s", "Z80 MHz"
    );
    for m in results {
        println!(
            "{:<8} {:<7} {:>7} {:>13} {:>9.3} {:>9.1} {:>9.1}",
            m.workload,
            "interp",
            m.frames,
            super::grouped(m.instructions),
            m.best_seconds,
            m.frames_per_second,
            m.emulated_mhz
        );
    }
    println!("(the real machine: 50.08 frames/s, 3.5 MHz)");
}
