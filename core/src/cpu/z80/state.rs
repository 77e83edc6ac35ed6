//! The Z80 register file, shared with generated code: field offsets are part
//! of the JIT's ABI, so the layout is `#[repr(C)]` and pinned by a test.
//!
//! 8-bit registers are stored low byte first in pair order (`c b e d l h f a`)
//! so that on a little-endian host each pair is also a `u16` at the offset of
//! its low register; the interpreter composes pairs with shifts and never
//! relies on that.

/// Carry.
pub const FLAG_C: u8 = 0x01;
/// Add/subtract (last ALU operation was a subtraction), used by DAA.
pub const FLAG_N: u8 = 0x02;
/// Parity / overflow.
pub const FLAG_PV: u8 = 0x04;
/// Undocumented bit 3 (a copy of some result bit; which one depends on the instruction).
pub const FLAG_X: u8 = 0x08;
/// Half carry.
pub const FLAG_H: u8 = 0x10;
/// Undocumented bit 5.
pub const FLAG_Y: u8 = 0x20;
/// Zero.
pub const FLAG_Z: u8 = 0x40;
/// Sign.
pub const FLAG_S: u8 = 0x80;

/// Architectural and hidden state of a Z80 plus the T-state counter.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(C)]
pub struct Registers {
    /// T-states executed since power-on, wait states included.
    pub tstates: u64,
    /// C (low byte of BC).
    pub c: u8,
    /// B.
    pub b: u8,
    /// E (low byte of DE).
    pub e: u8,
    /// D.
    pub d: u8,
    /// L (low byte of HL).
    pub l: u8,
    /// H.
    pub h: u8,
    /// Flags (low byte of AF).
    pub f: u8,
    /// Accumulator.
    pub a: u8,
    /// Index register IX.
    pub ix: u16,
    /// Index register IY.
    pub iy: u16,
    /// Stack pointer.
    pub sp: u16,
    /// Program counter. While halted it points past the HALT opcode.
    pub pc: u16,
    /// MEMPTR, the internal address latch; visible through BIT n,(HL) flags.
    pub wz: u16,
    /// Shadow BC'.
    pub bc_alt: u16,
    /// Shadow DE'.
    pub de_alt: u16,
    /// Shadow HL'.
    pub hl_alt: u16,
    /// Shadow AF'.
    pub af_alt: u16,
    /// Interrupt vector base.
    pub i: u8,
    /// Refresh counter: the low 7 bits count opcode fetches, bit 7 is only
    /// changed by LD R,A.
    pub r: u8,
    /// Interrupt mode 0, 1 or 2.
    pub im: u8,
    /// Interrupt enable flip-flop 1: maskable interrupts are accepted.
    pub iff1: bool,
    /// Interrupt enable flip-flop 2: IFF1 saved across an NMI.
    pub iff2: bool,
    /// Executing HALT: the CPU fetches and discards opcodes until an interrupt.
    pub halted: bool,
    /// The last instruction was EI, so no maskable interrupt is accepted yet.
    pub ei: bool,
    /// The last instruction was LD A,I or LD A,R: an interrupt accepted now
    /// clears P/V (the NMOS copy-of-IFF2 race).
    pub p: bool,
    /// Q: the flags the last instruction wrote, or 0 if it wrote none.
    /// SCF and CCF take bits 3/5 from `(Q ^ F) | A`.
    pub q: u8,
}

impl Registers {
    /// BC.
    #[inline(always)]
    pub const fn bc(&self) -> u16 {
        u16::from_le_bytes([self.c, self.b])
    }
    /// DE.
    #[inline(always)]
    pub const fn de(&self) -> u16 {
        u16::from_le_bytes([self.e, self.d])
    }
    /// HL.
    #[inline(always)]
    pub const fn hl(&self) -> u16 {
        u16::from_le_bytes([self.l, self.h])
    }
    /// AF.
    #[inline(always)]
    pub const fn af(&self) -> u16 {
        u16::from_le_bytes([self.f, self.a])
    }
    /// Sets BC.
    #[inline(always)]
    pub const fn set_bc(&mut self, v: u16) {
        [self.c, self.b] = v.to_le_bytes();
    }
    /// Sets DE.
    #[inline(always)]
    pub const fn set_de(&mut self, v: u16) {
        [self.e, self.d] = v.to_le_bytes();
    }
    /// Sets HL.
    #[inline(always)]
    pub const fn set_hl(&mut self, v: u16) {
        [self.l, self.h] = v.to_le_bytes();
    }
    /// Sets AF.
    #[inline(always)]
    pub const fn set_af(&mut self, v: u16) {
        [self.f, self.a] = v.to_le_bytes();
    }
    /// The address the CPU drives during the refresh half of an opcode fetch.
    #[inline(always)]
    pub const fn ir(&self) -> u16 {
        u16::from_le_bytes([self.r, self.i])
    }
}

/// Byte offsets of [`Registers`] fields, for code generators.
pub mod offsets {
    /// `Registers::tstates`.
    pub const TSTATES: usize = 0;
    /// `Registers::c`; BC as a little-endian `u16`.
    pub const BC: usize = 8;
    /// `Registers::e`; DE as a little-endian `u16`.
    pub const DE: usize = 10;
    /// `Registers::l`; HL as a little-endian `u16`.
    pub const HL: usize = 12;
    /// `Registers::f`; AF as a little-endian `u16`.
    pub const AF: usize = 14;
    /// `Registers::ix`.
    pub const IX: usize = 16;
    /// `Registers::iy`.
    pub const IY: usize = 18;
    /// `Registers::sp`.
    pub const SP: usize = 20;
    /// `Registers::pc`.
    pub const PC: usize = 22;
    /// `Registers::wz`.
    pub const WZ: usize = 24;
    /// `Registers::bc_alt`.
    pub const BC_ALT: usize = 26;
    /// `Registers::de_alt`.
    pub const DE_ALT: usize = 28;
    /// `Registers::hl_alt`.
    pub const HL_ALT: usize = 30;
    /// `Registers::af_alt`.
    pub const AF_ALT: usize = 32;
    /// `Registers::i`.
    pub const I: usize = 34;
    /// `Registers::r`.
    pub const R: usize = 35;
    /// `Registers::im`.
    pub const IM: usize = 36;
    /// `Registers::iff1`.
    pub const IFF1: usize = 37;
    /// `Registers::iff2`.
    pub const IFF2: usize = 38;
    /// `Registers::halted`.
    pub const HALTED: usize = 39;
    /// `Registers::ei`.
    pub const EI: usize = 40;
    /// `Registers::p`.
    pub const P: usize = 41;
    /// `Registers::q`.
    pub const Q: usize = 42;
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layout_is_the_jit_abi() {
        assert_eq!(offset_of!(Registers, tstates), offsets::TSTATES);
        assert_eq!(offset_of!(Registers, c), offsets::BC);
        assert_eq!(offset_of!(Registers, b), offsets::BC + 1);
        assert_eq!(offset_of!(Registers, e), offsets::DE);
        assert_eq!(offset_of!(Registers, d), offsets::DE + 1);
        assert_eq!(offset_of!(Registers, l), offsets::HL);
        assert_eq!(offset_of!(Registers, h), offsets::HL + 1);
        assert_eq!(offset_of!(Registers, f), offsets::AF);
        assert_eq!(offset_of!(Registers, a), offsets::AF + 1);
        assert_eq!(offset_of!(Registers, ix), offsets::IX);
        assert_eq!(offset_of!(Registers, iy), offsets::IY);
        assert_eq!(offset_of!(Registers, sp), offsets::SP);
        assert_eq!(offset_of!(Registers, pc), offsets::PC);
        assert_eq!(offset_of!(Registers, wz), offsets::WZ);
        assert_eq!(offset_of!(Registers, bc_alt), offsets::BC_ALT);
        assert_eq!(offset_of!(Registers, de_alt), offsets::DE_ALT);
        assert_eq!(offset_of!(Registers, hl_alt), offsets::HL_ALT);
        assert_eq!(offset_of!(Registers, af_alt), offsets::AF_ALT);
        assert_eq!(offset_of!(Registers, i), offsets::I);
        assert_eq!(offset_of!(Registers, r), offsets::R);
        assert_eq!(offset_of!(Registers, im), offsets::IM);
        assert_eq!(offset_of!(Registers, iff1), offsets::IFF1);
        assert_eq!(offset_of!(Registers, iff2), offsets::IFF2);
        assert_eq!(offset_of!(Registers, halted), offsets::HALTED);
        assert_eq!(offset_of!(Registers, ei), offsets::EI);
        assert_eq!(offset_of!(Registers, p), offsets::P);
        assert_eq!(offset_of!(Registers, q), offsets::Q);
        assert_eq!(size_of::<Registers>(), 48);
    }

    #[test]
    fn pairs_compose_high_and_low() {
        let mut r = Registers::default();
        r.set_hl(0x1234);
        assert_eq!((r.h, r.l), (0x12, 0x34));
        r.set_af(0xABCD);
        assert_eq!(r.af(), 0xABCD);
        assert_eq!((r.a, r.f), (0xAB, 0xCD));
    }
}
