//! The 6502's arithmetic and logic as pure functions of operands and the
//! status byte, returning the result and the new status byte. The
//! interpreter calls them; generated code may call them for the rare paths
//! (decimal mode) it does not inline.

use super::state::{FLAG_C, FLAG_N, FLAG_V, FLAG_Z};

/// `p` with N and Z set from `value`.
#[inline(always)]
pub const fn with_nz(p: u8, value: u8) -> u8 {
    (p & !(FLAG_N | FLAG_Z)) | (value & FLAG_N) | if value == 0 { FLAG_Z } else { 0 }
}

#[inline(always)]
const fn carry(p: u8) -> u8 {
    p & FLAG_C
}

#[inline(always)]
const fn flag_if(condition: bool, flag: u8) -> u8 {
    if condition { flag } else { 0 }
}

/// Binary ADC.
#[inline(always)]
pub const fn adc_binary(a: u8, m: u8, p: u8) -> (u8, u8) {
    let sum = a as u16 + m as u16 + carry(p) as u16;
    let result = sum as u8;
    let overflow = !(a ^ m) & (a ^ result) & 0x80 != 0;
    let p = with_nz(p, result) & !(FLAG_C | FLAG_V);
    (
        result,
        p | flag_if(sum > 0xFF, FLAG_C) | flag_if(overflow, FLAG_V),
    )
}

/// Binary SBC: ADC of the complemented operand.
#[inline(always)]
pub const fn sbc_binary(a: u8, m: u8, p: u8) -> (u8, u8) {
    adc_binary(a, !m, p)
}

/// NMOS decimal ADC. The chip adjusts the low nibble, takes N and V from the
/// sum before adjusting the high nibble, and Z from the plain binary sum; the
/// carry comes from the adjusted high nibble (Bruce Clark's description of
/// the NMOS decimal mode).
pub const fn adc_decimal(a: u8, m: u8, p: u8) -> (u8, u8) {
    let c = carry(p) as u16;
    let (a16, m16) = (a as u16, m as u16);
    let mut low = (a16 & 0x0F) + (m16 & 0x0F) + c;
    if low >= 0x0A {
        low = ((low + 0x06) & 0x0F) + 0x10;
    }
    let mut sum = (a16 & 0xF0) + (m16 & 0xF0) + low;
    let binary = (a16 + m16 + c) as u8;
    let unadjusted = sum as u8;
    let overflow = !(a ^ m) & (a ^ unadjusted) & 0x80 != 0;
    if sum >= 0xA0 {
        sum += 0x60;
    }
    let p = p & !(FLAG_N | FLAG_V | FLAG_Z | FLAG_C);
    let p = p
        | (unadjusted & FLAG_N)
        | flag_if(overflow, FLAG_V)
        | flag_if(binary == 0, FLAG_Z)
        | flag_if(sum >= 0x100, FLAG_C);
    (sum as u8, p)
}

/// NMOS decimal SBC: every flag is the binary SBC's, only A is adjusted.
pub const fn sbc_decimal(a: u8, m: u8, p: u8) -> (u8, u8) {
    let (_, flags) = sbc_binary(a, m, p);
    let borrow = 1 - carry(p) as i16;
    let mut low = (a & 0x0F) as i16 - (m & 0x0F) as i16 - borrow;
    if low < 0 {
        low = ((low - 0x06) & 0x0F) - 0x10;
    }
    let mut result = (a & 0xF0) as i16 - (m & 0xF0) as i16 + low;
    if result < 0 {
        result -= 0x60;
    }
    (result as u8, flags)
}

/// CMP/CPX/CPY: flags of `register - m`.
#[inline(always)]
pub const fn compare(register: u8, m: u8, p: u8) -> u8 {
    (with_nz(p, register.wrapping_sub(m)) & !FLAG_C) | flag_if(register >= m, FLAG_C)
}

/// ASL.
#[inline(always)]
pub const fn asl(v: u8, p: u8) -> (u8, u8) {
    let result = v << 1;
    (result, (with_nz(p, result) & !FLAG_C) | (v >> 7))
}

/// LSR.
#[inline(always)]
pub const fn lsr(v: u8, p: u8) -> (u8, u8) {
    let result = v >> 1;
    (result, (with_nz(p, result) & !FLAG_C) | (v & FLAG_C))
}

/// ROL.
#[inline(always)]
pub const fn rol(v: u8, p: u8) -> (u8, u8) {
    let result = (v << 1) | carry(p);
    (result, (with_nz(p, result) & !FLAG_C) | (v >> 7))
}

/// ROR.
#[inline(always)]
pub const fn ror(v: u8, p: u8) -> (u8, u8) {
    let result = (v >> 1) | (carry(p) << 7);
    (result, (with_nz(p, result) & !FLAG_C) | (v & FLAG_C))
}

/// BIT: Z from `a & m`, N and V copied from the operand.
#[inline(always)]
pub const fn bit(a: u8, m: u8, p: u8) -> u8 {
    (p & !(FLAG_N | FLAG_V | FLAG_Z)) | (m & (FLAG_N | FLAG_V)) | flag_if(a & m == 0, FLAG_Z)
}

/// ARR in binary mode: `(A & imm) ROR 1`, C from bit 6, V from bit 6 ^ bit 5.
pub const fn arr_binary(a: u8, imm: u8, p: u8) -> (u8, u8) {
    let result = ((a & imm) >> 1) | (carry(p) << 7);
    let c = (result >> 6) & 1;
    let v = ((result >> 6) ^ (result >> 5)) & 1;
    let p = with_nz(p, result) & !(FLAG_C | FLAG_V);
    (result, p | c | flag_if(v != 0, FLAG_V))
}

/// ARR in NMOS decimal mode: the rotate, N/Z from it, V from bit 6 changing,
/// then a BCD fix-up of each nibble of the AND result, the high one setting C.
pub const fn arr_decimal(a: u8, imm: u8, p: u8) -> (u8, u8) {
    let and = a & imm;
    let mut result = (and >> 1) | (carry(p) << 7);
    let overflow = (and ^ result) & 0x40 != 0;
    let p = with_nz(p, result) & !(FLAG_C | FLAG_V);
    if (and & 0x0F) + (and & 0x01) > 0x05 {
        result = (result & 0xF0) | (result.wrapping_add(0x06) & 0x0F);
    }
    let high_fix = (and & 0xF0) as u16 + (and & 0x10) as u16 > 0x50;
    if high_fix {
        result = result.wrapping_add(0x60);
    }
    (
        result,
        p | flag_if(overflow, FLAG_V) | flag_if(high_fix, FLAG_C),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::mos6502::state::FLAG_U;

    #[test]
    fn decimal_adc_spot_checks() {
        // 58 + 46 + 1 = 105: A = $05, C set.
        let (a, p) = adc_decimal(0x58, 0x46, FLAG_U | FLAG_C);
        assert_eq!((a, p & FLAG_C), (0x05, FLAG_C));
        // 12 + 34 = 46, no flags.
        let (a, p) = adc_decimal(0x12, 0x34, FLAG_U);
        assert_eq!((a, p), (0x46, FLAG_U));
        // 99 + 1 = 00 carry; Z comes from the binary sum $9A, so Z is clear.
        let (a, p) = adc_decimal(0x99, 0x01, FLAG_U);
        assert_eq!(a, 0x00);
        assert_eq!(p & (FLAG_Z | FLAG_C), FLAG_C);
        // 79 + 00 + 1 = 80: N and V from the unadjusted high nibble.
        let (a, p) = adc_decimal(0x79, 0x00, FLAG_U | FLAG_C);
        assert_eq!(a, 0x80);
        assert_eq!(p & (FLAG_N | FLAG_V), FLAG_N | FLAG_V);
    }

    #[test]
    fn decimal_sbc_spot_checks() {
        // 46 - 12 = 34 (carry set means no borrow).
        let (a, p) = sbc_decimal(0x46, 0x12, FLAG_U | FLAG_C);
        assert_eq!((a, p & FLAG_C), (0x34, FLAG_C));
        // 12 - 21 = 91 with borrow.
        let (a, p) = sbc_decimal(0x12, 0x21, FLAG_U | FLAG_C);
        assert_eq!((a, p & FLAG_C), (0x91, 0));
        // 00 - 00 - 1 = 99, N from the binary result $FF.
        let (a, p) = sbc_decimal(0x00, 0x00, FLAG_U);
        assert_eq!(a, 0x99);
        assert_eq!(p & (FLAG_N | FLAG_C | FLAG_Z), FLAG_N);
    }

    #[test]
    fn binary_adc_overflow() {
        let (a, p) = adc_binary(0x7F, 0x01, FLAG_U);
        assert_eq!((a, p), (0x80, FLAG_U | FLAG_N | FLAG_V));
        let (a, p) = sbc_binary(0x00, 0x01, FLAG_U | FLAG_C);
        assert_eq!((a, p), (0xFF, FLAG_U | FLAG_N));
    }
}
