//! Every SingleStepTests 6502 opcode file, on the NMOS 6502 and on the 2A03:
//! state and bus log of every case must match (known-bad data aside, see
//! `roms_test::sst6502`). Skips with a message when the files are absent,
//! unless `RETROJIT_REQUIRE_ROMS=1`.

use retrojit_core::cpu::mos6502::Variant;
use roms_test::roms::require_or_skip;
use roms_test::sst6502::run_file;
use std::collections::BTreeMap;

const SST_DIR: &str = "singlestep/6502/v1";

fn run_all(test: &str, variant: Variant) {
    let Some(dir) = require_or_skip(test, SST_DIR) else {
        return;
    };
    let (mut cases, mut passed, mut failed, mut skipped) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    let mut skip_reasons = BTreeMap::new();
    for opcode in 0..=255u8 {
        let path = dir.join(format!("{opcode:02x}.json.gz"));
        let report = run_file(&path, variant).unwrap_or_else(|e| panic!("{e:#}"));
        cases += report.cases;
        passed += report.passed;
        failed += report.failed;
        skipped += report.skipped;
        if let Some(reason) = report.skip_reason {
            *skip_reasons.entry(reason).or_insert(0) += report.skipped;
        }
        failures.extend(report.failures.iter().map(|f| format!("{opcode:02x} {f}")));
    }
    eprintln!("{test}: {cases} cases, {passed} passed, {failed} failed, {skipped} skipped");
    for (reason, count) in skip_reasons {
        eprintln!("  {count} skipped: {reason}");
    }
    assert!(
        failed == 0,
        "{failed} failures, first ones:\n{}",
        failures.join("\n")
    );
    assert!(passed > 0, "no case passed");
}

#[test]
fn nmos_6502_passes_every_opcode_file() {
    run_all("sst6502 nmos", Variant::Nmos);
}

#[test]
fn ricoh_2a03_passes_every_opcode_file() {
    run_all("sst6502 2a03", Variant::Ricoh2A03);
}
