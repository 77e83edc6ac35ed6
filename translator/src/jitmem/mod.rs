//! Code memory: the only part of retrojit that owns executable pages.
//!
//! # Model
//! - One **region** per process, reserved lazily by the first [`Arena`],
//!   at most [`MAX_REGION_SIZE`] (128 MiB, the reach of an AArch64 `B`);
//!   its size can be set with [`configure_region`] before that.
//! - The region is carved into **arenas**, one per engine, by a thread-safe
//!   first-fit allocator; dropping an arena poisons it and returns its range.
//! - An arena hands out code space with a bump allocator ([`Arena::alloc`])
//!   and is flushed whole ([`Arena::reset`]) when full.
//! - Every write is a [`Journal`] of typed [`Entry`]s (`Copy`, `Patch32`,
//!   `Poison`), applied by [`Arena::commit`] through **one write callback**.
//!   The callback treats its context as attacker-controlled: it checks the
//!   header, every entry's bounds and alignment against the arena slot
//!   table, and every patch word, and it rejects the whole journal before
//!   writing anything if one check fails ([`Reject`] lists the rules).
//!   After a successful commit the instruction cache is flushed for every
//!   touched range, so the code can run immediately.
//!
//! # Platforms
//! - **Linux:** one memfd mapped twice, read+write (seen only by the
//!   callback) and read+execute (the only view code runs from). No page is
//!   ever writable and executable; [`writable_executable_mappings`] checks.
//!   `__clear_cache` on the RX view after each write.
//! - **macOS:** `mmap(MAP_JIT)`; the callback is in this image's
//!   `__DATA_CONST,__pth_jit_func` allowlist and runs through
//!   `pthread_jit_write_with_callback_np`; `sys_icache_invalidate` after.
//!   With the `freeze-late` feature, `pthread_jit_write_freeze_callbacks_np`
//!   is called when the region is reserved (needs the
//!   `com.apple.security.cs.jit-write-allowlist-freeze-late` entitlement).
//! - Code can only be committed where [`Isa::HOST`] has a backend
//!   (AArch64 and x86-64); elsewhere the region and arenas work but
//!   [`Arena::commit`] returns [`JitMemError::UnsupportedHost`].
//!
//! # Exit slots
//! A block leaves through exit slots that a `Patch32` links to another
//! block ([`Isa::branch_word`]) or unlinks ([`Isa::nop_word`]).
//! - **AArch64:** the slot is one instruction word, `B target` or `NOP`.
//! - **x86-64:** the slot is the rel32 of a `jmp` (`E9`); the displacement
//!   must start at a 4-aligned offset (pad with `NOP`s before the `E9`).
//!   Unlinked means rel32 0, a jump to the next instruction. The validator
//!   checks that the `E9` is there, so a block must be committed before a
//!   journal patches its slots (the same journal may not also write them).
//!
//! # A compiler's view
//! ```
//! use retrojit_translator::jitmem::{Arena, Entry, Isa};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let Some(isa) = Isa::HOST else { return Ok(()) }; // no backend on this host
//! let mut arena = Arena::new(1 << 20)?;
//! // Per ISA: an unlinked exit slot, the offset of its patchable word, and
//! // the code of a function that returns `v`.
//! let (exit, slot, returns): (Vec<u8>, u32, fn(u8) -> Vec<u8>) = match isa {
//!     // nop
//!     Isa::Aarch64 => (isa.nop_word().to_le_bytes().to_vec(), 0, |v| {
//!         // movz w0, #v ; ret
//!         [0x5280_0000 | (u32::from(v) << 5), 0xd65f_03c0]
//!             .iter().flat_map(|w| w.to_le_bytes()).collect()
//!     }),
//!     // nop ; nop ; nop ; jmp rel32 0 (to the next instruction)
//!     Isa::X86_64 => (vec![0x90, 0x90, 0x90, 0xe9, 0, 0, 0, 0], 4, |v| {
//!         vec![0xb8, v, 0, 0, 0, 0xc3] // mov eax, v ; ret
//!     }),
//!     _ => return Ok(()),
//! };
//! let caller_code = [exit, returns(7)].concat();
//! let caller = arena.alloc(caller_code.len() as u32, 16)?;
//! let target_code = returns(9);
//! let target = arena.alloc(target_code.len() as u32, 16)?;
//! let mut journal = arena.journal();
//! journal.push(Entry::Copy { dst: caller, bytes: &caller_code });
//! journal.push(Entry::Copy { dst: target, bytes: &target_code });
//! arena.commit(&journal)?;
//! // SAFETY: `caller` holds a complete function of this type, committed above.
//! let f = unsafe { std::mem::transmute::<*const u8, extern "C" fn() -> u32>(arena.code_ptr(caller)) };
//! assert_eq!(f(), 7);
//! // Linking the exit: one Patch32 with a branch word; unlinking: the NOP word.
//! let at = caller + slot;
//! journal.clear();
//! journal.push(Entry::Patch32 { at, word: isa.branch_word(at, target).unwrap() });
//! arena.commit(&journal)?;
//! assert_eq!(f(), 9);
//! journal.clear();
//! journal.push(Entry::Patch32 { at, word: isa.nop_word() });
//! arena.commit(&journal)?;
//! assert_eq!(f(), 7);
//! # Ok(())
//! # }
//! ```

mod arena;
mod callback;
mod error;
mod isa;
mod journal;
mod os;
mod region;
mod selftest;
mod validate;

pub use arena::Arena;
pub use error::JitMemError;
pub use isa::Isa;
pub use journal::{Entry, Journal};
#[cfg(target_os = "linux")]
pub use os::writable_executable_mappings;
pub use region::{DEFAULT_REGION_SIZE, MAX_ARENAS, MAX_REGION_SIZE, configure_region, region_size};
pub use selftest::{SelfTestError, SelfTestReport, selftest};
pub use validate::Reject;
