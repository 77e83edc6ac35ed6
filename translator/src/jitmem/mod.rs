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
//!   (AArch64 today); elsewhere the region and arenas work but
//!   [`Arena::commit`] returns [`JitMemError::UnsupportedHost`].
//!
//! # A compiler's view
//! ```
//! use retrojit_translator::jitmem::{Arena, Entry, Isa};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let Some(isa) = Isa::HOST else { return Ok(()) }; // no backend on this host
//! let mut arena = Arena::new(1 << 20)?;
//! // movz w0, #7 ; ret, preceded by an exit slot that starts unlinked.
//! let words = [isa.nop_word(), 0x5280_00e0, 0xd65f_03c0];
//! let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
//! let block = arena.alloc(bytes.len() as u32, 16)?;
//! let mut journal = arena.journal();
//! journal.push(Entry::Copy { dst: block, bytes: &bytes });
//! arena.commit(&journal)?;
//! // SAFETY: `block` holds a complete function of this type, committed above.
//! let f = unsafe { std::mem::transmute::<*const u8, extern "C" fn() -> u32>(arena.code_ptr(block)) };
//! assert_eq!(f(), 7);
//! // Linking an exit: one Patch32 with a branch word; unlinking: the NOP word.
//! journal.clear();
//! journal.push(Entry::Patch32 { at: block, word: isa.branch_word(block, block + 4).unwrap() });
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
