//! "Loads and Stores": Load/store register (unsigned immediate, unscaled
//! immediate, immediate pre-/post-indexed, register offset) and Load/store
//! register pair (signed offset, pre-/post-indexed).

use super::{Assembler, imm, sp, width, zr};
use crate::backend::aarch64::error::EncodeError;
use crate::backend::aarch64::operand::Mem;
use crate::backend::aarch64::reg::{Reg, Width};

/// The `size` (log2 of the access in bytes) and `opc` (store, load,
/// sign-extending load to X, sign-extending load to W) fields of a
/// single-register load/store.
#[derive(Clone, Copy)]
struct Access {
    size: u32,
    opc: u32,
}

const STORE: u32 = 0b00;
const LOAD: u32 = 0b01;
const LOAD_SIGNED_X: u32 = 0b10;
const LOAD_SIGNED_W: u32 = 0b11;

/// The base register field: an X register or SP.
fn base_reg(base: Reg) -> Result<u32, EncodeError> {
    width(base, Width::X64)?;
    sp(base)
}

/// Writeback into the transfer register is CONSTRAINED UNPREDICTABLE
/// (number 31 is SP as a base and ZR as a transfer register, never both).
fn writeback_clash(base: Reg, rt: Reg) -> bool {
    base.number() == rt.number() && base.number() != 31
}

/// Single-register load/store of `rt` at `mem`.
fn single(access: Access, rt: Reg, mem: Mem) -> Result<u32, EncodeError> {
    let Access { size, opc } = access;
    let t = zr(rt)?;
    let common = size << 30 | opc << 22 | t;
    let scale = 1i64 << size;
    match mem {
        Mem::Offset { base, offset } => {
            let n = base_reg(base)?;
            let offset = i64::from(offset);
            if offset >= 0 && offset % scale == 0 && offset / scale <= 0xfff {
                // Unsigned immediate: `size 111 0 01 opc imm12 Rn Rt`, scaled.
                Ok(common | 0x3900_0000 | ((offset / scale) as u32) << 10 | n << 5)
            } else if (-256..=255).contains(&offset) {
                // Unscaled immediate (LDUR/STUR): `size 111 0 00 opc 0 imm9 00 Rn Rt`.
                Ok(common | 0x3800_0000 | (offset as u32 & 0x1ff) << 12 | n << 5)
            } else if offset > 0 && offset <= 0xfff * scale {
                Err(EncodeError::Misaligned {
                    value: i128::from(offset),
                    align: 1 << size,
                })
            } else {
                Err(EncodeError::ImmediateOutOfRange {
                    value: i128::from(offset),
                    min: -256,
                    max: i128::from(0xfff * scale),
                })
            }
        }
        Mem::PreIndex { base, offset } | Mem::PostIndex { base, offset } => {
            // Immediate pre-/post-indexed: `size 111 0 00 opc 0 imm9 {11,01} Rn Rt`.
            let n = base_reg(base)?;
            if writeback_clash(base, rt) {
                return Err(EncodeError::Unpredictable);
            }
            let imm9 = imm(i64::from(offset), -256, 255)? & 0x1ff;
            let mode = if matches!(mem, Mem::PreIndex { .. }) {
                0b11
            } else {
                0b01
            };
            Ok(common | 0x3800_0000 | imm9 << 12 | mode << 10 | n << 5)
        }
        Mem::Index {
            base,
            index,
            extend,
            scaled,
        } => {
            // Register offset: `size 111 0 00 opc 1 Rm option S 10 Rn Rt`.
            let n = base_reg(base)?;
            let index_width = if extend.takes_x() {
                Width::X64
            } else {
                Width::W32
            };
            width(index, index_width)?;
            let m = zr(index)?;
            let option = extend as u32;
            Ok(common | 0x3820_0800 | m << 16 | option << 13 | u32::from(scaled) << 12 | n << 5)
        }
    }
}

/// Load/store register pair: `opc 101 0 mode L imm7 Rt2 Rn Rt`, imm7 scaled
/// by the register size; `mode` 010 signed offset, 011 pre-, 001 post-index.
fn pair(load: bool, rt: Reg, rt2: Reg, mem: Mem) -> Result<u32, EncodeError> {
    let w = rt.width();
    width(rt2, w)?;
    let (t, t2) = (zr(rt)?, zr(rt2)?);
    let (opc, scale) = match w {
        Width::W32 => (0b00, 4),
        Width::X64 => (0b10, 8),
    };
    let (mode, base, offset) = match mem {
        Mem::Offset { base, offset } => (0b010, base, offset),
        Mem::PreIndex { base, offset } => (0b011, base, offset),
        Mem::PostIndex { base, offset } => (0b001, base, offset),
        Mem::Index { .. } => return Err(EncodeError::InvalidOperand),
    };
    let n = base_reg(base)?;
    if load && t == t2 {
        return Err(EncodeError::Unpredictable);
    }
    if mode != 0b010 && (writeback_clash(base, rt) || writeback_clash(base, rt2)) {
        return Err(EncodeError::Unpredictable);
    }
    let offset = i64::from(offset);
    if offset % scale != 0 {
        return Err(EncodeError::Misaligned {
            value: i128::from(offset),
            align: scale as u32,
        });
    }
    if !(-64 * scale..=63 * scale).contains(&offset) {
        return Err(EncodeError::ImmediateOutOfRange {
            value: i128::from(offset),
            min: i128::from(-64 * scale),
            max: i128::from(63 * scale),
        });
    }
    let imm7 = (offset / scale) as u32 & 0x7f;
    Ok(opc << 30
        | 0x2800_0000
        | mode << 23
        | u32::from(load) << 22
        | imm7 << 15
        | t2 << 10
        | n << 5
        | t)
}

/// `size`/`opc` for a W-only byte or halfword access.
fn narrow(rt: Reg, size: u32, opc: u32) -> Result<Access, EncodeError> {
    width(rt, Width::W32)?;
    Ok(Access { size, opc })
}

/// `size`/`opc` for a sign-extending load into a W or X register.
fn signed(rt: Reg, size: u32) -> Access {
    let opc = match rt.width() {
        Width::W32 => LOAD_SIGNED_W,
        Width::X64 => LOAD_SIGNED_X,
    };
    Access { size, opc }
}

/// `size`/`opc` for a full-register access.
fn full(rt: Reg, opc: u32) -> Access {
    let size = match rt.width() {
        Width::W32 => 2,
        Width::X64 => 3,
    };
    Access { size, opc }
}

impl Assembler {
    /// `LDRB wt, mem`: zero-extended byte.
    pub fn ldrb(&mut self, rt: Reg, mem: Mem) {
        self.put("ldrb", narrow(rt, 0, LOAD).and_then(|a| single(a, rt, mem)));
    }

    /// `LDRSB rt, mem`: sign-extended byte into W or X.
    pub fn ldrsb(&mut self, rt: Reg, mem: Mem) {
        self.put("ldrsb", single(signed(rt, 0), rt, mem));
    }

    /// `STRB wt, mem`.
    pub fn strb(&mut self, rt: Reg, mem: Mem) {
        self.put(
            "strb",
            narrow(rt, 0, STORE).and_then(|a| single(a, rt, mem)),
        );
    }

    /// `LDRH wt, mem`: zero-extended halfword.
    pub fn ldrh(&mut self, rt: Reg, mem: Mem) {
        self.put("ldrh", narrow(rt, 1, LOAD).and_then(|a| single(a, rt, mem)));
    }

    /// `LDRSH rt, mem`: sign-extended halfword into W or X.
    pub fn ldrsh(&mut self, rt: Reg, mem: Mem) {
        self.put("ldrsh", single(signed(rt, 1), rt, mem));
    }

    /// `STRH wt, mem`.
    pub fn strh(&mut self, rt: Reg, mem: Mem) {
        self.put(
            "strh",
            narrow(rt, 1, STORE).and_then(|a| single(a, rt, mem)),
        );
    }

    /// `LDR rt, mem`: 32 or 64 bits by the width of rt.
    pub fn ldr(&mut self, rt: Reg, mem: Mem) {
        self.put("ldr", single(full(rt, LOAD), rt, mem));
    }

    /// `LDRSW xt, mem`: sign-extended word.
    pub fn ldrsw(&mut self, rt: Reg, mem: Mem) {
        let access = width(rt, Width::X64).map(|()| Access {
            size: 2,
            opc: LOAD_SIGNED_X,
        });
        self.put("ldrsw", access.and_then(|a| single(a, rt, mem)));
    }

    /// `STR rt, mem`: 32 or 64 bits by the width of rt.
    pub fn str(&mut self, rt: Reg, mem: Mem) {
        self.put("str", single(full(rt, STORE), rt, mem));
    }

    /// `LDP rt, rt2, mem` (offset, pre- or post-index; not register index).
    pub fn ldp(&mut self, rt: Reg, rt2: Reg, mem: Mem) {
        self.put("ldp", pair(true, rt, rt2, mem));
    }

    /// `STP rt, rt2, mem` (offset, pre- or post-index; not register index).
    pub fn stp(&mut self, rt: Reg, rt2: Reg, mem: Mem) {
        self.put("stp", pair(false, rt, rt2, mem));
    }
}
