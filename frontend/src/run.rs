//! `retrojit run`: headless runs of guest programs.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use retrojit_core::bus::MappedBus;
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::engine::{RunLimits, StopReason};
use retrojit_core::machine::bare6502::{Bare6502, RunReport};
use retrojit_core::machine::cpm::Cpm;
use retrojit_core::number::{parse_address, parse_number};
use retrojit_core::programs;
use retrojit_translator::engine::mos6502::JitConfig;
use retrojit_translator::engine::{Engine6502Any, EngineKind};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Machines `run` can build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MachineKind {
    /// NMOS 6502 with 64 KiB of RAM and no I/O.
    #[value(name = "bare6502")]
    Bare6502,
    /// Z80 with 64 KiB of RAM and a CP/M BDOS trap (console output only).
    #[value(name = "cpm")]
    Cpm,
}

/// Arguments of `retrojit run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Program image: a raw binary (bare6502) or a .COM file (cpm). Omit
    /// to run the built-in CRC-16 program on the bare 6502.
    pub file: Option<PathBuf>,
    /// Machine to run it on [default: cpm for .COM files, else bare6502].
    #[arg(long, value_enum)]
    pub machine: Option<MachineKind>,
    /// Address the image is loaded at (bare6502).
    #[arg(long, value_parser = address, default_value = "0x0000")]
    pub load: u16,
    /// Entry point [default: the load address] (bare6502).
    #[arg(long, value_parser = address)]
    pub start: Option<u16>,
    /// Stop after this many CPU cycles.
    #[arg(long, value_parser = count)]
    pub cycles: Option<u64>,
    /// Stop when PC reaches this address, before executing it (bare6502).
    #[arg(long, value_parser = address)]
    pub stop_at: Option<u16>,
    /// Execution engine: interp, jit or lockstep (bare6502; the Z80 JIT
    /// does not exist yet).
    #[arg(long, default_value = "interp", value_parser = engine)]
    pub engine: EngineKind,
    /// Dispatcher entries before a block is translated.
    #[arg(long, default_value_t = JitConfig::default().threshold)]
    pub jit_threshold: u16,
    /// Most guest instructions per translated block.
    #[arg(long, default_value_t = JitConfig::default().max_block_instructions)]
    pub jit_block_max: u16,
    /// Keep every block exit going through the dispatcher (no linking).
    #[arg(long)]
    pub no_link: bool,
    /// Skip the IR passes (constant folding, dead flags).
    #[arg(long)]
    pub no_opt: bool,
    /// Never translate guest addresses FIRST-LAST (e.g. 0x3000-0x30FF).
    #[arg(long, value_parser = range, value_name = "FIRST-LAST")]
    pub no_jit_range: Option<(u16, u16)>,
    /// Write each translated block (guest disassembly, IR, host
    /// disassembly) to a file in DIR.
    #[arg(long, value_name = "DIR")]
    pub jit_dump: Option<PathBuf>,
    /// Write /tmp/perf-<pid>.map so `perf report` names generated code.
    #[arg(long)]
    pub perf_map: bool,
}

fn address(text: &str) -> Result<u16, String> {
    parse_address(text).map_err(|e| e.to_string())
}

fn count(text: &str) -> Result<u64, String> {
    parse_number(text, u64::MAX).map_err(|e| e.to_string())
}

fn engine(text: &str) -> Result<EngineKind, String> {
    text.parse()
}

fn range(text: &str) -> Result<(u16, u16), String> {
    let (first, last) = text
        .split_once('-')
        .ok_or_else(|| format!("`{text}` is not a range FIRST-LAST"))?;
    let (first, last) = (address(first)?, address(last)?);
    if first > last {
        return Err(format!("`{text}`: FIRST is after LAST"));
    }
    Ok((first, last))
}

/// Runs `args`; the exit code says whether the program ended normally.
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let is_com = args
        .file
        .as_ref()
        .and_then(|f| f.extension())
        .is_some_and(|e| e.eq_ignore_ascii_case("com"));
    let machine = args.machine.unwrap_or(if is_com {
        MachineKind::Cpm
    } else {
        MachineKind::Bare6502
    });
    match machine {
        MachineKind::Bare6502 => run_bare6502(args),
        MachineKind::Cpm => run_cpm(args),
    }
}

fn jit_config(args: &RunArgs) -> JitConfig {
    JitConfig {
        threshold: args.jit_threshold.max(1),
        max_block_instructions: args.jit_block_max.max(1),
        link: !args.no_link,
        optimize: !args.no_opt,
        interpret_only: args.no_jit_range,
        ..JitConfig::default()
    }
}

fn build_engine(args: &RunArgs) -> Result<Engine6502Any> {
    let mut engine = Engine6502Any::new(args.engine, Variant::Nmos, jit_config(args))?;
    if let Some(jit) = engine.jit_mut() {
        if let Some(dir) = &args.jit_dump {
            jit.dump_blocks_to(dir.clone())
                .with_context(|| format!("--jit-dump {}", dir.display()))?;
        }
        if args.perf_map {
            let path = jit.write_perf_map().context("--perf-map")?;
            eprintln!("perf map: {}", path.display());
        }
    } else if args.jit_dump.is_some() || args.perf_map {
        bail!("--jit-dump and --perf-map need --engine jit or lockstep");
    }
    Ok(engine)
}

fn run_bare6502(args: &RunArgs) -> Result<ExitCode> {
    let mut engine = build_engine(args)?;
    let mut machine = Bare6502::new(Variant::Nmos);
    let limits = RunLimits {
        max_cycles: args.cycles.unwrap_or(u64::MAX),
        stop_at: args.stop_at,
        stop_on_trap: true,
    };
    let Some(file) = &args.file else {
        return run_builtin(machine, &mut engine, limits);
    };
    let image = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
    if image.is_empty() {
        bail!("{}: empty file", file.display());
    }
    machine
        .load(args.load, &image)
        .with_context(|| format!("{}", file.display()))?;
    machine.cpu.regs.pc = args.start.unwrap_or(args.load);
    let started = Instant::now();
    let report = machine.run_with(&mut engine, limits);
    print_report(&report, started.elapsed().as_secs_f64(), &engine);
    Ok(match report.reason {
        StopReason::Jammed { .. } | StopReason::Diverged { .. } => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    })
}

fn run_builtin(
    mut machine: Bare6502,
    engine: &mut Engine6502Any,
    limits: RunLimits,
) -> Result<ExitCode> {
    const PASSES: u8 = 200;
    let program = programs::crc16(PASSES);
    println!(
        "no FILE given: running the built-in `{}` program ({PASSES} passes over its own code page)",
        program.name
    );
    machine.load(program.load, &program.image)?;
    machine.cpu.regs.pc = program.start;
    let started = Instant::now();
    let report = machine.run_with(engine, limits);
    print_report(&report, started.elapsed().as_secs_f64(), engine);
    if report.reason != (StopReason::Trap { pc: program.done }) {
        println!("the program did not finish");
        return Ok(ExitCode::FAILURE);
    }
    let memory = machine.bus.memory();
    let crc = u16::from_le_bytes([
        memory.read(0x00).unwrap_or(0),
        memory.read(0x01).unwrap_or(0),
    ]);
    let expected = programs::crc16_reference(PASSES);
    println!("guest CRC-16: ${crc:04X}, host reference: ${expected:04X}");
    Ok(if crc == expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn run_cpm(args: &RunArgs) -> Result<ExitCode> {
    if args.engine != EngineKind::Interp {
        bail!("the Z80 has no translator yet: use --engine interp with --machine cpm");
    }
    let Some(file) = &args.file else {
        bail!("--machine cpm needs a .COM file");
    };
    let image = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
    let name = file.display().to_string();
    let mut machine = Cpm::load(&name, &image)?;
    let started = Instant::now();
    let mut stdout = std::io::stdout().lock();
    let stats = match args.cycles {
        None => machine.run(&mut stdout)?,
        Some(budget) => {
            machine.run_for(budget, &mut stdout)?;
            machine.stats()
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "\n{} instructions, {} T-states, {seconds:.3} s ({:.1} guest MIPS)",
        stats.instructions,
        stats.tstates,
        mips(stats.instructions, seconds)
    );
    Ok(ExitCode::SUCCESS)
}

fn mips(instructions: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        instructions as f64 / seconds / 1e6
    } else {
        0.0
    }
}

fn print_report(report: &RunReport, seconds: f64, engine: &Engine6502Any) {
    let r = &report.regs;
    let reason = match report.reason {
        StopReason::Trap { pc } => format!("trap (jump/branch to self) at ${pc:04X}"),
        StopReason::ReachedStop { pc } => format!("reached stop address ${pc:04X}"),
        StopReason::CycleLimit => "cycle limit".to_owned(),
        StopReason::Jammed { opcode, pc } => format!("CPU jammed on ${opcode:02X} at ${pc:04X}"),
        StopReason::Diverged { pc } => format!("lockstep divergence at ${pc:04X}"),
    };
    println!("stopped: {reason}");
    if let Some(divergence) = engine.divergence() {
        eprintln!("{divergence}");
    }
    println!(
        "PC=${:04X} A=${:02X} X=${:02X} Y=${:02X} S=${:02X} P=${:02X} [{}]",
        r.pc,
        r.a,
        r.x,
        r.y,
        r.s,
        r.p,
        flags(r.p)
    );
    println!(
        "{} instructions, {} cycles, {:.3} s ({:.1} guest MIPS)",
        report.instructions,
        r.cycles,
        seconds,
        mips(report.instructions, seconds)
    );
    if let Some(stats) = engine.stats() {
        println!("{stats}");
    }
}

fn flags(p: u8) -> String {
    "NV-BDIZC"
        .chars()
        .enumerate()
        .map(|(i, c)| if p & (0x80 >> i) != 0 { c } else { '.' })
        .collect()
}
