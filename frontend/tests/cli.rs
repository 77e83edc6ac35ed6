//! `retrojit run` on bad input: each case is one clear error naming the
//! file and the problem, exit status 2, no panic, and nothing written.

use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("retrojit-cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether this process can start the retrojit binary: not when the tests
/// themselves run cross-compiled under qemu-user without binfmt support,
/// where the child cannot be executed (exit 127). The native run covers
/// these tests then.
fn runnable(test: &str) -> bool {
    let status = Command::new(env!("CARGO_BIN_EXE_retrojit"))
        .arg("--version")
        .output()
        .map(|out| out.status.code());
    if matches!(status, Ok(Some(0))) {
        return true;
    }
    eprintln!("{test}: skipped, the retrojit binary cannot be executed here ({status:?})");
    false
}

/// Runs `retrojit args...`; returns the exit code and stderr.
fn retrojit(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_retrojit"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A small valid NROM image: 16 KiB of PRG that loops forever, 8 KiB CHR.
fn nrom() -> Vec<u8> {
    let mut image = b"NES\x1A\x01\x01\x00\x00".to_vec();
    image.resize(16, 0);
    let mut prg = vec![0xFF; 0x4000];
    prg[..3].copy_from_slice(&[0x4C, 0x00, 0xC0]); // $C000: JMP $C000
    prg[0x3FFC..].copy_from_slice(&[0x00, 0xC0, 0x00, 0xC0]);
    image.extend(prg);
    image.extend(vec![0; 0x2000]);
    image
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

#[test]
fn bad_cartridges_are_clear_errors() {
    if !runnable("bad_cartridges_are_clear_errors") {
        return;
    }
    let dir = scratch("bad");
    let mut mmc5 = nrom();
    mmc5[6] = 0x50;
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("empty.nes", vec![], "empty file"),
        (
            "short.nes",
            b"NES\x1A\x01".to_vec(),
            "shorter than the 16-byte iNES header",
        ),
        ("magic.nes", vec![0x42; 64], "not an iNES file"),
        ("cut.nes", nrom()[..9000].to_vec(), "truncated"),
        ("mmc5.nes", mmc5, "mapper 5 (MMC5) is not supported"),
    ];
    for (name, bytes, problem) in cases {
        let path = write(&dir, name, &bytes);
        let (code, stderr) = retrojit(&["run", &path, "--frames", "2"]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains(problem),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_good_cartridge_runs_and_bad_side_inputs_are_refused() {
    if !runnable("a_good_cartridge_runs_and_bad_side_inputs_are_refused") {
        return;
    }
    let dir = scratch("good");
    let rom = write(&dir, "loop.nes", &nrom());
    let shot = dir.join("shot.png").display().to_string();
    let (code, stderr) = retrojit(&["run", &rom, "--frames", "3", "--screenshot", &shot]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(Path::new(&shot).exists());

    let script = write(&dir, "input.txt", b"10 1 Start\n5 1 -\n");
    let (code, stderr) = retrojit(&["run", &rom, "--input-script", &script]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("input.txt") && stderr.contains("line 2"),
        "{stderr}"
    );

    let nowhere = dir.join("missing/shot.png").display().to_string();
    let (code, stderr) = retrojit(&["run", &rom, "--frames", "1", "--screenshot", &nowhere]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("missing/shot.png"), "{stderr}");
    assert!(!dir.join("missing").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
