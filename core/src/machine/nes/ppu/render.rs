//! Rendering lines: the per-dot schedule of the visible and pre-render
//! lines, background fetches into the shift registers, the loopy v
//! increments and copies, and the pixel multiplexer.

use serde::{Deserialize, Serialize};

use super::{
    CTRL_BG_TABLE, MASK_BG, MASK_BG_LEFT, MASK_GRAYSCALE, MASK_SPRITES, MASK_SPRITES_LEFT, Ppu,
    PpuBus, STATUS_SPRITE0_HIT, palette_index,
};

/// Background fetch latches and the 16-bit shift registers they feed.
/// Bit 15 of each shift register is the leftmost pixel still to be shown.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Background {
    /// Nametable byte (tile number) of the tile being fetched.
    tile: u8,
    /// The tile's 2-bit palette number, already picked out of the attribute byte.
    palette: u8,
    /// Pattern bitplane 0 of the tile being fetched.
    pattern_lo: u8,
    /// Pattern bitplane 1 of the tile being fetched.
    pattern_hi: u8,
    /// Pattern bitplane 0 shifter.
    shift_lo: u16,
    /// Pattern bitplane 1 shifter.
    shift_hi: u16,
    /// Palette bit 0 shifter (a tile's 8 bits are all equal).
    attr_lo: u16,
    /// Palette bit 1 shifter.
    attr_hi: u16,
}

impl Background {
    /// Shift every register one pixel left.
    fn shift(&mut self) {
        self.shift_lo <<= 1;
        self.shift_hi <<= 1;
        self.attr_lo <<= 1;
        self.attr_hi <<= 1;
    }

    /// Load the fetched tile into the low halves of the shift registers.
    fn reload(&mut self) {
        self.shift_lo = (self.shift_lo & 0xFF00) | u16::from(self.pattern_lo);
        self.shift_hi = (self.shift_hi & 0xFF00) | u16::from(self.pattern_hi);
        self.attr_lo = (self.attr_lo & 0xFF00) | if self.palette & 1 != 0 { 0xFF } else { 0 };
        self.attr_hi = (self.attr_hi & 0xFF00) | if self.palette & 2 != 0 { 0xFF } else { 0 };
    }

    /// The 2-bit pattern value and palette number at fine X scroll `fine_x`.
    fn pixel(&self, fine_x: u8) -> (u8, u8) {
        let bit = 15 - fine_x;
        let pattern = ((self.shift_lo >> bit) & 1) | (((self.shift_hi >> bit) & 1) << 1);
        let palette = ((self.attr_lo >> bit) & 1) | (((self.attr_hi >> bit) & 1) << 1);
        (pattern as u8, palette as u8)
    }
}

impl Ppu {
    /// One dot of a visible line (`visible`) or of the pre-render line.
    ///
    /// Schedule (nesdev "PPU rendering"), with each 2-dot memory access
    /// performed on its first (odd) dot:
    /// - 1-256: background tiles, fetches at dot%8 = 1 (nametable),
    ///   3 (attribute), 5 (pattern low), 7 (pattern high); coarse X
    ///   increments at every dot%8 = 0, Y at 256. Pixels are output at
    ///   dots 1-256, the shifters shift at 2-257 and reload at 9, 17, ...
    ///   (257 is skipped: dots 322-337 shift all of it out unseen).
    /// - 257-320: sprite fetches, OAMADDR held at 0; horizontal copy at 257;
    ///   vertical copy at 280-304 of the pre-render line.
    /// - 321-336: the first two tiles of the next line.
    /// - 337, 339: the two garbage nametable fetches.
    pub(super) fn render_line_dot<B: PpuBus>(&mut self, bus: &mut B, visible: bool) {
        let dot = self.dot;
        let rendering = self.rendering_enabled();
        match dot {
            1..=256 => {
                if rendering {
                    if dot >= 2 {
                        self.bg.shift();
                    }
                    if dot & 7 == 1 && dot >= 9 {
                        self.bg.reload();
                    }
                }
                if visible {
                    self.output_pixel(rendering, (dot - 1) as u8);
                }
                if rendering {
                    self.background_fetch(bus, dot);
                    if visible {
                        self.evaluate_sprites(dot);
                    }
                    if dot == 256 {
                        self.increment_y();
                    }
                }
            }
            // Outside the picture nothing happens without rendering; the
            // output units then hold nothing for the next line.
            257 if !rendering => self.sprites.clear_line(),
            _ if !rendering => {}
            257..=320 => {
                if dot == 257 {
                    self.copy_horizontal();
                }
                if !visible && (280..=304).contains(&dot) {
                    self.copy_vertical();
                }
                self.oam_addr = 0;
                self.fetch_sprites(bus, dot, visible);
            }
            321..=336 => {
                if dot >= 322 {
                    self.bg.shift();
                }
                if dot == 329 {
                    self.bg.reload();
                }
                self.background_fetch(bus, dot);
            }
            337..=340 => {
                if dot == 337 {
                    self.bg.shift();
                    self.bg.reload();
                }
                if dot & 1 == 1 {
                    bus.read(self.nametable_address());
                }
            }
            _ => {}
        }
    }

    /// The background fetch or v increment due at `dot` (1-256, 321-336).
    fn background_fetch<B: PpuBus>(&mut self, bus: &mut B, dot: u16) {
        match dot & 7 {
            1 => self.bg.tile = bus.read(self.nametable_address()),
            3 => {
                let v = self.v;
                let addr = 0x23C0 | (v & 0x0C00) | ((v >> 4) & 0x38) | ((v >> 2) & 0x07);
                let attribute = bus.read(addr);
                // Which 2-bit quadrant of the 32x32 area: coarse Y bit 1, coarse X bit 1.
                let shift = ((v >> 4) & 4) | (v & 2);
                self.bg.palette = (attribute >> shift) & 3;
            }
            5 => self.bg.pattern_lo = bus.read(self.background_pattern_address()),
            7 => self.bg.pattern_hi = bus.read(self.background_pattern_address() + 8),
            0 => self.increment_coarse_x(),
            _ => {}
        }
    }

    /// Nametable byte address for v.
    pub(super) fn nametable_address(&self) -> u16 {
        0x2000 | (self.v & 0x0FFF)
    }

    /// Bitplane 0 address of the latched tile's row at v's fine Y.
    fn background_pattern_address(&self) -> u16 {
        let table = if self.ctrl & CTRL_BG_TABLE != 0 {
            0x1000
        } else {
            0
        };
        table | (u16::from(self.bg.tile) << 4) | (self.v >> 12)
    }

    /// Coarse X + 1, wrapping into the horizontally adjacent nametable.
    pub(super) fn increment_coarse_x(&mut self) {
        if self.v & 0x001F == 31 {
            self.v = (self.v & !0x001F) ^ 0x0400;
        } else {
            self.v += 1;
        }
    }

    /// Fine Y + 1, carrying into coarse Y; row 29 wraps into the vertically
    /// adjacent nametable, rows 30-31 (attribute data) wrap without switching.
    pub(super) fn increment_y(&mut self) {
        if self.v & 0x7000 != 0x7000 {
            self.v += 0x1000;
            return;
        }
        self.v &= !0x7000;
        let coarse_y = match (self.v >> 5) & 0x1F {
            29 => {
                self.v ^= 0x0800;
                0
            }
            31 => 0,
            y => y + 1,
        };
        self.v = (self.v & !0x03E0) | (coarse_y << 5);
    }

    /// v: ....A.. ...BCDEF <- t.
    fn copy_horizontal(&mut self) {
        self.v = (self.v & !0x041F) | (self.t & 0x041F);
    }

    /// v: GHIA.BC DEF..... <- t.
    fn copy_vertical(&mut self) {
        self.v = (self.v & !0x7BE0) | (self.t & 0x7BE0);
    }

    /// Compose and store pixel `x` of the current line.
    fn output_pixel(&mut self, rendering: bool, x: u8) {
        let mask = self.mask;
        let index = if rendering {
            let left_edge = x < 8;
            let (bg_pattern, bg_palette) =
                if mask & MASK_BG != 0 && (!left_edge || mask & MASK_BG_LEFT != 0) {
                    self.bg.pixel(self.fine_x)
                } else {
                    (0, 0)
                };
            let sprite =
                if mask & MASK_SPRITES != 0 && (!left_edge || mask & MASK_SPRITES_LEFT != 0) {
                    self.sprites.pixel(x)
                } else {
                    None
                };
            match sprite {
                Some(sprite) => {
                    // Sprite 0 hit: both layers opaque (which already implies
                    // both enabled and unclipped here), never at x = 255.
                    if sprite.is_sprite0 && bg_pattern != 0 && x != 255 {
                        self.status |= STATUS_SPRITE0_HIT;
                    }
                    if bg_pattern == 0 || !sprite.behind_background {
                        0x10 | (sprite.palette << 2) | sprite.pattern
                    } else {
                        (bg_palette << 2) | bg_pattern
                    }
                }
                None if bg_pattern != 0 => (bg_palette << 2) | bg_pattern,
                None => 0,
            }
        } else if self.v & 0x3F00 == 0x3F00 {
            // Forced blanking shows the palette entry v points at, if any.
            (self.v & 0x1F) as u8
        } else {
            0
        };
        let mut colour = self.palette[palette_index(u16::from(index))];
        if mask & MASK_GRAYSCALE != 0 {
            colour &= 0x30;
        }
        let emphasis = u16::from(mask & 0xE0) << 1;
        let offset = usize::from(self.scanline) * Ppu::WIDTH + usize::from(x);
        if let Some(pixel) = self.back.get_mut(offset) {
            *pixel = u16::from(colour) | emphasis;
        }
    }
}
