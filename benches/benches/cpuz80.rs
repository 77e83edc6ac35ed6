//! Z80 interpreter speed: guest instructions per second (MIPS) and guest
//! T-states per second (MHz) on the `cpm` machine, next to the `iz80` crate
//! running the same instructions under the same CP/M harness.
//!
//! Workloads:
//! * `z80-crc16`: the self-written CRC-16 loop (`programs::crc16_z80`, 40
//!   passes), run to its warm boot;
//! * `zexdoc-20M`: the first [`ZEXDOC_BUDGET`] (20 million) instructions of
//!   ZEXDOC; skipped with a message when the ROM is absent.
//!
//! In each group `instructions/*` has throughput in instructions, so
//! criterion's Melem/s is MIPS; `tstates/retrojit-interp` has throughput in
//! T-states, so its Melem/s is the emulated clock in MHz (iz80 is not
//! T-state exact, so it has no such line).

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use iz80::{Machine, PlainMachine, Reg8, Reg16};
use retrojit_benches::{ZEXDOC_BUDGET, z80_crc_loop, zexdoc};
use retrojit_core::machine::cpm::{BDOS_ENTRY, Cpm, Exit, RunStats, TPA_END, TPA_START};
use retrojit_core::programs::ComProgram;
use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

/// Instruction budget meaning "run to the warm boot".
const TO_WARM_BOOT: u64 = u64::MAX;

/// Runs `program` for at most `budget` instructions on retrojit's
/// interpreter (the `cpm` machine); console output goes to `out`. Returns
/// the counters and the PC it stopped at.
fn run_retrojit(program: &ComProgram, budget: u64, out: &mut impl Write) -> (RunStats, u16) {
    let mut machine = Cpm::load(program.name, &program.image).expect("program loads");
    let exit = machine
        .run_for(budget, out)
        .expect("only BDOS calls 2 and 9");
    if budget == TO_WARM_BOOT {
        assert_eq!(exit, Exit::WarmBoot, "{} did not finish", program.name);
    }
    (machine.stats(), machine.cpu.regs.pc)
}

/// The `iz80` crate under the same CP/M harness as `Cpm`: the image at
/// $0100, `JP $FE00` at the BDOS entry with a `RET` at $FE00, SP = $FE00,
/// BDOS calls 2 and 9 trapped at $0005, warm boot ($0000) ends the run.
/// Returns the instructions executed and the PC it stopped at.
fn run_iz80(program: &ComProgram, budget: u64, out: &mut impl Write) -> (u64, u16) {
    let mut memory = PlainMachine::new();
    for (addr, &byte) in (TPA_START..).zip(&program.image) {
        memory.poke(addr, byte);
    }
    let [lo, hi] = TPA_END.to_le_bytes();
    for (addr, byte) in (BDOS_ENTRY..).zip([0xC3, lo, hi]) {
        memory.poke(addr, byte);
    }
    memory.poke(TPA_END, 0xC9);
    let mut cpu = iz80::Cpu::new_z80();
    cpu.registers().set_pc(TPA_START);
    cpu.registers().set16(Reg16::SP, TPA_END);
    let mut executed = 0;
    loop {
        let pc = cpu.registers().pc();
        if pc == 0 {
            break;
        }
        if pc == BDOS_ENTRY {
            iz80_bdos(&mut cpu, &mut memory, out);
        }
        if executed == budget {
            break;
        }
        cpu.execute_instruction(&mut memory);
        executed += 1;
    }
    (executed, cpu.registers().pc())
}

/// BDOS console output for the `iz80` harness, as `Cpm` does it.
fn iz80_bdos(cpu: &mut iz80::Cpu, memory: &mut PlainMachine, out: &mut impl Write) {
    let regs = cpu.registers();
    let written = match regs.get8(Reg8::C) {
        2 => out.write_all(&[regs.get8(Reg8::E)]),
        9 => {
            let mut addr = regs.get16(Reg16::DE);
            let mut text = Vec::new();
            while memory.peek(addr) != b'$' {
                text.push(memory.peek(addr));
                addr = addr.wrapping_add(1);
            }
            out.write_all(&text)
        }
        call => panic!("unsupported BDOS call {call}"),
    };
    written.expect("console output goes to memory or a sink");
}

/// Runs both cores once and checks they did the same work (instruction
/// count, stopping PC, printout), so the comparison is like for like.
fn cross_check(program: &ComProgram, budget: u64) -> (RunStats, u16) {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (stats, pc) = run_retrojit(program, budget, &mut ours);
    let (iz80_instructions, iz80_pc) = run_iz80(program, budget, &mut theirs);
    assert_eq!(
        (stats.instructions, pc),
        (iz80_instructions, iz80_pc),
        "{}: retrojit and iz80 ran different instruction streams",
        program.name
    );
    assert_eq!(
        ours, theirs,
        "{}: retrojit and iz80 printed different things",
        program.name
    );
    (stats, pc)
}

fn bench_program(c: &mut Criterion, label: &str, program: &ComProgram, budget: u64) {
    let (stats, pc) = cross_check(program, budget);
    eprintln!(
        "{label}: {} instructions, {} T-states ({:.2} T-states per instruction), stops at PC=${pc:04X}",
        stats.instructions,
        stats.tstates,
        stats.tstates as f64 / stats.instructions as f64,
    );
    let mut group = c.benchmark_group(label);
    // One iteration takes up to a second under iz80: flat sampling keeps
    // ten samples within the measurement time.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(stats.instructions));
    group.bench_function("instructions/retrojit-interp", |b| {
        b.iter(|| run_retrojit(black_box(program), budget, &mut std::io::sink()))
    });
    group.bench_function("instructions/iz80", |b| {
        b.iter(|| run_iz80(black_box(program), budget, &mut std::io::sink()))
    });
    group.throughput(Throughput::Elements(stats.tstates));
    group.bench_function("tstates/retrojit-interp", |b| {
        b.iter(|| run_retrojit(black_box(program), budget, &mut std::io::sink()))
    });
    group.finish();
}

fn interpreters(c: &mut Criterion) {
    bench_program(c, "z80-crc16", &z80_crc_loop(), TO_WARM_BOOT);
    if let Some(program) = zexdoc() {
        bench_program(c, "zexdoc-20M", &program, ZEXDOC_BUDGET);
    }
}

criterion_group!(benches, interpreters);
criterion_main!(benches);
