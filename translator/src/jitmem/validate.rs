//! The journal validator and applier: the body of the one write callback.
//!
//! Its input is a context pointer that must be treated as attacker-controlled
//! (Apple's guidance for `pthread_jit_write_with_callback_np`). Everything it
//! trusts comes from [`WriteEnv`]: the region's address ranges, the arena
//! slot table maintained by safe code, and the calling thread's identity.
//!
//! Two passes: the first checks the header and every entry and returns a
//! status before anything is written; the second re-reads each entry once
//! into a local, checks it again and writes exactly that local copy. The
//! re-check closes the window in which another thread could rewrite an
//! already validated entry; if it ever fails, the journal was tampered with
//! mid-write and the process aborts (the simplest possible trap).
//!
//! # Patch32 rules per ISA
//! - **AArch64:** the word must be a `B` into the arena's allocated code
//!   (the whole 4-byte instruction inside it), the `NOP` or the poison word.
//! - **x86-64:** the word is the rel32 of a `jmp` (`E9`), so every word is
//!   a branch (0 being the fall-through "NOP"). The slot must be an exit
//!   slot: `at >= 1` and the byte at `at - 1`, read from the arena's
//!   current contents, is `E9`. No other entry of the same journal may
//!   write any of the 5 bytes `at - 1 .. at + 4` (except a `Patch32` of the
//!   same slot), so the opcode checked here is still there when the patch
//!   is applied. The target `at + 4 + rel32` must be an allocated byte of
//!   the arena. The poison word is a branch about 0.8 GiB backwards there,
//!   hence always refused: x86-64 code is poisoned with `Poison` entries.
//!
//! No panics (the lints below), no allocation, no formatting, no locks.

#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used
)]

use super::isa::{Isa, PatchWord};
use super::journal::{RawEntry, RawJournal};
use super::region::{ArenaSlot, ArenaView};
use std::ffi::{c_int, c_void};
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering};

/// At most this many entries per journal: bounds the validation time and
/// keeps the entry table's byte size far from overflow.
pub(crate) const MAX_ENTRIES: usize = 1 << 20;
/// At most this many staging bytes: no arena is larger than the region.
pub(crate) const MAX_STAGING: usize = super::MAX_REGION_SIZE;

/// Why the write callback refused a journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Reject {
    /// The context pointer is null or misaligned.
    BadContext = 1,
    /// The header does not start with the journal magic.
    BadMagic,
    /// The header length field is not the size of the header.
    BadHeaderLength,
    /// More entries than a journal may hold.
    TooManyEntries,
    /// The entry table pointer is null or misaligned.
    BadEntryTable,
    /// The staging pointer is null, or its length is huge or wraps.
    BadStaging,
    /// The staging bytes lie inside the code region itself.
    StagingInRegion,
    /// The journal names no live arena.
    UnknownArena,
    /// The arena was reset (or recycled) after the journal was built.
    StaleGeneration,
    /// The calling thread is not committing to the journal's arena.
    NotWriter,
    /// retrojit has no backend for this host's instruction set.
    UnsupportedIsa,
    /// Unknown entry kind, or a field the kind does not use is not zero.
    MalformedEntry,
    /// The entry writes outside the arena's allocated bytes.
    OutOfBounds,
    /// A `Copy` address or length not a multiple of the code alignment, or
    /// a `Patch32` address or `Poison` range not a multiple of 4.
    Misaligned,
    /// A `Copy` source lies outside the staging bytes.
    SourceOutOfBounds,
    /// A `Patch32` word is not a branch, the NOP or the poison word.
    BadPatchWord,
    /// A `Patch32` branch targets code outside the arena's allocated bytes.
    BranchOutOfArena,
    /// x86-64: a `Patch32` address is not the displacement of a `jmp rel32`
    /// (no `E9` byte right before it), or another entry of the journal
    /// writes the jump.
    NotAnExitSlot,
}

impl Reject {
    const ALL: [Reject; 18] = [
        Reject::BadContext,
        Reject::BadMagic,
        Reject::BadHeaderLength,
        Reject::TooManyEntries,
        Reject::BadEntryTable,
        Reject::BadStaging,
        Reject::StagingInRegion,
        Reject::UnknownArena,
        Reject::StaleGeneration,
        Reject::NotWriter,
        Reject::UnsupportedIsa,
        Reject::MalformedEntry,
        Reject::OutOfBounds,
        Reject::Misaligned,
        Reject::SourceOutOfBounds,
        Reject::BadPatchWord,
        Reject::BranchOutOfArena,
        Reject::NotAnExitSlot,
    ];

    /// What went wrong, in words.
    pub const fn describe(self) -> &'static str {
        match self {
            Reject::BadContext => "null or misaligned journal pointer",
            Reject::BadMagic => "bad journal magic",
            Reject::BadHeaderLength => "bad journal header length",
            Reject::TooManyEntries => "too many entries",
            Reject::BadEntryTable => "null or misaligned entry table",
            Reject::BadStaging => "bad staging buffer",
            Reject::StagingInRegion => "staging buffer inside the code region",
            Reject::UnknownArena => "no such arena",
            Reject::StaleGeneration => "journal built before the arena was reset",
            Reject::NotWriter => "calling thread is not committing to this arena",
            Reject::UnsupportedIsa => "no backend for this host ISA",
            Reject::MalformedEntry => "malformed entry",
            Reject::OutOfBounds => "outside the arena's allocated code",
            Reject::Misaligned => "misaligned address or length",
            Reject::SourceOutOfBounds => "copy source outside the staging buffer",
            Reject::BadPatchWord => "patch word is not a branch, NOP or poison",
            Reject::BranchOutOfArena => "branch target outside the arena's allocated code",
            Reject::NotAnExitSlot => {
                "patch address is not an exit slot (no jmp rel32 before it, or the journal also writes it)"
            }
        }
    }
}

/// The callback's status: 0 for success, else the reason in the low byte
/// and, for entry-level rejections, the entry index plus one above it.
pub(crate) const STATUS_OK: c_int = 0;

pub(crate) const fn status(reason: Reject, entry: Option<usize>) -> c_int {
    let index = match entry {
        // MAX_ENTRIES << 8 fits an i32, so neither step can overflow.
        Some(i) if i < MAX_ENTRIES => (i as c_int).wrapping_add(1),
        _ => 0,
    };
    (index << 8) | reason as c_int
}

/// Splits a non-zero status back into the reason and the entry index.
pub(crate) fn decode_status(code: c_int) -> Option<(Reject, Option<usize>)> {
    let reason = *Reject::ALL.iter().find(|r| **r as c_int == code & 0xff)?;
    let entry = usize::try_from(code >> 8).ok()?.checked_sub(1);
    Some((reason, entry))
}

/// What the validator trusts: state it can read without the context.
#[derive(Debug)]
pub(crate) struct WriteEnv<'a> {
    pub isa: Isa,
    pub slots: &'a [ArenaSlot],
    /// Address range of the executable view.
    pub rx: Range<usize>,
    /// Address range of the writable view (equal to `rx` on macOS).
    pub rw: Range<usize>,
    /// Identity of the calling thread.
    pub thread: usize,
}

/// A checked entry, ready to be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Copy { dst: usize, src: usize, len: usize },
    Patch { at: usize, word: u32 },
    Poison { start: usize, len: usize },
}

/// A checked journal header.
#[derive(Debug)]
struct Plan {
    arena: ArenaView,
    /// Writable address of the arena's first byte. Only [`check_journal`]
    /// builds a plan, after checking that the arena's `size` (and so its
    /// `used`) bytes from here lie inside the RW view.
    arena_rw: *mut u8,
    entries: *const RawEntry,
    entry_count: usize,
    staging: *const u8,
    staging_len: usize,
}

/// Validates the journal at `ctx` and, if every entry passes, applies it.
/// Returns [`STATUS_OK`] or a rejection status; never writes a byte of a
/// rejected journal.
///
/// # Safety
/// `ctx` must be null or point to memory readable for a [`RawJournal`];
/// if the header passes, its `entries` and `staging` pointers must be
/// readable for their stated lengths. The *contents* may be anything.
/// `env.rw` must be writable memory whose layout `env.slots` describes.
pub(crate) unsafe fn validate_and_apply(ctx: *const c_void, env: &WriteEnv<'_>) -> c_int {
    // SAFETY: forwarded from this function's contract.
    let plan = match unsafe { check_journal(ctx, env) } {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    for index in 0..plan.entry_count {
        // SAFETY: check_journal verified the table pointer is aligned and
        // non-null, and index < entry_count; readability is the caller's
        // contract. A volatile read fetches the entry exactly once.
        let raw = unsafe { plan.entries.add(index).read_volatile() };
        match check_entry(&raw, &plan, env.isa) {
            // SAFETY: the op was checked against the arena bounds, which
            // lie inside env.rw, and against the staging length.
            Ok(op) => unsafe { apply(op, &plan, env.isa) },
            // Passed the first pass, fails now: someone rewrote the journal
            // while it was being applied.
            Err(_) => std::process::abort(),
        }
    }
    STATUS_OK
}

/// First pass: the header, the arena, then every entry.
///
/// # Safety
/// As for [`validate_and_apply`].
unsafe fn check_journal(ctx: *const c_void, env: &WriteEnv<'_>) -> Result<Plan, c_int> {
    let reject = |reason| Err(status(reason, None));
    let ctx = ctx.cast::<RawJournal>();
    if ctx.is_null() || !ctx.is_aligned() {
        return reject(Reject::BadContext);
    }
    // SAFETY: non-null and aligned; readable by the caller's contract. One
    // volatile read, so later checks see the same header.
    let header = unsafe { ctx.read_volatile() };
    if header.magic != RawJournal::MAGIC {
        return reject(Reject::BadMagic);
    }
    if header.header_len as usize != size_of::<RawJournal>() {
        return reject(Reject::BadHeaderLength);
    }
    if header.entry_count > MAX_ENTRIES {
        return reject(Reject::TooManyEntries);
    }
    if header.entry_count > 0 && (header.entries.is_null() || !header.entries.is_aligned()) {
        return reject(Reject::BadEntryTable);
    }
    let staging = header.staging as usize;
    let Some(staging_end) = staging.checked_add(header.staging_len) else {
        return reject(Reject::BadStaging);
    };
    if header.staging_len > MAX_STAGING || (header.staging_len > 0 && header.staging.is_null()) {
        return reject(Reject::BadStaging);
    }
    let staging_range = staging..staging_end;
    if overlaps(&staging_range, &env.rx) || overlaps(&staging_range, &env.rw) {
        return reject(Reject::StagingInRegion);
    }
    let Some(slot) = env.slots.get(header.arena as usize) else {
        return reject(Reject::UnknownArena);
    };
    let arena = slot.view();
    let inside_region = arena.used <= arena.size
        && arena
            .base
            .checked_add(arena.size)
            .is_some_and(|end| end <= env.rw.len());
    if arena.size == 0 || !inside_region {
        return reject(Reject::UnknownArena);
    }
    if arena.generation != header.generation {
        return reject(Reject::StaleGeneration);
    }
    if arena.writer != env.thread {
        return reject(Reject::NotWriter);
    }
    let plan = Plan {
        arena_rw: env.rw.start.wrapping_add(arena.base) as *mut u8,
        arena,
        entries: header.entries,
        entry_count: header.entry_count,
        staging: header.staging,
        staging_len: header.staging_len,
    };
    for index in 0..plan.entry_count {
        // SAFETY: aligned, non-null, index < entry_count; readable by contract.
        let raw = unsafe { plan.entries.add(index).read_volatile() };
        let op = check_entry(&raw, &plan, env.isa).map_err(|reason| status(reason, Some(index)))?;
        if let (Op::Patch { at, .. }, Some(_)) = (op, env.isa.slot_opcode()) {
            // SAFETY: as for the read above.
            if unsafe { journal_writes_slot(at, &plan) } {
                return Err(status(Reject::NotAnExitSlot, Some(index)));
            }
        }
    }
    Ok(plan)
}

/// x86-64: whether an entry of the journal other than a `Patch32` of the
/// same slot writes any byte of the `jmp rel32` at `at - 1 .. at + 4`.
/// Then the opcode check of the slot would be stale by the time the patch
/// is applied. This scans the whole table once per patch: O(patches ×
/// entries), fine for real journals (a few patches); a forged journal can
/// only slow down its own commit on its own thread.
///
/// First pass only: the second pass re-checks the opcode byte itself (so an
/// entry rewritten in between to clobber it trips the abort), and a `Copy`
/// rewritten after this scan can write nothing a `Copy` could not anyway.
///
/// # Safety
/// `plan.entries` must be aligned, non-null and readable for
/// `plan.entry_count` entries (checked by [`check_journal`] and the
/// caller's contract).
unsafe fn journal_writes_slot(at: usize, plan: &Plan) -> bool {
    // `at` passed check_entry: 4 <= at and at + 4 <= used (< 128 MiB).
    let slot = at.saturating_sub(1)..at.saturating_add(4);
    (0..plan.entry_count).any(|index| {
        // SAFETY: index < entry_count; see the function's contract.
        let raw = unsafe { plan.entries.add(index).read_volatile() };
        // Unchecked entries may hold anything: saturate, never wrap.
        let start = usize::try_from(raw.offset).unwrap_or(usize::MAX);
        let len = usize::try_from(raw.len).unwrap_or(usize::MAX);
        let written = match raw.kind {
            RawEntry::COPY | RawEntry::POISON => start..start.saturating_add(len),
            RawEntry::PATCH32 if start != at => start..start.saturating_add(4),
            // The same slot again, or a kind the validator refuses anyway.
            _ => return false,
        };
        overlaps(&written, &slot)
    })
}

/// One entry against the arena's allocated bytes and the staging buffer.
fn check_entry(raw: &RawEntry, plan: &Plan, isa: Isa) -> Result<Op, Reject> {
    let used = plan.arena.used as u64;
    let align = u64::from(isa.code_align());
    let aligned = |value: u64| value.is_multiple_of(align);
    let within =
        |start: u64, len: u64, limit: u64| start.checked_add(len).is_some_and(|end| end <= limit);
    // Offsets that pass `within(.., used)` are below 128 MiB, so the usize
    // conversions after the checks are lossless.
    match raw.kind {
        RawEntry::COPY => {
            if raw.word != 0 {
                return Err(Reject::MalformedEntry);
            }
            if !within(raw.offset, raw.len, used) {
                return Err(Reject::OutOfBounds);
            }
            if !aligned(raw.offset) || !aligned(raw.len) {
                return Err(Reject::Misaligned);
            }
            if !within(raw.src, raw.len, plan.staging_len as u64) {
                return Err(Reject::SourceOutOfBounds);
            }
            Ok(Op::Copy {
                dst: raw.offset as usize,
                src: raw.src as usize,
                len: raw.len as usize,
            })
        }
        RawEntry::PATCH32 => {
            if raw.len != 4 || raw.src != 0 {
                return Err(Reject::MalformedEntry);
            }
            if !within(raw.offset, 4, used) {
                return Err(Reject::OutOfBounds);
            }
            // One single-copy-atomic store needs natural alignment.
            if !raw.offset.is_multiple_of(4) {
                return Err(Reject::Misaligned);
            }
            if let Some(opcode) = isa.slot_opcode() {
                // The byte before the slot, in the arena's current contents.
                // `journal_writes_slot` (first pass) guarantees no entry of
                // this journal changes it before the patch is applied.
                let Some(opcode_at) = raw.offset.checked_sub(1) else {
                    return Err(Reject::NotAnExitSlot);
                };
                // SAFETY: opcode_at < offset + 4 <= used <= arena size, and
                // check_journal verified the arena lies inside the RW view,
                // which stays mapped and readable. Reading code bytes cannot
                // race: only this callback writes the arena, on this thread.
                let found = unsafe { plan.arena_rw.add(opcode_at as usize).read_volatile() };
                if found != opcode {
                    return Err(Reject::NotAnExitSlot);
                }
            }
            match isa.classify_patch(raw.word) {
                PatchWord::Nop | PatchWord::Poison => {}
                PatchWord::Branch { displacement } => {
                    let target = (raw.offset as i64).checked_add(displacement);
                    let target = target.and_then(|t| u64::try_from(t).ok());
                    let inside = |t| match isa {
                        // The whole target instruction must be allocated.
                        Isa::Aarch64 => within(t, 4, used),
                        // Instructions have any length: the first byte.
                        Isa::X86_64 => t < used,
                    };
                    if !target.is_some_and(inside) {
                        return Err(Reject::BranchOutOfArena);
                    }
                }
                PatchWord::Other => return Err(Reject::BadPatchWord),
            }
            Ok(Op::Patch {
                at: raw.offset as usize,
                word: raw.word,
            })
        }
        RawEntry::POISON => {
            if raw.word != 0 || raw.src != 0 {
                return Err(Reject::MalformedEntry);
            }
            if !within(raw.offset, raw.len, used) {
                return Err(Reject::OutOfBounds);
            }
            // Poison is stored one 4-byte word at a time, whatever the ISA.
            if !raw.offset.is_multiple_of(4) || !raw.len.is_multiple_of(4) {
                return Err(Reject::Misaligned);
            }
            Ok(Op::Poison {
                start: raw.offset as usize,
                len: raw.len as usize,
            })
        }
        _ => Err(Reject::MalformedEntry),
    }
}

/// Writes one checked op through the writable view.
///
/// # Safety
/// `op` must have passed [`check_entry`] against `plan`, and `plan.arena_rw`
/// must be writable for the arena's allocated bytes.
unsafe fn apply(op: Op, plan: &Plan, isa: Isa) {
    match op {
        // SAFETY: src..src+len lies in the staging buffer and dst..dst+len in
        // the arena (checked); staging does not overlap the region (checked).
        Op::Copy { dst, src, len } => unsafe {
            std::ptr::copy_nonoverlapping(plan.staging.add(src), plan.arena_rw.add(dst), len);
        },
        // SAFETY: at..at+4 is in the arena and 4-aligned (the arena base is
        // page aligned). An atomic store is one single-copy-atomic write, so
        // a thread executing the slot sees the old or the new word (on
        // x86-64 the 4-aligned rel32 never straddles a cache line, which is
        // what makes patching a live jmp's displacement safe there).
        Op::Patch { at, word } => unsafe {
            AtomicU32::from_ptr(plan.arena_rw.add(at).cast()).store(word, Ordering::Release);
        },
        Op::Poison { start, len } => {
            for offset in (start..start.saturating_add(len)).step_by(4) {
                // SAFETY: offset..offset+4 lies in the checked, 4-aligned
                // range. Atomic for the same reason as a patch: another
                // thread may still be running the code being poisoned.
                unsafe {
                    AtomicU32::from_ptr(plan.arena_rw.add(offset).cast())
                        .store(isa.poison_word(), Ordering::Release);
                }
            }
        }
    }
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    !a.is_empty() && a.start < b.end && b.start < a.end
}

#[cfg(test)]
mod tests;
