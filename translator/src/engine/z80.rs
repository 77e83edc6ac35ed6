//! The Z80 JIT engine: the 6502 engine's dispatcher shape (profile block
//! entries, translate hot ones, run generated code, hand everything else
//! to the interpreter) for the Z80 on any bus whose memory is a
//! [`MappedMemory`](retrojit_core::bus::MappedMemory). Generated code
//! reaches plain memory directly and calls the bus for port cycles (with
//! their wait states); pages whose accesses wait (the ZX Spectrum's
//! contended RAM) are mapped as I/O, so instructions that touch them run
//! in the interpreter.
//!
//! Generated code runs only between interrupts: not while halted, not with
//! /INT asserted and IFF1 set, not with /NMI asserted. Runs are
//! bounded in instructions: every instruction takes at least four
//! T-states, so a deadline four T-states per remaining instruction ahead
//! never lets linked blocks overrun the budget, and the interpreter takes
//! the last steps exactly. Without linking each entry runs one block, so
//! any block with no more instructions than remain may run.

use super::context::{ExitReason, JitContext};
use super::debug::{JitDebug, RecordedBlock, guest_lines};
use super::mos6502::{JitConfig, JitError, JitStats};
use crate::backend::{CodegenConfig, Guest};
use crate::cache::{BlockCache, WriteOrigin};
use crate::ir::{Reg, Z80Reg};
use crate::jitmem::{Isa, JitMemError};
use crate::lift::z80::{LiftConfig, lift};
use crate::opt::optimize;
use retrojit_core::bus::{BusZ80, MappedBus};
use retrojit_core::cpu::z80::{Cpu, Registers};
use retrojit_core::engine::{EngineZ80, Z80Limits, Z80Outcome, Z80StopReason};

/// Fewest T-states any Z80 instruction takes.
const MIN_TSTATES: u64 = 4;

/// One step of the dispatcher, as an observer (lockstep) sees it.
#[derive(Clone, Copy, Debug)]
pub struct UnitZ80 {
    /// Guest instructions it executed.
    pub instructions: u64,
    /// Entry PC of the block, when generated code ran.
    pub block: Option<u16>,
}

/// The Z80 JIT engine.
#[derive(Debug)]
pub struct JitZ80 {
    config: JitConfig,
    cache: BlockCache,
    /// The stop addresses the cache was translated for.
    stops: (u16, [Option<u16>; 2]),
    /// Dispatcher entries per PC; `u16::MAX`: not translatable.
    counts: Vec<u16>,
    ctx: Box<JitContext>,
    stats: JitStats,
    debug: JitDebug,
}

fn codegen_config(link: bool) -> CodegenConfig {
    CodegenConfig {
        stop_on_trap: false,
        link,
    }
}

fn set(ctx: &mut JitContext, r: Z80Reg, v: impl Into<u32>) {
    ctx.regs[Reg::Z80(r).index()] = v.into();
}

fn get(ctx: &JitContext, r: Z80Reg) -> u32 {
    ctx.regs[Reg::Z80(r).index()]
}

/// Moves the register file into the context's IR locations.
fn load_context(ctx: &mut JitContext, r: &Registers) {
    use Z80Reg::*;
    for (loc, v) in [(A, r.a), (F, r.f), (B, r.b), (C, r.c), (Q, r.q)] {
        set(ctx, loc, v);
    }
    for (loc, v) in [
        (De, u16::from_be_bytes([r.d, r.e])),
        (Hl, u16::from_be_bytes([r.h, r.l])),
        (Ix, r.ix),
        (Iy, r.iy),
        (Sp, r.sp),
        (Wz, r.wz),
        (AfAlt, r.af_alt),
        (BcAlt, r.bc_alt),
        (DeAlt, r.de_alt),
        (HlAlt, r.hl_alt),
    ] {
        set(ctx, loc, v);
    }
    set(ctx, R, 0u32);
    set(ctx, Cond, 0u32);
    ctx.cycles = r.tstates;
}

/// The register file the context's IR locations stand for.
fn store_context(ctx: &JitContext, r: &mut Registers, pc: u16) {
    use Z80Reg::*;
    let byte = |loc| get(ctx, loc) as u8;
    let word = |loc| get(ctx, loc) as u16;
    (r.a, r.f, r.b, r.c, r.q) = (byte(A), byte(F), byte(B), byte(C), byte(Q));
    [r.d, r.e] = word(De).to_be_bytes();
    [r.h, r.l] = word(Hl).to_be_bytes();
    (r.ix, r.iy, r.sp, r.wz) = (word(Ix), word(Iy), word(Sp), word(Wz));
    (r.af_alt, r.bc_alt, r.de_alt, r.hl_alt) = (word(AfAlt), word(BcAlt), word(DeAlt), word(HlAlt));
    // R's low seven bits count opcode fetches; bit 7 stays.
    let fetches = get(ctx, R) as u8;
    r.r = (r.r & 0x80) | (r.r.wrapping_add(fetches) & 0x7F);
    r.tstates = ctx.cycles;
    r.pc = pc;
}

impl JitZ80 {
    /// A JIT engine with its own arena.
    pub fn new(config: JitConfig) -> Result<Self, JitError> {
        if Isa::HOST.is_none() {
            return Err(JitError::UnsupportedHost);
        }
        Ok(Self {
            config,
            cache: BlockCache::new(
                Guest::Z80,
                config.arena_size,
                codegen_config(config.link),
                config.link,
            )?,
            stops: (0, [None; 2]),
            counts: vec![0; 1 << 16],
            ctx: JitContext::new(),
            stats: JitStats::default(),
            debug: JitDebug::default(),
        })
    }

    /// Something other than the CPU wrote guest memory at `addr` (a test
    /// harness loading the next case): translated code from there is
    /// dropped.
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
            let d =
                retrojit_core::cpu::z80::disasm::disassemble(pc, |a| memory.read(a).unwrap_or(0));
            (d.text, d.len)
        });
        let recorded = RecordedBlock {
            name: format!("z80_{:04X}", block.start),
            title: format!("block ${:04X}", block.start),
            guest,
            block,
            optimized: self.config.optimize,
            key: (block.start, false),
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

    /// Adopts the stop addresses for translation, dropping code
    /// translated for others.
    fn prepare(&mut self, limits: &Z80Limits) -> Result<(), JitMemError> {
        let stops = (limits.stop_below, limits.stop_at);
        if stops != self.stops {
            self.forget_translations()?;
            self.stops = stops;
        }
        Ok(())
    }

    /// Drops every translation and profile.
    pub fn forget_translations(&mut self) -> Result<(), JitMemError> {
        self.cache.flush()?;
        self.counts.fill(0);
        Ok(())
    }

    /// The entry of the block at `pc`, translating it when hot.
    /// The entry of the block at `pc` with its worst-case T-states and
    /// instruction count, translating it when hot.
    fn block_for<B: MappedBus>(
        &mut self,
        pc: u16,
        ram: &B,
    ) -> Result<Option<(*const u8, u16, u16)>, JitMemError> {
        let shape = self.cache.follow_remaps(ram.memory())?;
        if let Some(b) = self.cache.lookup(pc, false) {
            return Ok(Some((self.cache.entry(b), b.worst_cycles, b.instructions)));
        }
        let count = &mut self.counts[usize::from(pc)];
        if *count == u16::MAX || !self.cache.page_compilable(pc) {
            return Ok(None);
        }
        *count += 1;
        if *count < self.config.threshold {
            return Ok(None);
        }
        // A block whose code needs more host registers than the backend
        // has is retried shorter, down to one instruction.
        let mut max_instructions = self.config.max_block_instructions;
        let inserted = loop {
            let config = LiftConfig {
                max_instructions,
                stop_below: self.stops.0,
                stop_at: self.stops.1,
            };
            let cache = &self.cache;
            let Some(mut block) = lift(ram.memory(), pc, &config, &|addr| cache.rewrites(addr))
            else {
                break false;
            };
            if self.config.optimize {
                optimize(&mut block, shape);
            }
            if self.cache.insert(&block, ram.memory())? {
                if self.debug.enabled() {
                    self.record_block(&block, ram.memory());
                }
                break true;
            }
            if block.instructions <= 1 {
                break false;
            }
            max_instructions = block.instructions / 2;
        };
        if !inserted {
            self.counts[usize::from(pc)] = u16::MAX;
            return Ok(None);
        }
        Ok(self
            .cache
            .lookup(pc, false)
            .map(|b| (self.cache.entry(b), b.worst_cycles, b.instructions)))
    }

    /// Runs generated code from `entry` until it returns.
    fn execute<B: BusZ80 + MappedBus>(
        &mut self,
        entry: *const u8,
        cpu: &mut Cpu,
        ram: &mut B,
        deadline: u64,
    ) -> (ExitReason, u64) {
        let ctx = &mut *self.ctx;
        load_context(ctx, &cpu.regs);
        ctx.deadline = deadline;
        ctx.instructions = 0;
        let memory = ram.memory_mut();
        ctx.pages = memory.pages().as_ptr().cast();
        ctx.memory = memory.data_mut().as_mut_ptr();
        ctx.code_map = self.cache.code_map().as_ptr();
        ctx.dispatch = self.cache.dispatch_table();
        ctx.code_base = self.cache.trampoline();
        // Port cycles call back into the bus (taken last: generated code
        // reaches memory through the pointers above while it runs).
        ctx.bus = std::ptr::from_mut(ram).cast();
        ctx.port_in = super::call::port_in::<B>;
        ctx.port_out = super::call::port_out::<B>;
        super::call::enter(self.cache.trampoline(), ctx, entry);
        store_context(ctx, &mut cpu.regs, ctx.exit_pc as u16);
        if ctx.instructions > 0 {
            // The interpreter clears these at every instruction.
            cpu.regs.p = false;
            cpu.regs.ei = false;
        }
        let reason = ExitReason::from_word(ctx.exit_reason)
            .expect("generated code stores a known exit reason");
        (reason, ctx.instructions)
    }

    /// The dispatcher loop; `observe` sees every unit of work and may stop
    /// the run by returning a reason.
    pub fn run_observed<B, F>(
        &mut self,
        cpu: &mut Cpu,
        ram: &mut B,
        limits: &Z80Limits,
        mut observe: F,
    ) -> Z80Outcome
    where
        B: BusZ80 + MappedBus,
        F: FnMut(&mut Self, &Cpu, &B, UnitZ80) -> Option<Z80StopReason>,
    {
        if let Err(e) = self.prepare(limits) {
            panic!("JIT code memory failed: {e}");
        }
        let mut instructions = 0u64;
        let mut interpret_next = false;
        let reason = loop {
            if let Some(reason) = limits.check(&cpu.regs, instructions) {
                break reason;
            }
            // Right after EI generated code may run: its first instruction
            // clears the EI delay as the interpreter's would, and /INT is
            // not asserted. With I on a contended page every internal
            // cycle could wait: the interpreter runs.
            ram.instruction_start(cpu.regs.tstates);
            let busy = cpu.regs.halted
                || (cpu.regs.iff1 && ram.int_line())
                || ram.nmi_line()
                || ram.contended_page(cpu.regs.i);
            if !interpret_next && !busy {
                let block = self
                    .block_for(cpu.regs.pc, ram)
                    .unwrap_or_else(|e| panic!("JIT code memory failed: {e}"));
                let remaining = limits.max_instructions - instructions;
                let now = cpu.regs.tstates;
                let deadline = now
                    .saturating_add(remaining.saturating_mul(MIN_TSTATES))
                    .min(limits.max_tstates);
                let deadline = match block {
                    Some((_, worst, count))
                        if !self.config.link && u64::from(count) <= remaining =>
                    {
                        let end = now.saturating_add(u64::from(worst));
                        deadline.max(end.min(limits.max_tstates))
                    }
                    _ => deadline,
                };
                if let Some((entry, worst, _)) = block
                    && now.saturating_add(u64::from(worst)) <= deadline
                {
                    let start = cpu.regs.pc;
                    let (reason, ran) = self.execute(entry, cpu, ram, deadline);
                    self.stats.entries += 1;
                    self.stats.exits[reason as usize] += 1;
                    self.stats.jit_instructions += ran;
                    instructions += ran;
                    match reason {
                        ExitReason::Next | ExitReason::Trap => {}
                        ExitReason::Budget | ExitReason::Interpret => interpret_next = true,
                        ExitReason::CodeWrite => {
                            let addr = self.ctx.exit_addr as u16;
                            if let Err(e) = self.cache.invalidate_write(
                                addr,
                                ram.memory(),
                                WriteOrigin::GeneratedCode,
                            ) {
                                panic!("JIT code memory failed: {e}");
                            }
                        }
                    }
                    let unit = UnitZ80 {
                        instructions: ran,
                        block: Some(start),
                    };
                    if let Some(stop) = observe(self, cpu, ram, unit) {
                        break stop;
                    }
                    continue;
                }
            }
            interpret_next = false;
            let mut watched = WriteWatch {
                ram: &mut *ram,
                cache: &self.cache,
                hits: [0; 4],
                count: 0,
            };
            cpu.step(&mut watched);
            let (hits, count) = (watched.hits, watched.count);
            for &addr in &hits[..count] {
                if let Err(e) =
                    self.cache
                        .invalidate_write(addr, ram.memory(), WriteOrigin::Interpreter)
                {
                    panic!("JIT code memory failed: {e}");
                }
            }
            instructions += 1;
            self.stats.interpreted_instructions += 1;
            let unit = UnitZ80 {
                instructions: 1,
                block: None,
            };
            if let Some(stop) = observe(self, cpu, ram, unit) {
                break stop;
            }
        };
        Z80Outcome {
            reason,
            instructions,
        }
    }
}

impl<B: BusZ80 + MappedBus> EngineZ80<B> for JitZ80 {
    fn run(&mut self, cpu: &mut Cpu, ram: &mut B, limits: &Z80Limits) -> Z80Outcome {
        self.run_observed(cpu, ram, limits, |_, _, _, _| None)
    }

    fn translated_instructions(&self) -> Option<u64> {
        Some(self.stats.jit_instructions)
    }

    fn forget_code(&mut self) {
        if let Err(e) = self.forget_translations() {
            panic!("JIT code memory failed: {e}");
        }
    }
}

/// The interpreter's bus while the JIT engine runs: notes writes to bytes
/// that translated code came from.
struct WriteWatch<'a, B> {
    ram: &'a mut B,
    cache: &'a BlockCache,
    /// Code bytes written by this instruction (EX (SP),HL writes two, a
    /// block instruction step one).
    hits: [u16; 4],
    count: usize,
}

impl<B: BusZ80> BusZ80 for WriteWatch<'_, B> {
    #[inline]
    fn fetch_opcode(&mut self, addr: u16, refresh: u16, now: u64) -> u8 {
        self.ram.fetch_opcode(addr, refresh, now)
    }

    #[inline]
    fn read(&mut self, addr: u16, now: u64) -> u8 {
        self.ram.read(addr, now)
    }

    #[inline]
    fn write(&mut self, addr: u16, value: u8, now: u64) {
        self.ram.write(addr, value, now);
        if self.cache.is_code(addr) && self.count < self.hits.len() {
            self.hits[self.count] = addr;
            self.count += 1;
        }
    }

    #[inline]
    fn port_in(&mut self, port: u16, now: u64) -> u8 {
        self.ram.port_in(port, now)
    }

    #[inline]
    fn port_out(&mut self, port: u16, value: u8, now: u64) {
        self.ram.port_out(port, value, now);
    }

    #[inline]
    fn wait_states(&mut self, kind: retrojit_core::bus::Z80Cycle, addr: u16, now: u64) -> u32 {
        self.ram.wait_states(kind, addr, now)
    }

    #[inline]
    fn int_ack(&mut self, now: u64) -> u8 {
        self.ram.int_ack(now)
    }

    #[inline]
    fn instruction_start(&mut self, now: u64) {
        self.ram.instruction_start(now);
    }

    #[inline]
    fn int_line(&self) -> bool {
        self.ram.int_line()
    }

    #[inline]
    fn nmi_line(&self) -> bool {
        self.ram.nmi_line()
    }
}
