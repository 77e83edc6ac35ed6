//! Shared by the 6502 translator tests: a bus with RAM, I/O and ROM pages
//! that logs every I/O access, a seeded generator, and random programs.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use retrojit_core::bus::{Bus6502, MappedBus, MappedMemory, PageEntry};
use retrojit_core::cpu::mos6502::decode::{Mode, decode};

/// RAM everywhere unless configured otherwise; I/O reads return a function
/// of the address, and every I/O access is logged.
#[derive(Clone)]
pub struct TestBus {
    pub memory: MappedMemory,
    pub io_log: Vec<(u16, u8, bool)>,
}

impl TestBus {
    /// 64 KiB of RAM.
    pub fn flat() -> Self {
        Self {
            memory: MappedMemory::flat_ram(),
            io_log: Vec::new(),
        }
    }

    /// Pages $40-$41 I/O, $F0-$FF ROM, RAM elsewhere.
    pub fn with_io_and_rom() -> Self {
        let mut bus = Self::flat();
        for page in 0x40..=0x41u8 {
            bus.memory.map(page, PageEntry::io());
        }
        for page in 0xF0..=0xFFu8 {
            bus.memory.map(page, PageEntry::rom(u32::from(page) << 8));
        }
        bus
    }

    /// [`Self::with_io_and_rom`] filled with random bytes.
    pub fn randomized(seed: &mut u64) -> Self {
        let mut bus = Self::with_io_and_rom();
        for byte in bus.memory.data_mut().iter_mut() {
            *byte = next(seed) as u8;
        }
        bus
    }

    /// Copies `bytes` into the backing store at `addr`.
    pub fn load(&mut self, addr: u16, bytes: &[u8]) {
        let at = usize::from(addr);
        self.memory.data_mut()[at..at + bytes.len()].copy_from_slice(bytes);
    }
}

impl MappedBus for TestBus {
    fn memory(&self) -> &MappedMemory {
        &self.memory
    }

    fn memory_mut(&mut self) -> &mut MappedMemory {
        &mut self.memory
    }
}

impl Bus6502 for TestBus {
    fn read(&mut self, addr: u16) -> u8 {
        self.memory.read(addr).unwrap_or_else(|| {
            self.io_log.push((addr, 0, false));
            (addr as u8) ^ 0x5A
        })
    }

    fn write(&mut self, addr: u16, value: u8) {
        if !self.memory.write(addr, value) && self.memory.read(addr).is_none() {
            self.io_log.push((addr, value, true));
        }
    }
}

/// xorshift64*: small, seeded, reproducible.
pub fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// Writes 256 bytes of random instructions at `base` with operands steered
/// at zero page, the stack, the code's own page, I/O and ROM, and short
/// branches that mostly stay inside the program.
pub fn random_program(seed: &mut u64, bus: &mut TestBus, base: u16) {
    let base = usize::from(base);
    let mut pc = base;
    while pc < base + 0x100 {
        let r = next(seed);
        let opcode = r as u8;
        let info = decode(opcode);
        let data = bus.memory.data_mut();
        data[pc] = opcode;
        data[pc + 1] = (r >> 24) as u8;
        data[pc + 2] =
            [0x00, 0x01, (base >> 8) as u8, 0x40, 0xF8, (r >> 16) as u8][((r >> 8) % 6) as usize];
        if info.mode == Mode::Relative {
            data[pc + 1] = ((r >> 24) as u8 & 0x0F).wrapping_sub(4);
        }
        pc += usize::from(info.instruction_len());
    }
}
