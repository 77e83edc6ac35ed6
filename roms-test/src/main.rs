//! `roms-test`: runs retrojit's conformance manifest, or one test file ad hoc.

use anyhow::{Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::number::parse_address;
use roms_test::engine::{Engine, parse_engine};
use roms_test::manifest::{DEFAULT_MANIFEST, Manifest, PassRule, Z80_INTERP_ONLY};
use roms_test::report::{SuiteResult, print_table, write_json};
use roms_test::runner::{
    CpmCheck, RunContext, run_cpm, run_fuse, run_sst_z80, run_sst6502, run_suite,
};
use roms_test::z80suites::cpm;
use roms_test::{bare, blargg, nestest, roms, zx};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Conformance runner for retrojit.
///
/// Without a subcommand, runs every suite of the manifest under each of its
/// engines and prints a table (suite, engine, cases, passed, failed, skipped,
/// guest instructions, seconds, guest MIPS). Exit status 0 only if nothing
/// failed. A suite whose files are missing is reported as skipped, or as
/// failed when RETROJIT_REQUIRE_ROMS=1.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Cli {
    /// ROM directory [default: $RETROJIT_ROMS, else ../shared/roms from the workspace root].
    #[arg(long, global = true, value_name = "DIR")]
    roms: Option<PathBuf>,
    /// Run only suites whose name contains SUBSTR.
    #[arg(long, value_name = "SUBSTR")]
    filter: Option<String>,
    /// Leave out suites whose name contains SUBSTR (repeatable), e.g. the
    /// exercisers under lockstep on an emulated host, where they take
    /// twenty minutes each.
    #[arg(long, value_name = "SUBSTR")]
    skip: Vec<String>,
    /// Run only under this engine: interp, jit or lockstep (default: every
    /// engine a suite lists; ad-hoc commands default to interp).
    #[arg(long, global = true, value_parser = parse_engine)]
    engine: Option<Engine>,
    /// Also write the results as JSON to FILE (schema in roms-test/README.md).
    #[arg(long, global = true, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Manifest to run.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_MANIFEST)]
    manifest: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a bare-6502 image that ends in a success trap (Klaus Dormann style).
    Klaus {
        /// The image.
        file: PathBuf,
        /// Load address.
        #[arg(long, value_parser = address, default_value = "0x0000")]
        load: u16,
        /// Entry point.
        #[arg(long, value_parser = address, default_value = "0x0400")]
        start: u16,
        /// Address of the success trap.
        #[arg(long, value_parser = address, default_value = "0x3469")]
        success: u16,
        /// Cycle budget.
        #[arg(long, default_value_t = 200_000_000)]
        max_cycles: u64,
    },
    /// Run SingleStepTests JSON files (.json or .json.gz; files or folders).
    Sst {
        /// Which CPU the files are for.
        #[arg(long, value_enum)]
        cpu: SstCpu,
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run nestest in automation mode and compare every line of its log.
    Nestest {
        /// nestest.nes.
        rom: PathBuf,
        /// nestest.log.
        log: PathBuf,
    },
    /// Run a CP/M .COM program on the Z80 `cpm` machine, printing its output
    /// as it runs.
    ///
    /// zexdoc/zexall pass when every test group says OK and "Tests complete"
    /// appears, prelim when "Preliminary tests complete" appears (the rule
    /// comes from the file name). Other programs pass by reaching warm boot
    /// ($0000). --expect-no adds a failure condition to either.
    Cpm {
        /// The .COM file.
        file: PathBuf,
        /// Fail if the output contains TEXT (e.g. ERROR).
        #[arg(long, value_name = "TEXT")]
        expect_no: Option<String>,
        /// Give up (fail) after this many instructions without a warm boot.
        #[arg(long, default_value_t = DEFAULT_CPM_BUDGET)]
        max_instructions: u64,
    },
    /// Run blargg NES test ROMs headless through their $6000 protocol,
    /// printing the text each ROM reports as it appears. A ROM passes with
    /// final status $00; $81 (press reset) is honoured after 100 ms.
    Blargg {
        /// .nes files or folders of them.
        #[arg(required = true)]
        roms: Vec<PathBuf>,
        /// Give up on a ROM after this many frames.
        #[arg(long, default_value_t = 60 * 60)]
        max_frames: u64,
    },
    /// Load a ZX Spectrum tape on the 48K ROM (`LOAD ""` typed, the ROM's
    /// loader trapped) and run it headless, printing the text the machine
    /// prints through RST $10. Passes when every block loaded (and, with
    /// --expect, the text appeared).
    Zx {
        /// The .tap or .tzx file.
        tape: PathBuf,
        /// Frames to run (50 a second).
        #[arg(long, default_value_t = 500)]
        frames: u64,
        /// Text the run must print.
        #[arg(long, value_name = "TEXT")]
        expect: Option<String>,
    },
    /// Run FUSE's Z80 unit tests: registers, memory, T-states and bus events.
    Fuse {
        /// tests.in: the cases.
        tests_in: PathBuf,
        /// tests.expected: their results.
        tests_expected: PathBuf,
    },
}

/// Default instruction budget of `roms-test cpm`: zexall, the longest
/// known program, needs about 5.8 billion.
const DEFAULT_CPM_BUDGET: u64 = 20_000_000_000;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SstCpu {
    /// NMOS 6502.
    #[value(name = "6502")]
    Mos6502,
    /// NES 2A03 (decimal-mode cases skipped).
    #[value(name = "2a03")]
    Ricoh2A03,
    /// Zilog Z80: registers (WZ, Q, R, IFFs, IM included), RAM, ports and
    /// the bus pins at every T-state.
    #[value(name = "z80")]
    Z80,
}

impl Command {
    /// Whether the command runs only under the interpreter (the
    /// Spectrum's tape-loading check).
    fn is_interp_only_z80(&self) -> bool {
        matches!(self, Self::Zx { .. })
    }
}

fn address(text: &str) -> Result<u16, String> {
    parse_address(text).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(results) => {
            let failed = results.iter().any(|r| r.failed > 0);
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("roms-test: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<Vec<SuiteResult>> {
    if let Some(engine) = cli.engine {
        if engine != Engine::Interp
            && cli
                .command
                .as_ref()
                .is_some_and(Command::is_interp_only_z80)
        {
            bail!("--engine {engine}: {Z80_INTERP_ONLY}");
        }
        engine.ensure_available()?;
    }
    let ctx = RunContext {
        roms_dir: cli.roms.clone().unwrap_or_else(roms::default_roms_dir),
        require_roms: roms::roms_required(),
    };
    let engine = cli.engine.unwrap_or(Engine::Interp);
    let results = match cli.command {
        None => run_manifest(&cli, &ctx)?,
        Some(Command::Klaus {
            file,
            load,
            start,
            success,
            max_cycles,
        }) => {
            if !file.exists() {
                bail!("{}: no such file", file.display());
            }
            let pass = PassRule::TrapAt(success);
            vec![bare::run(
                &file.display().to_string(),
                engine,
                &bare::BareProgram {
                    file: &file,
                    variant: Variant::Nmos,
                    load,
                    start,
                    pass: &pass,
                    max_cycles,
                },
            )]
        }
        Some(Command::Sst { cpu, paths }) => {
            for path in &paths {
                if !path.exists() {
                    bail!("{}: no such file or folder", path.display());
                }
            }
            match cpu {
                SstCpu::Mos6502 => vec![run_sst6502("sst-6502", engine, &paths, Variant::Nmos)],
                SstCpu::Ricoh2A03 => {
                    vec![run_sst6502("sst-2a03", engine, &paths, Variant::Ricoh2A03)]
                }
                SstCpu::Z80 => vec![run_sst_z80("sst-z80", engine, &paths)],
            }
        }
        Some(Command::Zx {
            tape,
            frames,
            expect,
        }) => {
            if !tape.exists() {
                bail!("{}: no such file", tape.display());
            }
            let mut out = std::io::stdout().lock();
            let result = zx::run(
                &tape.display().to_string(),
                &tape,
                frames,
                expect.as_deref(),
                &ctx.roms_dir,
                |text| {
                    let _ = write!(out, "{text}");
                    let _ = out.flush();
                },
            );
            let _ = writeln!(out);
            vec![result]
        }
        Some(Command::Blargg { roms, max_frames }) => {
            for path in &roms {
                if !path.exists() {
                    bail!("{}: no such file or folder", path.display());
                }
            }
            let mut out = std::io::stdout().lock();
            let mut current = PathBuf::new();
            vec![blargg::run(
                "blargg",
                engine,
                &roms,
                max_frames,
                |rom, text| {
                    if rom != current {
                        current = rom.to_owned();
                        let _ = writeln!(out, "== {}", rom.display());
                    }
                    let _ = write!(out, "{text}");
                    let _ = out.flush();
                },
            )]
        }
        Some(Command::Nestest { rom, log }) => {
            vec![nestest::run("nestest", engine, &rom, &log)?]
        }
        Some(Command::Cpm {
            file,
            expect_no,
            max_instructions,
        }) => {
            let check = CpmCheck {
                rule: cpm::PassRule::for_file(&file),
                forbidden: expect_no,
            };
            let mut console = Console::new(std::io::stdout().lock());
            let result = run_cpm(
                &file.display().to_string(),
                engine,
                &file,
                &check,
                max_instructions,
                &mut console,
            );
            // Whatever the outcome, what follows (the table, or the error
            // on stderr) starts on a line of its own.
            console.end_line()?;
            vec![result?]
        }
        Some(Command::Fuse {
            tests_in,
            tests_expected,
        }) => {
            vec![run_fuse("fuse", engine, &tests_in, &tests_expected)?]
        }
    };
    let mut stdout = std::io::stdout().lock();
    print_table(&mut stdout, &results)?;
    if let Some(path) = &cli.json {
        write_json(path, &results)?;
    }
    Ok(results)
}

/// The guest's console on stdout; remembers whether it ended a line.
struct Console<W: Write> {
    out: W,
    at_line_start: bool,
}

impl<W: Write> Console<W> {
    fn new(out: W) -> Self {
        Self {
            out,
            at_line_start: true,
        }
    }

    /// Ends the guest's last line if it left one open, and flushes.
    fn end_line(&mut self) -> std::io::Result<()> {
        if !self.at_line_start {
            self.write_all(b"\n")?;
        }
        self.out.flush()
    }
}

impl<W: Write> Write for Console<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.out.write(buf)?;
        if let Some(&last) = buf[..written].last() {
            self.at_line_start = last == b'\n';
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn run_manifest(cli: &Cli, ctx: &RunContext) -> Result<Vec<SuiteResult>> {
    let manifest = Manifest::load(&cli.manifest)?;
    let suites: Vec<_> = manifest
        .suites
        .iter()
        .filter(|s| {
            cli.filter
                .as_ref()
                .is_none_or(|f| s.name.contains(f.as_str()))
                && !cli.skip.iter().any(|k| s.name.contains(k.as_str()))
        })
        .collect();
    if suites.is_empty() {
        bail!(
            "no suite in {} matches the filter {:?} (skipping {:?})",
            cli.manifest.display(),
            cli.filter.as_deref().unwrap_or(""),
            cli.skip
        );
    }
    let mut results = Vec::new();
    for suite in suites {
        // Under an explicit --engine that a suite's kind cannot run under (a
        // Z80 suite under jit), the suite is shown skipped, not left out.
        if let Some(only) = cli.engine
            && !suite.test.runs_under(only)
        {
            results.push(run_suite(ctx, suite, only));
            continue;
        }
        for &engine in &suite.engines {
            if cli.engine.is_some_and(|only| only != engine) {
                continue;
            }
            match engine.ensure_available() {
                Ok(()) => results.push(run_suite(ctx, suite, engine)),
                // Listed in the manifest but not runnable on this host: not
                // a failure of the suite (an explicit --engine is refused above).
                Err(why) => {
                    let mut skipped = SuiteResult::new(&suite.name, engine.name());
                    skipped.cases = 1;
                    skipped.skipped = 1;
                    skipped.note(why.to_string());
                    results.push(skipped);
                }
            }
        }
    }
    Ok(results)
}
