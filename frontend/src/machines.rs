//! Which machine a file is for, and opening it: the one place the player,
//! the headless runner and the benchmarks build machines.

use crate::atomic::write_bytes_atomic;
use anyhow::{Context, Result, bail};
use retrojit_core::cpu::mos6502::Variant;
use retrojit_core::machine::Machine;
use retrojit_core::machine::nes::Nes;
use retrojit_core::machine::typist::Typist;
use retrojit_core::machine::zx48::Zx48;
use retrojit_core::machine::zx48::launch::{ROM_PATH as ZX48_ROM_PATH, launch};
use retrojit_core::programs;
use retrojit_translator::engine::mos6502::JitConfig;
use retrojit_translator::engine::{Engine6502Any, EngineKind, EngineZ80Any, JitDebug};
use std::path::{Path, PathBuf};

/// The NES machine as the frontend runs it: on any engine.
pub type NesAny = Nes<Engine6502Any>;

/// Largest file accepted as a cartridge image (the biggest NES 2.0 boards
/// stay far below this).
const MAX_IMAGE: u64 = 64 << 20;

/// How to build a machine.
#[derive(Clone, Debug)]
pub struct MachineOptions {
    /// Engine running the CPU.
    pub engine: EngineKind,
    /// Translator knobs (translating engines).
    pub jit: JitConfig,
    /// Host audio sample rate.
    pub sample_rate: u32,
    /// The ZX Spectrum ROM [default: `system/zx48/48.rom` in the ROM
    /// directory].
    pub zx_rom: Option<PathBuf>,
    /// Play ZX Spectrum tapes as signal through the ROM's loader instead of
    /// loading their blocks instantly.
    pub tape_realtime: bool,
    /// Dump every translated block into this directory.
    pub jit_dump: Option<PathBuf>,
    /// Write a `perf` map naming generated code.
    pub perf_map: bool,
}

impl Default for MachineOptions {
    fn default() -> Self {
        Self {
            engine: EngineKind::Interp,
            jit: JitConfig::default(),
            sample_rate: 48_000,
            zx_rom: None,
            tape_realtime: false,
            jit_dump: None,
            perf_map: false,
        }
    }
}

/// Machines a file can be for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachineKind {
    /// An iNES / NES 2.0 cartridge image.
    Nes,
    /// A ZX Spectrum 48K snapshot (.sna, .z80) or tape (.tap, .tzx).
    Zx48,
}

/// Decides the machine from the file's header, then its extension.
pub fn detect(path: &Path, image: &[u8]) -> Result<MachineKind> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if image.starts_with(b"NES\x1A") || extension.as_deref() == Some("nes") {
        // A .nes file without the magic is refused by the iNES parser,
        // which says what it found.
        return Ok(MachineKind::Nes);
    }
    if image.starts_with(b"ZXTape!\x1A")
        || matches!(extension.as_deref(), Some("sna" | "z80" | "tap" | "tzx"))
    {
        return Ok(MachineKind::Zx48);
    }
    bail!(
        "{}: unknown file type (expected an iNES/NES 2.0 cartridge image .nes, or a ZX Spectrum snapshot or tape: .sna, .z80, .tap, .tzx)",
        path.display()
    )
}

/// The ZX Spectrum as the frontend runs it: with a typist for `LOAD ""`.
pub type Zx48Launched = Typist<Zx48>;

/// Boots a ZX Spectrum 48K with the ROM `options` names and the snapshot
/// or tape at `path` (BASIC when `None`).
pub fn open_zx48(path: Option<&Path>, options: &MachineOptions) -> Result<Zx48Launched> {
    let rom_path = options
        .zx_rom
        .clone()
        .unwrap_or_else(|| roms_dir().join(ZX48_ROM_PATH));
    let rom = std::fs::read(&rom_path).with_context(|| {
        format!(
            "ZX Spectrum ROM {} (give --rom FILE, or set RETROJIT_ROMS to the ROM directory)",
            rom_path.display()
        )
    })?;
    let media = match path {
        Some(path) => Some((path, read_image(path)?)),
        None => None,
    };
    let named = media.as_ref().map(|(path, bytes)| {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        (name.into_owned(), bytes.as_slice())
    });
    let zx = launch(
        &rom,
        named.as_ref().map(|(name, bytes)| (name.as_str(), *bytes)),
        options.tape_realtime,
        options.sample_rate,
    )
    .with_context(|| match path {
        Some(path) => path.display().to_string(),
        None => rom_path.display().to_string(),
    })?;
    let mut zx = zx;
    if options.engine != EngineKind::Interp {
        options.engine.ensure_available()?;
        let mut engine = EngineZ80Any::new(options.engine, options.jit)?;
        attach_debug_output(options, engine.debug_mut())?;
        zx.machine_mut().set_engine(Box::new(engine));
    }
    Ok(zx)
}

/// Turns on the block dumps and the `perf` map `options` ask for; `debug`
/// is `None` for engines that do not translate.
pub fn attach_debug_output(options: &MachineOptions, debug: Option<&mut JitDebug>) -> Result<()> {
    match debug {
        Some(debug) => {
            if let Some(dir) = &options.jit_dump {
                debug
                    .dump_blocks_to(dir.clone())
                    .with_context(|| format!("--jit-dump {}", dir.display()))?;
            }
            if options.perf_map {
                let path = debug.write_perf_map().context("--perf-map")?;
                eprintln!("perf map: {}", path.display());
            }
        }
        None if options.jit_dump.is_some() || options.perf_map => {
            bail!("--jit-dump and --perf-map need --engine jit or lockstep")
        }
        None => {}
    }
    Ok(())
}

/// The ROM directory: `$RETROJIT_ROMS`, else `../shared/roms` next to the
/// workspace this binary was built from.
pub fn roms_dir() -> PathBuf {
    match std::env::var_os("RETROJIT_ROMS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new("."))
            .join("../shared/roms"),
    }
}

/// Reads a whole media file, refusing empty and absurdly large ones.
pub fn read_image(path: &Path) -> Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("{}", path.display()))?
        .len();
    if size > MAX_IMAGE {
        bail!(
            "{}: {size} bytes is too large for a cartridge image",
            path.display()
        );
    }
    let image = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    if image.is_empty() {
        bail!("{}: empty file", path.display());
    }
    Ok(image)
}

/// Builds the 2A03 engine `options` asks for.
fn nes_engine(options: &MachineOptions) -> Result<Engine6502Any> {
    options.engine.ensure_available()?;
    Ok(Engine6502Any::new(
        options.engine,
        Variant::Ricoh2A03,
        options.jit,
    )?)
}

/// Opens an NES cartridge (or the built-in demo for `None`), with its
/// battery RAM loaded from the `.sav` file beside it when there is one.
pub fn open_nes(path: Option<&Path>, options: &MachineOptions) -> Result<NesAny> {
    let Some(path) = path else {
        let nes = Nes::new(
            &programs::nes_demo::nes_demo(),
            nes_engine(options)?,
            options.sample_rate,
        )
        .context("the built-in demo")?;
        return Ok(nes);
    };
    let image = read_image(path)?;
    let mut nes = Nes::new(&image, nes_engine(options)?, options.sample_rate)
        .with_context(|| format!("{}", path.display()))?;
    if nes.battery_ram().is_some() {
        let sav = battery_path(path);
        match std::fs::read(&sav) {
            Ok(data) => nes.load_battery(&data),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("{}", sav.display())),
        }
    }
    Ok(nes)
}

/// Opens the machine for `path` (detected from its header and extension),
/// or the built-in NES demo when `None`.
#[cfg(any(feature = "sdl", test))]
pub fn open(path: Option<&Path>, options: &MachineOptions) -> Result<Box<dyn Machine>> {
    match path {
        None => Ok(Box::new(open_nes(None, options)?)),
        Some(path) => {
            let image = read_image(path)?;
            match detect(path, &image)? {
                MachineKind::Nes => Ok(Box::new(open_nes(Some(path), options)?)),
                MachineKind::Zx48 => Ok(Box::new(open_zx48(Some(path), options)?)),
            }
        }
    }
}

/// Where the battery RAM of the program at `rom` is kept: beside it, with
/// the extension `.sav`.
pub fn battery_path(rom: &Path) -> PathBuf {
    rom.with_extension("sav")
}

/// Writes the machine's battery RAM (if its program has any) beside `rom`.
pub fn save_battery(machine: &dyn Machine, rom: &Path) -> Result<()> {
    if let Some(ram) = machine.battery_ram() {
        write_bytes_atomic(&battery_path(rom), ram)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use retrojit_core::bus::MappedBus;

    #[test]
    fn detection_uses_magic_then_extension() {
        assert_eq!(
            detect(Path::new("game.bin"), b"NES\x1A....").unwrap(),
            MachineKind::Nes
        );
        assert_eq!(
            detect(Path::new("x.NES"), b"junk").unwrap(),
            MachineKind::Nes
        );
        let err = detect(Path::new("notes.txt"), b"hello")
            .unwrap_err()
            .to_string();
        assert!(err.contains("notes.txt: unknown file type"), "{err}");
    }

    #[test]
    fn bad_images_are_clear_errors() {
        let dir = std::env::temp_dir().join(format!("retrojit-machines-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cases: [(&str, Vec<u8>, &str); 4] = [
            ("empty.nes", vec![], "empty file"),
            (
                "short.nes",
                b"NES\x1A\x01".to_vec(),
                "shorter than the 16-byte iNES header",
            ),
            ("magic.nes", vec![0x55; 64], "bad magic"),
            (
                "mmc5.nes",
                [
                    b"NES\x1A\x01\x01\x50\x00".as_slice(),
                    &[0; 8],
                    &[0; 0x4000 + 0x2000],
                ]
                .concat(),
                "mapper 5",
            ),
        ];
        for (name, bytes, expected) in cases {
            let path = dir.join(name);
            std::fs::write(&path, &bytes).unwrap();
            let err = match open(Some(&path), &MachineOptions::default()) {
                Ok(_) => panic!("{name} opened"),
                Err(e) => format!("{e:#}"),
            };
            assert!(
                err.contains(name) && err.contains(expected),
                "{name}: {err}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn battery_ram_is_loaded_from_and_saved_beside_the_rom() {
        let dir = std::env::temp_dir().join(format!("retrojit-battery-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut image = programs::nes_demo::nes_demo();
        image[6] |= 0x02; // battery-backed PRG RAM
        let rom = dir.join("game.nes");
        std::fs::write(&rom, &image).unwrap();
        let saved: Vec<u8> = (0..0x2000).map(|i| (i * 7) as u8).collect();
        std::fs::write(battery_path(&rom), &saved).unwrap();

        let nes = open_nes(Some(&rom), &MachineOptions::default()).unwrap();
        assert_eq!(nes.battery_ram(), Some(&saved[..]), "loaded at power-on");
        assert_eq!(nes.bus().memory().read(0x6001), Some(saved[1]));
        std::fs::remove_file(battery_path(&rom)).unwrap();
        save_battery(&nes, &rom).unwrap();
        assert_eq!(std::fs::read(battery_path(&rom)).unwrap(), saved);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
