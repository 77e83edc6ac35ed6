//! General-purpose registers by hardware number (0-15). Whether a use is
//! 8, 32 or 64 bits wide is the instruction's business, not the register's.

use std::fmt;

/// A general-purpose register.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reg(u8);

impl Reg {
    pub const RAX: Reg = Reg(0);
    pub const RCX: Reg = Reg(1);
    pub const RDX: Reg = Reg(2);
    pub const RBX: Reg = Reg(3);
    pub const RSP: Reg = Reg(4);
    pub const RBP: Reg = Reg(5);
    pub const RSI: Reg = Reg(6);
    pub const RDI: Reg = Reg(7);
    pub const R8: Reg = Reg(8);
    pub const R9: Reg = Reg(9);
    pub const R10: Reg = Reg(10);
    pub const R11: Reg = Reg(11);
    pub const R12: Reg = Reg(12);
    pub const R13: Reg = Reg(13);
    pub const R14: Reg = Reg(14);
    pub const R15: Reg = Reg(15);

    /// Register `n` (0-15).
    pub const fn new(n: u8) -> Reg {
        assert!(n < 16, "x86-64 has 16 general-purpose registers");
        Reg(n)
    }

    /// The hardware number.
    pub const fn number(self) -> u8 {
        self.0
    }

    /// The three bits that go in ModRM/SIB/opcode.
    pub(super) const fn low_bits(self) -> u8 {
        self.0 & 7
    }

    /// The bit that goes in REX.R/X/B.
    pub(super) const fn high_bit(self) -> u8 {
        self.0 >> 3
    }

    /// SPL, BPL, SIL and DIL are only reachable with a REX prefix (without
    /// one, numbers 4-7 name AH, CH, DH, BH).
    pub(super) const fn needs_rex_for_byte(self) -> bool {
        matches!(self.0, 4..=7)
    }
}

impl fmt::Debug for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 16] = [
            "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11",
            "r12", "r13", "r14", "r15",
        ];
        f.write_str(NAMES[usize::from(self.0)])
    }
}
