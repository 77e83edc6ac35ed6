//! Validator tests on a simulated region: a heap buffer stands in for the RW
//! view, so every rule of every ISA is checked on any host, including
//! forged contexts. Tests without an ISA in their name use AArch64; the
//! `x86_*` tests cover the x86-64 rules.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::*;
use crate::jitmem::journal::{Entry, Journal};

const ARENA: usize = 4096;
const ME: usize = 7;
const OTHER_THREAD: usize = 9;
const NOP: u32 = 0xd503_201f;
const POISON: u32 = 0xd43b_d5a0;

/// Two adjacent 4 KiB arenas in a fake region. Arena 0 belongs to thread
/// `ME`, which is committing to it; arena 1 to another engine.
struct Fixture {
    isa: Isa,
    /// The "RW view"; u32 elements give it the 4-byte alignment real pages have.
    memory: Vec<u32>,
    /// A separate "RX view" range, never written.
    rx: Vec<u32>,
    slots: [ArenaSlot; 2],
}

impl Fixture {
    fn new(used: usize) -> Self {
        Self::with_isa(Isa::Aarch64, used)
    }

    fn x86(used: usize) -> Self {
        Self::with_isa(Isa::X86_64, used)
    }

    fn with_isa(isa: Isa, used: usize) -> Self {
        let fixture = Fixture {
            isa,
            memory: (0..2 * ARENA as u32 / 4)
                .map(|i| i.wrapping_mul(0x9e37_79b9))
                .collect(),
            rx: vec![0; 2 * ARENA / 4],
            slots: [ArenaSlot::free(), ArenaSlot::free()],
        };
        fixture.slots[0].open(0, ARENA);
        fixture.slots[0].set_used(used);
        fixture.slots[0].set_writer(ME);
        fixture.slots[1].open(ARENA, ARENA);
        fixture.slots[1].set_used(ARENA);
        fixture
    }

    fn run_raw(&mut self, raw: *const RawJournal) -> Result<(), (Reject, Option<usize>)> {
        let rw = self.memory.as_mut_ptr() as usize;
        let rx = self.rx.as_ptr() as usize;
        let env = WriteEnv {
            isa: self.isa,
            slots: &self.slots,
            rx: rx..rx + 2 * ARENA,
            rw: rw..rw + 2 * ARENA,
            thread: ME,
        };
        // SAFETY: `raw` points to a live header whose buffers outlive the
        // call (or is null/misaligned, which is checked before reading), and
        // the env describes `memory`, which is writable.
        let code = unsafe { validate_and_apply(raw.cast(), &env) };
        if code == STATUS_OK {
            Ok(())
        } else {
            Err(decode_status(code).expect("known status"))
        }
    }

    fn run(&mut self, journal: &Journal) -> Result<(), (Reject, Option<usize>)> {
        self.run_raw(&journal.raw())
    }

    fn snapshot(&self) -> Vec<u32> {
        self.memory.clone()
    }

    fn word(&self, offset: usize) -> u32 {
        self.memory[offset / 4]
    }

    /// The memory as bytes (both supported hosts are little-endian, like
    /// the simulated code).
    fn bytes(&self) -> Vec<u8> {
        self.memory.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Stores `bytes` at `offset` directly, as an earlier commit would have.
    fn put(&mut self, offset: usize, bytes: &[u8]) {
        for (at, &byte) in (offset..).zip(bytes) {
            let mut word = self.memory[at / 4].to_le_bytes();
            word[at % 4] = byte;
            self.memory[at / 4] = u32::from_le_bytes(word);
        }
    }

    /// Runs a journal that must be rejected and checks nothing was written.
    fn reject(&mut self, journal: &Journal) -> (Reject, Option<usize>) {
        let before = self.snapshot();
        let Err(outcome) = self.run(journal) else {
            panic!("must be rejected: {:?}", journal.raw_entries());
        };
        assert_eq!(self.memory, before, "a rejected journal wrote memory");
        outcome
    }
}

fn journal(entries: &[Entry<'_>]) -> Journal {
    let mut journal = Journal::new(0, 0);
    for entry in entries {
        journal.push(entry.clone());
    }
    journal
}

fn branch(at: u32, target: i64) -> u32 {
    let displacement = target - i64::from(at);
    0x1400_0000 | ((displacement >> 2) as u32 & 0x03ff_ffff)
}

fn reject_one(entry: Entry<'_>) -> Reject {
    let (reason, index) = Fixture::new(1024).reject(&journal(&[entry]));
    assert_eq!(index, Some(0));
    reason
}

#[test]
fn accepts_and_applies_every_kind() {
    let mut fx = Fixture::new(256);
    let code = [0xe0, 0x00, 0x80, 0x52, 0xc0, 0x03, 0x5f, 0xd6];
    let j = journal(&[
        Entry::Copy {
            dst: 16,
            bytes: &code,
        },
        Entry::Patch32 {
            at: 0,
            word: branch(0, 16),
        },
        Entry::Patch32 { at: 4, word: NOP },
        Entry::Patch32 {
            at: 8,
            word: POISON,
        },
        Entry::Poison { range: 64..72 },
        Entry::Poison { range: 80..80 },
    ]);
    fx.run(&j).unwrap();
    assert_eq!([fx.word(16), fx.word(20)], [0x5280_00e0, 0xd65f_03c0]);
    assert_eq!(fx.word(0), 0x1400_0004);
    assert_eq!(fx.word(4), NOP);
    assert_eq!(fx.word(8), POISON);
    assert_eq!([fx.word(64), fx.word(68)], [POISON, POISON]);
    // A backward branch to the arena's first word and a forward branch to
    // its last word are both inside.
    fx.run(&journal(&[
        Entry::Patch32 {
            at: 252,
            word: branch(252, 0),
        },
        Entry::Patch32 {
            at: 0,
            word: branch(0, 252),
        },
    ]))
    .unwrap();
}

#[test]
fn one_bad_entry_rejects_the_whole_journal_before_any_write() {
    let mut fx = Fixture::new(256);
    let j = journal(&[
        Entry::Copy {
            dst: 0,
            bytes: &[1, 2, 3, 4],
        },
        Entry::Patch32 { at: 8, word: NOP },
        Entry::Poison { range: 16..32 },
        Entry::Patch32 {
            at: 12,
            word: 0x9400_0000,
        },
    ]);
    assert_eq!(fx.reject(&j), (Reject::BadPatchWord, Some(3)));
}

#[test]
fn header_null_or_misaligned_context() {
    let mut fx = Fixture::new(64);
    assert_eq!(
        fx.run_raw(std::ptr::null()),
        Err((Reject::BadContext, None))
    );
    let raw = journal(&[]).raw();
    let misaligned = (&raw as *const RawJournal as *const u8)
        .wrapping_add(1)
        .cast::<RawJournal>();
    assert_eq!(fx.run_raw(misaligned), Err((Reject::BadContext, None)));
}

/// Runs the journal's header after `corrupt` has edited it.
fn corrupted(corrupt: impl FnOnce(&mut RawJournal)) -> (Reject, Option<usize>) {
    let mut fx = Fixture::new(64);
    let j = journal(&[Entry::Copy {
        dst: 0,
        bytes: &[0; 8],
    }]);
    let mut raw = j.raw();
    corrupt(&mut raw);
    let before = fx.snapshot();
    let outcome = fx
        .run_raw(&raw)
        .expect_err("corrupted header must be rejected");
    assert_eq!(fx.memory, before);
    outcome
}

#[test]
fn header_corruption_is_rejected() {
    assert_eq!(corrupted(|h| h.magic ^= 1), (Reject::BadMagic, None));
    assert_eq!(
        corrupted(|h| h.header_len += 8),
        (Reject::BadHeaderLength, None)
    );
    assert_eq!(
        corrupted(|h| h.header_len = 0),
        (Reject::BadHeaderLength, None)
    );
}

#[test]
fn huge_lengths_are_rejected() {
    assert_eq!(
        corrupted(|h| h.entry_count = MAX_ENTRIES + 1),
        (Reject::TooManyEntries, None)
    );
    assert_eq!(
        corrupted(|h| h.entry_count = usize::MAX),
        (Reject::TooManyEntries, None)
    );
    assert_eq!(
        corrupted(|h| h.staging_len = usize::MAX),
        (Reject::BadStaging, None)
    );
    assert_eq!(
        corrupted(|h| h.staging_len = MAX_STAGING + 1),
        (Reject::BadStaging, None)
    );
    assert_eq!(
        Fixture::new(64).reject(&journal(&[Entry::Copy {
            dst: 0,
            bytes: &[0; 8192]
        }])),
        (Reject::OutOfBounds, Some(0))
    );
}

#[test]
fn bad_table_and_staging_pointers_are_rejected() {
    assert_eq!(
        corrupted(|h| h.entries = std::ptr::null()),
        (Reject::BadEntryTable, None)
    );
    assert_eq!(
        corrupted(|h| h.entries = h.entries.cast::<u8>().wrapping_add(4).cast()),
        (Reject::BadEntryTable, None)
    );
    assert_eq!(
        corrupted(|h| h.staging = std::ptr::null()),
        (Reject::BadStaging, None)
    );
}

#[test]
fn staging_inside_either_view_is_rejected() {
    let mut fx = Fixture::new(64);
    let j = journal(&[Entry::Copy {
        dst: 0,
        bytes: &[0; 8],
    }]);
    let mut raw = j.raw();
    raw.staging = fx.memory.as_ptr().cast::<u8>().wrapping_add(ARENA);
    assert_eq!(fx.run_raw(&raw), Err((Reject::StagingInRegion, None)));
    raw.staging = fx.rx.as_ptr().cast::<u8>().wrapping_add(4);
    assert_eq!(fx.run_raw(&raw), Err((Reject::StagingInRegion, None)));
}

#[test]
fn unknown_free_stale_and_foreign_arenas_are_rejected() {
    assert_eq!(corrupted(|h| h.arena = 2), (Reject::UnknownArena, None));
    assert_eq!(
        corrupted(|h| h.arena = u32::MAX),
        (Reject::UnknownArena, None)
    );
    assert_eq!(
        corrupted(|h| h.generation = 1),
        (Reject::StaleGeneration, None)
    );
    // Arena 1 is live, but this thread is not committing to it: that is the
    // case of a journal aimed at another engine's code.
    assert_eq!(corrupted(|h| h.arena = 1), (Reject::NotWriter, None));

    let mut fx = Fixture::new(64);
    fx.slots[1].set_writer(OTHER_THREAD);
    let mut j = Journal::new(1, 0);
    j.push(Entry::Poison { range: 0..4 });
    assert_eq!(fx.reject(&j), (Reject::NotWriter, None));
    fx.slots[1].close();
    assert_eq!(fx.reject(&j), (Reject::UnknownArena, None));
}

#[test]
fn malformed_entries_are_rejected() {
    let mut fx = Fixture::new(64);
    let j = journal(&[Entry::Patch32 { at: 0, word: NOP }]);
    for corrupt in [
        (|e: &mut RawEntry| e.kind = 0) as fn(&mut RawEntry),
        |e| e.kind = 4,
        |e| e.len = 8,
        |e| e.src = 4,
    ] {
        let mut entry = j.raw_entries()[0];
        corrupt(&mut entry);
        let mut raw = j.raw();
        raw.entries = &entry;
        assert_eq!(fx.run_raw(&raw), Err((Reject::MalformedEntry, Some(0))));
    }
    let copy = journal(&[Entry::Copy {
        dst: 0,
        bytes: &[0; 4],
    }]);
    let poison = journal(&[Entry::Poison { range: 0..4 }]);
    for (j, corrupt) in [
        (&copy, (|e: &mut RawEntry| e.word = 1) as fn(&mut RawEntry)),
        (&poison, |e| e.word = POISON),
        (&poison, |e| e.src = 4),
    ] {
        let mut entry = j.raw_entries()[0];
        corrupt(&mut entry);
        let mut raw = j.raw();
        raw.entries = &entry;
        assert_eq!(fx.run_raw(&raw), Err((Reject::MalformedEntry, Some(0))));
    }
}

#[test]
fn writes_outside_the_allocated_bytes_are_rejected() {
    // Fixture::new(1024): 1024 of arena 0's 4096 bytes are allocated.
    assert_eq!(
        reject_one(Entry::Copy {
            dst: 1024,
            bytes: &[0; 4]
        }),
        Reject::OutOfBounds
    );
    assert_eq!(
        reject_one(Entry::Copy {
            dst: 1020,
            bytes: &[0; 8]
        }),
        Reject::OutOfBounds
    );
    assert_eq!(
        reject_one(Entry::Copy {
            dst: u32::MAX - 3,
            bytes: &[0; 8]
        }),
        Reject::OutOfBounds
    );
    assert_eq!(
        reject_one(Entry::Patch32 {
            at: 1024,
            word: NOP
        }),
        Reject::OutOfBounds
    );
    assert_eq!(
        reject_one(Entry::Poison { range: 1000..1028 }),
        Reject::OutOfBounds
    );
    #[allow(
        clippy::reversed_empty_ranges,
        reason = "a reversed range is the case under test"
    )]
    let reversed = 8..4;
    assert_eq!(
        reject_one(Entry::Poison { range: reversed }),
        Reject::OutOfBounds
    );
}

#[test]
fn writes_overlapping_the_next_arena_are_rejected() {
    // Arena 0 fully allocated; arena 1 starts right after it in memory.
    let mut fx = Fixture::new(ARENA);
    let j = journal(&[Entry::Copy {
        dst: ARENA as u32 - 4,
        bytes: &[0; 8],
    }]);
    assert_eq!(fx.reject(&j), (Reject::OutOfBounds, Some(0)));
    let j = journal(&[Entry::Poison {
        range: 0..ARENA as u32 + 4,
    }]);
    assert_eq!(fx.reject(&j), (Reject::OutOfBounds, Some(0)));
    let j = journal(&[Entry::Patch32 {
        at: ARENA as u32,
        word: NOP,
    }]);
    assert_eq!(fx.reject(&j), (Reject::OutOfBounds, Some(0)));
}

#[test]
fn misaligned_entries_are_rejected() {
    assert_eq!(
        reject_one(Entry::Copy {
            dst: 2,
            bytes: &[0; 4]
        }),
        Reject::Misaligned
    );
    assert_eq!(
        reject_one(Entry::Copy {
            dst: 0,
            bytes: &[0; 6]
        }),
        Reject::Misaligned
    );
    assert_eq!(
        reject_one(Entry::Patch32 { at: 2, word: NOP }),
        Reject::Misaligned
    );
    assert_eq!(
        reject_one(Entry::Poison { range: 2..6 }),
        Reject::Misaligned
    );
    assert_eq!(
        reject_one(Entry::Poison { range: 0..6 }),
        Reject::Misaligned
    );
}

#[test]
fn copy_source_outside_staging_is_rejected() {
    let mut fx = Fixture::new(64);
    let j = journal(&[Entry::Copy {
        dst: 0,
        bytes: &[0; 8],
    }]);
    for src in [4, 8, u64::MAX] {
        let mut entry = j.raw_entries()[0];
        entry.src = src;
        let mut raw = j.raw();
        raw.entries = &entry;
        assert_eq!(fx.run_raw(&raw), Err((Reject::SourceOutOfBounds, Some(0))));
    }
}

#[test]
fn patch_words_other_than_branch_nop_poison_are_rejected() {
    let bl = 0x9400_0004;
    let b_cond = 0x5400_0080;
    let br_x0 = 0xd61f_0000;
    let svc = 0xd400_0001;
    for word in [bl, b_cond, br_x0, svc, 0, u32::MAX] {
        assert_eq!(
            reject_one(Entry::Patch32 { at: 0, word }),
            Reject::BadPatchWord,
            "{word:#x}"
        );
    }
}

#[test]
fn branches_leaving_the_allocated_bytes_are_rejected() {
    for target in [1024, -4, 4096, 4096 + 64, (1 << 27) - 4, -(1 << 27)] {
        let word = branch(0, target);
        assert_eq!(
            reject_one(Entry::Patch32 { at: 0, word }),
            Reject::BranchOutOfArena,
            "{target}"
        );
    }
    // The last word of arena 0 branching into the first word of arena 1.
    let mut fx = Fixture::new(ARENA);
    let at = ARENA as u32 - 4;
    let j = journal(&[Entry::Patch32 {
        at,
        word: branch(at, ARENA as i64),
    }]);
    assert_eq!(fx.reject(&j), (Reject::BranchOutOfArena, Some(0)));
}

#[test]
fn status_codes_round_trip() {
    for reason in Reject::ALL {
        for entry in [None, Some(0), Some(41), Some(MAX_ENTRIES - 1)] {
            let code = status(reason, entry);
            assert_ne!(code, STATUS_OK);
            assert_eq!(decode_status(code), Some((reason, entry)));
        }
    }
    assert_eq!(decode_status(0x7f), None);
}

/// xorshift64*: a tiny deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

/// An arena offset: usually aligned and near the allocated bytes, sometimes
/// misaligned, past the end, or wild.
fn offset(rng: &mut Rng, used: u32) -> u32 {
    match rng.below(10) {
        0 => rng.next() as u32,
        1 => rng.below(u64::from(used) + 16) as u32,
        _ => rng.below(u64::from(used / 4) + 3) as u32 * 4,
    }
}

fn random_entry(rng: &mut Rng, used: u32, bytes: &mut Vec<u8>) -> Entry<'static> {
    match rng.below(3) {
        0 => {
            let len = if rng.chance(8) {
                rng.below(16)
            } else {
                rng.below(8) * 4
            };
            *bytes = (0..len).map(|_| rng.next() as u8).collect();
            // Placeholder: the caller swaps in the borrowed bytes.
            Entry::Copy {
                dst: offset(rng, used),
                bytes: &[],
            }
        }
        1 => {
            let at = offset(rng, used);
            let word = match rng.below(5) {
                0 => NOP,
                1 => POISON,
                2 => rng.next() as u32,
                _ => {
                    let target =
                        i64::from(offset(rng, used)) - if rng.chance(6) { 4096 } else { 0 };
                    branch(at, target)
                }
            };
            Entry::Patch32 { at, word }
        }
        _ => {
            let start = offset(rng, used);
            let end = if rng.chance(10) {
                offset(rng, used)
            } else {
                start.saturating_add(rng.below(6) as u32 * 4)
            };
            Entry::Poison { range: start..end }
        }
    }
}

/// The rules restated independently of the validator, on typed entries.
fn model_accepts(entry: &Entry<'_>, used: u64) -> bool {
    let fits = |start: u64, len: u64| start + len <= used;
    match entry {
        Entry::Copy { dst, bytes } => {
            let (dst, len) = (u64::from(*dst), bytes.len() as u64);
            dst % 4 == 0 && len % 4 == 0 && fits(dst, len)
        }
        Entry::Patch32 { at, word } => {
            let at = u64::from(*at);
            let word_ok = match *word {
                NOP | POISON => true,
                w if w >> 26 == 0b000101 => {
                    let displacement = i64::from((w << 6) as i32 >> 6) * 4;
                    let target = at as i64 + displacement;
                    target >= 0 && fits(target as u64, 4)
                }
                _ => false,
            };
            at % 4 == 0 && fits(at, 4) && word_ok
        }
        Entry::Poison { range } => {
            range.start <= range.end
                && range.start % 4 == 0
                && range.end % 4 == 0
                && u64::from(range.end) <= used
        }
    }
}

/// Applies an accepted entry to a word image of the memory (accepted
/// entries are all word aligned).
fn model_apply(entry: &Entry<'_>, memory: &mut [u32]) {
    match entry {
        Entry::Copy { dst, bytes } => {
            for (i, word) in bytes.chunks(4).enumerate() {
                memory[*dst as usize / 4 + i] = u32::from_le_bytes(word.try_into().unwrap());
            }
        }
        Entry::Patch32 { at, word } => memory[*at as usize / 4] = *word,
        Entry::Poison { range } => {
            for at in range.clone().step_by(4) {
                memory[at as usize / 4] = POISON;
            }
        }
    }
}

#[test]
fn random_journals_are_applied_exactly_or_rejected_entirely() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (mut accepted, mut rejected) = (0, 0);
    for case in 0..3000 {
        let used = if rng.chance(4) {
            rng.below(ARENA as u64 + 1)
        } else {
            rng.below(257) * 4
        } as u32;
        let mut fx = Fixture::new(used as usize);
        let count = 1 + rng.below(6) as usize;
        let mut payloads = vec![Vec::new(); count];
        let shapes: Vec<Entry<'static>> = payloads
            .iter_mut()
            .map(|bytes| random_entry(&mut rng, used, bytes))
            .collect();
        let entries = with_payloads(shapes, &payloads);

        let first_bad = entries
            .iter()
            .position(|e| !model_accepts(e, u64::from(used)));
        let mut expected = fx.snapshot();
        if first_bad.is_none() {
            for entry in &entries {
                model_apply(entry, &mut expected);
            }
        }
        let outcome = fx.run(&journal(&entries));
        match first_bad {
            None => {
                assert_eq!(outcome, Ok(()), "case {case}: {entries:?} (used {used})");
                accepted += 1;
            }
            Some(index) => {
                let (_, entry) =
                    outcome.expect_err(&format!("case {case}: {entries:?} (used {used})"));
                assert_eq!(entry, Some(index), "case {case}: {entries:?} (used {used})");
                rejected += 1;
            }
        }
        assert_eq!(
            fx.memory, expected,
            "case {case}: {entries:?} (used {used})"
        );
    }
    // Both outcomes must be exercised in earnest.
    assert!(
        accepted > 300 && rejected > 300,
        "accepted {accepted}, rejected {rejected}"
    );
}

// ---------------------------------------------------------------------------
// x86-64: exit slots are the rel32 of a `jmp` (E9), code is byte-granular.

const JMP: u8 = 0xe9;
const X86_POISON: u32 = 0xcccc_cccc;

/// rel32 of a jmp whose displacement starts at `at`, to `target`.
fn rel32(at: u32, target: i64) -> u32 {
    (target - (i64::from(at) + 4)) as i32 as u32
}

/// An x86 fixture with `used` bytes allocated and a `jmp rel32 0` whose
/// displacement is at each of `slots`, as if committed earlier.
fn x86_with_slots(used: usize, slots: &[u32]) -> Fixture {
    let mut fx = Fixture::x86(used);
    for &at in slots {
        fx.put(at as usize - 1, &[JMP, 0, 0, 0, 0]);
    }
    fx
}

/// Runs a one-entry journal that must be rejected and returns why.
fn x86_reject_one(fx: &mut Fixture, entry: Entry<'_>) -> Reject {
    let (reason, index) = fx.reject(&journal(&[entry]));
    assert_eq!(index, Some(0));
    reason
}

#[test]
fn x86_links_and_unlinks_a_real_exit_slot() {
    let mut fx = x86_with_slots(256, &[16]);
    let before = fx.bytes();
    // Forward, backward, first and last allocated byte: all inside.
    for target in [64i64, 8, 0, 255, 20] {
        let word = Isa::X86_64.branch_word(16, target as u32).unwrap();
        assert_eq!(word, rel32(16, target));
        fx.run(&journal(&[Entry::Patch32 { at: 16, word }]))
            .unwrap_or_else(|e| panic!("link to {target}: {e:?}"));
        assert_eq!(fx.word(16), word, "link to {target}");
    }
    // Unlinked again: rel32 0, the jmp falls through.
    fx.run(&journal(&[Entry::Patch32 { at: 16, word: 0 }]))
        .unwrap();
    // Only the displacement changed; the opcode is still there.
    assert_eq!(fx.bytes(), before);
    // Two patches of the same slot in one journal: the last one wins.
    fx.run(&journal(&[
        Entry::Patch32 {
            at: 16,
            word: rel32(16, 100),
        },
        Entry::Patch32 {
            at: 16,
            word: rel32(16, 200),
        },
    ]))
    .unwrap();
    assert_eq!(fx.word(16), rel32(16, 200));
}

#[test]
fn x86_patches_need_a_jmp_opcode_before_the_slot() {
    let mut fx = x86_with_slots(256, &[16]);
    // Right before the slot: E8 is `call rel32`, not a jump.
    fx.put(31, &[0xe8, 0, 0, 0, 0]);
    // An E9 one byte too early: the displacement is not at `at`.
    fx.put(46, &[JMP, 0, 0, 0, 0, 0]);
    // Random code, and the poison a reset leaves.
    fx.put(60, &[0x48, 0x89, 0xc3, 0x90, 0, 0, 0, 0]);
    fx.put(76, &[0xcc; 8]);
    for at in [32u32, 48, 64, 80, 4, 252] {
        assert_eq!(
            x86_reject_one(&mut fx, Entry::Patch32 { at, word: 0 }),
            Reject::NotAnExitSlot,
            "at {at}"
        );
        assert_eq!(
            x86_reject_one(
                &mut fx,
                Entry::Patch32 {
                    at,
                    word: rel32(at, 0)
                }
            ),
            Reject::NotAnExitSlot,
            "at {at}"
        );
    }
    // The good slot still works after all those refusals.
    fx.run(&journal(&[Entry::Patch32 {
        at: 16,
        word: rel32(16, 0),
    }]))
    .unwrap();
}

#[test]
fn x86_patch_at_zero_has_no_room_for_the_opcode() {
    let mut fx = x86_with_slots(256, &[16]);
    fx.put(0, &[JMP; 4]);
    for word in [0, rel32(0, 16)] {
        assert_eq!(
            x86_reject_one(&mut fx, Entry::Patch32 { at: 0, word }),
            Reject::NotAnExitSlot
        );
    }
}

#[test]
fn x86_patches_must_be_4_aligned_even_after_an_e9() {
    let mut fx = Fixture::x86(256);
    for at in [17u32, 18, 19, 33] {
        fx.put(at as usize - 1, &[JMP, 0, 0, 0, 0]);
        assert_eq!(
            x86_reject_one(&mut fx, Entry::Patch32 { at, word: 0 }),
            Reject::Misaligned,
            "at {at}"
        );
    }
    // Past the allocated bytes, even with the opcode in place.
    let mut fx = x86_with_slots(256, &[252, 256]);
    assert_eq!(
        x86_reject_one(&mut fx, Entry::Patch32 { at: 256, word: 0 }),
        Reject::OutOfBounds
    );
    fx.run(&journal(&[Entry::Patch32 { at: 252, word: 0 }]))
        .unwrap();
}

#[test]
fn x86_journal_may_not_also_write_the_slot_it_patches() {
    let link = rel32(16, 64);
    let patch = Entry::Patch32 { at: 16, word: link };
    // Every entry that writes a byte of the jmp at 15..20.
    let writers = [
        Entry::Copy {
            dst: 15,
            bytes: &[JMP],
        },
        Entry::Copy {
            dst: 10,
            bytes: &[0x90; 6],
        },
        Entry::Copy {
            dst: 19,
            bytes: &[0xc3],
        },
        Entry::Copy {
            dst: 17,
            bytes: &[0; 2],
        },
        Entry::Copy {
            dst: 0,
            bytes: &[0x90; 64],
        },
        Entry::Poison { range: 12..16 },
        Entry::Poison { range: 16..20 },
        Entry::Poison { range: 0..256 },
        // The slot before, whose displacement (12..16) ends with our opcode.
        Entry::Patch32 { at: 12, word: 0 },
    ];
    for writer in &writers {
        // 12 is a real slot too, so the only problem is the overlap.
        let mut fx = x86_with_slots(256, &[12, 16]);
        // Either order; the patch is the entry reported.
        assert_eq!(
            fx.reject(&journal(&[writer.clone(), patch.clone()])),
            (Reject::NotAnExitSlot, Some(1)),
            "{writer:?} then the patch"
        );
        assert_eq!(
            fx.reject(&journal(&[patch.clone(), writer.clone()])),
            (Reject::NotAnExitSlot, Some(0)),
            "the patch then {writer:?}"
        );
    }
    // Neighbours that leave 15..20 alone are fine, as are empty entries.
    let mut fx = x86_with_slots(256, &[16]);
    fx.run(&journal(&[
        Entry::Copy {
            dst: 12,
            bytes: &[0x90; 3],
        },
        Entry::Copy {
            dst: 20,
            bytes: &[0xc3],
        },
        Entry::Copy {
            dst: 15,
            bytes: &[],
        },
        Entry::Poison { range: 8..12 },
        Entry::Poison { range: 24..28 },
        Entry::Poison { range: 16..16 },
        patch.clone(),
        Entry::Patch32 { at: 16, word: 0 },
    ]))
    .unwrap();
    assert_eq!(fx.word(16), 0);
    assert_eq!(
        fx.bytes()[8..15],
        [0xcc, 0xcc, 0xcc, 0xcc, 0x90, 0x90, 0x90]
    );
    assert_eq!(fx.bytes()[15], JMP);
    assert_eq!(fx.bytes()[20], 0xc3);
}

#[test]
fn aarch64_patches_need_no_opcode_and_may_share_a_journal_with_copies() {
    // The x86 rules must not leak into AArch64: no E9 anywhere here, and a
    // copy of the same words in the same journal.
    let mut fx = Fixture::new(256);
    fx.put(0, &[0; 16]);
    fx.run(&journal(&[
        Entry::Copy {
            dst: 0,
            bytes: &NOP.to_le_bytes().repeat(3),
        },
        Entry::Patch32 {
            at: 4,
            word: branch(4, 16),
        },
        Entry::Patch32 {
            at: 8,
            word: POISON,
        },
    ]))
    .unwrap();
    assert_eq!(
        [fx.word(0), fx.word(4), fx.word(8)],
        [NOP, 0x1400_0003, POISON]
    );
}

#[test]
fn x86_branch_targets_must_be_allocated_bytes() {
    let mut fx = x86_with_slots(256, &[16]);
    for target in [256i64, 257, -1, -4, 4096, 4096 + 64, i64::from(i32::MAX)] {
        assert_eq!(
            x86_reject_one(
                &mut fx,
                Entry::Patch32 {
                    at: 16,
                    word: rel32(16, target)
                }
            ),
            Reject::BranchOutOfArena,
            "{target}"
        );
    }
    // A slot near the end of a full arena 0 jumping to the first byte of
    // arena 1. (At ARENA - 4 that jump would be rel32 0, the unlinked word,
    // which is always accepted: it falls through and targets nothing.)
    let at = ARENA as u32 - 8;
    let mut fx = x86_with_slots(ARENA, &[at]);
    assert_eq!(
        x86_reject_one(
            &mut fx,
            Entry::Patch32 {
                at,
                word: rel32(at, ARENA as i64)
            }
        ),
        Reject::BranchOutOfArena
    );
    fx.run(&journal(&[Entry::Patch32 {
        at,
        word: rel32(at, ARENA as i64 - 1),
    }]))
    .unwrap();
}

#[test]
fn x86_poison_word_is_no_patch_word() {
    // On x86-64 0xcccccccc as a rel32 is a jump 0.8 GiB back, not poison.
    let mut fx = x86_with_slots(ARENA, &[16, ARENA as u32 - 4]);
    for at in [16, ARENA as u32 - 4] {
        assert_eq!(
            x86_reject_one(
                &mut fx,
                Entry::Patch32 {
                    at,
                    word: X86_POISON
                }
            ),
            Reject::BranchOutOfArena,
            "at {at}"
        );
    }
}

#[test]
fn x86_copies_are_byte_granular_and_poison_fills_int3() {
    let mut fx = Fixture::x86(256);
    fx.run(&journal(&[
        Entry::Copy {
            dst: 3,
            bytes: &[0xb8, 1, 0, 0, 0],
        },
        Entry::Copy {
            dst: 8,
            bytes: &[0xc3],
        },
        Entry::Copy {
            dst: 255,
            bytes: &[0x90],
        },
        Entry::Poison { range: 12..20 },
    ]))
    .unwrap();
    let bytes = fx.bytes();
    assert_eq!(bytes[3..9], [0xb8, 1, 0, 0, 0, 0xc3]);
    assert_eq!(bytes[255], 0x90);
    assert_eq!(bytes[12..20], [0xcc; 8]);
    // Poison stays word-granular, and copies stay inside the allocation.
    assert_eq!(
        x86_reject_one(&mut fx, Entry::Poison { range: 13..17 }),
        Reject::Misaligned
    );
    assert_eq!(
        x86_reject_one(
            &mut fx,
            Entry::Copy {
                dst: 255,
                bytes: &[0x90; 2]
            }
        ),
        Reject::OutOfBounds
    );
}

/// The x86 rules restated on typed entries; `memory` is the arena before
/// the journal and `entries` the whole journal (for the overlap rule).
fn x86_model_accepts(index: usize, entries: &[Entry<'_>], memory: &[u8], used: u64) -> bool {
    let fits = |start: u64, len: u64| start + len <= used;
    match &entries[index] {
        Entry::Copy { dst, bytes } => fits(u64::from(*dst), bytes.len() as u64),
        Entry::Patch32 { at, word } => {
            let at = u64::from(*at);
            if at % 4 != 0 || !fits(at, 4) || at == 0 || memory[at as usize - 1] != JMP {
                return false;
            }
            let target = at as i64 + 4 + i64::from(*word as i32);
            let word_ok = *word == 0 || (0..used as i64).contains(&target);
            let slot = at - 1..at + 4;
            let overwritten = entries.iter().any(|other| {
                let written = match other {
                    Entry::Copy { dst, bytes } => {
                        u64::from(*dst)..u64::from(*dst) + bytes.len() as u64
                    }
                    Entry::Poison { range } => {
                        let len = u64::from(range.end).wrapping_sub(range.start.into());
                        u64::from(range.start)..u64::from(range.start).saturating_add(len)
                    }
                    Entry::Patch32 { at: other, .. } if u64::from(*other) != at => {
                        u64::from(*other)..u64::from(*other) + 4
                    }
                    Entry::Patch32 { .. } => return false,
                };
                !written.is_empty() && written.start < slot.end && slot.start < written.end
            });
            word_ok && !overwritten
        }
        Entry::Poison { range } => {
            range.start <= range.end
                && range.start % 4 == 0
                && range.end % 4 == 0
                && u64::from(range.end) <= used
        }
    }
}

fn x86_model_apply(entry: &Entry<'_>, memory: &mut [u8]) {
    match entry {
        Entry::Copy { dst, bytes } => {
            memory[*dst as usize..*dst as usize + bytes.len()].copy_from_slice(bytes);
        }
        Entry::Patch32 { at, word } => {
            memory[*at as usize..*at as usize + 4].copy_from_slice(&word.to_le_bytes());
        }
        Entry::Poison { range } => memory[range.start as usize..range.end as usize].fill(0xcc),
    }
}

fn x86_random_entry(rng: &mut Rng, used: u32, bytes: &mut Vec<u8>) -> Entry<'static> {
    match rng.below(4) {
        0 => {
            *bytes = (0..rng.below(12)).map(|_| rng.next() as u8).collect();
            let dst = if rng.chance(3) {
                offset(rng, used)
            } else {
                rng.below(u64::from(used) + 4) as u32
            };
            // Placeholder: the caller swaps in the borrowed bytes.
            Entry::Copy { dst, bytes: &[] }
        }
        1 => {
            let start = offset(rng, used);
            let end = if rng.chance(10) {
                offset(rng, used)
            } else {
                start.saturating_add(rng.below(3) as u32 * 4)
            };
            Entry::Poison { range: start..end }
        }
        _ => {
            let at = offset(rng, used);
            let word = match rng.below(6) {
                0 => 0,
                1 => X86_POISON,
                2 => rng.next() as u32,
                _ => {
                    let target =
                        rng.below(u64::from(used) + 8) as i64 - if rng.chance(8) { 9 } else { 0 };
                    rel32(at, target)
                }
            };
            Entry::Patch32 { at, word }
        }
    }
}

#[test]
fn x86_random_journals_are_applied_exactly_or_rejected_entirely() {
    let mut rng = Rng(0x5eed_8664_0000_0002);
    let (mut accepted, mut rejected, mut overlaps) = (0, 0, 0);
    for case in 0..4000 {
        let used = if rng.chance(4) {
            rng.below(ARENA as u64 + 1)
        } else {
            rng.below(129) * 4
        } as u32;
        let mut fx = Fixture::x86(used as usize);
        // Many words of the arena are exit slots.
        for at in (4..used.min(ARENA as u32)).step_by(4) {
            if rng.chance(2) {
                fx.put(at as usize - 1, &[JMP]);
            }
        }
        let count = 1 + rng.below(5) as usize;
        let mut payloads = vec![Vec::new(); count];
        let shapes: Vec<Entry<'static>> = payloads
            .iter_mut()
            .map(|bytes| x86_random_entry(&mut rng, used, bytes))
            .collect();
        let entries = with_payloads(shapes, &payloads);

        let before = fx.bytes();
        let first_bad =
            (0..entries.len()).find(|&i| !x86_model_accepts(i, &entries, &before, u64::from(used)));
        let mut expected = before.clone();
        if first_bad.is_none() {
            for entry in &entries {
                x86_model_apply(entry, &mut expected);
            }
        }
        let context = || format!("case {case}: {entries:?} (used {used})");
        let outcome = fx.run(&journal(&entries));
        match first_bad {
            None => {
                assert_eq!(outcome, Ok(()), "{}", context());
                accepted += 1;
            }
            Some(index) => {
                let (reason, entry) = outcome.expect_err(&context());
                assert_eq!(entry, Some(index), "{}", context());
                overlaps += usize::from(reason == Reject::NotAnExitSlot);
                rejected += 1;
            }
        }
        assert_eq!(fx.bytes(), expected, "{}", context());
    }
    assert!(
        accepted > 400 && rejected > 400 && overlaps > 100,
        "accepted {accepted}, rejected {rejected}, not an exit slot {overlaps}"
    );
}

/// Random entry shapes with their Copy entries pointed at `payloads`.
fn with_payloads<'a>(shapes: Vec<Entry<'static>>, payloads: &'a [Vec<u8>]) -> Vec<Entry<'a>> {
    shapes
        .into_iter()
        .zip(payloads)
        .map(|(entry, bytes)| match entry {
            Entry::Copy { dst, .. } => Entry::Copy { dst, bytes },
            other => other,
        })
        .collect()
}
