//! Starting a ZX Spectrum with a program: the ROM boots, then a snapshot is
//! loaded, or a tape is inserted and `LOAD ""` typed as a user would.

use super::media::{self, Media, MediaError};
use super::{Zx48, Zx48Error};
use crate::machine::Machine;
use crate::machine::input_script::InputScript;
use crate::machine::typist::Typist;

/// Where the 48K ROM lives in the ROM directory.
pub const ROM_PATH: &str = "system/zx48/48.rom";

/// `LOAD ""` and ENTER on the 48K ROM once it shows its copyright line
/// (about 90 frames after power-on): J is LOAD in K mode, SYMBOL SHIFT + P
/// is `"`, each held 5 frames and released 5 so the ROM sees two presses.
pub const LOAD_SCRIPT: &str = "\
100 keys J
105 keys -
110 keys Ctrl+P
115 keys -
120 keys Ctrl+P
125 keys -
130 keys Enter
135 keys -
";

/// Frames [`LOAD_SCRIPT`] takes, up to ENTER's release.
pub const LOAD_SCRIPT_FRAMES: u64 = 136;

/// Why a program could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The ROM is unusable.
    #[error(transparent)]
    Rom(#[from] Zx48Error),
    /// The snapshot or tape is unusable.
    #[error(transparent)]
    Media(#[from] MediaError),
}

/// A ZX Spectrum 48K with `rom`, running `media` (file name and bytes, the
/// format chosen by the extension) or just BASIC. A snapshot starts at
/// once; a tape is loaded by the ROM after `LOAD ""` is typed: instantly
/// (the ROM's loader is trapped) or, with `realtime_tape`, as tape signal.
/// In real time the tape must not start before the ROM listens, so the
/// machine boots and `LOAD ""` is typed before this returns
/// ([`LOAD_SCRIPT_FRAMES`] frames).
pub fn launch(
    rom: &[u8],
    media: Option<(&str, &[u8])>,
    realtime_tape: bool,
    sample_rate: u32,
) -> Result<Typist<Zx48>, LaunchError> {
    let mut zx = Zx48::new(rom, sample_rate)?;
    let Some((name, bytes)) = media else {
        return Ok(Typist::new(zx, InputScript::default()));
    };
    match media::load(name, bytes)? {
        Media::Snapshot(snapshot) => {
            zx.load_snapshot(&snapshot);
            Ok(Typist::new(zx, InputScript::default()))
        }
        Media::Tape(tape) if realtime_tape => {
            let mut typist = Typist::new(zx, load_script());
            let mut audio = Vec::new();
            for _ in 0..LOAD_SCRIPT_FRAMES {
                // A Z80 machine has no JIT to diverge and no opcode that
                // stops it, so a frame always completes.
                let _ = typist.run_frame();
                typist.take_audio(&mut audio);
                audio.clear();
            }
            typist.machine_mut().insert_tape(tape, true);
            Ok(typist)
        }
        Media::Tape(tape) => {
            zx.insert_tape(tape, false);
            Ok(Typist::new(zx, load_script()))
        }
    }
}

fn load_script() -> InputScript {
    InputScript::parse(LOAD_SCRIPT).expect("LOAD_SCRIPT is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_script_ends_where_it_says() {
        let script = load_script();
        assert!(script.input_at(LOAD_SCRIPT_FRAMES - 2).keys.0 != 0);
        assert_eq!(script.input_at(LOAD_SCRIPT_FRAMES - 1).keys.0, 0);
    }

    #[test]
    fn bad_roms_and_media_are_errors() {
        let err = launch(&[0; 100], None, false, 44_100).unwrap_err();
        assert!(err.to_string().contains("16384"), "{err}");
        let rom = vec![0xF3; 0x4000];
        let err = launch(&rom, Some(("game.xyz", b"1")), false, 44_100).unwrap_err();
        assert!(err.to_string().contains(".xyz"), "{err}");
        let err = launch(&rom, Some(("game.sna", &[0; 10])), false, 44_100).unwrap_err();
        assert!(err.to_string().contains("49179"), "{err}");
    }
}
