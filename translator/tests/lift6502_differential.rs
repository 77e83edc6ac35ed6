//! The 6502 lifter checked against the interpreter, on any host: random
//! guest programs run once by the interpreter and once as lifted blocks
//! evaluated by the IR reference evaluator (instructions it leaves to the
//! interpreter, and side exits, are stepped by the interpreter). Registers,
//! cycles, memory and the exact sequence of I/O accesses must agree.

mod common;

use common::{TestBus, next, random_program};
use retrojit_core::cpu::mos6502::{Cpu, Step, Variant};
use retrojit_translator::backend::shape::MemoryShape;
use retrojit_translator::ir::eval::{IrState, Outcome, eval};
use retrojit_translator::lift::mos6502::{LiftConfig, lift};
use retrojit_translator::opt::optimize;

/// Runs one random program both ways; returns (instructions run as lifted
/// blocks, all instructions).
fn check_program(seed: u64, variant: Variant, optimized: bool) -> (u64, u64) {
    let mut rng = seed;
    let mut reference_bus = TestBus::randomized(&mut rng);
    let start = 0x0200;
    random_program(&mut rng, &mut reference_bus, start);
    let mut reference = Cpu::new(variant);
    reference.regs.pc = start;
    reference.regs.a = next(&mut rng) as u8;
    reference.regs.x = next(&mut rng) as u8;
    reference.regs.y = next(&mut rng) as u8;
    reference.regs.p = (next(&mut rng) as u8 | 0x20) & !0x10;
    reference.regs.s = next(&mut rng) as u8;

    let mut jit_bus = TestBus {
        memory: reference_bus.memory.clone(),
        io_log: Vec::new(),
    };
    let mut jit = reference.clone();
    let config = LiftConfig {
        variant,
        max_instructions: 16,
        ..LiftConfig::default()
    };

    // The lifted side runs blocks through the evaluator (instructions left
    // to the interpreter, and side exits, are stepped by it); the reference
    // follows instruction by instruction and both are compared after every
    // block, so a failure names the block.
    let budget = 400u64;
    let mut executed = 0u64;
    let mut lifted = 0u64;
    while executed < budget && jit.jammed().is_none() {
        let decimal = jit.regs.p & 0x08 != 0;
        let before = jit.regs;
        let mut block = lift(&jit_bus.memory, jit.regs.pc, decimal, &config);
        if optimized && let Some(block) = &mut block {
            optimize(block, MemoryShape::default());
        }
        let mut ran = 0u64;
        let mut interpret = true;
        if let Some(block) = &block {
            let r = jit.regs;
            let mut state = IrState::from_registers(r.a, r.x, r.y, r.s, r.p, r.cycles);
            // Stores into the block's own bytes must end it (self-modifying code).
            let is_code = |a: u16| a.wrapping_sub(block.start) < block.len;
            let outcome = eval(block, &mut state, &mut jit_bus.memory, &is_code);
            let (pc, n, interpret_next) = match outcome {
                Outcome::Exit { pc, instructions } => (
                    pc,
                    instructions,
                    matches!(block.exit, retrojit_translator::ir::Exit::Interpret { .. }),
                ),
                Outcome::SideExit { pc, instructions } => (pc, instructions, true),
                Outcome::CodeWritten { pc, instructions } => (pc, instructions, false),
            };
            jit.regs = state.to_registers(pc);
            ran = u64::from(n);
            interpret = interpret_next;
        }
        for _ in 0..ran {
            reference.step(&mut reference_bus);
        }
        let describe = || match &block {
            Some(b) => format!("{b}"),
            None => "no block".to_owned(),
        };
        assert_eq!(
            jit.regs,
            reference.regs,
            "seed {seed:#x}: after the block from {before:?}\n{}",
            describe()
        );
        executed += ran;
        lifted += ran;
        if interpret && executed < budget {
            executed += 1;
            let jammed = jit.step(&mut jit_bus) == Step::Jammed;
            reference.step(&mut reference_bus);
            assert_eq!(jit.regs, reference.regs, "seed {seed:#x}: interpreter step");
            if jammed {
                break;
            }
        }
        assert_eq!(
            jit_bus.io_log,
            reference_bus.io_log,
            "seed {seed:#x}: I/O accesses\n{}",
            describe()
        );
        assert!(
            jit_bus.memory.data() == reference_bus.memory.data(),
            "seed {seed:#x}: memory differs\n{}",
            describe()
        );
    }
    (lifted, executed)
}

/// Runs `count` seeds and checks that most instructions ran lifted, so the
/// comparison is not vacuous.
fn check_many(count: u64, salt: u64, variant: Variant, optimized: bool) {
    let (mut lifted, mut total) = (0, 0);
    for seed in 1..=count {
        let (l, t) = check_program(seed.wrapping_mul(salt), variant, optimized);
        lifted += l;
        total += t;
    }
    assert!(
        lifted * 2 > total,
        "only {lifted} of {total} instructions ran lifted"
    );
}

#[test]
fn lifted_blocks_match_the_interpreter_nmos() {
    check_many(400, 0x9E37_79B9_7F4A_7C15, Variant::Nmos, false);
}

#[test]
fn lifted_blocks_match_the_interpreter_2a03() {
    check_many(400, 0xD1B5_4A32_D192_ED03, Variant::Ricoh2A03, false);
}

#[test]
fn optimized_blocks_match_the_interpreter() {
    check_many(400, 0x94D0_49BB_1331_11EB, Variant::Nmos, true);
    check_many(200, 0xBF58_476D_1CE4_E5B9, Variant::Ricoh2A03, true);
}
