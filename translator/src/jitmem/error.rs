//! Errors of the code-memory API.

use super::validate::Reject;

/// Why a jitmem operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JitMemError {
    /// retrojit has no backend for this host's ISA: code can be carved but
    /// not committed or run.
    #[error("no JIT backend for this host ({arch})", arch = std::env::consts::ARCH)]
    UnsupportedHost,
    /// [`configure_region`](super::configure_region) after the region was reserved.
    #[error("the JIT region is already reserved; configure it before the first arena")]
    AlreadyReserved,
    #[error("invalid JIT region size {requested} (must be 1..={max} bytes)", max = super::MAX_REGION_SIZE)]
    InvalidRegionSize { requested: usize },
    /// The operating system refused to reserve the region.
    #[error("reserving the JIT region failed at {step}: {}", std::io::Error::from_raw_os_error(*errno))]
    Reserve { step: &'static str, errno: i32 },
    #[error("invalid arena size {requested} (must be 1..=region size)")]
    InvalidArenaSize { requested: usize },
    /// No free range of the region is large enough.
    #[error("JIT region has no free range of {requested} bytes")]
    RegionFull { requested: usize },
    #[error("too many live arenas (at most {})", super::MAX_ARENAS)]
    TooManyArenas,
    /// The arena's bump allocator is exhausted; reset the arena (full cache
    /// flush) and allocate again.
    #[error("arena full: {requested} bytes requested, {available} available")]
    ArenaFull { requested: u32, available: u32 },
    #[error("alignment {align} is not a power of two")]
    InvalidAlignment { align: u32 },
    /// The write callback refused the journal; nothing was written.
    /// `entry` is the index of the first bad entry, `None` for header-level
    /// problems.
    #[error("journal rejected{}: {}", entry.map(|i| format!(" at entry {i}")).unwrap_or_default(), reason.describe())]
    Rejected {
        entry: Option<usize>,
        reason: Reject,
    },
    /// The write path returned a status the callback never produces.
    #[error("write callback returned unknown status {0}")]
    UnknownStatus(i32),
}
