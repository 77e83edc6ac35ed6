//! The 6502 JIT engine: a dispatcher that runs translated blocks where it
//! can and the interpreter everywhere else, with identical results.
//!
//! The dispatcher profiles block entries (the PCs it arrives at after a
//! block or a control transfer), translates an entry once it has been seen
//! `threshold` times, and enters generated code only when nothing can
//! interrupt it: no interrupt pending or sampled, the IRQ line released
//! or masked by I (blocks then leave before CLI, PLP and RTI), the NMI
//! line unchanged, and the block's worst-case cycles fit before the
//! run's cycle limit and within the bus's quiet time (the machine's next
//! timed event). Afterwards the bus is told how many cycles passed, so
//! devices that keep time by bus calls catch up. Generated code hands instructions it does not
//! compile (and accesses that turn out to be I/O) back to the interpreter,
//! which also runs everything between blocks.

use super::context::{ExitReason, JitContext};
use super::debug::{JitDebug, RecordedBlock, guest_lines};
use crate::backend::{CodegenConfig, Guest};
use crate::cache::{BlockCache, CacheStats, WriteOrigin};
use crate::ir::eval::IrState;
use crate::jitmem::{Isa, JitMemError};
use crate::lift::mos6502::{LiftConfig, lift_with};
use crate::opt::optimize;
use retrojit_core::bus::{Bus6502, MappedBus};
use retrojit_core::cpu::mos6502::{Cpu, Variant};
use retrojit_core::engine::{Engine6502, Interpreter, RunLimits, RunOutcome, StopReason};

/// The interrupt-disable bit of P.
const I_FLAG: u8 = 0x04;

/// Knobs of the translator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JitConfig {
    /// Entries through the dispatcher before a block is translated.
    pub threshold: u16,
    /// Most guest instructions per block.
    pub max_block_instructions: u16,
    /// Bytes of the code region this engine carves for itself.
    pub arena_size: usize,
    /// Patch exits into direct branches between blocks.
    pub link: bool,
    /// Run the IR passes.
    pub optimize: bool,
    /// Guest addresses left to the interpreter (first, last).
    pub interpret_only: Option<(u16, u16)>,
}

impl Default for JitConfig {
    fn default() -> Self {
        Self {
            threshold: 2,
            max_block_instructions: 64,
            arena_size: 8 << 20,
            link: true,
            optimize: true,
            interpret_only: None,
        }
    }
}

/// Why the JIT engine cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    /// This host has no backend.
    #[error(
        "no JIT backend for this host ({}); use --engine interp",
        std::env::consts::ARCH
    )]
    UnsupportedHost,
    /// The code region refused.
    #[error("JIT code memory: {0}")]
    Memory(#[from] JitMemError),
}

/// What the engine did, for the stats printed at exit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitStats {
    /// Cache counters.
    pub cache: CacheStats,
    /// Guest instructions run in generated code.
    pub jit_instructions: u64,
    /// Guest instructions run by the interpreter.
    pub interpreted_instructions: u64,
    /// Times generated code was entered from the dispatcher.
    pub entries: u64,
    /// Returns from generated code by [`ExitReason`] (next, interpret,
    /// code write, budget, trap).
    pub exits: [u64; 5],
}

impl JitStats {
    /// Share of guest instructions that ran as generated code.
    pub fn jit_share(&self) -> f64 {
        let total = self.jit_instructions + self.interpreted_instructions;
        if total == 0 {
            0.0
        } else {
            self.jit_instructions as f64 / total as f64
        }
    }
}

impl std::fmt::Display for JitStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.cache;
        let per_block = if c.compiled > 0 {
            c.compile_micros as f64 / c.compiled as f64
        } else {
            0.0
        };
        write!(
            f,
            "JIT: {} blocks compiled ({} bytes, {:.1} µs/block), {} links, {} invalidations, {} rewritten code bytes interpreted, {} flushes, {} hot pages, {} untranslatable; {:.1}% of {} guest instructions ran as generated code ({} entries)",
            c.compiled,
            c.code_bytes,
            per_block,
            c.links,
            c.invalidations,
            c.dynamic_opcodes,
            c.flushes,
            c.hot_pages,
            c.untranslatable,
            self.jit_share() * 100.0,
            self.jit_instructions + self.interpreted_instructions,
            self.entries,
        )?;
        let [next, interpret, code_write, budget, trap] = self.exits;
        write!(
            f,
            "; exits: {next} to the dispatcher, {interpret} to the interpreter, {code_write} code writes, {budget} budget, {trap} traps"
        )
    }
}

/// One step of the dispatcher, as an observer (lockstep) sees it.
#[derive(Clone, Copy, Debug)]
pub struct Unit {
    /// Guest instructions it executed.
    pub instructions: u64,
    /// Entry PC of the block, when generated code ran.
    pub block: Option<(u16, bool)>,
}

/// The 6502 JIT engine.
#[derive(Debug)]
pub struct Jit6502 {
    variant: Variant,
    config: JitConfig,
    cache: BlockCache,
    /// The limits the cache was translated for (stop address, traps).
    translated_for: (Option<u16>, bool),
    /// Dispatcher entries per (D << 16 | PC); `u16::MAX`: not translatable.
    counts: Vec<u16>,
    ctx: Box<JitContext>,
    stats: JitStats,
    debug: JitDebug,
}

impl Jit6502 {
    /// A JIT engine for `variant` with its own arena.
    pub fn new(variant: Variant, config: JitConfig) -> Result<Self, JitError> {
        if Isa::HOST.is_none() {
            return Err(JitError::UnsupportedHost);
        }
        let limits = RunLimits::default();
        let cache = BlockCache::new(
            Guest::Mos6502,
            config.arena_size,
            codegen_config(&limits, config.link),
            config.link,
        )?;
        Ok(Self {
            variant,
            config,
            cache,
            translated_for: (limits.stop_at, limits.stop_on_trap),
            counts: vec![0; 1 << 17],
            ctx: JitContext::new(),
            stats: JitStats::default(),
            debug: JitDebug::default(),
        })
    }

    /// Block dumps and the `perf` map, off until asked for.
    pub fn debug_mut(&mut self) -> &mut JitDebug {
        &mut self.debug
    }

    /// Writes the debugging output for a block just inserted.
    fn record_block(
        &mut self,
        block: &crate::ir::Block,
        memory: &retrojit_core::bus::MappedMemory,
    ) {
        let guest = guest_lines(block, |pc| {
            let byte = |i: u16| memory.read(pc.wrapping_add(i)).unwrap_or(0);
            let (text, len) =
                retrojit_core::cpu::mos6502::disassemble(pc, [byte(0), byte(1), byte(2)]);
            (text, len.into())
        });
        let recorded = RecordedBlock {
            name: format!("6502_{:04X}_d{}", block.start, u8::from(block.decimal)),
            title: format!("block ${:04X} D={}", block.start, u8::from(block.decimal)),
            guest,
            block,
            optimized: self.config.optimize,
            key: (block.start, block.decimal),
        };
        self.debug.record(&self.cache, &recorded);
    }

    /// Counters so far.
    pub fn stats(&self) -> JitStats {
        JitStats {
            cache: self.cache.stats,
            ..self.stats
        }
    }

    /// The block cache (dumps, tests).
    pub fn cache(&self) -> &BlockCache {
        &self.cache
    }

    fn decimal_key(&self, cpu: &Cpu) -> bool {
        self.variant == Variant::Nmos && cpu.regs.p & 0x08 != 0
    }

    fn lift_config(&self) -> LiftConfig {
        LiftConfig {
            variant: self.variant,
            max_instructions: self.config.max_block_instructions,
            stop_at: self.translated_for.0,
            interpret_only: self.config.interpret_only,
        }
    }

    /// Something other than the CPU (a loader, DMA) wrote guest memory at
    /// `addr`: translated code from there is dropped if it changed.
    pub fn memory_written(
        &mut self,
        addr: u16,
        memory: &retrojit_core::bus::MappedMemory,
    ) -> Result<(), JitMemError> {
        if self.cache.is_code(addr) {
            self.cache
                .invalidate_write(addr, memory, WriteOrigin::External)?;
        }
        Ok(())
    }

    /// Adopts `limits` for translation, dropping code translated for others.
    /// A stop address only shapes blocks of more than one instruction.
    fn prepare(&mut self, limits: &RunLimits) -> Result<(), JitMemError> {
        let stop_at = limits
            .stop_at
            .filter(|_| self.config.max_block_instructions > 1);
        let wanted = (stop_at, limits.stop_on_trap);
        if wanted != self.translated_for {
            self.cache = BlockCache::new(
                Guest::Mos6502,
                self.config.arena_size,
                codegen_config(limits, self.config.link),
                self.config.link,
            )?;
            self.counts.fill(0);
            self.translated_for = wanted;
        }
        Ok(())
    }

    /// Drops every translation and profile: guest memory was replaced as a
    /// whole, so its remap generation says nothing about the old code.
    pub fn forget_translations(&mut self) {
        if let Err(e) = self.cache.flush() {
            panic!("JIT code memory failed: {e}");
        }
        self.counts.fill(0);
    }

    /// The entry of the block at the CPU's PC, translating it when hot.
    fn block_for<B: MappedBus>(
        &mut self,
        cpu: &Cpu,
        bus: &B,
    ) -> Result<Option<(*const u8, u16)>, JitMemError> {
        let shape = self.cache.follow_remaps(bus.memory())?;
        let (pc, decimal) = (cpu.regs.pc, self.decimal_key(cpu));
        if let Some(b) = self.cache.lookup(pc, decimal) {
            return Ok(Some((self.cache.entry(b), b.worst_cycles)));
        }
        let count = &mut self.counts[usize::from(decimal) << 16 | usize::from(pc)];
        if *count == u16::MAX || !self.cache.page_compilable(pc) {
            return Ok(None);
        }
        *count += 1;
        if *count < self.config.threshold {
            return Ok(None);
        }
        let cache = &self.cache;
        let lifted = lift_with(bus.memory(), pc, decimal, &self.lift_config(), &|addr| {
            cache.rewrites(addr)
        });
        let translated = match lifted {
            Some(mut block) => {
                if self.config.optimize {
                    optimize(&mut block, shape);
                }
                let inserted = self.cache.insert(&block, bus.memory())?;
                if inserted && self.debug.enabled() {
                    self.record_block(&block, bus.memory());
                }
                inserted
            }
            None => false,
        };
        if !translated {
            self.counts[usize::from(decimal) << 16 | usize::from(pc)] = u16::MAX;
            return Ok(None);
        }
        Ok(self
            .cache
            .lookup(pc, decimal)
            .map(|b| (self.cache.entry(b), b.worst_cycles)))
    }

    /// Runs generated code from `entry` until it returns; moves the guest
    /// state between the CPU and the context around it.
    fn execute<B: MappedBus>(
        &mut self,
        entry: *const u8,
        cpu: &mut Cpu,
        bus: &mut B,
        deadline: u64,
    ) -> (ExitReason, u64) {
        let r = cpu.regs;
        let state = IrState::from_registers(r.a, r.x, r.y, r.s, r.p, r.cycles);
        let ctx = &mut *self.ctx;
        ctx.regs = state.regs;
        ctx.cycles = r.cycles;
        ctx.deadline = deadline;
        ctx.instructions = 0;
        let memory = bus.memory_mut();
        ctx.pages = memory.pages().as_ptr().cast();
        ctx.memory = memory.data_mut().as_mut_ptr();
        ctx.code_map = self.cache.code_map().as_ptr();
        ctx.dispatch = self.cache.dispatch_table();
        ctx.code_base = self.cache.trampoline();
        super::call::enter(self.cache.trampoline(), ctx, entry);

        let state = IrState {
            regs: ctx.regs,
            cycles: ctx.cycles,
        };
        cpu.regs = state.to_registers(ctx.exit_pc as u16);
        let reason = ExitReason::from_word(ctx.exit_reason)
            .expect("generated code stores a known exit reason");
        (reason, ctx.instructions)
    }

    /// The dispatcher loop; `observe` sees every unit of work and may stop
    /// the run by returning a reason.
    pub fn run_observed<B, F>(
        &mut self,
        cpu: &mut Cpu,
        bus: &mut B,
        limits: &RunLimits,
        mut observe: F,
    ) -> RunOutcome
    where
        B: Bus6502 + MappedBus,
        F: FnMut(&mut Self, &Cpu, &B, Unit) -> Option<StopReason>,
    {
        if let Err(e) = self.prepare(limits) {
            panic!("JIT code memory failed: {e}");
        }
        let mut instructions = 0u64;
        let mut interpret_next = false;
        let reason = loop {
            if let Some(reason) = Interpreter::check_limits(cpu, limits) {
                break reason;
            }
            // An asserted IRQ line is harmless while I is set: translated
            // code leaves before any instruction that could clear it.
            let irq_held = bus.irq_line();
            if !interpret_next
                && cpu.jammed().is_none()
                && (!irq_held || cpu.regs.p & I_FLAG != 0)
                && cpu.interrupts_quiet(bus.nmi_line())
            {
                let block = self
                    .block_for(cpu, bus)
                    .unwrap_or_else(|e| panic!("JIT code memory failed: {e}"));
                // Linked blocks run on without the dispatcher, so the
                // deadline generated code checks covers the bus's quiet time
                // as well as the run's limit.
                let deadline = limits
                    .max_cycles
                    .min(cpu.regs.cycles.saturating_add(bus.quiet_cycles()));
                if let Some((entry, worst)) = block
                    && cpu.regs.cycles.saturating_add(u64::from(worst)) <= deadline
                {
                    let key = (cpu.regs.pc, self.decimal_key(cpu));
                    let start = cpu.regs.cycles;
                    self.ctx.irq_held = u32::from(irq_held);
                    let (reason, ran) = self.execute(entry, cpu, bus, deadline);
                    bus.elapse(cpu.regs.cycles - start);
                    self.stats.entries += 1;
                    self.stats.exits[reason as usize] += 1;
                    self.stats.jit_instructions += ran;
                    instructions += ran;
                    match reason {
                        ExitReason::Next => {}
                        ExitReason::Budget | ExitReason::Interpret => interpret_next = true,
                        ExitReason::CodeWrite => {
                            let addr = self.ctx.exit_addr as u16;
                            if let Err(e) = self.cache.invalidate_write(
                                addr,
                                bus.memory(),
                                WriteOrigin::GeneratedCode,
                            ) {
                                panic!("JIT code memory failed: {e}");
                            }
                        }
                        ExitReason::Trap => {}
                    }
                    let unit = Unit {
                        instructions: ran,
                        block: Some(key),
                    };
                    if let Some(stop) = observe(self, cpu, bus, unit) {
                        break stop;
                    }
                    if reason == ExitReason::Trap {
                        break StopReason::Trap { pc: cpu.regs.pc };
                    }
                    continue;
                }
            }
            interpret_next = false;
            let before = instructions;
            let mut watched = WriteWatch {
                bus: &mut *bus,
                cache: &self.cache,
                hits: [0; 4],
                count: 0,
            };
            let stop = Interpreter::step(cpu, &mut watched, limits, &mut instructions);
            let (hits, count) = (watched.hits, watched.count);
            for &addr in &hits[..count] {
                if let Err(e) =
                    self.cache
                        .invalidate_write(addr, bus.memory(), WriteOrigin::Interpreter)
                {
                    panic!("JIT code memory failed: {e}");
                }
            }
            self.stats.interpreted_instructions += instructions - before;
            let unit = Unit {
                instructions: instructions - before,
                block: None,
            };
            if let Some(stop) = observe(self, cpu, bus, unit) {
                break stop;
            }
            if let Some(stop) = stop {
                break stop;
            }
        };
        RunOutcome {
            reason,
            instructions,
        }
    }
}

fn codegen_config(limits: &RunLimits, link: bool) -> CodegenConfig {
    CodegenConfig {
        stop_on_trap: limits.stop_on_trap,
        link,
    }
}

impl<B: Bus6502 + MappedBus> Engine6502<B> for Jit6502 {
    fn run(&mut self, cpu: &mut Cpu, bus: &mut B, limits: &RunLimits) -> RunOutcome {
        self.run_observed(cpu, bus, limits, |_, _, _, _| None)
    }

    fn translated_instructions(&self) -> Option<u64> {
        Some(self.stats.jit_instructions)
    }

    fn forget_code(&mut self) {
        self.forget_translations();
    }
}

/// The interpreter's bus while the JIT engine runs: notes writes to bytes
/// that translated code came from.
struct WriteWatch<'a, B> {
    bus: &'a mut B,
    cache: &'a BlockCache,
    /// Code bytes written by this instruction (BRK pushes three).
    hits: [u16; 4],
    count: usize,
}

impl<B: Bus6502> Bus6502 for WriteWatch<'_, B> {
    #[inline]
    fn read(&mut self, addr: u16) -> u8 {
        self.bus.read(addr)
    }

    #[inline]
    fn write(&mut self, addr: u16, value: u8) {
        self.bus.write(addr, value);
        if self.cache.is_code(addr) && self.count < self.hits.len() {
            self.hits[self.count] = addr;
            self.count += 1;
        }
    }

    #[inline]
    fn irq_line(&self) -> bool {
        self.bus.irq_line()
    }

    #[inline]
    fn nmi_line(&self) -> bool {
        self.bus.nmi_line()
    }

    #[inline]
    fn elapse(&mut self, cycles: u64) {
        self.bus.elapse(cycles);
    }

    #[inline]
    fn quiet_cycles(&self) -> u64 {
        self.bus.quiet_cycles()
    }
}
