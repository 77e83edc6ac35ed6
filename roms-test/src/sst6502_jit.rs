//! SingleStepTests 6502 under the JIT: every case runs as a
//! one-instruction block (translated on first sight), and the final
//! registers, RAM and cycle count must equal the reference data. The bus
//! order is the interpreter's job (checked by [`crate::sst6502`]).

use crate::engine::Engine;
use crate::sst6502::{Case, CasePolicy, SstFailure, SstFileReport, case_policy, load_cases};
use retrojit_core::bus::MappedBus;
use retrojit_core::cpu::mos6502::{Access, Class, Cpu, Mnemonic, Registers, Variant, decode};
use retrojit_core::engine::{Engine6502, RunLimits};
use retrojit_core::machine::bare6502::FlatBus;
use retrojit_translator::engine::Engine6502Any;
use retrojit_translator::engine::mos6502::JitConfig;
use std::path::Path;

/// Runs every case of one file under the JIT (`engine` Jit; Lockstep runs
/// the same way, since the reference data is the comparison here).
pub fn run_file(path: &Path, variant: Variant, engine: Engine) -> anyhow::Result<SstFileReport> {
    let config = JitConfig {
        threshold: 1,
        max_block_instructions: 1,
        ..JitConfig::default()
    };
    let kind = if engine == Engine::Interp {
        Engine::Interp
    } else {
        Engine::Jit
    };
    let mut runner = Engine6502Any::new(kind, variant, config)?;
    let cases: Vec<Case> = load_cases(path)?;
    let mut report = SstFileReport::default();
    let mut bus = FlatBus::new();
    let mut ram = vec![0u8; 0x10000];
    let mut compiled = 0;
    for case in &cases {
        report.cases += 1;
        for &(addr, value) in &case.initial.ram {
            ram[usize::from(addr)] = value;
        }
        let policy = case_policy(variant, &case.initial, &ram);
        if let CasePolicy::Skip(reason) = policy {
            report.skipped += 1;
            report.skip_reason = Some(reason);
            for &(addr, _) in &case.initial.ram {
                ram[usize::from(addr)] = 0;
            }
            continue;
        }
        load(&mut runner, &mut bus, &case.initial.ram)?;
        let mut cpu = Cpu::new(variant);
        cpu.regs = Registers {
            cycles: 0,
            pc: case.initial.pc,
            a: case.initial.a,
            x: case.initial.x,
            y: case.initial.y,
            s: case.initial.s,
            p: case.initial.p,
        };
        let expected_cycles = case.cycles.len() as u64;
        let limits = RunLimits {
            // One instruction: stop where the reference says it ends (a
            // jump to itself stops as a trap); the cycle limit is a backstop.
            max_cycles: expected_cycles + 16,
            stop_at: (case.expected.pc != case.initial.pc).then_some(case.expected.pc),
            stop_on_trap: true,
        };
        let before = runner.stats().map(|s| s.jit_instructions).unwrap_or(0);
        runner.run(&mut cpu, &mut bus, &limits);
        if runner.stats().map(|s| s.jit_instructions).unwrap_or(0) > before {
            compiled += 1;
        }
        let check_cycles = matches!(policy, CasePolicy::Check);
        match first_difference(
            case,
            &cpu.regs,
            &bus,
            check_cycles.then_some(expected_cycles),
        ) {
            None => {
                if check_cycles {
                    report.passed += 1;
                } else {
                    report.skipped += 1;
                    if let CasePolicy::StateOnly(reason) = policy {
                        report.skip_reason = Some(reason);
                    }
                }
            }
            Some(detail) => {
                report.failed += 1;
                if report.failures.len() < crate::sst6502::MAX_FAILURES {
                    report.failures.push(SstFailure {
                        case: case.name.clone(),
                        detail,
                    });
                }
            }
        }
        report.cycles += cpu.regs.cycles;
        let touched: Vec<(u16, u8)> = case
            .initial
            .ram
            .iter()
            .chain(&case.expected.ram)
            .map(|&(addr, _)| (addr, 0))
            .collect();
        for &(addr, _) in &touched {
            ram[usize::from(addr)] = 0;
        }
        load(&mut runner, &mut bus, &touched)?;
    }
    // BRK, JAM and the unstable opcodes are left to the interpreter by design.
    let opcode = cases
        .first()
        .and_then(|c| c.initial.ram.iter().find(|&&(a, _)| a == c.initial.pc))
        .map(|&(_, op)| op);
    let translatable = opcode.is_some_and(|op| {
        let info = decode(op);
        info.class != Class::Unstable
            && info.access != Access::Halt
            && info.mnemonic != Mnemonic::Brk
    });
    if translatable && compiled * 2 < report.passed {
        anyhow::bail!(
            "{}: only {compiled} of {} passing cases ran as generated code",
            path.display(),
            report.passed
        );
    }
    Ok(report)
}

/// Writes `bytes` into guest memory as a loader, telling the engine.
fn load(runner: &mut Engine6502Any, bus: &mut FlatBus, bytes: &[(u16, u8)]) -> anyhow::Result<()> {
    for &(addr, value) in bytes {
        bus.memory_mut().write(addr, value);
        runner.memory_written(addr, bus.memory())?;
    }
    Ok(())
}

fn first_difference(
    case: &Case,
    regs: &Registers,
    bus: &FlatBus,
    cycles: Option<u64>,
) -> Option<String> {
    let e = &case.expected;
    let fields = [
        ("pc", u64::from(e.pc), u64::from(regs.pc)),
        ("a", e.a.into(), regs.a.into()),
        ("x", e.x.into(), regs.x.into()),
        ("y", e.y.into(), regs.y.into()),
        ("s", e.s.into(), regs.s.into()),
        ("p", e.p.into(), regs.p.into()),
    ];
    if let Some((name, want, got)) = fields.iter().find(|(_, want, got)| want != got) {
        return Some(format!("{name}: expected {want:#x}, got {got:#x}"));
    }
    for &(addr, want) in &e.ram {
        let got = bus.memory().read(addr).unwrap_or(0);
        if got != want {
            return Some(format!(
                "ram[{addr:#06x}]: expected {want:#04x}, got {got:#04x}"
            ));
        }
    }
    match cycles {
        Some(want) if want != regs.cycles => {
            Some(format!("cycles: expected {want}, got {}", regs.cycles))
        }
        _ => None,
    }
}
