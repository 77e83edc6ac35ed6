//! Headless NES frames per second: interpreter against the JIT, on the
//! built-in demo and the homebrew games of the ROM directory.
//!
//! Each iteration powers on a console (outside the timed region) and times
//! [`FRAMES`] frames. `jit` starts each iteration with an empty code cache,
//! so translation cost is included, as a player starting a game sees it.
//! The `devices` case times only the PPU and APU for the cycles the same
//! frames take (the bus ticking with no CPU), which gives the share of time
//! the CPU costs: 1 - devices / interp.
//!
//! Every iteration checks that the last frame equals the interpreter's.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use retrojit_benches::{NesProgram, nes_programs};
use retrojit_core::bus::Bus6502;
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::machine::Machine;
use retrojit_core::machine::nes::Nes;
use retrojit_core::machine::state::fnv1a64;
use retrojit_translator::engine::mos6502::JitConfig;
use retrojit_translator::engine::{Engine6502Any, EngineKind};
use std::time::{Duration, Instant};

/// Frames per iteration: two seconds of NTSC time.
const FRAMES: u64 = 120;

fn console(program: &NesProgram, kind: EngineKind) -> Nes<Engine6502Any> {
    let engine = Engine6502Any::new(kind, Variant::Ricoh2A03, JitConfig::default())
        .expect("engine available");
    Nes::new(&program.image, engine, 48_000).expect("program loads")
}

/// Runs the frames; returns the last frame's hash and the CPU cycles run.
fn run(nes: &mut Nes<Engine6502Any>) -> (u64, u64) {
    let mut audio = Vec::new();
    let mut cycles = 0;
    for _ in 0..FRAMES {
        cycles += nes.run_frame().expect("frame runs").cycles;
        audio.clear();
        nes.take_audio(&mut audio);
    }
    (fnv1a64(nes.framebuffer()), cycles)
}

fn frames(c: &mut Criterion) {
    for program in nes_programs() {
        let (expected, cycles) = run(&mut console(&program, EngineKind::Interp));
        let mut group = c.benchmark_group(format!("nes/{}", program.name));
        group.throughput(Throughput::Elements(FRAMES));
        let mut kinds = vec![EngineKind::Interp];
        if EngineKind::Jit.ensure_available().is_ok() {
            kinds.push(EngineKind::Jit);
        }
        for kind in kinds {
            group.bench_function(kind.name(), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let mut nes = console(&program, kind);
                        let started = Instant::now();
                        let (hash, _) = run(&mut nes);
                        total += started.elapsed();
                        assert_eq!(hash, expected, "{}: {kind} frame differs", program.name);
                    }
                    total
                });
            });
        }
        group.bench_function("devices", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut bus = console(&program, EngineKind::Interp).bus().clone();
                    let started = Instant::now();
                    bus.elapse(cycles);
                    total += started.elapsed();
                }
                total
            });
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = frames
}
criterion_main!(benches);
