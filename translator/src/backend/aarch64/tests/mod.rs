//! Encoder tests. Every emitted form is decoded back with yaxpeax-arm (an
//! independent A64 decoder) and compared with hand-written assembly text;
//! the bitmask-immediate encoder is checked against a transcription of the
//! ARM ARM's `DecodeBitMasks` over every encoding.

mod forms;
mod labels;
mod logical_imm;
mod mov_imm;
mod reg;

use super::Assembler;
pub(super) use super::disasm::disasm;

/// Runs `build` on a fresh assembler and disassembles the finished code,
/// one instruction per `; `-separated item; an encoding error is returned as
/// its message.
pub(super) fn asm_text(build: impl FnOnce(&mut Assembler)) -> String {
    let mut a = Assembler::new();
    build(&mut a);
    match a.finish() {
        Ok(words) => words
            .iter()
            .map(|&w| disasm(w))
            .collect::<Vec<_>>()
            .join("; "),
        Err(error) => format!("error: {error}"),
    }
}

/// ARM ARM pseudocode `DecodeBitMasks(N, imms, immr, immediate=TRUE)`,
/// returning `wmask` for a `datasize`-bit operation, or `None` for a
/// reserved encoding. Written from the pseudocode, independently of the
/// encoder, to serve as its oracle.
pub(super) fn decode_bit_masks(n: u32, imms: u32, immr: u32, datasize: u32) -> Option<u64> {
    // len = HighestSetBit(N:NOT(imms)); len < 1 is reserved.
    let combined = (n << 6) | (!imms & 0x3f);
    if combined == 0 {
        return None;
    }
    let len = 31 - combined.leading_zeros();
    if len < 1 {
        return None;
    }
    let esize = 1u32 << len;
    if esize > datasize {
        return None;
    }
    let levels = esize - 1;
    // (imms AND levels) == levels would make the element all ones: reserved.
    if imms & levels == levels {
        return None;
    }
    let s = imms & levels;
    let r = immr & levels;
    let welem: u64 = (1u64 << (s + 1)) - 1;
    // ROR(welem, r) within esize bits.
    let emask = if esize == 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    };
    let rotated = if r == 0 {
        welem
    } else {
        ((welem >> r) | (welem << (esize - r))) & emask
    };
    // Replicate to datasize bits.
    let mut wmask = 0u64;
    let mut pos = 0;
    while pos < datasize {
        wmask |= rotated << pos;
        pos += esize;
    }
    Some(wmask)
}

/// Small deterministic xorshift generator for property tests.
pub(super) struct XorShift(pub u64);

impl XorShift {
    pub(super) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}
