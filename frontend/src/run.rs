//! `retrojit run`: headless runs of guest programs.

use crate::machines::{self, MachineOptions};
use crate::screenshot;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use retrojit_core::bus::MappedBus;
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::engine::{RunLimits, StopReason};
use retrojit_core::machine::Machine;
use retrojit_core::machine::bare6502::{Bare6502, RunReport};
use retrojit_core::machine::cpm::Cpm;
use retrojit_core::machine::input_script::InputScript;
use retrojit_core::machine::state::{Fnv1a64, fnv1a64};
use retrojit_core::number::{parse_address, parse_number};
use retrojit_core::programs;
use retrojit_translator::engine::mos6502::JitConfig;
use retrojit_translator::engine::{Engine6502Any, EngineKind, EngineZ80Any};
use std::io::Read;
use std::path::{Path, PathBuf};
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
    /// NTSC NES: iNES / NES 2.0 cartridges, run for --frames frames.
    #[value(name = "nes")]
    Nes,
    /// ZX Spectrum 48K: snapshots (.sna, .z80) and tapes (.tap, .tzx), run
    /// for --frames frames.
    #[value(name = "zx48")]
    Zx48,
}

/// Arguments of `retrojit run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Program image: a raw binary (bare6502), a .COM file (cpm) or an
    /// iNES cartridge (nes). Omit to run the built-in CRC-16 program on the
    /// bare 6502 (or, with --machine nes, the built-in NES demo).
    pub file: Option<PathBuf>,
    /// Machine to run it on [default: cpm for .COM files, nes for iNES
    /// images, else bare6502].
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
    /// Execution engine: interp, jit or lockstep (every machine).
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
    /// Skip the IR passes (constant folding, dead code).
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
    /// Frames to run (nes, zx48) [default: 300, five or six seconds].
    #[arg(long, value_parser = count)]
    pub frames: Option<u64>,
    /// Save the last frame as a PNG file (nes, zx48).
    #[arg(long, value_name = "PNG")]
    pub screenshot: Option<PathBuf>,
    /// Controller and keyboard input (nes, zx48): one `FRAME PAD BUTTONS`
    /// line per change, e.g. `60 1 Start`, `65 1 -`, `90 1 Right+A`, or
    /// `FRAME keys KEYS` for the keyboard (`100 keys J`, `110 keys Ctrl+P`);
    /// `#` comments.
    #[arg(long, value_name = "FILE")]
    pub input_script: Option<PathBuf>,
    /// ZX Spectrum 48K ROM, 16 KiB (zx48) [default: system/zx48/48.rom in
    /// the ROM directory].
    #[arg(long, value_name = "FILE")]
    pub rom: Option<PathBuf>,
    /// Play ZX Spectrum tapes in real time through the ROM's loader (zx48;
    /// the machine boots and types LOAD "" before the tape starts).
    #[arg(long)]
    pub tape_realtime: bool,
}

/// Frames `run --machine nes` runs without --frames.
const DEFAULT_FRAMES: u64 = 300;

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
    let machine = match args.machine {
        Some(machine) => machine,
        None => detect(args.file.as_deref())?,
    };
    let frame_based = matches!(machine, MachineKind::Nes | MachineKind::Zx48);
    if !frame_based
        && (args.frames.is_some() || args.screenshot.is_some() || args.input_script.is_some())
    {
        bail!("--frames, --screenshot and --input-script are for --machine nes and zx48");
    }
    if machine != MachineKind::Zx48 && (args.rom.is_some() || args.tape_realtime) {
        bail!("--rom and --tape-realtime are for --machine zx48");
    }
    match machine {
        MachineKind::Bare6502 => run_bare6502(args),
        MachineKind::Cpm => run_cpm(args),
        MachineKind::Nes => run_nes(args),
        MachineKind::Zx48 => run_zx48(args),
    }
}

/// The machine a file is for: .COM is CP/M, an iNES header (or .nes) the
/// NES, ZX Spectrum snapshots and tapes the ZX Spectrum, anything else a
/// raw 6502 image.
fn detect(file: Option<&Path>) -> Result<MachineKind> {
    let Some(file) = file else {
        return Ok(MachineKind::Bare6502);
    };
    let extension = file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("com") => return Ok(MachineKind::Cpm),
        Some("nes") => return Ok(MachineKind::Nes),
        _ => {}
    }
    let mut magic = [0u8; 8];
    let read = std::fs::File::open(file)
        .and_then(|mut f| f.read(&mut magic))
        .unwrap_or(0);
    Ok(match machines::detect(file, &magic[..read]) {
        Ok(machines::MachineKind::Nes) => MachineKind::Nes,
        Ok(machines::MachineKind::Zx48) => MachineKind::Zx48,
        Err(_) => MachineKind::Bare6502,
    })
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
    machines::attach_debug_output(&machine_options(args), engine.debug_mut())?;
    Ok(engine)
}

fn run_nes(args: &RunArgs) -> Result<ExitCode> {
    let script = frame_run_script(args)?;
    let mut nes = machines::open_nes(args.file.as_deref(), &machine_options(args))?;
    machines::attach_debug_output(&machine_options(args), nes.engine_mut().debug_mut())?;
    match &args.file {
        Some(file) => println!(
            "{}: NES, mapper {}",
            file.display(),
            nes.bus().mapper().name()
        ),
        None => println!("no FILE given: running the built-in NES demo"),
    }
    let finished = run_frames(args, &mut nes, &script)?;
    if let Some(divergence) = nes.engine().divergence() {
        eprintln!("{divergence}");
    }
    if let Some(stats) = nes.engine().stats() {
        println!("{stats}");
    }
    if let Some(file) = &args.file {
        machines::save_battery(&nes, file)?;
    }
    Ok(finished)
}

fn run_zx48(args: &RunArgs) -> Result<ExitCode> {
    let script = frame_run_script(args)?;
    let mut zx = machines::open_zx48(args.file.as_deref(), &machine_options(args))?;
    match &args.file {
        Some(file) => println!("{}: ZX Spectrum 48K", file.display()),
        None => println!("no FILE given: the ZX Spectrum 48K starts in BASIC"),
    }
    let finished = run_frames(args, &mut zx, &script)?;
    let printed = zx.machine_mut().take_printed();
    if !printed.is_empty() {
        println!(
            "printed through RST $10: {:?}",
            String::from_utf8_lossy(&printed)
        );
    }
    Ok(finished)
}

/// Options for the machines `run` builds.
fn machine_options(args: &RunArgs) -> MachineOptions {
    MachineOptions {
        engine: args.engine,
        jit: jit_config(args),
        zx_rom: args.rom.clone(),
        tape_realtime: args.tape_realtime,
        jit_dump: args.jit_dump.clone(),
        perf_map: args.perf_map,
        ..MachineOptions::default()
    }
}

/// The --input-script of a frame-based run, after refusing the options
/// that only instruction-based machines take.
fn frame_run_script(args: &RunArgs) -> Result<InputScript> {
    if args.cycles.is_some() || args.stop_at.is_some() || args.start.is_some() {
        bail!(
            "this machine runs whole frames: use --frames instead of --cycles, --stop-at or --start"
        );
    }
    Ok(match &args.input_script {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
            InputScript::parse(&text).with_context(|| format!("{}", path.display()))?
        }
        None => InputScript::default(),
    })
}

/// Runs --frames frames of `machine` with `script` as input and prints the
/// frame and sound hashes, the speed and the screenshot.
fn run_frames(args: &RunArgs, machine: &mut dyn Machine, script: &InputScript) -> Result<ExitCode> {
    let frames = args.frames.unwrap_or(DEFAULT_FRAMES);
    let mut audio = Vec::new();
    let mut audio_hash = AudioHash::default();
    let mut cycles = 0;
    let started = Instant::now();
    for frame in 0..frames {
        machine.set_input(&script.input_at(frame));
        match machine.run_frame() {
            Ok(report) => cycles += report.cycles,
            Err(e) => {
                println!("stopped in frame {frame}: {e}");
                return Ok(ExitCode::FAILURE);
            }
        }
        audio.clear();
        machine.take_audio(&mut audio);
        audio_hash.add(&audio);
    }
    let seconds = started.elapsed().as_secs_f64();
    let emulated = frames as f64 / machine.frame_rate();
    println!(
        "{frames} frames: frame hash {:016x}, audio hash {:016x} ({} samples)",
        fnv1a64(machine.framebuffer()),
        audio_hash.hash.finish(),
        audio_hash.samples
    );
    println!(
        "{} instructions, {cycles} cycles, {seconds:.3} s ({:.1} frames/s, {:.1}x real time, {:.1} guest MIPS)",
        machine.instructions(),
        frames as f64 / seconds.max(1e-9),
        emulated / seconds.max(1e-9),
        mips(machine.instructions(), seconds)
    );
    if let Some(path) = &args.screenshot {
        let (width, height) = machine.screen_size();
        screenshot::save_png(path, width, height, machine.framebuffer())?;
        println!("screenshot: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// FNV-1a over every audio sample of a run, so engines can be compared on
/// sound as well as picture.
#[derive(Debug, Default)]
struct AudioHash {
    hash: Fnv1a64,
    samples: u64,
}

impl AudioHash {
    fn add(&mut self, samples: &[i16]) {
        for sample in samples {
            self.hash.update(&sample.to_le_bytes());
        }
        self.samples += samples.len() as u64;
    }
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
    let Some(file) = &args.file else {
        bail!("--machine cpm needs a .COM file");
    };
    let image = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
    let name = file.display().to_string();
    let mut machine = Cpm::load(&name, &image)?;
    let mut engine = EngineZ80Any::new(args.engine, jit_config(args))?;
    machines::attach_debug_output(&machine_options(args), engine.debug_mut())?;
    let started = Instant::now();
    let mut stdout = std::io::stdout().lock();
    machine.run_for_with(&mut engine, args.cycles.unwrap_or(u64::MAX), &mut stdout)?;
    let stats = machine.stats();
    let seconds = started.elapsed().as_secs_f64();
    if let Some(jit) = engine.stats() {
        eprintln!("\n{jit}");
    }
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
