//! Tests from the documented 48K timings (sinclair.wiki / FUSE numbering:
//! T-state 0 is the first with /INT low) and, where the ROM is present,
//! the real machine booting and typing.

use super::keyboard::{Keyboard, kempston};
use super::machine::{FRAME_RATE, LD_START};
use super::media::{self, Media};
use super::ula::{self, FRAME_TSTATES, HEIGHT, PALETTE, WIDTH};
use super::{Zx48, Zx48Error};
use crate::bus::BusZ80;
use crate::machine::state::fnv1a64;
use crate::machine::{Button, Buttons, InputState, Key, Keys, Machine};

/// A machine whose ROM just loops, for running hand-placed code.
fn bare() -> Zx48 {
    let mut rom = [0; 0x4000];
    rom[..2].copy_from_slice(&[0x18, 0xFE]); // JR $: stay out of the way
    Zx48::new(&rom, 44_100).unwrap()
}

/// Runs the instruction `code` from uncontended RAM ($8000), starting at
/// frame T-state `t`; returns the T-states it took.
fn run_at(m: &mut Zx48, code: &[u8], t: u32) -> u64 {
    m.poke(0x8000, code);
    let start = m.frame_start() + u64::from(t);
    let regs = &mut m.cpu_mut().regs;
    regs.pc = 0x8000;
    regs.tstates = start;
    m.step();
    m.cpu().regs.tstates - start
}

fn pixel(m: &Zx48, x: usize, y: usize) -> [u8; 4] {
    let at = (y * WIDTH + x) * 4;
    m.framebuffer()[at..at + 4].try_into().unwrap()
}

#[test]
fn memory_contention_follows_the_65432100_pattern_from_14335() {
    let delays: Vec<u32> = (14_335..14_343).map(ula::contention).collect();
    assert_eq!(delays, [6, 5, 4, 3, 2, 1, 0, 0]);
    assert_eq!(ula::contention(14_343), 6, "the pattern repeats every 8");
    assert_eq!(ula::contention(14_334), 0, "nothing before the screen");
    assert_eq!(ula::contention(0), 0);
    for border in [14_335 + 128, 14_335 + 200, 14_335 + 223] {
        assert_eq!(
            ula::contention(border),
            0,
            "border part of a line at {border}"
        );
    }
    assert_eq!(ula::contention(14_335 + 224), 6, "next line");
    assert_eq!(ula::contention(14_335 + 191 * 224 + 1), 5, "last line");
    assert_eq!(ula::contention(14_335 + 192 * 224), 0, "bottom border");
}

#[test]
fn ld_a_hl_is_delayed_only_on_contended_memory_during_the_screen() {
    let mut m = bare();
    let ld_a_hl = [0x7E];
    // The read cycle starts 4 T-states into the instruction.
    for (hl, t, expected) in [
        (0x8000, 14_331, 7),
        (0x4000, 14_331, 7 + 6),
        (0x4000, 14_332, 7 + 5),
        (0x4000, 14_337, 7),
        (0x4000, 14_331 + 128, 7),
        (0x4000, 1_000, 7),
        (0x7FFF, 14_331 + 224, 7 + 6),
    ] {
        m.cpu_mut().regs.set_hl(hl);
        assert_eq!(run_at(&mut m, &ld_a_hl, t), expected, "HL={hl:04X} at {t}");
    }
    // Executing from contended memory: the opcode fetch waits too.
    m.poke(0x6000, &ld_a_hl);
    m.cpu_mut().regs.set_hl(0x8000);
    let start = m.frame_start() + 14_335;
    m.cpu_mut().regs.pc = 0x6000;
    m.cpu_mut().regs.tstates = start;
    m.step();
    assert_eq!(m.cpu().regs.tstates - start, 6 + 7);
}

#[test]
fn io_contention_follows_the_port_rules() {
    // (port, start T-state, waits)
    for (port, t, waits) in [
        // N:1, C:3: the second T-state meets the ULA.
        (0x00FE, 14_334, 6),
        (0x00FE, 14_335, 5),
        (0x00FE, 1_000, 0),
        // C:1, C:3.
        (0x40FE, 14_335, 6),
        (0x40FE, 14_334, 6),
        (0x40FE, 14_341, 0),
        // C:1, C:1, C:1, C:1: 6, then 0, 6, 0 along the pattern.
        (0x7FFF, 14_335, 12),
        (0x7FFF, 1_000, 0),
        // N:4.
        (0x00FF, 14_335, 0),
        (0x00FF, 14_336, 0),
    ] {
        assert_eq!(
            ula::io_contention(port, t).0,
            waits,
            "port {port:04X} at {t}"
        );
    }
    // Through the CPU: IN A,(n) with A=$40 reads port $40FE, its I/O
    // cycle starting 7 T-states in.
    let mut m = bare();
    m.cpu_mut().regs.a = 0x40;
    assert_eq!(run_at(&mut m, &[0xDB, 0xFE], 14_335 - 7), 11 + 6);
    m.cpu_mut().regs.a = 0x00;
    assert_eq!(run_at(&mut m, &[0xDB, 0xFF], 14_335 - 7), 11);
}

#[test]
fn the_floating_bus_shows_the_byte_the_ula_fetches() {
    let mut m = bare();
    m.poke(0x4000, &[0xAA, 0x55]);
    m.poke(0x5800, &[0x38, 0x47]);
    m.poke(0x4002, &[0x11]);
    m.poke(0x4100, &[0x99]);
    let mem: &[u8; 0x10000] = m.memory().try_into().unwrap();
    let t0 = ula::FIRST_PIXEL;
    let read: Vec<u8> = (t0..t0 + 11).map(|t| ula::floating_bus(mem, t)).collect();
    assert_eq!(
        read,
        [
            0xFF, 0xFF, 0xFF, 0xAA, 0x38, 0x55, 0x47, 0xFF, 0xFF, 0xFF, 0xFF
        ]
    );
    assert_eq!(ula::floating_bus(mem, t0 + 8 + 3), 0x11, "next group");
    assert_eq!(ula::floating_bus(mem, t0 + 224 + 3), 0x99, "pixel line 1");
    assert_eq!(ula::floating_bus(mem, t0 + 128 + 3), 0xFF, "right border");
    assert_eq!(ula::floating_bus(mem, 1_000), 0xFF, "top border");
    assert_eq!(ula::floating_bus(mem, t0 + 192 * 224 + 3), 0xFF, "bottom");
    // IN A,($FF): the bus is sampled in the I/O cycle's last T-state,
    // 10 T-states into the instruction.
    m.cpu_mut().regs.a = 0;
    run_at(&mut m, &[0xDB, 0xFF], t0 + 3 - 10);
    assert_eq!(m.cpu().regs.a, 0xAA);
    run_at(&mut m, &[0xDB, 0xFF], t0 + 4 - 10);
    assert_eq!(m.cpu().regs.a, 0x38);
    run_at(&mut m, &[0xDB, 0xFF], 5_000);
    assert_eq!(m.cpu().regs.a, 0xFF);
}

#[test]
fn a_border_change_shows_from_the_beam_position_of_its_t_state() {
    let mut m = bare();
    m.run_frame().unwrap();
    // The picture's (0,0) is drawn at 14336 - 48 lines - 24 T-states; two
    // pixels a T-state. OUT ($FE),A writes 8 T-states into the instruction.
    let (x, y) = (100usize, 10usize);
    let at = ula::FIRST_PIXEL - 48 * 224 - 24 + (y * 224 + x / 2) as u32;
    m.cpu_mut().regs.a = 2;
    run_at(&mut m, &[0xD3, 0xFE], at - 8);
    m.run_frame().unwrap();
    let (white, red) = (PALETTE[7], PALETTE[2]);
    assert_eq!(pixel(&m, x - 1, y), white);
    assert_eq!(pixel(&m, x - 2, y), white);
    assert_eq!(pixel(&m, x, y), red);
    assert_eq!(pixel(&m, WIDTH - 1, y - 1), white);
    assert_eq!(pixel(&m, 0, y + 1), red);
    assert_eq!(pixel(&m, 10, HEIGHT - 1), red);
    assert_eq!(pixel(&m, 48, 48), PALETTE[0], "paper of attribute 0");
    m.run_frame().unwrap();
    assert_eq!(pixel(&m, 0, 0), red, "the next frame is red throughout");
}

#[test]
fn screen_writes_show_from_the_beam_position_and_flash_swaps() {
    let mut m = bare();
    m.poke(0x5800, &[0x87]); // FLASH, white ink on black paper
    m.poke(0x4000, &[0xF0]);
    m.run_frame().unwrap();
    assert_eq!(pixel(&m, 48, 48), PALETTE[7]);
    assert_eq!(pixel(&m, 52, 48), PALETTE[0]);
    for _ in 0..16 {
        m.run_frame().unwrap();
    }
    assert_eq!(pixel(&m, 48, 48), PALETTE[0], "FLASH swapped ink and paper");
    assert_eq!(pixel(&m, 52, 48), PALETTE[7]);
    // A write to the second pixel line after it was drawn shows next frame.
    m.cpu_mut().regs.set_hl(0x4100);
    m.cpu_mut().regs.a = 0xFF;
    run_at(&mut m, &[0x77], ula::FIRST_PIXEL + 224 + 10); // LD (HL),A
    m.run_frame().unwrap();
    assert_eq!(
        pixel(&m, 52, 49),
        PALETTE[7],
        "flash phase 1: paper is white"
    );
    m.run_frame().unwrap();
    assert_eq!(pixel(&m, 52, 49), PALETTE[0], "ink now, the byte is $FF");
}

#[test]
fn keyboard_half_rows_and_kempston() {
    let keys = |list: &[Key]| {
        let mut k = Keys::default();
        for &key in list {
            k.set(key, true);
        }
        Keyboard::from_keys(k)
    };
    let a = keys(&[Key::A]);
    assert_eq!(a.read(0xFD), 0xFE);
    assert_eq!(a.read(0x00), 0xFE, "all half-rows selected");
    assert_eq!(a.read(0xFE), 0xFF, "another half-row");
    let comma = keys(&[Key::Comma]);
    assert_eq!(comma.read(0x7F), !0x0A, "SYMBOL SHIFT + N");
    let bs = keys(&[Key::Backspace]);
    assert_eq!(bs.read(0xFE), 0xFE, "CAPS SHIFT");
    assert_eq!(bs.read(0xEF), 0xFE, "and 0");
    let up = keys(&[Key::Up, Key::Enter, Key::Digit5]);
    assert_eq!(up.read(0xEF), !0x08, "7");
    assert_eq!(up.read(0xBF), !0x01, "ENTER");
    assert_eq!(up.read(0xF7), !0x10, "5");
    assert_eq!(keys(&[Key::Quote]).read(0xEF), !0x08);
    assert_eq!(keys(&[Key::Ctrl]).read(0x7F), !0x02);

    let mut pad = Buttons::default();
    pad.set(Button::Right, true);
    pad.set(Button::A, true);
    assert_eq!(kempston(pad), 0x11);
    let mut pad = Buttons::default();
    pad.set(Button::Up, true);
    pad.set(Button::Left, true);
    pad.set(Button::Down, true);
    pad.set(Button::B, true);
    assert_eq!(kempston(pad), 0x1E);

    // Through the ports.
    let mut m = bare();
    let mut input = InputState::default();
    input.keys.set(Key::Q, true);
    input.pads[0].set(Button::Up, true);
    m.set_input(&input);
    let bus = m.bus_mut();
    assert_eq!(bus.port_in(0xFBFE, 0), 0xBE, "Q; bit 6 low with EAR low");
    assert_eq!(bus.port_in(0x7FFE, 0), 0xBF);
    assert_eq!(bus.port_in(0x001F, 0), 0x08);
    bus.port_out(0x00FE, 0x10, 0);
    assert_eq!(bus.port_in(0x7FFE, 0), 0xFF, "issue 3: bit 6 follows EAR");
}

#[test]
fn the_interrupt_lasts_32_t_states_and_a_frame_69888() {
    let mut m = bare();
    for (t, taken) in [(0, true), (31, true), (32, false), (40_000, false)] {
        let regs = &mut m.cpu_mut().regs;
        regs.iff1 = true;
        regs.iff2 = true;
        regs.im = 1;
        regs.sp = 0xF000;
        run_at(&mut m, &[0x00], t);
        let pc = m.cpu().regs.pc;
        assert_eq!(pc == 0x0038, taken, "at T-state {t}: PC={pc:04X}");
    }
    let mut m = bare();
    for frame in 1..=5u64 {
        let report = m.run_frame().unwrap();
        assert!((69_888..69_888 + 23).contains(&report.cycles), "{report:?}");
        assert_eq!(m.frame_start(), frame * u64::from(FRAME_TSTATES));
    }
    assert!((FRAME_RATE - 50.08).abs() < 0.01);
    assert_eq!(m.screen_size(), (352, 288));
    assert_eq!(m.name(), "ZX Spectrum 48K");
}

#[test]
fn roms_of_the_wrong_size_are_refused() {
    let err = Zx48::new(&[0; 100], 44_100).unwrap_err();
    assert_eq!(err, Zx48Error::RomSize(100));
    assert!(err.to_string().contains("16384"), "{err}");
    assert!(Zx48::new(&[0; 0x8000], 44_100).is_err());
}

/// A TAP image of `blocks`.
fn tap(blocks: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for b in blocks {
        out.extend_from_slice(&(b.len() as u16).to_le_bytes());
        out.extend_from_slice(b);
    }
    out
}

fn tape(blocks: &[&[u8]]) -> media::Tape {
    match media::load("test.tap", &tap(blocks)) {
        Ok(Media::Tape(t)) => t,
        other => panic!("not a tape: {other:?}"),
    }
}

#[test]
fn the_instant_loader_traps_ld_bytes() {
    let mut rom = vec![0u8; 0x4000];
    // LD SP,$FF00; LD IX,$8000; LD DE,3; LD A,$FF; SCF; CALL LD-BYTES;
    // PUSH AF; CALL LD-BYTES (again: the flag differs); PUSH AF; HALT.
    let code = [
        0x31, 0x00, 0xFF, 0xDD, 0x21, 0x00, 0x80, 0x11, 0x03, 0x00, 0x3E, 0xFF, 0x37, 0xCD, 0x56,
        0x05, 0xF5, 0x3E, 0xFF, 0x37, 0xCD, 0x56, 0x05, 0xF5, 0x76,
    ];
    rom[0x100..0x100 + code.len()].copy_from_slice(&code);
    rom[..3].copy_from_slice(&[0xC3, 0x00, 0x01]); // JP $0100
    // LD-BYTES as far as the trap cares: EX AF,AF'; LD HL,SA/LD-RET;
    // PUSH HL; JP LD-START. SA/LD-RET: EI; RET.
    rom[0x556..0x55F].copy_from_slice(&[0x08, 0x21, 0x3F, 0x05, 0xE5, 0xC3, 0x6C, 0x05, 0x00]);
    rom[0x53F..0x541].copy_from_slice(&[0xFB, 0xC9]);
    let mut m = Zx48::new(&rom, 44_100).unwrap();
    m.insert_tape(
        tape(&[&[0xFF, 1, 2, 3, 0xFF ^ 1 ^ 2 ^ 3], &[0x00, 9, 9]]),
        false,
    );
    m.run_frame().unwrap();
    assert_eq!(&m.memory()[0x8000..0x8004], &[1, 2, 3, 0]);
    let regs = m.cpu().regs;
    assert!(regs.halted);
    assert_eq!(regs.ix, 0x8003);
    assert_eq!(regs.de(), 0);
    assert!(regs.iff1, "returned through SA/LD-RET");
    let first_f = m.memory()[0xFEFE];
    let second_f = m.memory()[0xFEFC];
    assert_eq!(first_f & 1, 1, "the first block loaded");
    assert_eq!(second_f & 1, 0, "the second block's flag is wrong");
    assert_eq!(m.tape_blocks_left(), 0);
    assert_eq!(LD_START, 0x056C);
}

#[test]
fn a_realtime_tape_drives_ear_input() {
    let mut m = bare();
    m.insert_tape(tape(&[&[0x00; 19], &[0xFF; 100]]), true);
    assert!(m.tape_playing());
    let bus = m.bus_mut();
    let levels: Vec<bool> = (0..2000u64)
        .map(|i| bus.port_in(0x7FFE, i * 500) & 0x40 != 0)
        .collect();
    assert!(levels.contains(&true) && levels.contains(&false));
}

/// A program in ROM that keeps writing the screen and the border/beeper:
/// `LD HL,$4000; loop: INC (HL); INC HL; LD A,H; OUT ($FE),A; JR loop`.
fn busy_rom(variant: u8) -> Vec<u8> {
    let mut rom = vec![0u8; 0x4000];
    rom[..10].copy_from_slice(&[0x21, 0x00, 0x40, 0x34, 0x23, 0x7C, 0xD3, 0xFE, 0x18, 0xF9]);
    rom[0x3FFF] = variant;
    rom
}

fn run(m: &mut Zx48, frames: u32) -> (u64, Vec<i16>) {
    let mut audio = Vec::new();
    for _ in 0..frames {
        m.run_frame().unwrap();
        m.take_audio(&mut audio);
    }
    (fnv1a64(m.framebuffer()), audio)
}

#[test]
fn a_loaded_state_continues_exactly_as_the_saved_machine() {
    let mut m = Zx48::new(&busy_rom(0), 44_100).unwrap();
    run(&mut m, 20);
    let state = m.save_state();
    let expected = run(&mut m, 10);
    assert!(expected.1.iter().any(|&s| s != 0), "the program beeps");
    let samples = 10 * 44_100 * 69_888 / 3_500_000;
    assert!((samples..=samples + 1).contains(&expected.1.len()));
    let mut other = Zx48::new(&busy_rom(0), 44_100).unwrap();
    other.load_state(&state).unwrap();
    assert_eq!(run(&mut other, 10), expected);
    m.load_state(&state).unwrap();
    assert_eq!(
        run(&mut m, 10),
        expected,
        "loading into the running machine"
    );
}

#[test]
fn bad_states_are_refused_and_change_nothing() {
    let mut m = Zx48::new(&busy_rom(0), 44_100).unwrap();
    run(&mut m, 5);
    let good = m.save_state();
    let mut corrupt = good.clone();
    let last = corrupt.len() - 10;
    corrupt[last] ^= 1;
    let foreign = Zx48::new(&busy_rom(1), 44_100).unwrap().save_state();
    run(&mut m, 3);
    for (bad, what) in [
        (&b"not a state"[..], "garbage"),
        (&good[..good.len() / 2], "truncated"),
        (&corrupt[..], "corrupt"),
        (&foreign[..], "another ROM"),
    ] {
        let before = m.save_state();
        assert!(m.load_state(bad).is_err(), "{what} was accepted");
        assert_eq!(m.save_state(), before, "{what} changed the machine");
    }
}

#[test]
fn reset_restarts_the_rom_and_keeps_ram() {
    let mut m = Zx48::new(&busy_rom(0), 44_100).unwrap();
    run(&mut m, 2);
    let ram = m.memory()[0x4000..].to_vec();
    m.reset();
    assert_eq!(m.cpu().regs.pc, 0);
    assert_eq!(&m.memory()[0x4000..], &ram[..]);
}

/// The 48K ROM from the shared ROM directory, if it is there.
fn rom() -> Option<Vec<u8>> {
    let dir = std::env::var("RETROJIT_ROMS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/roms").to_owned());
    let path = std::path::Path::new(&dir).join("system/zx48/48.rom");
    match std::fs::read(&path) {
        Ok(rom) => Some(rom),
        Err(e) => {
            eprintln!("skipped: no 48K ROM at {} ({e})", path.display());
            None
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_rom_boots_to_the_copyright_message_and_takes_keys() {
    let Some(rom) = rom() else { return };
    let mut m = Zx48::new(&rom, 44_100).unwrap();
    let mut printed = Vec::new();
    for _ in 0..100 {
        m.run_frame().unwrap();
        printed.extend(m.take_printed());
        if contains(&printed, b"1982 Sinclair Research Ltd") {
            break;
        }
    }
    assert!(
        contains(&printed, b"\x7F 1982 Sinclair Research Ltd"),
        "printed: {:?}",
        String::from_utf8_lossy(&printed)
    );
    for _ in 0..10 {
        m.run_frame().unwrap();
    }
    // White border and paper, black text: both colours are on screen.
    assert_eq!(pixel(&m, 0, 0), PALETTE[7]);
    let fb = m.framebuffer();
    assert!(fb.chunks(4).any(|p| p == PALETTE[0]));
    let before = fnv1a64(m.framebuffer());
    m.take_printed();

    // P in K mode is the PRINT keyword; then "1", ENTER: prints 1.
    for key in [Key::P, Key::Digit1, Key::Enter] {
        let mut input = InputState::default();
        input.keys.set(key, true);
        m.set_input(&input);
        run(&mut m, 5);
        m.set_input(&InputState::default());
        run(&mut m, 5);
    }
    run(&mut m, 20);
    assert_ne!(fnv1a64(m.framebuffer()), before, "the screen changed");
    // The edit line echoes through RST $10; the report's digits go to
    // PRINT-A-2 directly, so only its text shows.
    let printed = m.take_printed();
    assert!(
        contains(&printed, b"PRINT 1\r") && contains(&printed, b" OK, "),
        "printed: {:?}",
        String::from_utf8_lossy(&printed)
    );
}

/// Holds the keys `combo` for 5 frames, then nothing for 5.
fn press(m: &mut Zx48, combo: &[Key]) {
    let mut input = InputState::default();
    for &key in combo {
        input.keys.set(key, true);
    }
    m.set_input(&input);
    run(m, 5);
    m.set_input(&InputState::default());
    run(m, 5);
}

/// Boots the ROM and types `LOAD ""` ENTER; None without the ROM or tape.
fn load_znake(realtime: bool) -> Option<(Zx48, Vec<u8>)> {
    let rom = rom()?;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/roms/games/zx/znake/znake.tap"
    );
    let Ok(bytes) = std::fs::read(path) else {
        eprintln!("skipped: {path} not present");
        return None;
    };
    let Ok(Media::Tape(tape)) = media::load("znake.tap", &bytes) else {
        panic!("znake.tap does not parse");
    };
    let mut m = Zx48::new(&rom, 44_100).unwrap();
    run(&mut m, 100);
    for combo in [
        &[Key::J][..],
        &[Key::Ctrl, Key::P],
        &[Key::Ctrl, Key::P],
        &[Key::Enter],
    ] {
        press(&mut m, combo);
    }
    m.insert_tape(tape, realtime);
    let mut printed = m.take_printed();
    // Real time: two headers (5 s of pilot each), the BASIC loader, and
    // 2983 bytes at about 1100 bits/s: under 45 s.
    for _ in 0..2_250 {
        run(&mut m, 1);
        printed.extend(m.take_printed());
        if contains(&printed, b"Bytes: znake") && !m.tape_playing() {
            break;
        }
    }
    run(&mut m, 100);
    Some((m, printed))
}

#[test]
fn load_quote_quote_loads_a_tape_instantly_through_the_ld_bytes_trap() {
    let Some((m, printed)) = load_znake(false) else {
        return;
    };
    let text = String::from_utf8_lossy(&printed);
    assert!(contains(&printed, b"Program: loader"), "{text}");
    assert!(contains(&printed, b"Bytes: znake"), "{text}");
    assert_eq!(m.tape_blocks_left(), 0);
    assert!(!contains(&printed, b"Tape loading error"), "{text}");
    // The code block is in place: 2983 bytes at 32896.
    assert!(m.memory()[32_896..32_896 + 2983].iter().any(|&b| b != 0));
}

#[test]
fn load_quote_quote_loads_a_tape_in_real_time_through_ear() {
    let Some((instant, _)) = load_znake(false) else {
        return;
    };
    let Some((m, printed)) = load_znake(true) else {
        return;
    };
    let text = String::from_utf8_lossy(&printed);
    assert!(contains(&printed, b"Program: loader"), "{text}");
    assert!(contains(&printed, b"Bytes: znake"), "{text}");
    assert!(!m.tape_playing(), "the tape ran to its end");
    assert_eq!(
        &m.memory()[32_896..32_896 + 2983],
        &instant.memory()[32_896..32_896 + 2983],
        "the ROM loader read the same bytes the trap copied"
    );
}

#[test]
fn a_snapshot_sets_registers_ram_and_border() {
    let mut m = bare();
    m.run_frame().unwrap();
    let regs = crate::cpu::z80::Registers {
        pc: 0x8000,
        sp: 0xFF00,
        a: 0x12,
        tstates: 123_456_789,
        ..Default::default()
    };
    let mut ram = vec![0u8; 0xC000];
    ram[0x4000] = 0x3C; // $8000: INC A
    ram[0x1800] = 0x38;
    let snapshot = media::Snapshot {
        regs,
        ram,
        border: 4,
    };
    m.load_snapshot(&snapshot);
    assert_eq!(m.border(), 4);
    assert_eq!(pixel(&m, 0, 0), PALETTE[4], "the picture is redrawn");
    assert_eq!(pixel(&m, 48, 48), PALETTE[7], "white paper at $5800");
    assert!(
        m.cpu().regs.tstates < 3 * u64::from(FRAME_TSTATES),
        "the clock is kept"
    );
    m.step();
    assert_eq!(m.cpu().regs.a, 0x13);
    assert_eq!(m.cpu().regs.pc, 0x8001);
}
