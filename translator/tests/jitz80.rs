//! The Z80 JIT against the interpreter: the built-in CRC-16 program on the
//! CP/M machine, a self-modifying loop, port cycles on a bus with wait
//! states, and random programs in lockstep
//! (registers, MEMPTR, Q, R, T-states and memory compared after every
//! block). The CP/M exercisers (prelim, zexdoc, zexall) run from the
//! roms-test manifest.
#![cfg(any(target_arch = "aarch64", target_arch = "x86_64"))]

use retrojit_core::bus::{BusZ80, MappedBus, MappedMemory, Z80Cycle};
use retrojit_core::cpu::z80::Cpu;
use retrojit_core::engine::{EngineZ80, Interpreter, Z80Limits, Z80Outcome, Z80StopReason};
use retrojit_core::machine::cpm::{Cpm, Exit, Ram64};
use retrojit_core::programs;
use retrojit_translator::engine::lockstep_z80::LockstepZ80;
use retrojit_translator::engine::mos6502::{JitConfig, JitStats};
use retrojit_translator::engine::z80::JitZ80;

fn eager() -> JitConfig {
    JitConfig {
        threshold: 1,
        ..JitConfig::default()
    }
}

/// Runs `cpu`/`ram` under the interpreter and the JIT; asserts identical
/// results and returns the JIT's outcome.
fn compare(cpu: &Cpu, ram: &Ram64, limits: Z80Limits, what: &str) -> (Z80Outcome, JitZ80) {
    let (mut cpu_i, mut ram_i) = (cpu.clone(), ram.clone());
    let reference = Interpreter.run(&mut cpu_i, &mut ram_i, &limits);
    let (mut cpu_j, mut ram_j) = (cpu.clone(), ram.clone());
    let mut jit = JitZ80::new(eager()).expect("this host has a backend");
    let outcome = jit.run(&mut cpu_j, &mut ram_j, &limits);
    assert_eq!(outcome, reference, "{what}: stop reason and instructions");
    assert_eq!(cpu_j.regs, cpu_i.regs, "{what}: registers");
    assert!(ram_j.bytes() == ram_i.bytes(), "{what}: memory");
    (outcome, jit)
}

#[test]
fn crc_program_matches_the_interpreter_and_runs_translated() {
    let program = programs::crc16_z80(3);
    let run = |engine: &mut dyn FnMut(&mut Cpm) -> Exit| {
        let mut machine = Cpm::load(program.name, &program.image).unwrap();
        assert_eq!(engine(&mut machine), Exit::WarmBoot);
        machine
    };
    let reference = run(&mut |m| m.run_for(u64::MAX, &mut Vec::new()).unwrap());
    let mut jit = JitZ80::new(eager()).unwrap();
    let translated = run(&mut |m| m.run_for_with(&mut jit, u64::MAX, &mut Vec::new()).unwrap());
    assert_eq!(translated.cpu.regs, reference.cpu.regs);
    assert_eq!(translated.stats(), reference.stats());
    assert!(translated.ram.bytes() == reference.ram.bytes());
    let at = usize::from(programs::CRC16_Z80_RESULT);
    let crc = u16::from_le_bytes([translated.ram.bytes()[at], translated.ram.bytes()[at + 1]]);
    assert_eq!(crc, programs::crc16_z80_reference(3));
    let stats = jit.stats();
    assert!(
        stats.jit_share() > 0.95,
        "most of the loop runs translated: {stats}"
    );
    assert!(stats.cache.links > 0, "blocks are linked: {stats}");

    let mut lockstep = LockstepZ80::new(eager()).unwrap();
    run(&mut |m| {
        m.run_for_with(&mut lockstep, u64::MAX, &mut Vec::new())
            .unwrap()
    });
    assert_eq!(lockstep.divergence(), None);
}

#[test]
fn budgets_stop_on_the_same_instruction() {
    let program = programs::crc16_z80(1);
    for budget in [1, 2, 7, 100, 1001, 5000] {
        let mut machine = Cpm::load(program.name, &program.image).unwrap();
        let limits = Z80Limits {
            stop_below: 6,
            ..Z80Limits::instructions(budget)
        };
        let (outcome, _) = compare(&machine.cpu, &machine.ram, limits, "budget");
        assert_eq!(outcome.instructions, budget);
        let mut jit = JitZ80::new(eager()).unwrap();
        jit.run(&mut machine.cpu, &mut machine.ram, &limits);
    }
}

/// 64 KiB of RAM holding `code` at $0100.
fn ram_with(code: &[u8]) -> Ram64 {
    let mut ram = Ram64::new();
    ram.bytes_mut()[0x100..0x100 + code.len()].copy_from_slice(code);
    ram
}

/// Runs the program at $0100 of `ram` until it jumps to 0 (at most
/// `budget` instructions) under the interpreter and the JIT, compared, and
/// returns the JIT's counters.
fn run_to_zero(ram: &Ram64, budget: u64, what: &str) -> JitStats {
    let mut cpu = Cpu::new();
    cpu.regs.pc = 0x0100;
    cpu.regs.sp = 0xFE00;
    let limits = Z80Limits {
        stop_below: 1,
        ..Z80Limits::instructions(budget)
    };
    let (outcome, jit) = compare(&cpu, ram, limits, what);
    assert_eq!(
        outcome.reason,
        Z80StopReason::ReachedStop { pc: 0 },
        "{what}"
    );
    jit.stats()
}

/// LD B,0 / loop: LD A,n (n rewritten) / ADD A,B / LD (loop+1),A / DJNZ
/// loop / JP 0: each pass stores into the LD's operand, which the JIT
/// first compiles as a constant and then reads at run time.
#[test]
fn self_modified_operands_are_followed() {
    let code = [
        0x06, 0x00, // 0100 LD B,0
        0x3E, 0x01, // 0102 LD A,1
        0x80, // 0104 ADD A,B
        0x32, 0x03, 0x01, // 0105 LD ($0103),A
        0x10, 0xF8, // 0108 DJNZ $0102
        0xC3, 0x00, 0x00, // 010A JP 0
    ];
    let stats = run_to_zero(&ram_with(&code), 100_000, "self-modifying loop");
    assert!(stats.jit_instructions > 0, "{stats}");
    assert!(
        stats.exits[2] > 0,
        "stores into code leave the block: {stats}"
    );
}

/// A loop that flips one of its own opcodes between INC A and INC B every
/// pass: after the first rewrite that instruction is left to the
/// interpreter and the rest of the loop stays translated, instead of
/// being retranslated on every pass.
#[test]
fn rewritten_opcodes_go_to_the_interpreter() {
    let code = [
        0x06, 0x00, // 0100 LD B,0
        0x3A, 0x0B, 0x01, // 0102 LD A,($010B)
        0xEE, 0x38, // 0105 XOR $38 (INC A <-> INC B)
        0x32, 0x0B, 0x01, // 0107 LD ($010B),A
        0x00, // 010A NOP
        0x3C, // 010B INC A (rewritten)
        0x0C, // 010C INC C
        0x20, 0xF3, // 010D JR NZ,$0102
        0xC3, 0x00, 0x00, // 010F JP 0
    ];
    let stats = run_to_zero(&ram_with(&code), 100_000, "opcode rewrite");
    assert!(stats.cache.dynamic_opcodes >= 1, "{stats}");
    assert_eq!(stats.cache.hot_pages, 0, "{stats}");
    assert!(
        stats.cache.invalidations < 8,
        "not retranslated every pass: {stats}"
    );
    assert!(stats.jit_share() > 0.5, "{stats}");
}

/// A loop that stores into its own code the byte already there: the
/// first such store leaves its block, after which the byte is read at
/// run time and the stores no longer leave.
#[test]
fn stores_of_the_same_value_into_code_stop_leaving_blocks() {
    let code = [
        0x3A, 0x08, 0x01, // 0100 LD A,($0108)
        0x32, 0x08, 0x01, // 0103 LD ($0108),A
        0x0C, // 0106 INC C
        0x3E, 0x05, // 0107 LD A,5 (its operand stored over)
        0x20, 0xF5, // 0109 JR NZ,$0100
        0xC3, 0x00, 0x00, // 010B JP 0
    ];
    let stats = run_to_zero(&ram_with(&code), 100_000, "same-value stores");
    assert!(
        stats.exits[2] < 8,
        "256 stores, few code-write exits: {stats}"
    );
    assert!(stats.jit_share() > 0.8, "{stats}");
}

/// CPIR finds a byte in a table, CPDR searches back for one that is not
/// there: both repeat as linked host loops, with the interpreter's flags,
/// MEMPTR and T-states.
#[test]
fn block_searches_loop_in_generated_code() {
    let code = [
        0x21, 0x00, 0x02, // 0100 LD HL,$0200
        0x01, 0x00, 0x01, // 0103 LD BC,$0100
        0x3E, 0x99, // 0106 LD A,$99
        0xED, 0xB1, // 0108 CPIR (stops after the first $99)
        0x21, 0xFF, 0x02, // 010A LD HL,$02FF
        0x01, 0x80, 0x00, // 010D LD BC,$0080
        0x3E, 0x01, // 0110 LD A,$01
        0xED, 0xB9, // 0112 CPDR (no match: runs BC out)
        0xC3, 0x00, 0x00, // 0114 JP 0
    ];
    let mut ram = ram_with(&code);
    for (i, byte) in ram.bytes_mut()[0x200..0x300].iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(7) | 0x80;
    }
    ram.bytes_mut()[0x2C7] = 0x99;
    let stats = run_to_zero(&ram, 10_000, "CPIR/CPDR");
    assert!(stats.jit_share() > 0.95, "{stats}");
    assert!(stats.entries < 20, "the repeats are linked: {stats}");
}

/// LD HL,$0200 / LD DE,$0300 / LD BC,$0100 / LDIR / LDDR back over it /
/// JP 0: each repeat is a pass of a block that branches to itself, so the
/// copy runs as a linked host loop.
#[test]
fn block_copies_loop_in_generated_code() {
    let code = [
        0x21, 0x00, 0x02, // LD HL,$0200
        0x11, 0x00, 0x03, // LD DE,$0300
        0x01, 0x00, 0x01, // LD BC,$0100
        0xED, 0xB0, // LDIR
        0x21, 0xFF, 0x03, // LD HL,$03FF
        0x11, 0x7F, 0x04, // LD DE,$047F
        0x01, 0x80, 0x00, // LD BC,$0080
        0xED, 0xB8, // LDDR
        0xC3, 0x00, 0x00, // JP 0
    ];
    let mut ram = ram_with(&code);
    for (i, byte) in ram.bytes_mut()[0x200..0x300].iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(7);
    }
    let stats = run_to_zero(&ram, 10_000, "LDIR/LDDR");
    assert!(stats.jit_share() > 0.95, "{stats}");
    assert!(stats.entries < 20, "the repeats are linked: {stats}");
}

/// A bus whose ports answer with values that depend on the port and the
/// T-state and insert wait states that do too (0 to 6, as the ZX
/// Spectrum's ULA does), and that logs every port cycle.
#[derive(Clone)]
struct PortBus {
    ram: Ram64,
    log: Vec<(&'static str, u16, u8, u64)>,
}

impl BusZ80 for PortBus {
    fn fetch_opcode(&mut self, addr: u16, refresh: u16, now: u64) -> u8 {
        self.ram.fetch_opcode(addr, refresh, now)
    }
    fn read(&mut self, addr: u16, now: u64) -> u8 {
        self.ram.read(addr, now)
    }
    fn write(&mut self, addr: u16, value: u8, now: u64) {
        self.ram.write(addr, value, now);
    }
    fn port_in(&mut self, port: u16, now: u64) -> u8 {
        let value = (port >> 8) as u8 ^ (now as u8).rotate_left(3) ^ port as u8;
        self.log.push(("in", port, value, now));
        value
    }
    fn port_out(&mut self, port: u16, value: u8, now: u64) {
        self.log.push(("out", port, value, now));
    }
    fn wait_states(&mut self, kind: Z80Cycle, addr: u16, now: u64) -> u32 {
        match kind {
            Z80Cycle::PortIn | Z80Cycle::PortOut => ((u64::from(addr) ^ now) % 7) as u32,
            _ => 0,
        }
    }
}

impl MappedBus for PortBus {
    fn memory(&self) -> &MappedMemory {
        self.ram.memory()
    }
    fn memory_mut(&mut self) -> &mut MappedMemory {
        self.ram.memory_mut()
    }
}

/// Runs the program at $0100 until it jumps to 0 on a [`PortBus`] under
/// the interpreter, the JIT and lockstep: registers (T-states included),
/// memory and the port logs must match cycle for cycle. Returns the JIT's
/// counters and the number of port cycles.
fn run_with_ports(code: &[u8], what: &str) -> (JitStats, usize) {
    let bus = PortBus {
        ram: ram_with(code),
        log: Vec::new(),
    };
    let mut cpu = Cpu::new();
    cpu.regs.pc = 0x0100;
    cpu.regs.sp = 0xFE00;
    let limits = Z80Limits {
        stop_below: 1,
        ..Z80Limits::instructions(10_000)
    };
    let (mut cpu_i, mut bus_i) = (cpu.clone(), bus.clone());
    let reference = Interpreter.run(&mut cpu_i, &mut bus_i, &limits);
    assert_eq!(
        reference.reason,
        Z80StopReason::ReachedStop { pc: 0 },
        "{what}"
    );
    let (mut cpu_j, mut bus_j) = (cpu.clone(), bus.clone());
    let mut jit = JitZ80::new(eager()).unwrap();
    let outcome = jit.run(&mut cpu_j, &mut bus_j, &limits);
    assert_eq!(outcome, reference, "{what}");
    assert_eq!(cpu_j.regs, cpu_i.regs, "{what}");
    assert!(bus_j.ram.bytes() == bus_i.ram.bytes(), "{what}");
    assert_eq!(bus_j.log, bus_i.log, "{what}");

    let mut lockstep = LockstepZ80::new(eager()).unwrap();
    let (mut cpu_l, mut bus_l) = (cpu.clone(), bus.clone());
    lockstep.run(&mut cpu_l, &mut bus_l, &limits);
    assert_eq!(lockstep.divergence(), None, "{what}");
    assert_eq!(bus_l.log, bus_i.log, "{what}");
    (jit.stats(), bus_i.log.len())
}

/// IN A,(n), IN r,(C), IN F,(C), OUT (n),A, OUT (C),r and OUT (C),0 in a
/// loop, on a bus whose port values and wait states depend on the
/// T-state: generated code calls the bus at the interpreter's T-states
/// (the logs match cycle for cycle) and adds the waits it reports.
#[test]
fn port_cycles_run_in_generated_code_at_the_interpreters_t_states() {
    let code = [
        0x06, 0x28, // 0100 LD B,40
        0x0E, 0xFE, // 0102 LD C,$FE
        0x21, 0x00, 0x02, // 0104 LD HL,$0200
        0xDB, 0x1F, // 0107 IN A,($1F)
        0x80, // 0109 ADD A,B
        0xED, 0x79, // 010A OUT (C),A
        0xED, 0x58, // 010C IN E,(C)
        0x73, // 010E LD (HL),E
        0x23, // 010F INC HL
        0x7B, // 0110 LD A,E
        0xD3, 0x7F, // 0111 OUT ($7F),A
        0xED, 0x70, // 0113 IN F,(C)
        0xED, 0x71, // 0115 OUT (C),0
        0x10, 0xEE, // 0117 DJNZ $0107
        0xC3, 0x00, 0x00, // 0119 JP 0
    ];
    let (stats, ports) = run_with_ports(&code, "IN/OUT loop");
    assert_eq!(ports, 40 * 6);
    assert!(
        stats.jit_share() > 0.9,
        "the port instructions run translated: {stats}"
    );
}

/// INIR, OTIR, INDR, OTDR, INI and OUTD: the repeats loop in generated
/// code (a block branching to itself), with the interpreter's flags
/// (including a repeat's), MEMPTR, T-states and port cycles.
#[test]
fn block_port_transfers_loop_in_generated_code() {
    let code = [
        0x21, 0x00, 0x02, // 0100 LD HL,$0200
        0x01, 0xFE, 0x20, // 0103 LD BC,$20FE
        0xED, 0xB2, // 0106 INIR
        0x21, 0x00, 0x02, // 0108 LD HL,$0200
        0x06, 0x20, // 010B LD B,$20
        0xED, 0xB3, // 010D OTIR
        0x21, 0x1F, 0x02, // 010F LD HL,$021F
        0x01, 0x7F, 0x10, // 0112 LD BC,$107F
        0xED, 0xBA, // 0115 INDR
        0x06, 0x08, // 0117 LD B,8
        0xED, 0xBB, // 0119 OTDR
        0xED, 0xA2, // 011B INI
        0xED, 0xAB, // 011D OUTD
        0xC3, 0x00, 0x00, // 011F JP 0
    ];
    let (stats, ports) = run_with_ports(&code, "INIR/OTIR/INDR/OTDR");
    assert_eq!(ports, 0x20 + 0x20 + 0x10 + 8 + 2);
    assert!(stats.jit_share() > 0.95, "{stats}");
    assert!(stats.entries < 30, "the repeats are linked: {stats}");
}

fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Random memory and registers, run in lockstep: every block is checked
/// against the interpreter. Random code reaches every page and prefix,
/// stores into code, and pushes and pops through the stack.
fn random_lockstep(seeds: std::ops::Range<u64>, instructions: u64) {
    let (mut translated, mut total) = (0, 0);
    for seed in seeds {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut ram = Ram64::new();
        for byte in ram.bytes_mut().iter_mut() {
            *byte = next(&mut s) as u8;
        }
        let mut cpu = Cpu::new();
        let r = &mut cpu.regs;
        let mut word = || next(&mut s) as u16;
        (r.pc, r.sp, r.ix, r.iy, r.wz) = (word(), word(), word(), word(), word());
        (r.af_alt, r.bc_alt, r.de_alt, r.hl_alt) = (word(), word(), word(), word());
        r.set_af(word());
        r.set_bc(word());
        r.set_de(word());
        r.set_hl(word());
        r.r = word() as u8;
        r.q = word() as u8;
        let mut lockstep = LockstepZ80::new(eager()).unwrap();
        let limits = Z80Limits::instructions(instructions);
        let outcome = lockstep.run(&mut cpu, &mut ram, &limits);
        assert_eq!(
            lockstep.divergence(),
            None,
            "seed {seed}: {:?}",
            outcome.reason
        );
        assert_eq!(outcome.reason, Z80StopReason::InstructionLimit);
        translated += lockstep.jit().stats().jit_instructions;
        total += outcome.instructions;
    }
    // Random code runs into I/O, interrupt control and block instructions
    // often; still, a good part of it runs translated.
    assert!(
        translated * 3 > total,
        "{translated} of {total} instructions translated"
    );
}

#[test]
fn random_programs_run_in_lockstep() {
    random_lockstep(0..400, 5000);
}

#[test]
#[ignore = "long: cargo test --release -- --ignored"]
fn random_programs_run_in_lockstep_long() {
    random_lockstep(1000..6000, 20_000);
}
