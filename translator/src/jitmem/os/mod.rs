//! Platform layer: reserving the region, entering the write callback, and
//! making written code visible to instruction fetch.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::writable_executable_mappings;
#[cfg(target_os = "linux")]
pub(crate) use linux::{flush_icache, reserve, write_journal};

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
pub(crate) use macos::{flush_icache, reserve, write_journal};

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
compile_error!("jitmem supports Linux (memfd dual mapping) and macOS (MAP_JIT) only");

/// The region's two views. On Linux they are two mappings of one memfd;
/// on macOS `MAP_JIT` gives one mapping whose writability is per thread, so
/// `rw == rx`.
#[derive(Debug)]
pub(crate) struct Views {
    /// Address of the executable (read+execute) view.
    pub rx: usize,
    /// Address of the view the write callback stores through.
    pub rw: usize,
    pub len: usize,
}

pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    // POSIX guarantees a positive page size; 4 KiB is the floor on every
    // supported host should the call ever fail.
    usize::try_from(page).unwrap_or(4096).max(4096)
}

/// Identity of the calling thread, never 0.
pub(crate) fn current_thread() -> usize {
    // SAFETY: pthread_self has no preconditions and cannot fail.
    let thread = unsafe { libc::pthread_self() };
    // Only compared for equality: the id (Linux) or pointer (macOS) as an integer.
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    let id = thread as usize;
    id
}
