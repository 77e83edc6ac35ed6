//! The built-in NES demo: what `retrojit play` runs without a ROM, and a
//! whole-machine JIT workload. An NROM-256 iNES image whose program is
//! assembled from `nes_demo.s` and whose graphics are drawn here.
//!
//! Each frame it scrolls a starfield across two nametables, moves eight
//! balls on a Lissajous figure and a fountain of particles from the
//! player's ship (d-pad moves it, A speeds things up, Start pauses the
//! scroll), plays a looping tune on pulse 1 and the triangle, and signs the
//! sprites with a CRC-16. Its frame work takes about 16,500 of the 29,781
//! cycles of a frame; setting up takes about ten frames (drawing the sky).
//!
//! RAM worth reading from tests ([`nes_demo_assembly`] has every symbol):
//!
//! | symbol | address | what |
//! |---|---|---|
//! | `frame` | $00-$01 | NMIs so far, little-endian |
//! | `pad` | $03 | controller 1 as read this frame (A in bit 7, Right in bit 0) |
//! | `paused` | $05 | 1 while Start has paused the scroll |
//! | `scroll_x`, `scroll_nt` | $06, $07 | the 9-bit horizontal scroll |
//! | `player_x`, `player_y` | $0A, $0B | the ship (sprite 0) |
//! | `signature` | $10-$11 | CRC-16 of the first 48 OAM bytes of the last frame |
//! | `OAM` | $0200-$02FF | the shadow OAM the NMI copies by DMA |

use crate::asm6502::{AsmError, Assembly, assemble};

/// The demo's 6502 source.
pub const NES_DEMO_SOURCE: &str = include_str!("nes_demo.s");

/// Where the PRG ROM sits in the CPU's address space.
pub const PRG_START: u16 = 0x8000;
/// PRG ROM size: NROM-256.
pub const PRG_LEN: usize = 32 << 10;
/// CHR ROM size.
pub const CHR_LEN: usize = 8 << 10;

/// Background tiles (pattern table $0000); the font sits at ASCII codes.
/// These must equal the `T_*` constants of the source.
const T_STAR1: usize = 0x01;
const T_STAR2: usize = 0x02;
const T_STAR3: usize = 0x03;
const T_BRICK: usize = 0x04;
const T_GROUND: usize = 0x05;
/// Sprite tiles (pattern table $1000), the `S_*` constants of the source.
const S_SHIP: usize = 0x00;
const S_BALL: usize = 0x01;
const S_SPARK: usize = 0x02;
const S_EMBER: usize = 0x03;

/// The assembled program, for its symbols.
pub fn nes_demo_assembly() -> Result<Assembly, AsmError> {
    assemble(NES_DEMO_SOURCE)
}

/// The complete iNES image.
pub fn nes_demo() -> Vec<u8> {
    let assembly =
        nes_demo_assembly().expect("nes_demo.s is part of this crate and its tests assemble it");
    let mut image = b"NES\x1A".to_vec();
    image.extend([
        (PRG_LEN >> 14) as u8, // PRG ROM in 16 KiB units
        (CHR_LEN >> 13) as u8, // CHR ROM in 8 KiB units
        0x01,                  // mapper 0, vertical mirroring: side-by-side nametables
    ]);
    image.resize(16, 0);
    // Unused ROM reads as $FF, as on an erased EPROM.
    image.extend(assembly.image(PRG_START, PRG_LEN, 0xFF));
    image.extend(nes_demo_chr());
    image
}

/// The CHR ROM: background tiles in the first pattern table, sprites in
/// the second.
pub fn nes_demo_chr() -> Vec<u8> {
    let mut chr = vec![0u8; CHR_LEN];
    let mut put = |table: usize, tile: usize, pixels: &[[u8; 8]; 8]| {
        let at = table * 0x1000 + tile * 16;
        chr[at..at + 16].copy_from_slice(&planes(pixels));
    };
    for (table, tile, rows) in &TILES {
        put(*table, *tile, &draw(rows));
    }
    for (ch, rows) in FONT {
        put(0, usize::from(*ch), &glyph(rows));
    }
    chr
}

/// (pattern table, tile, pixels as colours `.` `1` `2` `3`).
#[rustfmt::skip]
const TILES: [(usize, usize, [&str; 8]); 9] = [
    (0, T_STAR1, [
        "........",
        "...1....",
        "..131...",
        "...1....",
        "........",
        "........",
        "........",
        "........",
    ]),
    (0, T_STAR2, [
        "........",
        "........",
        ".....2..",
        "........",
        "........",
        "........",
        "........",
        "........",
    ]),
    (0, T_STAR3, [
        "........",
        "........",
        "........",
        "........",
        "........",
        "........",
        ".1......",
        "........",
    ]),
    (0, T_BRICK, [
        "3333333.",
        "2222222.",
        "2222222.",
        "11111111",
        "333.3333",
        "222.2222",
        "222.2222",
        "11111111",
    ]),
    (0, T_GROUND, [
        "11112222",
        "11112222",
        "11112222",
        "11112222",
        "22221111",
        "22221111",
        "22221111",
        "22221111",
    ]),
    (1, S_SHIP, [
        "..3.....",
        "..33....",
        ".22233..",
        "1222223.",
        "1222223.",
        ".22233..",
        "..33....",
        "..3.....",
    ]),
    (1, S_BALL, [
        "..1111..",
        ".133111.",
        "11331112",
        "11111112",
        "11111122",
        "11111122",
        ".111222.",
        "..2222..",
    ]),
    (1, S_SPARK, [
        "........",
        "...1....",
        "..121...",
        ".12321..",
        "..121...",
        "...1....",
        "........",
        "........",
    ]),
    (1, S_EMBER, [
        "........",
        "........",
        "...1....",
        "..121...",
        "...1....",
        "........",
        "........",
        "........",
    ]),
];

/// A 5x7 font for the titles: `#` is a lit pixel.
#[rustfmt::skip]
const FONT: &[(u8, [&str; 7])] = &[
    (b'0', [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."]),
    (b'2', [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"]),
    (b'5', ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."]),
    (b'6', ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."]),
    (b'D', ["####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."]),
    (b'E', ["#####", "#....", "#....", "####.", "#....", "#....", "#####"]),
    (b'I', [".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."]),
    (b'J', ["..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."]),
    (b'M', ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"]),
    (b'O', [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."]),
    (b'R', ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"]),
    (b'T', ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."]),
];

/// A glyph in colour 3 with a colour-1 drop shadow one pixel down-right.
fn glyph(rows: &[&str; 7]) -> [[u8; 8]; 8] {
    let lit =
        |x: usize, y: usize| (1..6).contains(&x) && y < 7 && rows[y].as_bytes()[x - 1] == b'#';
    pixels(|x, y| {
        if lit(x, y) {
            3
        } else if x > 0 && y > 0 && lit(x - 1, y - 1) {
            1
        } else {
            0
        }
    })
}

/// A tile from eight rows of `.`, `1`, `2`, `3`.
fn draw(rows: &[&str; 8]) -> [[u8; 8]; 8] {
    pixels(|x, y| match rows[y].as_bytes()[x] {
        c @ b'1'..=b'3' => c - b'0',
        _ => 0,
    })
}

fn pixels(colour: impl Fn(usize, usize) -> u8) -> [[u8; 8]; 8] {
    let mut tile = [[0; 8]; 8];
    for (y, row) in tile.iter_mut().enumerate() {
        for (x, pixel) in row.iter_mut().enumerate() {
            *pixel = colour(x, y);
        }
    }
    tile
}

/// The NES 2-bit planar form: eight bytes of low bits, then eight of high
/// bits, the leftmost pixel in bit 7.
fn planes(tile: &[[u8; 8]; 8]) -> [u8; 16] {
    let mut out = [0; 16];
    for (y, row) in tile.iter().enumerate() {
        for (x, &c) in row.iter().enumerate() {
            out[y] |= (c & 1) << (7 - x);
            out[y + 8] |= ((c >> 1) & 1) << (7 - x);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::MappedBus;
    use crate::cpu::mos6502::Variant;
    use crate::engine::{Interpreter, RunLimits, StopReason};
    use crate::machine::bare6502::Bare6502;
    use crate::machine::nes::Nes;
    use crate::machine::nes::ines::{Cartridge, Mirroring};
    use crate::machine::{Button, Buttons, InputState, Machine};

    #[test]
    fn is_an_nrom_image() {
        let cart = Cartridge::parse(&nes_demo()).unwrap();
        assert_eq!(cart.mapper, 0);
        assert_eq!(cart.mirroring, Mirroring::Vertical);
        assert_eq!(cart.prg_rom.len(), PRG_LEN);
        assert_eq!(cart.chr_rom.len(), CHR_LEN);
        assert_eq!(cart.trainer, None);
        assert_eq!(cart.chr_rom, nes_demo_chr());
    }

    #[test]
    fn vectors_point_at_the_handlers() {
        let asm = nes_demo_assembly().unwrap();
        let prg = Cartridge::parse(&nes_demo()).unwrap().prg_rom;
        let vector = |at: usize| u16::from_le_bytes([prg[at - 0x8000], prg[at + 1 - 0x8000]]);
        assert_eq!(Some(vector(0xFFFA)), asm.address("nmi"));
        assert_eq!(Some(vector(0xFFFC)), asm.address("reset"));
        assert_eq!(Some(vector(0xFFFE)), asm.address("irq"));
        for segment in asm.segments() {
            assert!(segment.start >= PRG_START, "{:04X}", segment.start);
        }
    }

    #[test]
    fn tile_numbers_agree_with_the_source() {
        let asm = nes_demo_assembly().unwrap();
        let tiles = [
            ("T_STAR1", T_STAR1),
            ("T_STAR2", T_STAR2),
            ("T_STAR3", T_STAR3),
            ("T_BRICK", T_BRICK),
            ("T_GROUND", T_GROUND),
            ("S_SHIP", S_SHIP),
            ("S_BALL", S_BALL),
            ("S_SPARK", S_SPARK),
            ("S_EMBER", S_EMBER),
        ];
        for (name, tile) in tiles {
            assert_eq!(asm.symbol(name), Some(tile as i64), "{name}");
        }
        // Every character of the titles has a glyph.
        let chr = nes_demo_chr();
        for text in ["RETROJIT", "6502 JIT DEMO"] {
            for ch in text.bytes().filter(|&c| c != b' ') {
                let tile = &chr[usize::from(ch) * 16..][..16];
                assert!(tile.iter().any(|&b| b != 0), "{}", ch as char);
            }
        }
    }

    #[test]
    fn ram_addresses_are_as_documented() {
        let asm = nes_demo_assembly().unwrap();
        let documented = [
            ("frame", 0x00),
            ("pad", 0x03),
            ("paused", 0x05),
            ("scroll_x", 0x06),
            ("scroll_nt", 0x07),
            ("player_x", 0x0A),
            ("player_y", 0x0B),
            ("signature", 0x10),
            ("OAM", 0x0200),
        ];
        for (name, address) in documented {
            assert_eq!(asm.address(name), Some(address), "{name}");
        }
        assert_eq!(asm.symbol("SIG_BYTES"), Some(48));
    }

    /// The demo on a bare 6502 (its I/O registers plain RAM): `init_state`,
    /// then `frame_work` once per stop at `done`.
    struct Harness {
        machine: Bare6502,
        done: u16,
        again: u16,
        signature: usize,
    }

    impl Harness {
        fn new() -> Self {
            let asm = nes_demo_assembly().unwrap();
            let harness = assemble(&format!(
                "        .org $0600
        JSR ${:04X}
loop:   JSR ${:04X}
done:   JMP loop
",
                asm.address("init_state").unwrap(),
                asm.address("frame_work").unwrap()
            ))
            .unwrap();
            let mut machine = Bare6502::new(Variant::Nmos);
            for segment in asm.segments().iter().chain(harness.segments()) {
                machine.load(segment.start, &segment.bytes).unwrap();
            }
            machine.cpu.regs.pc = 0x0600;
            Self {
                machine,
                done: harness.address("done").unwrap(),
                again: harness.address("loop").unwrap(),
                signature: usize::from(asm.address("signature").unwrap()),
            }
        }

        /// Runs one frame's work; returns its cycles.
        fn frame(&mut self) -> u64 {
            let before = self.machine.cpu.regs.cycles;
            let report = self.machine.run(RunLimits {
                stop_at: Some(self.done),
                max_cycles: before + 1_000_000,
                stop_on_trap: true,
            });
            assert_eq!(report.reason, StopReason::ReachedStop { pc: self.done });
            // Past `done`: the next run starts with `frame_work` again.
            self.machine.cpu.regs.pc = self.again;
            report.regs.cycles - before
        }

        fn ram(&self, at: usize) -> u8 {
            self.machine.bus.memory().data()[at]
        }
    }

    #[test]
    fn frame_work_fits_well_inside_a_frame() {
        // An NTSC frame is 29,780.5 CPU cycles; the OAM DMA and the NMI take
        // about 560 of them. The work is about 16,500 cycles: 55% of a frame.
        let mut harness = Harness::new();
        let mut worst = 0;
        let mut signatures = std::collections::HashSet::new();
        for _ in 0..600 {
            worst = worst.max(harness.frame());
            signatures.insert(harness.ram(harness.signature));
        }
        assert!(worst < 18_000, "worst frame took {worst} cycles");
        assert!(signatures.len() > 100, "the sprites hardly change");
    }

    #[test]
    fn frame_work_is_deterministic() {
        let run = || {
            let mut harness = Harness::new();
            (0..200)
                .map(|_| {
                    harness.frame();
                    let oam: Vec<u8> = (0x0200..0x0300).map(|a| harness.ram(a)).collect();
                    (
                        oam,
                        harness.ram(harness.signature),
                        harness.ram(harness.signature + 1),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    /// The demo from power-on on the NES machine.
    struct Demo {
        nes: Nes<Interpreter>,
        asm: Assembly,
    }

    /// Frames from reset until the demo surely runs its main loop.
    const WARM_UP: u64 = 20;

    impl Demo {
        fn boot() -> Self {
            Self {
                nes: Nes::new(&nes_demo(), Interpreter, 44_100).unwrap(),
                asm: nes_demo_assembly().unwrap(),
            }
        }

        fn run_frames(&mut self, frames: u64) {
            let mut audio = Vec::new();
            for _ in 0..frames {
                self.nes.run_frame().unwrap();
                self.nes.take_audio(&mut audio);
            }
        }

        fn ram(&self, name: &str) -> u8 {
            let addr = self.asm.address(name).unwrap();
            self.nes.bus().memory().read(addr).unwrap()
        }

        fn hold(&mut self, buttons: &[Button]) {
            let mut pad = Buttons::default();
            for &button in buttons {
                pad.set(button, true);
            }
            self.nes.set_input(&InputState {
                pads: [pad, Buttons::default()],
                ..InputState::default()
            });
        }
    }

    #[test]
    fn boots_into_its_main_loop_with_sprites_in_place() {
        let mut demo = Demo::boot();
        demo.run_frames(30);
        // Setting up takes about ten frames, most of them drawing the sky;
        // then the NMI counts every frame.
        let frames = demo.ram("frame");
        assert!((15..30).contains(&frames), "{frames} NMIs");
        let oam = |i: u16| demo.nes.bus().memory().read(0x0200 + i).unwrap();
        assert_eq!(oam(1), S_SHIP as u8);
        assert_eq!(oam(3), demo.ram("player_x"));
    }

    #[test]
    fn the_scroll_moves_and_start_pauses_it() {
        let mut demo = Demo::boot();
        demo.run_frames(WARM_UP);
        let before = demo.ram("scroll_x");
        demo.run_frames(10);
        let moved = demo.ram("scroll_x").wrapping_sub(before);
        assert!(
            (9..=11).contains(&moved),
            "scrolled {moved} pixels in 10 frames"
        );
        demo.hold(&[Button::Start]);
        demo.run_frames(1);
        demo.hold(&[]);
        demo.run_frames(2);
        assert_eq!(demo.ram("paused"), 1);
        let paused_at = demo.ram("scroll_x");
        demo.run_frames(10);
        assert_eq!(demo.ram("scroll_x"), paused_at);
    }

    #[test]
    fn the_d_pad_moves_the_ship() {
        let mut demo = Demo::boot();
        demo.run_frames(WARM_UP);
        let (x, y) = (demo.ram("player_x"), demo.ram("player_y"));
        demo.hold(&[Button::Right, Button::Up]);
        demo.run_frames(10);
        let dx = demo.ram("player_x").wrapping_sub(x);
        let dy = y.wrapping_sub(demo.ram("player_y"));
        assert!(
            (18..=22).contains(&dx) && (18..=22).contains(&dy),
            "moved {dx}, {dy}"
        );
    }

    /// Runs the demo on the NES machine for `frames` frames with `input`
    /// from frame `press_at` on; returns the framebuffers every 30 frames
    /// and all the audio.
    fn run_on_nes(frames: usize, press_at: usize, input: InputState) -> (Vec<Vec<u8>>, Vec<i16>) {
        let mut nes = Nes::new(&nes_demo(), Interpreter, 44_100).unwrap();
        let mut pictures = Vec::new();
        let mut audio = Vec::new();
        for frame in 1..=frames {
            if frame == press_at {
                nes.set_input(&input);
            }
            nes.run_frame().unwrap();
            nes.take_audio(&mut audio);
            if frame % 30 == 0 {
                pictures.push(nes.framebuffer().to_vec());
            }
        }
        (pictures, audio)
    }

    fn colours(rgba: &[u8]) -> usize {
        let mut seen: Vec<&[u8]> = rgba.chunks_exact(4).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    }

    #[test]
    fn runs_on_the_nes_machine() {
        let (pictures, audio) = run_on_nes(120, usize::MAX, InputState::default());
        // Once set up, the picture has sky, stars, titles, ground, bricks and
        // sprites, and it moves.
        for picture in &pictures[1..] {
            assert!(colours(picture) >= 6, "{} colours", colours(picture));
        }
        for pair in pictures[1..].windows(2) {
            assert_ne!(pair[0], pair[1], "the picture stands still");
        }
        // About two seconds of sound, and not silence.
        assert!(
            (80_000..100_000).contains(&audio.len()),
            "{} samples",
            audio.len()
        );
        let (low, high) = (audio.iter().min().unwrap(), audio.iter().max().unwrap());
        assert!(
            i32::from(*high) - i32::from(*low) > 2_000,
            "audio spans {low}..{high}"
        );
        // The same run again gives the same pictures and sound.
        assert_eq!(
            run_on_nes(120, usize::MAX, InputState::default()),
            (pictures.clone(), audio)
        );
        // Holding Right and Start from frame 60 changes what is seen.
        let mut pad = Buttons::default();
        pad.set(Button::Right, true);
        pad.set(Button::Start, true);
        let input = InputState {
            pads: [pad, Buttons::default()],
            ..InputState::default()
        };
        let (pressed, _) = run_on_nes(120, 60, input);
        assert_eq!(pressed[..2], pictures[..2]);
        assert_ne!(pressed[3], pictures[3]);
    }
}
