//! Z80 arithmetic and flag computation, documented and undocumented bits.
//!
//! Pure functions over values and the incoming F, shared by the interpreter
//! (and usable by a lifter's constant folder). Bits 3 and 5 (X and Y) follow
//! the measured NMOS behaviour: most instructions copy them from the result,
//! the exceptions say where theirs come from.

use super::decode::{AluOp, ShiftOp};
use super::state::{FLAG_C, FLAG_H, FLAG_N, FLAG_PV, FLAG_S, FLAG_X, FLAG_Y, FLAG_Z};

/// Flags that copy the result directly: S, Y, X.
const SXY: u8 = FLAG_S | FLAG_X | FLAG_Y;

const fn build_sz53(parity: bool) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let v = i as u8;
        let mut f = v & SXY;
        if v == 0 {
            f |= FLAG_Z;
        }
        if parity && v.count_ones() & 1 == 0 {
            f |= FLAG_PV;
        }
        t[i] = f;
        i += 1;
    }
    t
}

/// S, Z, Y, X of a byte result.
pub const SZ53: [u8; 256] = build_sz53(false);
/// S, Z, Y, X and even parity (P/V) of a byte result.
pub const SZ53P: [u8; 256] = build_sz53(true);

/// P/V set when `v` has even parity.
#[inline(always)]
pub const fn parity(v: u8) -> u8 {
    SZ53P[v as usize] & FLAG_PV
}

/// 8-bit addition with carry-in: (result, flags).
#[inline(always)]
pub const fn add8(a: u8, v: u8, carry: u8) -> (u8, u8) {
    let wide = a as u16 + v as u16 + carry as u16;
    let r = wide as u8;
    let overflow = ((a ^ r) & (v ^ r) & 0x80) >> 5;
    let f = SZ53[r as usize] | ((a ^ v ^ r) & FLAG_H) | overflow | (wide >> 8) as u8;
    (r, f)
}

/// 8-bit subtraction with borrow-in: (result, flags).
#[inline(always)]
pub const fn sub8(a: u8, v: u8, borrow: u8) -> (u8, u8) {
    let wide = (a as u16)
        .wrapping_sub(v as u16)
        .wrapping_sub(borrow as u16);
    let r = wide as u8;
    let overflow = ((a ^ v) & (a ^ r) & 0x80) >> 5;
    let f = SZ53[r as usize]
        | FLAG_N
        | ((a ^ v ^ r) & FLAG_H)
        | overflow
        | ((wide >> 8) as u8 & FLAG_C);
    (r, f)
}

/// One of the eight accumulator operations: (new A, new F).
#[inline(always)]
pub const fn alu(op: AluOp, a: u8, v: u8, f: u8) -> (u8, u8) {
    match op {
        AluOp::Add => add8(a, v, 0),
        AluOp::Adc => add8(a, v, f & FLAG_C),
        AluOp::Sub => sub8(a, v, 0),
        AluOp::Sbc => sub8(a, v, f & FLAG_C),
        AluOp::And => {
            let r = a & v;
            (r, SZ53P[r as usize] | FLAG_H)
        }
        AluOp::Xor => {
            let r = a ^ v;
            (r, SZ53P[r as usize])
        }
        AluOp::Or => {
            let r = a | v;
            (r, SZ53P[r as usize])
        }
        AluOp::Cp => {
            // Flags of the subtraction, except X/Y which come from the operand.
            let (_, sf) = sub8(a, v, 0);
            (a, (sf & !(FLAG_X | FLAG_Y)) | (v & (FLAG_X | FLAG_Y)))
        }
    }
}

/// INC r: (result, flags); C is kept.
#[inline(always)]
pub const fn inc8(v: u8, f: u8) -> (u8, u8) {
    let r = v.wrapping_add(1);
    let mut nf = (f & FLAG_C) | SZ53[r as usize];
    if r & 0x0F == 0 {
        nf |= FLAG_H;
    }
    if r == 0x80 {
        nf |= FLAG_PV;
    }
    (r, nf)
}

/// DEC r: (result, flags); C is kept.
#[inline(always)]
pub const fn dec8(v: u8, f: u8) -> (u8, u8) {
    let r = v.wrapping_sub(1);
    let mut nf = (f & FLAG_C) | FLAG_N | SZ53[r as usize];
    if r & 0x0F == 0x0F {
        nf |= FLAG_H;
    }
    if r == 0x7F {
        nf |= FLAG_PV;
    }
    (r, nf)
}

/// CB-page rotates and shifts: (result, flags).
#[inline(always)]
pub const fn shift(op: ShiftOp, v: u8, f: u8) -> (u8, u8) {
    let (r, c) = match op {
        ShiftOp::Rlc => (v.rotate_left(1), v >> 7),
        ShiftOp::Rrc => (v.rotate_right(1), v & 1),
        ShiftOp::Rl => ((v << 1) | (f & FLAG_C), v >> 7),
        ShiftOp::Rr => ((v >> 1) | (f << 7), v & 1),
        ShiftOp::Sla => (v << 1, v >> 7),
        ShiftOp::Sra => ((v >> 1) | (v & 0x80), v & 1),
        ShiftOp::Sll => ((v << 1) | 1, v >> 7),
        ShiftOp::Srl => (v >> 1, v & 1),
    };
    (r, SZ53P[r as usize] | c)
}

/// The accumulator rotates RLCA/RRCA/RLA/RRA keep S, Z and P/V; X/Y come
/// from the new A.
#[inline(always)]
pub const fn rotate_a(op: ShiftOp, a: u8, f: u8) -> (u8, u8) {
    let (r, c) = match op {
        ShiftOp::Rlc => (a.rotate_left(1), a >> 7),
        ShiftOp::Rrc => (a.rotate_right(1), a & 1),
        ShiftOp::Rl => ((a << 1) | (f & FLAG_C), a >> 7),
        _ => ((a >> 1) | (f << 7), a & 1),
    };
    (
        r,
        (f & (FLAG_S | FLAG_Z | FLAG_PV)) | (r & (FLAG_X | FLAG_Y)) | c,
    )
}

/// BIT n: Z and P/V = bit clear, S = bit 7 tested and set, H set, C kept;
/// X/Y come from `xy` (the operand for registers, MEMPTR's high byte for
/// memory operands).
#[inline(always)]
pub const fn bit(n: u8, v: u8, xy: u8, f: u8) -> u8 {
    let set = v & (1 << n);
    let mut nf = (f & FLAG_C) | FLAG_H | (xy & (FLAG_X | FLAG_Y)) | (set & FLAG_S);
    if set == 0 {
        nf |= FLAG_Z | FLAG_PV;
    }
    nf
}

/// Flags of INI/OUTI and friends after a step: `b` is B after its
/// decrement, `v` the byte moved, `k` its sum with C+-1 (IN) or with L
/// after the step (OUT). `rewound_pc_high` is `Some(PC >> 8)` when a
/// repeating instruction goes round again: X/Y then come from the rewound
/// PC, and the repeat cycle runs B through the ALU once more, which leaves
/// its own H and parity contribution.
#[inline(always)]
pub const fn block_io_flags(b: u8, v: u8, k: u16, rewound_pc_high: Option<u8>) -> u8 {
    let carry = k > 0xFF;
    let mut f = SZ53[b as usize] | ((v >> 6) & FLAG_N);
    if carry {
        f |= FLAG_H | FLAG_C;
    }
    let mut pv = (k as u8 & 7) ^ b;
    if let Some(pc_high) = rewound_pc_high {
        f = (f & !(FLAG_X | FLAG_Y)) | (pc_high & (FLAG_X | FLAG_Y));
        if carry {
            let (adj, half) = if v & 0x80 != 0 {
                (b.wrapping_sub(1), b & 0x0F == 0x00)
            } else {
                (b.wrapping_add(1), b & 0x0F == 0x0F)
            };
            pv ^= adj & 7;
            f = (f & !FLAG_H) | if half { FLAG_H } else { 0 };
        } else {
            pv ^= b & 7;
        }
    }
    f | parity(pv)
}

/// DAA: (new A, new F).
#[inline(always)]
pub const fn daa(a: u8, f: u8) -> (u8, u8) {
    let mut adjust = 0u8;
    let mut carry = f & FLAG_C;
    if f & FLAG_H != 0 || a & 0x0F > 9 {
        adjust |= 0x06;
    }
    if carry != 0 || a > 0x99 {
        adjust |= 0x60;
        carry = FLAG_C;
    }
    let r = if f & FLAG_N != 0 {
        a.wrapping_sub(adjust)
    } else {
        a.wrapping_add(adjust)
    };
    (
        r,
        SZ53P[r as usize] | (f & FLAG_N) | carry | ((a ^ r) & FLAG_H),
    )
}

/// ADD rr,rr: (result, flags). S, Z, P/V kept; H from bit 11; X/Y from the
/// high byte of the result.
#[inline(always)]
pub const fn add16(a: u16, v: u16, f: u8) -> (u16, u8) {
    let wide = a as u32 + v as u32;
    let r = wide as u16;
    let nf = (f & (FLAG_S | FLAG_Z | FLAG_PV))
        | ((r >> 8) as u8 & (FLAG_X | FLAG_Y))
        | (((a ^ v ^ r) >> 8) as u8 & FLAG_H)
        | (wide >> 16) as u8;
    (r, nf)
}

/// ADC HL,rr: (result, flags), all flags from the 16-bit result.
#[inline(always)]
pub const fn adc16(a: u16, v: u16, f: u8) -> (u16, u8) {
    let wide = a as u32 + v as u32 + (f & FLAG_C) as u32;
    let r = wide as u16;
    let hi = (r >> 8) as u8;
    let mut nf = (hi & SXY)
        | (((a ^ v ^ r) >> 8) as u8 & FLAG_H)
        | ((((a ^ r) & (v ^ r)) >> 13) as u8 & FLAG_PV)
        | (wide >> 16) as u8;
    if r == 0 {
        nf |= FLAG_Z;
    }
    (r, nf)
}

/// SBC HL,rr: (result, flags), all flags from the 16-bit result.
#[inline(always)]
pub const fn sbc16(a: u16, v: u16, f: u8) -> (u16, u8) {
    let wide = (a as u32)
        .wrapping_sub(v as u32)
        .wrapping_sub((f & FLAG_C) as u32);
    let r = wide as u16;
    let hi = (r >> 8) as u8;
    let mut nf = (hi & SXY)
        | FLAG_N
        | (((a ^ v ^ r) >> 8) as u8 & FLAG_H)
        | ((((a ^ v) & (a ^ r)) >> 13) as u8 & FLAG_PV)
        | ((wide >> 16) as u8 & FLAG_C);
    if r == 0 {
        nf |= FLAG_Z;
    }
    (r, nf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_sets_overflow_half_and_carry() {
        assert_eq!(add8(0x7F, 1, 0), (0x80, FLAG_S | FLAG_H | FLAG_PV));
        assert_eq!(add8(0xFF, 1, 0), (0x00, FLAG_Z | FLAG_H | FLAG_C));
    }

    #[test]
    fn cp_takes_xy_from_the_operand() {
        let (a, f) = alu(AluOp::Cp, 0x00, 0x28, 0);
        assert_eq!(a, 0);
        assert_eq!(f & (FLAG_X | FLAG_Y), 0x28);
        assert_ne!(f & FLAG_C, 0);
    }

    #[test]
    fn daa_corrects_bcd_addition() {
        let (sum, f) = add8(0x19, 0x28, 0);
        assert_eq!(daa(sum, f).0, 0x47);
        let (diff, f) = sub8(0x47, 0x28, 0);
        assert_eq!(daa(diff, f).0, 0x19);
    }

    #[test]
    fn sbc16_flags_zero_and_borrow() {
        assert_eq!(sbc16(0x1000, 0x1000, 0).1 & (FLAG_Z | FLAG_C), FLAG_Z);
        assert_ne!(sbc16(0x0000, 0x0001, 0).1 & FLAG_C, 0);
    }
}
