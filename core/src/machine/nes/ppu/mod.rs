//! The NES picture processing unit (Ricoh 2C02, NTSC), emulated one dot at a
//! time.
//!
//! The PPU runs 341 dots per scanline and 262 scanlines per frame: lines
//! 0-239 are visible, 240 is the idle post-render line, the vertical blanking
//! flag rises at line 241 dot 1 and line 261 is the pre-render line. Every
//! memory fetch of the real chip (nametable, attribute, pattern bytes of the
//! background, sprite patterns, the garbage nametable fetches) goes through
//! [`PpuBus::read`] at the dot the chip performs it, because cartridge
//! hardware such as the MMC3 scanline counter watches those addresses.
//!
//! Position convention: [`Ppu::scanline`] and [`Ppu::dot`] name the dot the
//! next [`Ppu::tick`] will execute. A register access made between ticks
//! therefore happens "before" that dot; the `$2002` race (reading one dot
//! before the flag rises hides it for the frame) is the read made while the
//! position is scanline 241, dot 1.
//!
//! Submodules, one responsibility each: `render` (the rendering-line
//! schedule, background fetches, scrolling counters, pixel output),
//! `sprites` (evaluation into secondary OAM, sprite pattern fetches, the
//! output units), `palette` (the RGB colours of the 64 palette entries and
//! emphasis).
//!
//! Not modelled: the ~29658 CPU cycles after power-on during which real
//! consoles ignore writes to $2000/$2001/$2005/$2006 (machines and tests
//! may program the PPU immediately), the one-dot delays with which $2001
//! and the second $2006 write take effect, and OAM corruption from turning
//! rendering off mid-line.

mod palette;
mod render;
mod sprites;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use render::Background;
use sprites::Sprites;

/// The PPU's address bus: pattern tables and nametables, $0000-$3EFF
/// (palette RAM is inside the PPU). The cartridge decides what answers.
pub trait PpuBus {
    /// One read cycle of the PPU at `addr` ($0000-$3FFF).
    fn read(&mut self, addr: u16) -> u8;
    /// One write cycle of the PPU at `addr` ($0000-$3EFF).
    fn write(&mut self, addr: u16, value: u8);

    /// Outside rendering the PPU keeps v on its address bus: after the
    /// second $2006 write and after each $2007 increment it drives the new
    /// address without a read or write strobe. Cartridges that watch address
    /// lines (the MMC3 counts A12 rises; test ROMs clock it with $2006
    /// writes) need to see it; everything else can ignore it, as the
    /// default does.
    fn address_changed(&mut self, addr: u16) {
        let _ = addr;
    }
}

/// Dots per scanline.
const DOTS_PER_LINE: u16 = 341;
/// Scanlines per frame.
const LINES_PER_FRAME: u16 = 262;
/// First line after the picture; nothing happens on it.
const POST_RENDER_LINE: u16 = 240;
/// The line whose dot 1 raises the vertical blanking flag.
const VBLANK_LINE: u16 = 241;
/// The dummy line that prepares line 0.
const PRE_RENDER_LINE: u16 = 261;
/// Dot index (scanline * 341 + dot) of scanline 241, dot 1.
const VBLANK_POSITION: u32 = VBLANK_LINE as u32 * DOTS_PER_LINE as u32 + 1;
/// Dots in a frame without the odd-frame skip.
const DOTS_PER_FRAME: u32 = LINES_PER_FRAME as u32 * DOTS_PER_LINE as u32;

/// $2000 bit 2: $2007 accesses add 32 to v instead of 1.
const CTRL_INCREMENT_32: u8 = 0x04;
/// $2000 bit 3: 8x8 sprites use the pattern table at $1000.
const CTRL_SPRITE_TABLE: u8 = 0x08;
/// $2000 bit 4: the background uses the pattern table at $1000.
const CTRL_BG_TABLE: u8 = 0x10;
/// $2000 bit 5: sprites are 8x16.
const CTRL_SPRITE_16: u8 = 0x20;
/// $2000 bit 7: assert /NMI while the vertical blanking flag is set.
const CTRL_NMI: u8 = 0x80;

/// $2001 bit 0: palette entries are ANDed with $30.
const MASK_GRAYSCALE: u8 = 0x01;
/// $2001 bit 1: background shown in the leftmost 8 pixels.
const MASK_BG_LEFT: u8 = 0x02;
/// $2001 bit 2: sprites shown in the leftmost 8 pixels.
const MASK_SPRITES_LEFT: u8 = 0x04;
/// $2001 bit 3: background rendering.
const MASK_BG: u8 = 0x08;
/// $2001 bit 4: sprite rendering.
const MASK_SPRITES: u8 = 0x10;
/// $2001 bits 3-4: either makes the PPU fetch and count (rendering enabled).
const MASK_RENDERING: u8 = MASK_BG | MASK_SPRITES;

/// $2002 bit 5: sprite overflow.
const STATUS_OVERFLOW: u8 = 0x20;
/// $2002 bit 6: sprite 0 hit.
const STATUS_SPRITE0_HIT: u8 = 0x40;
/// $2002 bit 7: vertical blanking.
const STATUS_VBLANK: u8 = 0x80;

/// Palette RAM as the nesdev wiki reports one console powering up with
/// (blargg's measurement). The real contents are unspecified; a fixed,
/// plausible pattern keeps runs deterministic. Entries $10/$14/$18/$1C are
/// never used because they mirror $00/$04/$08/$0C.
const POWER_UP_PALETTE: [u8; 32] = [
    0x09, 0x01, 0x00, 0x01, 0x00, 0x02, 0x02, 0x0D, 0x08, 0x10, 0x08, 0x24, 0x00, 0x00, 0x04, 0x2C,
    0x09, 0x01, 0x34, 0x03, 0x00, 0x04, 0x00, 0x14, 0x08, 0x3A, 0x00, 0x02, 0x00, 0x20, 0x2C, 0x08,
];

/// The 2C02 picture processing unit.
///
/// Open bus: the I/O data latch keeps the last value written to or read from
/// any PPU register and does not decay. Real latches fade to 0 after roughly
/// a second; nothing but test ROMs depend on the fading, and a latch that
/// never decays keeps save states and replays independent of wall time.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ppu {
    /// $2000.
    ctrl: u8,
    /// $2001.
    mask: u8,
    /// $2002 bits 5-7; the low bits read back from the I/O latch.
    status: u8,
    /// $2003.
    oam_addr: u8,
    /// Primary OAM, 64 sprites of 4 bytes.
    oam: Vec<u8>,
    /// Palette RAM, 6 bits per entry.
    palette: [u8; 32],
    /// Current VRAM address (loopy v, 15 bits).
    v: u16,
    /// Temporary VRAM address (loopy t, 15 bits).
    t: u16,
    /// Fine X scroll (3 bits).
    fine_x: u8,
    /// First/second write toggle shared by $2005 and $2006.
    w: bool,
    /// The $2007 read buffer.
    read_buffer: u8,
    /// The I/O data latch seen when reading write-only bits.
    io_latch: u8,
    /// Line of the next dot to run.
    scanline: u16,
    /// Next dot to run on `scanline`.
    dot: u16,
    /// The current frame is odd (its pre-render line may be one dot short).
    odd_frame: bool,
    /// Pictures completed.
    frame_count: u64,
    /// A $2002 read one dot before VBL start hid the flag for this frame.
    suppress_vblank: bool,
    /// Background fetch latches and shift registers.
    bg: Background,
    /// Sprite evaluation state and the eight sprite output units.
    sprites: Sprites,
    /// The picture being drawn.
    back: Vec<u16>,
    /// The last complete picture.
    front: Vec<u16>,
}

impl Default for Ppu {
    fn default() -> Self {
        Self::new()
    }
}

impl Ppu {
    /// Picture width in pixels.
    pub const WIDTH: usize = 256;
    /// Picture height in pixels.
    pub const HEIGHT: usize = 240;

    /// The power-on state (nesdev "PPU power up state"): $2000, $2001,
    /// scroll, address and read buffer zero, w clear, even frame. The VBL
    /// and overflow flags are "often set" at power-on; they start set here,
    /// so the customary two $2002 wait loops behave as on a console.
    pub fn new() -> Self {
        Self {
            ctrl: 0,
            mask: 0,
            status: STATUS_VBLANK | STATUS_OVERFLOW,
            oam_addr: 0,
            oam: vec![0; 256],
            palette: POWER_UP_PALETTE,
            v: 0,
            t: 0,
            fine_x: 0,
            w: false,
            read_buffer: 0,
            io_latch: 0,
            scanline: 0,
            dot: 0,
            odd_frame: false,
            frame_count: 0,
            suppress_vblank: false,
            bg: Background::default(),
            sprites: Sprites::default(),
            back: vec![0; Self::WIDTH * Self::HEIGHT],
            front: vec![0; Self::WIDTH * Self::HEIGHT],
        }
    }

    /// The reset button (nesdev "PPU power up state", reset column): $2000,
    /// $2001, scroll (t and fine x), w and the read buffer clear, the frame
    /// restarts even; $2002, OAM, OAMADDR, v and palette RAM are kept.
    pub fn reset(&mut self) {
        self.ctrl = 0;
        self.mask = 0;
        self.t = 0;
        self.fine_x = 0;
        self.w = false;
        self.read_buffer = 0;
        self.scanline = 0;
        self.dot = 0;
        self.odd_frame = false;
        self.suppress_vblank = false;
        self.bg = Background::default();
        self.sprites = Sprites::default();
    }

    /// Advance exactly one dot.
    pub fn tick<B: PpuBus>(&mut self, bus: &mut B) {
        match self.scanline {
            line if line < POST_RENDER_LINE => self.render_line_dot(bus, true),
            VBLANK_LINE if self.dot == 1 => self.start_vblank(),
            PRE_RENDER_LINE => {
                if self.dot == 1 {
                    // End of vertical blanking: the flags clear together.
                    self.status &= !(STATUS_VBLANK | STATUS_SPRITE0_HIT | STATUS_OVERFLOW);
                }
                self.render_line_dot(bus, false);
            }
            _ => {}
        }
        self.advance();
    }

    /// Scanline 241, dot 1: the picture is complete and VBL begins.
    fn start_vblank(&mut self) {
        if !self.suppress_vblank {
            self.status |= STATUS_VBLANK;
        }
        self.suppress_vblank = false;
        std::mem::swap(&mut self.front, &mut self.back);
        self.frame_count += 1;
    }

    /// Step the dot counter, with the odd-frame skip: when rendering is on,
    /// odd frames jump from pre-render dot 339 straight to line 0 dot 0.
    fn advance(&mut self) {
        self.dot += 1;
        let skip = self.dot == DOTS_PER_LINE - 1
            && self.scanline == PRE_RENDER_LINE
            && self.odd_frame
            && self.rendering_enabled();
        if self.dot == DOTS_PER_LINE || skip {
            self.dot = 0;
            self.scanline += 1;
            if self.scanline == LINES_PER_FRAME {
                self.scanline = 0;
                self.odd_frame = !self.odd_frame;
            }
        }
    }

    /// CPU access to $2000-$3FFF (mirrored every 8 bytes); `addr` is the CPU address.
    pub fn read_register<B: PpuBus>(&mut self, addr: u16, bus: &mut B) -> u8 {
        let value = match addr & 7 {
            2 => {
                let value = (self.status & 0xE0) | (self.io_latch & 0x1F);
                if self.scanline == VBLANK_LINE && self.dot == 1 {
                    // One dot before the flag rises: it reads clear and
                    // stays clear (and so raises no NMI) for this frame.
                    self.suppress_vblank = true;
                }
                self.status &= !STATUS_VBLANK;
                self.w = false;
                value
            }
            4 => self.read_oam_data(),
            7 => self.read_data(bus),
            // Write-only registers answer with the I/O latch.
            _ => self.io_latch,
        };
        self.io_latch = value;
        value
    }

    /// CPU write to $2000-$3FFF (mirrored every 8 bytes); `addr` is the CPU address.
    pub fn write_register<B: PpuBus>(&mut self, addr: u16, value: u8, bus: &mut B) {
        self.io_latch = value;
        match addr & 7 {
            0 => {
                self.ctrl = value;
                // t: ...GH.. ........ <- d: ......GH
                self.t = (self.t & !0x0C00) | (u16::from(value & 3) << 10);
            }
            1 => self.mask = value,
            3 => self.oam_addr = value,
            4 => self.write_oam_data(value),
            5 => {
                if self.w {
                    // t: FGH..AB CDE..... <- d: ABCDEFGH
                    self.t = (self.t & !0x73E0)
                        | (u16::from(value & 7) << 12)
                        | (u16::from(value >> 3) << 5);
                } else {
                    // t: ....... ...ABCDE <- d: ABCDE...; x <- d: .....FGH
                    self.t = (self.t & !0x001F) | u16::from(value >> 3);
                    self.fine_x = value & 7;
                }
                self.w = !self.w;
            }
            6 => {
                if self.w {
                    self.t = (self.t & 0x7F00) | u16::from(value);
                    self.v = self.t;
                    self.drive_address(bus);
                } else {
                    // The first write also clears bit 14 of t.
                    self.t = (self.t & 0x00FF) | (u16::from(value & 0x3F) << 8);
                }
                self.w = !self.w;
            }
            7 => self.write_data(value, bus),
            // $2002 is read-only; the write only loads the I/O latch.
            _ => {}
        }
    }

    /// The PPU is on a line where it fetches (visible or pre-render) with
    /// rendering enabled: OAM and $2007 accesses then collide with rendering.
    fn rendering_now(&self) -> bool {
        self.rendering_enabled()
            && (self.scanline < POST_RENDER_LINE || self.scanline == PRE_RENDER_LINE)
    }

    /// $2004 read. During rendering on visible lines the chip's OAM bus is
    /// busy with sprite evaluation, so the read sees what evaluation sees.
    fn read_oam_data(&self) -> u8 {
        if self.rendering_enabled() && self.scanline < POST_RENDER_LINE {
            self.sprites.oam_bus_value(self.dot)
        } else {
            self.oam[usize::from(self.oam_addr)]
        }
    }

    /// $2004 write.
    fn write_oam_data(&mut self, value: u8) {
        if self.rendering_now() {
            // No write; OAMADDR's high six bits are bumped instead.
            self.oam_addr = self.oam_addr.wrapping_add(4);
            return;
        }
        // Attribute bits 2-4 do not exist in OAM and read back as 0.
        let value = if self.oam_addr & 3 == 2 {
            value & 0xE3
        } else {
            value
        };
        self.oam[usize::from(self.oam_addr)] = value;
        self.oam_addr = self.oam_addr.wrapping_add(1);
    }

    /// $2007 read.
    fn read_data<B: PpuBus>(&mut self, bus: &mut B) -> u8 {
        let addr = self.v & 0x3FFF;
        let value = if addr >= 0x3F00 {
            // Palette reads bypass the buffer; the buffer is loaded with the
            // nametable byte "underneath" the palette, and bits 6-7 are open bus.
            self.read_buffer = bus.read(addr & 0x2FFF);
            self.palette[palette_index(addr)] | (self.io_latch & 0xC0)
        } else {
            let buffered = self.read_buffer;
            self.read_buffer = bus.read(addr);
            buffered
        };
        self.increment_after_data_access(bus);
        value
    }

    /// $2007 write.
    fn write_data<B: PpuBus>(&mut self, value: u8, bus: &mut B) {
        let addr = self.v & 0x3FFF;
        if addr >= 0x3F00 {
            self.palette[palette_index(addr)] = value & 0x3F;
        } else {
            bus.write(addr, value);
        }
        self.increment_after_data_access(bus);
    }

    /// After a $2007 access v moves on by 1 or 32; during rendering the
    /// chip instead fires its coarse-X and Y increments at once.
    fn increment_after_data_access<B: PpuBus>(&mut self, bus: &mut B) {
        if self.rendering_now() {
            self.increment_coarse_x();
            self.increment_y();
        } else {
            let step = if self.ctrl & CTRL_INCREMENT_32 != 0 {
                32
            } else {
                1
            };
            self.v = (self.v + step) & 0x7FFF;
            self.drive_address(bus);
        }
    }

    /// Put v on the address bus (see [`PpuBus::address_changed`]); while
    /// rendering, the bus belongs to the fetches instead.
    fn drive_address<B: PpuBus>(&self, bus: &mut B) {
        if !self.rendering_now() {
            bus.address_changed(self.v & 0x3FFF);
        }
    }

    /// /NMI asserted: VBL flag set and NMI enabled in $2000.
    pub fn nmi_line(&self) -> bool {
        self.status & STATUS_VBLANK != 0 && self.ctrl & CTRL_NMI != 0
    }

    /// Scanline of the next dot: 0..=239 visible, 240 post, 241..=260
    /// vblank, 261 pre-render.
    pub fn scanline(&self) -> u16 {
        self.scanline
    }

    /// The next dot to run on the current scanline, 0..=340.
    pub fn dot(&self) -> u16 {
        self.dot
    }

    /// +1 each time a picture is complete (at scanline 241 dot 1).
    pub fn frame_count(&self) -> u64 {
        self.frame_count
    }

    /// Dots from now until the next scanline 241 dot 1 has run (>= 1): after
    /// this many [`Ppu::tick`] calls the VBL flag has just been set. Assumes
    /// $2001 keeps its current value (it decides the odd-frame skip).
    pub fn dots_until_vblank(&self) -> u32 {
        let here = u32::from(self.scanline) * u32::from(DOTS_PER_LINE) + u32::from(self.dot);
        if here <= VBLANK_POSITION {
            return VBLANK_POSITION - here + 1;
        }
        let skip_ahead = u32::from(PRE_RENDER_LINE) * u32::from(DOTS_PER_LINE) + 339;
        let skip = u32::from(self.odd_frame && self.rendering_enabled() && here <= skip_ahead);
        DOTS_PER_FRAME - here - skip + VBLANK_POSITION + 1
    }

    /// Background or sprites on in $2001.
    pub fn rendering_enabled(&self) -> bool {
        self.mask & MASK_RENDERING != 0
    }

    /// The last complete picture, 256*240 entries: palette index (6 bits) |
    /// emphasis bits (from $2001 bits 5-7) << 6.
    pub fn pixels(&self) -> &[u16] {
        &self.front
    }

    /// [`Ppu::pixels`] as RGBA8888 through the built-in 2C02 palette with
    /// emphasis applied. `out` should hold 256*240*4 bytes; a shorter
    /// buffer receives the leading pixels only.
    pub fn render_rgba(&self, out: &mut [u8]) {
        palette::to_rgba(&self.front, out);
    }
}

/// Index into palette RAM for a $3F00-$3FFF address: 32 entries mirrored,
/// and $3F10/$14/$18/$1C are the same cells as $3F00/$04/$08/$0C.
fn palette_index(addr: u16) -> usize {
    let index = usize::from(addr & 0x1F);
    if index & 0x13 == 0x10 {
        index & 0x0F
    } else {
        index
    }
}
