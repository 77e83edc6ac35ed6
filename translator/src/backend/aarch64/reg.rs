//! General-purpose registers and condition codes.
//!
//! AArch64 instruction fields hold a 5-bit register number where 31 means
//! either the zero register (XZR/WZR) or the stack pointer, depending on the
//! field. [`Reg`] keeps the two apart, so the encoder can reject SP in a
//! zero-register field (and vice versa) instead of silently emitting the
//! other register.

use std::fmt;

/// Operand width: the `sf` bit of most data-processing encodings.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Width {
    /// 32-bit `W` view; writes zero the upper 32 bits.
    W32,
    /// 64-bit `X` view.
    X64,
}

impl Width {
    /// Number of bits in a register of this width.
    pub const fn bits(self) -> u32 {
        match self {
            Width::W32 => 32,
            Width::X64 => 64,
        }
    }
}

/// What the register number means, which only matters for number 31.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    /// X0..X30 / W0..W30.
    General,
    /// XZR / WZR: reads as zero, writes are discarded.
    Zero,
    /// SP / WSP.
    StackPointer,
}

/// A general-purpose register of a given width, or the zero register, or SP.
///
/// Build one from the constants ([`X0`], [`W5`], [`XZR`], [`SP`], ...) or with
/// [`Reg::x`] / [`Reg::w`] for computed numbers.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reg {
    number: u8,
    width: Width,
    kind: Kind,
}

impl Reg {
    const fn general(width: Width, number: u8) -> Reg {
        Reg {
            number,
            width,
            kind: Kind::General,
        }
    }

    /// `Xn` for `n` in 0..=30; `None` otherwise (use [`XZR`] / [`SP`]).
    pub const fn x(n: u8) -> Option<Reg> {
        if n <= 30 {
            Some(Reg::general(Width::X64, n))
        } else {
            None
        }
    }

    /// `Wn` for `n` in 0..=30; `None` otherwise (use [`WZR`] / [`WSP`]).
    pub const fn w(n: u8) -> Option<Reg> {
        if n <= 30 {
            Some(Reg::general(Width::W32, n))
        } else {
            None
        }
    }

    /// The 5-bit number used in instruction fields (31 for ZR and SP).
    pub const fn number(self) -> u8 {
        self.number
    }

    pub const fn width(self) -> Width {
        self.width
    }

    pub const fn is_64(self) -> bool {
        matches!(self.width, Width::X64)
    }

    pub const fn is_zero(self) -> bool {
        matches!(self.kind, Kind::Zero)
    }

    pub const fn is_sp(self) -> bool {
        matches!(self.kind, Kind::StackPointer)
    }

    /// The same register viewed with `width` (e.g. `X3` -> `W3`, `SP` -> `WSP`).
    pub const fn with_width(self, width: Width) -> Reg {
        Reg { width, ..self }
    }

    /// The 32-bit view of this register.
    pub const fn as_w(self) -> Reg {
        self.with_width(Width::W32)
    }

    /// The 64-bit view of this register.
    pub const fn as_x(self) -> Reg {
        self.with_width(Width::X64)
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.width) {
            (Kind::General, Width::X64) => write!(f, "x{}", self.number),
            (Kind::General, Width::W32) => write!(f, "w{}", self.number),
            (Kind::Zero, Width::X64) => f.write_str("xzr"),
            (Kind::Zero, Width::W32) => f.write_str("wzr"),
            (Kind::StackPointer, Width::X64) => f.write_str("sp"),
            (Kind::StackPointer, Width::W32) => f.write_str("wsp"),
        }
    }
}

impl fmt::Debug for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// 64-bit zero register.
pub const XZR: Reg = Reg {
    number: 31,
    width: Width::X64,
    kind: Kind::Zero,
};
/// 32-bit zero register.
pub const WZR: Reg = XZR.as_w();
/// Stack pointer.
pub const SP: Reg = Reg {
    number: 31,
    width: Width::X64,
    kind: Kind::StackPointer,
};
/// 32-bit view of the stack pointer.
pub const WSP: Reg = SP.as_w();

macro_rules! general_registers {
    ($($x:ident $w:ident $n:literal),* $(,)?) => {
        $(
            #[doc = concat!("General register ", stringify!($n), ", 64-bit view.")]
            pub const $x: Reg = Reg::general(Width::X64, $n);
            #[doc = concat!("General register ", stringify!($n), ", 32-bit view.")]
            pub const $w: Reg = Reg::general(Width::W32, $n);
        )*
    };
}

general_registers! {
    X0 W0 0, X1 W1 1, X2 W2 2, X3 W3 3, X4 W4 4, X5 W5 5, X6 W6 6, X7 W7 7,
    X8 W8 8, X9 W9 9, X10 W10 10, X11 W11 11, X12 W12 12, X13 W13 13,
    X14 W14 14, X15 W15 15, X16 W16 16, X17 W17 17, X18 W18 18, X19 W19 19,
    X20 W20 20, X21 W21 21, X22 W22 22, X23 W23 23, X24 W24 24, X25 W25 25,
    X26 W26 26, X27 W27 27, X28 W28 28, X29 W29 29, X30 W30 30,
}

/// Condition codes (ARM ARM C1.2.4 "Condition code"), in encoding order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Cond {
    /// Equal (Z).
    Eq = 0,
    /// Not equal (!Z).
    Ne = 1,
    /// Carry set / unsigned higher or same (C).
    Cs = 2,
    /// Carry clear / unsigned lower (!C).
    Cc = 3,
    /// Negative (N).
    Mi = 4,
    /// Positive or zero (!N).
    Pl = 5,
    /// Overflow (V).
    Vs = 6,
    /// No overflow (!V).
    Vc = 7,
    /// Unsigned higher (C && !Z).
    Hi = 8,
    /// Unsigned lower or same (!C || Z).
    Ls = 9,
    /// Signed greater or equal (N == V).
    Ge = 10,
    /// Signed less than (N != V).
    Lt = 11,
    /// Signed greater than (!Z && N == V).
    Gt = 12,
    /// Signed less or equal (Z || N != V).
    Le = 13,
    /// Always.
    Al = 14,
    /// Also "always" when executed; exists so that [`Cond::invert`] is total
    /// (`Al.invert() == Nv`). The `CSET`-style aliases reject both.
    Nv = 15,
}

impl Cond {
    /// Unsigned higher or same (alias of [`Cond::Cs`]).
    pub const HS: Cond = Cond::Cs;
    /// Unsigned lower (alias of [`Cond::Cc`]).
    pub const LO: Cond = Cond::Cc;

    /// The opposite condition. Conditions come in pairs that differ only in
    /// bit 0 of their encoding (ARM ARM: "Condition code" table).
    pub const fn invert(self) -> Cond {
        match self {
            Cond::Eq => Cond::Ne,
            Cond::Ne => Cond::Eq,
            Cond::Cs => Cond::Cc,
            Cond::Cc => Cond::Cs,
            Cond::Mi => Cond::Pl,
            Cond::Pl => Cond::Mi,
            Cond::Vs => Cond::Vc,
            Cond::Vc => Cond::Vs,
            Cond::Hi => Cond::Ls,
            Cond::Ls => Cond::Hi,
            Cond::Ge => Cond::Lt,
            Cond::Lt => Cond::Ge,
            Cond::Gt => Cond::Le,
            Cond::Le => Cond::Gt,
            Cond::Al => Cond::Nv,
            Cond::Nv => Cond::Al,
        }
    }

    /// The 4-bit `cond` field.
    pub const fn bits(self) -> u32 {
        self as u32
    }
}
