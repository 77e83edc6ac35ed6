//! PNG screenshots (the player's F12, `retrojit run --screenshot`), written
//! atomically so a crash or a full disk never leaves a truncated picture
//! under the final name.

use anyhow::{Context, Result, ensure};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `rgba` (RGBA8888, row-major, `width * height * 4` bytes) as an
/// 8-bit RGBA PNG to `path`.
///
/// The picture goes to a temporary file in the same directory first and is
/// renamed over `path` only once it is complete, so readers never see half
/// a file; on error the temporary file is removed.
pub fn save_png(path: &Path, width: u32, height: u32, rgba: &[u8]) -> Result<()> {
    let expected = width as usize * height as usize * 4;
    ensure!(
        rgba.len() == expected,
        "screenshot {}: {} bytes of pixels for {width}x{height} RGBA, expected {expected}",
        path.display(),
        rgba.len()
    );
    write_atomic(path, |out| {
        let mut encoder = png::Encoder::new(out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgba)?;
        writer.finish()?;
        Ok(())
    })
    .with_context(|| format!("cannot write screenshot {}", path.display()))
}

/// Creates `path` with the bytes `write` produces: into a temporary file
/// next to it (same directory, so the rename cannot cross file systems),
/// flushed to disk, then renamed over `path`. Nothing is left behind when
/// `write` or any step fails.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> Result<()>,
) -> Result<()> {
    let temp = temp_path(path)?;
    let file = File::create_new(&temp)
        .with_context(|| format!("cannot create temporary file {}", temp.display()))?;
    let outcome = (|| {
        let mut out = BufWriter::new(&file);
        write(&mut out)?;
        out.flush()?;
        drop(out);
        file.sync_all()?;
        fs::rename(&temp, path)
            .with_context(|| format!("cannot rename {} to {}", temp.display(), path.display()))
    })();
    if outcome.is_err() {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&temp);
    }
    outcome
}

/// `.<name>.<pid>.tmp` in the directory of `path`. The process id keeps two
/// players writing the same name from sharing a temporary file.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(format!(".{}.tmp", std::process::id()));
    Ok(path.with_file_name(temp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("retrojit-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn png_round_trips_pixels() {
        let dir = scratch_dir("png-round-trip");
        let (width, height) = (7u32, 5u32);
        let rgba: Vec<u8> = (0..width * height * 4)
            .map(|i| (i * 37 % 251) as u8)
            .collect();
        let path = dir.join("shot.png");
        save_png(&path, width, height, &rgba).unwrap();

        let decoder = png::Decoder::new(std::io::BufReader::new(File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((info.width, info.height), (width, height));
        assert_eq!(info.color_type, png::ColorType::Rgba);
        assert_eq!(&pixels[..info.buffer_size()], &rgba[..]);
        // Only the picture is left: no temporary file.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn failed_write_leaves_nothing_behind() {
        let dir = scratch_dir("png-failure");
        let path = dir.join("shot.png");
        let err = write_atomic(&path, |_| anyhow::bail!("encoder gave up")).unwrap_err();
        assert!(err.to_string().contains("encoder gave up"));
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);

        let err = save_png(&path, 2, 2, &[0; 3]).unwrap_err();
        assert!(err.to_string().contains("shot.png"), "{err}");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
