//! The block that generated code and the dispatcher share: guest registers
//! (loaded into pinned host registers on entry, stored back on exit), the
//! cycle deadline, pointers to guest memory and the code map, and the exit
//! report. `#[repr(C)]`: its field offsets are part of the generated code.

use crate::ir::{Helper, Reg, Table};
use core::mem::offset_of;

/// How generated code returned to the dispatcher.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
pub enum ExitReason {
    /// Continue at `exit_pc`.
    Next = 0,
    /// The interpreter must run the instruction at `exit_pc` (an I/O access,
    /// or an instruction the translator does not compile).
    Interpret = 1,
    /// A store hit translated code (`exit_addr`); continue at `exit_pc`
    /// after invalidating.
    CodeWrite = 2,
    /// The block at `exit_pc` did not start: its worst case does not fit
    /// before the deadline.
    Budget = 3,
    /// The instruction at `exit_pc` jumped to itself.
    Trap = 4,
}

impl ExitReason {
    /// Decodes the word generated code stored.
    pub fn from_word(word: u32) -> Option<Self> {
        Some(match word {
            0 => Self::Next,
            1 => Self::Interpret,
            2 => Self::CodeWrite,
            3 => Self::Budget,
            4 => Self::Trap,
            _ => return None,
        })
    }
}

/// Pure helpers generated code calls: `fn(a, m, p) -> result | p' << 8`.
pub type HelperFn = extern "C" fn(u32, u32, u32) -> u32;

/// Calls helper number `I` of [`Helper::ALL`] (the evaluator's definition,
/// so generated code and the evaluator compute the same thing).
extern "C" fn helper<const I: usize>(a: u32, b: u32, c: u32) -> u32 {
    crate::ir::eval::call_helper(Helper::ALL[I], a, b, c)
}

/// The helper table every engine puts in its context.
pub const HELPERS: [HelperFn; Helper::COUNT] = [
    helper::<0>,
    helper::<1>,
    helper::<2>,
    helper::<3>,
    helper::<4>,
    helper::<5>,
    helper::<6>,
    helper::<7>,
    helper::<8>,
    helper::<9>,
    helper::<10>,
    helper::<11>,
    helper::<12>,
    helper::<13>,
    helper::<14>,
    helper::<15>,
    helper::<16>,
    helper::<17>,
    helper::<18>,
    helper::<19>,
    helper::<20>,
    helper::<21>,
    helper::<22>,
    helper::<23>,
    helper::<24>,
    helper::<25>,
    helper::<26>,
    helper::<27>,
    helper::<28>,
    helper::<29>,
    helper::<30>,
];

/// Port cycles generated code runs through the machine's bus:
/// `fn(ctx, port, value) -> read value | wait states << 8`, the cycle
/// starting at `ctx.cycles` (see [`super::call::port_in`]).
pub type PortFn = unsafe extern "C" fn(*mut JitContext, u32, u32) -> u32;

/// The port functions of a context no engine gave a bus (the 6502's,
/// whose code has no port cycles): an open bus, read as $FF, no waits.
unsafe extern "C" fn open_bus(_ctx: *mut JitContext, _port: u32, _value: u32) -> u32 {
    0xFF
}

/// Slots for values saved around helper calls.
pub const SPILL_SLOTS: usize = 16;

/// The shared block. Guest values are kept in `u32`s the way the IR holds
/// them (see [`crate::ir`]).
///
/// Page-aligned so that where its hot fields fall modulo 4 KiB does not
/// depend on the heap: a guest store whose host address matches a later
/// context load in the low 12 bits stalls that load (4K aliasing), and
/// with the context wherever the allocator put it, zexdoc under the JIT
/// ran anywhere from 4.2 s to 5.6 s from one build to the next.
#[derive(Debug)]
#[repr(C, align(4096))]
pub struct JitContext {
    /// IR register locations, indexed by [`Reg::index`].
    pub regs: [u32; Reg::COUNT],
    /// Guest cycle counter.
    pub cycles: u64,
    /// A block starts only if its worst case ends at or before this cycle.
    pub deadline: u64,
    /// Guest instructions executed by generated code.
    pub instructions: u64,
    /// Base of the guest memory's backing store.
    pub memory: *mut u8,
    /// The guest page table (one `u32` per page).
    pub pages: *const u32,
    /// One byte per guest byte, nonzero where translated code came from.
    pub code_map: *const u8,
    /// Arena offset of the block entered at (D << 16 | PC), 0 for none:
    /// lets indirect exits find their target without the dispatcher.
    pub dispatch: *const u32,
    /// Start of the arena's executable view.
    pub code_base: *const u8,
    /// Helpers, indexed by [`Helper::index`].
    pub helpers: [HelperFn; Helper::COUNT],
    /// The machine's bus while generated code runs, for `port_in` and
    /// `port_out` (their engine knows its type).
    pub bus: *mut (),
    /// Port read cycle ([`crate::ir::Op::PortIn`]).
    pub port_in: PortFn,
    /// Port write cycle ([`crate::ir::Op::PortOut`]).
    pub port_out: PortFn,
    /// Where the guest continues.
    pub exit_pc: u32,
    /// An [`ExitReason`] word.
    pub exit_reason: u32,
    /// The stored-to address of a [`ExitReason::CodeWrite`].
    pub exit_addr: u32,
    /// 1 when generated code was entered with the IRQ line asserted (and
    /// I set): [`crate::ir::Op::IrqCheck`] then leaves. The word also keeps
    /// `spill` 8-aligned.
    pub irq_held: u32,
    /// Save area for helper calls.
    pub spill: [u64; SPILL_SLOTS],
    /// The byte tables [`crate::ir::Op::Lookup`] reads, by [`Table::index`].
    pub tables: [[u8; 256]; Table::COUNT],
}

/// The context's tables, built once at compile time.
const TABLES: [[u8; 256]; Table::COUNT] = {
    let mut tables = [[0; 256]; Table::COUNT];
    let mut i = 0;
    while i < Table::COUNT {
        tables[i] = Table::ALL[i].build();
        i += 1;
    }
    tables
};

impl JitContext {
    /// A zeroed context with the helper table filled in; the engine points
    /// it at guest memory and its cache before each entry.
    pub fn new() -> Box<Self> {
        Box::new(Self {
            regs: [0; Reg::COUNT],
            cycles: 0,
            deadline: 0,
            instructions: 0,
            memory: std::ptr::null_mut(),
            pages: std::ptr::null(),
            code_map: std::ptr::null(),
            dispatch: std::ptr::null(),
            code_base: std::ptr::null(),
            helpers: HELPERS,
            bus: std::ptr::null_mut(),
            port_in: open_bus,
            port_out: open_bus,
            exit_pc: 0,
            exit_reason: 0,
            exit_addr: 0,
            irq_held: 0,
            spill: [0; SPILL_SLOTS],
            tables: TABLES,
        })
    }
}

/// Byte offsets of [`JitContext`] fields, for the code generator.
pub mod offsets {
    use super::*;

    /// Offset of the location of `reg`.
    pub const fn reg(reg: Reg) -> u32 {
        (offset_of!(JitContext, regs) + reg.index() * 4) as u32
    }
    /// `cycles`
    pub const CYCLES: u32 = offset_of!(JitContext, cycles) as u32;
    /// `deadline`
    pub const DEADLINE: u32 = offset_of!(JitContext, deadline) as u32;
    /// `instructions`
    pub const INSTRUCTIONS: u32 = offset_of!(JitContext, instructions) as u32;
    /// `memory`
    pub const MEMORY: u32 = offset_of!(JitContext, memory) as u32;
    /// `pages`
    pub const PAGES: u32 = offset_of!(JitContext, pages) as u32;
    /// `code_map`
    pub const CODE_MAP: u32 = offset_of!(JitContext, code_map) as u32;
    /// `irq_held`
    pub const IRQ_HELD: u32 = offset_of!(JitContext, irq_held) as u32;
    /// `dispatch`
    pub const DISPATCH: u32 = offset_of!(JitContext, dispatch) as u32;
    /// `code_base`
    pub const CODE_BASE: u32 = offset_of!(JitContext, code_base) as u32;
    /// `helpers[i]`
    pub const fn helper(i: usize) -> u32 {
        (offset_of!(JitContext, helpers) + i * 8) as u32
    }
    /// `port_in`
    pub const PORT_IN: u32 = offset_of!(JitContext, port_in) as u32;
    /// `port_out`
    pub const PORT_OUT: u32 = offset_of!(JitContext, port_out) as u32;
    /// `exit_pc`
    pub const EXIT_PC: u32 = offset_of!(JitContext, exit_pc) as u32;
    /// `exit_reason`
    pub const EXIT_REASON: u32 = offset_of!(JitContext, exit_reason) as u32;
    /// `exit_addr`
    pub const EXIT_ADDR: u32 = offset_of!(JitContext, exit_addr) as u32;
    /// `spill[i]`
    pub const fn spill(i: usize) -> u32 {
        (offset_of!(JitContext, spill) + i * 8) as u32
    }
    /// `tables[table]`
    pub const fn table(table: Table) -> u32 {
        (offset_of!(JitContext, tables) + table.index() * 256) as u32
    }
}
