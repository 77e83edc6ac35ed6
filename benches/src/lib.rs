//! Workloads shared by retrojit's benchmarks: the same guest programs,
//! loaded the same way, for every engine and every comparison core.

use retrojit_core::programs::{self, BareProgram};
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
