//! PC-relative offset fields, and the stand-alone words that code patching
//! (the block linker, jitmem's journal validator) builds and checks without
//! an [`Assembler`](super::Assembler).

use super::error::EncodeError;

/// `NOP` ("Hints" class, `HINT #0`).
pub const NOP: u32 = 0xd503_201f;

/// `B` opcode bits ("Unconditional branch (immediate)", op=0).
pub(crate) const B_OPCODE: u32 = 0x1400_0000;
/// `BL` opcode bits ("Unconditional branch (immediate)", op=1).
pub(crate) const BL_OPCODE: u32 = 0x9400_0000;
/// Mask selecting the opcode bits of B/BL (everything but imm26).
const B_MASK: u32 = 0xfc00_0000;

/// `BRK #imm` ("Exception generation" class): traps to the debugger; used to
/// poison code and as a marker no path should reach.
pub const fn brk(imm: u16) -> u32 {
    0xd420_0000 | (imm as u32) << 5
}

/// Reach of `B`/`BL`: a signed 26-bit word offset, i.e. -128 MiB..+128 MiB-4.
pub const B_RANGE: (i64, i64) = PcRelField::Imm26.range();

/// The word of `B to_addr` placed at `from_addr`, or `None` when either
/// address is not 4-byte aligned or the target is out of the ±128 MiB reach.
pub fn encode_b(from_addr: u64, to_addr: u64) -> Option<u32> {
    if !from_addr.is_multiple_of(4) || !to_addr.is_multiple_of(4) {
        return None;
    }
    let delta = i64::try_from(i128::from(to_addr) - i128::from(from_addr)).ok()?;
    PcRelField::Imm26.insert(B_OPCODE, delta).ok()
}

/// The target of `word` placed at `at` if it is a `B` (not `BL` or any other
/// instruction), or `None`; also `None` if the target would leave the address
/// space.
pub fn decode_b(word: u32, at: u64) -> Option<u64> {
    if word & B_MASK != B_OPCODE {
        return None;
    }
    at.checked_add_signed(PcRelField::Imm26.extract(word))
}

/// The PC-relative offset fields of the branch and address-generation
/// classes. Offsets are in bytes, relative to the instruction's own address.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PcRelField {
    /// B, BL: word offset in bits 25:0.
    Imm26,
    /// B.cond, CBZ/CBNZ: word offset in bits 23:5.
    Imm19,
    /// TBZ/TBNZ: word offset in bits 18:5.
    Imm14,
    /// ADR: byte offset, low 2 bits in 30:29 (immlo), high 19 in 23:5 (immhi).
    Adr21,
}

impl PcRelField {
    /// Bit width of the signed offset field, and the unit it counts in (log2).
    const fn shape(self) -> (u32, u32) {
        match self {
            PcRelField::Imm26 => (26, 2),
            PcRelField::Imm19 => (19, 2),
            PcRelField::Imm14 => (14, 2),
            PcRelField::Adr21 => (21, 0),
        }
    }

    /// Reachable byte offsets, inclusive.
    pub(crate) const fn range(self) -> (i64, i64) {
        let (bits, unit) = self.shape();
        let min = -(1i64 << (bits - 1)) << unit;
        let max = ((1i64 << (bits - 1)) - 1) << unit;
        (min, max)
    }

    /// `word` with its offset field replaced by `delta` bytes.
    pub(crate) fn insert(self, word: u32, delta: i64) -> Result<u32, EncodeError> {
        let (bits, unit) = self.shape();
        if delta & ((1 << unit) - 1) != 0 {
            return Err(EncodeError::Misaligned {
                value: i128::from(delta),
                align: 1 << unit,
            });
        }
        let (min, max) = self.range();
        if !(min..=max).contains(&delta) {
            return Err(EncodeError::BranchOutOfRange { delta, min, max });
        }
        let imm = ((delta >> unit) as u32) & ((1 << bits) - 1);
        Ok(match self {
            PcRelField::Imm26 => (word & !0x03ff_ffff) | imm,
            PcRelField::Imm19 => (word & !(0x7_ffff << 5)) | (imm << 5),
            PcRelField::Imm14 => (word & !(0x3fff << 5)) | (imm << 5),
            PcRelField::Adr21 => {
                (word & !((0b11 << 29) | (0x7_ffff << 5)))
                    | ((imm & 0b11) << 29)
                    | ((imm >> 2) << 5)
            }
        })
    }

    /// The byte offset held in `word`'s field.
    pub(crate) fn extract(self, word: u32) -> i64 {
        let (bits, unit) = self.shape();
        let raw = match self {
            PcRelField::Imm26 => word & 0x03ff_ffff,
            PcRelField::Imm19 => (word >> 5) & 0x7_ffff,
            PcRelField::Imm14 => (word >> 5) & 0x3fff,
            PcRelField::Adr21 => ((word >> 29) & 0b11) | (((word >> 5) & 0x7_ffff) << 2),
        };
        // Sign-extend the field from its top bit.
        let shift = 32 - bits;
        i64::from(((raw << shift) as i32) >> shift) << unit
    }
}
