//! Lockstep for the Z80: [`JitZ80`] with exits never linked and an
//! interpreter on its own copy of the machine, compared after every block
//! (registers, hidden state and T-states exactly; the bytes the reference
//! wrote; all of memory every [`FULL_COMPARE_EVERY`] units and at the end).

use super::lockstep::FULL_COMPARE_EVERY;
use super::mos6502::{JitConfig, JitError};
use super::z80::{JitZ80, UnitZ80};
use crate::backend::host::disasm::listing;
use retrojit_core::bus::{BusZ80, MappedBus, MappedMemory};
use retrojit_core::cpu::z80::disasm::disassemble;
use retrojit_core::cpu::z80::{Cpu, Registers};
use retrojit_core::engine::{EngineZ80, Z80Limits, Z80Outcome, Z80StopReason};

/// The Z80 JIT checked against the interpreter after every block.
#[derive(Debug)]
pub struct LockstepZ80 {
    jit: JitZ80,
    divergence: Option<String>,
}

/// The reference side's bus: records the addresses it writes.
struct Recording<'a, B> {
    ram: &'a mut B,
    written: &'a mut Vec<u16>,
}

impl<B: BusZ80> BusZ80 for Recording<'_, B> {
    fn fetch_opcode(&mut self, addr: u16, refresh: u16, now: u64) -> u8 {
        self.ram.fetch_opcode(addr, refresh, now)
    }

    fn read(&mut self, addr: u16, now: u64) -> u8 {
        self.ram.read(addr, now)
    }

    fn write(&mut self, addr: u16, value: u8, now: u64) {
        self.written.push(addr);
        self.ram.write(addr, value, now);
    }

    fn port_in(&mut self, port: u16, now: u64) -> u8 {
        self.ram.port_in(port, now)
    }

    fn port_out(&mut self, port: u16, value: u8, now: u64) {
        self.ram.port_out(port, value, now);
    }

    fn wait_states(&mut self, kind: retrojit_core::bus::Z80Cycle, addr: u16, now: u64) -> u32 {
        self.ram.wait_states(kind, addr, now)
    }

    fn int_line(&self) -> bool {
        self.ram.int_line()
    }

    fn nmi_line(&self) -> bool {
        self.ram.nmi_line()
    }

    fn int_ack(&mut self, now: u64) -> u8 {
        self.ram.int_ack(now)
    }

    fn instruction_start(&mut self, now: u64) {
        self.ram.instruction_start(now);
    }
}

impl LockstepZ80 {
    /// A lockstep engine; `config.link` is forced off.
    pub fn new(config: JitConfig) -> Result<Self, JitError> {
        Ok(Self {
            jit: JitZ80::new(JitConfig {
                link: false,
                ..config
            })?,
            divergence: None,
        })
    }

    /// The report of the first divergence, if the last run found one.
    pub fn divergence(&self) -> Option<&str> {
        self.divergence.as_deref()
    }

    /// The JIT engine inside.
    pub fn jit(&self) -> &JitZ80 {
        &self.jit
    }

    /// The JIT engine inside, writable (loader notifications).
    pub fn jit_mut(&mut self) -> &mut JitZ80 {
        &mut self.jit
    }
}

fn state(r: &Registers) -> String {
    format!(
        "PC={:04X} AF={:04X} BC={:04X} DE={:04X} HL={:04X} IX={:04X} IY={:04X} SP={:04X} WZ={:04X} Q={:02X} R={:02X} AF'={:04X} BC'={:04X} DE'={:04X} HL'={:04X} T={}",
        r.pc,
        r.af(),
        r.bc(),
        r.de(),
        r.hl(),
        r.ix,
        r.iy,
        r.sp,
        r.wz,
        r.q,
        r.r,
        r.af_alt,
        r.bc_alt,
        r.de_alt,
        r.hl_alt,
        r.tstates
    )
}

/// Guest disassembly of `len` bytes from `start`.
fn guest_listing(memory: &MappedMemory, start: u16, len: u16) -> Vec<String> {
    let mut lines = Vec::new();
    let mut pc = start;
    while pc.wrapping_sub(start) < len.max(1) {
        let d = disassemble(pc, |a| memory.read(a).unwrap_or(0));
        lines.push(format!("{pc:04X}  {}", d.text));
        pc = pc.wrapping_add(d.len.max(1));
    }
    lines
}

impl<B: BusZ80 + MappedBus + Clone> EngineZ80<B> for LockstepZ80 {
    fn translated_instructions(&self) -> Option<u64> {
        Some(self.jit.stats().jit_instructions)
    }

    fn forget_code(&mut self) {
        EngineZ80::<B>::forget_code(&mut self.jit);
    }

    fn run(&mut self, cpu: &mut Cpu, ram: &mut B, limits: &Z80Limits) -> Z80Outcome {
        self.divergence = None;
        let mut reference = (cpu.clone(), ram.clone());
        let mut units = 0u64;
        let mut written = Vec::new();
        let mut report = None;
        let mut outcome =
            self.jit
                .run_observed(cpu, ram, limits, |jit, cpu, ram: &B, unit: UnitZ80| {
                    let (ref_cpu, ref_ram) = &mut reference;
                    written.clear();
                    let mut recording = Recording {
                        ram: ref_ram,
                        written: &mut written,
                    };
                    for _ in 0..unit.instructions {
                        ref_cpu.step(&mut recording);
                    }
                    units += 1;
                    let mut differs: Vec<String> = Vec::new();
                    if cpu.regs != ref_cpu.regs {
                        differs.push("registers".into());
                    }
                    let (mine, theirs) = (ram.memory().data(), ref_ram.memory().data());
                    if let Some(&addr) = written
                        .iter()
                        .find(|&&a| mine[usize::from(a)] != theirs[usize::from(a)])
                    {
                        differs.push(format!("memory at ${addr:04X}"));
                    }
                    if units.is_multiple_of(FULL_COMPARE_EVERY) && mine != theirs {
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
                    match unit.block.and_then(|pc| jit.cache().lookup(pc, false)) {
                        Some(block) => {
                            text.push(format!("block ${:04X}", block.start));
                            text.push("guest code:".into());
                            text.extend(
                                guest_listing(ram.memory(), block.start, block.len)
                                    .into_iter()
                                    .map(|l| format!("  {l}")),
                            );
                            text.push("host code:".into());
                            text.extend(
                                listing(jit.cache().code(block), u64::from(block.offset))
                                    .into_iter()
                                    .map(|l| format!("  {l}")),
                            );
                        }
                        None => text.push("in an interpreted step".into()),
                    }
                    report = Some(text.join("\n"));
                    Some(Z80StopReason::Diverged { pc: cpu.regs.pc })
                });
        let (ref_cpu, ref_ram) = &reference;
        if report.is_none()
            && (cpu.regs != ref_cpu.regs || ram.memory().data() != ref_ram.memory().data())
        {
            report = Some(format!(
                "lockstep divergence at the end of the run\n  jit:         {}\n  interpreter: {}",
                state(&cpu.regs),
                state(&ref_cpu.regs)
            ));
            outcome.reason = Z80StopReason::Diverged { pc: cpu.regs.pc };
        }
        if let Some(report) = &report {
            eprintln!("{report}");
        }
        self.divergence = report;
        outcome
    }
}
