//! "Data Processing -- Immediate": PC-rel. addressing, Add/subtract
//! (immediate), Logical (immediate), Move wide (immediate), Bitfield and
//! Extract, with their aliases (CMP, TST, MOV, LSL, UBFX, ...).

use super::{Assembler, Label, imm, sf, shift_amount, sp, width, zero, zr};
use crate::backend::aarch64::branch::PcRelField;
use crate::backend::aarch64::error::EncodeError;
use crate::backend::aarch64::logical_imm::encode_logical_imm;
use crate::backend::aarch64::reg::{Reg, Width};

/// Add/subtract (immediate): `sf op S 100010 sh imm12 Rn Rd`. The immediate
/// is taken as is when it fits 12 bits, else as `imm12 << 12` (`sh` = 1).
pub(super) fn add_sub_imm(
    op: u32,
    s: bool,
    rd: Reg,
    rn: Reg,
    value: u32,
) -> Result<u32, EncodeError> {
    let w = rd.width();
    width(rn, w)?;
    // S=1 writes flags and its Rd is ZR (CMP/CMN); S=0 may target SP.
    let d = if s { zr(rd)? } else { sp(rd)? };
    let n = sp(rn)?;
    let (imm12, sh) = if value <= 0xfff {
        (value, 0)
    } else if value > 0xfff << 12 {
        return Err(EncodeError::ImmediateOutOfRange {
            value: i128::from(value),
            min: 0,
            max: 0xfff << 12,
        });
    } else if value & 0xfff != 0 {
        return Err(EncodeError::Misaligned {
            value: i128::from(value),
            align: 1 << 12,
        });
    } else {
        (value >> 12, 1)
    };
    Ok(sf(w) | op << 30 | u32::from(s) << 29 | 0x1100_0000 | sh << 22 | imm12 << 10 | n << 5 | d)
}

/// Logical (immediate): `sf opc 100100 N immr imms Rn Rd`.
fn logical_imm(opc: u32, rd: Reg, rn: Reg, value: u64) -> Result<u32, EncodeError> {
    let w = rd.width();
    width(rn, w)?;
    // ANDS (opc 11) sets flags and its Rd is ZR (TST); the others may write SP.
    let d = if opc == 0b11 { zr(rd)? } else { sp(rd)? };
    let n_reg = zr(rn)?;
    let (n, immr, imms) = encode_logical_imm(value, w == Width::X64)
        .ok_or(EncodeError::NotLogicalImmediate { value })?;
    Ok(sf(w) | opc << 29 | 0x1200_0000 | n << 22 | immr << 16 | imms << 10 | n_reg << 5 | d)
}

/// Move wide (immediate): `sf opc 100101 hw imm16 Rd`.
fn move_wide(opc: u32, rd: Reg, imm16: u16, shift: u8) -> Result<u32, EncodeError> {
    let w = rd.width();
    let d = zr(rd)?;
    if !shift.is_multiple_of(16) {
        return Err(EncodeError::Misaligned {
            value: i128::from(shift),
            align: 16,
        });
    }
    let hw = imm(i64::from(shift / 16), 0, i64::from(w.bits() / 16 - 1))?;
    Ok(sf(w) | opc << 29 | 0x1280_0000 | hw << 21 | u32::from(imm16) << 5 | d)
}

const MOVN: u32 = 0b00;
const MOVZ: u32 = 0b10;
const MOVK: u32 = 0b11;

/// Bitfield: `sf opc 100110 N immr imms Rn Rd`, N = sf. Callers derive
/// `immr`/`imms` from already validated alias operands.
fn bitfield(opc: u32, rd: Reg, rn: Reg, immr: u32, imms: u32) -> Result<u32, EncodeError> {
    let w = rd.width();
    width(rn, w)?;
    let (d, n) = (zr(rd)?, zr(rn)?);
    let n_bit = u32::from(w == Width::X64) << 22;
    Ok(sf(w) | opc << 29 | 0x1300_0000 | n_bit | immr << 16 | imms << 10 | n << 5 | d)
}

const SBFM: u32 = 0b00;
const BFM: u32 = 0b01;
const UBFM: u32 = 0b10;

/// Checks a bitfield `lsb`/`width` pair for a register of `w` bits.
fn field(w: Width, lsb: u8, bits: u8) -> Result<(u32, u32), EncodeError> {
    let size = i64::from(w.bits());
    let lsb = imm(i64::from(lsb), 0, size - 1)?;
    let bits = imm(i64::from(bits), 1, size - i64::from(lsb))?;
    Ok((lsb, bits))
}

/// `immr`/`imms` of the "insert at lsb" aliases (BFI, UBFIZ, SBFIZ).
fn insert_fields(rd: Reg, lsb: u8, bits: u8) -> Result<(u32, u32), EncodeError> {
    let size = rd.width().bits();
    let (lsb, bits) = field(rd.width(), lsb, bits)?;
    Ok(((size - lsb) % size, bits - 1))
}

/// `immr`/`imms` of the "extract from lsb" aliases (BFXIL, UBFX, SBFX).
fn extract_fields(rd: Reg, lsb: u8, bits: u8) -> Result<(u32, u32), EncodeError> {
    let (lsb, bits) = field(rd.width(), lsb, bits)?;
    Ok((lsb, lsb + bits - 1))
}

/// The 8/16/32-bit sign/zero extensions (`xTB`, `xTH`, `SXTW`): a bitfield
/// from bit 0 of the W source, at the destination's width.
fn extension(opc: u32, rd: Reg, rn: Reg, bits: u32) -> Result<u32, EncodeError> {
    width(rn, Width::W32)?;
    bitfield(opc, rd, rn.with_width(rd.width()), 0, bits - 1)
}

/// Extract: `sf 00 100111 N 0 Rm imms Rn Rd`, N = sf.
fn extract(rd: Reg, rn: Reg, rm: Reg, lsb: u8) -> Result<u32, EncodeError> {
    let w = rd.width();
    width(rn, w)?;
    width(rm, w)?;
    let (d, n, m) = (zr(rd)?, zr(rn)?, zr(rm)?);
    let lsb = shift_amount(w, lsb)?;
    let n_bit = u32::from(w == Width::X64) << 22;
    Ok(sf(w) | 0x1380_0000 | n_bit | m << 16 | lsb << 10 | n << 5 | d)
}

/// PC-rel. addressing: `op immlo 10000 immhi Rd`; Rd is an X register.
fn pc_rel(op: u32, rd: Reg) -> Result<u32, EncodeError> {
    width(rd, Width::X64)?;
    Ok(op << 31 | 0x1000_0000 | zr(rd)?)
}

/// The instruction words that put `value` in the general register `rd`:
/// the shortest of MOVZ/MOVN + MOVKs, ORR with a bitmask immediate, or
/// ORR + MOVK.
fn mov_imm_words(rd: Reg, value: u64) -> Result<Vec<u32>, EncodeError> {
    let w = rd.width();
    let halves = w.bits() / 16;
    let half = |i: u32| (value >> (16 * i)) as u16;
    let count = |h: u16| (0..halves).filter(|&i| half(i) == h).count();
    let wide = |opc: u32, i: u32, imm16: u16| move_wide(opc, rd, imm16, (16 * i) as u8);
    let orr = |pattern: u64| logical_imm(0b01, rd, zero(w), pattern).ok();

    // MOVZ starts from all zeros and MOVN from all ones; every halfword that
    // differs from that background then costs one MOVK.
    let (opc, background) = if count(0xffff) > count(0) {
        (MOVN, 0xffff)
    } else {
        (MOVZ, 0)
    };
    let differing: Vec<u32> = (0..halves).filter(|&i| half(i) != background).collect();
    let first = differing.first().copied().unwrap_or(0);
    // MOVN writes NOT(imm16 << shift), which leaves the other halfwords ones.
    let imm16 = if opc == MOVN {
        !half(first)
    } else {
        half(first)
    };
    let mut words = vec![wide(opc, first, imm16)?];
    for &i in differing.iter().skip(1) {
        words.push(wide(MOVK, i, half(i))?);
    }

    if words.len() == 1 {
        return Ok(words);
    }
    if let Some(word) = orr(value) {
        return Ok(vec![word]);
    }
    if words.len() > 2 {
        // ORR + MOVK: a bitmask immediate that matches all halfwords but one,
        // which MOVK then overwrites. A replicated pattern repeats another
        // halfword; a single run of ones has all-zero or all-ones halfwords.
        for i in 0..halves {
            let others = (0..halves).filter(|&j| j != i).map(half);
            for fill in others.chain([0, 0xffff]) {
                let pattern = (value & !(0xffff << (16 * i))) | u64::from(fill) << (16 * i);
                if let Some(word) = orr(pattern) {
                    return Ok(vec![word, wide(MOVK, i, half(i))?]);
                }
            }
        }
    }
    Ok(words)
}

impl Assembler {
    /// `ADD rd, rn, #imm` (rd/rn may be SP); `imm` is 0..=0xfff or a
    /// multiple of 0x1000 up to 0xfff000 (encoded with `LSL #12`).
    pub fn add_imm(&mut self, rd: Reg, rn: Reg, imm: u32) {
        self.put("add", add_sub_imm(0, false, rd, rn, imm));
    }

    /// `ADDS rd, rn, #imm` (rn may be SP, rd not).
    pub fn adds_imm(&mut self, rd: Reg, rn: Reg, imm: u32) {
        self.put("adds", add_sub_imm(0, true, rd, rn, imm));
    }

    /// `SUB rd, rn, #imm` (rd/rn may be SP).
    pub fn sub_imm(&mut self, rd: Reg, rn: Reg, imm: u32) {
        self.put("sub", add_sub_imm(1, false, rd, rn, imm));
    }

    /// `SUBS rd, rn, #imm` (rn may be SP, rd not).
    pub fn subs_imm(&mut self, rd: Reg, rn: Reg, imm: u32) {
        self.put("subs", add_sub_imm(1, true, rd, rn, imm));
    }

    /// `CMP rn, #imm` = `SUBS zr, rn, #imm`.
    pub fn cmp_imm(&mut self, rn: Reg, imm: u32) {
        self.put("cmp", add_sub_imm(1, true, zero(rn.width()), rn, imm));
    }

    /// `CMN rn, #imm` = `ADDS zr, rn, #imm`.
    pub fn cmn_imm(&mut self, rn: Reg, imm: u32) {
        self.put("cmn", add_sub_imm(0, true, zero(rn.width()), rn, imm));
    }

    /// `AND rd, rn, #bitmask` (rd may be SP).
    pub fn and_imm(&mut self, rd: Reg, rn: Reg, value: u64) {
        self.put("and", logical_imm(0b00, rd, rn, value));
    }

    /// `ORR rd, rn, #bitmask` (rd may be SP).
    pub fn orr_imm(&mut self, rd: Reg, rn: Reg, value: u64) {
        self.put("orr", logical_imm(0b01, rd, rn, value));
    }

    /// `EOR rd, rn, #bitmask` (rd may be SP).
    pub fn eor_imm(&mut self, rd: Reg, rn: Reg, value: u64) {
        self.put("eor", logical_imm(0b10, rd, rn, value));
    }

    /// `ANDS rd, rn, #bitmask`.
    pub fn ands_imm(&mut self, rd: Reg, rn: Reg, value: u64) {
        self.put("ands", logical_imm(0b11, rd, rn, value));
    }

    /// `TST rn, #bitmask` = `ANDS zr, rn, #bitmask`.
    pub fn tst_imm(&mut self, rn: Reg, value: u64) {
        self.put("tst", logical_imm(0b11, zero(rn.width()), rn, value));
    }

    /// `MOVZ rd, #imm16, LSL #shift` (`shift` 0/16, or 32/48 for X).
    pub fn movz(&mut self, rd: Reg, imm16: u16, shift: u8) {
        self.put("movz", move_wide(MOVZ, rd, imm16, shift));
    }

    /// `MOVN rd, #imm16, LSL #shift`: rd = NOT(imm16 << shift).
    pub fn movn(&mut self, rd: Reg, imm16: u16, shift: u8) {
        self.put("movn", move_wide(MOVN, rd, imm16, shift));
    }

    /// `MOVK rd, #imm16, LSL #shift`: replaces one halfword, keeps the rest.
    pub fn movk(&mut self, rd: Reg, imm16: u16, shift: u8) {
        self.put("movk", move_wide(MOVK, rd, imm16, shift));
    }

    /// Loads `value` into general register `rd` (not ZR or SP) with the
    /// shortest of: one MOVZ/MOVN/ORR, ORR + MOVK, or MOVZ/MOVN + MOVKs (at
    /// most 4 words). For W registers `value` must fit in 32 bits.
    pub fn mov_imm(&mut self, rd: Reg, value: u64) {
        // ZR is excluded because field value 31 would be SP for the ORR form.
        if rd.is_zero() || rd.is_sp() {
            return self.put("mov", Err(EncodeError::RegisterNotAllowed { reg: rd }));
        }
        if rd.width() == Width::W32 && value > u64::from(u32::MAX) {
            let error = EncodeError::ImmediateOutOfRange {
                value: i128::from(value),
                min: 0,
                max: i128::from(u32::MAX),
            };
            return self.put("mov", Err(error));
        }
        match mov_imm_words(rd, value) {
            Ok(words) => words.into_iter().for_each(|word| self.emit(word)),
            Err(error) => self.put("mov", Err(error)),
        }
    }

    /// `LSL rd, rn, #amount` = `UBFM rd, rn, #(-amount mod size), #(size-1-amount)`.
    pub fn lsl_imm(&mut self, rd: Reg, rn: Reg, amount: u8) {
        let size = rd.width().bits();
        let word = shift_amount(rd.width(), amount)
            .and_then(|s| bitfield(UBFM, rd, rn, (size - s) % size, size - 1 - s));
        self.put("lsl", word);
    }

    /// `LSR rd, rn, #amount` = `UBFM rd, rn, #amount, #(size-1)`.
    pub fn lsr_imm(&mut self, rd: Reg, rn: Reg, amount: u8) {
        let size = rd.width().bits();
        let word =
            shift_amount(rd.width(), amount).and_then(|s| bitfield(UBFM, rd, rn, s, size - 1));
        self.put("lsr", word);
    }

    /// `ASR rd, rn, #amount` = `SBFM rd, rn, #amount, #(size-1)`.
    pub fn asr_imm(&mut self, rd: Reg, rn: Reg, amount: u8) {
        let size = rd.width().bits();
        let word =
            shift_amount(rd.width(), amount).and_then(|s| bitfield(SBFM, rd, rn, s, size - 1));
        self.put("asr", word);
    }

    /// `ROR rd, rn, #amount` = `EXTR rd, rn, rn, #amount`.
    pub fn ror_imm(&mut self, rd: Reg, rn: Reg, amount: u8) {
        self.put("ror", extract(rd, rn, rn, amount));
    }

    /// `EXTR rd, rn, rm, #lsb`: bits `lsb..lsb+size` of the pair `rn:rm`.
    pub fn extr(&mut self, rd: Reg, rn: Reg, rm: Reg, lsb: u8) {
        self.put("extr", extract(rd, rn, rm, lsb));
    }

    /// `UBFX rd, rn, #lsb, #width`: zero-extended bits `lsb..lsb+width` of rn.
    pub fn ubfx(&mut self, rd: Reg, rn: Reg, lsb: u8, width: u8) {
        let word = extract_fields(rd, lsb, width).and_then(|(r, s)| bitfield(UBFM, rd, rn, r, s));
        self.put("ubfx", word);
    }

    /// `SBFX rd, rn, #lsb, #width`: sign-extended bits `lsb..lsb+width` of rn.
    pub fn sbfx(&mut self, rd: Reg, rn: Reg, lsb: u8, width: u8) {
        let word = extract_fields(rd, lsb, width).and_then(|(r, s)| bitfield(SBFM, rd, rn, r, s));
        self.put("sbfx", word);
    }

    /// `BFXIL rd, rn, #lsb, #width`: bits `lsb..lsb+width` of rn into the
    /// low bits of rd, other bits of rd kept.
    pub fn bfxil(&mut self, rd: Reg, rn: Reg, lsb: u8, width: u8) {
        let word = extract_fields(rd, lsb, width).and_then(|(r, s)| bitfield(BFM, rd, rn, r, s));
        self.put("bfxil", word);
    }

    /// `BFI rd, rn, #lsb, #width`: the low `width` bits of rn into rd at
    /// `lsb`, other bits of rd kept.
    pub fn bfi(&mut self, rd: Reg, rn: Reg, lsb: u8, width: u8) {
        let word = insert_fields(rd, lsb, width).and_then(|(r, s)| bitfield(BFM, rd, rn, r, s));
        self.put("bfi", word);
    }

    /// `UBFIZ rd, rn, #lsb, #width`: the low `width` bits of rn, shifted to
    /// `lsb`, zeros elsewhere.
    pub fn ubfiz(&mut self, rd: Reg, rn: Reg, lsb: u8, width: u8) {
        let word = insert_fields(rd, lsb, width).and_then(|(r, s)| bitfield(UBFM, rd, rn, r, s));
        self.put("ubfiz", word);
    }

    /// `SBFIZ rd, rn, #lsb, #width`: the low `width` bits of rn, sign-extended
    /// and shifted to `lsb`.
    pub fn sbfiz(&mut self, rd: Reg, rn: Reg, lsb: u8, width: u8) {
        let word = insert_fields(rd, lsb, width).and_then(|(r, s)| bitfield(SBFM, rd, rn, r, s));
        self.put("sbfiz", word);
    }

    /// `UXTB wd, wn` = `UBFM wd, wn, #0, #7` (32-bit only: a W write already
    /// clears the upper half of the X register).
    pub fn uxtb(&mut self, rd: Reg, rn: Reg) {
        let word = width(rd, Width::W32).and_then(|()| extension(UBFM, rd, rn, 8));
        self.put("uxtb", word);
    }

    /// `UXTH wd, wn` = `UBFM wd, wn, #0, #15` (32-bit only).
    pub fn uxth(&mut self, rd: Reg, rn: Reg) {
        let word = width(rd, Width::W32).and_then(|()| extension(UBFM, rd, rn, 16));
        self.put("uxth", word);
    }

    /// `SXTB rd, wn` = `SBFM rd, rn, #0, #7`; rd is W or X.
    pub fn sxtb(&mut self, rd: Reg, rn: Reg) {
        self.put("sxtb", extension(SBFM, rd, rn, 8));
    }

    /// `SXTH rd, wn` = `SBFM rd, rn, #0, #15`; rd is W or X.
    pub fn sxth(&mut self, rd: Reg, rn: Reg) {
        self.put("sxth", extension(SBFM, rd, rn, 16));
    }

    /// `SXTW xd, wn` = `SBFM xd, xn, #0, #31`.
    pub fn sxtw(&mut self, rd: Reg, rn: Reg) {
        let word = width(rd, Width::X64).and_then(|()| extension(SBFM, rd, rn, 32));
        self.put("sxtw", word);
    }

    /// `ADR xd, label`: the label's address (±1 MiB).
    pub fn adr(&mut self, rd: Reg, label: Label) {
        self.put_label_ref("adr", pc_rel(0, rd), PcRelField::Adr21, label);
    }

    /// `ADRP xd, #pages`: the address of the 4 KiB page `pages` pages from
    /// this instruction's page. The offset depends on where the code finally
    /// lives, so the caller computes `pages` from final addresses.
    pub fn adrp(&mut self, rd: Reg, pages: i32) {
        // ADRP shares ADR's immlo:immhi layout, counting pages instead of bytes.
        let word = pc_rel(1, rd).and_then(|word| PcRelField::Adr21.insert(word, i64::from(pages)));
        self.put("adrp", word);
    }
}
