//! The NES workloads of `retrojit bench`: headless frames per second of the
//! built-in demo and the homebrew games under each engine, every run
//! checked against the first (same last frame, same sound), plus the time
//! the PPU and APU alone take for the same cycles, which splits a frame's
//! cost between the CPU and the other chips. The chips are timed from the
//! state a run ended in (rendering on, sound playing), ticking on without
//! the CPU.

use super::Progress;
use crate::machines::roms_dir;
use anyhow::{Context, Result, bail};
use retrojit_core::bus::Bus6502;
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::machine::Machine;
use retrojit_core::machine::nes::Nes;
use retrojit_core::machine::state::Fnv1a64;
use retrojit_core::programs::nes_demo::nes_demo;
use retrojit_translator::engine::mos6502::JitConfig;
use retrojit_translator::engine::{Engine6502Any, EngineKind};
use serde::Serialize;
use std::time::Instant;

/// The homebrew games timed when the ROM directory has them.
const GAMES: [(&str, &str); 2] = [
    ("croom", "games/nes/croom/croom.nes"),
    ("nes15", "games/nes/nes15/nes15-NTSC.nes"),
];

/// A cartridge to time.
struct NesWorkload {
    name: &'static str,
    image: Vec<u8>,
}

/// The demo, and each game found in the ROM directory.
fn workloads() -> Vec<NesWorkload> {
    let mut workloads = vec![NesWorkload {
        name: "demo",
        image: nes_demo(),
    }];
    for (name, rel) in GAMES {
        let path = roms_dir().join(rel);
        match std::fs::read(&path) {
            Ok(image) => workloads.push(NesWorkload { name, image }),
            Err(e) => eprintln!("skipping {name}: {}: {e}", path.display()),
        }
    }
    workloads
}

/// How a run ended: what every other run of the workload must match.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Ending {
    frame_hash: u64,
    audio_hash: u64,
    instructions: u64,
    cycles: u64,
}

/// One workload under one engine.
#[derive(Serialize, Debug)]
pub struct NesMeasurement {
    workload: &'static str,
    engine: EngineKind,
    frames: u64,
    instructions: u64,
    cycles: u64,
    best_seconds: f64,
    frames_per_second: f64,
    speedup_over_interp: Option<f64>,
    /// Share of guest instructions run as generated code.
    jit_share: Option<f64>,
    /// Seconds the PPU and APU alone take for the run's cycles.
    devices_seconds: f64,
    /// 1 - devices / best: the share of the time the CPU (and dispatch) costs.
    cpu_share: f64,
}

fn console(image: &[u8], kind: EngineKind) -> Result<Nes<Engine6502Any>> {
    let engine = Engine6502Any::new(kind, Variant::Ricoh2A03, JitConfig::default())?;
    Ok(Nes::new(image, engine, 48_000)?)
}

/// A finished run.
struct Run {
    seconds: f64,
    ending: Ending,
    jit_share: Option<f64>,
    console: Nes<Engine6502Any>,
}

/// Runs `frames` frames from power-on.
fn timed_run(workload: &NesWorkload, kind: EngineKind, frames: u64) -> Result<Run> {
    let mut nes = console(&workload.image, kind)?;
    let mut audio = Vec::new();
    let mut audio_hash = Fnv1a64::default();
    let mut cycles = 0;
    let started = Instant::now();
    for frame in 0..frames {
        cycles += nes
            .run_frame()
            .with_context(|| format!("{} under {kind}, frame {frame}", workload.name))?
            .cycles;
        audio.clear();
        nes.take_audio(&mut audio);
        for sample in &audio {
            audio_hash.update(&sample.to_le_bytes());
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let ending = Ending {
        frame_hash: retrojit_core::machine::state::fnv1a64(nes.framebuffer()),
        audio_hash: audio_hash.finish(),
        instructions: nes.instructions(),
        cycles,
    };
    Ok(Run {
        seconds,
        ending,
        jit_share: nes.engine().stats().map(|s| s.jit_share()),
        console: nes,
    })
}

/// Seconds the PPU and APU take for `cycles` CPU cycles with no CPU: the
/// bus of `console` ticking on its own from where its run ended.
fn devices_seconds(console: &Nes<Engine6502Any>, cycles: u64, repeat: u32) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..repeat {
        let mut bus = console.bus().clone();
        let started = Instant::now();
        bus.elapse(cycles);
        best = best.min(started.elapsed().as_secs_f64());
    }
    best
}

/// Times every workload under every engine: one untimed run, then `repeat`
/// timed ones, all checked against the first run of the workload.
pub fn measure_all(
    engines: &[EngineKind],
    repeat: u32,
    frames: u64,
) -> Result<Vec<NesMeasurement>> {
    let progress = Progress::new();
    let mut results = Vec::new();
    for workload in workloads() {
        let mut reference: Option<(EngineKind, Ending)> = None;
        let mut devices = None;
        let mut interp_seconds = None;
        for &kind in engines {
            let mut best = f64::INFINITY;
            let mut jit_share = None;
            let mut ending = None;
            for run in 0..=repeat {
                progress.show(&format!(
                    "nes {} / {kind}: run {run} of {repeat}",
                    workload.name
                ));
                let run_result = timed_run(&workload, kind, frames)?;
                let end = run_result.ending;
                if devices.is_none() {
                    progress.show(&format!("nes {}: PPU and APU alone", workload.name));
                    devices = Some(devices_seconds(&run_result.console, end.cycles, repeat));
                }
                match &reference {
                    None => reference = Some((kind, end)),
                    Some((first, expected)) if *expected != end => bail!(
                        "{} under {kind} ended as {end:?}, under {first} as {expected:?}",
                        workload.name
                    ),
                    Some(_) => {}
                }
                if run > 0 {
                    best = best.min(run_result.seconds);
                }
                jit_share = run_result.jit_share;
                ending = Some(end);
            }
            let ending = ending.expect("at least one run");
            let devices_seconds = devices.expect("measured after the first run");
            if kind == EngineKind::Interp {
                interp_seconds = Some(best);
            }
            results.push(NesMeasurement {
                workload: workload.name,
                engine: kind,
                frames,
                instructions: ending.instructions,
                cycles: ending.cycles,
                best_seconds: best,
                frames_per_second: frames as f64 / best,
                speedup_over_interp: interp_seconds.map(|base| base / best),
                jit_share,
                devices_seconds,
                cpu_share: (1.0 - devices_seconds / best).max(0.0),
            });
        }
    }
    Ok(results)
}

/// The table of NES results.
pub fn print_table(results: &[NesMeasurement]) {
    println!(
        "{:<8} {:<7} {:>7} {:>13} {:>9} {:>9} {:>10} {:>8} {:>9}",
        "nes",
        "engine",
        "frames",
        "instructions",
        "best s",
        "frames/s",
        "vs interp",
        "JIT",
        "CPU time"
    );
    for m in results {
        let speedup = m
            .speedup_over_interp
            .map_or_else(|| "-".to_owned(), |s| format!("{s:.2}x"));
        let share = m
            .jit_share
            .map_or_else(|| "-".to_owned(), |s| format!("{:.1}%", s * 100.0));
        println!(
            "{:<8} {:<7} {:>7} {:>13} {:>9.3} {:>9.1} {:>10} {:>8} {:>8.1}%",
            m.workload,
            m.engine.name(),
            m.frames,
            super::grouped(m.instructions),
            m.best_seconds,
            m.frames_per_second,
            speedup,
            share,
            m.cpu_share * 100.0
        );
    }
    println!(
        "(CPU time: 1 - the time the PPU and APU alone take for the same cycles / the run's time)"
    );
}
