//! Mapper 1, MMC1 (SxROM boards).
//!
//! Writes to $8000-$FFFF feed a 5-bit serial shift register, LSB first. A
//! write with bit 7 set clears it and sets PRG mode 3 (control |= $0C). The
//! fifth write copies the value into the register chosen by address bits
//! 14-13 of that write: $8000 control, $A000 CHR bank 0, $C000 CHR bank 1,
//! $E000 PRG bank. Of writes on consecutive CPU cycles (the dummy and real
//! writes of a read-modify-write instruction) only the first counts.
//!
//! Control: bits 0-1 mirroring (one-screen low, one-screen high, vertical,
//! horizontal), bits 2-3 PRG mode (0/1: 32 KiB at $8000, bank bit 0
//! ignored; 2: first bank fixed at $8000, switch $C000; 3: switch $8000,
//! last bank fixed at $C000), bit 4 CHR mode (0: 8 KiB, bank 0 bit 0
//! ignored; 1: two 4 KiB banks). CHR banks address ROM or RAM alike.
//!
//! Board variants, told apart by sizes as iNES mapper 1 must:
//! - SUROM/SXROM (PRG ROM over 256 KiB): CHR bank 0 bit 4 selects the
//!   256 KiB outer PRG bank, for both the switched and the fixed window.
//!   Real boards take it from whichever CHR register is driving the PPU's
//!   A12 half; games only use 8 KiB CHR mode there, so we take CHR bank 0.
//! - SOROM (16 KiB PRG RAM): CHR bank 0 bit 3 selects the 8 KiB RAM bank;
//!   SXROM (32 KiB): bits 2-3.
//!
//! PRG bank bit 4 (MMC1B: PRG RAM disable) is stored but not enforced:
//! MMC1A boards ignore it, and several emulators found games that write it
//! carelessly; the bus owns PRG RAM and its battery anyway.

use serde::{Deserialize, Serialize};

use super::{Chr, MapperError, Nametables, PrgLayout, check_prg};
use crate::bus::MappedMemory;
use crate::machine::nes::ines::Cartridge;

pub(super) const NAME: &str = "MMC1";
const PRG_BANK: u32 = 16 << 10;
/// PRG ROM beyond this size is SUROM-style outer banking.
const OUTER: u32 = 256 << 10;

/// MMC1 state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mmc1 {
    pub(super) chr: Chr,
    /// Shift register contents (bits arrive at bit 4 and move down).
    shift: u8,
    /// Bits shifted in so far (0..5).
    count: u8,
    control: u8,
    chr_bank0: u8,
    chr_bank1: u8,
    prg_bank: u8,
    /// CPU cycle of the last write to $8000-$FFFF.
    last_write: Option<u64>,
}

impl Mmc1 {
    pub(super) fn new(cart: &Cartridge) -> Result<Self, MapperError> {
        check_prg(cart, NAME, PRG_BANK)?;
        Ok(Self {
            chr: Chr::new(cart, NAME, 4 << 10)?,
            shift: 0,
            count: 0,
            control: 0x0C,
            chr_bank0: 0,
            chr_bank1: 0,
            prg_bank: 0,
            last_write: None,
        })
    }

    pub(super) fn nametables(&self) -> Nametables {
        match self.control & 3 {
            0 => Nametables::SingleLow,
            1 => Nametables::SingleHigh,
            2 => Nametables::Vertical,
            _ => Nametables::Horizontal,
        }
    }

    pub(super) fn power_on(&mut self, memory: &mut MappedMemory, layout: &PrgLayout) {
        self.shift = 0;
        self.count = 0;
        self.control = 0x0C;
        self.chr_bank0 = 0;
        self.chr_bank1 = 0;
        self.prg_bank = 0;
        self.last_write = None;
        self.update_chr();
        self.update_prg(memory, layout);
    }

    pub(super) fn cpu_write(
        &mut self,
        addr: u16,
        value: u8,
        cycle: u64,
        memory: &mut MappedMemory,
        layout: &PrgLayout,
    ) {
        let consecutive = self
            .last_write
            .is_some_and(|last| cycle == last.wrapping_add(1));
        self.last_write = Some(cycle);
        if consecutive {
            return;
        }
        if value & 0x80 != 0 {
            self.shift = 0;
            self.count = 0;
            self.control |= 0x0C;
            self.update_prg(memory, layout);
            return;
        }
        self.shift = (self.shift >> 1) | ((value & 1) << 4);
        self.count += 1;
        if self.count < 5 {
            return;
        }
        let data = self.shift;
        self.shift = 0;
        self.count = 0;
        match (addr >> 13) & 3 {
            0 => self.control = data,
            1 => self.chr_bank0 = data,
            2 => self.chr_bank1 = data,
            _ => self.prg_bank = data,
        }
        self.update_chr();
        self.update_prg(memory, layout);
    }

    fn update_chr(&mut self) {
        if self.control & 0x10 == 0 {
            self.chr.map(0, 8, u32::from(self.chr_bank0 >> 1));
        } else {
            self.chr.map(0, 4, u32::from(self.chr_bank0));
            self.chr.map(4, 4, u32::from(self.chr_bank1));
        }
    }

    fn update_prg(&self, memory: &mut MappedMemory, layout: &PrgLayout) {
        let outer = if layout.rom_len > OUTER {
            u32::from(self.chr_bank0 & 0x10)
        } else {
            0
        };
        let bank = u32::from(self.prg_bank & 0x0F);
        match (self.control >> 2) & 3 {
            0 | 1 => layout.map_rom(memory, 0x8000, 2 * PRG_BANK, (outer | bank) >> 1),
            2 => {
                layout.map_rom(memory, 0x8000, PRG_BANK, outer);
                layout.map_rom(memory, 0xC000, PRG_BANK, outer | bank);
            }
            _ => {
                layout.map_rom(memory, 0x8000, PRG_BANK, outer | bank);
                layout.map_rom(memory, 0xC000, PRG_BANK, outer | 0x0F);
            }
        }
        let ram_bank = match layout.ram_len {
            0x8000 => (self.chr_bank0 >> 2) & 3,
            0x4000 => (self.chr_bank0 >> 3) & 1,
            _ => 0,
        };
        layout.map_ram(memory, u32::from(ram_bank));
    }
}

#[cfg(test)]
mod tests {
    use super::super::Nametables;
    use super::super::testing::*;
    use crate::machine::nes::ines::Mirroring;

    /// Five serial writes of `value` to `addr`, each a few cycles apart.
    fn load(rig: &mut Rig, addr: u16, value: u8) {
        for i in 0..5 {
            rig.write(addr, (value >> i) & 1);
        }
    }

    fn rig_256k() -> Rig {
        Rig::new(&cart(
            1,
            256 << 10,
            16 << 10,
            128 << 10,
            4 << 10,
            Mirroring::Vertical,
        ))
    }

    #[test]
    fn powers_on_in_mode_3_with_last_bank_fixed() {
        let rig = rig_256k();
        assert_eq!(
            [rig.read(0x8000), rig.read(0xC000), rig.read(0xFFFF)],
            [0, 15, 15]
        );
    }

    #[test]
    fn prg_modes() {
        let mut rig = rig_256k();
        load(&mut rig, 0xE000, 5);
        assert_eq!([rig.read(0x8000), rig.read(0xC000)], [5, 15]);
        load(&mut rig, 0x8000, 0b0_10_10); // PRG mode 2
        assert_eq!([rig.read(0x8000), rig.read(0xC000)], [0, 5]);
        load(&mut rig, 0x8000, 0b0_00_10); // 32 KiB: bank bit 0 ignored
        assert_eq!([rig.read(0x8000), rig.read(0xC000)], [4, 5]);
        load(&mut rig, 0x8000, 0b0_01_10);
        load(&mut rig, 0xE000, 6);
        assert_eq!(
            [rig.read(0x8000), rig.read(0xBFFF), rig.read(0xC000)],
            [6, 6, 7]
        );
    }

    #[test]
    fn reset_bit_clears_shift_and_sets_mode_3() {
        let mut rig = rig_256k();
        load(&mut rig, 0x8000, 0b0_00_10);
        load(&mut rig, 0xE000, 2);
        assert_eq!([rig.read(0x8000), rig.read(0xC000)], [2, 3]);
        // Three bits in, then reset: the partial value is dropped.
        rig.write(0xE000, 1);
        rig.write(0xE000, 1);
        rig.write(0xE000, 1);
        rig.write(0x8000, 0x80);
        assert_eq!(
            [rig.read(0x8000), rig.read(0xC000)],
            [2, 15],
            "mode 3 after reset"
        );
        load(&mut rig, 0xE000, 9);
        assert_eq!(rig.read(0x8000), 9);
    }

    #[test]
    fn register_is_chosen_by_the_fifth_write_address() {
        let mut rig = rig_256k();
        for (i, addr) in [0x8000u16, 0x9000, 0xA000, 0xB000, 0xE000]
            .into_iter()
            .enumerate()
        {
            rig.write(addr, (3 >> i) & 1);
        }
        assert_eq!(rig.read(0x8000), 3);
    }

    #[test]
    fn consecutive_cycle_writes_are_ignored() {
        let mut rig = rig_256k();
        // INC $E000-style: dummy write of the old value, then the new one on
        // the next cycle. Only the first counts.
        let mut cycle = 100;
        for bit in [1u8, 0, 1, 0, 0] {
            rig.write_at(0xE000, bit, cycle);
            rig.write_at(0xE000, 1 - bit, cycle + 1);
            cycle += 6;
        }
        assert_eq!(rig.read(0x8000), 5);
        // A reset on the following cycle is ignored too.
        rig.write_at(0xE000, 0, cycle);
        rig.write_at(0xE000, 0x80, cycle + 1);
        for (i, bit) in [0u8, 0, 0, 0].into_iter().enumerate() {
            rig.write_at(0xE000, bit, cycle + 3 + 3 * i as u64);
        }
        assert_eq!(
            rig.read(0x8000),
            0,
            "the reset was dropped, five bits landed"
        );
        // Two cycles apart is not consecutive.
        rig.write_at(0x8000, 0x80, cycle + 40);
        for i in 0..5 {
            rig.write_at(0xE000, 1, cycle + 42 + 2 * i);
        }
        assert_eq!(rig.read(0x8000), 15);
    }

    #[test]
    fn chr_8k_and_4k_modes() {
        let mut rig = rig_256k();
        load(&mut rig, 0xA000, 5); // 8 KiB mode: bit 0 ignored -> 4K banks 4, 5
        load(&mut rig, 0xC000, 9); // ignored in 8 KiB mode
        assert_eq!([rig.ppu_read(0x0000), rig.ppu_read(0x1000)], [4, 5]);
        load(&mut rig, 0x8000, 0b1_11_10);
        assert_eq!([rig.ppu_read(0x0000), rig.ppu_read(0x1FFF)], [5, 9]);
        load(&mut rig, 0xC000, 33); // modulo 32 banks
        assert_eq!(rig.ppu_read(0x1000), 1);
    }

    #[test]
    fn chr_ram_banks_in_4k_mode() {
        let mut rig = Rig::new(&cart(1, 128 << 10, 16 << 10, 0, 1, Mirroring::Vertical));
        load(&mut rig, 0x8000, 0b1_11_10);
        load(&mut rig, 0xA000, 1);
        load(&mut rig, 0xC000, 1);
        rig.ppu_write(0x0010, 0x5A);
        assert_eq!(
            rig.ppu_read(0x1010),
            0x5A,
            "both windows show the upper 4 KiB"
        );
        load(&mut rig, 0xA000, 0);
        assert_eq!(rig.ppu_read(0x0010), 0);
    }

    #[test]
    fn mirroring_modes() {
        let mut rig = rig_256k();
        for (value, mode, targets) in [
            (0, Nametables::SingleLow, [0, 0, 0, 0]),
            (1, Nametables::SingleHigh, [1, 1, 1, 1]),
            (2, Nametables::Vertical, [0, 1, 0, 1]),
            (3, Nametables::Horizontal, [0, 0, 1, 1]),
        ] {
            load(&mut rig, 0x8000, 0x0C | value);
            assert_eq!(rig.mapper.nametables(), mode);
            assert_eq!(rig.nametable_targets(), targets);
        }
    }

    #[test]
    fn surom_outer_bank_from_chr_bank_0_bit_4() {
        let mut rig = Rig::new(&cart(1, 512 << 10, 16 << 10, 0, 1, Mirroring::Vertical));
        assert_eq!([rig.read(0x8000), rig.read(0xC000)], [0, 15]);
        load(&mut rig, 0xA000, 0x10);
        assert_eq!([rig.read(0x8000), rig.read(0xC000)], [16, 31]);
        load(&mut rig, 0xE000, 3);
        assert_eq!([rig.read(0x8000), rig.read(0xC000)], [19, 31]);
        load(&mut rig, 0xA000, 0x00);
        assert_eq!([rig.read(0x8000), rig.read(0xC000)], [3, 15]);
    }

    #[test]
    fn sxrom_prg_ram_banks() {
        let c = cart(1, 128 << 10, 16 << 10, 0, 1, Mirroring::Vertical);
        let mut rig = Rig::with_ram(&c, 32 << 10);
        rig.write(0x6000, 0xAA);
        load(&mut rig, 0xA000, 0b0_1000);
        assert_eq!(rig.read(0x6000), 0);
        rig.write(0x6000, 0xBB);
        load(&mut rig, 0xA000, 0);
        assert_eq!(rig.read(0x6000), 0xAA);
        let ram = RAM_OFFSET as usize;
        assert_eq!(rig.memory.data()[ram + 2 * 0x2000], 0xBB);
    }

    #[test]
    fn rewriting_the_same_banks_is_not_a_remap() {
        let mut rig = rig_256k();
        load(&mut rig, 0xE000, 4);
        let seen = rig.memory.generation();
        load(&mut rig, 0xE000, 4);
        load(&mut rig, 0xA000, 3); // CHR only
        rig.write(0x8000, 0x80); // already mode 3
        load(&mut rig, 0x8000, 0x0E); // same PRG mode, other mirroring
        assert_eq!(rig.memory.generation(), seen);
        load(&mut rig, 0xE000, 5);
        assert_eq!(
            rig.memory.remapped_since(seen).collect::<Vec<_>>(),
            (0x80..0xC0).collect::<Vec<u8>>()
        );
    }
}
