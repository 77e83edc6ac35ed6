//! blargg's instr_timing ROMs, which time every instruction with the APU
//! length counter, run on a minimal NES bus (2 KiB RAM, PRG-RAM for the
//! $6000 result protocol, NROM PRG, the APU). They exercise the frame
//! counter restart, the length counter's load and clocking and the $4015
//! status read as a hardware-verified program sees them. Skipped when
//! `../shared/roms` is absent.

use super::Apu;
use crate::bus::Bus6502;
use crate::cpu::mos6502::{Cpu, Variant};

/// Where the workspace keeps the public test ROMs.
const ROMS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/roms/nes/instr_timing/rom_singles"
);

/// The bus: each access is one CPU cycle, then the APU ticks (the timing
/// convention of the APU module).
struct MiniNes {
    ram: Vec<u8>,
    prg_ram: Vec<u8>,
    prg: Vec<u8>,
    apu: Apu,
    cycles: u64,
}

impl MiniNes {
    fn tick(&mut self) {
        self.apu.tick();
        self.cycles += 1;
    }
}

impl Bus6502 for MiniNes {
    fn read(&mut self, addr: u16) -> u8 {
        let value = match addr {
            0x0000..=0x1FFF => self.ram[usize::from(addr) & 0x7FF],
            // No PPU: the ROMs' vblank waits see the flag set at once.
            0x2000..=0x3FFF => 0x80,
            0x4015 => self.apu.read_status(),
            0x6000..=0x7FFF => self.prg_ram[usize::from(addr) - 0x6000],
            0x8000..=0xFFFF => self.prg[(usize::from(addr) - 0x8000) % self.prg.len()],
            _ => 0,
        };
        self.tick();
        value
    }

    fn write(&mut self, addr: u16, value: u8) {
        match addr {
            0x0000..=0x1FFF => self.ram[usize::from(addr) & 0x7FF] = value,
            0x4000..=0x4017 => self.apu.write_register(addr, value),
            0x6000..=0x7FFF => self.prg_ram[usize::from(addr) - 0x6000] = value,
            _ => {}
        }
        self.tick();
    }

    fn irq_line(&self) -> bool {
        self.apu.irq_line()
    }
}

/// Runs an NROM test ROM until it reports a result at $6000 (at most a
/// minute of emulated time); returns the result code and the text.
fn run(image: &[u8]) -> (u8, String) {
    let prg_size = 16_384 * usize::from(image[4]);
    let mut bus = MiniNes {
        ram: vec![0; 0x800],
        prg_ram: vec![0; 0x2000],
        prg: image[16..16 + prg_size].to_vec(),
        apu: Apu::new(48_000),
        cycles: 0,
    };
    let mut cpu = Cpu::new(Variant::Ricoh2A03);
    cpu.reset(&mut bus);
    let mut running = false;
    while bus.cycles < 60 * Apu::CPU_HZ as u64 {
        cpu.step(&mut bus);
        // $6001-$6003 hold DE B0 61 once the status byte is valid; $80
        // means running, $81 asks for a reset, anything else is the result.
        if bus.prg_ram[1..4] == [0xDE, 0xB0, 0x61] {
            match bus.prg_ram[0] {
                0x80 => running = true,
                0x81 => {}
                _ if running => break,
                _ => {}
            }
        }
    }
    let text: Vec<u8> = bus.prg_ram[4..]
        .iter()
        .copied()
        .take_while(|&b| b != 0)
        .collect();
    (bus.prg_ram[0], String::from_utf8_lossy(&text).into_owned())
}

#[test]
fn blargg_instr_timing_passes() {
    for rom in ["1-instr_timing", "2-branch_timing"] {
        let Ok(image) = std::fs::read(format!("{ROMS}/{rom}.nes")) else {
            eprintln!("skipped: {ROMS}/{rom}.nes not found");
            return;
        };
        assert_eq!(image[6] >> 4 | (image[7] & 0xF0), 0, "{rom} is NROM");
        let (code, text) = run(&image);
        assert_eq!(code, 0, "{rom}:\n{text}");
        assert!(text.contains("Passed"), "{rom}:\n{text}");
    }
}
