//! The player's configuration: a RON file, by default
//! `<config dir>/retrojit/config.ron` (`~/.config/retrojit/config.ron` on
//! Linux), written with commented defaults on the first run.
//!
//! A file that does not parse is an error that names the file, the line and
//! column and the problem; the player never falls back to defaults behind
//! the user's back. Fields left out of the file take their defaults, so a
//! file from an older version keeps working.

use crate::play::input::Hotkey;
use anyhow::{Context, Result, bail};
use retrojit_core::machine::Button;
use retrojit_translator::engine::EngineKind;
use retrojit_translator::engine::mos6502::JitConfig;
use sdl2::keyboard::Keycode;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Largest accepted window scale.
pub const MAX_SCALE: u32 = 16;
/// Accepted audio latencies, in milliseconds.
pub const LATENCY_MS: std::ops::RangeInclusive<u32> = 20..=500;

/// Everything `config.ron` sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Initial window size as a multiple of the machine's picture.
    pub scale: u32,
    /// Draw NES pixels 8:7 wide, as an NTSC television showed them.
    pub pixel_aspect: bool,
    /// Sound queued ahead of the speaker, in milliseconds.
    pub audio_latency_ms: u32,
    /// How guest code runs.
    pub engine: EngineKind,
    /// Dispatcher entries before the JIT translates a block.
    pub jit_threshold: u16,
    /// Where F12 writes screenshots.
    pub screenshot_dir: PathBuf,
    /// Keys of controller 1.
    pub pad1: PadKeys,
    /// Keys of controller 2.
    pub pad2: PadKeys,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            scale: 3,
            pixel_aspect: false,
            audio_latency_ms: 60,
            // The JIT where this host can run it, else the interpreter.
            engine: if EngineKind::Jit.ensure_available().is_ok() {
                EngineKind::Jit
            } else {
                EngineKind::Interp
            },
            jit_threshold: JitConfig::default().threshold,
            screenshot_dir: PathBuf::from("."),
            pad1: PadKeys {
                up: keys(&[Keycode::UP]),
                down: keys(&[Keycode::DOWN]),
                left: keys(&[Keycode::LEFT]),
                right: keys(&[Keycode::RIGHT]),
                a: keys(&[Keycode::X]),
                b: keys(&[Keycode::Z]),
                select: keys(&[Keycode::RSHIFT, Keycode::BACKSPACE]),
                start: keys(&[Keycode::RETURN]),
            },
            pad2: PadKeys {
                up: keys(&[Keycode::I]),
                down: keys(&[Keycode::K]),
                left: keys(&[Keycode::J]),
                right: keys(&[Keycode::L]),
                a: keys(&[Keycode::S]),
                b: keys(&[Keycode::A]),
                select: keys(&[Keycode::Q]),
                start: keys(&[Keycode::W]),
            },
        }
    }
}

fn keys(codes: &[Keycode]) -> Vec<KeyName> {
    codes.iter().copied().map(KeyName).collect()
}

/// The keys bound to each button of one controller; any of a button's keys
/// presses it. A controller written in the file lists all its keys: buttons
/// left out of it have none.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // The fields are the buttons of the same names.
pub struct PadKeys {
    pub up: Vec<KeyName>,
    pub down: Vec<KeyName>,
    pub left: Vec<KeyName>,
    pub right: Vec<KeyName>,
    pub a: Vec<KeyName>,
    pub b: Vec<KeyName>,
    pub select: Vec<KeyName>,
    pub start: Vec<KeyName>,
}

impl PadKeys {
    /// Every (button, keys) pair.
    pub fn bindings(&self) -> [(Button, &[KeyName]); 8] {
        [
            (Button::Up, &self.up),
            (Button::Down, &self.down),
            (Button::Left, &self.left),
            (Button::Right, &self.right),
            (Button::A, &self.a),
            (Button::B, &self.b),
            (Button::Select, &self.select),
            (Button::Start, &self.start),
        ]
    }
}

/// A key, written in the file by its SDL name ("Left Shift", "Return",
/// "Z", "Keypad 8": the names `SDL_GetKeyName` gives, case-insensitive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyName(pub Keycode);

impl KeyName {
    /// SDL's name for the key.
    pub fn name(self) -> String {
        // SDL_GetKeyName writes the names of character keys into one static
        // buffer, so two threads asking at once (parallel tests) can read
        // each other's key; take turns.
        static SDL_KEY_NAME: Mutex<()> = Mutex::new(());
        let _turn = SDL_KEY_NAME.lock().unwrap_or_else(PoisonError::into_inner);
        self.0.name()
    }
}

impl Serialize for KeyName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        // SDL maps "" to no key; reject it like any other unknown name.
        match Keycode::from_name(&name) {
            Some(code) if !name.is_empty() => Ok(KeyName(code)),
            _ => Err(serde::de::Error::custom(format!(
                "unknown key name `{name}` (use SDL key names such as \"Z\", \"Return\", \
                 \"Left Shift\", \"Keypad 8\")"
            ))),
        }
    }
}

/// The default location of the configuration file.
pub fn default_path() -> Result<PathBuf> {
    let dir = dirs::config_dir()
        .context("cannot find the user's configuration directory (is $HOME set?)")?;
    Ok(dir.join("retrojit").join("config.ron"))
}

/// Reads the configuration at `path`. When the file does not exist and
/// `create` is set, writes the commented defaults there first (first run);
/// without `create` a missing file is an error.
pub fn load(path: &Path, create: bool) -> Result<Config> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let text = default_file();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("cannot create configuration directory {}", dir.display())
                })?;
            }
            crate::atomic::write_atomic(path, |out| {
                std::io::Write::write_all(out, text.as_bytes())?;
                Ok(())
            })
            .with_context(|| format!("cannot write default configuration {}", path.display()))?;
            eprintln!(
                "retrojit: wrote the default configuration to {}",
                path.display()
            );
            text
        }
        Err(e) => bail!("cannot read configuration {}: {e}", path.display()),
    };
    parse(&text, path)
}

/// Parses and checks the text of a configuration file; `path` only names
/// the file in errors.
pub fn parse(text: &str, path: &Path) -> Result<Config> {
    let config: Config = ron::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: {}",
            path.display(),
            e.span.start.line,
            e.span.start.col,
            e.code
        )
    })?;
    config
        .check()
        .with_context(|| format!("invalid configuration {}", path.display()))?;
    Ok(config)
}

impl Config {
    /// Checks what the types alone do not: ranges, and that no key does two
    /// things.
    fn check(&self) -> Result<()> {
        if !(1..=MAX_SCALE).contains(&self.scale) {
            bail!("scale {} is not between 1 and {MAX_SCALE}", self.scale);
        }
        if !LATENCY_MS.contains(&self.audio_latency_ms) {
            bail!(
                "audio_latency_ms {} is not between {} and {}",
                self.audio_latency_ms,
                LATENCY_MS.start(),
                LATENCY_MS.end()
            );
        }
        let mut seen: Vec<(Keycode, String)> = Hotkey::ALL
            .iter()
            .map(|h| (h.keycode(), format!("the {} key", h.description())))
            .collect();
        for (pad, keys) in [("pad1", &self.pad1), ("pad2", &self.pad2)] {
            for (button, names) in keys.bindings() {
                for key in names {
                    let here = format!("{pad}.{}", button.name().to_ascii_lowercase());
                    if let Some((_, there)) = seen.iter().find(|(code, _)| *code == key.0) {
                        bail!("key `{}` is bound to {here} and to {there}", key.name());
                    }
                    seen.push((key.0, here));
                }
            }
        }
        Ok(())
    }
}

/// The file written on the first run: the defaults, each explained.
pub fn default_file() -> String {
    let d = Config::default();
    let engine = ron::to_string(&d.engine).expect("engine names serialise");
    let dir = ron::to_string(&d.screenshot_dir).expect("paths serialise");
    format!(
        r#"// retrojit player configuration (RON). `retrojit play --help` lists the
// hot keys. Delete this file to get the defaults back; fields left out take
// their defaults.
(
    // Initial window size as a multiple of the machine's picture (1-{MAX_SCALE}).
    // The window can be resized: the picture then takes the largest integer
    // scale that fits, centred on black.
    scale: {scale},
    // true: draw NES pixels 8:7 wide, as an NTSC television showed them
    // (the picture gets wider); false: square pixels.
    pixel_aspect: {aspect},
    // Sound queued ahead of the speaker, in milliseconds ({lat_min}-{lat_max}).
    // Lower answers faster; higher survives a busy host without crackle.
    audio_latency_ms: {latency},
    // How guest code runs: interp (the interpreter), jit (the translator,
    // AArch64 and x86-64 hosts) or lockstep (both, compared). --engine
    // overrides it.
    engine: {engine},
    // Dispatcher entries before the JIT translates a block. --threshold
    // overrides it.
    jit_threshold: {threshold},
    // Directory F12 writes screenshots to (<rom name>-<n>.png); a relative
    // path starts at the directory retrojit was started in.
    screenshot_dir: {dir},
    // Keys by SDL key name ("Z", "Return", "Left Shift", "Keypad 8", ...,
    // case-insensitive); each button takes a list, any of them presses it.
    // A key may do one thing only, and Escape, P, R, Tab, F5, F9 and F12 are
    // the player's own.
    pad1: {pad1},
    pad2: {pad2},
)
"#,
        scale = d.scale,
        aspect = d.pixel_aspect,
        lat_min = LATENCY_MS.start(),
        lat_max = LATENCY_MS.end(),
        latency = d.audio_latency_ms,
        threshold = d.jit_threshold,
        pad1 = pad_ron(&d.pad1),
        pad2 = pad_ron(&d.pad2),
    )
}

/// One controller's keys as a RON struct, one button a line.
fn pad_ron(keys: &PadKeys) -> String {
    let mut out = String::from("(\n");
    for (button, names) in keys.bindings() {
        let names: Vec<String> = names.iter().map(|k| format!("{:?}", k.name())).collect();
        let _ = writeln!(
            out,
            "        {}: [{}],",
            button.name().to_ascii_lowercase(),
            names.join(", ")
        );
    }
    out.push_str("    )");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_round_trips() {
        let path = Path::new("config.ron");
        assert_eq!(parse(&default_file(), path).unwrap(), Config::default());
        let plain = ron::ser::to_string_pretty(&Config::default(), Default::default()).unwrap();
        assert_eq!(parse(&plain, path).unwrap(), Config::default());
        // Everything may be left out.
        assert_eq!(parse("()", path).unwrap(), Config::default());
    }

    #[test]
    fn syntax_error_names_file_line_and_column() {
        let text = default_file().replace("scale: 3,", "scale: 3,,");
        let line = text.lines().position(|l| l.contains("scale: 3,,")).unwrap() + 1;
        let err = parse(&text, Path::new("/etc/broken.ron"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("/etc/broken.ron:{line}:")),
            "{err}"
        );
    }

    #[test]
    fn unknown_field_is_named() {
        let err = parse("(scael: 2)", Path::new("c.ron"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("c.ron:1:") && err.contains("scael"),
            "{err}"
        );
    }

    #[test]
    fn unknown_key_name_is_rejected() {
        let text = "(\n  pad1: (a: [\"Hyperspace\"]),\n)";
        let err = parse(text, Path::new("c.ron")).unwrap_err().to_string();
        assert!(err.starts_with("c.ron:2:"), "{err}");
        assert!(err.contains("unknown key name `Hyperspace`"), "{err}");
        let parsed = parse("(pad1: (a: [\"left shift\"]))", Path::new("c.ron")).unwrap();
        assert_eq!(parsed.pad1.a, vec![KeyName(Keycode::LSHIFT)]);
    }

    #[test]
    fn keys_do_one_thing() {
        let err = parse("(pad2: (start: [\"Z\"]))", Path::new("c.ron"))
            .unwrap_err()
            .root_cause()
            .to_string();
        assert_eq!(err, "key `Z` is bound to pad2.start and to pad1.b");
        let err = parse("(pad1: (a: [\"Tab\"]))", Path::new("c.ron")).unwrap_err();
        assert!(format!("{err:#}").contains("c.ron"), "{err:#}");
        assert!(
            err.root_cause().to_string().contains("fast-forward"),
            "{err:#}"
        );
    }

    #[test]
    fn ranges_are_checked() {
        let err = parse("(scale: 0)", Path::new("c.ron")).unwrap_err();
        assert!(format!("{err:#}").contains("scale 0"), "{err:#}");
        let err = parse("(audio_latency_ms: 5)", Path::new("c.ron")).unwrap_err();
        assert!(format!("{err:#}").contains("audio_latency_ms 5"), "{err:#}");
    }
}
