//! The one call from Rust into generated code, and the calls out of it
//! into the machine's bus (port cycles).

use super::context::JitContext;
use crate::ir::MAX_PORT_WAIT_STATES;
use retrojit_core::bus::{BusZ80, MappedBus, Z80Cycle};

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

/// The bus of the run in progress: `ctx.bus` as the engine set it.
///
/// # Safety
/// `ctx` must be the context generated code was entered with, its `bus`
/// set by [`port_in`]'s and [`port_out`]'s engine to a `B` that lives, and
/// nothing else uses, until the run returns.
unsafe fn bus<'a, B>(ctx: *mut JitContext) -> (&'a mut JitContext, &'a mut B) {
    // SAFETY: the caller's contract: generated code is suspended in this
    // call, so the context and the bus have no other user for its length.
    unsafe {
        let ctx = &mut *ctx;
        let bus = &mut *ctx.bus.cast::<B>();
        (ctx, bus)
    }
}

fn waits_word(waits: u32) -> u32 {
    debug_assert!(
        waits <= u32::from(MAX_PORT_WAIT_STATES),
        "a port cycle waited {waits} T-states, more than blocks budget"
    );
    waits << 8
}

/// A Z80 port read cycle for generated code
/// ([`crate::ir::Op::PortIn`]): the interpreter's sequence (wait states,
/// then the read after them) on the engine's bus `B`, the cycle starting
/// at `ctx.cycles`. Returns the byte read | the wait states << 8.
///
/// # Safety
/// Only generated code calls it, through the context's `port_in`, which
/// the Z80 engine sets together with `bus` (a `*mut B`) for each run.
pub unsafe extern "C" fn port_in<B: BusZ80 + MappedBus>(
    ctx: *mut JitContext,
    port: u32,
    _value: u32,
) -> u32 {
    // SAFETY: the engine set `ctx.bus` to its `&mut B` for this run.
    let (ctx, bus) = unsafe { bus::<B>(ctx) };
    let (port, now) = (port as u16, ctx.cycles);
    let waits = bus.wait_states(Z80Cycle::PortIn, port, now);
    let value = bus.port_in(port, now + u64::from(waits));
    u32::from(value) | waits_word(waits)
}

/// A Z80 port write cycle for generated code ([`crate::ir::Op::PortOut`]),
/// as [`port_in`]; returns the wait states << 8. A write that remapped
/// memory clears the deadline: the block the write ended cannot be
/// followed by code compiled for the old mapping, the dispatcher adopts
/// the new one first.
///
/// # Safety
/// As [`port_in`].
pub unsafe extern "C" fn port_out<B: BusZ80 + MappedBus>(
    ctx: *mut JitContext,
    port: u32,
    value: u32,
) -> u32 {
    // SAFETY: the engine set `ctx.bus` to its `&mut B` for this run.
    let (ctx, bus) = unsafe { bus::<B>(ctx) };
    let (port, now) = (port as u16, ctx.cycles);
    let mapping = bus.memory().generation();
    let waits = bus.wait_states(Z80Cycle::PortOut, port, now);
    bus.port_out(port, value as u8, now + u64::from(waits));
    if bus.memory().generation() != mapping {
        ctx.deadline = 0;
    }
    waits_word(waits)
}
