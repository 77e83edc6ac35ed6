//! The 6502 lifter checked against the interpreter, on any host: random
//! guest programs run once by the interpreter and once as lifted blocks
//! evaluated by the IR reference evaluator (instructions it leaves to the
//! interpreter, and side exits, are stepped by the interpreter). Registers,
//! cycles, memory and the exact sequence of I/O accesses must agree.

use retrojit_core::bus::{Bus6502, MappedMemory, PageEntry};
use retrojit_core::cpu::mos6502::{Cpu, Step, Variant};
use retrojit_translator::ir::eval::{IrState, Outcome, eval};
use retrojit_translator::lift::mos6502::{LiftConfig, lift};
use retrojit_translator::opt::optimize;

/// Pages $40 and $41 are I/O; the rest is RAM, $F0-$FF read-only.
struct TestBus {
    memory: MappedMemory,
    io_log: Vec<(u16, u8, bool)>,
}

impl TestBus {
    fn new(seed: &mut u64) -> Self {
        let mut memory = MappedMemory::flat_ram();
        for byte in memory.data_mut().iter_mut() {
            *byte = next(seed) as u8;
        }
        for page in 0x40..=0x41u8 {
            memory.map(page, PageEntry::io());
        }
        for page in 0xF0..=0xFFu8 {
            memory.map(page, PageEntry::rom(u32::from(page) << 8));
        }
        Self {
            memory,
            io_log: Vec::new(),
        }
    }
}

impl Bus6502 for TestBus {
    fn read(&mut self, addr: u16) -> u8 {
        self.memory.read(addr).unwrap_or_else(|| {
            self.io_log.push((addr, 0, false));
            (addr as u8) ^ 0x5A
        })
    }

    fn write(&mut self, addr: u16, value: u8) {
        if !self.memory.write(addr, value) && self.memory.read(addr).is_none() {
            self.io_log.push((addr, value, true));
        }
    }
}

fn next(seed: &mut u64) -> u64 {
    // xorshift64*: small, seeded, reproducible.
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// A program of random instructions at $0200 with operands steered towards
/// interesting places: zero page, the stack, the code itself, I/O, ROM.
fn program(seed: &mut u64, bus: &mut TestBus) -> u16 {
    let start = 0x0200u16;
    let mut pc = start;
    while pc < 0x0300 {
        let r = next(seed);
        let opcode = r as u8;
        let info = retrojit_core::cpu::mos6502::decode::decode(opcode);
        let data = bus.memory.data_mut();
        data[usize::from(pc)] = opcode;
        let hi = match (r >> 8) % 6 {
            0 => 0x00,
            1 => 0x01,
            2 => 0x02, // the code itself
            3 => 0x40, // I/O
            4 => 0xF8, // ROM
            _ => (r >> 16) as u8,
        };
        data[usize::from(pc) + 1] = (r >> 24) as u8;
        data[usize::from(pc) + 2] = hi;
        if info.mode == retrojit_core::cpu::mos6502::decode::Mode::Relative {
            // Short branches keep control inside the program most of the time.
            data[usize::from(pc) + 1] = ((r >> 24) as u8 & 0x0F).wrapping_sub(4);
        }
        pc += u16::from(info.instruction_len());
    }
    start
}

/// Runs one random program both ways; returns (instructions run as lifted
/// blocks, all instructions).
fn check_program(seed: u64, variant: Variant, optimized: bool) -> (u64, u64) {
    let mut rng = seed;
    let mut reference_bus = TestBus::new(&mut rng);
    let start = program(&mut rng, &mut reference_bus);
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
            optimize(block);
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
            let g = |i: usize| state.regs[i] as u8;
            jit.regs.a = g(0);
            jit.regs.x = g(1);
            jit.regs.y = g(2);
            jit.regs.s = g(3);
            jit.regs.p = state.p();
            jit.regs.pc = pc;
            jit.regs.cycles = state.cycles;
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
