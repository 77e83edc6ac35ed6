//! jitmem on real hardware semantics: code written through the journal runs,
//! links, unlinks, traps when poisoned, and survives concurrent engines.
//! On the AArch64 and x86-64 hosts (AArch64 under qemu-aarch64 >= 8.1 on
//! x86-64 machines); the machine code for each is in the `host` module.
#![cfg(any(target_arch = "aarch64", target_arch = "x86_64"))]

use host::{EXIT, ISA, SLOT, returns};
use retrojit_translator::jitmem::{Arena, Entry, JitMemError, Reject};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[cfg(target_arch = "aarch64")]
mod host {
    use retrojit_translator::jitmem::Isa;

    pub const ISA: Isa = Isa::Aarch64;

    /// An unlinked exit slot: `nop`; the patchable word is at offset [`SLOT`].
    pub const EXIT: [u8; 4] = 0xd503_201f_u32.to_le_bytes();
    pub const SLOT: u32 = 0;

    /// `movz w0, #value ; ret`
    pub fn returns(value: u16) -> Vec<u8> {
        [0x5280_0000 | (u32::from(value) << 5), 0xd65f_03c0]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect()
    }
}

#[cfg(target_arch = "x86_64")]
mod host {
    use retrojit_translator::jitmem::Isa;

    pub const ISA: Isa = Isa::X86_64;

    /// An unlinked exit slot: `nop ; nop ; nop ; jmp rel32` with rel32 = 0
    /// (to the next instruction); the rel32 is at the 4-aligned [`SLOT`].
    pub const EXIT: [u8; 8] = [0x90, 0x90, 0x90, 0xe9, 0, 0, 0, 0];
    pub const SLOT: u32 = 4;

    /// `mov eax, value ; ret ; int3 ; int3` (padded to whole 4-byte words,
    /// so a `Poison` entry covers exactly the block).
    pub fn returns(value: u16) -> Vec<u8> {
        let [lo, hi] = value.to_le_bytes();
        vec![0xb8, lo, hi, 0, 0, 0xc3, 0xcc, 0xcc]
    }
}

/// Allocates and commits `code` as one block; returns its offset.
fn block(arena: &mut Arena, code: &[u8]) -> u32 {
    let at = arena.alloc(code.len() as u32, 16).unwrap();
    let mut journal = arena.journal();
    journal.push(Entry::Copy {
        dst: at,
        bytes: code,
    });
    arena.commit(&journal).unwrap();
    at
}

/// A block `[exit slot][return value]`: returns `value` while unlinked, or
/// whatever its linked target returns.
fn exit_block(arena: &mut Arena, value: u16) -> u32 {
    block(arena, &[&EXIT[..], &returns(value)].concat())
}

/// The exit slot (patch address) of an `exit_block`.
fn slot(block: u32) -> u32 {
    block + SLOT
}

/// The body of an `exit_block`, just after its exit slot.
fn body(block: u32) -> u32 {
    block + EXIT.len() as u32
}

fn patch(arena: &mut Arena, at: u32, word: u32) {
    let mut journal = arena.journal();
    journal.push(Entry::Patch32 { at, word });
    arena.commit(&journal).unwrap();
}

/// Links the exit slot of the `exit_block` at `from` to `to`.
fn link(arena: &mut Arena, from: u32, to: u32) {
    patch(arena, slot(from), ISA.branch_word(slot(from), to).unwrap());
}

fn unlink(arena: &mut Arena, from: u32) {
    patch(arena, slot(from), ISA.nop_word());
}

fn call(arena: &Arena, offset: u32) -> u32 {
    // SAFETY: every offset passed here starts a committed function of this
    // type (built by `block`/`exit_block`), possibly linked to another one.
    let f =
        unsafe { std::mem::transmute::<*const u8, extern "C" fn() -> u32>(arena.code_ptr(offset)) };
    f()
}

#[test]
fn committed_code_runs_and_rewrites_are_seen() {
    let mut arena = Arena::new(64 << 10).unwrap();
    let f = block(&mut arena, &returns(42));
    assert_eq!(call(&arena, f), 42);
    // Rewriting a body that has already run must not leave stale code
    // (the qemu < 8.1 failure mode; on hardware, the icache flush).
    let mut journal = arena.journal();
    journal.push(Entry::Copy {
        dst: f,
        bytes: &returns(7),
    });
    arena.commit(&journal).unwrap();
    assert_eq!(call(&arena, f), 7);
    assert_eq!(arena.code(f..f + returns(7).len() as u32), returns(7));
}

#[test]
fn exit_slots_link_unlink_and_relink() {
    let mut arena = Arena::new(64 << 10).unwrap();
    let a = exit_block(&mut arena, 1);
    let b = exit_block(&mut arena, 2);
    let c = exit_block(&mut arena, 3);
    assert_eq!(
        (call(&arena, a), call(&arena, b), call(&arena, c)),
        (1, 2, 3)
    );

    // a -> b -> c: a chain of two patched exits, forward and then backward.
    link(&mut arena, b, c);
    link(&mut arena, a, b);
    assert_eq!(call(&arena, a), 3);
    link(&mut arena, c, body(a));
    assert_eq!(call(&arena, c), 1, "backward link into a's body");

    // Unlinking b (as when c is invalidated) makes a stop at b.
    unlink(&mut arena, b);
    assert_eq!(call(&arena, a), 2);
    unlink(&mut arena, a);
    assert_eq!(call(&arena, a), 1);
    link(&mut arena, a, body(c));
    assert_eq!(call(&arena, a), 3);
}

/// Links and unlinks an exit slot while other threads keep running it: each
/// call must see the old or the new slot, never a torn one.
#[test]
fn exit_slots_are_patched_while_other_threads_run_them() {
    let mut arena = Arena::new(64 << 10).unwrap();
    let caller = exit_block(&mut arena, 1);
    let target = block(&mut arena, &returns(2));
    let entry = arena.code_ptr(caller) as usize;
    let stop = AtomicBool::new(false);
    let calls = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            let (stop, calls) = (&stop, &calls);
            scope.spawn(move || {
                // SAFETY: `caller` is a committed `exit_block`; its slot only
                // ever holds the NOP word or a branch to `target`, both
                // complete functions of this type, and the arena outlives
                // the scope.
                let f = unsafe { std::mem::transmute::<usize, extern "C" fn() -> u32>(entry) };
                while !stop.load(Ordering::Relaxed) {
                    let got = f();
                    assert!(got == 1 || got == 2, "torn exit slot: returned {got}");
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // Patch until the runners have really been running alongside.
        let mut rounds = 0;
        while rounds < 500 || calls.load(Ordering::Relaxed) < 1000 {
            link(&mut arena, caller, target);
            unlink(&mut arena, caller);
            rounds += 1;
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(call(&arena, caller), 1);
}

/// Runs `f` in a forked child and returns the signal that killed it, or
/// `None` if it exited normally. Forking (rather than re-executing the
/// test binary) needs no binfmt_misc registration under qemu-user.
fn signal_in_child(f: impl FnOnce()) -> Option<i32> {
    // SAFETY: the child only calls async-signal-safe functions (setrlimit,
    // _exit) and `f`, which runs JIT code or a single store: no locks, no
    // allocation.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            // No core file for the expected crash.
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &none);
            f();
            libc::_exit(0);
        }
        let mut status = 0;
        assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status))
    }
}

/// The code at `offset` as a closure, to be run in a forked child.
fn function(arena: &Arena, offset: u32) -> impl FnOnce() {
    // SAFETY: only run in a forked child, where trapping is the point; the
    // address is inside the arena's allocated code.
    let f =
        unsafe { std::mem::transmute::<*const u8, extern "C" fn() -> u32>(arena.code_ptr(offset)) };
    move || {
        f();
    }
}

#[test]
fn poisoned_code_traps_in_a_child_process() {
    let mut arena = Arena::new(64 << 10).unwrap();
    let caller = exit_block(&mut arena, 1);
    let target_code = returns(2);
    let target = block(&mut arena, &target_code);
    link(&mut arena, caller, target);
    assert_eq!(
        signal_in_child(function(&arena, caller)),
        None,
        "linked code runs"
    );
    assert_eq!(call(&arena, caller), 2);

    // Invalidate the target: poison its body while the caller still links to it.
    let mut journal = arena.journal();
    journal.push(Entry::Poison {
        range: target..target + target_code.len() as u32,
    });
    arena.commit(&journal).unwrap();
    assert_eq!(
        signal_in_child(function(&arena, caller)),
        Some(libc::SIGTRAP)
    );
    assert_eq!(
        signal_in_child(function(&arena, target)),
        Some(libc::SIGTRAP)
    );

    poison_exit_slot(&mut arena, caller);
    assert_eq!(
        signal_in_child(function(&arena, caller)),
        Some(libc::SIGTRAP)
    );

    // Allocated but never written space traps too on AArch64: it holds
    // zeros (udf #0, SIGILL) or the poison a previous owner of the range
    // left (SIGTRAP). On x86-64 zeros are `add [rax], al`, no trap: what
    // they do depends on rax, so only AArch64 checks this.
    #[cfg(target_arch = "aarch64")]
    {
        let blank = arena.alloc(16, 16).unwrap();
        let signal = signal_in_child(function(&arena, blank));
        assert!(
            matches!(signal, Some(libc::SIGILL | libc::SIGTRAP)),
            "{signal:?}"
        );
    }
}

/// AArch64: a poisoned exit slot traps; the poison word is a valid patch.
#[cfg(target_arch = "aarch64")]
fn poison_exit_slot(arena: &mut Arena, block: u32) {
    patch(arena, slot(block), ISA.poison_word());
}

/// x86-64: a patch cannot poison (the poison word would be a jump out of
/// the arena, refused); a `Poison` entry over the block entry does, and
/// then the slot, whose `jmp` opcode is gone, can no longer be patched.
#[cfg(target_arch = "x86_64")]
fn poison_exit_slot(arena: &mut Arena, block: u32) {
    let mut journal = arena.journal();
    journal.push(Entry::Patch32 {
        at: slot(block),
        word: ISA.poison_word(),
    });
    assert_eq!(
        arena.commit(&journal),
        Err(JitMemError::Rejected {
            entry: Some(0),
            reason: Reject::BranchOutOfArena
        })
    );
    journal.clear();
    journal.push(Entry::Poison {
        range: block..block + 4,
    });
    arena.commit(&journal).unwrap();
    journal.clear();
    journal.push(Entry::Patch32 {
        at: slot(block),
        word: ISA.nop_word(),
    });
    assert_eq!(
        arena.commit(&journal),
        Err(JitMemError::Rejected {
            entry: Some(0),
            reason: Reject::NotAnExitSlot
        })
    );
}

#[test]
fn the_executable_view_cannot_be_written() {
    let mut arena = Arena::new(4096).unwrap();
    let f = block(&mut arena, &returns(1));
    let code = arena.code_ptr(f).cast_mut();
    // SAFETY: a deliberate store to the read+execute view, in a child that
    // is expected to die from it.
    let store = move || unsafe { code.write_volatile(0) };
    assert_eq!(signal_in_child(store), Some(libc::SIGSEGV));
    assert_eq!(call(&arena, f), 1);
}

#[test]
fn engines_in_parallel_threads_carve_write_link_and_run() {
    const THREADS: u16 = 4;
    let start = Barrier::new(THREADS.into());
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let start = &start;
            scope.spawn(move || {
                start.wait();
                for round in 0..25u16 {
                    let mut arena = Arena::new(16 << 10).unwrap();
                    let value = thread * 1000 + round;
                    let caller = exit_block(&mut arena, 1);
                    let target = block(&mut arena, &returns(value));
                    assert_eq!(call(&arena, caller), 1);
                    link(&mut arena, caller, target);
                    assert_eq!(call(&arena, caller), u32::from(value));
                }
            });
        }
    });
}

#[test]
fn exhausted_arena_errors_then_resets() {
    let mut arena = Arena::new(1).unwrap(); // one page
    let size = arena.size();
    let first = exit_block(&mut arena, 5);
    let stale = arena.journal();
    while arena.alloc(256, 4).is_ok() {}
    let used = arena.used();
    assert_eq!(
        arena.alloc(size, 4),
        Err(JitMemError::ArenaFull {
            requested: size,
            available: size - used
        })
    );

    // The full flush: old code is poisoned, the allocator starts over, and
    // journals built before are refused.
    arena.reset().unwrap();
    assert_eq!(arena.used(), 0);
    let mut old = stale;
    old.push(Entry::Patch32 {
        at: slot(first),
        word: ISA.nop_word(),
    });
    assert_eq!(
        arena.commit(&old),
        Err(JitMemError::Rejected {
            entry: None,
            reason: Reject::StaleGeneration
        })
    );
    let again = arena.alloc(8, 16).unwrap();
    assert_eq!(again, 0);
    assert_eq!(
        arena.code(0..8),
        [ISA.poison_word().to_le_bytes(); 2].concat()
    );
    let f = block(&mut arena, &returns(6));
    assert_eq!(call(&arena, f), 6);
}

#[test]
fn a_journal_commits_only_to_its_own_arena() {
    let mut a = Arena::new(4096).unwrap();
    let mut b = Arena::new(4096).unwrap();
    let fa = block(&mut a, &returns(1));
    let fb = block(&mut b, &returns(2));
    let mut for_a = a.journal();
    for_a.push(Entry::Copy {
        dst: fa,
        bytes: &returns(9),
    });
    assert_eq!(
        b.commit(&for_a),
        Err(JitMemError::Rejected {
            entry: None,
            reason: Reject::NotWriter
        })
    );
    assert_eq!((call(&a, fa), call(&b, fb)), (1, 2), "nothing was written");
    a.commit(&for_a).unwrap();
    assert_eq!(call(&a, fa), 9);
}

#[test]
fn rejected_commits_report_the_entry_and_write_nothing() {
    let mut arena = Arena::new(4096).unwrap();
    let f = exit_block(&mut arena, 4);
    let end = arena.used();
    let before = arena.code(f..end).to_vec();
    let mut journal = arena.journal();
    journal.push(Entry::Copy {
        dst: body(f),
        bytes: &returns(8),
    });
    journal.push(Entry::Patch32 {
        at: slot(f),
        word: ISA.branch_word(slot(f), 4000).unwrap(),
    });
    assert_eq!(
        arena.commit(&journal),
        Err(JitMemError::Rejected {
            entry: Some(1),
            reason: Reject::BranchOutOfArena
        })
    );
    assert_eq!(arena.code(f..end), before);
    assert_eq!(call(&arena, f), 4);
}

/// x86-64 only: what the validator knows about `jmp rel32` exit slots, on
/// real code.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::*;

    /// A jump whose rel32 is not 4-aligned cannot be patched, but its
    /// displacement can be computed with `branch_word` and copied in.
    #[test]
    fn placeholder_jumps_at_any_offset_are_filled_before_copying() {
        let mut arena = Arena::new(4096).unwrap();
        let target = block(&mut arena, &returns(33));
        // jmp rel32 at offset 1 of a block: the rel32 at 2 (not aligned).
        let at = arena.alloc(8, 16).unwrap() + 1;
        let rel = ISA.branch_word(at + 1, target).unwrap();
        let mut journal = arena.journal();
        let code = [&[0x90, 0xe9][..], &rel.to_le_bytes(), &[0xcc, 0xcc]].concat();
        journal.push(Entry::Copy {
            dst: at - 1,
            bytes: &code,
        });
        arena.commit(&journal).unwrap();
        assert_eq!(call(&arena, at - 1), 33);
        journal.clear();
        journal.push(Entry::Patch32 {
            at: at + 1,
            word: 0,
        });
        assert_eq!(
            arena.commit(&journal),
            Err(JitMemError::Rejected {
                entry: Some(0),
                reason: Reject::Misaligned
            })
        );
    }

    /// A block's slots can be patched only once the block is committed, and
    /// not by the journal that writes them.
    #[test]
    fn slots_are_checked_against_the_committed_code() {
        let mut arena = Arena::new(4096).unwrap();
        let target = block(&mut arena, &returns(7));
        let caller_code = [&EXIT[..], &returns(1)].concat();
        let caller = arena.alloc(caller_code.len() as u32, 16).unwrap();
        let word = ISA.branch_word(slot(caller), target).unwrap();

        // Same journal as the copy: refused, nothing written.
        let mut journal = arena.journal();
        journal.push(Entry::Copy {
            dst: caller,
            bytes: &caller_code,
        });
        journal.push(Entry::Patch32 {
            at: slot(caller),
            word,
        });
        assert_eq!(
            arena.commit(&journal),
            Err(JitMemError::Rejected {
                entry: Some(1),
                reason: Reject::NotAnExitSlot
            })
        );
        assert_ne!(arena.code(caller..caller + 8), EXIT);

        // Committed first, then patched: fine.
        journal.clear();
        journal.push(Entry::Copy {
            dst: caller,
            bytes: &caller_code,
        });
        arena.commit(&journal).unwrap();
        assert_eq!(call(&arena, caller), 1);
        patch(&mut arena, slot(caller), word);
        assert_eq!(call(&arena, caller), 7);

        // The rel32 of `mov eax, 1` in the body is 4-aligned, but follows
        // B8, not a jmp: no exit slot.
        journal.clear();
        journal.push(Entry::Patch32 {
            at: body(caller) + 4,
            word: 0,
        });
        assert_eq!(
            arena.commit(&journal),
            Err(JitMemError::Rejected {
                entry: Some(0),
                reason: Reject::NotAnExitSlot
            })
        );
        assert_eq!(call(&arena, caller), 7);
    }
}
