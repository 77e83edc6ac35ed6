//! `retrojit play` as a user runs it: the built binary, a real window (under
//! Xvfb in CI: `xvfb-run -a -s "-screen 0 1024x768x24" cargo test -p
//! retrojit --test play_xvfb`), the dummy audio driver.
//!
//! The player writes what its window showed last to the PNG named by
//! `RETROJIT_PLAY_CAPTURE`, read back from the renderer, which is more
//! reliable than grabbing the window from outside (no window manager
//! timing, no other windows on top).

#![cfg(feature = "sdl")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Longer than any healthy run (30 frames are half a second); a player that
/// hangs fails the test instead of blocking CI.
const TIMEOUT: Duration = Duration::from_secs(60);

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("retrojit-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `retrojit` with `args` in `dir`, with configuration and data
/// directories inside it so the user's own files are never touched.
fn retrojit(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_retrojit"));
    command
        .args(args)
        .current_dir(dir)
        .env("SDL_AUDIODRIVER", "dummy")
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("retrojit starts");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > TIMEOUT {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "retrojit {args:?} still running after {TIMEOUT:?}; stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn plays_the_demo_in_a_window() {
    if std::env::var_os("DISPLAY").is_none() {
        println!("skipped: no X display (run under xvfb-run)");
        return;
    }
    let dir = scratch_dir("play");
    let capture = dir.join("capture.png");
    let output = retrojit(
        &dir,
        &["play", "--frames", "30", "--scale", "2"],
        &[("RETROJIT_PLAY_CAPTURE", &capture)],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "retrojit play failed:\n{stderr}");

    // First run: the commented default configuration was written.
    let config = std::fs::read_to_string(dir.join("config/retrojit/config.ron"))
        .expect("the default configuration is written on the first run");
    assert!(config.contains("audio_latency_ms"), "{config}");

    // The window showed the machine's picture at twice its size, and the
    // picture is not blank.
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&capture).expect("the capture was written"),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.width % 2, 0, "{}x{}", info.width, info.height);
    assert_eq!(info.height % 2, 0, "{}x{}", info.width, info.height);
    let mut colours: Vec<&[u8]> = pixels[..info.buffer_size()].chunks(4).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 1,
        "the captured window is one colour: {:?}",
        colours[0]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn broken_configuration_is_reported_with_its_position() {
    // The configuration is read before any window opens: no display needed.
    let dir = scratch_dir("play-config");
    let config = dir.join("broken.ron");
    std::fs::write(&config, "(\n    scale: 2,\n    pad1: (a: [\"Nope\"]),\n)\n").unwrap();
    let output = retrojit(&dir, &["play", "--config", config.to_str().unwrap()], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:3:", config.display())),
        "{stderr}"
    );
    assert!(stderr.contains("unknown key name `Nope`"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
