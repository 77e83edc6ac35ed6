//! Engines: how a machine's CPU executes guest code. The interpreter here
//! is the reference; the translator crate adds the JIT and lockstep engines
//! behind the same trait, so every machine runs under every engine.

use crate::bus::{Bus6502, BusZ80};
use crate::cpu::mos6502::{Cpu, Step};
use crate::cpu::z80;

/// Where a run stops. Every engine honours the same limits at the same
/// instruction boundaries, so results are identical across engines.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RunLimits {
    /// Stop before an instruction that would start at or after this cycle.
    pub max_cycles: u64,
    /// Stop when PC reaches this address, before executing it.
    pub stop_at: Option<u16>,
    /// Stop after an instruction that jumps or branches to itself (the
    /// usual way test programs end).
    pub stop_on_trap: bool,
}

impl Default for RunLimits {
    fn default() -> Self {
        Self {
            max_cycles: u64::MAX,
            stop_at: None,
            stop_on_trap: true,
        }
    }
}

/// Why a run returned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StopReason {
    /// An instruction left PC where it started (`JMP *`, a branch to self).
    Trap {
        /// The address of the trapping instruction.
        pc: u16,
    },
    /// PC reached the requested stop address (before executing it).
    ReachedStop {
        /// The stop address.
        pc: u16,
    },
    /// The cycle limit was reached.
    CycleLimit,
    /// The lockstep engine found the JIT and the interpreter disagreeing
    /// (its report says how).
    Diverged {
        /// PC where the difference was seen.
        pc: u16,
    },
    /// The CPU executed a JAM opcode and halted.
    Jammed {
        /// The JAM opcode.
        opcode: u8,
        /// Where it was fetched.
        pc: u16,
    },
}

/// What a run did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RunOutcome {
    /// Why it ended.
    pub reason: StopReason,
    /// Instructions executed (interrupt sequences not counted).
    pub instructions: u64,
}

/// Executes 6502 code on a bus of type `B`.
pub trait Engine6502<B: Bus6502> {
    /// Runs `cpu` on `bus` until one of `limits` is met.
    fn run(&mut self, cpu: &mut Cpu, bus: &mut B, limits: &RunLimits) -> RunOutcome;

    /// Instructions run as translated code so far (None for engines that
    /// do not translate).
    fn translated_instructions(&self) -> Option<u64> {
        None
    }

    /// Guest memory changed behind the engine's back as a whole (a saved
    /// state was loaded): drop everything derived from it.
    fn forget_code(&mut self) {}
}

/// The cycle-exact interpreter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Interpreter;

impl Interpreter {
    /// Executes one instruction (or interrupt sequence) and tells whether
    /// the run must stop after it. `before` is PC before the step.
    #[inline(always)]
    pub fn step<B: Bus6502>(
        cpu: &mut Cpu,
        bus: &mut B,
        limits: &RunLimits,
        instructions: &mut u64,
    ) -> Option<StopReason> {
        let pc = cpu.regs.pc;
        match cpu.step(bus) {
            Step::Instruction => {
                *instructions += 1;
                (limits.stop_on_trap && cpu.regs.pc == pc).then_some(StopReason::Trap { pc })
            }
            Step::Interrupt(_) => None,
            Step::Jammed => Some(StopReason::Jammed {
                opcode: cpu.jammed().unwrap_or(0),
                pc,
            }),
        }
    }

    /// The checks made before every instruction.
    #[inline(always)]
    pub fn check_limits(cpu: &Cpu, limits: &RunLimits) -> Option<StopReason> {
        if limits.stop_at == Some(cpu.regs.pc) {
            Some(StopReason::ReachedStop { pc: cpu.regs.pc })
        } else if cpu.regs.cycles >= limits.max_cycles {
            Some(StopReason::CycleLimit)
        } else {
            None
        }
    }
}

impl<B: Bus6502> Engine6502<B> for Interpreter {
    fn run(&mut self, cpu: &mut Cpu, bus: &mut B, limits: &RunLimits) -> RunOutcome {
        let mut instructions = 0;
        let reason = loop {
            if let Some(reason) = Self::check_limits(cpu, limits) {
                break reason;
            }
            if let Some(reason) = Self::step(cpu, bus, limits, &mut instructions) {
                break reason;
            }
        };
        RunOutcome {
            reason,
            instructions,
        }
    }
}

/// Where a Z80 run stops. As for the 6502, every engine honours the limits
/// at the same instruction boundaries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Z80Limits {
    /// Stop once this many instructions have run.
    pub max_instructions: u64,
    /// Stop before an instruction that would start at or after this
    /// T-state.
    pub max_tstates: u64,
    /// Stop before an instruction at an address below this one (a
    /// machine's trap area, such as CP/M's warm boot and BDOS entry); 0
    /// for none.
    pub stop_below: u16,
    /// Stop before an instruction at these addresses (a machine's traps
    /// elsewhere, such as the Spectrum ROM's tape loader).
    pub stop_at: [Option<u16>; 2],
}

impl Z80Limits {
    /// At most `n` instructions, no other limit.
    pub const fn instructions(n: u64) -> Self {
        Self {
            max_instructions: n,
            max_tstates: u64::MAX,
            stop_below: 0,
            stop_at: [None; 2],
        }
    }
}

/// Why a Z80 run returned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Z80StopReason {
    /// PC went below [`Z80Limits::stop_below`].
    ReachedStop {
        /// The PC.
        pc: u16,
    },
    /// [`Z80Limits::max_instructions`] instructions ran.
    InstructionLimit,
    /// The clock reached [`Z80Limits::max_tstates`].
    TstateLimit,
    /// The lockstep engine found the JIT and the interpreter disagreeing.
    Diverged {
        /// PC where the difference was seen.
        pc: u16,
    },
}

/// What a Z80 run did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Z80Outcome {
    /// Why it ended.
    pub reason: Z80StopReason,
    /// Instructions executed.
    pub instructions: u64,
}

/// Executes Z80 code on a bus of type `B`.
pub trait EngineZ80<B: BusZ80> {
    /// Runs `cpu` on `bus` until one of `limits` is met.
    fn run(&mut self, cpu: &mut z80::Cpu, bus: &mut B, limits: &Z80Limits) -> Z80Outcome;

    /// Instructions run as translated code so far (None for engines that
    /// do not translate).
    fn translated_instructions(&self) -> Option<u64> {
        None
    }

    /// Guest memory changed behind the engine's back (a snapshot, an
    /// instant tape load): drop everything derived from it.
    fn forget_code(&mut self) {}
}

impl Z80Limits {
    /// The check made before every instruction.
    #[inline(always)]
    pub fn check(&self, regs: &z80::Registers, instructions: u64) -> Option<Z80StopReason> {
        let pc = regs.pc;
        if pc < self.stop_below || self.stop_at.contains(&Some(pc)) {
            Some(Z80StopReason::ReachedStop { pc })
        } else if instructions >= self.max_instructions {
            Some(Z80StopReason::InstructionLimit)
        } else if regs.tstates >= self.max_tstates {
            Some(Z80StopReason::TstateLimit)
        } else {
            None
        }
    }
}

impl<B: BusZ80> EngineZ80<B> for Interpreter {
    fn run(&mut self, cpu: &mut z80::Cpu, bus: &mut B, limits: &Z80Limits) -> Z80Outcome {
        let mut instructions = 0;
        let reason = loop {
            if let Some(reason) = limits.check(&cpu.regs, instructions) {
                break reason;
            }
            cpu.step(bus);
            instructions += 1;
        };
        Z80Outcome {
            reason,
            instructions,
        }
    }
}
