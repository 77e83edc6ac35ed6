//! Operand shapes richer than a single register: the flexible second operand
//! of data-processing instructions, memory addressing modes and barrier
//! domains.

use super::reg::Reg;

/// Shift applied to the register operand of the "shifted register" classes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Shift {
    Lsl = 0,
    Lsr = 1,
    Asr = 2,
    /// Only valid for the logical instructions, not for add/subtract.
    Ror = 3,
}

/// Extension applied to the register operand of the "extended register"
/// add/subtract class (the `option` field).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Extend {
    Uxtb = 0,
    Uxth = 1,
    Uxtw = 2,
    Uxtx = 3,
    Sxtb = 4,
    Sxth = 5,
    Sxtw = 6,
    Sxtx = 7,
}

impl Extend {
    /// Whether the extended register is an X register (the 64-bit
    /// extensions); all the others take a W register.
    pub const fn takes_x(self) -> bool {
        matches!(self, Extend::Uxtx | Extend::Sxtx)
    }
}

/// Second source operand of add/subtract, logical and compare instructions:
/// a plain register, a shifted register or an extended register.
///
/// A plain [`Reg`] converts into it, and [`Reg::lsl`], [`Reg::uxtb`] and
/// friends build the other shapes: `a.add(X0, X1, X2.lsl(3))`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Operand {
    Reg(Reg),
    Shifted(Reg, Shift, u8),
    Extended(Reg, Extend, u8),
}

impl From<Reg> for Operand {
    fn from(reg: Reg) -> Operand {
        Operand::Reg(reg)
    }
}

impl Reg {
    /// `reg, LSL #amount`.
    pub const fn lsl(self, amount: u8) -> Operand {
        Operand::Shifted(self, Shift::Lsl, amount)
    }
    /// `reg, LSR #amount`.
    pub const fn lsr(self, amount: u8) -> Operand {
        Operand::Shifted(self, Shift::Lsr, amount)
    }
    /// `reg, ASR #amount`.
    pub const fn asr(self, amount: u8) -> Operand {
        Operand::Shifted(self, Shift::Asr, amount)
    }
    /// `reg, ROR #amount` (logical instructions only).
    pub const fn ror(self, amount: u8) -> Operand {
        Operand::Shifted(self, Shift::Ror, amount)
    }
    /// `reg, <extend> #shift` with `shift` in 0..=4.
    pub const fn extend(self, extend: Extend, shift: u8) -> Operand {
        Operand::Extended(self, extend, shift)
    }
    /// `wN, UXTB #shift`.
    pub const fn uxtb(self, shift: u8) -> Operand {
        self.extend(Extend::Uxtb, shift)
    }
    /// `wN, UXTH #shift`.
    pub const fn uxth(self, shift: u8) -> Operand {
        self.extend(Extend::Uxth, shift)
    }
    /// `wN, UXTW #shift`.
    pub const fn uxtw(self, shift: u8) -> Operand {
        self.extend(Extend::Uxtw, shift)
    }
    /// `wN, SXTB #shift`.
    pub const fn sxtb(self, shift: u8) -> Operand {
        self.extend(Extend::Sxtb, shift)
    }
    /// `wN, SXTH #shift`.
    pub const fn sxth(self, shift: u8) -> Operand {
        self.extend(Extend::Sxth, shift)
    }
    /// `wN, SXTW #shift`.
    pub const fn sxtw(self, shift: u8) -> Operand {
        self.extend(Extend::Sxtw, shift)
    }
}

/// How the index register of a register-offset address is extended (the
/// `option` field of "Load/store register (register offset)").
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum IndexExtend {
    /// X index used as is (`LSL`, encoded as UXTX).
    Lsl = 0b011,
    /// W index zero-extended.
    Uxtw = 0b010,
    /// W index sign-extended.
    Sxtw = 0b110,
    /// X index, sign "extension" of a full register (a no-op, kept for
    /// completeness of the encoding).
    Sxtx = 0b111,
}

impl IndexExtend {
    /// Whether the index is an X register (otherwise W).
    pub const fn takes_x(self) -> bool {
        matches!(self, IndexExtend::Lsl | IndexExtend::Sxtx)
    }
}

/// A memory operand for loads and stores. `base` must be an X register or SP.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Mem {
    /// `[base, #offset]`. Single-register loads/stores use the scaled
    /// unsigned 12-bit form when `offset` is a multiple of the access size in
    /// range, and otherwise the unscaled 9-bit form (`LDUR`/`STUR`,
    /// -256..=255). `LDP`/`STP` take a scaled signed 7-bit offset.
    Offset { base: Reg, offset: i32 },
    /// `[base, #offset]!`: base is updated before the access.
    PreIndex { base: Reg, offset: i32 },
    /// `[base], #offset`: base is updated after the access.
    PostIndex { base: Reg, offset: i32 },
    /// `[base, index{, <extend> {#log2(size)}}]`; `scaled` multiplies the
    /// index by the access size. Single-register loads/stores only.
    Index {
        base: Reg,
        index: Reg,
        extend: IndexExtend,
        scaled: bool,
    },
}

impl Mem {
    /// `[base]`.
    pub const fn base(base: Reg) -> Mem {
        Mem::Offset { base, offset: 0 }
    }
    /// `[base, #offset]`.
    pub const fn offset(base: Reg, offset: i32) -> Mem {
        Mem::Offset { base, offset }
    }
    /// `[base, #offset]!`.
    pub const fn pre(base: Reg, offset: i32) -> Mem {
        Mem::PreIndex { base, offset }
    }
    /// `[base], #offset`.
    pub const fn post(base: Reg, offset: i32) -> Mem {
        Mem::PostIndex { base, offset }
    }
    /// `[base, xIndex]`: byte offset taken from an X register.
    pub const fn index(base: Reg, index: Reg) -> Mem {
        Mem::Index {
            base,
            index,
            extend: IndexExtend::Lsl,
            scaled: false,
        }
    }
    /// `[base, xIndex, LSL #log2(size)]`: element index scaled by the access size.
    pub const fn index_scaled(base: Reg, index: Reg) -> Mem {
        Mem::Index {
            base,
            index,
            extend: IndexExtend::Lsl,
            scaled: true,
        }
    }
    /// `[base, wIndex, UXTW]`: a 32-bit guest address or offset used as an
    /// unsigned byte offset — the common guest-memory access shape.
    pub const fn index_uxtw(base: Reg, index: Reg) -> Mem {
        Mem::Index {
            base,
            index,
            extend: IndexExtend::Uxtw,
            scaled: false,
        }
    }
}

/// Shareability domain and access types of `DMB`/`DSB` (the `CRm` field).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Barrier {
    OshLd = 0b0001,
    OshSt = 0b0010,
    Osh = 0b0011,
    NshLd = 0b0101,
    NshSt = 0b0110,
    Nsh = 0b0111,
    IshLd = 0b1001,
    IshSt = 0b1010,
    Ish = 0b1011,
    Ld = 0b1101,
    St = 0b1110,
    Sy = 0b1111,
}
