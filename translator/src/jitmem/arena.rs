//! Arenas: one engine's share of the region, with a bump allocator and the
//! commit path that turns a journal into visible, executable code.

use super::error::JitMemError;
use super::isa::Isa;
use super::journal::{Entry, Journal, RawJournal};
use super::os;
use super::region::{self, Carved, Region, SLOTS};
use super::validate::{STATUS_OK, decode_status};
use std::ops::Range;

/// A contiguous, page-aligned part of the code region owned by one engine.
///
/// Code is placed with [`alloc`](Arena::alloc) (a bump allocator), written
/// and patched only by [`commit`](Arena::commit)ting a [`Journal`], and
/// thrown away wholesale by [`reset`](Arena::reset). Offsets are bytes from
/// the arena start; [`code_ptr`](Arena::code_ptr) turns one into the
/// executable address. Dropping the arena poisons its code and returns the
/// range to the region.
#[derive(Debug)]
pub struct Arena {
    region: &'static Region,
    slot: usize,
    /// Offset of the arena in the region.
    base: usize,
    size: usize,
    /// Bump pointer; mirrored in the slot, which is what the callback trusts.
    used: usize,
    generation: u64,
}

impl Arena {
    /// Carves an arena of `size` bytes (rounded up to whole pages) from the
    /// region, reserving the region on first use.
    pub fn new(size: usize) -> Result<Arena, JitMemError> {
        let region = region::region()?;
        let Carved { slot, base, size } = region.carve(size)?;
        let generation = SLOTS[slot].view().generation;
        Ok(Arena {
            region,
            slot,
            base,
            size,
            used: 0,
            generation,
        })
    }

    /// Size in bytes (at most the region size, so it fits a `u32`).
    pub fn size(&self) -> u32 {
        self.size as u32
    }

    /// Bytes allocated so far, alignment padding included.
    pub fn used(&self) -> u32 {
        self.used as u32
    }

    /// Reserves `len` bytes aligned to `align` (a power of two) and returns
    /// their offset. The bytes hold poison or zero until a journal writes
    /// them: zero traps on AArch64 (`udf #0`) but not on x86-64 (`00 00` is
    /// `add [rax], al`), so never run bytes that were not written. On
    /// [`JitMemError::ArenaFull`]
    /// the engine flushes its cache with [`reset`](Arena::reset) and retries.
    pub fn alloc(&mut self, len: u32, align: u32) -> Result<u32, JitMemError> {
        if !align.is_power_of_two() {
            return Err(JitMemError::InvalidAlignment { align });
        }
        // used <= size <= 128 MiB, so none of this overflows.
        let start = self.used.next_multiple_of(align as usize);
        let end = start + len as usize;
        if end > self.size {
            return Err(JitMemError::ArenaFull {
                requested: len,
                available: self.size.saturating_sub(start) as u32,
            });
        }
        self.set_used(end);
        Ok(start as u32)
    }

    /// An empty journal bound to this arena and its current generation.
    pub fn journal(&self) -> Journal {
        Journal::new(self.slot as u32, self.generation)
    }

    /// Applies `journal` through the write callback, all or nothing, then
    /// flushes the instruction cache for every touched range, so the new
    /// code is executable as soon as this returns.
    ///
    /// Patching an exit slot that other threads may be executing is safe:
    /// each `Patch32` is one atomic aligned store. Publish new code to other
    /// threads (dispatch tables) only after this returns.
    pub fn commit(&mut self, journal: &Journal) -> Result<(), JitMemError> {
        if Isa::HOST.is_none() {
            return Err(JitMemError::UnsupportedHost);
        }
        let raw = journal.raw();
        // The callback accepts a journal only for an arena whose writer is
        // the calling thread: this marks the one arena this call may touch.
        let slot = &SLOTS[self.slot];
        slot.set_writer(os::current_thread());
        let status = os::write_journal((&raw as *const RawJournal).cast_mut().cast());
        slot.set_writer(0);
        if status != STATUS_OK {
            return Err(match decode_status(status) {
                Some((reason, entry)) => JitMemError::Rejected { entry, reason },
                None => JitMemError::UnknownStatus(status),
            });
        }
        // Accepted means the journal named this arena and every entry lies
        // inside its allocated bytes.
        for (offset, len) in journal.touched() {
            // SAFETY: offset..offset+len is inside this arena (validated),
            // hence inside the RX view.
            unsafe { os::flush_icache(self.rx_base() + offset as usize, len as usize) };
        }
        Ok(())
    }

    /// Throws away all code: poisons the allocated bytes, starts a new
    /// generation (journals built before are refused) and rewinds the bump
    /// allocator. Call it only when no thread is running this arena's code
    /// (from the dispatcher, between runs).
    pub fn reset(&mut self) -> Result<(), JitMemError> {
        // Without a host ISA nothing can have been committed, so there is
        // nothing to poison.
        if Isa::HOST.is_some() && self.used > 0 {
            // Pad to whole poison words; pages are multiples of 4, so this
            // stays inside the arena.
            self.set_used(self.used.next_multiple_of(4));
            let mut journal = self.journal();
            journal.push(Entry::Poison {
                range: 0..self.used as u32,
            });
            self.commit(&journal)?;
        }
        self.generation = SLOTS[self.slot].bump_generation();
        self.set_used(0);
        Ok(())
    }

    /// The executable address of `offset`: to call (after transmuting to the
    /// right `extern "C"` fn type) or to record in a perf map.
    ///
    /// # Panics
    /// If `offset` is not inside the allocated bytes.
    pub fn code_ptr(&self, offset: u32) -> *const u8 {
        assert!(
            (offset as usize) < self.used,
            "offset {offset:#x} is outside the arena's {:#x} allocated bytes",
            self.used
        );
        (self.rx_base() + offset as usize) as *const u8
    }

    /// The committed bytes in `range`, read through the executable view
    /// (for disassembly dumps and checks).
    ///
    /// # Panics
    /// If `range` is reversed or not inside the allocated bytes.
    pub fn code(&self, range: Range<u32>) -> &[u8] {
        assert!(
            range.start <= range.end && range.end as usize <= self.used,
            "{range:?} is outside the arena's {:#x} allocated bytes",
            self.used
        );
        let start = (self.rx_base() + range.start as usize) as *const u8;
        // SAFETY: the range lies in the readable RX view. Only commit, reset
        // and drop write these bytes, and all need `&mut self`, so they
        // cannot change while the slice is borrowed.
        unsafe { std::slice::from_raw_parts(start, range.len()) }
    }

    fn rx_base(&self) -> usize {
        self.region.views.rx + self.base
    }

    fn set_used(&mut self, used: usize) {
        self.used = used;
        SLOTS[self.slot].set_used(used);
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // Poison first: a stale pointer into this range must trap, not run
        // whatever the range's next owner writes.
        let poisoned = self.reset();
        debug_assert!(
            poisoned.is_ok(),
            "poisoning a dropped arena failed: {poisoned:?}"
        );
        self.region.release(self.slot);
    }
}
