//! macOS: one `MAP_JIT` region, written only inside the allowlisted write
//! callback via `pthread_jit_write_with_callback_np`, which makes the
//! region writable (and not executable) for the calling thread alone for the
//! duration of the callback.
//!
//! The same code serves Intel Macs (`x86_64-apple-darwin`). There the
//! hardware has no per-thread JIT write protection
//! (`pthread_jit_write_protect_supported_np()` is false): the `MAP_JIT`
//! region is plainly read+write+execute, and
//! `pthread_jit_write_with_callback_np` still checks the allowlist and
//! calls the callback, which stays the only code that writes the region.
//! `sys_icache_invalidate` is a no-op on x86-64 but is called anyway.

use super::Views;
use crate::jitmem::callback::write_callback;
use crate::jitmem::error::JitMemError;
use std::ffi::{c_int, c_void};

unsafe extern "C" {
    // libSystem (<libkern/OSCacheControl.h>); not in the libc crate.
    fn sys_icache_invalidate(start: *mut c_void, len: libc::size_t);
}

pub(crate) fn reserve(len: usize) -> Result<Views, JitMemError> {
    // SAFETY: a fresh anonymous mapping at an address the kernel picks.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
            libc::MAP_PRIVATE | libc::MAP_ANON | libc::MAP_JIT,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return Err(JitMemError::Reserve {
            step: "mmap MAP_JIT",
            errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        });
    }
    // With the jit-write-allowlist-freeze-late entitlement, callbacks of
    // images loaded later stay allowed until this call; ours is in the main
    // image, so freeze as soon as the region exists, before any write.
    #[cfg(feature = "freeze-late")]
    // SAFETY: no preconditions; called once, under the reservation lock.
    unsafe {
        libc::pthread_jit_write_freeze_callbacks_np()
    };
    let addr = addr as usize;
    Ok(Views {
        rx: addr,
        rw: addr,
        len,
    })
}

/// Runs the allowlisted write callback on the journal at `ctx`.
pub(crate) fn write_journal(ctx: *mut c_void) -> c_int {
    // SAFETY: write_callback is in this image's __pth_jit_func allowlist
    // (callback.rs), does not unwind, and never re-enters this function,
    // which the API forbids.
    unsafe { libc::pthread_jit_write_with_callback_np(Some(write_callback), ctx) }
}

/// Makes `len` bytes at `rx` visible to instruction fetch (a no-op on
/// Intel, whose instruction fetch is coherent with stores; called on every
/// Mac so the write path is the same).
///
/// # Safety
/// `rx..rx+len` must lie inside the region.
pub(crate) unsafe fn flush_icache(rx: usize, len: usize) {
    // SAFETY: the range is mapped (caller's contract).
    unsafe { sys_icache_invalidate(rx as *mut c_void, len) };
}
