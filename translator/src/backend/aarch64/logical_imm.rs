//! Bitmask immediates of the "Logical (immediate)" class (AND/ORR/EOR/ANDS).
//!
//! A bitmask immediate is an element of 2, 4, 8, 16, 32 or 64 bits holding
//! one contiguous run of ones (neither all zeros nor all ones), rotated right
//! by `immr`, and replicated to fill the register (ARM ARM pseudocode
//! `DecodeBitMasks`). The element size and run length share the `N:imms`
//! fields: `N:NOT(imms)` has its highest set bit at log2(element size), and
//! the bits below it hold `run length - 1`.

/// Encodes `value` as the `(N, immr, imms)` fields of a logical immediate for
/// a 64-bit (`is64`) or 32-bit operation, or `None` if it has no encoding.
///
/// For 32-bit operations `value` must fit in 32 bits, and `N` is always 0.
/// The encoding is canonical: `immr` is less than the element size.
pub fn encode_logical_imm(value: u64, is64: bool) -> Option<(u32, u32, u32)> {
    let value = if is64 {
        value
    } else {
        let low = u32::try_from(value).ok()?;
        // A 32-bit pattern is the 64-bit pattern of its replication.
        u64::from(low) | (u64::from(low) << 32)
    };
    if value == 0 || value == u64::MAX {
        return None;
    }

    // Smallest element size whose replication reproduces the value.
    let mut size = 64u32;
    while size > 2 {
        let half = size / 2;
        let mask = (1u64 << half) - 1;
        if value & mask != (value >> half) & mask {
            break;
        }
        size = half;
    }
    let mask = if size == 64 {
        u64::MAX
    } else {
        (1u64 << size) - 1
    };
    let elem = value & mask;

    // The element must be one run of ones, possibly wrapping around its top.
    // `start` is the bit where the run begins; the encoder rotates a run
    // that starts at bit 0 right by `immr`, so immr = -start mod size.
    let ones = elem.count_ones();
    let start = if is_low_run(elem >> elem.trailing_zeros()) {
        elem.trailing_zeros()
    } else {
        // Wrapping run: its complement (within the element) is a plain run
        // of zeros, and the ones begin just above it.
        let zeros = !elem & mask;
        if !is_low_run(zeros >> zeros.trailing_zeros()) {
            return None;
        }
        zeros.trailing_zeros() + zeros.count_ones()
    };
    let immr = (size - start) % size;
    // High bits of imms select the element size (0b0xxxxx for 32,
    // 0b10xxxx for 16, ... 0b11110x for 2); N=1 selects 64.
    let imms = ((!(2 * size - 1)) & 0x3f) | (ones - 1);
    let n = u32::from(size == 64);
    Some((n, immr, imms))
}

/// Whether `x` is of the form 0b0..01..1 (including zero).
fn is_low_run(x: u64) -> bool {
    x & x.wrapping_add(1) == 0
}
