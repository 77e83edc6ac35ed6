//! The machines against public ROMs: the NES against blargg's CPU test
//! ROMs, every golden frame of the manifest (NES and ZX Spectrum), and a
//! ZX Spectrum tape loading through the ROM. 6502 code runs under the JIT
//! where the host has one (AArch64; the interpreter is covered there by the
//! native run), else under the interpreter; the Z80 always interprets.
//! Skips with a message when the ROMs are absent, unless
//! `RETROJIT_REQUIRE_ROMS=1`.

use roms_test::blargg;
use roms_test::engine::Engine;
use roms_test::frames::{self, GoldenFrame};
use roms_test::manifest::{DEFAULT_MANIFEST, Manifest, TestSpec};
use roms_test::roms::{default_roms_dir, require_or_skip};
use roms_test::zx;
use std::path::Path;

fn engines() -> Vec<Engine> {
    if Engine::Jit.ensure_available().is_ok() {
        vec![Engine::Jit]
    } else {
        vec![Engine::Interp]
    }
}

fn blargg_suite(test: &str, path: &str, max_frames: u64) {
    let Some(path) = require_or_skip(test, path) else {
        return;
    };
    for engine in engines() {
        let result = blargg::run(
            test,
            engine,
            std::slice::from_ref(&path),
            max_frames,
            |_, _| {},
        );
        eprintln!(
            "{test} under {engine}: {} ROMs, {} passed, {:.1} s",
            result.cases, result.passed, result.seconds
        );
        assert!(
            result.failed == 0 && result.passed == result.cases,
            "{test} under {engine}:\n{}",
            result.messages.join("\n")
        );
    }
}

#[test]
fn blargg_instr_test_singles_pass() {
    blargg_suite(
        "blargg_instr_test_singles_pass",
        "nes/instr_test-v5/rom_singles",
        3600,
    );
}

#[test]
fn blargg_instr_timing_passes() {
    blargg_suite(
        "blargg_instr_timing_passes",
        "nes/instr_timing/instr_timing.nes",
        3600,
    );
}

#[test]
fn blargg_instr_timing_singles_pass() {
    blargg_suite(
        "blargg_instr_timing_singles_pass",
        "nes/instr_timing/rom_singles",
        3600,
    );
}

/// The golden-frame suites of the shipped manifest, every one under every
/// engine: the same picture after the same frames and input.
#[test]
fn golden_frames_match() {
    let manifest = Manifest::load(Path::new(DEFAULT_MANIFEST)).unwrap();
    let mut checked = 0;
    for suite in &manifest.suites {
        let TestSpec::Frames {
            rom,
            frames: count,
            input,
            frame_hash,
        } = &suite.test
        else {
            continue;
        };
        let Some(rom) = require_or_skip(&suite.name, rom) else {
            continue;
        };
        let golden = GoldenFrame {
            rom: &rom,
            frames: *count,
            input,
            frame_hash: u64::from_str_radix(frame_hash, 16).unwrap(),
        };
        for engine in engines() {
            if !suite.test.runs_under(engine) {
                continue;
            }
            let result = frames::run(&suite.name, engine, &golden, &default_roms_dir());
            assert_eq!(
                result.passed,
                1,
                "{} under {engine}: {}",
                suite.name,
                result.messages.join("\n")
            );
            checked += 1;
        }
    }
    eprintln!("golden frames: {checked} runs matched");
}

#[test]
fn a_zx_spectrum_tape_loads_through_the_rom() {
    let Some(tape) = require_or_skip(
        "a_zx_spectrum_tape_loads_through_the_rom",
        "games/zx/znake/znake.tap",
    ) else {
        return;
    };
    let result = zx::run(
        "znake",
        &tape,
        300,
        Some("Bytes: znake"),
        &default_roms_dir(),
        |_| {},
    );
    assert_eq!(result.passed, 1, "{}", result.messages.join("\n"));
}
