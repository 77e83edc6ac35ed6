//! `retrojit run`: headless runs of guest programs.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use retrojit_core::bus::MappedBus;
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::engine::{RunLimits, StopReason};
use retrojit_core::machine::bare6502::{Bare6502, RunReport};
use retrojit_core::number::{parse_address, parse_number};
use retrojit_core::programs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Machines `run` can build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MachineKind {
    /// NMOS 6502 with 64 KiB of RAM and no I/O.
    #[value(name = "bare6502")]
    Bare6502,
}

/// Execution engines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EngineKind {
    /// The cycle-exact interpreter.
    Interp,
    /// The dynamic binary translator.
    Jit,
    /// JIT checked against the interpreter after every block.
    Lockstep,
}

/// Arguments of `retrojit run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Program image (raw binary). Omit to run the built-in CRC-16 program.
    pub file: Option<PathBuf>,
    /// Machine to run it on.
    #[arg(long, value_enum, default_value = "bare6502")]
    pub machine: MachineKind,
    /// Address the image is loaded at.
    #[arg(long, value_parser = address, default_value = "0x0000")]
    pub load: u16,
    /// Entry point [default: the load address].
    #[arg(long, value_parser = address)]
    pub start: Option<u16>,
    /// Stop after this many CPU cycles.
    #[arg(long, value_parser = count)]
    pub cycles: Option<u64>,
    /// Stop when PC reaches this address (before executing it).
    #[arg(long, value_parser = address)]
    pub stop_at: Option<u16>,
    /// Execution engine.
    #[arg(long, value_enum, default_value = "interp")]
    pub engine: EngineKind,
}

fn address(text: &str) -> Result<u16, String> {
    parse_address(text).map_err(|e| e.to_string())
}

fn count(text: &str) -> Result<u64, String> {
    parse_number(text, u64::MAX).map_err(|e| e.to_string())
}

/// Runs `args`; the exit code says whether the program ended normally.
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    if args.engine != EngineKind::Interp {
        bail!(
            "engine `{}` is not available: this build has no dynamic binary translator yet (use --engine interp)",
            args.engine
                .to_possible_value()
                .map(|v| v.get_name().to_owned())
                .unwrap_or_default()
        );
    }
    match args.machine {
        MachineKind::Bare6502 => run_bare6502(args),
    }
}

fn run_bare6502(args: &RunArgs) -> Result<ExitCode> {
    let mut machine = Bare6502::new(Variant::Nmos);
    let limits = RunLimits {
        max_cycles: args.cycles.unwrap_or(u64::MAX),
        stop_at: args.stop_at,
        stop_on_trap: true,
    };
    let Some(file) = &args.file else {
        return run_builtin(machine, limits);
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
    let report = machine.run(limits);
    print_report(&report, started.elapsed().as_secs_f64());
    Ok(match report.reason {
        StopReason::Jammed { .. } => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    })
}

fn run_builtin(mut machine: Bare6502, limits: RunLimits) -> Result<ExitCode> {
    const PASSES: u8 = 200;
    let program = programs::crc16(PASSES);
    println!(
        "no FILE given: running the built-in `{}` program ({PASSES} passes over its own code page)",
        program.name
    );
    machine.load(program.load, &program.image)?;
    machine.cpu.regs.pc = program.start;
    let started = Instant::now();
    let report = machine.run(limits);
    print_report(&report, started.elapsed().as_secs_f64());
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

fn print_report(report: &RunReport, seconds: f64) {
    let r = &report.regs;
    let reason = match report.reason {
        StopReason::Trap { pc } => format!("trap (jump/branch to self) at ${pc:04X}"),
        StopReason::ReachedStop { pc } => format!("reached stop address ${pc:04X}"),
        StopReason::CycleLimit => "cycle limit".to_owned(),
        StopReason::Jammed { opcode, pc } => format!("CPU jammed on ${opcode:02X} at ${pc:04X}"),
    };
    println!("stopped: {reason}");
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
    let mips = if seconds > 0.0 {
        report.instructions as f64 / seconds / 1e6
    } else {
        0.0
    };
    println!(
        "{} instructions, {} cycles, {:.3} s ({mips:.1} guest MIPS)",
        report.instructions, r.cycles, seconds
    );
}

fn flags(p: u8) -> String {
    "NV-BDIZC"
        .chars()
        .enumerate()
        .map(|(i, c)| if p & (0x80 >> i) != 0 { c } else { '.' })
        .collect()
}
