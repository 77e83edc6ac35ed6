//! The one call from Rust into generated code.

use super::context::JitContext;

/// The entry trampoline's signature: guest state in `ctx`, first block at
/// `entry`; returns when generated code leaves through the common exit.
/// The C calling convention: AAPCS64 on AArch64, System V on x86-64.
#[cfg(any(target_arch = "aarch64", target_arch = "x86_64"))]
type Trampoline = unsafe extern "C" fn(ctx: *mut JitContext, entry: *const u8);

/// Runs generated code from `entry` through the arena's `trampoline`.
///
/// `trampoline` and `entry` must come from the same live [`crate::cache::BlockCache`]
/// (its [`trampoline`](crate::cache::BlockCache::trampoline) and the entry
/// of a block it returned from `lookup`), and `ctx`'s pointers must point at
/// the guest memory, page table and code map of the bus and cache in use,
/// which nothing else touches during the call.
#[cfg(any(target_arch = "aarch64", target_arch = "x86_64"))]
pub fn enter(trampoline: *const u8, ctx: &mut JitContext, entry: *const u8) {
    // SAFETY: `trampoline` points at the committed runtime stubs of the
    // host backend, which follow the C calling convention for `Trampoline`
    // (they save and restore the callee-saved registers they use and
    // return to the caller; on x86-64 they keep the stack 16-byte aligned
    // for helper calls). The blocks it branches to were emitted by the same
    // backend for this context layout, committed through the validated
    // journal and made visible to instruction fetch before the cache handed
    // out their entries; they only touch memory through `ctx`'s pointers,
    // which the caller set to the live guest memory, page table and code
    // map.
    unsafe {
        let call: Trampoline = core::mem::transmute::<*const u8, Trampoline>(trampoline);
        call(ctx, entry);
    }
}

/// Hosts without a backend never create a JIT engine
/// ([`super::mos6502::Jit6502::new`] refuses), so this is never reached.
#[cfg(not(any(target_arch = "aarch64", target_arch = "x86_64")))]
pub fn enter(_trampoline: *const u8, _ctx: &mut JitContext, _entry: *const u8) {
    unreachable!("no JIT backend for this host: the engine cannot be created");
}
