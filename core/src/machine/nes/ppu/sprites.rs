//! Sprites: per-dot evaluation of primary OAM into secondary OAM (with the
//! hardware's overflow-search bug), the pattern fetches of dots 257-320 and
//! the eight sprite output units that feed the pixel multiplexer.

use serde::{Deserialize, Serialize};

use super::{CTRL_SPRITE_16, CTRL_SPRITE_TABLE, Ppu, PpuBus, STATUS_OVERFLOW};

/// Secondary OAM size: 8 sprites of 4 bytes.
const SECONDARY_LEN: u8 = 32;

/// Evaluation state, the fetch in progress and the eight output units.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Sprites {
    /// Secondary OAM: the sprites found for the next line.
    secondary: [u8; 32],
    /// The byte evaluation last read from OAM (what $2004 sees).
    latch: u8,
    /// Evaluation's OAM address (n in bits 2-7, m in bits 0-1).
    eval_addr: u8,
    /// Bytes written to secondary OAM so far.
    written: u8,
    /// Sprites found in range for the next line (at most 8).
    found: u8,
    /// Bytes of an in-range sprite still to copy (or to step over).
    copy_left: u8,
    /// All 64 sprites examined: the rest of the line fails its copies.
    done: bool,
    /// The first sprite examined this line was in range.
    sprite0_found: bool,
    /// Bitplane 0 address of the sprite row being fetched.
    fetch_addr: u16,
    /// The slot being fetched holds no sprite.
    fetch_empty: bool,
    /// Sprites loaded into the output units for the current line.
    count: u8,
    /// Output unit 0 holds sprite 0.
    sprite0_on_line: bool,
    /// Bitplane 0 per unit, leftmost pixel in bit 7 (flip already applied).
    pattern_lo: [u8; 8],
    /// Bitplane 1 per unit.
    pattern_hi: [u8; 8],
    /// OAM attribute byte per unit.
    attributes: [u8; 8],
    /// X position per unit.
    x: [u8; 8],
}

/// An opaque sprite pixel chosen by the output units.
#[derive(Clone, Copy, Debug)]
pub(super) struct SpritePixel {
    /// 2-bit pattern value (never 0).
    pub(super) pattern: u8,
    /// Sprite palette 0-3.
    pub(super) palette: u8,
    /// Attribute bit 5: drawn behind opaque background.
    pub(super) behind_background: bool,
    /// The pixel comes from sprite 0.
    pub(super) is_sprite0: bool,
}

impl Sprites {
    /// Empty the output units (no fetches took place for the next line).
    pub(super) fn clear_line(&mut self) {
        self.count = 0;
        self.sprite0_on_line = false;
    }

    /// The highest-priority opaque sprite pixel at `x`, if any: the lowest
    /// output unit (lowest OAM index) wins, regardless of its priority bit.
    pub(super) fn pixel(&self, x: u8) -> Option<SpritePixel> {
        for unit in 0..usize::from(self.count) {
            // Widened so a sprite at X = 249-255 does not wrap to the left edge.
            let column = u16::from(x).wrapping_sub(u16::from(self.x[unit]));
            if column >= 8 {
                continue;
            }
            let bit = 7 - column as u8;
            let pattern =
                ((self.pattern_lo[unit] >> bit) & 1) | (((self.pattern_hi[unit] >> bit) & 1) << 1);
            if pattern != 0 {
                let attributes = self.attributes[unit];
                return Some(SpritePixel {
                    pattern,
                    palette: attributes & 3,
                    behind_background: attributes & 0x20 != 0,
                    is_sprite0: unit == 0 && self.sprite0_on_line,
                });
            }
        }
        None
    }

    /// What a $2004 read sees while a visible line renders: $FF during the
    /// secondary OAM clear, the secondary OAM byte being fetched during
    /// 257-320, otherwise the byte evaluation last read.
    pub(super) fn oam_bus_value(&self, dot: u16) -> u8 {
        match dot {
            1..=64 => 0xFF,
            257..=320 => {
                let step = dot - 257;
                let index = (step >> 3) * 4 + (step & 7).min(3);
                self.secondary[usize::from(index)]
            }
            _ => self.latch,
        }
    }
}

impl Ppu {
    /// Sprite height from $2000.
    fn sprite_height(&self) -> u16 {
        if self.ctrl & CTRL_SPRITE_16 != 0 {
            16
        } else {
            8
        }
    }

    /// Sprite evaluation for the next line at `dot` (1-256 of a visible
    /// line, rendering enabled), per nesdev "PPU sprite evaluation": 1-64
    /// clear secondary OAM to $FF, 65-256 alternate an OAM read (odd dots)
    /// with a secondary OAM write (even dots).
    pub(super) fn evaluate_sprites(&mut self, dot: u16) {
        match dot {
            1 => {
                // The clear is not observable dot by dot (secondary OAM is
                // next read at 66, $2004 reads $FF meanwhile), so do it at once.
                self.sprites.secondary = [0xFF; 32];
                self.sprites.latch = 0xFF;
            }
            65..=256 => {
                if dot == 65 {
                    let s = &mut self.sprites;
                    // Evaluation starts wherever OAMADDR points.
                    s.eval_addr = self.oam_addr;
                    s.written = 0;
                    s.found = 0;
                    s.copy_left = 0;
                    s.done = false;
                    s.sprite0_found = false;
                }
                if dot & 1 == 1 {
                    self.sprites.latch = self.oam[usize::from(self.sprites.eval_addr)];
                } else {
                    self.evaluation_write(dot == 66);
                }
            }
            _ => {}
        }
    }

    /// The even-dot half of an evaluation step: act on the byte just read.
    fn evaluation_write(&mut self, first: bool) {
        let height = self.sprite_height();
        let line = self.scanline;
        let s = &mut self.sprites;
        if s.done {
            // Step 4: failed copies of OAM[n][0], n keeps counting.
            s.eval_addr = s.eval_addr.wrapping_add(4);
            return;
        }
        let in_range = line.wrapping_sub(u16::from(s.latch)) < height;
        if s.written < SECONDARY_LEN {
            s.secondary[usize::from(s.written)] = s.latch;
            if s.copy_left > 0 {
                s.copy_left -= 1;
                s.written += 1;
                s.step_byte();
            } else if in_range {
                s.sprite0_found |= first;
                s.found += 1;
                s.written += 1;
                s.copy_left = 3;
                s.step_byte();
            } else {
                // Only the Y byte landed; the next sprite overwrites it.
                let (next, wrapped) = s.eval_addr.overflowing_add(4);
                s.eval_addr = next;
                s.done = wrapped;
            }
        } else if s.copy_left > 0 {
            // Overflow found: the chip reads 3 more bytes, then idles.
            s.copy_left -= 1;
            s.step_byte();
            if s.copy_left == 0 {
                s.done = true;
            }
        } else if in_range {
            self.status |= STATUS_OVERFLOW;
            s.copy_left = 3;
            s.step_byte();
        } else {
            // The hardware bug: n and m both advance (m without carry), so
            // the search reads tile, attribute and X bytes as Y coordinates.
            let n = (s.eval_addr >> 2).wrapping_add(1) & 0x3F;
            let m = s.eval_addr.wrapping_add(1) & 3;
            s.eval_addr = (n << 2) | m;
            s.done = n == 0;
        }
    }

    /// Sprite fetches at `dot` (257-320, rendering enabled): eight slots of
    /// 8 dots, each a garbage nametable read at +0 and +2, then the pattern
    /// row at +4 (plane 0) and +6 (plane 1). Empty slots, and all slots of
    /// the pre-render line (no evaluation ran), fetch tile $FF, so the
    /// pattern table side of every slot is the same and an A12 watcher sees
    /// one rise per line with 8x8 sprites at $1000.
    pub(super) fn fetch_sprites<B: PpuBus>(&mut self, bus: &mut B, dot: u16, visible: bool) {
        let step = dot - 257;
        let slot = usize::from(step >> 3);
        match step & 7 {
            0 => {
                if slot == 0 {
                    let s = &mut self.sprites;
                    s.count = if visible { s.found.min(8) } else { 0 };
                    s.sprite0_on_line = visible && s.sprite0_found;
                }
                bus.read(self.nametable_address());
                self.prepare_sprite_fetch(slot);
            }
            2 => {
                bus.read(self.nametable_address());
            }
            4 => {
                let lo = bus.read(self.sprites.fetch_addr);
                self.sprites.pattern_lo[slot] = self.finish_plane(slot, lo);
            }
            6 => {
                let hi = bus.read(self.sprites.fetch_addr + 8);
                self.sprites.pattern_hi[slot] = self.finish_plane(slot, hi);
            }
            _ => {}
        }
    }

    /// Load slot `slot`'s attribute and X into its output unit and work out
    /// the pattern row address for the current line.
    fn prepare_sprite_fetch(&mut self, slot: usize) {
        let height = self.sprite_height();
        let line = self.scanline;
        let s = &mut self.sprites;
        let empty = slot >= usize::from(s.count);
        let [y, tile, attributes, x] = if empty {
            [0xFF; 4]
        } else {
            let base = slot * 4;
            [
                s.secondary[base],
                s.secondary[base + 1],
                s.secondary[base + 2],
                s.secondary[base + 3],
            ]
        };
        s.fetch_empty = empty;
        s.attributes[slot] = attributes;
        s.x[slot] = x;
        let mut row = line.wrapping_sub(u16::from(y)) & (height - 1);
        if attributes & 0x80 != 0 {
            row = height - 1 - row;
        }
        s.fetch_addr = if height == 16 {
            // 8x16: bit 0 of the tile picks the table, the bottom half is the next tile.
            let table = u16::from(tile & 1) << 12;
            let tile = u16::from(tile & 0xFE) + (row >> 3);
            table | (tile << 4) | (row & 7)
        } else {
            let table = if self.ctrl & CTRL_SPRITE_TABLE != 0 {
                0x1000
            } else {
                0
            };
            table | (u16::from(tile) << 4) | row
        };
    }

    /// A fetched bitplane as the output unit stores it: transparent for an
    /// empty slot, mirrored for a horizontally flipped sprite.
    fn finish_plane(&self, slot: usize, plane: u8) -> u8 {
        if self.sprites.fetch_empty {
            0
        } else if self.sprites.attributes[slot] & 0x40 != 0 {
            plane.reverse_bits()
        } else {
            plane
        }
    }
}

impl Sprites {
    /// m + 1 with carry into n; n wrapping past 63 ends the evaluation.
    fn step_byte(&mut self) {
        let (next, wrapped) = self.eval_addr.overflowing_add(1);
        self.eval_addr = next;
        if wrapped {
            self.done = true;
        }
    }
}
