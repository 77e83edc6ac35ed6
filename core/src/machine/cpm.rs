//! A minimal CP/M-80 machine for CPU test programs (prelim, zexdoc, zexall):
//! a Z80 with 64 KiB of RAM, the .COM file at $0100, and a BDOS that only
//! knows console output.
//!
//! Memory map: `$0000` holds the warm-boot address (reaching it ends the
//! run), `$0005` is the BDOS entry `JP $FE00`, whose word at `$0006` is also
//! what programs read as the top of their memory, and `$FE00` is a `RET`
//! that returns from BDOS calls. The BDOS itself is trapped when execution
//! reaches `$0005`; the `JP`/`RET` then run as real instructions so timing
//! stays that of a real call.

use std::io::Write;

use crate::bus::{BusZ80, MappedBus, MappedMemory};
use crate::cpu::z80::Cpu;
use crate::engine::{EngineZ80, Interpreter, Z80Limits, Z80StopReason};

/// Where CP/M loads and starts a .COM program.
pub const TPA_START: u16 = 0x0100;
/// The BDOS entry point programs CALL.
pub const BDOS_ENTRY: u16 = 0x0005;
/// Top of the program area: the BDOS stub's `RET` lives here and the stack
/// starts just below it.
pub const TPA_END: u16 = 0xFE00;
/// Largest .COM file that fits between `TPA_START` and `TPA_END`.
pub const MAX_COM_SIZE: usize = (TPA_END - TPA_START) as usize;

const WARM_BOOT: u16 = 0x0000;
const OPCODE_JP: u8 = 0xC3;
const OPCODE_RET: u8 = 0xC9;

/// Why a CP/M program could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum CpmError {
    /// The .COM file has no bytes.
    #[error("{name}: empty .COM file")]
    Empty {
        /// The program's name as given to [`Cpm::load`].
        name: String,
    },
    /// The .COM file does not fit the TPA.
    #[error("{name}: {size} bytes is larger than the TPA ({MAX_COM_SIZE} bytes, $0100-$FDFF)")]
    TooLarge {
        /// The program's name.
        name: String,
        /// Its size in bytes.
        size: usize,
    },
    /// The program called a BDOS function this machine does not provide.
    #[error(
        "{name}: unsupported BDOS call {call} (C=${call:02X}) from ${caller:04X}; only 2 (console output) and 9 (print string) exist"
    )]
    UnknownBdosCall {
        /// The program's name.
        name: String,
        /// The function number in C.
        call: u8,
        /// The return address on the stack: the instruction after the CALL.
        caller: u16,
    },
    /// The lockstep engine saw the JIT and the interpreter disagree (its
    /// report, on stderr, says how).
    #[error("{name}: the JIT and the interpreter diverged at ${pc:04X}")]
    Diverged {
        /// The program's name.
        name: String,
        /// Where.
        pc: u16,
    },
    /// Writing the program's output failed.
    #[error("{name}: writing console output: {source}")]
    Output {
        /// The program's name.
        name: String,
        /// The writer's error.
        source: std::io::Error,
    },
}

/// 64 KiB of plain RAM: no wait states, no I/O devices. Kept as a flat
/// [`MappedMemory`] (every page mapped to itself, never remapped) so a JIT
/// can run on it; the interpreter indexes the bytes directly.
#[derive(Clone, Debug)]
pub struct Ram64 {
    memory: MappedMemory,
}

impl Ram64 {
    /// Zero-filled RAM.
    pub fn new() -> Self {
        Self {
            memory: MappedMemory::flat_ram(),
        }
    }

    /// All 64 KiB.
    pub fn bytes(&self) -> &[u8] {
        self.memory.data()
    }

    /// All 64 KiB, writable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        self.memory.data_mut()
    }
}

impl Default for Ram64 {
    fn default() -> Self {
        Self::new()
    }
}

impl BusZ80 for Ram64 {
    #[inline(always)]
    fn fetch_opcode(&mut self, addr: u16, _refresh: u16, _now: u64) -> u8 {
        self.memory.data()[usize::from(addr)]
    }
    #[inline(always)]
    fn read(&mut self, addr: u16, _now: u64) -> u8 {
        self.memory.data()[usize::from(addr)]
    }
    #[inline(always)]
    fn write(&mut self, addr: u16, value: u8, _now: u64) {
        self.memory.data_mut()[usize::from(addr)] = value;
    }
}

impl MappedBus for Ram64 {
    fn memory(&self) -> &MappedMemory {
        &self.memory
    }
    fn memory_mut(&mut self) -> &mut MappedMemory {
        &mut self.memory
    }
}

/// Counters of a finished run.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RunStats {
    /// Instructions executed (each prefix chain counts once).
    pub instructions: u64,
    /// T-states executed.
    pub tstates: u64,
}

/// How a bounded run ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Exit {
    /// The program jumped to $0000 (warm boot): it has finished.
    WarmBoot,
    /// The instruction budget ran out first.
    Budget,
}

/// A Z80 CP/M machine with one program loaded.
#[derive(Clone, Debug)]
pub struct Cpm {
    /// The CPU.
    pub cpu: Cpu,
    /// Its memory.
    pub ram: Ram64,
    name: String,
    stats: RunStats,
}

impl Cpm {
    /// Loads `image` (the bytes of `name`, a .COM file) ready to run from $0100.
    pub fn load(name: &str, image: &[u8]) -> Result<Self, CpmError> {
        if image.is_empty() {
            return Err(CpmError::Empty {
                name: name.to_string(),
            });
        }
        if image.len() > MAX_COM_SIZE {
            return Err(CpmError::TooLarge {
                name: name.to_string(),
                size: image.len(),
            });
        }
        let mut ram = Ram64::new();
        let mem = ram.bytes_mut();
        let start = usize::from(TPA_START);
        mem[start..start + image.len()].copy_from_slice(image);
        let [lo, hi] = TPA_END.to_le_bytes();
        mem[usize::from(BDOS_ENTRY)..usize::from(BDOS_ENTRY) + 3]
            .copy_from_slice(&[OPCODE_JP, lo, hi]);
        mem[usize::from(TPA_END)] = OPCODE_RET;
        let mut cpu = Cpu::new();
        cpu.regs.pc = TPA_START;
        cpu.regs.sp = TPA_END;
        Ok(Self {
            cpu,
            ram,
            name: name.to_string(),
            stats: RunStats::default(),
        })
    }

    /// Runs until warm boot, writing console output to `out` as it is produced.
    pub fn run(&mut self, out: &mut impl Write) -> Result<RunStats, CpmError> {
        while self.run_for(u64::MAX, out)? == Exit::Budget {}
        Ok(self.stats)
    }

    /// Runs at most `budget` more instructions (BDOS calls are free) in the
    /// interpreter.
    pub fn run_for(&mut self, budget: u64, out: &mut impl Write) -> Result<Exit, CpmError> {
        self.run_for_with(&mut Interpreter, budget, out)
    }

    /// Runs at most `budget` more instructions under `engine`. The zero
    /// page (warm boot, the BDOS entry's `JP`) is the machine's own: the
    /// engine stops before it and the interpreter runs what is there.
    pub fn run_for_with(
        &mut self,
        engine: &mut impl EngineZ80<Ram64>,
        budget: u64,
        out: &mut impl Write,
    ) -> Result<Exit, CpmError> {
        let mut executed = 0;
        let exit = loop {
            let pc = self.cpu.regs.pc;
            if pc <= BDOS_ENTRY {
                if pc == WARM_BOOT {
                    break Exit::WarmBoot;
                }
                if pc == BDOS_ENTRY {
                    self.bdos(out)?;
                }
            }
            if executed == budget {
                break Exit::Budget;
            }
            if pc <= BDOS_ENTRY {
                self.cpu.step(&mut self.ram);
                executed += 1;
                continue;
            }
            let limits = Z80Limits {
                stop_below: BDOS_ENTRY + 1,
                ..Z80Limits::instructions(budget - executed)
            };
            let outcome = engine.run(&mut self.cpu, &mut self.ram, &limits);
            executed += outcome.instructions;
            if let Z80StopReason::Diverged { .. } = outcome.reason {
                return Err(CpmError::Diverged {
                    name: self.name.clone(),
                    pc: self.cpu.regs.pc,
                });
            }
        };
        self.stats.instructions += executed;
        self.stats.tstates = self.cpu.regs.tstates;
        Ok(exit)
    }

    /// Counters so far.
    pub fn stats(&self) -> RunStats {
        self.stats
    }

    /// Performs the BDOS function in C; the stub's JP/RET then return.
    fn bdos(&mut self, out: &mut impl Write) -> Result<(), CpmError> {
        let regs = &self.cpu.regs;
        let mem = self.ram.bytes();
        let written = match regs.c {
            2 => out.write_all(&[regs.e]),
            9 => {
                let mut text = Vec::new();
                let mut addr = regs.de();
                // A string without '$' would wrap forever; CP/M's own BDOS
                // would too, but one lap of memory is enough to give up.
                for _ in 0..0x10000 {
                    let byte = mem[usize::from(addr)];
                    if byte == b'$' {
                        break;
                    }
                    text.push(byte);
                    addr = addr.wrapping_add(1);
                }
                out.write_all(&text)
            }
            call => {
                let sp = usize::from(regs.sp);
                let caller = u16::from_le_bytes([mem[sp], mem[(sp + 1) & 0xFFFF]]);
                return Err(CpmError::UnknownBdosCall {
                    name: self.name.clone(),
                    call,
                    caller,
                });
            }
        };
        written
            .and_then(|()| out.flush())
            .map_err(|source| CpmError::Output {
                name: self.name.clone(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// LD C,9 / LD DE,$0112 / CALL 5 / LD C,2 / LD E,'!' / CALL 5 / JP 0 / "hi$"
    const HELLO: [u8; 21] = [
        0x0E, 0x09, 0x11, 0x12, 0x01, 0xCD, 0x05, 0x00, 0x0E, 0x02, 0x1E, b'!', 0xCD, 0x05, 0x00,
        0xC3, 0x00, 0x00, b'h', b'i', b'$',
    ];

    #[test]
    fn prints_and_ends_at_warm_boot() {
        let mut m = Cpm::load("hello.com", &HELLO).unwrap();
        let mut out = Vec::new();
        let stats = m.run(&mut out).unwrap();
        assert_eq!(out, b"hi!");
        // 7 program instructions plus JP/RET of the BDOS stub twice.
        assert_eq!(stats.instructions, 11);
        assert_eq!(
            stats.tstates,
            7 + 10 + 17 + 10 + 10 + 7 + 7 + 17 + 10 + 10 + 10
        );
    }

    #[test]
    fn rejects_bad_images_and_calls() {
        assert_eq!(
            Cpm::load("e.com", &[]).unwrap_err().to_string(),
            "e.com: empty .COM file"
        );
        let big = vec![0; MAX_COM_SIZE + 1];
        assert!(
            Cpm::load("big.com", &big)
                .unwrap_err()
                .to_string()
                .contains("larger than the TPA")
        );
        // LD C,$0F / CALL 5
        let mut m = Cpm::load("open.com", &[0x0E, 0x0F, 0xCD, 0x05, 0x00]).unwrap();
        let err = m.run(&mut Vec::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "open.com: unsupported BDOS call 15 (C=$0F) from $0105; only 2 (console output) and 9 (print string) exist"
        );
    }
}
