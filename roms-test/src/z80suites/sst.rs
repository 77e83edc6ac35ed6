//! SingleStepTests for the Z80 (`singlestep/z80/v1/*.json.gz`): set the
//! initial state, run one instruction, compare every register (WZ, Q, P, EI,
//! IFFs and IM included), the listed RAM, the port transactions and the bus
//! pins sampled at every T-state.
//!
//! The recording bus rebuilds the pin log from the CPU's machine cycles the
//! way the reference data samples them: opcode fetch `---- r-m- ---- ----`
//! (the refresh address and the opcode appear in T3), memory read
//! `---- r-m- ----` (data in T3), write `---- -wm- ----` (data in T2), port
//! read `---- ---- r--i ----`, port write `---- ---- -w-i ----`; internal
//! T-states show the last address with no data.

use std::path::Path;

use crate::engine::Engine;
pub use crate::singlestep::SstFailure;
use crate::singlestep::load_cases;
use retrojit_core::bus::{BusZ80, MappedBus, MappedMemory};
use retrojit_core::cpu::z80::{Cpu, Registers};
use retrojit_core::engine::{EngineZ80, Z80Limits};
use retrojit_translator::engine::EngineZ80Any;
use retrojit_translator::engine::mos6502::JitConfig;
use serde::Deserialize;

/// How many failures a [`SstFileReport`] keeps.
pub const MAX_FAILURES: usize = 10;

#[derive(Deserialize)]
struct Case {
    name: String,
    initial: State,
    #[serde(rename = "final")]
    expected: State,
    cycles: Vec<Pins>,
    #[serde(default)]
    ports: Vec<(u16, u8, String)>,
}

#[derive(Deserialize)]
struct State {
    pc: u16,
    sp: u16,
    a: u8,
    b: u8,
    c: u8,
    d: u8,
    e: u8,
    f: u8,
    h: u8,
    l: u8,
    i: u8,
    r: u8,
    ei: u8,
    wz: u16,
    ix: u16,
    iy: u16,
    af_: u16,
    bc_: u16,
    de_: u16,
    hl_: u16,
    im: u8,
    p: u8,
    q: u8,
    iff1: u8,
    iff2: u8,
    ram: Vec<(u16, u8)>,
}

/// One T-state of the bus: address pins, data pins, `rwmi` control pins.
type Pins = (Option<u16>, Option<u8>, String);

/// The result of one file.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SstFileReport {
    /// Cases in the file.
    pub cases: usize,
    /// Cases that matched in every respect.
    pub passed: usize,
    /// T-states executed over all cases (one instruction each).
    pub tstates: u64,
    /// Cases whose instruction ran as generated code (under the JIT).
    pub translated: usize,
    /// The first [`MAX_FAILURES`] failures.
    pub failures: Vec<SstFailure>,
}

/// The opcode group a file belongs to, from its name (`"dd cb __ 06.json.gz"`
/// is `"ddcb"`): one of `base cb dd ed fd ddcb fdcb`.
pub fn group_of(file_name: &str) -> &'static str {
    let mut words = file_name.split(['.', ' ']);
    match (words.next(), words.next()) {
        (Some("dd"), Some("cb")) => "ddcb",
        (Some("fd"), Some("cb")) => "fdcb",
        (Some("cb"), _) => "cb",
        (Some("dd"), _) => "dd",
        (Some("ed"), _) => "ed",
        (Some("fd"), _) => "fd",
        _ => "base",
    }
}

/// Runs every case of one `.json` or `.json.gz` file.
pub fn run_file(path: &Path, engine: Engine) -> anyhow::Result<SstFileReport> {
    let cases: Vec<Case> = load_cases(path)?;
    let mut report = SstFileReport {
        cases: cases.len(),
        ..SstFileReport::default()
    };
    // Under the JIT each case is a one-instruction block, translated on
    // first sight; loading the next case invalidates what the last one
    // left in the code map.
    let config = JitConfig {
        threshold: 1,
        max_block_instructions: 1,
        link: false,
        ..JitConfig::default()
    };
    let mut runner = EngineZ80Any::new(engine, config)?;
    let mut bus = RecordingBus::new();
    let mut previous: &[(u16, u8)] = &[];
    for case in &cases {
        bus.reset(&case.initial.ram, &case.ports);
        for &(addr, _) in previous.iter().chain(&case.initial.ram) {
            runner.memory_written(addr, &bus.mem)?;
        }
        previous = &case.initial.ram;
        let (tstates, translated, outcome) = run_case(case, &mut bus, &mut runner);
        report.tstates += tstates;
        report.translated += usize::from(translated);
        match outcome {
            Ok(()) => report.passed += 1,
            Err(detail) if report.failures.len() < MAX_FAILURES => {
                report.failures.push(SstFailure {
                    case: case.name.clone(),
                    detail,
                });
            }
            Err(_) => {}
        }
    }
    Ok(report)
}

fn registers(s: &State) -> Registers {
    let mut r = Registers {
        a: s.a,
        f: s.f,
        b: s.b,
        c: s.c,
        d: s.d,
        e: s.e,
        h: s.h,
        l: s.l,
        pc: s.pc,
        sp: s.sp,
        ix: s.ix,
        iy: s.iy,
        wz: s.wz,
        i: s.i,
        r: s.r,
        im: s.im,
        iff1: s.iff1 != 0,
        iff2: s.iff2 != 0,
        ei: s.ei != 0,
        p: s.p != 0,
        q: s.q,
        ..Registers::default()
    };
    r.af_alt = s.af_;
    r.bc_alt = s.bc_;
    r.de_alt = s.de_;
    r.hl_alt = s.hl_;
    r
}

/// Runs one case (loaded into `bus`): the instruction's T-states, whether
/// it ran as generated code, and whether everything matched. Generated
/// code leaves no bus log: its pins are not compared.
fn run_case(
    case: &Case,
    bus: &mut RecordingBus,
    runner: &mut EngineZ80Any,
) -> (u64, bool, Result<(), String>) {
    let mut cpu = Cpu::new();
    cpu.regs = registers(&case.initial);
    let translated_before = runner.stats().map(|s| s.jit_instructions);
    let limits = Z80Limits::instructions(1);
    runner.run(&mut cpu, bus, &limits);
    if let Some(report) = runner.divergence() {
        return (cpu.regs.tstates, false, Err(report.to_owned()));
    }
    let translated = runner.stats().map(|s| s.jit_instructions) != translated_before;
    let outcome = check_case(case, &cpu, bus, !translated);
    (cpu.regs.tstates, translated, outcome)
}

fn check_case(case: &Case, cpu: &Cpu, bus: &RecordingBus, pins: bool) -> Result<(), String> {
    compare_state(&cpu.regs, &case.expected)?;
    for &(addr, value) in &case.expected.ram {
        let got = bus.mem.data()[usize::from(addr)];
        if got != value {
            return Err(format!(
                "ram[{addr:#06x}]: expected {value:#04x}, got {got:#04x}"
            ));
        }
    }
    let expected_ports: Vec<(u16, u8, char)> = case
        .ports
        .iter()
        .map(|(port, value, dir)| (*port, *value, dir.chars().next().unwrap_or('?')))
        .collect();
    if bus.ports != expected_ports {
        return Err(format!(
            "ports: expected {expected_ports:?}, got {:?}",
            bus.ports
        ));
    }
    if !pins {
        return Ok(());
    }
    let pins = bus.pin_log(cpu.regs.tstates);
    if pins.len() != case.cycles.len() {
        return Err(format!(
            "T-states: expected {}, got {} (bus log {})",
            case.cycles.len(),
            pins.len(),
            describe(&pins)
        ));
    }
    if let Some(t) = (0..pins.len()).find(|&t| pins[t] != case.cycles[t]) {
        return Err(format!(
            "bus at T{t}: expected {:?}, got {:?}",
            case.cycles[t], pins[t]
        ));
    }
    Ok(())
}

fn describe(pins: &[Pins]) -> String {
    pins.iter()
        .map(|p| p.2.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn compare_state(got: &Registers, want: &State) -> Result<(), String> {
    let fields: [(&str, u16, u16); 25] = [
        ("pc", got.pc, want.pc),
        ("sp", got.sp, want.sp),
        ("a", got.a.into(), want.a.into()),
        ("f", got.f.into(), want.f.into()),
        ("b", got.b.into(), want.b.into()),
        ("c", got.c.into(), want.c.into()),
        ("d", got.d.into(), want.d.into()),
        ("e", got.e.into(), want.e.into()),
        ("h", got.h.into(), want.h.into()),
        ("l", got.l.into(), want.l.into()),
        ("i", got.i.into(), want.i.into()),
        ("r", got.r.into(), want.r.into()),
        ("ix", got.ix, want.ix),
        ("iy", got.iy, want.iy),
        ("wz", got.wz, want.wz),
        ("af_", got.af_alt, want.af_),
        ("bc_", got.bc_alt, want.bc_),
        ("de_", got.de_alt, want.de_),
        ("hl_", got.hl_alt, want.hl_),
        ("im", got.im.into(), want.im.into()),
        ("iff1", got.iff1.into(), want.iff1.into()),
        ("iff2", got.iff2.into(), want.iff2.into()),
        ("ei", got.ei.into(), want.ei.into()),
        ("p", got.p.into(), want.p.into()),
        ("q", got.q.into(), want.q.into()),
    ];
    match fields.iter().find(|(_, g, w)| g != w) {
        Some((name, g, w)) => Err(format!("{name}: expected {w:#x}, got {g:#x}")),
        None => Ok(()),
    }
}

#[derive(Clone, Copy, Debug)]
enum Access {
    Fetch { refresh: u16 },
    Read,
    Write,
    In,
    Out,
}

/// Flat RAM that records each machine cycle and answers port reads from
/// the case's `ports` list.
#[derive(Clone)]
struct RecordingBus {
    mem: MappedMemory,
    /// (start T-state, kind, address, data).
    cycles: Vec<(u64, Access, u16, u8)>,
    port_reads: Vec<u8>,
    ports: Vec<(u16, u8, char)>,
}

impl RecordingBus {
    fn new() -> Self {
        Self {
            mem: MappedMemory::flat_ram(),
            cycles: Vec::new(),
            port_reads: Vec::new(),
            ports: Vec::new(),
        }
    }

    fn reset(&mut self, ram: &[(u16, u8)], ports: &[(u16, u8, String)]) {
        let mem = self.mem.data_mut();
        mem.fill(0);
        for &(addr, value) in ram {
            mem[usize::from(addr)] = value;
        }
        self.cycles.clear();
        self.ports.clear();
        self.port_reads = ports
            .iter()
            .rev()
            .filter(|p| p.2 == "r")
            .map(|p| p.1)
            .collect();
    }

    /// The pins at every T-state up to `end`.
    fn pin_log(&self, end: u64) -> Vec<Pins> {
        let idle = |addr: u16| (Some(addr), None, "----".to_string());
        let mut log: Vec<Pins> = Vec::new();
        let mut last = 0u16;
        for &(start, kind, addr, data) in &self.cycles {
            while (log.len() as u64) < start {
                log.push(idle(last));
            }
            let pins = |a: u16, d: Option<u8>, s: &str| (Some(a), d, s.to_string());
            match kind {
                Access::Fetch { refresh } => {
                    log.extend([
                        pins(addr, None, "----"),
                        pins(addr, None, "r-m-"),
                        pins(refresh, Some(data), "----"),
                        pins(refresh, None, "----"),
                    ]);
                    last = refresh;
                    continue;
                }
                Access::Read => log.extend([
                    pins(addr, None, "----"),
                    pins(addr, None, "r-m-"),
                    pins(addr, Some(data), "----"),
                ]),
                Access::Write => log.extend([
                    pins(addr, None, "----"),
                    pins(addr, Some(data), "-wm-"),
                    pins(addr, None, "----"),
                ]),
                Access::In => log.extend([
                    pins(addr, None, "----"),
                    pins(addr, None, "----"),
                    pins(addr, None, "r--i"),
                    pins(addr, Some(data), "----"),
                ]),
                Access::Out => log.extend([
                    pins(addr, None, "----"),
                    pins(addr, None, "----"),
                    pins(addr, Some(data), "-w-i"),
                    pins(addr, None, "----"),
                ]),
            }
            last = addr;
        }
        while (log.len() as u64) < end {
            log.push(idle(last));
        }
        log
    }
}

impl MappedBus for RecordingBus {
    fn memory(&self) -> &MappedMemory {
        &self.mem
    }
    fn memory_mut(&mut self) -> &mut MappedMemory {
        &mut self.mem
    }
}

impl BusZ80 for RecordingBus {
    fn fetch_opcode(&mut self, addr: u16, refresh: u16, now: u64) -> u8 {
        let v = self.mem.data()[usize::from(addr)];
        self.cycles.push((now, Access::Fetch { refresh }, addr, v));
        v
    }
    fn read(&mut self, addr: u16, now: u64) -> u8 {
        let v = self.mem.data()[usize::from(addr)];
        self.cycles.push((now, Access::Read, addr, v));
        v
    }
    fn write(&mut self, addr: u16, value: u8, now: u64) {
        self.mem.data_mut()[usize::from(addr)] = value;
        self.cycles.push((now, Access::Write, addr, value));
    }
    fn port_in(&mut self, port: u16, now: u64) -> u8 {
        let v = self.port_reads.pop().unwrap_or(0xFF);
        self.cycles.push((now, Access::In, port, v));
        self.ports.push((port, v, 'r'));
        v
    }
    fn port_out(&mut self, port: u16, value: u8, now: u64) {
        self.cycles.push((now, Access::Out, port, value));
        self.ports.push((port, value, 'w'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_follow_the_prefix() {
        assert_eq!(group_of("00.json.gz"), "base");
        assert_eq!(group_of("cb 1f.json.gz"), "cb");
        assert_eq!(group_of("dd cb __ 06.json.gz"), "ddcb");
        assert_eq!(group_of("fd 21.json.gz"), "fd");
        assert_eq!(group_of("ed b0.json.gz"), "ed");
    }
}
