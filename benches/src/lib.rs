//! Workloads shared by retrojit's benchmarks: the same guest programs,
//! loaded the same way, for every engine and every comparison core.

use retrojit_core::programs::{self, BareProgram, ComProgram};
use std::path::PathBuf;

/// Where Klaus Dormann's functional test lives in the ROM directory.
pub const KLAUS_PATH: &str = "6502/klaus-dormann/6502_functional_test.bin";
/// Its success trap.
pub const KLAUS_SUCCESS: u16 = 0x3469;

/// Klaus Dormann's functional test as a bare-machine program, or `None`
/// (with a message saying why the benchmark is skipped) without the ROMs.
pub fn klaus() -> Option<BareProgram> {
    let path: PathBuf = roms_test::roms::default_roms_dir().join(KLAUS_PATH);
    match std::fs::read(&path) {
        Ok(image) => Some(BareProgram {
            name: "klaus-functional",
            image,
            load: 0x0000,
            start: 0x0400,
            done: KLAUS_SUCCESS,
        }),
        Err(e) => {
            eprintln!("skipping the Klaus benchmark: {}: {e}", path.display());
            None
        }
    }
}

/// The self-written CPU-bound loop: CRC-16 over a code page, 40 passes
/// (about 650,000 instructions).
pub fn crc_loop() -> BareProgram {
    programs::crc16(40)
}

/// Where ZEXDOC lives in the ROM directory.
pub const ZEXDOC_PATH: &str = "z80/cpm/zexdoc.com";
/// How much of ZEXDOC the Z80 benchmark runs: its first 20 million
/// instructions (the whole program is 5.8 billion), which is inside its
/// first test groups.
pub const ZEXDOC_BUDGET: u64 = 20_000_000;

/// ZEXDOC as a CP/M program, or `None` (with a message saying why the
/// benchmark is skipped) without the ROMs.
pub fn zexdoc() -> Option<ComProgram> {
    let path: PathBuf = roms_test::roms::default_roms_dir().join(ZEXDOC_PATH);
    match std::fs::read(&path) {
        Ok(image) => Some(ComProgram {
            name: "zexdoc",
            image,
        }),
        Err(e) => {
            eprintln!("skipping the ZEXDOC benchmark: {}: {e}", path.display());
            None
        }
    }
}

/// The self-written Z80 CPU-bound loop: CRC-16 over its code page, 40
/// passes (about 560,000 instructions), run to its warm boot.
pub fn z80_crc_loop() -> ComProgram {
    programs::crc16_z80(40)
}

/// An NES program the machine benchmarks run: a name and an iNES image.
#[derive(Clone, Debug)]
pub struct NesProgram {
    /// What it is.
    pub name: &'static str,
    /// The iNES file.
    pub image: Vec<u8>,
}

/// The homebrew games in the ROM directory the NES benchmarks use.
pub const NES_GAMES: [(&str, &str); 2] = [
    ("croom", "games/nes/croom/croom.nes"),
    ("nes15", "games/nes/nes15/nes15-NTSC.nes"),
];

/// The built-in NES demo plus whichever of [`NES_GAMES`] are present (a
/// message says which are skipped).
pub fn nes_programs() -> Vec<NesProgram> {
    let mut programs = vec![NesProgram {
        name: "demo",
        image: programs::nes_demo::nes_demo(),
    }];
    for (name, rel) in NES_GAMES {
        let path = roms_test::roms::default_roms_dir().join(rel);
        match std::fs::read(&path) {
            Ok(image) => programs.push(NesProgram { name, image }),
            Err(e) => eprintln!("skipping the {name} benchmark: {}: {e}", path.display()),
        }
    }
    programs
}
