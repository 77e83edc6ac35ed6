//! The block cache (6502 and Z80): where translated blocks live in the
//! arena, how the dispatcher finds them, how exits are linked, and what
//! happens when the guest writes over translated code.
//!
//! - Lookup: a dense table indexed by (PC, D) holding block numbers.
//! - Linking: each exit slot starts unlinked (the host's NOP word: fall
//!   back to the dispatcher) and becomes a branch to its target once the
//!   target exists; both sides are recorded so invalidation can unlink.
//! - Self-modifying code: a bit per guest byte marks translated bytes.
//!   A write there (from generated code or the interpreter) invalidates the
//!   blocks whose bytes really changed: their lookup entries go, incoming
//!   links are patched back to NOPs and their entry is poisoned. The
//!   rewrites climb a ladder: a rewritten immediate operand is read at run
//!   time from then on; a byte rewritten again and again (or stored over
//!   with its own value by generated code) leaves its instruction to the
//!   interpreter, blocks ending before it; a page invalidated again and
//!   again is left to the interpreter as a whole.
//! - Mapping: blocks rely on the page table they were compiled for, and
//!   on its whole-space [`MemoryShape`]; remaps drop what they break.
//! - A full arena is reset and the cache starts over.

use crate::backend::host::mos6502::{ISA, emit_block, emit_runtime};
use crate::backend::shape::MemoryShape;
use crate::backend::{CodegenConfig, Emitted, Guest, Runtime};
use crate::ir::{Addr, Block, Op};
use crate::jitmem::{Arena, Entry, JitMemError};
use crate::lift::Rewrites;
use bitvec::prelude::{BitVec, Lsb0, bitvec};
use retrojit_core::bus::MappedMemory;
use std::collections::{BTreeSet, HashMap};

/// Index of a block in [`BlockCache::blocks`].
pub type BlockId = u32;

/// Invalidations of one page after which it is left to the interpreter.
pub const HOT_PAGE_LIMIT: u32 = 64;

/// Rewrites of one code byte (other than an immediate operand) after which
/// its instruction is left to the interpreter (beebjit's dynamic trigger).
pub const DYNAMIC_OPCODE_TRIGGER: u8 = 4;

/// One translated block.
#[derive(Clone, Debug)]
pub struct CachedBlock {
    /// Entry PC.
    pub start: u16,
    /// Guest bytes translated.
    pub len: u16,
    /// D at entry.
    pub decimal: bool,
    /// Arena offset of the code.
    pub offset: u32,
    /// Code size in bytes.
    pub size: u32,
    /// Worst-case cycles (the budget it needs).
    pub worst_cycles: u16,
    /// Guest instructions.
    pub instructions: u16,
    /// The guest bytes it was translated from.
    pub bytes: Vec<u8>,
    /// Arena offsets of other blocks' exit slots linked to this one.
    pub incoming: Vec<u32>,
    /// Immediate operands compiled in as constants.
    pub immediates: Vec<u16>,
    /// Immediate operands read from memory at run time (free to change).
    pub dynamic_operands: Vec<u16>,
    /// Still valid.
    pub live: bool,
}

/// Counters reported at the end of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Blocks compiled.
    pub compiled: u64,
    /// Code bytes emitted.
    pub code_bytes: u64,
    /// Microseconds spent compiling.
    pub compile_micros: u64,
    /// Exits linked.
    pub links: u64,
    /// Blocks invalidated by guest writes.
    pub invalidations: u64,
    /// Arena resets.
    pub flushes: u64,
    /// Code bytes handed to the interpreter for being rewritten.
    pub dynamic_opcodes: u64,
    /// Pages handed to the interpreter for being rewritten too often.
    pub hot_pages: u64,
    /// Entry points that could not be translated.
    pub untranslatable: u64,
}

/// An exit waiting for its target block to be compiled.
#[derive(Clone, Copy, Debug)]
struct PendingLink {
    slot: u32,
    from: BlockId,
}

/// Pages whose mapping a block depends on: those its code came from and
/// those its page accesses were resolved against at translation time.
fn pages_used(block: &Block) -> BTreeSet<u8> {
    let mut pages: BTreeSet<u8> = (0..block.len)
        .map(|i| (block.start.wrapping_add(i) >> 8) as u8)
        .collect();
    for op in &block.ops {
        if let Op::Load {
            addr: Addr::Page { page, .. },
            ..
        }
        | Op::Store {
            addr: Addr::Page { page, .. },
            ..
        } = op
        {
            pages.insert(*page);
        }
    }
    pages
}

/// Who wrote a byte of translated code.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WriteOrigin {
    /// A store in generated code (which left its block to report it).
    GeneratedCode,
    /// A store the interpreter executed.
    Interpreter,
    /// Not the guest: a loader or a test harness.
    External,
}

/// Translated blocks of one engine.
#[derive(Debug)]
pub struct BlockCache {
    arena: Arena,
    runtime: Runtime,
    /// Per (D << 16 | PC): block number + 1, or 0.
    table: Vec<BlockId>,
    /// Per (D << 16 | PC): arena offset of the live block's entry, or 0
    /// (generated code reads it; offset 0 holds the runtime stubs).
    entries: Vec<u32>,
    blocks: Vec<CachedBlock>,
    /// Blocks overlapping each guest page.
    page_blocks: Vec<Vec<BlockId>>,
    /// Per (D << 16 | PC) without a block: exits waiting for one (sparse:
    /// a dense table would cost more to create than most runs use).
    pending: HashMap<usize, Vec<PendingLink>>,
    /// One byte per guest byte, nonzero when translated code came from it:
    /// generated code tests a store's address with one compare (a bit map
    /// needs a shift, a load and a bit test).
    code_map: Vec<u8>,
    /// Immediate operands the guest rewrote: translated as loads from then on.
    dynamic_operands: BitVec<u8, Lsb0>,
    /// Other bytes of translated code the guest rewrote
    /// [`DYNAMIC_OPCODE_TRIGGER`] times: interpreted from then on.
    dynamic_opcodes: BitVec<u8, Lsb0>,
    /// Rewrites so far of each byte of translated code (not operands).
    rewrite_counts: Vec<u8>,
    page_invalidations: [u32; 256],
    interpreted_pages: [bool; 256],
    /// The memory mapping generation and whole-space shape the live blocks
    /// were compiled under; `None` when there are none (a new mapping is
    /// then adopted as it is).
    mapping: Option<(u64, MemoryShape)>,
    codegen: CodegenConfig,
    link: bool,
    /// Counters.
    pub stats: CacheStats,
}

fn key(pc: u16, decimal: bool) -> usize {
    usize::from(decimal) << 16 | usize::from(pc)
}

impl CachedBlock {
    /// Whether the block's code depends on the byte at `addr` (its bytes,
    /// minus operands it reads at run time).
    pub fn covers(&self, addr: u16) -> bool {
        addr.wrapping_sub(self.start) < self.len && !self.dynamic_operands.contains(&addr)
    }

    /// Whether guest memory no longer holds the bytes the block was
    /// translated from.
    fn changed(&self, memory: &MappedMemory) -> bool {
        self.bytes.iter().enumerate().any(|(i, &byte)| {
            let addr = self.start.wrapping_add(i as u16);
            self.covers(addr) && memory.read(addr) != Some(byte)
        })
    }
}

impl BlockCache {
    /// A cache of `guest` code in an arena of `arena_size` bytes. `link`
    /// false keeps every exit going through the dispatcher (lockstep
    /// checks each block).
    pub fn new(
        guest: Guest,
        arena_size: usize,
        codegen: CodegenConfig,
        link: bool,
    ) -> Result<Self, JitMemError> {
        let mut arena = Arena::new(arena_size)?;
        let runtime = emit_runtime(guest).expect("the runtime stubs encode");
        Self::install_runtime(&mut arena, &runtime)?;
        Ok(Self {
            arena,
            runtime,
            table: vec![0; 1 << 17],
            entries: vec![0; 1 << 17],
            blocks: Vec::new(),
            page_blocks: vec![Vec::new(); 256],
            pending: HashMap::new(),
            code_map: vec![0; 1 << 16],
            dynamic_operands: bitvec![u8, Lsb0; 0; 1 << 16],
            dynamic_opcodes: bitvec![u8, Lsb0; 0; 1 << 16],
            rewrite_counts: vec![0; 1 << 16],
            page_invalidations: [0; 256],
            interpreted_pages: [false; 256],
            mapping: None,
            codegen,
            link,
            stats: CacheStats::default(),
        })
    }

    fn install_runtime(arena: &mut Arena, runtime: &Runtime) -> Result<(), JitMemError> {
        let at = arena.alloc(runtime.code.len() as u32, 16)?;
        debug_assert_eq!(at, 0, "the runtime stubs open the arena");
        let mut journal = arena.journal();
        journal.push(Entry::Copy {
            dst: at,
            bytes: &runtime.code,
        });
        arena.commit(&journal)
    }

    /// The entry trampoline (`extern "C" fn(*mut JitContext, entry)`).
    pub fn trampoline(&self) -> *const u8 {
        self.arena.code_ptr(0)
    }

    /// The entry-offset table generated code looks indirect targets up in.
    pub fn dispatch_table(&self) -> *const u32 {
        self.entries.as_ptr()
    }

    /// The code map, for generated code and the interpreter's write watch.
    pub fn code_map(&self) -> &[u8] {
        &self.code_map
    }

    /// The block entered at (`pc`, `decimal`), if translated.
    pub fn lookup(&self, pc: u16, decimal: bool) -> Option<&CachedBlock> {
        match self.table[key(pc, decimal)] {
            0 => None,
            id => Some(&self.blocks[id as usize - 1]),
        }
    }

    /// RX address of a block's entry.
    pub fn entry(&self, block: &CachedBlock) -> *const u8 {
        self.arena.code_ptr(block.offset)
    }

    /// Whether blocks may start on `pc`'s page.
    pub fn page_compilable(&self, pc: u16) -> bool {
        !self.interpreted_pages[usize::from(pc >> 8)]
    }

    /// Code of a block, for dumps.
    pub fn code(&self, block: &CachedBlock) -> &[u8] {
        self.arena.code(block.offset..block.offset + block.size)
    }

    /// Compiles and installs `block`. Returns false when the backend cannot
    /// compile it (the interpreter keeps running that code).
    pub fn insert(&mut self, block: &Block, memory: &MappedMemory) -> Result<bool, JitMemError> {
        let shape = self.follow_remaps(memory)?;
        let started = std::time::Instant::now();
        let emitted = match emit_block(block, memory, shape, self.codegen) {
            Ok(emitted) => emitted,
            Err(_) => {
                self.stats.untranslatable += 1;
                return Ok(false);
            }
        };
        let size = emitted.code.len() as u32;
        let offset = match self.arena.alloc(size, 16) {
            Ok(offset) => offset,
            Err(JitMemError::ArenaFull { .. }) => {
                self.flush()?;
                self.arena.alloc(size, 16)?
            }
            Err(e) => return Err(e),
        };
        let id = self.blocks.len() as BlockId + 1;
        let own_key = key(block.start, block.decimal);
        let mut bytes = emitted.code.clone();
        self.place(&emitted, &mut bytes, offset, id, own_key);

        let mut journal = self.arena.journal();
        journal.push(Entry::Copy {
            dst: offset,
            bytes: &bytes,
        });
        // Exits that were waiting for this block now branch to it.
        let waiting = if self.link {
            self.pending.remove(&own_key).unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut incoming = Vec::new();
        for link in &waiting {
            if self.blocks[link.from as usize - 1].live {
                let word = ISA
                    .branch_word(link.slot, offset)
                    .expect("arena offsets are in branch range");
                journal.push(Entry::Patch32 {
                    at: link.slot,
                    word,
                });
                incoming.push(link.slot);
                self.stats.links += 1;
            }
        }
        // Links from this block to itself are already in the copied words.
        incoming.extend(
            emitted
                .exits
                .iter()
                .filter(|e| key(e.target, e.decimal) == own_key)
                .map(|e| offset + e.at),
        );
        self.arena.commit(&journal)?;

        let guest: Vec<u8> = (0..block.len)
            .map(|i| memory.read(block.start.wrapping_add(i)).unwrap_or(0))
            .collect();
        self.blocks.push(CachedBlock {
            start: block.start,
            len: block.len,
            decimal: block.decimal,
            offset,
            size,
            worst_cycles: block.worst_cycles,
            instructions: block.instructions,
            bytes: guest,
            incoming,
            immediates: block.immediates.clone(),
            dynamic_operands: block.dynamic_operands.clone(),
            live: true,
        });
        self.table[own_key] = id;
        self.entries[own_key] = offset;
        for i in 0..block.len {
            let addr = block.start.wrapping_add(i);
            if !block.dynamic_operands.contains(&addr) {
                self.code_map[usize::from(addr)] = 1;
            }
        }
        for page in pages_used(block) {
            self.page_blocks[usize::from(page)].push(id);
        }
        self.stats.compiled += 1;
        self.stats.code_bytes += u64::from(size);
        self.stats.compile_micros += started.elapsed().as_micros() as u64;
        Ok(true)
    }

    /// Resolves a new block's branches to the common exit and links its
    /// exits to targets that already exist (or queues them).
    fn place(
        &mut self,
        emitted: &Emitted,
        code: &mut [u8],
        offset: u32,
        id: BlockId,
        own_key: usize,
    ) {
        let mut set_word = |at: u32, to: u32| {
            let word = ISA
                .branch_word(offset + at, to)
                .expect("arena offsets are in branch range");
            code[at as usize..at as usize + 4].copy_from_slice(&word.to_le_bytes());
        };
        for &at in &emitted.epilogue_branches {
            set_word(at, self.runtime.epilogue);
        }
        if !self.link {
            return;
        }
        for exit in &emitted.exits {
            let slot = offset + exit.at;
            let target_key = key(exit.target, exit.decimal);
            let target_offset = if target_key == own_key {
                Some(offset)
            } else {
                match self.table[target_key] {
                    0 => None,
                    target => {
                        let target = &mut self.blocks[target as usize - 1];
                        target.incoming.push(slot);
                        Some(target.offset)
                    }
                }
            };
            match target_offset {
                Some(to) => {
                    set_word(exit.at, to);
                    self.stats.links += 1;
                }
                None => self
                    .pending
                    .entry(target_key)
                    .or_default()
                    .push(PendingLink { slot, from: id }),
            }
        }
    }

    /// How the guest has been rewriting the code byte at `addr`.
    pub fn rewrites(&self, addr: u16) -> Rewrites {
        if self.dynamic_opcodes[usize::from(addr)] {
            Rewrites::Opcode
        } else if self.dynamic_operands[usize::from(addr)] {
            Rewrites::Operand
        } else {
            Rewrites::Never
        }
    }

    /// Whether `addr` holds translated code.
    pub fn is_code(&self, addr: u16) -> bool {
        self.code_map[usize::from(addr)] != 0
    }

    /// Something wrote translated code at `addr` (memory already holds the
    /// new value): invalidates every block on that page whose bytes changed.
    /// Checking the whole page also catches the other bytes the same
    /// instruction stored (JSR and BRK push two or three). Guest stores
    /// also move the byte up the ladder of [`Rewrites`].
    pub fn invalidate_write(
        &mut self,
        addr: u16,
        memory: &MappedMemory,
        origin: WriteOrigin,
    ) -> Result<(), JitMemError> {
        let page = usize::from(addr >> 8);
        let at = usize::from(addr);
        let live = |id: &BlockId, pick: &dyn Fn(&CachedBlock) -> bool| {
            let b = &self.blocks[*id as usize - 1];
            b.live && pick(b)
        };
        let changed: Vec<BlockId> = self.page_blocks[page]
            .iter()
            .copied()
            .filter(|id| live(id, &|b| b.changed(memory)))
            .collect();
        if origin == WriteOrigin::External {
            return self.invalidate(&changed);
        }
        // A store from generated code that left the byte as it was makes
        // nothing stale, but each one cost an exit: it counts as a rewrite
        // of the byte, so that such stores soon stop hitting translated
        // code.
        let rewritten = if changed.is_empty() && origin == WriteOrigin::GeneratedCode {
            self.page_blocks[page]
                .iter()
                .copied()
                .filter(|id| live(id, &|b| b.covers(addr)))
                .collect()
        } else {
            changed.clone()
        };
        if rewritten.is_empty() {
            return Ok(());
        }
        // An immediate operand written over becomes a run-time load in the
        // retranslation (the next rewrite then costs nothing). Any other
        // byte rewritten often enough leaves its instruction to the
        // interpreter; a rare rewrite is simply retranslated.
        let operand = rewritten
            .iter()
            .any(|&id| self.blocks[id as usize - 1].immediates.contains(&addr));
        let mut stale = changed;
        if operand {
            self.dynamic_operands.set(at, true);
            stale = rewritten;
        } else {
            self.rewrite_counts[at] = self.rewrite_counts[at].saturating_add(1);
            if self.rewrite_counts[at] >= DYNAMIC_OPCODE_TRIGGER && !self.dynamic_opcodes[at] {
                self.dynamic_opcodes.set(at, true);
                self.stats.dynamic_opcodes += 1;
                stale = rewritten;
            }
        }
        self.invalidate(&stale)?;
        if !stale.is_empty() && !operand {
            self.page_invalidations[page] += 1;
            if self.page_invalidations[page] == HOT_PAGE_LIMIT {
                self.interpreted_pages[page] = true;
                self.stats.hot_pages += 1;
            }
        }
        Ok(())
    }

    /// Drops what the machine's remaps since the last look made stale:
    /// every block translated from or through a remapped page, or all of
    /// them when a remap broke a whole-space promise the code relies on
    /// (see [`MemoryShape`]). Returns the shape code compiled now may rely
    /// on: the one the cache records, so the optimiser, the backend and
    /// the cache's remap tracking cannot disagree about it.
    #[inline]
    pub fn follow_remaps(&mut self, memory: &MappedMemory) -> Result<MemoryShape, JitMemError> {
        match self.mapping {
            Some((seen, shape)) if seen == memory.generation() => Ok(shape),
            _ => self.adopt_mapping(memory),
        }
    }

    /// [`Self::follow_remaps`] once the mapping changed.
    fn adopt_mapping(&mut self, memory: &MappedMemory) -> Result<MemoryShape, JitMemError> {
        let now = MemoryShape::of(memory);
        if let Some((seen, shape)) = self.mapping {
            if shape.holds_in(now) {
                let remapped: Vec<u8> = memory.remapped_since(seen).collect();
                for page in remapped {
                    self.invalidate_page(page)?;
                }
            } else {
                self.flush()?;
            }
        }
        self.mapping = Some((memory.generation(), now));
        Ok(now)
    }

    /// The machine remapped `page`: every block that read code or data
    /// through it goes.
    pub fn invalidate_page(&mut self, page: u8) -> Result<(), JitMemError> {
        let stale: Vec<BlockId> = self.page_blocks[usize::from(page)]
            .iter()
            .copied()
            .filter(|&id| self.blocks[id as usize - 1].live)
            .collect();
        self.invalidate(&stale)
    }

    /// Removes blocks: lookup entries cleared, incoming links patched back
    /// to NOPs, entries poisoned, code bits recomputed.
    fn invalidate(&mut self, stale: &[BlockId]) -> Result<(), JitMemError> {
        if stale.is_empty() {
            return Ok(());
        }
        let mut journal = self.arena.journal();
        for &id in stale {
            let b = &mut self.blocks[id as usize - 1];
            b.live = false;
            let (start, len, entry_key) = (b.start, b.len, key(b.start, b.decimal));
            let incoming = std::mem::take(&mut b.incoming);
            let offset = b.offset;
            for &slot in &incoming {
                journal.push(Entry::Patch32 {
                    at: slot,
                    word: ISA.nop_word(),
                });
                // The exit waits for the retranslation, as it waited for
                // the first translation.
                if self.link {
                    let from = self.owner(slot);
                    self.pending
                        .entry(entry_key)
                        .or_default()
                        .push(PendingLink { slot, from });
                }
            }
            journal.push(Entry::Poison {
                range: offset..offset + 4,
            });
            if self.table[entry_key] == id {
                self.table[entry_key] = 0;
                self.entries[entry_key] = 0;
            }
            self.stats.invalidations += 1;
            self.clear_code_bits(start, len);
        }
        self.arena.commit(&journal)
    }

    /// The block whose code holds arena offset `at` (blocks are numbered
    /// in allocation order, so by offset).
    fn owner(&self, at: u32) -> BlockId {
        self.blocks.partition_point(|b| b.offset <= at) as BlockId
    }

    /// Recomputes the code bits of `len` bytes from `start` from the blocks
    /// still live there.
    fn clear_code_bits(&mut self, start: u16, len: u16) {
        for i in 0..len {
            let addr = start.wrapping_add(i);
            let covered = self.page_blocks[usize::from(addr >> 8)].iter().any(|&id| {
                let b = &self.blocks[id as usize - 1];
                b.live && b.covers(addr)
            });
            self.code_map[usize::from(addr)] = u8::from(covered);
        }
    }

    /// Drops every block and resets the arena (it filled up).
    pub fn flush(&mut self) -> Result<(), JitMemError> {
        self.arena.reset()?;
        Self::install_runtime(&mut self.arena, &self.runtime)?;
        self.table.fill(0);
        self.entries.fill(0);
        self.blocks.clear();
        self.page_blocks.iter_mut().for_each(Vec::clear);
        self.pending.clear();
        self.code_map.fill(0);
        self.dynamic_operands.fill(false);
        self.dynamic_opcodes.fill(false);
        self.rewrite_counts.fill(0);
        self.mapping = None;
        self.stats.flushes += 1;
        Ok(())
    }
}
