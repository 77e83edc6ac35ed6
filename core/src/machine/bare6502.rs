//! A bare 6502: 64 KiB of RAM and nothing else. Runs test programs such as
//! Klaus Dormann's functional test, which signal the end of a run by
//! jumping or branching to themselves.

use crate::bus::{Bus6502, MappedBus, MappedMemory};
use crate::cpu::mos6502::{Cpu, Registers, Variant};
use crate::engine::{Engine6502, Interpreter, RunLimits, StopReason};

/// The bare machine's bus: a flat, fully mapped 64 KiB RAM.
#[derive(Clone, Debug)]
pub struct FlatBus {
    memory: MappedMemory,
}

impl FlatBus {
    /// 64 KiB of zeroed RAM.
    pub fn new() -> Self {
        Self {
            memory: MappedMemory::flat_ram(),
        }
    }
}

impl Default for FlatBus {
    fn default() -> Self {
        Self::new()
    }
}

impl MappedBus for FlatBus {
    fn memory(&self) -> &MappedMemory {
        &self.memory
    }

    fn memory_mut(&mut self) -> &mut MappedMemory {
        &mut self.memory
    }
}

impl Bus6502 for FlatBus {
    // The map is the identity (page p at offset p * 256) and never
    // changes, so the interpreter indexes the backing store directly; the
    // page table is there for the JIT.
    #[inline(always)]
    fn read(&mut self, addr: u16) -> u8 {
        self.memory.data()[usize::from(addr)]
    }

    #[inline(always)]
    fn write(&mut self, addr: u16, value: u8) {
        self.memory.data_mut()[usize::from(addr)] = value;
    }
}

/// What a run did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RunReport {
    /// Why the run ended.
    pub reason: StopReason,
    /// Registers (and total cycles) at the end.
    pub regs: Registers,
    /// Instructions executed by this run.
    pub instructions: u64,
}

/// A program did not fit in the address space.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{len} bytes loaded at ${addr:04X} run past $FFFF")]
pub struct LoadError {
    /// Load address.
    pub addr: u16,
    /// Length of the image.
    pub len: usize,
}

/// The bare machine: a CPU on a [`FlatBus`].
#[derive(Clone, Debug)]
pub struct Bare6502 {
    /// The processor.
    pub cpu: Cpu,
    /// Its memory.
    pub bus: FlatBus,
}

impl Bare6502 {
    /// A machine with zeroed RAM and PC = 0.
    pub fn new(variant: Variant) -> Self {
        Self {
            cpu: Cpu::new(variant),
            bus: FlatBus::new(),
        }
    }

    /// Copies `image` into RAM at `addr`.
    pub fn load(&mut self, addr: u16, image: &[u8]) -> Result<(), LoadError> {
        let start = usize::from(addr);
        let end = start + image.len();
        if end > 1 << 16 {
            return Err(LoadError {
                addr,
                len: image.len(),
            });
        }
        self.bus.memory_mut().data_mut()[start..end].copy_from_slice(image);
        Ok(())
    }

    /// Runs the interpreter until a trap, the stop address, a JAM or the
    /// cycle limit.
    pub fn run(&mut self, limits: RunLimits) -> RunReport {
        self.run_with(&mut Interpreter, limits)
    }

    /// Runs under `engine` until a trap, the stop address, a JAM or the
    /// cycle limit.
    pub fn run_with<E: Engine6502<FlatBus>>(
        &mut self,
        engine: &mut E,
        limits: RunLimits,
    ) -> RunReport {
        let outcome = engine.run(&mut self.cpu, &mut self.bus, &limits);
        RunReport {
            reason: outcome.reason,
            regs: self.cpu.regs,
            instructions: outcome.instructions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(program: &[u8]) -> Bare6502 {
        let mut m = Bare6502::new(Variant::Nmos);
        m.load(0x0200, program).unwrap();
        m.cpu.regs.pc = 0x0200;
        m
    }

    #[test]
    fn counting_loop_ends_in_trap() {
        // LDX #0; loop: INX; CPX #10; BNE loop; done: JMP done
        let mut m = machine(&[0xA2, 0x00, 0xE8, 0xE0, 0x0A, 0xD0, 0xFB, 0x4C, 0x07, 0x02]);
        let report = m.run(RunLimits::default());
        assert_eq!(report.reason, StopReason::Trap { pc: 0x0207 });
        assert_eq!(report.regs.x, 10);
        // LDX (1) + 10 x (INX, CPX, BNE) + the trapping JMP.
        assert_eq!(report.instructions, 1 + 30 + 1);
        // 2 + 10 x (2 + 2) + 9 taken branches x 3 + 1 untaken x 2 + JMP 3.
        assert_eq!(report.regs.cycles, 2 + 40 + 27 + 2 + 3);
    }

    #[test]
    fn stop_address_is_checked_before_executing() {
        let mut m = machine(&[0xE8, 0xE8, 0xE8]);
        let report = m.run(RunLimits {
            stop_at: Some(0x0202),
            ..RunLimits::default()
        });
        assert_eq!(report.reason, StopReason::ReachedStop { pc: 0x0202 });
        assert_eq!(report.regs.x, 2);
    }

    #[test]
    fn cycle_limit_stops_an_endless_program() {
        // loop: INX; JMP loop
        let mut m = machine(&[0xE8, 0x4C, 0x00, 0x02]);
        let report = m.run(RunLimits {
            max_cycles: 1000,
            ..RunLimits::default()
        });
        assert_eq!(report.reason, StopReason::CycleLimit);
        assert!(report.regs.cycles >= 1000 && report.regs.cycles < 1005);
    }

    #[test]
    fn jam_halts_with_its_opcode() {
        let mut m = machine(&[0xEA, 0x02]);
        let report = m.run(RunLimits::default());
        assert_eq!(
            report.reason,
            StopReason::Jammed {
                opcode: 0x02,
                pc: 0x0201
            }
        );
    }

    #[test]
    fn images_past_the_address_space_are_refused() {
        let mut m = Bare6502::new(Variant::Nmos);
        assert_eq!(
            m.load(0xFFF0, &[0; 17]),
            Err(LoadError {
                addr: 0xFFF0,
                len: 17
            })
        );
        assert!(m.load(0xFFF0, &[0; 16]).is_ok());
    }
}
