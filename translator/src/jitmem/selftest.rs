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
    // unlinked, so the caller falls through to its own return.
    let exit = exit_slot(isa);
    let caller_code = [&exit.code[..], &returns(isa, 1)].concat();
    let caller = arena.alloc(byte_len(&caller_code), 16)?;
    let slot = caller + exit.slot;
    let body = caller + byte_len(&exit.code);
    let target_code = returns(isa, 2);
    let target = arena.alloc(byte_len(&target_code), 16)?;
    let mut journal = arena.journal();
    journal.push(Entry::Copy {
        dst: caller,
        bytes: &caller_code,
    });
    journal.push(Entry::Copy {
        dst: target,
        bytes: &target_code,
    });
    arena.commit(&journal)?;
    expect_call(&arena, caller, 1, "write")?;
    expect_call(&arena, target, 2, "write")?;
    lines.push(format!(
        "write: 2 {} blocks ({} bytes) committed through the journal, {}; they return 1 and 2",
        isa.name(),
        caller_code.len() + target_code.len(),
        match isa {
            Isa::Aarch64 => "icache flushed",
            Isa::X86_64 => "no icache flush needed",
        }
    ));

    let link = isa
        .branch_word(slot, target)
        .ok_or(SelfTestError::Mismatch {
            check: "link",
            detail: "target out of branch range".into(),
        })?;
    patch(&mut arena, slot, link)?;
    expect_call(&arena, caller, 2, "link")?;
    lines.push(format!(
        "link: exit slot at caller+{} patched to {link:#010x} ({} to the target, {:#x} bytes ahead); the caller now returns 2",
        exit.slot,
        exit.branch,
        target - slot
    ));

    patch(&mut arena, slot, isa.nop_word())?;
    expect_call(&arena, caller, 1, "unlink")?;
    lines.push(format!(
        "unlink: exit slot patched back to {:#010x} ({}); the caller returns 1 again",
        isa.nop_word(),
        exit.nop
    ));

    let before = arena.code(caller..caller + byte_len(&caller_code)).to_vec();
    let mut bad = arena.journal();
    bad.push(Entry::Copy {
        dst: body,
        bytes: &returns(isa, 3),
    });
    bad.push(Entry::Patch32 {
        at: slot,
        word: isa.branch_word(slot, arena.used() + 64).unwrap_or(0),
    });
    expect_rejected(&mut arena, &bad, 1, Reject::BranchOutOfArena)?;
    if arena.code(caller..caller + byte_len(&caller_code)) != before {
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
    if isa.slot_opcode().is_some() {
        // Bytes 4..8 of the caller's body (the end of `mov eax, 1`, `ret`,
        // padding) follow a byte of the immediate, not a jmp opcode.
        let mut bad = arena.journal();
        bad.push(Entry::Patch32 {
            at: body + 4,
            word: isa.nop_word(),
        });
        expect_rejected(&mut arena, &bad, 0, Reject::NotAnExitSlot)?;
        expect_call(&arena, caller, 1, "refuse")?;
        lines.push(
            "refuse: a patch of 4 bytes that are not a jmp rel32 displacement was rejected (not an exit slot)"
                .into(),
        );
    }

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

/// A function that returns `value`, padded with poison to whole 4-byte
/// words (so that `Poison` entries can cover exactly the block).
fn returns(isa: Isa, value: u16) -> Vec<u8> {
    match isa {
        // movz w0, #value ; ret
        Isa::Aarch64 => [0x5280_0000 | (u32::from(value) << 5), 0xd65f_03c0]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect(),
        // mov eax, imm32 (B8 imm32) ; ret (C3) ; int3 ; int3 (padding)
        Isa::X86_64 => [
            &[0xb8][..],
            &u32::from(value).to_le_bytes(),
            &[0xc3, 0xcc, 0xcc],
        ]
        .concat(),
    }
}

/// An unlinked exit slot in front of a block's body.
struct ExitSlot {
    /// Code bytes; the block's body follows them.
    code: Vec<u8>,
    /// Offset of the patchable 32-bit word in `code`.
    slot: u32,
    /// What a link word is, for the report.
    branch: &'static str,
    /// What the unlink word is, for the report.
    nop: &'static str,
}

fn exit_slot(isa: Isa) -> ExitSlot {
    match isa {
        Isa::Aarch64 => ExitSlot {
            code: isa.nop_word().to_le_bytes().to_vec(),
            slot: 0,
            branch: "B",
            nop: "NOP",
        },
        // nop ; nop ; nop ; jmp rel32 with rel32 = 0 (the next instruction):
        // the padding puts the displacement at a 4-aligned offset.
        Isa::X86_64 => ExitSlot {
            code: vec![0x90, 0x90, 0x90, 0xe9, 0, 0, 0, 0],
            slot: 4,
            branch: "jmp rel32",
            nop: "rel32 0: jmp to the next instruction",
        },
    }
}

fn byte_len(bytes: &[u8]) -> u32 {
    bytes.len() as u32
}

fn expect_rejected(
    arena: &mut Arena,
    journal: &super::Journal,
    entry: usize,
    reason: Reject,
) -> Result<(), SelfTestError> {
    match arena.commit(journal) {
        Err(JitMemError::Rejected {
            entry: Some(e),
            reason: r,
        }) if e == entry && r == reason => Ok(()),
        other => Err(SelfTestError::Mismatch {
            check: "refuse",
            detail: format!("expected {reason:?} at entry {entry}, got {other:?}"),
        }),
    }
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
