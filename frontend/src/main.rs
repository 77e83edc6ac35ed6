//! `retrojit`: run guest programs headless, benchmark the engines, check
//! the JIT region.

mod atomic;
mod bench;
#[cfg(feature = "sdl")]
mod config;
mod machines;
mod play;
mod run;
mod screenshot;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// retrojit: a cycle-exact 6502 / Z80 emulator with a dynamic binary
/// translator to AArch64 and x86-64.
///
/// Numbers (addresses, counts) may be written as 1234, 0x4D2, $4D2 or 4D2h.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a guest program headless and print the final machine state.
    ///
    /// Without FILE, runs retrojit's built-in CRC-16 program on the bare
    /// 6502 and checks its result against the same CRC computed on the host.
    ///
    /// Machines: `bare6502` (NMOS 6502, 64 KiB RAM; the run stops on a jump
    /// or branch to itself, a JAM opcode, --stop-at or --cycles), `cpm`
    /// (Z80 CP/M programs, .COM), `nes` (iNES cartridges; without FILE the
    /// built-in demo) and `zx48` (ZX Spectrum 48K snapshots and tapes;
    /// without FILE, BASIC): these two run --frames frames and print the
    /// last frame's hash, a hash of the sound and the speed.
    Run(run::RunArgs),
    /// Time the engines against each other on the same workloads.
    ///
    /// Runs Klaus Dormann's functional test (from the ROM directory:
    /// $RETROJIT_ROMS, else ../shared/roms next to the workspace; skipped
    /// with a message when absent) and the built-in CRC-16 loop under each
    /// engine, in this process, and prints guest instructions, cycles, the
    /// best time of --repeat runs, guest MIPS and the speed-up over the
    /// interpreter, then the JIT's compile statistics. `--workload nes`
    /// times NES frames (the built-in demo and the homebrew games) per
    /// engine with the CPU's share of the time; `--workload zx` times the
    /// ZX Spectrum's BASIC idle loop and znake (frames/s, emulated MHz).
    ///
    /// Every run is checked: it must reach the workload's success trap (and
    /// the CRC must match the host's), and all runs of all engines must end
    /// with the same instructions, cycles, registers and memory. Each JIT
    /// run starts with an empty code cache, so compile time is part of its
    /// time. Progress is shown only when stderr is a terminal.
    Bench(bench::BenchArgs),
    /// Play a ROM in a window, with sound, keyboard and game controllers.
    ///
    /// Without FILE, plays the built-in NES demo. The machine runs at its
    /// real frame rate (60.0988 Hz for an NTSC NES), paced by the sound
    /// card, or by a timer when there is no sound. The title shows the
    /// machine, frames per second and, with a translating engine, the share
    /// of guest instructions that ran as generated code over the last
    /// second.
    Play(play::PlayArgs),
    /// Check the JIT region on this machine: write, link, unlink and poison
    /// code through the validated write journal, execute it, and print what
    /// was verified. Needs an AArch64 or x86-64 host.
    JitSelftest,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Bench(args) => bench::bench(&args),
        Command::Play(args) => play::play(&args),
        Command::JitSelftest => jit_selftest(),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("retrojit: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn jit_selftest() -> anyhow::Result<ExitCode> {
    let report = retrojit_translator::jitmem::selftest()?;
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}
