//! The ZX Spectrum workloads of `retrojit bench`: headless frames per
//! second and emulated Z80 MHz for the 48K ROM's BASIC idle loop and a
//! game loaded from tape, under each engine; every run of every engine
//! must end like the first (T-states, instructions, last frame).

use super::Progress;
use crate::machines::{MachineOptions, open_zx48, roms_dir};
use anyhow::{Result, bail};
use retrojit_core::machine::Machine;
use retrojit_core::machine::state::fnv1a64;
use retrojit_translator::engine::EngineKind;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// The game timed when the ROM directory has it.
const GAME: &str = "games/zx/znake/znake.tap";

/// One workload.
#[derive(Serialize, Debug)]
pub struct ZxMeasurement {
    workload: &'static str,
    engine: EngineKind,
    frames: u64,
    instructions: u64,
    tstates: u64,
    best_seconds: f64,
    frames_per_second: f64,
    /// Emulated Z80 clock: T-states per second of host time.
    emulated_mhz: f64,
    /// Guest instructions run as generated code, 0 to 1 (JIT).
    jit_share: Option<f64>,
}

/// Seconds, T-states, instructions, the last frame's hash and the
/// instructions run as generated code of one run.
fn timed_run(
    tape: Option<&PathBuf>,
    frames: u64,
    engine: EngineKind,
) -> Result<(f64, u64, u64, u64, Option<u64>)> {
    let options = MachineOptions {
        engine,
        ..MachineOptions::default()
    };
    let mut zx = open_zx48(tape.map(PathBuf::as_path), &options)?;
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
        zx.translated_instructions(),
    ))
}

/// Times BASIC's idle loop and, when present, the game under each of
/// `engines`: one untimed run, then `repeat` timed ones.
pub fn measure_all(engines: &[EngineKind], repeat: u32, frames: u64) -> Result<Vec<ZxMeasurement>> {
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
        let mut first = None;
        for &engine in engines {
            let mut best = f64::INFINITY;
            let mut translated = None;
            for run in 0..=repeat {
                progress.show(&format!("zx48 {name} ({engine}): run {run} of {repeat}"));
                let (seconds, tstates, instructions, hash, jit) =
                    timed_run(tape.as_ref(), frames, engine)?;
                match first {
                    None => first = Some((tstates, instructions, hash)),
                    Some(expected) if expected != (tstates, instructions, hash) => {
                        bail!(
                            "zx48 {name}: run {run} under {engine} ended differently from the first"
                        )
                    }
                    Some(_) => {}
                }
                translated = jit;
                if run > 0 {
                    best = best.min(seconds);
                }
            }
            let (tstates, instructions, _) = first.expect("at least one run");
            results.push(ZxMeasurement {
                workload: name,
                engine,
                frames,
                instructions,
                tstates,
                best_seconds: best,
                frames_per_second: frames as f64 / best,
                emulated_mhz: tstates as f64 / best / 1e6,
                jit_share: translated.map(|t| t as f64 / instructions as f64),
            });
        }
    }
    Ok(results)
}

/// The table of ZX Spectrum results.
pub fn print_table(results: &[ZxMeasurement]) {
    println!(
        "{:<8} {:<9} {:>7} {:>13} {:>9} {:>9} {:>9} {:>9}",
        "zx48", "engine", "frames", "instructions", "best s", "frames/s", "Z80 MHz", "JIT share"
    );
    for m in results {
        let share = m
            .jit_share
            .map_or(String::from("-"), |s| format!("{:.1}%", s * 100.0));
        println!(
            "{:<8} {:<9} {:>7} {:>13} {:>9.3} {:>9.1} {:>9.1} {:>9}",
            m.workload,
            m.engine.name(),
            m.frames,
            super::grouped(m.instructions),
            m.best_seconds,
            m.frames_per_second,
            m.emulated_mhz,
            share
        );
    }
    println!("(the real machine: 50.08 frames/s, 3.5 MHz)");
}
