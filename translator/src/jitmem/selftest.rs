//! `retrojit jit-selftest`: exercises the whole write path on the real
//! region (write, link, unlink, refuse, poison, reset), runs the code, and
//! reports what it verified.

use super::Arena;
use super::error::JitMemError;
use super::isa::Isa;
use super::journal::Entry;
use super::region;
use super::validate::Reject;
use std::fmt;

/// What [`selftest`] verified, one line per check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelfTestReport {
    pub lines: Vec<String>,
}

impl fmt::Display for SelfTestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// Why [`selftest`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelfTestError {
    /// A jitmem operation failed; on hosts without a backend this is
    /// [`JitMemError::UnsupportedHost`].
    #[error(transparent)]
    JitMem(#[from] JitMemError),
    /// Code ran or read back differently than written.
    #[error("JIT self-test failed: {check}: {detail}")]
    Mismatch { check: &'static str, detail: String },
}

/// Writes, links, unlinks and poisons code in a fresh arena, executes it,
/// and returns what it verified. Fails with [`JitMemError::UnsupportedHost`]
/// where retrojit has no backend for the host ISA.
pub fn selftest() -> Result<SelfTestReport, SelfTestError> {
    let isa = Isa::HOST.ok_or(JitMemError::UnsupportedHost)?;
    let mut lines = Vec::new();
    let mut arena = Arena::new(64 << 10)?;
    lines.push(describe_region(&arena));

    // caller: [exit slot][return 1]; target: [return 2]. The exit slot starts
    // unlinked (NOP), so the caller falls through to its own return.
    let caller_code = [&[isa.nop_word()][..], &returns(isa, 1)].concat();
    let caller = arena.alloc(byte_len(&caller_code), 16)?;
    let target_code = returns(isa, 2);
    let target = arena.alloc(byte_len(&target_code), 16)?;
    let mut journal = arena.journal();
    journal.push(Entry::Copy {
        dst: caller,
        bytes: &to_bytes(&caller_code),
    });
    journal.push(Entry::Copy {
        dst: target,
        bytes: &to_bytes(&target_code),
    });
    arena.commit(&journal)?;
    expect_call(&arena, caller, 1, "write")?;
    expect_call(&arena, target, 2, "write")?;
    lines.push(format!(
        "write: 2 blocks ({} words) committed through the journal, icache flushed; they return 1 and 2",
        caller_code.len() + target_code.len()
    ));

    let link = isa
        .branch_word(caller, target)
        .ok_or(SelfTestError::Mismatch {
            check: "link",
            detail: "target out of branch range".into(),
        })?;
    patch(&mut arena, caller, link)?;
    expect_call(&arena, caller, 2, "link")?;
    lines.push(format!(
        "link: exit slot patched to {link:#010x} (branch +{:#x}); the caller now returns 2",
        target - caller
    ));

    patch(&mut arena, caller, isa.nop_word())?;
    expect_call(&arena, caller, 1, "unlink")?;
    lines.push("unlink: exit slot patched back to NOP; the caller returns 1 again".into());

    let before = arena.code(caller..caller + 4).to_vec();
    let mut bad = arena.journal();
    bad.push(Entry::Copy {
        dst: caller,
        bytes: &to_bytes(&returns(isa, 3)),
    });
    bad.push(Entry::Patch32 {
        at: caller,
        word: isa.branch_word(caller, arena.used() + 64).unwrap_or(0),
    });
    match arena.commit(&bad) {
        Err(JitMemError::Rejected {
            entry: Some(1),
            reason: Reject::BranchOutOfArena,
        }) => {}
        other => {
            return Err(SelfTestError::Mismatch {
                check: "refuse",
                detail: format!("a branch out of the arena gave {other:?}"),
            });
        }
    }
    if arena.code(caller..caller + 4) != before {
        return Err(SelfTestError::Mismatch {
            check: "refuse",
            detail: "a rejected journal wrote code".into(),
        });
    }
    expect_call(&arena, caller, 1, "refuse")?;
    lines.push(
        "refuse: a journal whose 2nd entry branches outside the arena was rejected whole; its 1st entry wrote nothing"
            .into(),
    );

    let target_end = target + byte_len(&target_code);
    let mut poison = arena.journal();
    poison.push(Entry::Poison {
        range: target..target_end,
    });
    arena.commit(&poison)?;
    expect_poisoned(&arena, target..target_end, isa, "poison")?;
    expect_call(&arena, caller, 1, "poison")?;
    lines.push(format!(
        "poison: the target block now reads {:#010x} (traps if run); the unlinked caller still returns 1",
        isa.poison_word()
    ));

    arena.reset()?;
    let reused = arena.alloc(byte_len(&caller_code), 16)?;
    expect_poisoned(
        &arena,
        reused..reused + byte_len(&caller_code),
        isa,
        "reset",
    )?;
    lines.push(
        "reset: all code poisoned, allocator rewound to offset 0, old journals refused".into(),
    );

    #[cfg(target_os = "linux")]
    {
        let wx = super::writable_executable_mappings().map_err(|e| SelfTestError::Mismatch {
            check: "W^X",
            detail: format!("reading /proc/self/maps: {e}"),
        })?;
        if !wx.is_empty() {
            return Err(SelfTestError::Mismatch {
                check: "W^X",
                detail: wx.join("\n"),
            });
        }
        lines.push("W^X: no mapping in /proc/self/maps is both writable and executable".into());
    }
    Ok(SelfTestReport { lines })
}

fn describe_region(arena: &Arena) -> String {
    let views = &region::reserved()
        .expect("an arena exists, so the region does")
        .views;
    let layout = if views.rw == views.rx {
        format!("MAP_JIT at {:#x}", views.rx)
    } else {
        format!(
            "memfd mapped twice: RX at {:#x}, RW at a separate address",
            views.rx
        )
    };
    format!(
        "region: {} MiB reserved once ({layout}); {} KiB arena carved for the test",
        views.len >> 20,
        arena.size() >> 10
    )
}

/// A function that returns `value`.
fn returns(isa: Isa, value: u16) -> Vec<u32> {
    match isa {
        // movz w0, #value ; ret
        Isa::Aarch64 => vec![0x5280_0000 | (u32::from(value) << 5), 0xd65f_03c0],
    }
}

fn to_bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn byte_len(words: &[u32]) -> u32 {
    (words.len() * 4) as u32
}

fn patch(arena: &mut Arena, at: u32, word: u32) -> Result<(), JitMemError> {
    let mut journal = arena.journal();
    journal.push(Entry::Patch32 { at, word });
    arena.commit(&journal)
}

fn expect_call(
    arena: &Arena,
    offset: u32,
    expected: u32,
    check: &'static str,
) -> Result<(), SelfTestError> {
    // SAFETY: the bytes at `offset` were committed and flushed above and
    // form a complete function of this type (returns() or a linked exit
    // slot in front of one) for the host ISA.
    let function =
        unsafe { std::mem::transmute::<*const u8, extern "C" fn() -> u32>(arena.code_ptr(offset)) };
    let got = function();
    if got == expected {
        Ok(())
    } else {
        Err(SelfTestError::Mismatch {
            check,
            detail: format!("code returned {got}, expected {expected}"),
        })
    }
}

fn expect_poisoned(
    arena: &Arena,
    range: std::ops::Range<u32>,
    isa: Isa,
    check: &'static str,
) -> Result<(), SelfTestError> {
    let poison = isa.poison_word().to_le_bytes();
    if arena.code(range).chunks(4).all(|word| word == poison) {
        Ok(())
    } else {
        Err(SelfTestError::Mismatch {
            check,
            detail: "code does not read back as poison".into(),
        })
    }
}
