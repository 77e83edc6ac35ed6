//! Where the public test ROMs live, and what to do when they are missing.

use std::path::{Path, PathBuf};

/// Environment variable naming the ROM directory.
pub const ROMS_ENV: &str = "RETROJIT_ROMS";
/// Environment variable that turns a missing suite into a failure (CI sets it).
pub const REQUIRE_ENV: &str = "RETROJIT_REQUIRE_ROMS";

/// The ROM directory: `$RETROJIT_ROMS`, else `../shared/roms` next to the
/// workspace root this crate was built from.
pub fn default_roms_dir() -> PathBuf {
    match std::env::var_os(ROMS_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("../shared/roms"),
    }
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Whether missing ROMs must fail the run (`RETROJIT_REQUIRE_ROMS=1`).
pub fn roms_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// For tests: the ROM-relative `path` if present; otherwise prints why the
/// test is skipped and returns `None`, or panics when ROMs are required.
pub fn require_or_skip(test: &str, path: &str) -> Option<PathBuf> {
    let full = default_roms_dir().join(path);
    if full.exists() {
        return Some(full);
    }
    assert!(
        !roms_required(),
        "{test}: {} is missing and {REQUIRE_ENV}=1",
        full.display()
    );
    eprintln!("{test}: skipped, {} not found", full.display());
    None
}
