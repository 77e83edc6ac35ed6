//! Z80 conformance: FUSE, SingleStepTests and the CP/M exercisers.
//! Missing ROMs skip (fail with RETROJIT_REQUIRE_ROMS=1). ZEXDOC and ZEXALL
//! take tens of billions of T-states: run them with
//! `cargo test --release -p roms-test --test z80 -- --ignored`.

use std::collections::BTreeMap;
use std::path::Path;

use roms_test::engine::Engine;
use roms_test::roms::require_or_skip;
use roms_test::z80suites::{cpm, fuse, sst};

/// More than zexall's 5.8 billion instructions; a program that gets there
/// never ends.
const BUDGET: u64 = 10_000_000_000;

#[test]
fn fuse_all_cases() {
    let Some(dir) = require_or_skip("fuse_all_cases", "z80/fuse-tests") else {
        return;
    };
    let report = fuse::run(
        &dir.join("tests.in"),
        &dir.join("tests.expected"),
        Engine::Interp,
    )
    .unwrap();
    let shown: Vec<String> = report
        .failures
        .iter()
        .take(20)
        .map(ToString::to_string)
        .collect();
    assert!(
        report.failures.is_empty(),
        "FUSE failures:\n{}",
        shown.join("\n")
    );
    // Cases whose expected flags predate the 2018 block-instruction findings
    // (see the `fuse` module docs); SingleStepTests checks those bits instead.
    let superseded: Vec<&str> = report.superseded.iter().map(|f| f.case.as_str()).collect();
    assert_eq!(
        superseded,
        ["edb2_1", "edb3_1", "edb9_2", "edba_1", "edbb_1"]
    );
    assert_eq!(report.passed, 1351);
    assert_eq!(report.cases, 1356);
}

/// Every FUSE case with its instructions as one-instruction blocks of
/// generated code: registers, R, MEMPTR, T-states and memory must match.
#[cfg(any(target_arch = "aarch64", target_arch = "x86_64"))]
#[test]
fn fuse_all_cases_under_the_jit() {
    let Some(dir) = require_or_skip("fuse_all_cases_under_the_jit", "z80/fuse-tests") else {
        return;
    };
    let report = fuse::run(
        &dir.join("tests.in"),
        &dir.join("tests.expected"),
        Engine::Jit,
    )
    .unwrap();
    assert!(
        report.failures.is_empty(),
        "{:?}",
        &report.failures[..report.failures.len().min(5)]
    );
    assert_eq!(report.passed, 1351);
    assert!(report.translated > 1200, "{} translated", report.translated);
}

#[test]
fn singlestep_all_files() {
    singlestep_under("singlestep_all_files", Engine::Interp);
}

/// Every case as a one-instruction block of generated code (instructions
/// the lifter leaves to the interpreter still run, interpreted).
#[cfg(any(target_arch = "aarch64", target_arch = "x86_64"))]
#[test]
fn singlestep_all_files_under_the_jit() {
    let translated = singlestep_under("singlestep_all_files_under_the_jit", Engine::Jit);
    assert!(translated > 150_000, "{translated} cases translated");
}

/// Runs every SingleStepTests z80 file under `engine`; returns how many
/// cases ran as generated code.
fn singlestep_under(test: &str, engine: Engine) -> usize {
    let Some(dir) = require_or_skip(test, "singlestep/z80/v1") else {
        return usize::MAX;
    };
    let mut translated = 0;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 1604);
    let mut per_group: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let report = sst::run_file(path, engine).unwrap();
        translated += report.translated;
        let entry = per_group.entry(sst::group_of(&name)).or_default();
        entry.0 += report.passed;
        entry.1 += report.cases;
        failures.extend(
            report
                .failures
                .iter()
                .take(2)
                .map(|f| format!("{name}: {f}")),
        );
    }
    for (group, (passed, cases)) in &per_group {
        eprintln!("sst z80 {group}: {passed}/{cases}");
    }
    assert!(
        failures.is_empty(),
        "{} failing files, first:\n{}",
        failures.len() / 2,
        failures[..failures.len().min(40)].join("\n")
    );
    translated
}

fn cpm_suite(test: &str, file: &str) {
    let Some(path) = require_or_skip(test, &format!("z80/cpm/{file}")) else {
        return;
    };
    let rule = cpm::PassRule::for_file(&path).unwrap();
    let run = cpm::run_program(&path, BUDGET, &mut std::io::stderr()).unwrap();
    assert!(
        run.warm_boot,
        "{file}: no warm boot within {BUDGET} instructions"
    );
    eprintln!(
        "\n{file}: {} instructions, {} T-states, {:.1} s, {:.0} MIPS",
        run.stats.instructions,
        run.stats.tstates,
        run.elapsed.as_secs_f64(),
        run.mips()
    );
    if let Err(why) = rule.check(&run.output) {
        panic!("{file}: {why}");
    }
}

#[test]
fn prelim_passes() {
    cpm_suite("prelim_passes", "prelim.com");
}

#[test]
#[ignore = "about 6 billion instructions: run in release"]
fn zexdoc_passes() {
    cpm_suite("zexdoc_passes", "zexdoc.com");
}

#[test]
#[ignore = "about 6 billion instructions: run in release"]
fn zexall_passes() {
    cpm_suite("zexall_passes", "zexall.com");
}

#[test]
fn cpm_rejects_bad_programs() {
    let dir = std::env::temp_dir().join(format!("retrojit-cpm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.com");
    std::fs::write(&empty, []).unwrap();
    let err = cpm::run_program(&empty, BUDGET, &mut Vec::new()).unwrap_err();
    assert!(
        err.to_string().ends_with("empty.com: empty .COM file"),
        "{err}"
    );
    let big = dir.join("big.com");
    std::fs::write(&big, vec![0u8; 0x10000]).unwrap();
    let err = cpm::run_program(&big, BUDGET, &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("larger than the TPA"), "{err}");
    std::fs::remove_dir_all(Path::new(&dir)).unwrap();
}
