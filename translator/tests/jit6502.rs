//! The 6502 JIT against the interpreter on whole programs: the built-in
//! CRC-16 workload, self-modifying programs, random programs with I/O
//! pages, and (with the ROMs) Klaus Dormann's functional test. Registers,
//! cycles, instruction counts, memory and I/O accesses must be identical.
#![cfg(any(target_arch = "aarch64", target_arch = "x86_64"))]

mod common;

use common::{TestBus, next, random_program};
use retrojit_core::bus::{Bus6502, MappedBus, MappedMemory, PageEntry};
use retrojit_core::cpu::mos6502::{Cpu, Variant};
use retrojit_core::engine::{Engine6502, Interpreter, RunLimits, RunOutcome};
use retrojit_core::programs;
use retrojit_translator::engine::mos6502::{Jit6502, JitConfig, JitStats};

/// Runs `cpu`/`bus` under the interpreter and under a fresh JIT engine;
/// asserts identical results and returns the JIT's outcome and counters.
fn compare(
    cpu: &Cpu,
    bus: &TestBus,
    limits: RunLimits,
    config: JitConfig,
    what: &str,
) -> (RunOutcome, JitStats) {
    let (mut cpu_i, mut bus_i) = (cpu.clone(), bus.clone());
    let reference = Interpreter.run(&mut cpu_i, &mut bus_i, &limits);
    let (mut cpu_j, mut bus_j) = (cpu.clone(), bus.clone());
    let mut jit = Jit6502::new(cpu.variant(), config).expect("aarch64 has a backend");
    let outcome = jit.run(&mut cpu_j, &mut bus_j, &limits);
    assert_eq!(
        outcome, reference,
        "{what}: stop reason and instruction count"
    );
    assert_eq!(cpu_j.regs, cpu_i.regs, "{what}: registers");
    assert_eq!(bus_j.io_log, bus_i.io_log, "{what}: I/O accesses");
    assert!(bus_j.memory.data() == bus_i.memory.data(), "{what}: memory");
    (outcome, jit.stats())
}

#[test]
fn crc_program_matches_and_runs_mostly_compiled() {
    let program = programs::crc16(20);
    let mut bus = TestBus::flat();
    bus.load(program.load, &program.image);
    let mut cpu = Cpu::new(Variant::Nmos);
    cpu.regs.pc = program.start;
    let (_, stats) = compare(
        &cpu,
        &bus,
        RunLimits::default(),
        JitConfig::default(),
        "crc16",
    );
    assert!(stats.jit_share() > 0.99, "{stats}");
    let mut bus2 = bus.clone();
    let mut cpu2 = cpu.clone();
    Interpreter.run(&mut cpu2, &mut bus2, &RunLimits::default());
    assert_eq!(
        u16::from_le_bytes([bus2.memory.data()[0], bus2.memory.data()[1]]),
        programs::crc16_reference(20)
    );
}

#[test]
fn every_knob_combination_matches() {
    let program = programs::crc16(3);
    let mut bus = TestBus::flat();
    bus.load(program.load, &program.image);
    let mut cpu = Cpu::new(Variant::Nmos);
    cpu.regs.pc = program.start;
    for threshold in [1, 3] {
        for max_block_instructions in [1, 2, 64] {
            for link in [false, true] {
                for optimize in [false, true] {
                    let config = JitConfig {
                        threshold,
                        max_block_instructions,
                        link,
                        optimize,
                        ..JitConfig::default()
                    };
                    compare(
                        &cpu,
                        &bus,
                        RunLimits::default(),
                        config,
                        &format!("{config:?}"),
                    );
                }
            }
        }
    }
}

#[test]
fn cycle_limits_and_stop_addresses_match() {
    let program = programs::crc16(5);
    let mut bus = TestBus::flat();
    bus.load(program.load, &program.image);
    let mut cpu = Cpu::new(Variant::Nmos);
    cpu.regs.pc = program.start;
    for max_cycles in [0, 1, 7, 1000, 12_345, 50_001] {
        let limits = RunLimits {
            max_cycles,
            ..RunLimits::default()
        };
        compare(
            &cpu,
            &bus,
            limits,
            JitConfig::default(),
            &format!("max_cycles {max_cycles}"),
        );
    }
    let limits = RunLimits {
        stop_at: Some(0x0427),
        ..RunLimits::default()
    };
    compare(&cpu, &bus, limits, JitConfig::default(), "stop at $0427");
}

/// Bytes loaded at an address.
type Segment = (u16, Vec<u8>);

/// Self-modifying code: an operand patched in a loop, an opcode patched
/// inside the running block, and a routine rewritten wholesale.
#[test]
fn self_modifying_programs_match() {
    #[rustfmt::skip]
    let operand_patch = [
        0xA2, 0x00,       // 0200 LDX #0
        0x8E, 0x08, 0x02, // 0202 loop: STX imm+1   (patches the LDA operand)
        0xEA,             // 0205 NOP
        0xEA,             // 0206 NOP
        0xA9, 0x00,       // 0207 imm: LDA #$00
        0x9D, 0x00, 0x30, // 0209 STA $3000,X
        0xE8,             // 020C INX
        0xD0, 0xF3,       // 020D BNE loop
        0x4C, 0x0F, 0x02, // 020F JMP *
    ];
    #[rustfmt::skip]
    let opcode_patch = [
        0xA0, 0x00,       // 0200 LDY #0
        0xA9, 0xC8,       // 0202 loop: LDA #$C8 (INY)
        0x8D, 0x0A, 0x02, // 0204 STA slot      (rewrites the next-but-one instruction)
        0xEA,             // 0207 NOP
        0xEA,             // 0208 NOP
        0xEA,             // 0209 NOP
        0xE8,             // 020A slot: INX -> INY after the first pass
        0xA9, 0xE8,       // 020B LDA #$E8 (INX)
        0x8D, 0x0A, 0x02, // 020D STA slot      (and back)
        0xC0, 0x40,       // 0210 CPY #$40
        0xD0, 0xEE,       // 0212 BNE loop
        0x4C, 0x14, 0x02, // 0214 JMP *
    ];
    #[rustfmt::skip]
    let routine_rewrite = [
        0xA2, 0x00,       // 0200 LDX #0
        0x20, 0x40, 0x02, // 0202 loop: JSR $0240
        0x8A,             // 0205 TXA
        0x29, 0x01,       // 0206 AND #1
        0xA8,             // 0208 TAY
        0xB9, 0x30, 0x02, // 0209 LDA table,Y   (INC $10 or DEC $10 opcode)
        0x8D, 0x40, 0x02, // 020C STA $0240     (rewrites the routine's opcode)
        0xE8,             // 020F INX
        0xE0, 0x80,       // 0210 CPX #$80
        0xD0, 0xEE,       // 0212 BNE loop
        0x4C, 0x14, 0x02, // 0214 JMP *
    ];
    let mut cases: Vec<(&str, Vec<Segment>)> = vec![
        ("operand patch", vec![(0x0200, operand_patch.to_vec())]),
        ("opcode patch", vec![(0x0200, opcode_patch.to_vec())]),
    ];
    cases.push((
        "routine rewrite",
        vec![
            (0x0200, routine_rewrite.to_vec()),
            (0x0230, vec![0xE6, 0xC6]), // table: INC zp, DEC zp opcodes
            (0x0240, vec![0xE6, 0x10, 0x60]), // routine: INC $10; RTS
        ],
    ));
    for (name, parts) in cases {
        let mut bus = TestBus::flat();
        for (addr, bytes) in &parts {
            bus.load(*addr, bytes);
        }
        let mut cpu = Cpu::new(Variant::Nmos);
        cpu.regs.pc = 0x0200;
        for threshold in [1, 2] {
            let config = JitConfig {
                threshold,
                ..JitConfig::default()
            };
            let (_, stats) = compare(&cpu, &bus, RunLimits::default(), config, name);
            assert!(stats.cache.invalidations > 0, "{name}: {stats}");
            if name == "operand patch" {
                // The first rewrite makes the operand a run-time load: later
                // ones leave generated code running (no code-write exits).
                assert!(stats.exits[2] <= 2, "{name}: {stats}");
            }
        }
    }
}

/// Exits into a block that self-modifying code invalidated are linked
/// again once the block is retranslated: a loop calling a routine that was
/// rewritten once keeps running without the dispatcher.
#[test]
fn invalidated_targets_are_relinked() {
    #[rustfmt::skip]
    let program = [
        0xA2, 0x00,       // 0200 LDX #0
        0x20, 0x40, 0x02, // 0202 loop: JSR $0240
        0xE0, 0x01,       // 0205 CPX #1
        0xD0, 0x05,       // 0207 BNE skip
        0xA9, 0xC6,       // 0209 LDA #$C6 (DEC zp)
        0x8D, 0x40, 0x02, // 020B STA $0240 (rewrites the routine once)
        0xE8,             // 020E skip: INX
        0xE0, 0xC8,       // 020F CPX #200
        0xD0, 0xEF,       // 0211 BNE loop
        0x4C, 0x13, 0x02, // 0213 JMP *
    ];
    let mut bus = TestBus::flat();
    bus.load(0x0200, &program);
    bus.load(0x0240, &[0xE6, 0x10, 0x60]); // INC $10; RTS
    let mut cpu = Cpu::new(Variant::Nmos);
    cpu.regs.pc = 0x0200;
    let config = JitConfig {
        threshold: 1,
        ..JitConfig::default()
    };
    let (_, stats) = compare(&cpu, &bus, RunLimits::default(), config, "relink");
    assert!(stats.cache.invalidations > 0, "{stats}");
    // 200 calls; without relinking each would come back through the
    // dispatcher.
    assert!(stats.entries < 40, "{stats}");
}

/// Random programs (seeded): random bytes with operands steered at zero
/// page, the stack, the code, I/O and ROM; both variants; with and without
/// decimal mode. The number of seeds grows with RETROJIT_FUZZ_SEEDS.
fn fuzz(seeds: u64) {
    for seed in 1..=seeds {
        let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut bus = TestBus::randomized(&mut rng);
        // Code low, high, across a page boundary, and in ROM.
        let base = [0x0200, 0x1300, 0x50C0, 0xA0F0, 0xF100][(seed % 5) as usize];
        random_program(&mut rng, &mut bus, base);
        let variant = if seed % 3 == 0 {
            Variant::Ricoh2A03
        } else {
            Variant::Nmos
        };
        let mut cpu = Cpu::new(variant);
        cpu.regs.pc = base;
        cpu.regs.p = (next(&mut rng) as u8 | 0x20) & !0x10;
        cpu.regs.s = next(&mut rng) as u8;
        let limits = RunLimits {
            max_cycles: 3000,
            stop_on_trap: seed % 2 == 0,
            ..RunLimits::default()
        };
        let config = JitConfig {
            threshold: 1,
            max_block_instructions: [4, 16, 64][(seed % 3) as usize],
            ..JitConfig::default()
        };
        compare(&cpu, &bus, limits, config, &format!("fuzz seed {seed}"));
    }
}

#[test]
fn random_programs_match() {
    fuzz(300);
}

#[test]
#[ignore = "long differential fuzz run; RETROJIT_FUZZ_SEEDS sets the count"]
fn random_programs_match_long() {
    let seeds = std::env::var("RETROJIT_FUZZ_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    fuzz(seeds);
}

/// Bank switching: page $80 shows one of two 256-byte ROM banks, chosen by
/// writing $4000. Each bank holds a different routine at $8000; the program
/// calls it, switches banks, and calls it again, many times. Translated
/// code from the old bank must never run after a switch.
#[test]
fn bank_switched_code_never_runs_stale() {
    #[derive(Clone)]
    struct BankBus {
        memory: MappedMemory,
    }
    const BANKS: u32 = 0x1_0000;
    impl BankBus {
        fn select(&mut self, bank: u8) {
            self.memory
                .map(0x80, PageEntry::rom(BANKS + u32::from(bank & 1) * 0x100));
        }
    }
    impl MappedBus for BankBus {
        fn memory(&self) -> &MappedMemory {
            &self.memory
        }
        fn memory_mut(&mut self) -> &mut MappedMemory {
            &mut self.memory
        }
    }
    impl Bus6502 for BankBus {
        fn read(&mut self, addr: u16) -> u8 {
            self.memory.read(addr).unwrap_or(0)
        }
        fn write(&mut self, addr: u16, value: u8) {
            if addr == 0x4000 {
                self.select(value);
            } else {
                self.memory.write(addr, value);
            }
        }
    }
    let mut memory = MappedMemory::new(0x1_0200);
    for page in 0..=0xFFu8 {
        memory.map(page, PageEntry::ram(u32::from(page) << 8));
    }
    memory.map(0x40, PageEntry::io());
    let mut bus = BankBus { memory };
    let load = |bus: &mut BankBus, addr: usize, bytes: &[u8]| {
        bus.memory.data_mut()[addr..addr + bytes.len()].copy_from_slice(bytes)
    };
    #[rustfmt::skip]
    let main = [
        0xA2, 0x00,       // 0200 LDX #0
        0x8A,             // 0202 loop: TXA
        0x29, 0x01,       // 0203 AND #1
        0x8D, 0x00, 0x40, // 0205 STA $4000   (bank = X & 1)
        0x20, 0x00, 0x80, // 0208 JSR $8000
        0x18,             // 020B CLC
        0x65, 0x10,       // 020C ADC $10
        0x85, 0x10,       // 020E STA $10
        0xE8,             // 0210 INX
        0xD0, 0xEF,       // 0211 BNE loop
        0x4C, 0x13, 0x02, // 0213 JMP *
    ];
    load(&mut bus, 0x0200, &main);
    load(&mut bus, BANKS as usize, &[0xA9, 0x01, 0x60]); // bank 0: LDA #1; RTS
    load(&mut bus, BANKS as usize + 0x100, &[0xA9, 0x03, 0x60]); // bank 1: LDA #3; RTS
    bus.select(0);
    let mut cpu = Cpu::new(Variant::Nmos);
    cpu.regs.pc = 0x0200;
    let limits = RunLimits::default();
    let (mut cpu_i, mut bus_i) = (cpu.clone(), bus.clone());
    let reference = Interpreter.run(&mut cpu_i, &mut bus_i, &limits);
    let mut jit = Jit6502::new(Variant::Nmos, JitConfig::default()).unwrap();
    let outcome = jit.run(&mut cpu, &mut bus, &limits);
    assert_eq!(outcome, reference);
    assert_eq!(cpu.regs, cpu_i.regs);
    // 128 calls of each routine: 128 * 1 + 128 * 3, modulo 256.
    assert_eq!(bus.memory.data()[0x10], ((128 + 128 * 3) % 256) as u8);
    assert!(jit.stats().cache.invalidations > 0, "{}", jit.stats());
}

/// A bus whose IRQ line rises at a fixed cycle and stays up, keeping time
/// by its accesses plus what the JIT reports through `elapse`.
#[derive(Clone)]
struct TimedIrqBus {
    inner: TestBus,
    clock: u64,
    irq_from: u64,
}

impl MappedBus for TimedIrqBus {
    fn memory(&self) -> &MappedMemory {
        &self.inner.memory
    }

    fn memory_mut(&mut self) -> &mut MappedMemory {
        &mut self.inner.memory
    }
}

impl Bus6502 for TimedIrqBus {
    fn read(&mut self, addr: u16) -> u8 {
        self.clock += 1;
        self.inner.read(addr)
    }

    fn write(&mut self, addr: u16, value: u8) {
        self.clock += 1;
        self.inner.write(addr, value);
    }

    fn irq_line(&self) -> bool {
        self.clock >= self.irq_from
    }

    fn elapse(&mut self, cycles: u64) {
        self.clock += cycles;
    }

    fn quiet_cycles(&self) -> u64 {
        if self.clock < self.irq_from {
            self.irq_from - self.clock
        } else {
            u64::MAX
        }
    }
}

#[test]
fn masked_irq_keeps_code_compiled_and_cli_takes_it_exactly() {
    #[rustfmt::skip]
    let program = [
        0x78,             // 0400 SEI
        0xA2, 0x00,       // 0401 LDX #0
        0xA0, 0x20,       // 0403 LDY #$20
        0xE6, 0x10,       // 0405 loop: INC $10
        0xCA,             // 0407 DEX
        0xD0, 0xFB,       // 0408 BNE loop
        0x88,             // 040A DEY
        0xD0, 0xF8,       // 040B BNE loop
        0x08,             // 040D PHP
        0x28,             // 040E PLP      (I stays set)
        0x58,             // 040F CLI
        0xE6, 0x11,       // 0410 INC $11  (runs before the IRQ is taken)
        0x4C, 0x12, 0x04, // 0412 JMP *
    ];
    #[rustfmt::skip]
    let handler = [
        0xA5, 0x10,       // 0500 LDA $10
        0x85, 0x12,       // 0502 STA $12
        0x4C, 0x04, 0x05, // 0504 JMP *
    ];
    let mut inner = TestBus::flat();
    inner.load(0x0400, &program);
    inner.load(0x0500, &handler);
    inner.load(0xFFFE, &[0x00, 0x05]);
    let bus = TimedIrqBus {
        inner,
        clock: 0,
        irq_from: 100,
    };
    let mut cpu = Cpu::new(Variant::Nmos);
    cpu.regs.pc = 0x0400;
    let limits = RunLimits {
        max_cycles: 1_000_000,
        ..RunLimits::default()
    };
    let (mut cpu_i, mut bus_i) = (cpu.clone(), bus.clone());
    let reference = Interpreter.run(&mut cpu_i, &mut bus_i, &limits);
    let (mut cpu_j, mut bus_j) = (cpu, bus);
    let mut jit = Jit6502::new(Variant::Nmos, JitConfig::default()).expect("aarch64");
    let outcome = jit.run(&mut cpu_j, &mut bus_j, &limits);
    assert_eq!(outcome, reference);
    assert_eq!(cpu_j.regs, cpu_i.regs);
    assert_eq!(cpu_i.regs.pc, 0x0504, "the IRQ handler ran");
    assert_eq!(
        bus_i.inner.memory.data()[0x11],
        1,
        "one instruction after CLI"
    );
    assert!(bus_j.inner.memory.data() == bus_i.inner.memory.data());
    assert_eq!(bus_j.clock, bus_i.clock, "the bus saw every cycle");
    let stats = jit.stats();
    assert!(stats.jit_share() > 0.9, "{stats}");
}
