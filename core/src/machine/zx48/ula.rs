//! The 48K ULA: frame timing, memory and I/O contention, the floating bus
//! and the picture (bitmap, attributes, FLASH and a T-state exact border).
//!
//! T-states are counted from the start of the frame, the T-state at which
//! the ULA pulls /INT low (FUSE's numbering). The facts used:
//!
//! - a frame is 312 lines of 224 T-states = 69888 T-states; /INT is low for
//!   the first 32 of them;
//! - the first pixel of the screen is shown at T-state 14336 (line 64); each
//!   T-state shows two pixels, a screen line takes 128 T-states;
//! - memory contention starts at T-state 14335: an access starting at
//!   14335 + 224·line + n, line < 192 and n < 128, waits
//!   `[6, 5, 4, 3, 2, 1, 0, 0][n % 8]` T-states;
//! - I/O contention follows the port: a high byte in $40-$7F behaves like a
//!   contended address, bit 0 clear selects the ULA, giving the four
//!   patterns C:1,C:3 / C:1,C:1,C:1,C:1 / N:1,C:3 / N:4;
//! - the ULA reads bitmap, attribute, bitmap+1, attribute+1 in the first
//!   four T-states of each 8-T-state group of a screen line and leaves the
//!   bus idle ($FF) otherwise: that is what an unattached port reads.
//!
//! Where sources differ by a T-state we follow FUSE, whose timings the
//! contention tables above come from: an I/O read samples the bus in its
//! last T-state, and a read sampling at 14339 (an `IN` cycle starting at
//! 14336) sees the bitmap byte at $4000; the sinclair.wiki table lists that
//! fetch at 14338 in its own numbering.
//!
//! The visible picture is 352×288: the 256×192 screen with 48 border pixels
//! on each side (24 T-states left and right, 48 lines above and below), so
//! its top-left pixel is shown at T-state 14336 − 48·224 − 24 = 3560. The
//! beam draws two pixels a T-state in row order. A border change takes
//! effect at the pixel pair shown at the T-state the `OUT` reaches the ULA
//! (no 4-T-state rounding). The ULA latches a character cell's bitmap and
//! attribute when the beam reaches its first pixel, so a screen write shows
//! on this frame only if it lands before then.

use serde::{Deserialize, Serialize};

/// T-states per frame.
pub const FRAME_TSTATES: u32 = 69_888;
/// T-states per line.
pub const LINE_TSTATES: u32 = 224;
/// T-states /INT stays low at the start of each frame.
pub const INT_TSTATES: u32 = 32;
/// The first T-state an access to contended memory can be delayed at.
pub const CONTENTION_START: u32 = 14_335;
/// The T-state at which the top-left screen pixel is shown.
pub const FIRST_PIXEL: u32 = 14_336;

/// Screen lines and T-states of a screen line.
const SCREEN_LINES: u32 = 192;
const SCREEN_LINE_TSTATES: u32 = 128;
const DELAYS: [u8; 8] = [6, 5, 4, 3, 2, 1, 0, 0];

/// Border pixels left and right of the screen.
pub const BORDER_X: usize = 48;
/// Border lines above and below the screen.
pub const BORDER_Y: usize = 48;
/// Width of the picture.
pub const WIDTH: usize = 256 + 2 * BORDER_X;
/// Height of the picture.
pub const HEIGHT: usize = 192 + 2 * BORDER_Y;
/// Each T-state shows two pixels: the renderer works in pairs.
const PAIRS_PER_ROW: usize = WIDTH / 2;
const PAIRS: usize = PAIRS_PER_ROW * HEIGHT;
/// The T-state of the top-left visible pixel.
const FIRST_VISIBLE: u32 = FIRST_PIXEL - (BORDER_Y as u32) * LINE_TSTATES - (BORDER_X as u32) / 2;

/// The standard palette, RGBA: black, blue, red, magenta, green, cyan,
/// yellow, white, then the same with BRIGHT.
pub const PALETTE: [[u8; 4]; 16] = [
    [0x00, 0x00, 0x00, 0xFF],
    [0x00, 0x00, 0xD7, 0xFF],
    [0xD7, 0x00, 0x00, 0xFF],
    [0xD7, 0x00, 0xD7, 0xFF],
    [0x00, 0xD7, 0x00, 0xFF],
    [0x00, 0xD7, 0xD7, 0xFF],
    [0xD7, 0xD7, 0x00, 0xFF],
    [0xD7, 0xD7, 0xD7, 0xFF],
    [0x00, 0x00, 0x00, 0xFF],
    [0x00, 0x00, 0xFF, 0xFF],
    [0xFF, 0x00, 0x00, 0xFF],
    [0xFF, 0x00, 0xFF, 0xFF],
    [0x00, 0xFF, 0x00, 0xFF],
    [0x00, 0xFF, 0xFF, 0xFF],
    [0xFF, 0xFF, 0x00, 0xFF],
    [0xFF, 0xFF, 0xFF, 0xFF],
];

/// Wait states for a memory access (or an internal T-state) with a
/// contended address starting at frame T-state `t`.
#[inline(always)]
pub fn contention(t: u32) -> u32 {
    let Some(rel) = t.checked_sub(CONTENTION_START) else {
        return 0;
    };
    let line = rel / LINE_TSTATES;
    let pos = rel % LINE_TSTATES;
    if line < SCREEN_LINES && pos < SCREEN_LINE_TSTATES {
        u32::from(DELAYS[(pos % 8) as usize])
    } else {
        0
    }
}

/// Whether `addr` is in the contended 16 KiB ($4000-$7FFF).
#[inline(always)]
pub const fn contended(addr: u16) -> bool {
    addr & 0xC000 == 0x4000
}

/// The timing of one I/O cycle starting at frame T-state `t` on `port`:
/// the wait states it suffers, and the offset from `t` at which a write
/// reaches the device (the end of the cycle's first T-state, after its
/// contention, as FUSE models it). Reads sample the bus in the cycle's last
/// T-state.
pub fn io_contention(port: u16, t: u32) -> (u32, u32) {
    // The cycle's T-states in pieces, each (contended, length): "C:1, C:3"
    // waits for the ULA before the first T-state and before the other three.
    const C1_C3: &[(bool, u32)] = &[(true, 1), (true, 3)];
    const C1_C1_C1_C1: &[(bool, u32)] = &[(true, 1), (true, 1), (true, 1), (true, 1)];
    const N1_C3: &[(bool, u32)] = &[(false, 1), (true, 3)];
    const N4: &[(bool, u32)] = &[(false, 1), (false, 3)];
    let pieces = match (contended(port), port & 1 == 0) {
        (true, true) => C1_C3,
        (true, false) => C1_C1_C1_C1,
        (false, true) => N1_C3,
        (false, false) => N4,
    };
    let mut now = t;
    let mut write_at = 0;
    for (i, &(waits, length)) in pieces.iter().enumerate() {
        if waits {
            now += contention(now);
        }
        now += length;
        if i == 0 {
            write_at = now - t;
        }
    }
    (now - t - 4, write_at)
}

/// Screen address of bitmap byte `column` of screen line `line`.
#[inline(always)]
pub const fn bitmap_addr(line: u32, column: u32) -> u16 {
    (0x4000 | ((line & 0xC0) << 5) | ((line & 7) << 8) | ((line & 0x38) << 2) | column) as u16
}

/// Address of the attribute byte over screen line `line`, `column`.
#[inline(always)]
pub const fn attr_addr(line: u32, column: u32) -> u16 {
    (0x5800 + (line / 8) * 32 + column) as u16
}

/// What the ULA has on its data bus at frame T-state `t`: the byte an
/// unattached port reads there.
pub fn floating_bus(mem: &[u8; 0x10000], t: u32) -> u8 {
    let Some(rel) = t.checked_sub(FIRST_PIXEL) else {
        return 0xFF;
    };
    let line = rel / LINE_TSTATES;
    let pos = rel % LINE_TSTATES;
    if line >= SCREEN_LINES || pos >= SCREEN_LINE_TSTATES {
        return 0xFF;
    }
    let column = (pos / 8) * 2;
    let addr = match pos % 8 {
        3 => bitmap_addr(line, column),
        4 => attr_addr(line, column),
        5 => bitmap_addr(line, column + 1),
        6 => attr_addr(line, column + 1),
        _ => return 0xFF,
    };
    mem[usize::from(addr)]
}

/// The beam: renders the picture lazily, in T-state order, up to the
/// T-state of each screen write or border change, so that both show up
/// where the real ULA would draw them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Video {
    /// The next pixel pair to draw (row-major, [`WIDTH`]/2 pairs a row).
    beam: usize,
    /// The border colour (0-7).
    pub border: u8,
    /// Frames since power-on: FLASH swaps ink and paper every 16.
    frames: u32,
    /// The bitmap and attribute bytes of the character cell being drawn,
    /// latched at its first pixel pair like the ULA latches them.
    bitmap: u8,
    attr: u8,
}

impl Default for Video {
    fn default() -> Self {
        Self {
            beam: 0,
            border: 7,
            frames: 0,
            bitmap: 0,
            attr: 0,
        }
    }
}

impl Video {
    /// Draws every pixel pair the beam shows before frame T-state `t`.
    pub fn render_to(&mut self, t: u32, mem: &[u8; 0x10000], rgba: &mut [u8]) {
        let Some(rel) = t.checked_sub(FIRST_VISIBLE) else {
            return;
        };
        let row = (rel / LINE_TSTATES) as usize;
        let col = (rel % LINE_TSTATES) as usize;
        // Pairs drawn before t: all of the rows above, and the part of this
        // row before t (a row's pairs are its first PAIRS_PER_ROW T-states).
        let end = (row * PAIRS_PER_ROW + col.min(PAIRS_PER_ROW)).min(PAIRS);
        let flash = (self.frames / 16) % 2 == 1;
        let border = PALETTE[usize::from(self.border & 7)];
        while self.beam < end {
            let row = self.beam / PAIRS_PER_ROW;
            let x = (self.beam % PAIRS_PER_ROW) * 2;
            let (left, right) = if (BORDER_Y..BORDER_Y + 192).contains(&row)
                && (BORDER_X..BORDER_X + 256).contains(&x)
            {
                let line = (row - BORDER_Y) as u32;
                let px = (x - BORDER_X) as u32;
                if px.is_multiple_of(8) {
                    self.bitmap = mem[usize::from(bitmap_addr(line, px / 8))];
                    self.attr = mem[usize::from(attr_addr(line, px / 8))];
                }
                let bright = usize::from(self.attr & 0x40 != 0) * 8;
                let mut ink = PALETTE[usize::from(self.attr & 7) + bright];
                let mut paper = PALETTE[usize::from((self.attr >> 3) & 7) + bright];
                if flash && self.attr & 0x80 != 0 {
                    core::mem::swap(&mut ink, &mut paper);
                }
                let bits = self.bitmap << (px % 8);
                (
                    if bits & 0x80 != 0 { ink } else { paper },
                    if bits & 0x40 != 0 { ink } else { paper },
                )
            } else {
                (border, border)
            };
            let at = self.beam * 8;
            if let Some(out) = rgba.get_mut(at..at + 8) {
                out[..4].copy_from_slice(&left);
                out[4..].copy_from_slice(&right);
            }
            self.beam += 1;
        }
    }

    /// Finishes the frame's picture and moves the beam back to the top.
    pub fn end_frame(&mut self, mem: &[u8; 0x10000], rgba: &mut [u8]) {
        self.render_to(FRAME_TSTATES, mem, rgba);
        self.beam = 0;
        self.frames = self.frames.wrapping_add(1);
    }

    /// Redraws the whole picture from memory as it is now (after a snapshot
    /// or a loaded state, whose picture was never drawn).
    pub fn redraw(&mut self, mem: &[u8; 0x10000], rgba: &mut [u8]) {
        let beam = self.beam;
        self.beam = 0;
        self.render_to(FRAME_TSTATES, mem, rgba);
        self.beam = beam;
    }
}
