//! `retrojit bench`: the interpreter and the JIT on the same workloads
//! (6502, NES, CP/M Z80, ZX Spectrum), in one process and one binary, with
//! every run checked.
//!
//! A benchmark that measures a broken run is worse than none, so each run
//! must end at its workload's success trap (and the CRC workload must leave
//! the CRC the host computes), and every run of every engine must end in
//! the same state: stop reason, instructions, registers, cycles and a hash
//! of all guest memory.

use crate::machines::roms_dir;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use retrojit_core::bus::MappedBus;
use retrojit_core::cpu::mos6502::{Registers, Variant};
use retrojit_core::engine::{RunLimits, StopReason};
use retrojit_core::machine::bare6502::{Bare6502, RunReport};
use retrojit_core::programs::{self, BareProgram};
use retrojit_translator::engine::mos6502::{Jit6502, JitConfig, JitStats};
use retrojit_translator::engine::{Engine6502Any, EngineKind};
use serde::Serialize;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

mod cpm;
mod nes;
mod zx;

/// Where the ROM directory is named, as everywhere in retrojit.
const ROMS_ENV: &str = "RETROJIT_ROMS";
/// Klaus Dormann's functional test, relative to the ROM directory.
const KLAUS_PATH: &str = "6502/klaus-dormann/6502_functional_test.bin";
/// Where the functional test traps when every test passed.
const KLAUS_SUCCESS: u16 = 0x3469;
/// Passes of the built-in CRC-16 program: 0 asks for its maximum, 256
/// (about 4.6 million instructions), so the JIT's run is long enough to
/// time without the compile cost dominating.
const CRC_PASSES: u8 = 0;

/// Which workloads to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WorkloadChoice {
    /// Klaus Dormann's 6502 functional test (needs the ROM directory).
    Klaus,
    /// The built-in CRC-16 loop (CPU-bound, no ROM needed).
    Crc,
    /// NES frames: the built-in demo, and Concentration Room and nes15
    /// from the ROM directory when present.
    Nes,
    /// ZX Spectrum 48K frames: BASIC's idle loop, and znake from tape
    /// when present (needs the 48K ROM).
    Zx,
    /// The built-in Z80 CRC-16 program on the CP/M machine.
    Cpm,
    /// The whole zexdoc exerciser on the CP/M machine (about 5.8 billion
    /// instructions; not part of `all`), with the Z80 CRC program.
    Zexdoc,
    /// All of them but zexdoc.
    All,
}

/// Arguments of `retrojit bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Engines to compare, comma-separated: interp, jit [default: interp,jit;
    /// interp alone on hosts without a JIT backend].
    #[arg(long, value_delimiter = ',', value_parser = engine, value_name = "ENGINES")]
    pub engine: Vec<EngineKind>,
    /// Workloads to run.
    #[arg(long, value_enum, default_value = "all")]
    pub workload: WorkloadChoice,
    /// Timed runs per workload and engine; the fastest is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Frames per machine run (nes and zx workloads).
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub frames: u64,
    /// Also write the results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

fn engine(text: &str) -> Result<EngineKind, String> {
    match text.parse() {
        Ok(EngineKind::Lockstep) => Err(
            "lockstep is a checking engine and is not benchmarked; use interp or jit".to_owned(),
        ),
        Ok(kind) => Ok(kind),
        Err(_) => Err(format!("unknown engine `{text}` (interp or jit)")),
    }
}

/// A guest program to time and how to tell that it worked.
struct Workload {
    /// The name `--workload` and the table use.
    name: &'static str,
    /// One line saying what it is.
    description: String,
    program: BareProgram,
    /// The CRC the program must leave at $00/$01, for the CRC workload.
    expected_crc: Option<u16>,
}

impl Workload {
    fn crc() -> Self {
        let expected = programs::crc16_reference(CRC_PASSES);
        Self {
            name: "crc",
            description: format!(
                "built-in CRC-16 over its own code page, 256 passes, must give the host's ${expected:04X}"
            ),
            program: programs::crc16(CRC_PASSES),
            expected_crc: Some(expected),
        }
    }

    /// Klaus' functional test, or why it is not available.
    fn klaus() -> Result<Self, String> {
        let path = roms_dir().join(KLAUS_PATH);
        let image = std::fs::read(&path).map_err(|e| {
            format!(
                "{}: {e} (set {ROMS_ENV} to the ROM directory)",
                path.display()
            )
        })?;
        Ok(Self {
            name: "klaus",
            description: format!(
                "Klaus Dormann's functional test ({}), to the success trap ${KLAUS_SUCCESS:04X}",
                path.display()
            ),
            program: BareProgram {
                name: "klaus-functional",
                image,
                load: 0x0000,
                start: 0x0400,
                done: KLAUS_SUCCESS,
            },
            expected_crc: None,
        })
    }

    /// A machine with the program loaded, ready to start.
    fn machine(&self) -> Result<Bare6502> {
        let mut machine = Bare6502::new(Variant::Nmos);
        machine
            .load(self.program.load, &self.program.image)
            .with_context(|| self.name)?;
        machine.cpu.regs.pc = self.program.start;
        Ok(machine)
    }

    /// `Err` unless the run ended at the success trap with the right result.
    fn check(&self, engine: EngineKind, machine: &Bare6502, report: &RunReport) -> Result<()> {
        let success = StopReason::Trap {
            pc: self.program.done,
        };
        if report.reason != success {
            bail!(
                "{} under {engine} failed: {}, not the success trap at ${:04X}",
                self.name,
                describe(report.reason),
                self.program.done
            );
        }
        if let Some(expected) = self.expected_crc {
            let memory = machine.bus.memory();
            let crc = u16::from_le_bytes([
                memory.read(0x00).unwrap_or(0),
                memory.read(0x01).unwrap_or(0),
            ]);
            if crc != expected {
                bail!(
                    "{} under {engine} failed: guest CRC ${crc:04X}, host reference ${expected:04X}",
                    self.name
                );
            }
        }
        Ok(())
    }
}

/// The ROM directory: `RETROJIT_ROMS`, else `../shared/roms` next to the
/// workspace root (the same rule as roms-test and the benches).
fn describe(reason: StopReason) -> String {
    match reason {
        StopReason::Trap { pc } => format!("trapped at ${pc:04X}"),
        StopReason::ReachedStop { pc } => format!("reached the stop address ${pc:04X}"),
        StopReason::CycleLimit => "hit the cycle limit".to_owned(),
        StopReason::Jammed { opcode, pc } => format!("jammed on ${opcode:02X} at ${pc:04X}"),
        StopReason::Diverged { pc } => format!("diverged at ${pc:04X}"),
    }
}

/// How a run ended; every run of a workload must end the same way.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Outcome {
    reason: StopReason,
    instructions: u64,
    regs: Registers,
    memory_hash: u64,
}

impl Outcome {
    fn of(machine: &Bare6502, report: &RunReport) -> Self {
        let mut hasher = DefaultHasher::new();
        machine.bus.memory().data().hash(&mut hasher);
        Self {
            reason: report.reason,
            instructions: report.instructions,
            regs: report.regs,
            memory_hash: hasher.finish(),
        }
    }

    /// What differs from `reference`, for the error message.
    fn differences(&self, reference: &Self) -> String {
        let mut found = Vec::new();
        if self.reason != reference.reason {
            found.push(format!(
                "{} instead of {}",
                describe(self.reason),
                describe(reference.reason)
            ));
        }
        if self.instructions != reference.instructions {
            found.push(format!(
                "{} instructions instead of {}",
                self.instructions, reference.instructions
            ));
        }
        if self.regs.cycles != reference.regs.cycles {
            found.push(format!(
                "{} cycles instead of {}",
                self.regs.cycles, reference.regs.cycles
            ));
        }
        let registers = |r: &Registers| (r.pc, r.a, r.x, r.y, r.s, r.p);
        if registers(&self.regs) != registers(&reference.regs) {
            found.push("different registers".to_owned());
        }
        if self.memory_hash != reference.memory_hash {
            found.push("different memory".to_owned());
        }
        found.join(", ")
    }
}

/// One row of results: a workload under an engine.
#[derive(Debug, Serialize)]
struct Measurement {
    workload: &'static str,
    engine: EngineKind,
    instructions: u64,
    cycles: u64,
    /// Every timed run, in order.
    seconds: Vec<f64>,
    best_seconds: f64,
    /// Guest MIPS of the fastest run.
    mips: f64,
    /// Interpreter time over this engine's time, when the interpreter ran.
    speedup_over_interp: Option<f64>,
    jit: Option<CompileReport>,
}

/// What the translator did in the fastest run, plus per-block compile
/// times from the profiling run.
#[derive(Debug, Serialize)]
struct CompileReport {
    blocks: u64,
    code_bytes: u64,
    /// Time in the backend (emit and commit), as the translator counts it.
    compile_micros: u64,
    links: u64,
    invalidations: u64,
    flushes: u64,
    hot_pages: u64,
    untranslatable: u64,
    /// Guest instructions run as generated code, 0 to 1.
    jit_share: f64,
    /// Times the dispatcher entered generated code.
    entries: u64,
    per_block_micros: PerBlock,
}

/// Distribution of whole microseconds per compiled block.
#[derive(Debug, Serialize)]
struct PerBlock {
    mean: f64,
    median: u64,
    p99: u64,
    max: u64,
    /// Blocks the distribution was taken from.
    samples: usize,
}

impl CompileReport {
    fn new(stats: &JitStats, mut per_block: Vec<u64>) -> Self {
        let c = &stats.cache;
        per_block.sort_unstable();
        // Nearest-rank percentile of the sorted samples.
        let rank = |p: f64| {
            let n = per_block.len();
            let index = ((p * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1;
            per_block.get(index).copied().unwrap_or(0)
        };
        Self {
            blocks: c.compiled,
            code_bytes: c.code_bytes,
            compile_micros: c.compile_micros,
            links: c.links,
            invalidations: c.invalidations,
            flushes: c.flushes,
            hot_pages: c.hot_pages,
            untranslatable: c.untranslatable,
            jit_share: stats.jit_share(),
            entries: stats.entries,
            per_block_micros: PerBlock {
                mean: if c.compiled > 0 {
                    c.compile_micros as f64 / c.compiled as f64
                } else {
                    0.0
                },
                median: rank(0.5),
                p99: rank(0.99),
                max: per_block.last().copied().unwrap_or(0),
                samples: per_block.len(),
            },
        }
    }
}

/// The whole report, as `--json` writes it.
#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    arch: &'static str,
    repeat: u32,
    results: &'a [Measurement],
    nes: &'a [nes::NesMeasurement],
    zx48: &'a [zx::ZxMeasurement],
    cpm: &'a [cpm::CpmMeasurement],
}

/// A one-line progress message on stderr, shown only on a terminal and
/// erased when done (or when an error ends the run).
struct Progress {
    enabled: bool,
}

impl Progress {
    fn new() -> Self {
        Self {
            enabled: std::io::stderr().is_terminal(),
        }
    }

    fn show(&self, text: &str) {
        if self.enabled {
            eprint!("\r\x1b[K{text}");
            let _ = std::io::stderr().flush();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.show("");
    }
}

/// Runs `args`.
pub fn bench(args: &BenchArgs) -> Result<ExitCode> {
    let engines = engines(&args.engine)?;
    let workloads = workloads(args.workload)?;
    println!(
        "retrojit bench on {}: best of {} timed run{} after one untimed run; every JIT run starts with an empty cache, so compile time is included",
        std::env::consts::ARCH,
        args.repeat,
        if args.repeat == 1 { "" } else { "s" }
    );
    for workload in &workloads {
        println!("  {:<6} {}", workload.name, workload.description);
    }

    let progress = Progress::new();
    let mut results = Vec::new();
    for workload in &workloads {
        let mut reference: Option<(EngineKind, Outcome)> = None;
        for &kind in &engines {
            results.push(measure(
                workload,
                kind,
                args.repeat,
                &mut reference,
                &progress,
            )?);
        }
    }
    drop(progress);
    add_speedups(&mut results);
    let nes = if matches!(args.workload, WorkloadChoice::Nes | WorkloadChoice::All) {
        nes::measure_all(&engines, args.repeat, args.frames)?
    } else {
        Vec::new()
    };
    let zx48 = match args.workload {
        WorkloadChoice::Zx => zx::measure_all(&engines, args.repeat, args.frames)?,
        WorkloadChoice::All => {
            zx::measure_all(&engines, args.repeat, args.frames).unwrap_or_else(|e| {
                eprintln!("skipping zx48: {e:#}");
                Vec::new()
            })
        }
        _ => Vec::new(),
    };
    let cpm = match args.workload {
        WorkloadChoice::Cpm | WorkloadChoice::All => {
            cpm::measure_all(&engines, args.repeat, false)?
        }
        WorkloadChoice::Zexdoc => cpm::measure_all(&engines, args.repeat, true)?,
        _ => Vec::new(),
    };

    if !results.is_empty() {
        println!();
        print_table(&results);
        for m in &results {
            if let Some(jit) = &m.jit {
                print_compile_report(m, jit);
            }
        }
    }
    if !nes.is_empty() {
        println!();
        nes::print_table(&nes);
    }
    if !zx48.is_empty() {
        println!();
        zx::print_table(&zx48);
    }
    if !cpm.is_empty() {
        println!();
        cpm::print_table(&cpm);
    }
    if let Some(path) = &args.json {
        let report = JsonReport {
            arch: std::env::consts::ARCH,
            repeat: args.repeat,
            results: &results,
            nes: &nes,
            zx48: &zx48,
            cpm: &cpm,
        };
        let text = serde_json::to_string_pretty(&report).context("encoding the JSON report")?;
        std::fs::write(path, text + "\n").with_context(|| format!("{}", path.display()))?;
        println!("\nresults written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The engines to run: the requested ones (each once, in order), or the
/// default for this host.
fn engines(requested: &[EngineKind]) -> Result<Vec<EngineKind>> {
    if requested.is_empty() {
        return Ok(match EngineKind::Jit.ensure_available() {
            Ok(()) => vec![EngineKind::Interp, EngineKind::Jit],
            Err(_) => {
                eprintln!(
                    "note: no JIT backend for this host ({}): measuring the interpreter only",
                    std::env::consts::ARCH
                );
                vec![EngineKind::Interp]
            }
        });
    }
    let mut engines = Vec::new();
    for &kind in requested {
        kind.ensure_available()?;
        if !engines.contains(&kind) {
            engines.push(kind);
        }
    }
    Ok(engines)
}

fn workloads(choice: WorkloadChoice) -> Result<Vec<Workload>> {
    let mut workloads = Vec::new();
    if matches!(choice, WorkloadChoice::Klaus | WorkloadChoice::All) {
        match Workload::klaus() {
            Ok(klaus) => workloads.push(klaus),
            Err(why) if choice == WorkloadChoice::All => eprintln!("skipping klaus: {why}"),
            Err(why) => bail!("klaus: {why}"),
        }
    }
    if matches!(choice, WorkloadChoice::Crc | WorkloadChoice::All) {
        workloads.push(Workload::crc());
    }
    Ok(workloads)
}

/// One untimed run (it warms the host up and, for the JIT, records each
/// block's compile time), then `repeat` timed runs, each with a fresh
/// engine and machine. Every run is checked, and must end like the first
/// run of the workload (`reference`).
fn measure(
    workload: &Workload,
    kind: EngineKind,
    repeat: u32,
    reference: &mut Option<(EngineKind, Outcome)>,
    progress: &Progress,
) -> Result<Measurement> {
    let mut agree = |outcome: Outcome| -> Result<()> {
        match reference {
            None => *reference = Some((kind, outcome)),
            Some((first, expected)) if outcome != *expected => bail!(
                "{}: a run under {kind} ended differently from one under {first}: {}",
                workload.name,
                outcome.differences(expected)
            ),
            Some(_) => {}
        }
        Ok(())
    };

    progress.show(&format!("{} / {kind}: untimed run", workload.name));
    let mut machine = workload.machine()?;
    let mut engine = Engine6502Any::new(kind, Variant::Nmos, JitConfig::default())?;
    let (report, per_block) = match &mut engine {
        Engine6502Any::Jit(jit) => {
            let (report, per_block) = run_recording_compiles(jit, &mut machine);
            (report, Some(per_block))
        }
        _ => (machine.run_with(&mut engine, RunLimits::default()), None),
    };
    workload.check(kind, &machine, &report)?;
    agree(Outcome::of(&machine, &report))?;

    let mut seconds = Vec::new();
    let mut fastest: Option<(f64, Option<JitStats>)> = None;
    for run in 1..=repeat {
        progress.show(&format!(
            "{} / {kind}: timed run {run} of {repeat}",
            workload.name
        ));
        let mut machine = workload.machine()?;
        let mut engine = Engine6502Any::new(kind, Variant::Nmos, JitConfig::default())?;
        let started = Instant::now();
        let report = machine.run_with(&mut engine, RunLimits::default());
        let elapsed = started.elapsed().as_secs_f64();
        workload.check(kind, &machine, &report)?;
        agree(Outcome::of(&machine, &report))?;
        seconds.push(elapsed);
        if fastest.as_ref().is_none_or(|(best, _)| elapsed < *best) {
            fastest = Some((elapsed, engine.stats()));
        }
    }
    let (best_seconds, stats) = fastest.context("--repeat is at least 1")?;
    let jit = stats
        .zip(per_block)
        .map(|(stats, per_block)| CompileReport::new(&stats, per_block));
    Ok(Measurement {
        workload: workload.name,
        engine: kind,
        instructions: report.instructions,
        cycles: report.regs.cycles,
        seconds,
        best_seconds,
        mips: report.instructions as f64 / best_seconds / 1e6,
        speedup_over_interp: None,
        jit,
    })
}

/// Runs `machine` under `jit`, recording the compile time of each block.
///
/// The dispatcher translates at most one block per unit of work it
/// reports, so the change of the translator's compile-time counter between
/// two units is the time of the one block compiled in between.
fn run_recording_compiles(jit: &mut Jit6502, machine: &mut Bare6502) -> (RunReport, Vec<u64>) {
    let mut per_block = Vec::new();
    let start = jit.stats().cache;
    let mut seen = (start.compiled, start.compile_micros);
    let outcome = jit.run_observed(
        &mut machine.cpu,
        &mut machine.bus,
        &RunLimits::default(),
        |jit, _, _, _| {
            let now = &jit.cache().stats;
            if now.compiled == seen.0 + 1 {
                per_block.push(now.compile_micros.saturating_sub(seen.1));
            }
            seen = (now.compiled, now.compile_micros);
            None
        },
    );
    let report = RunReport {
        reason: outcome.reason,
        regs: machine.cpu.regs,
        instructions: outcome.instructions,
    };
    (report, per_block)
}

/// Fills in each row's speed relative to the interpreter on its workload.
fn add_speedups(results: &mut [Measurement]) {
    let interp: Vec<(&'static str, f64)> = results
        .iter()
        .filter(|m| m.engine == EngineKind::Interp)
        .map(|m| (m.workload, m.best_seconds))
        .collect();
    for m in results.iter_mut() {
        if let Some(&(_, base)) = interp.iter().find(|(w, _)| *w == m.workload) {
            m.speedup_over_interp = Some(base / m.best_seconds);
        }
    }
}

fn print_table(results: &[Measurement]) {
    println!(
        "{:<8} {:<7} {:>13} {:>13} {:>9} {:>9} {:>10}",
        "workload", "engine", "instructions", "cycles", "best s", "MIPS", "vs interp"
    );
    for m in results {
        let speedup = m
            .speedup_over_interp
            .map_or_else(|| "-".to_owned(), |s| format!("{s:.2}x"));
        println!(
            "{:<8} {:<7} {:>13} {:>13} {:>9.3} {:>9.1} {:>10}",
            m.workload,
            m.engine.name(),
            grouped(m.instructions),
            grouped(m.cycles),
            m.best_seconds,
            m.mips,
            speedup
        );
    }
}

fn print_compile_report(m: &Measurement, jit: &CompileReport) {
    let b = &jit.per_block_micros;
    let compile_ms = jit.compile_micros as f64 / 1e3;
    println!(
        "\n{} / {}: {} blocks, {} bytes of code; compile {compile_ms:.1} ms ({:.1}% of the run)",
        m.workload,
        m.engine,
        grouped(jit.blocks),
        grouped(jit.code_bytes),
        compile_ms / 1e3 / m.best_seconds * 100.0
    );
    println!(
        "  µs per block: mean {:.1}; median {}, p99 {}, max {} (over {} blocks of the untimed run)",
        b.mean, b.median, b.p99, b.max, b.samples
    );
    println!(
        "  {} links, {} invalidations, {} flushes, {} hot pages, {} untranslatable",
        grouped(jit.links),
        grouped(jit.invalidations),
        jit.flushes,
        jit.hot_pages,
        jit.untranslatable
    );
    println!(
        "  {:.1}% of guest instructions ran as generated code; {} entries from the dispatcher ({:.1} instructions per entry)",
        jit.jit_share * 100.0,
        grouped(jit.entries),
        m.instructions as f64 / jit.entries.max(1) as f64
    );
}

/// `n` with thousands separators: 30646177 -> "30,646,177".
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(30_646_177), "30,646,177");
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let stats = JitStats::default();
        let report = CompileReport::new(&stats, (1..=100).rev().collect());
        assert_eq!(report.per_block_micros.median, 50);
        assert_eq!(report.per_block_micros.p99, 99);
        assert_eq!(report.per_block_micros.max, 100);
        let empty = CompileReport::new(&stats, Vec::new());
        assert_eq!(empty.per_block_micros.p99, 0);
    }

    #[test]
    fn lockstep_is_refused() {
        assert!(engine("lockstep").is_err());
        assert_eq!(engine("jit"), Ok(EngineKind::Jit));
    }
}
