//! PNG screenshots (the player's F12, `retrojit run --screenshot`), written
//! atomically so a crash or a full disk never leaves a truncated picture
//! under the final name.

use crate::atomic::write_atomic;
use anyhow::{Context, Result, ensure};
use std::path::Path;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{self, File};
    use std::path::PathBuf;

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
