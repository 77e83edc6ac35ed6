//! Lockstep: the JIT engine with an interpreter beside it. Exits are never
//! linked, so control returns to the dispatcher after every block; the
//! reference interpreter then runs the same number of instructions on its
//! own copy of the machine, and registers, cycles and the bytes it wrote
//! must agree (all of memory is compared every [`FULL_COMPARE_EVERY`] units
//! and at the end). The first divergence stops the run with a report:
//! both states, the block's guest disassembly and its host code.

use super::mos6502::{Jit6502, JitConfig, JitError, Unit};
use crate::backend::host::disasm::listing;
use retrojit_core::bus::{Bus6502, MappedBus};
use retrojit_core::cpu::mos6502::decode::decode;
use retrojit_core::cpu::mos6502::disasm::disassemble;
use retrojit_core::cpu::mos6502::{Cpu, Registers};
use retrojit_core::engine::{Engine6502, Interpreter, RunLimits, RunOutcome, StopReason};

/// Units of work between full memory comparisons.
pub const FULL_COMPARE_EVERY: u64 = 4096;

/// JIT checked against the interpreter after every block.
#[derive(Debug)]
pub struct Lockstep6502 {
    jit: Jit6502,
    divergence: Option<String>,
}

/// The reference side's bus: records the addresses it writes.
struct Recording<'a, B> {
    bus: &'a mut B,
    written: &'a mut Vec<u16>,
}

impl<B: Bus6502> Bus6502 for Recording<'_, B> {
    fn read(&mut self, addr: u16) -> u8 {
        self.bus.read(addr)
    }

    fn write(&mut self, addr: u16, value: u8) {
        self.written.push(addr);
        self.bus.write(addr, value);
    }

    fn irq_line(&self) -> bool {
        self.bus.irq_line()
    }

    fn nmi_line(&self) -> bool {
        self.bus.nmi_line()
    }

    fn elapse(&mut self, cycles: u64) {
        self.bus.elapse(cycles);
    }

    fn quiet_cycles(&self) -> u64 {
        self.bus.quiet_cycles()
    }
}

impl Lockstep6502 {
    /// A lockstep engine; `config.link` is forced off.
    pub fn new(
        variant: retrojit_core::cpu::mos6502::Variant,
        config: JitConfig,
    ) -> Result<Self, JitError> {
        Ok(Self {
            jit: Jit6502::new(
                variant,
                JitConfig {
                    link: false,
                    ..config
                },
            )?,
            divergence: None,
        })
    }

    /// The report of the first divergence, if the last run found one.
    pub fn divergence(&self) -> Option<&str> {
        self.divergence.as_deref()
    }

    /// The JIT engine inside.
    pub fn jit(&self) -> &Jit6502 {
        &self.jit
    }

    /// The JIT engine inside, writable (loader notifications).
    pub fn jit_mut(&mut self) -> &mut Jit6502 {
        &mut self.jit
    }
}

fn state(regs: &Registers) -> String {
    format!(
        "PC={:04X} A={:02X} X={:02X} Y={:02X} S={:02X} P={:02X} cycles={}",
        regs.pc, regs.a, regs.x, regs.y, regs.s, regs.p, regs.cycles
    )
}

/// Guest disassembly of `len` bytes from `start`.
fn guest_listing<B: MappedBus>(bus: &B, start: u16, len: u16) -> Vec<String> {
    let memory = bus.memory();
    let mut lines = Vec::new();
    let mut pc = start;
    while pc.wrapping_sub(start) < len.max(1) {
        let byte = |i: u16| memory.read(pc.wrapping_add(i)).unwrap_or(0);
        let bytes = [byte(0), byte(1), byte(2)];
        let (text, n) = disassemble(pc, bytes);
        let class = decode(bytes[0]).class;
        lines.push(format!("{pc:04X}  {text}  ({class:?})"));
        pc = pc.wrapping_add(u16::from(n.max(1)));
    }
    lines
}

impl<B: Bus6502 + MappedBus + Clone> Engine6502<B> for Lockstep6502 {
    fn translated_instructions(&self) -> Option<u64> {
        Some(self.jit.stats().jit_instructions)
    }

    fn forget_code(&mut self) {
        self.jit.forget_translations();
    }

    fn run(&mut self, cpu: &mut Cpu, bus: &mut B, limits: &RunLimits) -> RunOutcome {
        self.divergence = None;
        let mut reference = (cpu.clone(), bus.clone());
        let mut units = 0u64;
        let mut written = Vec::new();
        let mut report = None;
        let mut outcome = self
            .jit
            .run_observed(cpu, bus, limits, |jit, cpu, bus, unit: Unit| {
                let (ref_cpu, ref_bus) = &mut reference;
                written.clear();
                let mut recording = Recording {
                    bus: ref_bus,
                    written: &mut written,
                };
                // Interrupt sequences are units of no instructions: the
                // reference catches up by cycles as well as instructions.
                let mut ran = 0;
                while ran < unit.instructions || ref_cpu.regs.cycles < cpu.regs.cycles {
                    if Interpreter::step(ref_cpu, &mut recording, limits, &mut ran).is_some() {
                        break;
                    }
                }
                units += 1;
                let memory_differs =
                    |addr: u16| bus.memory().read(addr) != ref_bus.memory().read(addr);
                let mut differs: Vec<String> = Vec::new();
                if cpu.regs != ref_cpu.regs {
                    differs.push("registers".into());
                }
                if let Some(&addr) = written.iter().find(|&&a| memory_differs(a)) {
                    differs.push(format!("memory at ${addr:04X}"));
                }
                if units.is_multiple_of(FULL_COMPARE_EVERY)
                    && bus.memory().data() != ref_bus.memory().data()
                {
                    differs.push("memory (full comparison)".into());
                }
                if differs.is_empty() {
                    return None;
                }
                let mut text = vec![
                    format!(
                        "lockstep divergence after unit {units}: {} differ",
                        differs.join(", ")
                    ),
                    format!("  jit:         {}", state(&cpu.regs)),
                    format!("  interpreter: {}", state(&ref_cpu.regs)),
                ];
                match unit.block {
                    Some((pc, decimal)) => {
                        text.push(format!("block ${pc:04X} (D={})", u8::from(decimal)));
                        if let Some(block) = jit.cache().lookup(pc, decimal) {
                            text.push("guest code:".into());
                            text.extend(
                                guest_listing(bus, block.start, block.len)
                                    .into_iter()
                                    .map(|l| format!("  {l}")),
                            );
                            text.push("host code:".into());
                            let code = jit.cache().code(block);
                            text.extend(
                                listing(code, u64::from(block.offset))
                                    .into_iter()
                                    .map(|l| format!("  {l}")),
                            );
                        }
                    }
                    None => text.push("in an interpreted step".into()),
                }
                report = Some(text.join("\n"));
                Some(StopReason::Diverged { pc: cpu.regs.pc })
            });
        let (ref_cpu, ref_bus) = &reference;
        if report.is_none()
            && (cpu.regs != ref_cpu.regs || bus.memory().data() != ref_bus.memory().data())
        {
            report = Some(format!(
                "lockstep divergence at the end of the run\n  jit:         {}\n  interpreter: {}",
                state(&cpu.regs),
                state(&ref_cpu.regs)
            ));
            outcome.reason = StopReason::Diverged { pc: cpu.regs.pc };
        }
        self.divergence = report;
        outcome
    }
}
