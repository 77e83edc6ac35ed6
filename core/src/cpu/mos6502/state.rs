//! The 6502 register file, shared with generated code: field offsets are
//! part of the JIT's ABI, so the layout is `#[repr(C)]` and pinned by a test.

/// Carry.
pub const FLAG_C: u8 = 0x01;
/// Zero.
pub const FLAG_Z: u8 = 0x02;
/// IRQ disable.
pub const FLAG_I: u8 = 0x04;
/// Decimal mode.
pub const FLAG_D: u8 = 0x08;
/// Break: exists only in the copy of P pushed by BRK/PHP.
pub const FLAG_B: u8 = 0x10;
/// Unused bit: always reads as 1.
pub const FLAG_U: u8 = 0x20;
/// Overflow.
pub const FLAG_V: u8 = 0x40;
/// Negative.
pub const FLAG_N: u8 = 0x80;

/// Architectural state of a 6502 plus the cycle counter.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[repr(C)]
pub struct Registers {
    /// Cycles executed since power-on (every bus access is one).
    pub cycles: u64,
    /// Program counter.
    pub pc: u16,
    /// Accumulator.
    pub a: u8,
    /// Index register X.
    pub x: u8,
    /// Index register Y.
    pub y: u8,
    /// Stack pointer (low byte of an address in page 1).
    pub s: u8,
    /// Processor status, as PHP would push it minus the B bit; bit 5 always set.
    pub p: u8,
}

impl Default for Registers {
    fn default() -> Self {
        Self {
            cycles: 0,
            pc: 0,
            a: 0,
            x: 0,
            y: 0,
            s: 0xFD,
            p: FLAG_U | FLAG_I,
        }
    }
}

/// Byte offsets of [`Registers`] fields, for code generators.
pub mod offsets {
    /// `Registers::cycles`.
    pub const CYCLES: usize = 0;
    /// `Registers::pc`.
    pub const PC: usize = 8;
    /// `Registers::a`.
    pub const A: usize = 10;
    /// `Registers::x`.
    pub const X: usize = 11;
    /// `Registers::y`.
    pub const Y: usize = 12;
    /// `Registers::s`.
    pub const S: usize = 13;
    /// `Registers::p`.
    pub const P: usize = 14;
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layout_is_the_jit_abi() {
        assert_eq!(offset_of!(Registers, cycles), offsets::CYCLES);
        assert_eq!(offset_of!(Registers, pc), offsets::PC);
        assert_eq!(offset_of!(Registers, a), offsets::A);
        assert_eq!(offset_of!(Registers, x), offsets::X);
        assert_eq!(offset_of!(Registers, y), offsets::Y);
        assert_eq!(offset_of!(Registers, s), offsets::S);
        assert_eq!(offset_of!(Registers, p), offsets::P);
        assert_eq!(size_of::<Registers>(), 16);
    }
}
