//! Engines that run guest code: the interpreter (from core), the JIT and
//! lockstep, chosen at run time by [`EngineKind`].

mod call;
pub mod context;
mod debug;

pub use debug::JitDebug;
pub mod lockstep;
pub mod lockstep_z80;
pub mod mos6502;
pub mod z80;

use lockstep::Lockstep6502;
use lockstep_z80::LockstepZ80;
use mos6502::{Jit6502, JitConfig, JitError, JitStats};
use retrojit_core::bus::{Bus6502, BusZ80, MappedBus};
use retrojit_core::cpu::mos6502::{Cpu, Variant};
use retrojit_core::engine::{
    Engine6502, EngineZ80, Interpreter, RunLimits, RunOutcome, Z80Limits, Z80Outcome,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use z80::JitZ80;

/// How guest code is executed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum EngineKind {
    /// The cycle-exact interpreter (the reference).
    #[serde(rename = "interp")]
    Interp,
    /// The dynamic binary translator.
    #[serde(rename = "jit")]
    Jit,
    /// JIT and interpreter side by side, compared after every block.
    #[serde(rename = "lockstep")]
    Lockstep,
}

impl EngineKind {
    /// Every engine, in the order help texts list them.
    pub const ALL: [EngineKind; 3] = [EngineKind::Interp, EngineKind::Jit, EngineKind::Lockstep];

    /// The name the CLI and reports use.
    pub const fn name(self) -> &'static str {
        match self {
            EngineKind::Interp => "interp",
            EngineKind::Jit => "jit",
            EngineKind::Lockstep => "lockstep",
        }
    }

    /// `Err` with the reason when this host cannot run the engine.
    pub fn ensure_available(self) -> Result<(), JitError> {
        match self {
            EngineKind::Interp => Ok(()),
            EngineKind::Jit | EngineKind::Lockstep if crate::jitmem::Isa::HOST.is_some() => Ok(()),
            _ => Err(JitError::UnsupportedHost),
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EngineKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| format!("unknown engine `{s}` (interp, jit or lockstep)"))
    }
}

/// A 6502 engine of any kind.
#[derive(Debug)]
pub enum Engine6502Any {
    /// The interpreter.
    Interp(Interpreter),
    /// The JIT.
    Jit(Box<Jit6502>),
    /// Lockstep.
    Lockstep(Box<Lockstep6502>),
}

impl Engine6502Any {
    /// Builds the engine `kind` for `variant`.
    pub fn new(kind: EngineKind, variant: Variant, config: JitConfig) -> Result<Self, JitError> {
        Ok(match kind {
            EngineKind::Interp => Self::Interp(Interpreter),
            EngineKind::Jit => Self::Jit(Box::new(Jit6502::new(variant, config)?)),
            EngineKind::Lockstep => Self::Lockstep(Box::new(Lockstep6502::new(variant, config)?)),
        })
    }

    /// The JIT inside, for engines that translate.
    pub fn jit_mut(&mut self) -> Option<&mut Jit6502> {
        match self {
            Self::Interp(_) => None,
            Self::Jit(jit) => Some(jit),
            Self::Lockstep(lockstep) => Some(lockstep.jit_mut()),
        }
    }

    /// The translator's debugging output, for the engines that translate.
    pub fn debug_mut(&mut self) -> Option<&mut JitDebug> {
        self.jit_mut().map(Jit6502::debug_mut)
    }

    /// Translator counters, for the engines that translate.
    pub fn stats(&self) -> Option<JitStats> {
        match self {
            Self::Interp(_) => None,
            Self::Jit(jit) => Some(jit.stats()),
            Self::Lockstep(lockstep) => Some(lockstep.jit().stats()),
        }
    }

    /// Tells translating engines that something other than the CPU wrote
    /// guest memory at `addr`.
    pub fn memory_written(
        &mut self,
        addr: u16,
        memory: &retrojit_core::bus::MappedMemory,
    ) -> Result<(), JitError> {
        match self {
            Self::Interp(_) => Ok(()),
            Self::Jit(jit) => Ok(jit.memory_written(addr, memory)?),
            Self::Lockstep(lockstep) => Ok(lockstep.jit_mut().memory_written(addr, memory)?),
        }
    }

    /// The lockstep report of the last run, if it diverged.
    pub fn divergence(&self) -> Option<&str> {
        match self {
            Self::Lockstep(lockstep) => lockstep.divergence(),
            _ => None,
        }
    }
}

impl<B: Bus6502 + MappedBus + Clone> Engine6502<B> for Engine6502Any {
    fn run(&mut self, cpu: &mut Cpu, bus: &mut B, limits: &RunLimits) -> RunOutcome {
        match self {
            Self::Interp(e) => Engine6502::run(e, cpu, bus, limits),
            Self::Jit(e) => e.run(cpu, bus, limits),
            Self::Lockstep(e) => e.run(cpu, bus, limits),
        }
    }

    fn translated_instructions(&self) -> Option<u64> {
        self.stats().map(|s| s.jit_instructions)
    }

    fn forget_code(&mut self) {
        if let Some(jit) = self.jit_mut() {
            jit.forget_translations();
        }
    }
}

/// A Z80 engine of any kind (for buses without wait states: the CP/M
/// machine, the SingleStepTests bus).
#[derive(Debug)]
pub enum EngineZ80Any {
    /// The interpreter.
    Interp(Interpreter),
    /// The JIT.
    Jit(Box<JitZ80>),
    /// Lockstep.
    Lockstep(Box<LockstepZ80>),
}

impl EngineZ80Any {
    /// Builds the engine `kind`.
    pub fn new(kind: EngineKind, config: JitConfig) -> Result<Self, JitError> {
        Ok(match kind {
            EngineKind::Interp => Self::Interp(Interpreter),
            EngineKind::Jit => Self::Jit(Box::new(JitZ80::new(config)?)),
            EngineKind::Lockstep => Self::Lockstep(Box::new(LockstepZ80::new(config)?)),
        })
    }

    /// Translator counters, for the engines that translate.
    pub fn stats(&self) -> Option<JitStats> {
        match self {
            Self::Interp(_) => None,
            Self::Jit(jit) => Some(jit.stats()),
            Self::Lockstep(lockstep) => Some(lockstep.jit().stats()),
        }
    }

    /// The translator's debugging output, for the engines that translate.
    pub fn debug_mut(&mut self) -> Option<&mut JitDebug> {
        match self {
            Self::Interp(_) => None,
            Self::Jit(jit) => Some(jit.debug_mut()),
            Self::Lockstep(lockstep) => Some(lockstep.jit_mut().debug_mut()),
        }
    }

    /// The lockstep report of the last run, if it diverged.
    pub fn divergence(&self) -> Option<&str> {
        match self {
            Self::Lockstep(lockstep) => lockstep.divergence(),
            _ => None,
        }
    }

    /// Tells translating engines that something other than the CPU wrote
    /// guest memory at `addr`.
    pub fn memory_written(
        &mut self,
        addr: u16,
        memory: &retrojit_core::bus::MappedMemory,
    ) -> Result<(), JitError> {
        match self {
            Self::Interp(_) => Ok(()),
            Self::Jit(jit) => Ok(jit.memory_written(addr, memory)?),
            Self::Lockstep(lockstep) => Ok(lockstep.jit_mut().memory_written(addr, memory)?),
        }
    }
}

impl<B: BusZ80 + MappedBus + Clone> EngineZ80<B> for EngineZ80Any {
    fn run(
        &mut self,
        cpu: &mut retrojit_core::cpu::z80::Cpu,
        ram: &mut B,
        limits: &Z80Limits,
    ) -> Z80Outcome {
        match self {
            Self::Interp(e) => EngineZ80::run(e, cpu, ram, limits),
            Self::Jit(e) => e.run(cpu, ram, limits),
            Self::Lockstep(e) => e.run(cpu, ram, limits),
        }
    }

    fn translated_instructions(&self) -> Option<u64> {
        self.stats().map(|s| s.jit_instructions)
    }

    fn forget_code(&mut self) {
        match self {
            Self::Interp(_) => {}
            Self::Jit(e) => EngineZ80::<B>::forget_code(&mut **e),
            Self::Lockstep(e) => EngineZ80::<B>::forget_code(&mut **e),
        }
    }
}
