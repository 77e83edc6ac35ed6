//! Interpreter tests with small guest programs: cycle counts against the
//! decode table, bus order, decimal mode, interrupt timing, JAM.

use super::decode::{Access, OPCODES};
use super::execute::{Cpu, Interrupt, Step, Variant};
use super::state::{FLAG_B, FLAG_C, FLAG_D, FLAG_I, FLAG_N, FLAG_U, FLAG_V, FLAG_Z};
use crate::bus::Bus6502;
use std::ops::Range;

const START: u16 = 0x0200;
const NMI_HANDLER: u16 = 0x0400;
const IRQ_HANDLER: u16 = 0x0500;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dir {
    R,
    W,
}

/// 64 KiB of RAM with scripted interrupt lines and an access log.
struct TestBus {
    ram: Vec<u8>,
    /// Accesses so far.
    cycle: u64,
    /// IRQ is asserted after the accesses whose 1-based numbers are here.
    irq: Range<u64>,
    /// Likewise for NMI.
    nmi: Range<u64>,
    log: Vec<(Dir, u16, u8)>,
}

impl TestBus {
    fn with_program(program: &[u8]) -> Self {
        let mut ram = vec![0xEA; 0x10000]; // NOP everywhere
        ram[0x0100..0x0200].fill(0);
        let start = usize::from(START);
        ram[start..start + program.len()].copy_from_slice(program);
        ram[0xFFFA..].copy_from_slice(&[0x00, 0x04, 0x00, 0x02, 0x00, 0x05]);
        Self {
            ram,
            cycle: 0,
            irq: 0..0,
            nmi: 0..0,
            log: Vec::new(),
        }
    }

    fn stack(&self, s: u8, depth: u8) -> u8 {
        self.ram[0x0100 + usize::from(s.wrapping_add(depth))]
    }
}

impl Bus6502 for TestBus {
    fn read(&mut self, addr: u16) -> u8 {
        self.cycle += 1;
        let value = self.ram[usize::from(addr)];
        self.log.push((Dir::R, addr, value));
        value
    }

    fn write(&mut self, addr: u16, value: u8) {
        self.cycle += 1;
        self.ram[usize::from(addr)] = value;
        self.log.push((Dir::W, addr, value));
    }

    fn irq_line(&self) -> bool {
        self.irq.contains(&self.cycle)
    }

    fn nmi_line(&self) -> bool {
        self.nmi.contains(&self.cycle)
    }
}

fn cpu_at_start(variant: Variant, p: u8) -> Cpu {
    let mut cpu = Cpu::new(variant);
    cpu.regs.pc = START;
    cpu.regs.s = 0xFD;
    cpu.regs.p = p | FLAG_U;
    cpu
}

/// Bus accesses one step makes.
fn cycles_of(cpu: &mut Cpu, bus: &mut TestBus) -> u64 {
    let before = bus.cycle;
    cpu.step(bus);
    assert_eq!(
        cpu.regs.cycles, bus.cycle,
        "cycle counter equals bus accesses"
    );
    bus.cycle - before
}

#[test]
fn every_opcode_takes_the_cycles_of_its_table_entry() {
    for (code, op) in OPCODES.iter().enumerate() {
        let code = code as u8;
        if op.access == Access::Branch {
            // Taken within the page, taken across it, and not taken.
            for (offset, crosses) in [(0x10u8, false), (0xF0, true)] {
                for p in [0x00, 0xFF] {
                    let mut bus = TestBus::with_program(&[code, offset]);
                    let mut cpu = cpu_at_start(Variant::Nmos, p & !FLAG_I);
                    let cycles = cycles_of(&mut cpu, &mut bus);
                    let taken = cpu.regs.pc != START + 2;
                    let expected =
                        u64::from(op.cycles) + u64::from(taken) + u64::from(taken && crosses);
                    assert_eq!(cycles, expected, "opcode {code:02X} taken={taken}");
                }
            }
            continue;
        }
        for index in [0x00, 0x20] {
            // Operand $12F0: indexing by $20 carries into the high byte.
            let mut bus = TestBus::with_program(&[code, 0xF0, 0x12]);
            bus.ram[0xF0] = 0xF0;
            bus.ram[0xF1] = 0x12;
            let mut cpu = cpu_at_start(Variant::Nmos, FLAG_I);
            cpu.regs.x = index;
            cpu.regs.y = index;
            let crosses = index != 0 && op.mode.is_page_indexed();
            let expected = u64::from(op.cycles) + u64::from(op.page_penalty && crosses);
            assert_eq!(
                cycles_of(&mut cpu, &mut bus),
                expected,
                "opcode {code:02X} index={index:02X}"
            );
        }
    }
}

#[test]
fn indexed_read_modify_write_makes_every_dummy_access() {
    // INC $12F0,X with X=$20.
    let mut bus = TestBus::with_program(&[0xFE, 0xF0, 0x12]);
    bus.ram[0x1310] = 0x41;
    let mut cpu = cpu_at_start(Variant::Nmos, 0);
    cpu.regs.x = 0x20;
    cpu.step(&mut bus);
    let expected = [
        (Dir::R, 0x0200, 0xFE),
        (Dir::R, 0x0201, 0xF0),
        (Dir::R, 0x0202, 0x12),
        (Dir::R, 0x1210, 0xEA), // address before the carry reaches the high byte
        (Dir::R, 0x1310, 0x41),
        (Dir::W, 0x1310, 0x41), // old value written back
        (Dir::W, 0x1310, 0x42),
    ];
    assert_eq!(bus.log, expected);
}

#[test]
fn indexed_read_reads_twice_only_across_a_page() {
    // LDA $12F0,X: X=$0F stays in the page, X=$20 does not.
    for (x, expected) in [(0x0F, vec![0x12FF]), (0x20, vec![0x1210, 0x1310])] {
        let mut bus = TestBus::with_program(&[0xBD, 0xF0, 0x12]);
        let mut cpu = cpu_at_start(Variant::Nmos, 0);
        cpu.regs.x = x;
        cpu.step(&mut bus);
        let operand_reads: Vec<u16> = bus.log[3..].iter().map(|&(_, addr, _)| addr).collect();
        assert_eq!(operand_reads, expected);
    }
}

#[test]
fn reset_takes_seven_cycles_and_loads_the_vector() {
    let mut bus = TestBus::with_program(&[]);
    bus.ram[0xFFFC..0xFFFE].copy_from_slice(&[0x34, 0x12]);
    let mut cpu = Cpu::new(Variant::Nmos);
    cpu.regs.s = 0x00;
    cpu.regs.p = FLAG_U;
    cpu.reset(&mut bus);
    assert_eq!(bus.cycle, 7);
    assert!(
        bus.log.iter().all(|&(dir, _, _)| dir == Dir::R),
        "reset writes nothing"
    );
    assert_eq!(cpu.regs.pc, 0x1234);
    assert_eq!(cpu.regs.s, 0xFD);
    assert_eq!(cpu.regs.p & FLAG_I, FLAG_I);
}

/// Runs `program` with the given status; returns the accumulator and status
/// once the program's `steps` instructions have run.
fn run_program(variant: Variant, program: &[u8], steps: usize) -> (u8, u8) {
    let mut bus = TestBus::with_program(program);
    let mut cpu = cpu_at_start(variant, FLAG_I);
    for _ in 0..steps {
        assert_eq!(cpu.step(&mut bus), Step::Instruction);
    }
    (cpu.regs.a, cpu.regs.p)
}

#[test]
fn decimal_mode_on_nmos_and_binary_on_2a03() {
    // SED; CLC; LDA #$19; ADC #$28; SEC; SBC #$01
    let program = [0xF8, 0x18, 0xA9, 0x19, 0x69, 0x28, 0x38, 0xE9, 0x01];
    assert_eq!(run_program(Variant::Nmos, &program, 5).0, 0x47);
    assert_eq!(run_program(Variant::Nmos, &program, 6).0, 0x46);
    assert_eq!(run_program(Variant::Ricoh2A03, &program, 5).0, 0x41);
    let (a, p) = run_program(Variant::Ricoh2A03, &program, 6);
    assert_eq!(a, 0x40);
    assert_eq!(p & FLAG_D, FLAG_D, "the 2A03 keeps the D flag");
}

#[test]
fn decimal_adc_sets_nmos_flags() {
    // SED; SEC; LDA #$99; ADC #$00 -> $00 with C, N from $A0, Z from $9A.
    let (a, p) = run_program(Variant::Nmos, &[0xF8, 0x38, 0xA9, 0x99, 0x69, 0x00], 4);
    assert_eq!(a, 0x00);
    assert_eq!(p & (FLAG_C | FLAG_Z | FLAG_N | FLAG_V), FLAG_C | FLAG_N);
}

/// Steps until the CPU has taken an interrupt or run `limit` steps;
/// returns the kind and how many instructions ran before it.
fn step_until_interrupt(
    cpu: &mut Cpu,
    bus: &mut TestBus,
    limit: usize,
) -> Option<(Interrupt, usize)> {
    for instructions in 0..limit {
        if let Step::Interrupt(kind) = cpu.step(bus) {
            return Some((kind, instructions));
        }
    }
    None
}

#[test]
fn irq_waits_one_instruction_after_cli() {
    // CLI; NOP; NOP with IRQ asserted all along.
    let mut bus = TestBus::with_program(&[0x58, 0xEA, 0xEA]);
    bus.irq = 0..u64::MAX;
    let mut cpu = cpu_at_start(Variant::Nmos, FLAG_I);
    assert_eq!(
        step_until_interrupt(&mut cpu, &mut bus, 5),
        Some((Interrupt::Irq, 2))
    );
    assert_eq!(cpu.regs.pc, IRQ_HANDLER);
    let pushed_p = bus.stack(cpu.regs.s, 1);
    assert_eq!(
        pushed_p & (FLAG_B | FLAG_U | FLAG_I),
        FLAG_U,
        "IRQ pushes B clear"
    );
    let pushed_pc = u16::from_le_bytes([bus.stack(cpu.regs.s, 2), bus.stack(cpu.regs.s, 3)]);
    assert_eq!(pushed_pc, START + 2, "CLI and one NOP ran");
    assert_eq!(cpu.regs.p & FLAG_I, FLAG_I);
}

#[test]
fn irq_seen_during_sei_is_taken_after_it() {
    // NOP (cycles 1-2); SEI (3-4); NOP.
    for (irq_from, taken) in [(3, true), (4, false)] {
        let mut bus = TestBus::with_program(&[0xEA, 0x78, 0xEA]);
        bus.irq = irq_from..u64::MAX;
        let mut cpu = cpu_at_start(Variant::Nmos, 0);
        let result = step_until_interrupt(&mut cpu, &mut bus, 4);
        if taken {
            assert_eq!(result, Some((Interrupt::Irq, 2)));
            let pushed_p = bus.stack(cpu.regs.s, 1);
            assert_eq!(pushed_p & FLAG_I, FLAG_I, "SEI completed before the IRQ");
        } else {
            assert_eq!(result, None, "asserted only in SEI's last cycle");
        }
    }
}

#[test]
fn plp_delays_the_irq_and_rti_does_not() {
    // PLP (pulls P with I clear); NOP; NOP.
    let mut bus = TestBus::with_program(&[0x28, 0xEA, 0xEA]);
    bus.ram[0x01FE] = FLAG_U;
    bus.irq = 0..u64::MAX;
    let mut cpu = cpu_at_start(Variant::Nmos, FLAG_I);
    assert_eq!(
        step_until_interrupt(&mut cpu, &mut bus, 4),
        Some((Interrupt::Irq, 2))
    );

    // RTI to $0300 with I clear: the IRQ comes before the instruction there.
    let mut bus = TestBus::with_program(&[0x40]);
    bus.ram[0x01FD..0x0200].copy_from_slice(&[FLAG_U, 0x00, 0x03]);
    bus.irq = 0..u64::MAX;
    let mut cpu = cpu_at_start(Variant::Nmos, FLAG_I);
    cpu.regs.s = 0xFC;
    assert_eq!(
        step_until_interrupt(&mut cpu, &mut bus, 3),
        Some((Interrupt::Irq, 1))
    );
    let pushed_pc = u16::from_le_bytes([bus.stack(cpu.regs.s, 2), bus.stack(cpu.regs.s, 3)]);
    assert_eq!(pushed_pc, 0x0300);
}

#[test]
fn interrupt_handler_runs_one_instruction_before_the_next_interrupt() {
    // IRQ handler does CLI first; with the line still asserted the second
    // IRQ comes only after the handler's next instruction.
    let mut bus = TestBus::with_program(&[0xEA]);
    bus.ram[usize::from(IRQ_HANDLER)] = 0x58;
    bus.irq = 0..u64::MAX;
    let mut cpu = cpu_at_start(Variant::Nmos, 0);
    assert_eq!(
        step_until_interrupt(&mut cpu, &mut bus, 2),
        Some((Interrupt::Irq, 1))
    );
    assert_eq!(
        step_until_interrupt(&mut cpu, &mut bus, 4),
        Some((Interrupt::Irq, 2))
    );
}

#[test]
fn nmi_early_in_brk_hijacks_its_vector() {
    // BRK cycles: 1 opcode, 2 padding, 3-5 pushes, 6-7 vector.
    let mut bus = TestBus::with_program(&[0x00, 0xFF]);
    bus.nmi = 4..u64::MAX;
    let mut cpu = cpu_at_start(Variant::Nmos, 0);
    assert_eq!(cpu.step(&mut bus), Step::Instruction);
    assert_eq!(cpu.regs.pc, NMI_HANDLER);
    let pushed_p = bus.stack(cpu.regs.s, 1);
    assert_eq!(pushed_p & FLAG_B, FLAG_B, "still a BRK on the stack");
    let pushed_pc = u16::from_le_bytes([bus.stack(cpu.regs.s, 2), bus.stack(cpu.regs.s, 3)]);
    assert_eq!(pushed_pc, START + 2);
    // The NMI was consumed; the held line does not trigger again.
    assert_eq!(step_until_interrupt(&mut cpu, &mut bus, 5), None);
}

#[test]
fn nmi_late_in_brk_waits_for_one_handler_instruction() {
    let mut bus = TestBus::with_program(&[0x00, 0xFF]);
    bus.nmi = 5..u64::MAX;
    let mut cpu = cpu_at_start(Variant::Nmos, 0);
    assert_eq!(cpu.step(&mut bus), Step::Instruction);
    assert_eq!(cpu.regs.pc, IRQ_HANDLER);
    assert_eq!(cpu.step(&mut bus), Step::Instruction);
    assert_eq!(cpu.step(&mut bus), Step::Interrupt(Interrupt::Nmi));
    assert_eq!(cpu.regs.pc, NMI_HANDLER);
}

#[test]
fn nmi_hijacks_an_irq_sequence() {
    // IRQ polled after the NOP (cycles 1-2); its sequence is cycles 3-9 and
    // an NMI edge by its fourth cycle (6) takes over, pushing B clear.
    let mut bus = TestBus::with_program(&[0xEA]);
    bus.irq = 0..u64::MAX;
    bus.nmi = 6..u64::MAX;
    let mut cpu = cpu_at_start(Variant::Nmos, 0);
    assert_eq!(cpu.step(&mut bus), Step::Instruction);
    assert_eq!(cpu.step(&mut bus), Step::Interrupt(Interrupt::Nmi));
    assert_eq!(cpu.regs.pc, NMI_HANDLER);
    assert_eq!(bus.stack(cpu.regs.s, 1) & FLAG_B, 0);
}

#[test]
fn nmi_is_edge_triggered() {
    let mut bus = TestBus::with_program(&[]);
    bus.nmi = 1..u64::MAX;
    let mut cpu = cpu_at_start(Variant::Nmos, FLAG_I);
    assert_eq!(
        step_until_interrupt(&mut cpu, &mut bus, 3),
        Some((Interrupt::Nmi, 1))
    );
    assert_eq!(step_until_interrupt(&mut cpu, &mut bus, 10), None);
    // Released and asserted again: a second NMI.
    let now = bus.cycle;
    bus.nmi = now + 2..u64::MAX;
    assert!(matches!(
        step_until_interrupt(&mut cpu, &mut bus, 4),
        Some((Interrupt::Nmi, _))
    ));
}

#[test]
fn taken_branch_within_its_page_delays_the_irq() {
    // BNE +0 taken (3 cycles), IRQ asserted from the end of cycle 2: the
    // branch does not poll again, so one more instruction runs first.
    let mut bus = TestBus::with_program(&[0xD0, 0x00, 0xEA, 0xEA]);
    bus.irq = 2..u64::MAX;
    let mut cpu = cpu_at_start(Variant::Nmos, 0);
    assert_eq!(
        step_until_interrupt(&mut cpu, &mut bus, 4),
        Some((Interrupt::Irq, 2))
    );

    // The same across a page (4 cycles) polls before its fix-up cycle.
    let mut bus = TestBus::with_program(&[0xD0, 0xF0]);
    bus.irq = 3..u64::MAX;
    let mut cpu = cpu_at_start(Variant::Nmos, 0);
    assert_eq!(
        step_until_interrupt(&mut cpu, &mut bus, 4),
        Some((Interrupt::Irq, 1))
    );
}

#[test]
fn jam_halts_until_reset() {
    let mut bus = TestBus::with_program(&[0x02]);
    bus.irq = 0..u64::MAX;
    bus.nmi = 1..u64::MAX;
    let mut cpu = cpu_at_start(Variant::Nmos, 0);
    for round in 1..=3 {
        assert_eq!(cpu.step(&mut bus), Step::Jammed);
        assert_eq!(cpu.jammed(), Some(0x02));
        assert_eq!(cpu.regs.pc, START);
        assert_eq!(bus.cycle, 3 * round, "each halted step makes three reads");
    }
    bus.nmi = 0..0;
    bus.irq = 0..0;
    cpu.reset(&mut bus);
    assert_eq!(cpu.jammed(), None);
    assert_eq!(cpu.regs.pc, START);
}

#[test]
fn lxa_uses_the_magic_constant_of_each_chip() {
    // LDA #$00; LXA #$C3
    for (variant, expected) in [(Variant::Nmos, 0xC2), (Variant::Ricoh2A03, 0xC3)] {
        let mut bus = TestBus::with_program(&[0xA9, 0x00, 0xAB, 0xC3]);
        let mut cpu = cpu_at_start(variant, 0);
        cpu.step(&mut bus);
        cpu.step(&mut bus);
        assert_eq!(
            (cpu.regs.a, cpu.regs.x),
            (expected, expected),
            "{variant:?}"
        );
    }
}

#[test]
fn shy_and_shx_across_a_page_follow_each_chip() {
    // SHY $34F8,X with X=$10, Y=$0F and SHX $34F8,Y with Y=$10, X=$0F: base
    // high byte $34, effective address $3508.
    // 2A03: $0F & ($34 + 1) = $05, and $05 becomes the high byte.
    // NMOS (SingleStepTests): $0F & ($35 + 1), at the effective address.
    for (variant, expected) in [
        (Variant::Ricoh2A03, (Dir::W, 0x0508, 0x05)),
        (Variant::Nmos, (Dir::W, 0x3508, 0x06)),
    ] {
        for program in [[0x9C, 0xF8, 0x34], [0x9E, 0xF8, 0x34]] {
            let mut bus = TestBus::with_program(&program);
            let mut cpu = cpu_at_start(variant, 0);
            (cpu.regs.x, cpu.regs.y) = if program[0] == 0x9C {
                (0x10, 0x0F)
            } else {
                (0x0F, 0x10)
            };
            cpu.step(&mut bus);
            assert_eq!(
                bus.log.last(),
                Some(&expected),
                "{variant:?} {program:02X?}"
            );
        }
    }
}
