//! The one code region of the process and its carving into arenas.
//!
//! The region is reserved lazily, once, by the first arena. Its size can be
//! chosen before that with [`configure_region`]; afterwards it is fixed and
//! no API reserves a second one (macOS allows only one `MAP_JIT` region under
//! the hardened runtime, and one region <= 128 MiB keeps every block within
//! reach of an AArch64 `B`/`BL`).
//!
//! Arenas are page-aligned, page-granular ranges handed out first-fit from a
//! free list and returned on drop. Each live arena owns a slot in [`SLOTS`],
//! the table the write callback reads to learn what a journal may touch.

use super::error::JitMemError;
use super::os;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

/// Largest region: every block reaches every other with one AArch64 `B`.
pub const MAX_REGION_SIZE: usize = 128 << 20;
/// Region size used unless [`configure_region`] says otherwise.
pub const DEFAULT_REGION_SIZE: usize = 64 << 20;
/// Most arenas alive at once (one per engine, so per emulated CPU).
pub const MAX_ARENAS: usize = 256;

static REQUESTED_SIZE: Mutex<usize> = Mutex::new(DEFAULT_REGION_SIZE);
static REGION: OnceLock<Region> = OnceLock::new();

/// One slot per possible arena; the write callback's source of truth.
pub(crate) static SLOTS: [ArenaSlot; MAX_ARENAS] = [const { ArenaSlot::free() }; MAX_ARENAS];

/// Sets the size of the region (rounded up to whole pages). Only possible
/// before the first [`Arena`](super::Arena) reserves it.
pub fn configure_region(size: usize) -> Result<(), JitMemError> {
    let mut requested = lock(&REQUESTED_SIZE);
    if REGION.get().is_some() {
        return Err(JitMemError::AlreadyReserved);
    }
    if size == 0 || size > MAX_REGION_SIZE {
        return Err(JitMemError::InvalidRegionSize { requested: size });
    }
    *requested = size;
    Ok(())
}

/// The region's size in bytes: as reserved, or as it will be reserved.
pub fn region_size() -> usize {
    match REGION.get() {
        Some(region) => region.len(),
        None => lock(&REQUESTED_SIZE).next_multiple_of(os::page_size()),
    }
}

/// The reserved region, if any. Never reserves.
pub(crate) fn reserved() -> Option<&'static Region> {
    REGION.get()
}

/// The region, reserving it on first use.
pub(crate) fn region() -> Result<&'static Region, JitMemError> {
    if let Some(region) = REGION.get() {
        return Ok(region);
    }
    // Holding the size lock serialises reservation against configuration
    // and against other first users.
    let requested = lock(&REQUESTED_SIZE);
    if let Some(region) = REGION.get() {
        return Ok(region);
    }
    let page = os::page_size();
    let len = requested.next_multiple_of(page);
    let views = os::reserve(len)?;
    #[allow(
        clippy::single_range_in_vec_init,
        reason = "one free range: the whole region"
    )]
    let free = vec![0..len];
    Ok(REGION.get_or_init(|| Region {
        views,
        page,
        free: Mutex::new(free),
    }))
}

/// The reserved memory: its views and the free ranges not carved yet.
#[derive(Debug)]
pub(crate) struct Region {
    pub views: os::Views,
    pub page: usize,
    /// Free region offsets: sorted, disjoint, never adjacent, page aligned.
    free: Mutex<Vec<Range<usize>>>,
}

/// Where a new arena landed.
#[derive(Debug)]
pub(crate) struct Carved {
    pub slot: usize,
    pub base: usize,
    pub size: usize,
}

impl Region {
    pub(crate) fn len(&self) -> usize {
        self.views.len
    }

    /// Takes `size` bytes (rounded up to pages) and a slot for a new arena.
    pub(crate) fn carve(&self, size: usize) -> Result<Carved, JitMemError> {
        let rounded = size.checked_next_multiple_of(self.page);
        let Some(size) = rounded.filter(|&s| s > 0 && s <= self.len()) else {
            return Err(JitMemError::InvalidArenaSize { requested: size });
        };
        let mut free = lock(&self.free);
        let slot = SLOTS
            .iter()
            .position(ArenaSlot::is_free)
            .ok_or(JitMemError::TooManyArenas)?;
        let hole = free
            .iter()
            .position(|range| range.len() >= size)
            .ok_or(JitMemError::RegionFull { requested: size })?;
        let base = free[hole].start;
        free[hole].start += size;
        if free[hole].is_empty() {
            free.remove(hole);
        }
        SLOTS[slot].open(base, size);
        Ok(Carved { slot, base, size })
    }

    /// Returns an arena's range to the free list and frees its slot.
    pub(crate) fn release(&self, slot: usize) {
        let mut free = lock(&self.free);
        let range = SLOTS[slot].close();
        let at = free.partition_point(|r| r.start < range.start);
        free.insert(at, range);
        // Merge with the right neighbour, then with the left one.
        if at + 1 < free.len() && free[at].end == free[at + 1].start {
            free[at].end = free.remove(at + 1).end;
        }
        if at > 0 && free[at - 1].end == free[at].start {
            free[at - 1].end = free.remove(at).end;
        }
    }
}

/// What the region knows about one arena. Written only by the thread that
/// owns the arena (or under the carving lock); read by the write callback.
#[derive(Debug)]
pub(crate) struct ArenaSlot {
    /// Offset of the arena in the region.
    base: AtomicUsize,
    /// Arena size; 0 while the slot is free.
    size: AtomicUsize,
    /// Bytes handed out by the arena's bump allocator: all that writes may touch.
    used: AtomicUsize,
    /// Bumped on every reset and on release, so old journals are refused.
    generation: AtomicU64,
    /// Identity of the thread inside `Arena::commit`, 0 when none is.
    writer: AtomicUsize,
}

/// A snapshot of a slot, read once by the validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ArenaView {
    pub base: usize,
    pub size: usize,
    pub used: usize,
    pub generation: u64,
    pub writer: usize,
}

impl ArenaSlot {
    pub(crate) const fn free() -> ArenaSlot {
        ArenaSlot {
            base: AtomicUsize::new(0),
            size: AtomicUsize::new(0),
            used: AtomicUsize::new(0),
            generation: AtomicU64::new(0),
            writer: AtomicUsize::new(0),
        }
    }

    fn is_free(&self) -> bool {
        self.size.load(Ordering::Acquire) == 0
    }

    pub(crate) fn open(&self, base: usize, size: usize) {
        self.base.store(base, Ordering::Release);
        self.used.store(0, Ordering::Release);
        self.writer.store(0, Ordering::Release);
        self.size.store(size, Ordering::Release);
    }

    pub(crate) fn close(&self) -> Range<usize> {
        let base = self.base.load(Ordering::Acquire);
        let size = self.size.swap(0, Ordering::AcqRel);
        self.used.store(0, Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
        base..base + size
    }

    pub(crate) fn view(&self) -> ArenaView {
        ArenaView {
            base: self.base.load(Ordering::Acquire),
            size: self.size.load(Ordering::Acquire),
            used: self.used.load(Ordering::Acquire),
            generation: self.generation.load(Ordering::Acquire),
            writer: self.writer.load(Ordering::Acquire),
        }
    }

    pub(crate) fn set_used(&self, used: usize) {
        self.used.store(used, Ordering::Release);
    }

    /// Starts a new generation (after a reset); returns it.
    pub(crate) fn bump_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    pub(crate) fn set_writer(&self, thread: usize) {
        self.writer.store(thread, Ordering::Release);
    }
}

/// The protected data stay consistent even if a holder panicked (every
/// update is a single assignment or a Vec operation), so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
