//! The region and its arenas on any host: carving, alignment, bump
//! allocation, the W^X invariant, and the self-test entry point.

use retrojit_translator::jitmem::{self, Arena, Entry, Isa, JitMemError};

#[test]
fn arenas_are_page_aligned_and_disjoint() {
    let mut arenas: Vec<Arena> = [1, 5000, 64 << 10, 3]
        .into_iter()
        .map(|s| Arena::new(s).unwrap())
        .collect();
    let mut spans = Vec::new();
    for arena in &mut arenas {
        assert!(
            arena.size() > 0 && arena.size() % 4096 == 0,
            "not whole pages"
        );
        arena.alloc(1, 1).unwrap();
        let start = arena.code_ptr(0) as usize;
        assert_eq!(start % 4096, 0, "arena not page aligned");
        spans.push(start..start + arena.size() as usize);
    }
    for (i, a) in spans.iter().enumerate() {
        for b in &spans[i + 1..] {
            assert!(
                a.end <= b.start || b.end <= a.start,
                "{a:x?} overlaps {b:x?}"
            );
        }
    }
}

#[test]
fn invalid_arena_sizes_are_refused() {
    assert_eq!(
        Arena::new(0).err(),
        Some(JitMemError::InvalidArenaSize { requested: 0 })
    );
    let too_big = jitmem::region_size() + 1;
    assert_eq!(
        Arena::new(too_big).err(),
        Some(JitMemError::InvalidArenaSize { requested: too_big })
    );
}

#[test]
fn bump_allocation_aligns_and_reports_exhaustion() {
    let mut arena = Arena::new(4096).unwrap();
    let size = arena.size();
    assert_eq!(arena.alloc(3, 1), Ok(0));
    assert_eq!(arena.alloc(4, 16), Ok(16));
    assert_eq!(arena.alloc(0, 4), Ok(20));
    assert_eq!(arena.used(), 20);
    assert_eq!(
        arena.alloc(4, 3),
        Err(JitMemError::InvalidAlignment { align: 3 })
    );
    assert_eq!(
        arena.alloc(4, 0),
        Err(JitMemError::InvalidAlignment { align: 0 })
    );
    assert_eq!(
        arena.alloc(size, 64),
        Err(JitMemError::ArenaFull {
            requested: size,
            available: size - 64
        })
    );
    assert_eq!(arena.used(), 20, "a failed allocation allocates nothing");
    assert_eq!(arena.alloc(size - 20, 1), Ok(20));
    assert_eq!(
        arena.alloc(1, 1),
        Err(JitMemError::ArenaFull {
            requested: 1,
            available: 0
        })
    );
}

#[test]
fn commit_needs_a_host_backend() {
    let mut arena = Arena::new(4096).unwrap();
    let at = arena.alloc(4, 4).unwrap();
    let mut journal = arena.journal();
    // Poison is valid on every ISA and needs no code around it.
    journal.push(Entry::Poison { range: at..at + 4 });
    assert_eq!(journal.len(), 1);
    let result = arena.commit(&journal);
    match Isa::HOST {
        Some(isa) => {
            assert_eq!(result, Ok(()));
            assert_eq!(arena.code(at..at + 4), isa.poison_word().to_le_bytes());
        }
        None => assert_eq!(result, Err(JitMemError::UnsupportedHost)),
    }
}

/// Reads /proc/self/maps while another thread commits, and after: the dual
/// mapping must never show a page that is writable and executable.
#[cfg(target_os = "linux")]
#[test]
fn no_mapping_is_ever_writable_and_executable() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut arena = Arena::new(64 << 10).unwrap();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for round in 0..200u32 {
                let at = arena.alloc(8, 4).unwrap_or_else(|_| {
                    arena.reset().unwrap();
                    arena.alloc(8, 4).unwrap()
                });
                let mut journal = arena.journal();
                journal.push(Entry::Copy {
                    dst: at,
                    bytes: &[round as u8; 8],
                });
                journal.push(Entry::Poison { range: at..at + 4 });
                // Without a host backend commit refuses; reservation and
                // mapping are what this test watches then.
                let _ = arena.commit(&journal);
            }
            done.store(true, Ordering::Release);
        });
        while !done.load(Ordering::Acquire) {
            assert_eq!(
                jitmem::writable_executable_mappings().unwrap(),
                Vec::<String>::new()
            );
        }
    });
    assert_eq!(
        jitmem::writable_executable_mappings().unwrap(),
        Vec::<String>::new()
    );
    // The region really is dual-mapped: one writable and one executable view.
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let views: Vec<&str> = maps
        .lines()
        .filter(|l| l.contains("retrojit-jit"))
        .collect();
    assert!(views.iter().any(|l| l.contains(" rw-s ")), "{views:#?}");
    assert!(views.iter().any(|l| l.contains(" r-xs ")), "{views:#?}");
}

#[test]
fn selftest_verifies_or_says_unsupported() {
    match (Isa::HOST, jitmem::selftest()) {
        (Some(_), Ok(report)) => {
            let text = report.to_string();
            for check in [
                "region:", "write:", "link:", "unlink:", "refuse:", "poison:", "reset:",
            ] {
                assert!(text.contains(check), "missing {check} in\n{text}");
            }
            #[cfg(target_os = "linux")]
            assert!(text.contains("W^X:"), "{text}");
        }
        (None, Err(jitmem::SelfTestError::JitMem(JitMemError::UnsupportedHost))) => {}
        (host, other) => panic!("host {host:?}: {other:?}"),
    }
}
