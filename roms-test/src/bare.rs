//! Whole programs on the bare 6502 machine (Klaus Dormann's functional
//! test, Bruce Clark's decimal test): load, run, judge by where it stops.

use crate::engine::{Engine, build_6502, record_engine};
use crate::manifest::PassRule;
use crate::report::SuiteResult;
use retrojit_core::bus::MappedBus;
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::engine::{RunLimits, StopReason};
use retrojit_core::machine::bare6502::Bare6502;
use std::path::Path;
use std::time::Instant;

/// A bare-machine program and its pass rule.
#[derive(Clone, Debug)]
pub struct BareProgram<'a> {
    /// Image file.
    pub file: &'a Path,
    /// CPU flavour.
    pub variant: Variant,
    /// Load address.
    pub load: u16,
    /// Entry point.
    pub start: u16,
    /// Pass condition.
    pub pass: &'a PassRule,
    /// Cycle budget; running out is a failure.
    pub max_cycles: u64,
}

/// Runs `program` as suite `name` (one case) under `engine`.
pub fn run(name: &str, engine: Engine, program: &BareProgram<'_>) -> SuiteResult {
    let mut result = SuiteResult::new(name, engine.name());
    let mut runner = match build_6502(engine, program.variant) {
        Ok(runner) => runner,
        Err(e) => {
            result.cases = 1;
            result.failed = 1;
            result.note(e);
            return result;
        }
    };
    result.cases = 1;
    let image = match std::fs::read(program.file) {
        Ok(image) => image,
        Err(e) => {
            result.failed = 1;
            result.note(format!("{}: {e}", program.file.display()));
            return result;
        }
    };
    let mut machine = Bare6502::new(program.variant);
    if let Err(e) = machine.load(program.load, &image) {
        result.failed = 1;
        result.note(format!("{}: {e}", program.file.display()));
        return result;
    }
    machine.cpu.regs.pc = program.start;

    let stop_at = match program.pass {
        PassRule::TrapAt(_) => None,
        PassRule::StopAt { pc, .. } => Some(*pc),
    };
    let started = Instant::now();
    let report = machine.run_with(
        &mut runner,
        RunLimits {
            max_cycles: program.max_cycles,
            stop_at,
            stop_on_trap: true,
        },
    );
    result.seconds = started.elapsed().as_secs_f64();
    result.guest_instructions = report.instructions;
    result.guest_cycles = report.regs.cycles;

    record_engine(&mut result, &runner);
    let verdict = judge(&machine, program.pass, report.reason);
    match verdict {
        Ok(()) => result.passed = 1,
        Err(why) => {
            result.failed = 1;
            let r = report.regs;
            result.note(format!(
                "{why} (PC={:04X} A={:02X} X={:02X} Y={:02X} P={:02X} S={:02X}, {} instructions, {} cycles)",
                r.pc, r.a, r.x, r.y, r.p, r.s, report.instructions, r.cycles
            ));
        }
    }
    result
}

fn judge(machine: &Bare6502, rule: &PassRule, reason: StopReason) -> Result<(), String> {
    match (rule, reason) {
        (PassRule::TrapAt(want), StopReason::Trap { pc }) if pc == *want => Ok(()),
        (PassRule::TrapAt(want), StopReason::Trap { pc }) => Err(format!(
            "trapped at ${pc:04X}, success trap is ${want:04X} (look ${pc:04X} up in the listing)"
        )),
        (PassRule::StopAt { expect, .. }, StopReason::ReachedStop { .. }) => {
            let memory = machine.bus.memory();
            for &(addr, want) in expect {
                let got = memory.read(addr).unwrap_or(0);
                if got != want {
                    return Err(format!("${addr:04X} = ${got:02X}, expected ${want:02X}"));
                }
            }
            Ok(())
        }
        (_, StopReason::Trap { pc }) => Err(format!("unexpected trap at ${pc:04X}")),
        (_, StopReason::CycleLimit) => Err("cycle limit reached before the pass condition".into()),
        (_, StopReason::Jammed { opcode, pc }) => {
            Err(format!("CPU jammed on opcode ${opcode:02X} at ${pc:04X}"))
        }
        (_, StopReason::ReachedStop { pc }) => Err(format!("stopped at ${pc:04X}")),
        (_, StopReason::Diverged { pc }) => Err(format!("lockstep divergence at ${pc:04X}")),
    }
}
