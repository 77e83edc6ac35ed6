//! jitmem on real hardware semantics: code written through the journal runs,
//! links, unlinks, traps when poisoned, and survives concurrent engines.
//! AArch64 only (under qemu-aarch64 >= 8.1 on x86-64 hosts).
#![cfg(target_arch = "aarch64")]

use retrojit_translator::jitmem::{Arena, Entry, Isa, JitMemError, Reject};
use std::sync::Barrier;

const ISA: Isa = Isa::Aarch64;
const RET: u32 = 0xd65f_03c0;

/// `movz w0, #value`
fn mov_w0(value: u16) -> u32 {
    0x5280_0000 | (u32::from(value) << 5)
}

fn bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Allocates and commits `words` as one block; returns its offset.
fn block(arena: &mut Arena, words: &[u32]) -> u32 {
    let code = bytes(words);
    let at = arena.alloc(code.len() as u32, 16).unwrap();
    let mut journal = arena.journal();
    journal.push(Entry::Copy {
        dst: at,
        bytes: &code,
    });
    arena.commit(&journal).unwrap();
    at
}

/// A block `[exit slot: NOP][movz w0, #value][ret]`: returns `value` while
/// unlinked, or whatever its linked target returns.
fn exit_block(arena: &mut Arena, value: u16) -> u32 {
    block(arena, &[ISA.nop_word(), mov_w0(value), RET])
}

fn patch(arena: &mut Arena, at: u32, word: u32) {
    let mut journal = arena.journal();
    journal.push(Entry::Patch32 { at, word });
    arena.commit(&journal).unwrap();
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
    let f = block(&mut arena, &[mov_w0(42), RET]);
    assert_eq!(call(&arena, f), 42);
    // Rewriting a body that has already run must not leave stale code
    // (the qemu < 8.1 failure mode; on hardware, the icache flush).
    let mut journal = arena.journal();
    journal.push(Entry::Copy {
        dst: f,
        bytes: &bytes(&[mov_w0(7)]),
    });
    arena.commit(&journal).unwrap();
    assert_eq!(call(&arena, f), 7);
    assert_eq!(arena.code(f..f + 8), bytes(&[mov_w0(7), RET]));
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
    patch(&mut arena, b, ISA.branch_word(b, c).unwrap());
    patch(&mut arena, a, ISA.branch_word(a, b).unwrap());
    assert_eq!(call(&arena, a), 3);
    patch(&mut arena, c, ISA.branch_word(c, a + 4).unwrap());
    assert_eq!(call(&arena, c), 1, "backward link into a's body");

    // Unlinking b (as when c is invalidated) makes a stop at b.
    patch(&mut arena, b, ISA.nop_word());
    assert_eq!(call(&arena, a), 2);
    patch(&mut arena, a, ISA.nop_word());
    assert_eq!(call(&arena, a), 1);
    patch(&mut arena, a, ISA.branch_word(a, c + 4).unwrap());
    assert_eq!(call(&arena, a), 3);
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
    let target = block(&mut arena, &[mov_w0(2), RET]);
    patch(&mut arena, caller, ISA.branch_word(caller, target).unwrap());
    assert_eq!(
        signal_in_child(function(&arena, caller)),
        None,
        "linked code runs"
    );
    assert_eq!(call(&arena, caller), 2);

    // Invalidate the target: poison its body while the caller still links to it.
    let mut journal = arena.journal();
    journal.push(Entry::Poison {
        range: target..target + 8,
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

    // A poisoned exit slot traps too.
    patch(&mut arena, caller, ISA.poison_word());
    assert_eq!(
        signal_in_child(function(&arena, caller)),
        Some(libc::SIGTRAP)
    );

    // Allocated but never written space traps too: it holds zeros (udf #0,
    // SIGILL) or the poison a previous owner of the range left (SIGTRAP).
    let blank = arena.alloc(16, 16).unwrap();
    let signal = signal_in_child(function(&arena, blank));
    assert!(
        matches!(signal, Some(libc::SIGILL | libc::SIGTRAP)),
        "{signal:?}"
    );
}

#[test]
fn the_executable_view_cannot_be_written() {
    let mut arena = Arena::new(4096).unwrap();
    let f = block(&mut arena, &[mov_w0(1), RET]);
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
                    let target = block(&mut arena, &[mov_w0(value), RET]);
                    assert_eq!(call(&arena, caller), 1);
                    patch(&mut arena, caller, ISA.branch_word(caller, target).unwrap());
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
    let first = block(&mut arena, &[mov_w0(5), RET]);
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
        at: first,
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
    assert_eq!(arena.code(0..8), bytes(&[ISA.poison_word(); 2]));
    let f = block(&mut arena, &[mov_w0(6), RET]);
    assert_eq!(call(&arena, f), 6);
}

#[test]
fn a_journal_commits_only_to_its_own_arena() {
    let mut a = Arena::new(4096).unwrap();
    let mut b = Arena::new(4096).unwrap();
    let fa = block(&mut a, &[mov_w0(1), RET]);
    let fb = block(&mut b, &[mov_w0(2), RET]);
    let mut for_a = a.journal();
    for_a.push(Entry::Copy {
        dst: fa,
        bytes: &bytes(&[mov_w0(9)]),
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
    let before = arena.code(f..f + 12).to_vec();
    let mut journal = arena.journal();
    journal.push(Entry::Copy {
        dst: f + 4,
        bytes: &bytes(&[mov_w0(8)]),
    });
    journal.push(Entry::Patch32 {
        at: f,
        word: ISA.branch_word(f, 4000).unwrap(),
    });
    assert_eq!(
        arena.commit(&journal),
        Err(JitMemError::Rejected {
            entry: Some(1),
            reason: Reject::BranchOutOfArena
        })
    );
    assert_eq!(arena.code(f..f + 12), before);
    assert_eq!(call(&arena, f), 4);
}
