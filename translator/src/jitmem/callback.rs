//! The one function that writes code memory, and its registration in the
//! macOS allowlist.
//!
//! It gathers what it trusts (the host ISA, the region's views, the arena
//! slot table, the calling thread) without looking at its argument, then
//! hands the untrusted context to the validator.

#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used
)]

use super::isa::Isa;
use super::os;
use super::region::{self, SLOTS};
use super::validate::{Reject, WriteEnv, status, validate_and_apply};
use std::ffi::{c_int, c_void};

/// The write callback: validates the journal at `ctx` and applies it all or
/// not at all. Returns 0 or a rejection status. `extern "C"`, so a panic
/// could not unwind out of it (it would abort), and the validator is written
/// not to panic at all.
pub(crate) extern "C" fn write_callback(ctx: *mut c_void) -> c_int {
    let Some(isa) = Isa::HOST else {
        return status(Reject::UnsupportedIsa, None);
    };
    // No region means no arena, so nothing could be a valid target.
    let Some(region) = region::reserved() else {
        return status(Reject::UnknownArena, None);
    };
    let views = &region.views;
    let env = WriteEnv {
        isa,
        slots: &SLOTS,
        rx: views.rx..views.rx.wrapping_add(views.len),
        rw: views.rw..views.rw.wrapping_add(views.len),
        thread: os::current_thread(),
    };
    // SAFETY: the callback is reached through os::write_journal with a
    // pointer to a live RawJournal whose buffers outlive the call. Anyone
    // else calling it with a wild pointer faults on the read, the trap
    // Apple's guidance prefers; every value read is validated.
    unsafe { validate_and_apply(ctx, &env) }
}

/// `PTHREAD_JIT_WRITE_ALLOW_CALLBACKS_NP(write_callback)`: a NULL-terminated
/// array (not a slice reference, which would put a pointer/length pair in
/// the section) that dyld reads as this image's callback allowlist.
#[cfg(target_os = "macos")]
#[used]
#[unsafe(link_section = "__DATA_CONST,__pth_jit_func")]
static JIT_WRITE_ALLOWLIST: [libc::pthread_jit_write_callback_t; 2] = [Some(write_callback), None];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::jitmem::validate::decode_status;

    fn reason(code: c_int) -> Reject {
        decode_status(code).unwrap().0
    }

    /// The real entry point, called the way an attacker would: directly,
    /// outside `Arena::commit`.
    #[test]
    fn direct_calls_are_refused() {
        if Isa::HOST.is_none() {
            let code = write_callback(std::ptr::null_mut());
            assert_eq!(reason(code), Reject::UnsupportedIsa);
            return;
        }
        let mut arena = crate::jitmem::Arena::new(4096).unwrap();
        let at = arena.alloc(4, 4).unwrap();
        let mut journal = arena.journal();
        // Data, not code: valid on every ISA and never run.
        let bytes = [0x11, 0x22, 0x33, 0x44];
        journal.push(crate::jitmem::Entry::Copy {
            dst: at,
            bytes: &bytes,
        });
        let before = arena.code(at..at + 4).to_vec();
        let raw = journal.raw();
        // A well-formed journal for a live arena, but no thread is committing
        // to it, so the callback does not write.
        let code = write_callback((&raw as *const _ as *mut c_void).cast());
        assert_eq!(reason(code), Reject::NotWriter);
        assert_eq!(arena.code(at..at + 4), before);
        assert_eq!(
            reason(write_callback(std::ptr::null_mut())),
            Reject::BadContext
        );
        // Through the front door the same journal is fine.
        arena.commit(&journal).unwrap();
        assert_eq!(arena.code(at..at + 4), bytes);
    }
}
