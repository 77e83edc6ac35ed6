//! The guest CPUs. Each folder holds one CPU split the same way: `state`
//! (the `#[repr(C)]` register file the JIT shares), `decode` (the opcode
//! tables, single source of truth), `execute` (the interpreter), `disasm`.

pub mod mos6502;
pub mod z80;
