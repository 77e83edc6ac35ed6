//! CP/M test programs on the `cpm` machine, with their pass rules:
//! zexdoc/zexall pass when every test group reports `OK` (none `ERROR`) and
//! `Tests complete` is printed; prelim when `Preliminary tests complete` is.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use retrojit_core::engine::{EngineZ80, Interpreter};
use retrojit_core::machine::cpm::{Cpm, Exit, Ram64, RunStats};
use serde::Deserialize;

/// What a program must print to pass (the manifest spells it `Zex`/`Prelim`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Deserialize)]
pub enum PassRule {
    /// ZEXDOC/ZEXALL: every group line OK, then "Tests complete".
    Zex,
    /// prelim: "Preliminary tests complete".
    Prelim,
}

impl PassRule {
    /// The rule for a program file, from its name (`zexdoc.com`, `prelim.com`).
    pub fn for_file(path: &Path) -> Option<Self> {
        let stem = path.file_stem()?.to_str()?.to_ascii_lowercase();
        match stem.as_str() {
            "zexdoc" | "zexall" => Some(Self::Zex),
            "prelim" => Some(Self::Prelim),
            _ => None,
        }
    }

    /// Checks a finished program's output; the error names what was missing or wrong.
    pub fn check(self, output: &str) -> Result<(), String> {
        match self {
            Self::Prelim => {
                if output.contains("Preliminary tests complete") {
                    Ok(())
                } else {
                    Err(format!(
                        "no \"Preliminary tests complete\" in output {:?}",
                        output.trim()
                    ))
                }
            }
            Self::Zex => {
                let groups: Vec<&str> = output.lines().filter(|l| l.contains("....")).collect();
                if let Some(bad) = groups.iter().find(|l| !l.trim_end().ends_with("OK")) {
                    return Err(format!("group failed: {}", bad.trim()));
                }
                if let Some(bad) = output.lines().find(|l| l.contains("ERROR")) {
                    return Err(format!("error reported: {}", bad.trim()));
                }
                if groups.is_empty() {
                    return Err("no test group ran".into());
                }
                if !output.contains("Tests complete") {
                    return Err("no \"Tests complete\" at the end".into());
                }
                Ok(())
            }
        }
    }
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct CpmRun {
    /// Everything the program printed.
    pub output: String,
    /// Whether it reached warm boot; `false` when the instruction budget ran out first.
    pub warm_boot: bool,
    /// Instructions and T-states executed.
    pub stats: RunStats,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl CpmRun {
    /// Guest instructions per second of wall-clock time, in millions.
    pub fn mips(&self) -> f64 {
        self.stats.instructions as f64 / self.elapsed.as_secs_f64().max(1e-9) / 1e6
    }
}

/// Writer that forwards console output to `echo` and keeps a copy.
struct Tee<'a, W: Write> {
    echo: &'a mut W,
    copy: Vec<u8>,
}

impl<W: Write> Write for Tee<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.copy.extend_from_slice(buf);
        self.echo.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.echo.flush()
    }
}

/// Loads and runs a .COM file under the interpreter until its warm boot, or
/// until it has executed `max_instructions` (a program that never ends),
/// streaming its output to `echo`. Errors name the file: unreadable, empty
/// or larger than the TPA, an unsupported BDOS call.
pub fn run_program(
    path: &Path,
    max_instructions: u64,
    echo: &mut impl Write,
) -> anyhow::Result<CpmRun> {
    run_program_with(path, &mut Interpreter, max_instructions, echo)
}

/// [`run_program`] under `engine`; a lockstep divergence is an error.
pub fn run_program_with(
    path: &Path,
    engine: &mut impl EngineZ80<Ram64>,
    max_instructions: u64,
    echo: &mut impl Write,
) -> anyhow::Result<CpmRun> {
    let image = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.display().to_string();
    let mut machine = Cpm::load(&name, &image)?;
    let mut tee = Tee {
        echo,
        copy: Vec::new(),
    };
    let start = Instant::now();
    let exit = machine.run_for_with(engine, max_instructions, &mut tee)?;
    let elapsed = start.elapsed();
    Ok(CpmRun {
        output: String::from_utf8_lossy(&tee.copy).into_owned(),
        warm_boot: exit == Exit::WarmBoot,
        stats: machine.stats(),
        elapsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zex_rule_needs_every_group_ok() {
        let ok = "Z80 instruction exerciser\n<adc,sbc> hl,<bc,de,hl,sp>....  OK\nTests complete\n";
        assert_eq!(PassRule::Zex.check(ok), Ok(()));
        let bad =
            "daa,cpl,scf,ccf....  ERROR **** crc expected:9b4ba675 found:1234\nTests complete\n";
        assert!(PassRule::Zex.check(bad).unwrap_err().contains("daa"));
        assert!(PassRule::Zex.check("x....  OK\n").is_err());
        assert_eq!(
            PassRule::for_file(Path::new("a/ZEXALL.COM")),
            Some(PassRule::Zex)
        );
    }
}
