//! `retrojit play`: the SDL2 player. A window with the machine's picture,
//! its sound, keyboard and game controllers as its controllers, paced at
//! the machine's real frame rate.

#[cfg(feature = "sdl")]
mod audio;
#[cfg(feature = "sdl")]
pub mod input;
#[cfg(feature = "sdl")]
mod pacing;
#[cfg(feature = "sdl")]
mod session;
#[cfg(feature = "sdl")]
mod video;

use clap::Args;
use retrojit_translator::engine::EngineKind;
use std::path::PathBuf;
use std::process::ExitCode;

/// Shown after `retrojit play --help`.
const KEYS_HELP: &str = "\
Keys:
  Arrows, X (A), Z (B), Right Shift or Backspace (Select), Return (Start)
                controller 1
  I K J L (up down left right), S (A), A (B), Q (Select), W (Start)
                controller 2
  Esc           quit
  P             pause / resume (F6 on a machine with a keyboard)
  R             reset (F10 on a machine with a keyboard)
  Tab (held)    fast-forward: run unthrottled, without sound
  F12           screenshot: <screenshot_dir>/<rom name>-<n>.png, the first
                free n (the machine's picture at its own resolution)
  F5 / F9       save / load the state: <data dir>/retrojit/states/<rom name>.state
                (~/.local/share on Linux); a state that does not fit leaves
                the machine as it was

The controller keys above are the defaults of the configuration file.
On a machine with a keyboard (the ZX Spectrum) the host keys are typed on
it instead: letters, digits, Enter, Space, Shift (CAPS SHIFT), Ctrl or Alt
(SYMBOL SHIFT), Backspace and the arrows (CAPS SHIFT + 0/5-8), punctuation
through SYMBOL SHIFT; the numeric keypad is the Kempston joystick (8 4 6 2
move, 0 or 5 fire).
Game controllers (SDL's database) can be plugged in at any time: the first
drives controller 1, the second controller 2; d-pad or left stick, the
bottom face button is B and the right one A (as on a NES pad), Back is
Select.

Configuration: <config dir>/retrojit/config.ron (~/.config on Linux),
written with commented defaults on the first run: keys of both controllers
by SDL key name, window scale, NES 8:7 pixel aspect, audio latency, engine,
JIT threshold, screenshot directory. Options given here override it.

On quit, battery-backed RAM is written next to the ROM (<rom>.sav).

Environment: RETROJIT_PLAY_CAPTURE=FILE.png writes the picture as the
window last showed it to FILE.png on quit (for tests); SDL_AUDIODRIVER and
SDL_VIDEODRIVER choose SDL's drivers (dummy audio: no sound card needed).";

/// Arguments of `retrojit play`.
#[derive(Args, Debug)]
#[command(after_long_help = KEYS_HELP)]
// Without SDL only the error path runs, and it reads none of them.
#[cfg_attr(not(feature = "sdl"), allow(dead_code))]
pub struct PlayArgs {
    /// What to play: an NES cartridge (.nes) or a ZX Spectrum 48K
    /// snapshot or tape (.sna, .z80, .tap, .tzx; tapes load with `LOAD ""`
    /// typed for you). Omit it for the built-in NES demo.
    pub file: Option<PathBuf>,
    /// ZX Spectrum 48K ROM, 16 KiB [default: system/zx48/48.rom in the ROM
    /// directory, $RETROJIT_ROMS or ../shared/roms].
    #[arg(long, value_name = "FILE")]
    pub rom: Option<PathBuf>,
    /// Play ZX Spectrum tapes in real time, as the signal on EAR through
    /// the ROM's own loader, instead of loading their blocks instantly.
    #[arg(long)]
    pub tape_realtime: bool,
    /// Execution engine: interp, jit or lockstep [default: from the
    /// configuration].
    #[arg(long, value_parser = engine)]
    pub engine: Option<EngineKind>,
    /// Initial window size as a multiple of the picture, 1-16 [default:
    /// from the configuration].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub scale: Option<u32>,
    /// Dispatcher entries before the JIT translates a block [default: from
    /// the configuration].
    #[arg(long)]
    pub threshold: Option<u16>,
    /// Configuration file to use instead of <config dir>/retrojit/config.ron
    /// (it must exist).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Quit after this many frames (for tests and timing).
    #[arg(long, value_name = "N")]
    pub frames: Option<u64>,
}

fn engine(text: &str) -> Result<EngineKind, String> {
    text.parse()
}

/// Runs `retrojit play`.
#[cfg(feature = "sdl")]
pub fn play(args: &PlayArgs) -> anyhow::Result<ExitCode> {
    session::play(args)
}

/// Without the `sdl` feature there is no player.
#[cfg(not(feature = "sdl"))]
pub fn play(_args: &PlayArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "`play` is not available: retrojit was built without SDL support \
         (rebuild with the default `sdl` feature)"
    )
}
