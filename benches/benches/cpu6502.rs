//! 6502 interpreter speed in guest instructions per second, on Klaus
//! Dormann's functional test and on a self-written CPU-bound loop, next to
//! the `mos6502` crate running the same programs to the same trap.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mos6502::memory::{Bus, Memory};
use retrojit_benches::{crc_loop, klaus};
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::engine::{RunLimits, StopReason};
use retrojit_core::machine::bare6502::Bare6502;
use retrojit_core::programs::BareProgram;
use std::hint::black_box;
use std::time::Duration;

/// Runs `program` on retrojit's interpreter; returns instructions executed.
fn run_retrojit(program: &BareProgram) -> u64 {
    let mut machine = Bare6502::new(Variant::Nmos);
    machine
        .load(program.load, &program.image)
        .expect("program fits");
    machine.cpu.regs.pc = program.start;
    let report = machine.run(RunLimits::default());
    assert_eq!(report.reason, StopReason::Trap { pc: program.done });
    report.instructions
}

/// Runs `program` on the `mos6502` crate to the same trap.
fn run_mos6502_crate(program: &BareProgram) -> u64 {
    let mut memory = Memory::new();
    memory.set_bytes(program.load, &program.image);
    let mut cpu = mos6502::cpu::CPU::new(memory, mos6502::instruction::Nmos6502);
    cpu.registers.program_counter = program.start;
    let mut instructions = 0;
    loop {
        let pc = cpu.registers.program_counter;
        cpu.single_step();
        instructions += 1;
        if cpu.registers.program_counter == pc {
            break;
        }
    }
    assert_eq!(
        cpu.registers.program_counter, program.done,
        "mos6502 crate trapped elsewhere"
    );
    instructions
}

fn bench_program(c: &mut Criterion, program: &BareProgram) {
    let instructions = run_retrojit(program);
    let mut group = c.benchmark_group(program.name);
    group.throughput(Throughput::Elements(instructions));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("retrojit-interp", |b| {
        b.iter(|| run_retrojit(black_box(program)))
    });
    group.bench_function("mos6502-crate", |b| {
        b.iter(|| run_mos6502_crate(black_box(program)))
    });
    group.finish();
}

fn interpreters(c: &mut Criterion) {
    bench_program(c, &crc_loop());
    if let Some(program) = klaus() {
        bench_program(c, &program);
    }
}

criterion_group!(benches, interpreters);
criterion_main!(benches);
