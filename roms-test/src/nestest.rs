//! nestest in automation mode: start at $C000 and compare the CPU state
//! before every instruction with the reference log (PC, A, X, Y, P, SP and
//! the cycle count), then check the error bytes $02 and $03.

use crate::engine::{Engine, build_6502, record_engine};
use crate::report::SuiteResult;
use anyhow::{Context, bail};
use retrojit_core::bus::{Bus6502, MappedBus, MappedMemory, PageEntry};
use retrojit_core::cpu::mos6502::{Cpu, Registers, Variant};
use retrojit_core::engine::{Engine6502, RunLimits};
use retrojit_core::machine::nes::ines::Cartridge;
use std::path::Path;
use std::time::Instant;

/// One line of the reference log: the state before an instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TraceLine {
    /// Program counter.
    pub pc: u16,
    /// Accumulator.
    pub a: u8,
    /// X.
    pub x: u8,
    /// Y.
    pub y: u8,
    /// Status.
    pub p: u8,
    /// Stack pointer.
    pub sp: u8,
    /// CPU cycles since power-on.
    pub cycles: u64,
}

impl TraceLine {
    /// Parses `C000  4C F5 C5  JMP $C5F5   A:00 X:00 Y:00 P:24 SP:FD PPU:  0, 21 CYC:7`.
    pub fn parse(line: &str) -> Option<Self> {
        let pc = u16::from_str_radix(line.get(..4)?, 16).ok()?;
        // Register fields follow the disassembly, which never contains "A:".
        let regs = &line[line.get(16..)?.find("A:")? + 16..];
        let hex = |key: &str| -> Option<u8> {
            let at = regs.find(key)? + key.len();
            u8::from_str_radix(regs.get(at..at + 2)?, 16).ok()
        };
        let cycles = regs[regs.find("CYC:")? + 4..].trim().parse().ok()?;
        Some(Self {
            pc,
            a: hex("A:")?,
            x: hex("X:")?,
            y: hex("Y:")?,
            p: hex("P:")?,
            sp: hex("SP:")?,
            cycles,
        })
    }

    fn of(regs: &Registers) -> Self {
        Self {
            pc: regs.pc,
            a: regs.a,
            x: regs.x,
            y: regs.y,
            p: regs.p,
            sp: regs.s,
            cycles: regs.cycles,
        }
    }

    /// The first field that differs from `other`, as `name: want vs got`.
    fn first_difference(&self, got: &Self) -> Option<String> {
        let fields = [
            ("PC", u64::from(self.pc), u64::from(got.pc)),
            ("A", self.a.into(), got.a.into()),
            ("X", self.x.into(), got.x.into()),
            ("Y", self.y.into(), got.y.into()),
            ("P", self.p.into(), got.p.into()),
            ("SP", self.sp.into(), got.sp.into()),
            ("CYC", self.cycles, got.cycles),
        ];
        fields
            .iter()
            .find(|(_, want, got)| want != got)
            .map(|(name, want, got)| format!("{name}: log has {want:X}, CPU has {got:X}"))
    }
}

/// The CPU side of an NROM board: 2 KiB RAM mirrored to $1FFF, PRG ROM at
/// $8000 (16 KiB images mirrored at $C000), open bus elsewhere.
#[derive(Clone)]
struct NromBus {
    memory: MappedMemory,
    open_bus: u8,
}

impl NromBus {
    fn new(prg: &[u8]) -> anyhow::Result<Self> {
        if prg.len() != 16 << 10 && prg.len() != 32 << 10 {
            bail!("PRG ROM is {} bytes; NROM has 16 or 32 KiB", prg.len());
        }
        const RAM: usize = 0x800;
        let mut memory = MappedMemory::new(RAM + prg.len());
        memory.data_mut()[RAM..].copy_from_slice(prg);
        for page in 0x00..0x20u8 {
            memory.map(page, PageEntry::ram(u32::from(page & 7) << 8));
        }
        for page in 0x80..=0xFFu8 {
            let offset = (usize::from(page - 0x80) << 8) % prg.len();
            memory.map(page, PageEntry::rom((RAM + offset) as u32));
        }
        Ok(Self {
            memory,
            open_bus: 0,
        })
    }
}

impl MappedBus for NromBus {
    fn memory(&self) -> &MappedMemory {
        &self.memory
    }

    fn memory_mut(&mut self) -> &mut MappedMemory {
        &mut self.memory
    }
}

impl Bus6502 for NromBus {
    fn read(&mut self, addr: u16) -> u8 {
        if let Some(value) = self.memory.read(addr) {
            self.open_bus = value;
        }
        self.open_bus
    }

    fn write(&mut self, addr: u16, value: u8) {
        self.open_bus = value;
        self.memory.write(addr, value);
    }
}

/// Runs nestest `rom` against `log` as suite `name`.
///
/// Under the interpreter every line is compared (cases: the log's lines
/// plus the final error-byte check; the first divergence ends the run).
/// Under the JIT, whose instruction boundaries inside a block are not
/// observable, the run goes to the cycle of the log's last line and the
/// state there is compared, then the error bytes (two cases).
pub fn run(name: &str, engine: Engine, rom: &Path, log: &Path) -> anyhow::Result<SuiteResult> {
    let image = std::fs::read(rom).with_context(|| format!("reading {}", rom.display()))?;
    let cart = Cartridge::parse(&image).with_context(|| format!("{}", rom.display()))?;
    if cart.mapper != 0 {
        bail!("{}: mapper {} is not NROM", rom.display(), cart.mapper);
    }
    let log_text =
        std::fs::read_to_string(log).with_context(|| format!("reading {}", log.display()))?;
    let expected = log_text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            TraceLine::parse(l)
                .with_context(|| format!("{}:{}: not a trace line", log.display(), i + 1))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    let mut bus = NromBus::new(&cart.prg_rom).with_context(|| format!("{}", rom.display()))?;
    let mut cpu = Cpu::new(Variant::Ricoh2A03);
    cpu.regs = Registers {
        cycles: 7,
        pc: 0xC000,
        a: 0,
        x: 0,
        y: 0,
        s: 0xFD,
        p: 0x24,
    };

    if engine != Engine::Interp {
        return run_to_end(name, engine, bus, cpu, &expected, log);
    }
    let mut result = SuiteResult::new(name, engine.name());
    result.cases = expected.len() as u64 + 1;
    let started = Instant::now();
    let mut diverged = false;
    for (index, want) in expected.iter().enumerate() {
        if let Some(diff) = want.first_difference(&TraceLine::of(&cpu.regs)) {
            result.note(format!("{}:{}: {diff}", log.display(), index + 1));
            diverged = true;
            break;
        }
        cpu.step(&mut bus);
        result.guest_instructions += 1;
        result.passed += 1;
    }
    if !diverged {
        check_error_bytes(&mut bus, &mut result);
    }
    result.seconds = started.elapsed().as_secs_f64();
    result.guest_cycles = cpu.regs.cycles;
    result.failed = result.cases - result.passed;
    Ok(result)
}

/// Passes when nestest's error bytes are both zero.
fn check_error_bytes(bus: &mut NromBus, result: &mut SuiteResult) {
    let (e02, e03) = (bus.read(0x02), bus.read(0x03));
    if e02 == 0 && e03 == 0 {
        result.passed += 1;
    } else {
        result.note(format!(
            "error bytes $02={e02:02X} $03={e03:02X} (codes in nestest.txt)"
        ));
    }
}

fn run_to_end(
    name: &str,
    engine: Engine,
    mut bus: NromBus,
    mut cpu: Cpu,
    expected: &[TraceLine],
    log: &Path,
) -> anyhow::Result<SuiteResult> {
    let mut result = SuiteResult::new(name, engine.name());
    result.cases = 2;
    let last = *expected
        .last()
        .with_context(|| format!("{}: empty log", log.display()))?;
    let mut runner = build_6502(engine, Variant::Ricoh2A03).map_err(anyhow::Error::msg)?;
    let started = Instant::now();
    let outcome = runner.run(
        &mut cpu,
        &mut bus,
        &RunLimits {
            max_cycles: last.cycles,
            stop_at: None,
            stop_on_trap: false,
        },
    );
    result.seconds = started.elapsed().as_secs_f64();
    result.guest_instructions = outcome.instructions;
    result.guest_cycles = cpu.regs.cycles;
    record_engine(&mut result, &runner);
    match last.first_difference(&TraceLine::of(&cpu.regs)) {
        None => result.passed += 1,
        Some(diff) => result.note(format!("{}:{}: {diff}", log.display(), expected.len())),
    }
    check_error_bytes(&mut bus, &mut result);
    result.failed = result.cases - result.passed;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_log_lines() {
        let line = "C72A  AD 00 02  LDA $0200 = 7F               A:7F X:00 Y:00 P:A4 SP:FB PPU:  2,125 CYC:214";
        assert_eq!(
            TraceLine::parse(line),
            Some(TraceLine {
                pc: 0xC72A,
                a: 0x7F,
                x: 0,
                y: 0,
                p: 0xA4,
                sp: 0xFB,
                cycles: 214
            })
        );
        let accumulator = "E4B6  4A        LSR A                           A:40 X:00 Y:00 P:65 SP:FB PPU: 36,285 CYC:4174";
        assert_eq!(TraceLine::parse(accumulator).map(|t| t.a), Some(0x40));
        assert_eq!(TraceLine::parse("garbage"), None);
    }
}
