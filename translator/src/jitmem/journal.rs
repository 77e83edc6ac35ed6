//! The write journal: every change to code memory, expressed as data.
//!
//! A compiler builds a [`Journal`] for one arena, then hands it to
//! [`Arena::commit`](super::Arena::commit). The journal's wire form
//! ([`RawJournal`] + [`RawEntry`] table + staging bytes) is what the write
//! callback receives as its context pointer; on macOS it crosses the
//! `pthread_jit_write_with_callback_np` boundary, so its layout is
//! `#[repr(C)]` and every field is validated there, never trusted.

use std::ops::Range;

/// One change to an arena's code. Offsets are bytes from the arena start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    /// Write new code (or data such as literal pools) at `dst`.
    /// `dst` and the length must be multiples of [`Isa::code_align`](super::Isa::code_align)
    /// (4 on AArch64, 1 on x86-64).
    Copy { dst: u32, bytes: &'a [u8] },
    /// Store one aligned 32-bit word at `at` with a single atomic store, so
    /// code running concurrently sees the old or the new word, never a mix.
    /// Only link/unlink words are accepted: an unconditional branch whose
    /// target lies in the arena's allocated space (see
    /// [`Isa::branch_word`](super::Isa::branch_word)) or the NOP word; on
    /// AArch64 also the poison word.
    ///
    /// On x86-64 `at` must be the rel32 of a `jmp` already committed (the
    /// `E9` opcode at `at - 1`), and no other entry of the journal may write
    /// any of those 5 bytes; a patch there cannot poison (the poison word
    /// would be a branch out of the arena), use [`Entry::Poison`] instead.
    Patch32 { at: u32, word: u32 },
    /// Fill `range` with the ISA's trapping word. Both ends must be
    /// multiples of 4 on every ISA. An empty range does nothing; a reversed
    /// one is rejected.
    Poison { range: Range<u32> },
}

/// A batch of [`Entry`]s for one arena, applied all together or not at all.
///
/// A journal is bound to the arena (and the arena's generation) that made
/// it: after [`Arena::reset`](super::Arena::reset) it is refused, because
/// its offsets describe code that no longer exists. [`Journal::clear`] keeps
/// the binding and the allocations, so a compiler can reuse one journal per
/// block.
#[derive(Debug)]
pub struct Journal {
    arena: u32,
    generation: u64,
    entries: Vec<RawEntry>,
    staging: Vec<u8>,
}

impl Journal {
    pub(crate) fn new(arena: u32, generation: u64) -> Self {
        Journal {
            arena,
            generation,
            entries: Vec::new(),
            staging: Vec::new(),
        }
    }

    /// Appends one entry. Nothing is checked here: the write callback is
    /// the one place that decides what may be written.
    pub fn push(&mut self, entry: Entry<'_>) {
        let raw = match entry {
            Entry::Copy { dst, bytes } => {
                let src = self.staging.len() as u64;
                self.staging.extend_from_slice(bytes);
                RawEntry {
                    kind: RawEntry::COPY,
                    word: 0,
                    offset: dst.into(),
                    len: bytes.len() as u64,
                    src,
                }
            }
            Entry::Patch32 { at, word } => RawEntry {
                kind: RawEntry::PATCH32,
                word,
                offset: at.into(),
                len: 4,
                src: 0,
            },
            Entry::Poison { range } => RawEntry {
                kind: RawEntry::POISON,
                word: 0,
                offset: range.start.into(),
                // A reversed range wraps to a huge length, which no arena holds.
                len: u64::from(range.end).wrapping_sub(range.start.into()),
                src: 0,
            },
        };
        self.entries.push(raw);
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if the journal holds no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes all entries, keeping the arena binding and the allocations.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.staging.clear();
    }

    /// The byte ranges (arena offsets) the journal writes, for the icache
    /// flush after a successful commit.
    pub(crate) fn touched(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.entries.iter().map(|e| (e.offset, e.len))
    }

    #[cfg(test)]
    pub(crate) fn raw_entries(&self) -> &[RawEntry] {
        &self.entries
    }

    /// The wire header pointing at this journal's buffers. It borrows them
    /// by raw pointer, so it is only valid while `self` is alive and unchanged.
    pub(crate) fn raw(&self) -> RawJournal {
        RawJournal {
            magic: RawJournal::MAGIC,
            header_len: size_of::<RawJournal>() as u32,
            arena: self.arena,
            generation: self.generation,
            entries: self.entries.as_ptr(),
            entry_count: self.entries.len(),
            staging: self.staging.as_ptr(),
            staging_len: self.staging.len(),
        }
    }
}

/// The context the write callback receives.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawJournal {
    /// [`RawJournal::MAGIC`]: rejects pointers to anything else.
    pub magic: u64,
    /// `size_of::<RawJournal>()`: rejects a header of another layout.
    pub header_len: u32,
    /// Index of the arena slot the entries write into.
    pub arena: u32,
    /// The arena generation the journal was built against.
    pub generation: u64,
    pub entries: *const RawEntry,
    pub entry_count: usize,
    /// Bytes that `Copy` entries take their code from (`src` offsets).
    pub staging: *const u8,
    pub staging_len: usize,
}

impl RawJournal {
    pub const MAGIC: u64 = u64::from_le_bytes(*b"rjitjrn1");
}

/// One journal entry on the wire. All offsets are arena-relative, so a
/// forged entry cannot even name an absolute address.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawEntry {
    /// [`RawEntry::COPY`], [`RawEntry::PATCH32`] or [`RawEntry::POISON`];
    /// zero (fresh memory) is no kind.
    pub kind: u32,
    /// Patch32: the word. Others: must be 0.
    pub word: u32,
    /// Copy: destination. Patch32: slot address. Poison: range start.
    pub offset: u64,
    /// Copy/Poison: byte length. Patch32: must be 4.
    pub len: u64,
    /// Copy: offset into the staging bytes. Others: must be 0.
    pub src: u64,
}

impl RawEntry {
    pub const COPY: u32 = 1;
    pub const PATCH32: u32 = 2;
    pub const POISON: u32 = 3;
}
