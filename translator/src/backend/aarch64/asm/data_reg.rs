//! "Data Processing -- Register": Logical (shifted register), Add/subtract
//! (shifted register, extended register, with carry), Conditional compare,
//! Conditional select and Data-processing (1, 2 and 3 source), with their
//! aliases (MOV, MVN, NEG, CMP, TST, CSET, MUL, ...).

use super::data_imm::add_sub_imm;
use super::{Assembler, imm, sf, shift_amount, sp, width, zero, zr};
use crate::backend::aarch64::error::EncodeError;
use crate::backend::aarch64::operand::{Extend, Operand, Shift};
use crate::backend::aarch64::reg::{Cond, Reg, Width};

/// Logical (shifted register): `sf opc 01010 shift N Rm imm6 Rn Rd`; N
/// inverts the second operand (BIC, ORN, EON, BICS).
fn logical_reg(opc: u32, invert: bool, rd: Reg, rn: Reg, op: Operand) -> Result<u32, EncodeError> {
    let w = rd.width();
    width(rn, w)?;
    let (rm, shift, amount) = match op {
        Operand::Reg(rm) => (rm, Shift::Lsl, 0),
        Operand::Shifted(rm, shift, amount) => (rm, shift, amount),
        Operand::Extended(..) => return Err(EncodeError::InvalidOperand),
    };
    width(rm, w)?;
    let (d, n, m) = (zr(rd)?, zr(rn)?, zr(rm)?);
    let amount = shift_amount(w, amount)?;
    let shift = shift as u32;
    Ok(sf(w)
        | opc << 29
        | 0x0a00_0000
        | shift << 22
        | u32::from(invert) << 21
        | m << 16
        | amount << 10
        | n << 5
        | d)
}

/// Add/subtract with a register operand. A plain register next to SP needs
/// the extended-register class (the shifted class reads 31 as ZR), with the
/// identity extension UXTX/UXTW #0, as assemblers do for `add sp, sp, x1`.
fn add_sub_reg(op: u32, s: bool, rd: Reg, rn: Reg, operand: Operand) -> Result<u32, EncodeError> {
    let w = rd.width();
    width(rn, w)?;
    match operand {
        Operand::Reg(rm) if rd.is_sp() || rn.is_sp() => {
            let identity = match w {
                Width::W32 => Extend::Uxtw,
                Width::X64 => Extend::Uxtx,
            };
            add_sub_extended(op, s, rd, rn, rm, identity, 0)
        }
        Operand::Reg(rm) => add_sub_shifted(op, s, rd, rn, rm, Shift::Lsl, 0),
        Operand::Shifted(_, Shift::Ror, _) => Err(EncodeError::InvalidOperand),
        Operand::Shifted(rm, shift, amount) => add_sub_shifted(op, s, rd, rn, rm, shift, amount),
        Operand::Extended(rm, extend, amount) => {
            add_sub_extended(op, s, rd, rn, rm, extend, amount)
        }
    }
}

/// Add/subtract (shifted register): `sf op S 01011 shift 0 Rm imm6 Rn Rd`.
fn add_sub_shifted(
    op: u32,
    s: bool,
    rd: Reg,
    rn: Reg,
    rm: Reg,
    shift: Shift,
    amount: u8,
) -> Result<u32, EncodeError> {
    let w = rd.width();
    width(rm, w)?;
    let (d, n, m) = (zr(rd)?, zr(rn)?, zr(rm)?);
    let amount = shift_amount(w, amount)?;
    let shift = shift as u32;
    Ok(sf(w)
        | op << 30
        | u32::from(s) << 29
        | 0x0b00_0000
        | shift << 22
        | m << 16
        | amount << 10
        | n << 5
        | d)
}

/// Add/subtract (extended register): `sf op S 01011 00 1 Rm option imm3 Rn
/// Rd`. Rm is an X register only for the 64-bit UXTX/SXTX extensions.
fn add_sub_extended(
    op: u32,
    s: bool,
    rd: Reg,
    rn: Reg,
    rm: Reg,
    extend: Extend,
    amount: u8,
) -> Result<u32, EncodeError> {
    let w = rd.width();
    let rm_width = if w == Width::X64 && extend.takes_x() {
        Width::X64
    } else {
        Width::W32
    };
    width(rm, rm_width)?;
    // S=1 (ADDS/SUBS, CMP/CMN) has a ZR destination; S=0 may write SP.
    let d = if s { zr(rd)? } else { sp(rd)? };
    let (n, m) = (sp(rn)?, zr(rm)?);
    let amount = imm(i64::from(amount), 0, 4)?;
    let option = extend as u32;
    Ok(sf(w)
        | op << 30
        | u32::from(s) << 29
        | 0x0b20_0000
        | m << 16
        | option << 13
        | amount << 10
        | n << 5
        | d)
}

/// Checks that all registers have `rd`'s width and are not SP; returns the
/// fields of `rd`, `rn`, `rm`.
fn same_width3(rd: Reg, rn: Reg, rm: Reg) -> Result<(u32, u32, u32), EncodeError> {
    let w = rd.width();
    width(rn, w)?;
    width(rm, w)?;
    Ok((zr(rd)?, zr(rn)?, zr(rm)?))
}

/// Add/subtract (with carry): `sf op S 11010000 Rm 000000 Rn Rd`.
fn with_carry(op: u32, s: bool, rd: Reg, rn: Reg, rm: Reg) -> Result<u32, EncodeError> {
    let (d, n, m) = same_width3(rd, rn, rm)?;
    Ok(sf(rd.width()) | op << 30 | u32::from(s) << 29 | 0x1a00_0000 | m << 16 | n << 5 | d)
}

/// Data-processing (2 source): `sf 0 0 11010110 Rm opcode Rn Rd`.
fn two_source(opcode: u32, rd: Reg, rn: Reg, rm: Reg) -> Result<u32, EncodeError> {
    let (d, n, m) = same_width3(rd, rn, rm)?;
    Ok(sf(rd.width()) | 0x1ac0_0000 | m << 16 | opcode << 10 | n << 5 | d)
}

/// Data-processing (1 source): `sf 1 0 11010110 00000 opcode Rn Rd`.
fn one_source(opcode: u32, rd: Reg, rn: Reg) -> Result<u32, EncodeError> {
    width(rn, rd.width())?;
    Ok(sf(rd.width()) | 0x5ac0_0000 | opcode << 10 | zr(rn)? << 5 | zr(rd)?)
}

/// Data-processing (3 source), MADD/MSUB: `sf 00 11011 000 Rm o0 Ra Rn Rd`.
fn multiply_add(o0: u32, rd: Reg, rn: Reg, rm: Reg, ra: Reg) -> Result<u32, EncodeError> {
    let (d, n, m) = same_width3(rd, rn, rm)?;
    width(ra, rd.width())?;
    let a = zr(ra)?;
    Ok(sf(rd.width()) | 0x1b00_0000 | m << 16 | o0 << 15 | a << 10 | n << 5 | d)
}

/// Conditional select: `sf op 0 11010100 Rm cond 0 o2 Rn Rd`.
fn cond_select(
    op: u32,
    o2: u32,
    rd: Reg,
    rn: Reg,
    rm: Reg,
    cond: Cond,
) -> Result<u32, EncodeError> {
    let (d, n, m) = same_width3(rd, rn, rm)?;
    Ok(sf(rd.width())
        | op << 30
        | 0x1a80_0000
        | m << 16
        | cond.bits() << 12
        | o2 << 10
        | n << 5
        | d)
}

/// The condition the CSET/CINC-style aliases encode: the inverse of the one
/// they are written with. AL/NV have no meaningful inverse.
fn inverted(cond: Cond) -> Result<Cond, EncodeError> {
    match cond {
        Cond::Al | Cond::Nv => Err(EncodeError::InvalidCondition { cond }),
        _ => Ok(cond.invert()),
    }
}

/// Second operand of a conditional compare: a register or a 5-bit immediate.
enum CcmpOperand {
    Reg(Reg),
    Imm(u8),
}

/// Conditional compare (register / immediate): `sf op 1 11010010 Rm|imm5
/// cond o=reg:0 imm:1 0 Rn 0 nzcv`. If `cond` holds, the flags are those of
/// the comparison; otherwise they are set to `nzcv`.
fn cond_compare(
    op: u32,
    rn: Reg,
    operand: CcmpOperand,
    nzcv: u8,
    cond: Cond,
) -> Result<u32, EncodeError> {
    let w = rn.width();
    let n = zr(rn)?;
    let (field, is_imm) = match operand {
        CcmpOperand::Reg(rm) => {
            width(rm, w)?;
            (zr(rm)?, 0)
        }
        CcmpOperand::Imm(value) => (imm(i64::from(value), 0, 31)?, 1),
    };
    let nzcv = imm(i64::from(nzcv), 0, 15)?;
    Ok(sf(w)
        | op << 30
        | 0x3a40_0000
        | field << 16
        | cond.bits() << 12
        | is_imm << 11
        | n << 5
        | nzcv)
}

impl Assembler {
    /// `AND rd, rn, op`.
    pub fn and(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("and", logical_reg(0b00, false, rd, rn, op.into()));
    }

    /// `ANDS rd, rn, op`.
    pub fn ands(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("ands", logical_reg(0b11, false, rd, rn, op.into()));
    }

    /// `ORR rd, rn, op`.
    pub fn orr(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("orr", logical_reg(0b01, false, rd, rn, op.into()));
    }

    /// `EOR rd, rn, op`.
    pub fn eor(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("eor", logical_reg(0b10, false, rd, rn, op.into()));
    }

    /// `BIC rd, rn, op`: rn AND NOT op.
    pub fn bic(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("bic", logical_reg(0b00, true, rd, rn, op.into()));
    }

    /// `BICS rd, rn, op`.
    pub fn bics(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("bics", logical_reg(0b11, true, rd, rn, op.into()));
    }

    /// `ORN rd, rn, op`: rn OR NOT op.
    pub fn orn(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("orn", logical_reg(0b01, true, rd, rn, op.into()));
    }

    /// `EON rd, rn, op`: rn XOR NOT op.
    pub fn eon(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("eon", logical_reg(0b10, true, rd, rn, op.into()));
    }

    /// `TST rn, op` = `ANDS zr, rn, op`.
    pub fn tst(&mut self, rn: Reg, op: impl Into<Operand>) {
        self.put(
            "tst",
            logical_reg(0b11, false, zero(rn.width()), rn, op.into()),
        );
    }

    /// `MVN rd, op` = `ORN rd, zr, op`.
    pub fn mvn(&mut self, rd: Reg, op: impl Into<Operand>) {
        self.put(
            "mvn",
            logical_reg(0b01, true, rd, zero(rd.width()), op.into()),
        );
    }

    /// `MOV rd, rn`: `ORR rd, zr, rn`, or `ADD rd, rn, #0` when either is SP
    /// (ORR would read and write the zero register instead).
    pub fn mov(&mut self, rd: Reg, rn: Reg) {
        let word = if rd.is_sp() || rn.is_sp() {
            add_sub_imm(0, false, rd, rn, 0)
        } else {
            logical_reg(0b01, false, rd, zero(rd.width()), Operand::Reg(rn))
        };
        self.put("mov", word);
    }

    /// `ADD rd, rn, op`; rd/rn may be SP with a plain or extended operand.
    pub fn add(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("add", add_sub_reg(0, false, rd, rn, op.into()));
    }

    /// `ADDS rd, rn, op`; rn may be SP with a plain or extended operand.
    pub fn adds(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("adds", add_sub_reg(0, true, rd, rn, op.into()));
    }

    /// `SUB rd, rn, op`; rd/rn may be SP with a plain or extended operand.
    pub fn sub(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("sub", add_sub_reg(1, false, rd, rn, op.into()));
    }

    /// `SUBS rd, rn, op`; rn may be SP with a plain or extended operand.
    pub fn subs(&mut self, rd: Reg, rn: Reg, op: impl Into<Operand>) {
        self.put("subs", add_sub_reg(1, true, rd, rn, op.into()));
    }

    /// `CMP rn, op` = `SUBS zr, rn, op`.
    pub fn cmp(&mut self, rn: Reg, op: impl Into<Operand>) {
        self.put("cmp", add_sub_reg(1, true, zero(rn.width()), rn, op.into()));
    }

    /// `CMN rn, op` = `ADDS zr, rn, op`.
    pub fn cmn(&mut self, rn: Reg, op: impl Into<Operand>) {
        self.put("cmn", add_sub_reg(0, true, zero(rn.width()), rn, op.into()));
    }

    /// `NEG rd, op` = `SUB rd, zr, op`.
    pub fn neg(&mut self, rd: Reg, op: impl Into<Operand>) {
        self.put(
            "neg",
            add_sub_reg(1, false, rd, zero(rd.width()), op.into()),
        );
    }

    /// `NEGS rd, op` = `SUBS rd, zr, op`.
    pub fn negs(&mut self, rd: Reg, op: impl Into<Operand>) {
        self.put(
            "negs",
            add_sub_reg(1, true, rd, zero(rd.width()), op.into()),
        );
    }

    /// `ADC rd, rn, rm`: rn + rm + C.
    pub fn adc(&mut self, rd: Reg, rn: Reg, rm: Reg) {
        self.put("adc", with_carry(0, false, rd, rn, rm));
    }

    /// `ADCS rd, rn, rm`.
    pub fn adcs(&mut self, rd: Reg, rn: Reg, rm: Reg) {
        self.put("adcs", with_carry(0, true, rd, rn, rm));
    }

    /// `SBC rd, rn, rm`: rn - rm - NOT(C) (ARM's carry is "no borrow").
    pub fn sbc(&mut self, rd: Reg, rn: Reg, rm: Reg) {
        self.put("sbc", with_carry(1, false, rd, rn, rm));
    }

    /// `SBCS rd, rn, rm`.
    pub fn sbcs(&mut self, rd: Reg, rn: Reg, rm: Reg) {
        self.put("sbcs", with_carry(1, true, rd, rn, rm));
    }

    /// `LSLV rd, rn, rm` (shift amount rm modulo the register size).
    pub fn lslv(&mut self, rd: Reg, rn: Reg, rm: Reg) {
        self.put("lslv", two_source(0b001000, rd, rn, rm));
    }

    /// `LSRV rd, rn, rm`.
    pub fn lsrv(&mut self, rd: Reg, rn: Reg, rm: Reg) {
        self.put("lsrv", two_source(0b001001, rd, rn, rm));
    }

    /// `ASRV rd, rn, rm`.
    pub fn asrv(&mut self, rd: Reg, rn: Reg, rm: Reg) {
        self.put("asrv", two_source(0b001010, rd, rn, rm));
    }

    /// `RORV rd, rn, rm`.
    pub fn rorv(&mut self, rd: Reg, rn: Reg, rm: Reg) {
        self.put("rorv", two_source(0b001011, rd, rn, rm));
    }

    /// `UDIV rd, rn, rm` (division by zero yields 0, no trap).
    pub fn udiv(&mut self, rd: Reg, rn: Reg, rm: Reg) {
        self.put("udiv", two_source(0b000010, rd, rn, rm));
    }

    /// `SDIV rd, rn, rm`.
    pub fn sdiv(&mut self, rd: Reg, rn: Reg, rm: Reg) {
        self.put("sdiv", two_source(0b000011, rd, rn, rm));
    }

    /// `RBIT rd, rn`: reverse bit order.
    pub fn rbit(&mut self, rd: Reg, rn: Reg) {
        self.put("rbit", one_source(0b000000, rd, rn));
    }

    /// `REV16 rd, rn`: swap the bytes of each halfword.
    pub fn rev16(&mut self, rd: Reg, rn: Reg) {
        self.put("rev16", one_source(0b000001, rd, rn));
    }

    /// `REV rd, rn`: reverse the byte order of the whole register.
    pub fn rev(&mut self, rd: Reg, rn: Reg) {
        // The full-width byte reverse is opcode 000010 for W, 000011 for X
        // (000010 on X is REV32).
        let opcode = match rd.width() {
            Width::W32 => 0b000010,
            Width::X64 => 0b000011,
        };
        self.put("rev", one_source(opcode, rd, rn));
    }

    /// `CLZ rd, rn`: count leading zeros.
    pub fn clz(&mut self, rd: Reg, rn: Reg) {
        self.put("clz", one_source(0b000100, rd, rn));
    }

    /// `CLS rd, rn`: count leading sign bits.
    pub fn cls(&mut self, rd: Reg, rn: Reg) {
        self.put("cls", one_source(0b000101, rd, rn));
    }

    /// `MADD rd, rn, rm, ra`: ra + rn * rm.
    pub fn madd(&mut self, rd: Reg, rn: Reg, rm: Reg, ra: Reg) {
        self.put("madd", multiply_add(0, rd, rn, rm, ra));
    }

    /// `MSUB rd, rn, rm, ra`: ra - rn * rm.
    pub fn msub(&mut self, rd: Reg, rn: Reg, rm: Reg, ra: Reg) {
        self.put("msub", multiply_add(1, rd, rn, rm, ra));
    }

    /// `MUL rd, rn, rm` = `MADD rd, rn, rm, zr`.
    pub fn mul(&mut self, rd: Reg, rn: Reg, rm: Reg) {
        self.put("mul", multiply_add(0, rd, rn, rm, zero(rd.width())));
    }

    /// `CSEL rd, rn, rm, cond`: cond ? rn : rm.
    pub fn csel(&mut self, rd: Reg, rn: Reg, rm: Reg, cond: Cond) {
        self.put("csel", cond_select(0, 0, rd, rn, rm, cond));
    }

    /// `CSINC rd, rn, rm, cond`: cond ? rn : rm + 1.
    pub fn csinc(&mut self, rd: Reg, rn: Reg, rm: Reg, cond: Cond) {
        self.put("csinc", cond_select(0, 1, rd, rn, rm, cond));
    }

    /// `CSINV rd, rn, rm, cond`: cond ? rn : NOT rm.
    pub fn csinv(&mut self, rd: Reg, rn: Reg, rm: Reg, cond: Cond) {
        self.put("csinv", cond_select(1, 0, rd, rn, rm, cond));
    }

    /// `CSNEG rd, rn, rm, cond`: cond ? rn : -rm.
    pub fn csneg(&mut self, rd: Reg, rn: Reg, rm: Reg, cond: Cond) {
        self.put("csneg", cond_select(1, 1, rd, rn, rm, cond));
    }

    /// `CSET rd, cond` = `CSINC rd, zr, zr, invert(cond)`: cond ? 1 : 0.
    pub fn cset(&mut self, rd: Reg, cond: Cond) {
        let z = zero(rd.width());
        let word = inverted(cond).and_then(|inv| cond_select(0, 1, rd, z, z, inv));
        self.put("cset", word);
    }

    /// `CSETM rd, cond` = `CSINV rd, zr, zr, invert(cond)`: cond ? -1 : 0.
    pub fn csetm(&mut self, rd: Reg, cond: Cond) {
        let z = zero(rd.width());
        let word = inverted(cond).and_then(|inv| cond_select(1, 0, rd, z, z, inv));
        self.put("csetm", word);
    }

    /// `CINC rd, rn, cond` = `CSINC rd, rn, rn, invert(cond)`: cond ? rn + 1 : rn.
    pub fn cinc(&mut self, rd: Reg, rn: Reg, cond: Cond) {
        let word = inverted(cond).and_then(|inv| cond_select(0, 1, rd, rn, rn, inv));
        self.put("cinc", word);
    }

    /// `CINV rd, rn, cond` = `CSINV rd, rn, rn, invert(cond)`: cond ? NOT rn : rn.
    pub fn cinv(&mut self, rd: Reg, rn: Reg, cond: Cond) {
        let word = inverted(cond).and_then(|inv| cond_select(1, 0, rd, rn, rn, inv));
        self.put("cinv", word);
    }

    /// `CNEG rd, rn, cond` = `CSNEG rd, rn, rn, invert(cond)`: cond ? -rn : rn.
    pub fn cneg(&mut self, rd: Reg, rn: Reg, cond: Cond) {
        let word = inverted(cond).and_then(|inv| cond_select(1, 1, rd, rn, rn, inv));
        self.put("cneg", word);
    }

    /// `CCMP rn, rm, #nzcv, cond`: flags of `rn - rm` if cond, else `nzcv`.
    pub fn ccmp(&mut self, rn: Reg, rm: Reg, nzcv: u8, cond: Cond) {
        self.put(
            "ccmp",
            cond_compare(1, rn, CcmpOperand::Reg(rm), nzcv, cond),
        );
    }

    /// `CCMP rn, #imm5, #nzcv, cond`.
    pub fn ccmp_imm(&mut self, rn: Reg, imm5: u8, nzcv: u8, cond: Cond) {
        self.put(
            "ccmp",
            cond_compare(1, rn, CcmpOperand::Imm(imm5), nzcv, cond),
        );
    }

    /// `CCMN rn, rm, #nzcv, cond`: flags of `rn + rm` if cond, else `nzcv`.
    pub fn ccmn(&mut self, rn: Reg, rm: Reg, nzcv: u8, cond: Cond) {
        self.put(
            "ccmn",
            cond_compare(0, rn, CcmpOperand::Reg(rm), nzcv, cond),
        );
    }

    /// `CCMN rn, #imm5, #nzcv, cond`.
    pub fn ccmn_imm(&mut self, rn: Reg, imm5: u8, nzcv: u8, cond: Cond) {
        self.put(
            "ccmn",
            cond_compare(0, rn, CcmpOperand::Imm(imm5), nzcv, cond),
        );
    }
}
