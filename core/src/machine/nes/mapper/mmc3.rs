//! Mapper 4, MMC3 (TxROM boards), with its scanline IRQ.
//!
//! Registers (address bit 0 selects within each pair, mirrored over each
//! 8 KiB range):
//! - $8000 even, bank select: bits 0-2 which of R0-R7 the next $8001
//!   write sets, bit 6 PRG mode, bit 7 CHR A12 inversion.
//! - $8001 odd, bank data. R0/R1: 2 KiB CHR banks (bit 0 ignored) at
//!   $0000/$0800; R2-R5: 1 KiB CHR banks at $1000-$1C00 (the two halves swap
//!   with inversion). R6/R7: 8 KiB PRG banks (6 bits). PRG mode 0: R6 at
//!   $8000, second-last bank at $C000; mode 1: the other way round. R7 is
//!   always at $A000 and the last bank at $E000.
//! - $A000 even, mirroring (0 vertical, 1 horizontal); ignored when the
//!   header says four-screen.
//! - $A001 odd, PRG RAM protect (bit 7 enable, bit 6 deny writes). Stored,
//!   not enforced: as the nesdev wiki notes, many emulators leave it out of
//!   mapper 4 because the MMC6 (also mapper 4) uses these bits differently,
//!   and the bus owns PRG RAM.
//! - $C000 even, IRQ latch; $C001 odd, IRQ reload (counter cleared, reloaded
//!   on the next clock); $E000 even, IRQ disable and acknowledge; $E001
//!   odd, IRQ enable.
//!
//! The counter is clocked by rising edges of PPU A12, filtered as the chip
//! does: it counts M2 falling edges while A12 is low and only accepts a
//! rise after A12 has been low for about three of them. We see the PPU's
//! address bus as the accesses the PPU reports, so a rise counts when the
//! last access with A12 high is at least [`A12_FILTER_DOTS`] dots ago of
//! the first access with A12 low. The sprite fetches of one line (A12 low
//! for only the 4 dots of the garbage nametable fetches between 8x8 sprite
//! pattern fetches) then give one clock per line, not eight.
//!
//! On a clock: if the counter is 0 or a reload is pending it is reloaded
//! from the latch, else decremented; then if it is 0 and IRQs are enabled,
//! /IRQ is asserted. That is the MMC3B/C ("new", Sharp) behaviour; NES 2.0
//! submapper 4 (MMC3A, "old") asserts only when the counter became 0 by a
//! decrement or by a reload that $C001 requested.

use serde::{Deserialize, Serialize};

use super::{Chr, MapperError, Nametables, PrgLayout, check_prg};
use crate::bus::MappedMemory;
use crate::machine::nes::ines::{Cartridge, Mirroring};

pub(super) const NAME: &str = "MMC3";
const PRG_BANK: u32 = 8 << 10;

/// PPU dots A12 must stay low before a rise clocks the IRQ counter: three
/// CPU cycles (three M2 falling edges are then guaranteed) is 9 dots; we
/// use 10 for margin, comfortably between the 4-dot gaps of the sprite
/// fetches and the dozens of dots A12 stays low between one line's last
/// $1xxx fetch and the next line's first.
pub const A12_FILTER_DOTS: u64 = 10;

/// MMC3 state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mmc3 {
    pub(super) chr: Chr,
    four_screen: bool,
    old_irq: bool,
    bank_select: u8,
    regs: [u8; 8],
    /// $A000 bit 0: true = horizontal.
    horizontal: bool,
    ram_protect: u8,
    irq_latch: u8,
    irq_counter: u8,
    irq_reload: bool,
    irq_enabled: bool,
    irq_pending: bool,
    /// Dot of the first access with A12 low since it was last high, or
    /// None while A12 is high.
    a12_low_since: Option<u64>,
}

impl Mmc3 {
    pub(super) fn new(cart: &Cartridge) -> Result<Self, MapperError> {
        check_prg(cart, NAME, PRG_BANK)?;
        Ok(Self {
            chr: Chr::new(cart, NAME, 1 << 10)?,
            four_screen: cart.mirroring == Mirroring::FourScreen,
            old_irq: cart.submapper == 4,
            bank_select: 0,
            regs: [0, 2, 4, 5, 6, 7, 0, 1],
            horizontal: cart.mirroring == Mirroring::Horizontal,
            ram_protect: 0,
            irq_latch: 0,
            irq_counter: 0,
            irq_reload: false,
            irq_enabled: false,
            irq_pending: false,
            a12_low_since: Some(0),
        })
    }

    pub(super) fn nametables(&self) -> Nametables {
        if self.four_screen {
            Nametables::FourScreen
        } else if self.horizontal {
            Nametables::Horizontal
        } else {
            Nametables::Vertical
        }
    }

    pub(super) fn irq_line(&self) -> bool {
        self.irq_pending
    }

    pub(super) fn irq_armed(&self) -> bool {
        self.irq_enabled
    }

    pub(super) fn power_on(&mut self, memory: &mut MappedMemory, layout: &PrgLayout) {
        self.bank_select = 0;
        self.regs = [0, 2, 4, 5, 6, 7, 0, 1];
        self.irq_latch = 0;
        self.irq_counter = 0;
        self.irq_reload = false;
        self.irq_enabled = false;
        self.irq_pending = false;
        self.a12_low_since = Some(0);
        layout.map_ram(memory, 0);
        self.update_prg(memory, layout);
        self.update_chr();
    }

    pub(super) fn cpu_write(
        &mut self,
        addr: u16,
        value: u8,
        memory: &mut MappedMemory,
        layout: &PrgLayout,
    ) {
        match (addr & 0xE000, addr & 1 == 1) {
            (0x8000, false) => {
                let prg_changed = (self.bank_select ^ value) & 0x40 != 0;
                self.bank_select = value;
                self.update_chr();
                if prg_changed {
                    self.update_prg(memory, layout);
                }
            }
            (0x8000, true) => {
                let reg = usize::from(self.bank_select & 7);
                self.regs[reg] = value;
                if reg >= 6 {
                    self.update_prg(memory, layout);
                } else {
                    self.update_chr();
                }
            }
            (0xA000, false) => self.horizontal = value & 1 != 0,
            (0xA000, true) => self.ram_protect = value,
            (0xC000, false) => self.irq_latch = value,
            (0xC000, true) => {
                self.irq_counter = 0;
                self.irq_reload = true;
            }
            (0xE000, false) => {
                self.irq_enabled = false;
                self.irq_pending = false;
            }
            _ => self.irq_enabled = true,
        }
    }

    fn update_prg(&self, memory: &mut MappedMemory, layout: &PrgLayout) {
        let last = layout.rom_banks(PRG_BANK) - 1;
        let second_last = last.saturating_sub(1);
        let r6 = u32::from(self.regs[6] & 0x3F);
        let r7 = u32::from(self.regs[7] & 0x3F);
        let (low, high) = if self.bank_select & 0x40 == 0 {
            (r6, second_last)
        } else {
            (second_last, r6)
        };
        layout.map_rom(memory, 0x8000, PRG_BANK, low);
        layout.map_rom(memory, 0xA000, PRG_BANK, r7);
        layout.map_rom(memory, 0xC000, PRG_BANK, high);
        layout.map_rom(memory, 0xE000, PRG_BANK, last);
    }

    fn update_chr(&mut self) {
        let (two_k, one_k) = if self.bank_select & 0x80 == 0 {
            (0, 4)
        } else {
            (4, 0)
        };
        self.chr.map(two_k, 2, u32::from(self.regs[0] >> 1));
        self.chr.map(two_k + 2, 2, u32::from(self.regs[1] >> 1));
        for i in 0..4 {
            self.chr.map(one_k + i, 1, u32::from(self.regs[2 + i]));
        }
    }

    /// Sees one PPU bus access; clocks the IRQ counter on a filtered A12 rise.
    pub(super) fn watch_a12(&mut self, addr: u16, dot: u64) {
        if addr & 0x1000 == 0 {
            self.a12_low_since.get_or_insert(dot);
            return;
        }
        let rose_after = self.a12_low_since.take();
        if rose_after.is_some_and(|since| dot.saturating_sub(since) >= A12_FILTER_DOTS) {
            self.clock_counter();
        }
    }

    fn clock_counter(&mut self) {
        let reload = self.irq_reload;
        let before = self.irq_counter;
        if self.irq_counter == 0 || self.irq_reload {
            self.irq_counter = self.irq_latch;
            self.irq_reload = false;
        } else {
            self.irq_counter -= 1;
        }
        let fire = if self.old_irq {
            self.irq_counter == 0 && (before != 0 || reload)
        } else {
            self.irq_counter == 0
        };
        if fire && self.irq_enabled {
            self.irq_pending = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Nametables;
    use super::super::testing::*;
    use crate::machine::nes::ines::Mirroring;

    fn rig() -> Rig {
        // 128 KiB PRG (16 banks of 8 KiB), 128 KiB CHR (128 banks of 1 KiB).
        Rig::new(&cart(
            4,
            128 << 10,
            8 << 10,
            128 << 10,
            1 << 10,
            Mirroring::Vertical,
        ))
    }

    fn prg(rig: &Rig) -> [u8; 4] {
        [0x8000u16, 0xA000, 0xC000, 0xE000].map(|a| rig.read(a + 0x123))
    }

    fn chr(rig: &mut Rig) -> [u8; 8] {
        let mut out = [0; 8];
        for (i, o) in out.iter_mut().enumerate() {
            *o = rig.ppu_read(i as u16 * 0x400 + 0x3FF);
        }
        out
    }

    fn set(rig: &mut Rig, select: u8, reg: u8, value: u8) {
        rig.write(0x8000, select | reg);
        rig.write(0x8001, value);
    }

    #[test]
    fn power_on_banks() {
        let mut rig = rig();
        assert_eq!(prg(&rig), [0, 1, 14, 15]);
        assert_eq!(chr(&mut rig), [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn prg_banks_and_modes() {
        let mut rig = rig();
        set(&mut rig, 0, 6, 3);
        set(&mut rig, 0, 7, 9);
        assert_eq!(prg(&rig), [3, 9, 14, 15]);
        rig.write(0x8000, 0x40);
        assert_eq!(prg(&rig), [14, 9, 3, 15]);
        set(&mut rig, 0x40, 6, 0xC5); // top two bits ignored; 5 of 16
        assert_eq!(prg(&rig), [14, 9, 5, 15]);
        set(&mut rig, 0x40, 7, 21); // modulo 16
        assert_eq!(prg(&rig), [14, 5, 5, 15]);
        // Registers mirror across each 8 KiB range by address bit 0.
        rig.write(0x9FFE, 0x06);
        rig.write(0x8FFF, 2);
        assert_eq!(prg(&rig), [2, 5, 14, 15]);
    }

    #[test]
    fn chr_banks_and_inversion() {
        let mut rig = rig();
        for (reg, value) in [(0u8, 10u8), (1, 21), (2, 40), (3, 41), (4, 50), (5, 127)] {
            set(&mut rig, 0, reg, value);
        }
        assert_eq!(chr(&mut rig), [10, 11, 20, 21, 40, 41, 50, 127]);
        rig.write(0x8000, 0x80);
        assert_eq!(chr(&mut rig), [40, 41, 50, 127, 10, 11, 20, 21]);
        set(&mut rig, 0x80, 5, 130); // modulo 128
        assert_eq!(chr(&mut rig)[3], 2);
    }

    #[test]
    fn bank_writes_to_the_same_bank_do_not_remap() {
        let mut rig = rig();
        set(&mut rig, 0, 6, 4);
        let seen = rig.memory.generation();
        set(&mut rig, 0, 6, 4);
        set(&mut rig, 0, 7, 1);
        set(&mut rig, 0, 2, 9); // CHR only
        rig.write(0x8000, 0x80); // CHR inversion only
        rig.write(0xA000, 1);
        rig.write(0xC001, 0);
        assert_eq!(rig.memory.generation(), seen);
        set(&mut rig, 0x80, 7, 2);
        assert_eq!(
            rig.memory.remapped_since(seen).collect::<Vec<_>>(),
            (0xA0..0xC0).collect::<Vec<u8>>()
        );
    }

    #[test]
    fn mirroring_register_unless_four_screen() {
        let mut rig = rig();
        assert_eq!(rig.nametable_targets(), [0, 1, 0, 1]);
        rig.write(0xA000, 1);
        assert_eq!(rig.mapper.nametables(), Nametables::Horizontal);
        assert_eq!(rig.nametable_targets(), [0, 0, 1, 1]);
        rig.write(0xBFFE, 0);
        assert_eq!(rig.nametable_targets(), [0, 1, 0, 1]);
        let mut rig = Rig::new(&cart(
            4,
            32 << 10,
            8 << 10,
            8 << 10,
            1 << 10,
            Mirroring::FourScreen,
        ));
        rig.write(0xA000, 1);
        assert_eq!(rig.mapper.nametables(), Nametables::FourScreen);
        assert_eq!(rig.nametable_targets(), [0, 1, 2, 3]);
    }

    /// One rendered scanline of PPU fetches, BG at $0xxx and 8x8 sprites at
    /// $1xxx, at the dots the PPU makes them: 32 tiles of NT, AT, pattern
    /// low/high (2 dots each), 8 sprites of garbage NT, garbage AT, pattern
    /// low/high, two BG tiles for the next line, two unused NT fetches.
    fn scanline(rig: &mut Rig, line_start: u64) {
        let fetch = |rig: &mut Rig, dot: u64, addr: u16| {
            rig.mapper.ppu_read(addr, line_start + dot, &rig.ciram);
        };
        for tile in 0..32u64 {
            let d = 1 + tile * 8;
            fetch(rig, d, 0x2000 + tile as u16);
            fetch(rig, d + 2, 0x23C0);
            fetch(rig, d + 4, 0x0100 + tile as u16 * 16);
            fetch(rig, d + 6, 0x0108 + tile as u16 * 16);
        }
        for sprite in 0..8u64 {
            let d = 257 + sprite * 8;
            fetch(rig, d, 0x2000);
            fetch(rig, d + 2, 0x2000);
            fetch(rig, d + 4, 0x1FF0);
            fetch(rig, d + 6, 0x1FF8);
        }
        for tile in 0..2u64 {
            let d = 321 + tile * 8;
            fetch(rig, d, 0x2000);
            fetch(rig, d + 2, 0x23C0);
            fetch(rig, d + 4, 0x0000);
            fetch(rig, d + 6, 0x0008);
        }
        fetch(rig, 337, 0x2000);
        fetch(rig, 339, 0x2000);
    }

    /// Runs scanlines until the IRQ line rises; returns how many.
    fn lines_until_irq(rig: &mut Rig, limit: u64, next_line: &mut u64) -> Option<u64> {
        for n in 1..=limit {
            scanline(rig, *next_line * 341);
            *next_line += 1;
            if rig.mapper.irq_line() {
                return Some(n);
            }
        }
        None
    }

    #[test]
    fn a12_filter_gives_one_clock_per_line() {
        let mut rig = rig();
        rig.write(0xC000, 100);
        rig.write(0xC001, 0);
        let mut line = 0;
        assert_eq!(lines_until_irq(&mut rig, 20, &mut line), None);
        // Reload to 100 on line 1, then one decrement per line.
        let Some(super::super::Mapper::Mmc3(m)) = Some(&rig.mapper) else {
            panic!()
        };
        assert_eq!(m.irq_counter, 100 - 19);
    }

    #[test]
    fn irq_after_latch_plus_one_lines_ack_and_reload() {
        let mut rig = rig();
        rig.write(0xC000, 7);
        rig.write(0xC001, 0);
        rig.write(0xE001, 0);
        assert!(rig.mapper.irq_armed());
        let mut line = 0;
        assert_eq!(lines_until_irq(&mut rig, 50, &mut line), Some(8));
        // Stays asserted until acknowledged.
        scanline(&mut rig, line * 341);
        line += 1;
        assert!(rig.mapper.irq_line());
        rig.write(0xE000, 0);
        assert!(!rig.mapper.irq_line());
        assert!(!rig.mapper.irq_armed());
        rig.write(0xE001, 0);
        // The counter reloads itself after reaching 0: every latch+1 lines.
        // It hit 0 at line 8, reloaded at line 9 (the extra line above).
        assert_eq!(lines_until_irq(&mut rig, 50, &mut line), Some(7));
        rig.write(0xE000, 0);
        rig.write(0xE001, 0);
        // $C001 mid-count: reload on the next clock, then latch lines more.
        scanline(&mut rig, line * 341);
        line += 1;
        scanline(&mut rig, line * 341);
        line += 1;
        rig.write(0xC000, 3);
        rig.write(0xC001, 0);
        assert_eq!(lines_until_irq(&mut rig, 50, &mut line), Some(4));
        // Disabled: the counter runs but /IRQ stays high.
        rig.write(0xE000, 0);
        assert_eq!(lines_until_irq(&mut rig, 20, &mut line), None);
    }

    #[test]
    fn latch_zero_fires_every_line_on_new_mmc3() {
        let mut rig = rig();
        rig.write(0xC000, 0);
        rig.write(0xC001, 0);
        rig.write(0xE001, 0);
        let mut line = 0;
        for _ in 0..3 {
            assert_eq!(lines_until_irq(&mut rig, 5, &mut line), Some(1));
            rig.write(0xE000, 0);
            rig.write(0xE001, 0);
        }
    }

    #[test]
    fn old_mmc3_fires_on_reload_to_zero_only_once() {
        let mut c = cart(
            4,
            128 << 10,
            8 << 10,
            128 << 10,
            1 << 10,
            Mirroring::Vertical,
        );
        c.submapper = 4;
        let mut rig = Rig::new(&c);
        rig.write(0xC000, 0);
        rig.write(0xC001, 0);
        rig.write(0xE001, 0);
        let mut line = 0;
        assert_eq!(
            lines_until_irq(&mut rig, 5, &mut line),
            Some(1),
            "reload requested by $C001"
        );
        rig.write(0xE000, 0);
        rig.write(0xE001, 0);
        assert_eq!(
            lines_until_irq(&mut rig, 5, &mut line),
            None,
            "0 reloaded to 0 is silent"
        );
    }

    #[test]
    fn short_a12_pulses_are_filtered() {
        let mut rig = rig();
        rig.write(0xC000, 5);
        rig.write(0xC001, 0);
        let counter = |rig: &Rig| match &rig.mapper {
            super::super::Mapper::Mmc3(m) => m.irq_counter,
            _ => unreachable!(),
        };
        // Low long enough, then a rise: one clock (the reload).
        rig.mapper.ppu_read(0x0000, 1000, &rig.ciram);
        rig.mapper
            .ppu_read(0x1000, 1000 + super::A12_FILTER_DOTS, &rig.ciram);
        assert_eq!(counter(&rig), 5);
        // Low for fewer dots: no clock.
        rig.mapper.ppu_read(0x0000, 1100, &rig.ciram);
        rig.mapper
            .ppu_read(0x1000, 1100 + super::A12_FILTER_DOTS - 1, &rig.ciram);
        assert_eq!(counter(&rig), 5);
        // Staying high: no clock; repeated low accesses keep the first dot.
        rig.mapper.ppu_read(0x1000, 1200, &rig.ciram);
        rig.mapper.ppu_read(0x2000, 1300, &rig.ciram);
        rig.mapper.ppu_read(0x0000, 1305, &rig.ciram);
        rig.mapper.ppu_read(0x1000, 1310, &rig.ciram);
        assert_eq!(counter(&rig), 4);
        // PPU writes (CHR RAM uploads through $2007) count too.
        rig.mapper.ppu_write(0x0000, 0, 1400, &mut rig.ciram);
        rig.mapper.ppu_write(0x1000, 0, 1500, &mut rig.ciram);
        assert_eq!(counter(&rig), 3);
    }
}
