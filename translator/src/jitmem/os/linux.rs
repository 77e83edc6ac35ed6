//! Linux: W^X by dual mapping one memfd, as QEMU's split-wx and asmjit do.
//! The read+write view is known only to the write callback; the
//! read+execute view is the only one code runs from, so no page is ever
//! writable and executable at once.

use super::Views;
use crate::jitmem::callback::write_callback;
use crate::jitmem::error::JitMemError;
use std::ffi::{c_int, c_void};

pub(crate) fn reserve(len: usize) -> Result<Views, JitMemError> {
    let fail = |step| JitMemError::Reserve {
        step,
        errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
    };
    // Kernels >= 6.3 with vm.memfd_noexec set refuse to map a memfd
    // executable unless it was created with MFD_EXEC; older kernels reject
    // the flag with EINVAL, so retry without it.
    // SAFETY: the name is a NUL-terminated literal.
    let mut fd =
        unsafe { libc::memfd_create(c"retrojit-jit".as_ptr(), libc::MFD_CLOEXEC | libc::MFD_EXEC) };
    if fd < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        // SAFETY: as above.
        fd = unsafe { libc::memfd_create(c"retrojit-jit".as_ptr(), libc::MFD_CLOEXEC) };
    }
    if fd < 0 {
        return Err(fail("memfd_create"));
    }
    let views = map_views(fd, len).map_err(fail);
    // SAFETY: fd is ours; the mappings keep the memory alive without it.
    unsafe { libc::close(fd) };
    views
}

fn map_views(fd: c_int, len: usize) -> Result<Views, &'static str> {
    let size = libc::off_t::try_from(len).map_err(|_| "ftruncate")?;
    // SAFETY: fd is a valid memfd we own.
    if unsafe { libc::ftruncate(fd, size) } != 0 {
        return Err("ftruncate");
    }
    let map = |prot| {
        // SAFETY: a fresh shared mapping of our own memfd at an address the
        // kernel picks; it aliases no Rust object.
        let addr = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, libc::MAP_SHARED, fd, 0) };
        (addr != libc::MAP_FAILED).then_some(addr as usize)
    };
    let rw = map(libc::PROT_READ | libc::PROT_WRITE).ok_or("mmap rw")?;
    let Some(rx) = map(libc::PROT_READ | libc::PROT_EXEC) else {
        // SAFETY: rw was mapped just above with this length and is unused.
        unsafe { libc::munmap(rw as *mut c_void, len) };
        return Err("mmap rx");
    };
    Ok(Views { rx, rw, len })
}

/// Runs the write callback on the journal at `ctx`. On Linux the RW view is
/// always mapped, so this is a plain call; the callback is still the only
/// code that stores through it.
pub(crate) fn write_journal(ctx: *mut c_void) -> c_int {
    write_callback(ctx)
}

/// Makes `len` bytes at `rx` (RX view) visible to instruction fetch.
///
/// # Safety
/// `rx..rx+len` must lie inside the region's RX view.
pub(crate) unsafe fn flush_icache(rx: usize, len: usize) {
    #[cfg(target_arch = "aarch64")]
    {
        unsafe extern "C" {
            // libgcc: DC CVAU, DSB, IC IVAU per line, DSB, ISB.
            fn __clear_cache(start: *mut libc::c_char, end: *mut libc::c_char);
        }
        // SAFETY: the range is mapped (caller's contract); cleaning through
        // the RX alias cleans the same physical lines the RW view wrote.
        unsafe {
            __clear_cache(
                rx as *mut libc::c_char,
                rx.wrapping_add(len) as *mut libc::c_char,
            )
        };
    }
    // x86-64 keeps instruction fetch coherent with stores on its own, and
    // checks by physical address (Intel SDM vol. 3A, 11.6), so stores
    // through the RW alias are seen through the RX view: nothing to do.
    #[cfg(not(target_arch = "aarch64"))]
    let _ = (rx, len);
}

/// Lines of `/proc/self/maps` whose permissions are both writable and
/// executable. The dual mapping never creates one; tests and the self-test
/// assert this list is empty.
pub fn writable_executable_mappings() -> std::io::Result<Vec<String>> {
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    Ok(maps
        .lines()
        .filter(|line| {
            let perms = line.split_whitespace().nth(1).unwrap_or("");
            perms.contains('w') && perms.contains('x')
        })
        .map(str::to_owned)
        .collect())
}
