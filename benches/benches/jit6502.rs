//! 6502 interpreter against the JIT, in guest instructions per second, on
//! Klaus Dormann's functional test and the self-written CRC-16 loop.
//!
//! Per workload, three cases; each times only the run itself (loading the
//! machine and creating the engine happen outside the timed region):
//! - `interp`: the interpreter.
//! - `jit-cold`: a new JIT engine every iteration, so each run profiles and
//!   translates its blocks: compile cost included, as `retrojit run
//!   --engine jit` sees it.
//! - `jit-warm`: one JIT engine for all iterations, so blocks are found
//!   translated and linked: the speed of generated code plus dispatch,
//!   without compile cost.
//!
//! Every iteration checks (after its timed region) that the run reached the
//! program's success trap and ended exactly like the interpreter: same
//! instructions, registers, cycles and memory.
//!
//! On a host without a JIT backend only `interp` runs. Defaults are set in
//! `criterion_group!` rather than per group, so `--warm-up-time` and
//! `--measurement-time` on the command line still apply.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use retrojit_benches::{crc_loop, klaus};
use retrojit_core::bus::MappedBus;
use retrojit_core::cpu::mos6502::{Registers, Variant};
use retrojit_core::engine::{RunLimits, StopReason};
use retrojit_core::machine::bare6502::Bare6502;
use retrojit_core::programs::BareProgram;
use retrojit_translator::engine::mos6502::JitConfig;
use retrojit_translator::engine::{Engine6502Any, EngineKind};
use std::time::{Duration, Instant};

/// How a run must end: as the interpreter's run ended.
struct Expected {
    instructions: u64,
    regs: Registers,
    memory: Vec<u8>,
}

fn machine(program: &BareProgram) -> Bare6502 {
    let mut machine = Bare6502::new(Variant::Nmos);
    machine
        .load(program.load, &program.image)
        .expect("program fits");
    machine.cpu.regs.pc = program.start;
    machine
}

fn engine(kind: EngineKind) -> Engine6502Any {
    Engine6502Any::new(kind, Variant::Nmos, JitConfig::default()).expect("engine available")
}

/// The interpreter's run of `program`, which every timed run must match.
fn expected(program: &BareProgram) -> Expected {
    let mut machine = machine(program);
    let report = machine.run_with(&mut engine(EngineKind::Interp), RunLimits::default());
    assert_eq!(
        report.reason,
        StopReason::Trap { pc: program.done },
        "{}: the interpreter did not reach the success trap",
        program.name
    );
    Expected {
        instructions: report.instructions,
        regs: report.regs,
        memory: machine.bus.memory().data().to_vec(),
    }
}

/// Runs `machine` under `engine`; returns the time of the run alone,
/// after checking it against `expected`.
fn timed_run(
    program: &BareProgram,
    machine: &mut Bare6502,
    engine: &mut Engine6502Any,
    expected: &Expected,
) -> Duration {
    let started = Instant::now();
    let report = machine.run_with(engine, RunLimits::default());
    let elapsed = started.elapsed();
    assert_eq!(
        report.reason,
        StopReason::Trap { pc: program.done },
        "{}: the run did not reach the success trap",
        program.name
    );
    assert_eq!(
        (report.instructions, report.regs),
        (expected.instructions, expected.regs),
        "{}: instructions and registers differ from the interpreter's run",
        program.name
    );
    assert!(
        machine.bus.memory().data() == expected.memory.as_slice(),
        "{}: memory differs from the interpreter's run",
        program.name
    );
    elapsed
}

/// A JIT engine kept across runs, and the memory its last run left behind.
struct WarmJit {
    engine: Engine6502Any,
    last_memory: Option<Vec<u8>>,
}

impl WarmJit {
    /// Runs `program` on a freshly loaded machine. Loading is a write the
    /// engine does not see (Klaus rewrites some of its own code, so the
    /// cache holds blocks of the memory the last run left), so the engine
    /// is told about every byte the load changed, as any loader must.
    fn run(&mut self, program: &BareProgram, expected: &Expected) -> Duration {
        let mut machine = machine(program);
        if let Some(previous) = &self.last_memory {
            let memory = machine.bus.memory();
            for (addr, (old, new)) in previous.iter().zip(memory.data()).enumerate() {
                if old != new {
                    self.engine
                        .memory_written(addr as u16, memory)
                        .expect("JIT code memory");
                }
            }
        }
        let elapsed = timed_run(program, &mut machine, &mut self.engine, expected);
        self.last_memory = Some(machine.bus.memory().data().to_vec());
        elapsed
    }
}

fn bench_program(c: &mut Criterion, program: &BareProgram, with_jit: bool) {
    let expected = expected(program);
    let mut group = c.benchmark_group(format!("jit6502-{}", program.name));
    group.throughput(Throughput::Elements(expected.instructions));
    group.bench_function("interp", |b| {
        b.iter_custom(|iterations| {
            (0..iterations)
                .map(|_| {
                    let mut machine = machine(program);
                    let mut engine = engine(EngineKind::Interp);
                    timed_run(program, &mut machine, &mut engine, &expected)
                })
                .sum()
        })
    });
    if with_jit {
        group.bench_function("jit-cold", |b| {
            b.iter_custom(|iterations| {
                (0..iterations)
                    .map(|_| {
                        let mut machine = machine(program);
                        let mut engine = engine(EngineKind::Jit);
                        timed_run(program, &mut machine, &mut engine, &expected)
                    })
                    .sum()
            })
        });
        let mut warm = WarmJit {
            engine: engine(EngineKind::Jit),
            last_memory: None,
        };
        // Entry counts persist in the engine, so code a run executes only
        // once is translated in the run that reaches the threshold: that
        // many runs outside the measurement make even the first sample warm.
        for _ in 0..JitConfig::default().threshold {
            warm.run(program, &expected);
        }
        group.bench_function("jit-warm", |b| {
            b.iter_custom(|iterations| (0..iterations).map(|_| warm.run(program, &expected)).sum())
        });
    }
    group.finish();
}

fn interp_vs_jit(c: &mut Criterion) {
    let with_jit = EngineKind::Jit.ensure_available().is_ok();
    if !with_jit {
        eprintln!(
            "jit6502: no JIT backend for {}; skipping the jit-cold and jit-warm cases",
            std::env::consts::ARCH
        );
    }
    bench_program(c, &crc_loop(), with_jit);
    if let Some(program) = klaus() {
        bench_program(c, &program, with_jit);
    }
}

criterion_group! {
    name = benches;
    // Klaus takes seconds per run under qemu: few samples, short warm-up.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    targets = interp_vs_jit
}
criterion_main!(benches);
