//! The player's main loop: events, frames, sound, picture, title.

use super::PlayArgs;
use super::audio::AudioOut;
use super::input::{Hotkey, Input};
use super::pacing::Ticker;
use super::video::{self, NES_PIXEL_ASPECT, Video};
use crate::config::{self, Config};
use crate::machines::{self, MachineOptions};
use crate::screenshot;
use anyhow::{Context, Result, anyhow, bail};
use retrojit_core::machine::Machine;
use retrojit_translator::engine::mos6502::JitConfig;
use sdl2::event::Event;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Rate the machine makes its sound at; SDL converts if the device
/// differs.
const SAMPLE_RATE: u32 = 48_000;
/// How long a message stays in the title.
const MESSAGE_TIME: Duration = Duration::from_secs(3);
/// The period that fps and the JIT share are measured over.
const STATS_PERIOD: Duration = Duration::from_secs(1);
/// Name of the program in files (screenshots, states) when playing the
/// built-in demo.
const DEMO_STEM: &str = "demo";
/// Environment variable naming a PNG to write the last shown picture to.
const CAPTURE_VAR: &str = "RETROJIT_PLAY_CAPTURE";

/// Runs `retrojit play`.
pub fn play(args: &PlayArgs) -> Result<ExitCode> {
    let config = match &args.config {
        Some(path) => config::load(path, false)?,
        None => config::load(&config::default_path()?, true)?,
    };
    let engine = args.engine.unwrap_or(config.engine);
    let options = MachineOptions {
        engine,
        jit: JitConfig {
            threshold: args.threshold.unwrap_or(config.jit_threshold),
            ..JitConfig::default()
        },
        sample_rate: SAMPLE_RATE,
        zx_rom: args.rom.clone(),
        tape_realtime: args.tape_realtime,
        ..MachineOptions::default()
    };
    let mut machine = machines::open(args.file.as_deref(), &options)?;
    let outcome = run(machine.as_mut(), args, &config);
    // Battery RAM is saved however the session ended: a failed window must
    // not cost the player their saved games.
    if let Some(rom) = &args.file {
        let saved = machines::save_battery(machine.as_ref(), rom);
        match (&outcome, saved) {
            (Ok(_), Err(e)) => return Err(e),
            (Err(_), Err(e)) => eprintln!("retrojit: {e:#}"),
            (_, Ok(())) => {}
        }
    }
    outcome
}

/// Maps an SDL error string into an error that says what failed.
fn sdl(what: &'static str) -> impl FnOnce(String) -> anyhow::Error {
    move |e| anyhow!("{what}: {e}")
}

fn run(machine: &mut dyn Machine, args: &PlayArgs, config: &Config) -> Result<ExitCode> {
    let sdl_context = sdl2::init().map_err(sdl("cannot initialise SDL"))?;
    let video_subsystem = sdl_context
        .video()
        .map_err(sdl("cannot initialise SDL video"))?;
    let controllers = sdl_context
        .game_controller()
        .map_err(sdl("cannot initialise SDL game controllers"))?;
    let mut events = sdl_context
        .event_pump()
        .map_err(sdl("cannot read SDL events"))?;

    let audio = sdl_context.audio().and_then(|subsystem| {
        AudioOut::open(
            &subsystem,
            machine.audio_sample_rate(),
            machine.frame_rate(),
            config.audio_latency_ms,
        )
    });
    let audio = match audio {
        Ok(audio) => Some(audio),
        Err(e) => {
            eprintln!("retrojit: no sound ({e}); pacing by the timer");
            None
        }
    };

    // The 8:7 aspect is the NES's (NTSC televisions); other machines'
    // pixels are drawn square.
    let aspect = if config.pixel_aspect && machine.name() == "NES" {
        NES_PIXEL_ASPECT
    } else {
        1.0
    };
    let picture = machine.screen_size();
    let scale = args.scale.unwrap_or(config.scale);
    let canvas = video::open_window(
        &video_subsystem,
        &format!("retrojit — {}", machine.name()),
        picture,
        scale,
        aspect,
    )?;
    let creator = canvas.texture_creator();
    let video = Video::new(canvas, &creator, picture, aspect)?;

    let stem = args.file.as_deref().and_then(Path::file_stem).map_or_else(
        || DEMO_STEM.to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let ticker = Ticker::new(machine.frame_rate());
    let machine_has_keyboard = machine.has_keyboard();
    let stats = Stats::new(machine);
    let mut session = Session {
        stats,
        machine,
        video,
        audio,
        input: Input::new(config, controllers, machine_has_keyboard),
        ticker,
        paused: false,
        fast: false,
        halted: None,
        message: None,
        frames: 0,
        frame_limit: args.frames,
        stem,
        screenshot_dir: config.screenshot_dir.clone(),
        title: String::new(),
    };
    session.run(&mut events)?;
    Ok(ExitCode::SUCCESS)
}

/// Frames and instructions at the start of the current measuring period.
#[derive(Debug)]
struct Stats {
    since: Instant,
    frames: u64,
    instructions: u64,
    translated: Option<u64>,
    /// Shown in the title: frames per second and the JIT share of the
    /// last complete period.
    fps: Option<f64>,
    jit_share: Option<f64>,
}

impl Stats {
    fn new(machine: &dyn Machine) -> Self {
        Self {
            since: Instant::now(),
            frames: 0,
            instructions: machine.instructions(),
            translated: machine.translated_instructions(),
            fps: None,
            jit_share: None,
        }
    }

    /// Once a [`STATS_PERIOD`] has passed, publishes its fps and JIT share
    /// and starts the next period.
    fn update(&mut self, machine: &dyn Machine, frames: u64) {
        let elapsed = self.since.elapsed();
        if elapsed < STATS_PERIOD {
            return;
        }
        let instructions = machine.instructions();
        let translated = machine.translated_instructions();
        self.fps = Some(frames.saturating_sub(self.frames) as f64 / elapsed.as_secs_f64());
        self.jit_share = match (translated, self.translated) {
            (Some(now), Some(then)) if instructions > self.instructions => {
                Some(now.saturating_sub(then) as f64 / (instructions - self.instructions) as f64)
            }
            _ => None,
        };
        *self = Self {
            since: Instant::now(),
            frames,
            instructions,
            translated,
            ..*self
        };
    }
}

struct Session<'m, 't> {
    machine: &'m mut dyn Machine,
    video: Video<'t>,
    audio: Option<AudioOut>,
    input: Input,
    ticker: Ticker,
    paused: bool,
    /// Fast-forward (Tab held) during the last tick.
    fast: bool,
    /// Why the machine stopped (a jam, a lockstep divergence); it stays
    /// stopped until reset.
    halted: Option<String>,
    message: Option<(String, Instant)>,
    stats: Stats,
    /// Frames run so far.
    frames: u64,
    frame_limit: Option<u64>,
    /// The ROM's file name without extension, naming screenshots and states.
    stem: String,
    screenshot_dir: PathBuf,
    /// The title last set, so the window is only retitled on change.
    title: String,
}

impl Session<'_, '_> {
    fn run(&mut self, events: &mut sdl2::EventPump) -> Result<()> {
        loop {
            for event in events.poll_iter() {
                if let Some(message) = self.input.handle_event(&event) {
                    self.notify(message);
                }
                match event {
                    Event::Quit { .. } => return self.finish(),
                    Event::KeyDown {
                        keycode: Some(key),
                        repeat: false,
                        ..
                    } => match Hotkey::from_keycode(key, self.machine.has_keyboard()) {
                        Some(Hotkey::Quit) => return self.finish(),
                        Some(hotkey) => self.hotkey(hotkey),
                        None => {}
                    },
                    _ => {}
                }
            }

            let fast = self.input.hotkey_held(Hotkey::FastForward) && !self.paused;
            if fast != self.fast {
                self.fast = fast;
                if fast {
                    if let Some(audio) = &mut self.audio {
                        audio.stop();
                    }
                } else {
                    self.ticker.restart();
                }
            }
            let frames = if self.paused || self.halted.is_some() {
                self.ticker.wait();
                0
            } else if fast {
                1
            } else {
                self.ticker.wait();
                self.audio.as_mut().map_or(1, AudioOut::frames_to_run)
            };
            for _ in 0..frames {
                self.frame()?;
                if self.halted.is_some() {
                    break;
                }
                if self.frame_limit.is_some_and(|limit| self.frames >= limit) {
                    return self.finish();
                }
            }
            self.video.draw(self.machine.framebuffer())?;
            self.video.present();
            self.stats.update(self.machine, self.frames);
            self.retitle();
        }
    }

    /// Runs one frame and queues its sound.
    fn frame(&mut self) -> Result<()> {
        self.machine.set_input(&self.input.state());
        if let Err(e) = self.machine.run_frame() {
            let message = format!("stopped: {e}");
            if self.frame_limit.is_some() {
                // A bounded run is a test: a stopped machine fails it.
                bail!("frame {}: {message}", self.frames + 1);
            }
            self.halted = Some(message.clone());
            self.notify(message);
            return Ok(());
        }
        self.frames += 1;
        let mut samples = Vec::new();
        self.machine.take_audio(&mut samples);
        // Fast-forward drops the sound: played at speed it would be noise,
        // and queued it would lag behind the picture afterwards.
        if !self.fast
            && let Some(audio) = &mut self.audio
            && let Err(e) = audio.push(&samples)
        {
            self.audio = None;
            self.notify(format!("sound failed ({e}); pacing by the timer"));
        }
        Ok(())
    }

    fn hotkey(&mut self, hotkey: Hotkey) {
        match hotkey {
            Hotkey::Pause => {
                self.paused = !self.paused;
                if let Some(audio) = &mut self.audio {
                    audio.stop();
                }
                self.ticker.restart();
            }
            Hotkey::Reset => {
                self.machine.reset();
                self.halted = None;
                self.notify("reset".to_string());
            }
            Hotkey::Screenshot => {
                let message = match self.screenshot() {
                    Ok(path) => format!("screenshot {}", path.display()),
                    Err(e) => format!("{e:#}"),
                };
                self.notify(message);
            }
            Hotkey::SaveState => {
                let message = match self.save_state() {
                    Ok(path) => format!("state saved to {}", path.display()),
                    Err(e) => format!("{e:#}"),
                };
                self.notify(message);
            }
            Hotkey::LoadState => {
                let message = match self.load_state() {
                    Ok(path) => {
                        self.halted = None;
                        format!("state loaded from {}", path.display())
                    }
                    Err(e) => format!("{e:#}"),
                };
                self.notify(message);
            }
            // Quit ends the loop before it gets here; fast-forward is a
            // held key, read every tick.
            Hotkey::Quit | Hotkey::FastForward => {}
        }
    }

    /// Writes the machine's picture to the first free
    /// `<screenshot dir>/<stem>-<n>.png`.
    fn screenshot(&self) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.screenshot_dir).with_context(|| {
            format!(
                "cannot create screenshot directory {}",
                self.screenshot_dir.display()
            )
        })?;
        let path = first_free(&self.screenshot_dir, &self.stem);
        let (width, height) = self.machine.screen_size();
        screenshot::save_png(&path, width, height, self.machine.framebuffer())?;
        Ok(path)
    }

    fn save_state(&self) -> Result<PathBuf> {
        let path = state_path(&self.stem)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create state directory {}", dir.display()))?;
        }
        let state = self.machine.save_state();
        crate::atomic::write_bytes_atomic(&path, &state)
            .with_context(|| format!("cannot save state {}", path.display()))?;
        Ok(path)
    }

    fn load_state(&mut self) -> Result<PathBuf> {
        let path = state_path(&self.stem)?;
        let data = std::fs::read(&path)
            .with_context(|| format!("cannot load state {}", path.display()))?;
        // The machine checks the whole state before changing anything.
        self.machine
            .load_state(&data)
            .with_context(|| format!("cannot load state {}", path.display()))?;
        Ok(path)
    }

    /// Shows `message` in the title for a while and on stderr.
    fn notify(&mut self, message: String) {
        eprintln!("retrojit: {message}");
        self.message = Some((message, Instant::now()));
        self.retitle();
    }

    fn retitle(&mut self) {
        let mut title = format!("retrojit — {}", self.machine.name());
        if let Some(fps) = self.stats.fps {
            title += &format!(" — {fps:.0} fps");
        }
        if let Some(share) = self.stats.jit_share {
            title += &format!(" — JIT {:.0}%", share * 100.0);
        }
        if self.paused {
            title += " — paused";
        } else if self.fast {
            title += " — fast-forward";
        }
        if let Some(halted) = &self.halted {
            title += &format!(" — {halted} (R resets)");
        }
        if let Some((message, since)) = &self.message {
            if since.elapsed() < MESSAGE_TIME {
                title += &format!(" — {message}");
            } else {
                self.message = None;
            }
        }
        if title != self.title {
            self.video.set_title(&title);
            self.title = title;
        }
    }

    /// Shows the last frame once more, writes it to the capture file when
    /// one is asked for, and ends the session.
    fn finish(&mut self) -> Result<()> {
        let area = self.video.draw(self.machine.framebuffer())?;
        if let Some(path) = std::env::var_os(CAPTURE_VAR) {
            let path = PathBuf::from(path);
            // Read before presenting: after a present the back buffer's
            // contents are undefined.
            let pixels = self.video.read_back(area)?;
            screenshot::save_png(&path, area.width(), area.height(), &pixels)
                .context(CAPTURE_VAR)?;
        }
        self.video.present();
        Ok(())
    }
}

/// The first `<dir>/<stem>-<n>.png`, n = 1, 2, ..., that does not exist, so
/// screenshots never overwrite anything.
fn first_free(dir: &Path, stem: &str) -> PathBuf {
    (1u64..)
        .map(|n| dir.join(format!("{stem}-{n}.png")))
        // symlink_metadata: a dangling link is not free either.
        .find(|path| std::fs::symlink_metadata(path).is_err())
        .expect("some screenshot number is free")
}

/// `<data dir>/retrojit/states/<stem>.state`.
fn state_path(stem: &str) -> Result<PathBuf> {
    let dir = dirs::data_dir()
        .context("cannot find the user's data directory for states (is $HOME set?)")?;
    Ok(dir
        .join("retrojit")
        .join("states")
        .join(format!("{stem}.state")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screenshots_take_the_first_free_number() {
        let dir = std::env::temp_dir().join(format!("retrojit-shots-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(first_free(&dir, "smb"), dir.join("smb-1.png"));
        std::fs::write(dir.join("smb-1.png"), b"").unwrap();
        std::fs::write(dir.join("smb-3.png"), b"").unwrap();
        assert_eq!(first_free(&dir, "smb"), dir.join("smb-2.png"));
        assert_eq!(first_free(&dir, "zelda"), dir.join("zelda-1.png"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn states_live_in_the_data_directory() {
        let path = state_path("smb").unwrap();
        assert!(
            path.ends_with("retrojit/states/smb.state"),
            "{}",
            path.display()
        );
    }
}
