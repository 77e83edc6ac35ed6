//! Files written whole or not at all: screenshots, battery RAM, save
//! states and the first-run configuration never appear half written under
//! their final name.

use anyhow::{Context, Result};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

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

/// [`write_atomic`] of a byte string.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |out| Ok(out.write_all(bytes)?))
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_whole_files_and_failures_leave_nothing() {
        let dir = std::env::temp_dir().join(format!("retrojit-atomic-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("game.sav");
        write_bytes_atomic(&path, b"first").unwrap();
        write_bytes_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temp file left");
        let err = write_atomic(&path, |_| anyhow::bail!("encoder gave up")).unwrap_err();
        assert!(err.to_string().contains("encoder gave up"));
        assert_eq!(fs::read(&path).unwrap(), b"second", "the old file stays");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        let err = write_bytes_atomic(&dir.join("missing/x.sav"), b"x").unwrap_err();
        assert!(format!("{err:#}").contains("missing/x.sav"), "{err:#}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
