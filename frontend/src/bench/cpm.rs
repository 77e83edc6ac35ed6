//! The Z80 workloads of `retrojit bench` on the CP/M machine: the
//! built-in Z80 CRC-16 program and, on request, the whole zexdoc
//! exerciser (about 5.8 billion instructions), under each engine. Every
//! run must warm-boot with the same console output, instruction count and
//! T-states as the first; the CRC run must leave the CRC the host computes.

use super::Progress;
use crate::machines::roms_dir;
use anyhow::{Context, Result, bail};
use retrojit_core::machine::cpm::{Cpm, Exit, RunStats};
use retrojit_core::programs;
use retrojit_translator::engine::mos6502::JitConfig;
use retrojit_translator::engine::{EngineKind, EngineZ80Any};
use serde::Serialize;
use std::time::Instant;

/// zexdoc, relative to the ROM directory.
const ZEXDOC: &str = "z80/cpm/zexdoc.com";

/// One workload under one engine.
#[derive(Serialize, Debug)]
pub struct CpmMeasurement {
    workload: &'static str,
    engine: EngineKind,
    instructions: u64,
    tstates: u64,
    best_seconds: f64,
    mips: f64,
    /// Interpreter time over this engine's time.
    speedup: Option<f64>,
    /// Guest instructions run as generated code, 0 to 1 (JIT).
    jit_share: Option<f64>,
}

struct Run {
    seconds: f64,
    stats: RunStats,
    output: Vec<u8>,
    translated: Option<u64>,
    crc: u16,
}

fn timed_run(name: &str, image: &[u8], engine: EngineKind) -> Result<Run> {
    let mut machine = Cpm::load(name, image)?;
    let mut runner = EngineZ80Any::new(engine, JitConfig::default())?;
    let mut output = Vec::new();
    let started = Instant::now();
    let exit = machine.run_for_with(&mut runner, u64::MAX, &mut output)?;
    let seconds = started.elapsed().as_secs_f64();
    if exit != Exit::WarmBoot {
        bail!("{name} under {engine}: no warm boot");
    }
    let at = usize::from(programs::CRC16_Z80_RESULT);
    let bytes = machine.ram.bytes();
    Ok(Run {
        seconds,
        stats: machine.stats(),
        output,
        translated: runner.stats().map(|s| s.jit_instructions),
        crc: u16::from_le_bytes([bytes[at], bytes[at + 1]]),
    })
}

/// Times the CRC program (one untimed run, then `repeat` timed ones) and,
/// with `zexdoc`, one timed run of the exerciser, under each of `engines`.
pub fn measure_all(
    engines: &[EngineKind],
    repeat: u32,
    zexdoc: bool,
) -> Result<Vec<CpmMeasurement>> {
    let progress = Progress::new();
    let crc = programs::crc16_z80(0);
    let mut workloads = vec![(
        "z80crc",
        crc.image,
        repeat,
        Some(programs::crc16_z80_reference(0)),
    )];
    if zexdoc {
        let path = roms_dir().join(ZEXDOC);
        let image = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
        workloads.push(("zexdoc", image, 1, None));
    }
    let mut results = Vec::new();
    for (name, image, timed, expected_crc) in workloads {
        let mut first: Option<(RunStats, Vec<u8>)> = None;
        let mut interp_seconds = None;
        for &engine in engines {
            let mut best = f64::INFINITY;
            let mut translated = None;
            // A long workload is timed once, without a warm-up run.
            let untimed = u32::from(timed > 1);
            for run in 0..untimed + timed {
                progress.show(&format!("cpm {name} ({engine}): run {run} of {timed}"));
                let r = timed_run(name, &image, engine)?;
                if let Some(crc) = expected_crc
                    && r.crc != crc
                {
                    bail!(
                        "{name} under {engine}: CRC {:04X}, expected {crc:04X}",
                        r.crc
                    );
                }
                match &first {
                    None => first = Some((r.stats, r.output.clone())),
                    Some((stats, output)) if *stats != r.stats || *output != r.output => {
                        bail!("{name}: run {run} under {engine} ended differently from the first")
                    }
                    Some(_) => {}
                }
                translated = r.translated;
                if run >= untimed {
                    best = best.min(r.seconds);
                }
            }
            let (stats, _) = first.as_ref().expect("at least one run");
            if engine == EngineKind::Interp {
                interp_seconds = Some(best);
            }
            results.push(CpmMeasurement {
                workload: name,
                engine,
                instructions: stats.instructions,
                tstates: stats.tstates,
                best_seconds: best,
                mips: stats.instructions as f64 / best / 1e6,
                speedup: interp_seconds.map(|i| i / best),
                jit_share: translated.map(|t| t as f64 / stats.instructions as f64),
            });
        }
    }
    Ok(results)
}

/// The table of CP/M results.
pub fn print_table(results: &[CpmMeasurement]) {
    println!(
        "{:<8} {:<9} {:>15} {:>9} {:>9} {:>9} {:>9}",
        "cpm", "engine", "instructions", "best s", "MIPS", "speed-up", "JIT share"
    );
    for m in results {
        let share = m
            .jit_share
            .map_or(String::from("-"), |s| format!("{:.1}%", s * 100.0));
        let speedup = m.speedup.map_or(String::from("-"), |s| format!("{s:.2}x"));
        println!(
            "{:<8} {:<9} {:>15} {:>9.3} {:>9.1} {:>9} {:>9}",
            m.workload,
            m.engine.name(),
            super::grouped(m.instructions),
            m.best_seconds,
            m.mips,
            speedup,
            share
        );
    }
}
