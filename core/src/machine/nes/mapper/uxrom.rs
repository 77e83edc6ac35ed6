//! Mapper 2, UxROM: a 16 KiB PRG bank at $8000 chosen by any write to
//! $8000-$FFFF, the last 16 KiB fixed at $C000, CHR RAM (usually), fixed
//! mirroring.
//!
//! The latch takes the whole byte (the iNES mapper 2 generalisation up to
//! 4 MiB), banks wrapping modulo the ROM size. Bus conflicts: only with NES
//! 2.0 submapper 2 (see [`super::bus_conflict`]).

use serde::{Deserialize, Serialize};

use super::{Chr, MapperError, Nametables, PrgLayout, bus_conflict, check_prg};
use crate::bus::MappedMemory;
use crate::machine::nes::ines::Cartridge;

pub(super) const NAME: &str = "UxROM";
const PRG_BANK: u32 = 16 << 10;

/// UxROM state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Uxrom {
    pub(super) chr: Chr,
    pub(super) nametables: Nametables,
    submapper: u8,
    bank: u8,
}

impl Uxrom {
    pub(super) fn new(cart: &Cartridge) -> Result<Self, MapperError> {
        check_prg(cart, NAME, PRG_BANK)?;
        Ok(Self {
            chr: Chr::new(cart, NAME, 8 << 10)?,
            nametables: cart.mirroring.into(),
            submapper: cart.submapper,
            bank: 0,
        })
    }

    pub(super) fn power_on(&mut self, memory: &mut MappedMemory, layout: &PrgLayout) {
        self.bank = 0;
        layout.map_ram(memory, 0);
        layout.map_rom(memory, 0x8000, PRG_BANK, 0);
        layout.map_rom(memory, 0xC000, PRG_BANK, layout.rom_banks(PRG_BANK) - 1);
    }

    pub(super) fn cpu_write(
        &mut self,
        addr: u16,
        value: u8,
        memory: &mut MappedMemory,
        layout: &PrgLayout,
    ) {
        self.bank = bus_conflict(self.submapper, memory, addr, value);
        layout.map_rom(memory, 0x8000, PRG_BANK, u32::from(self.bank));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::machine::nes::ines::Mirroring;

    #[test]
    fn switches_low_window_and_fixes_last_bank() {
        let mut rig = Rig::new(&cart(2, 128 << 10, 16 << 10, 0, 1, Mirroring::Vertical));
        assert_eq!(
            [rig.read(0x8000), rig.read(0xC000), rig.read(0xFFFF)],
            [0, 7, 7]
        );
        for bank in [3u8, 6, 7, 0, 9] {
            rig.write(0x8000 | u16::from(bank & 7) << 12, bank);
            assert_eq!(rig.read(0x8000), bank % 8);
            assert_eq!(rig.read(0xBFFF), bank % 8);
            assert_eq!(rig.read(0xC000), 7);
        }
    }

    #[test]
    fn rewriting_the_mapped_bank_is_not_a_remap() {
        let mut rig = Rig::new(&cart(2, 64 << 10, 16 << 10, 0, 1, Mirroring::Vertical));
        rig.write(0xFFF0, 2);
        let seen = rig.memory.generation();
        rig.write(0x8000, 2);
        rig.write(0xC123, 6); // 6 mod 4 = 2
        assert_eq!(rig.memory.generation(), seen);
        rig.write(0x8000, 1);
        assert_ne!(rig.memory.generation(), seen);
        let pages: Vec<u8> = rig.memory.remapped_since(seen).collect();
        assert_eq!(pages, (0x80..0xC0).collect::<Vec<u8>>());
    }

    #[test]
    fn submapper_2_has_and_bus_conflicts() {
        let mut c = cart(2, 64 << 10, 16 << 10, 0, 1, Mirroring::Vertical);
        c.submapper = 2;
        let mut rig = Rig::new(&c);
        // $C000 holds 3 (the fixed last bank): 3 AND 2 = 2.
        rig.write(0xC000, 2);
        assert_eq!(rig.read(0x8000), 2);
        rig.write(0xC000, 1);
        assert_eq!(rig.read(0x8000), 1);
        rig.write(0xC000, 0xFE); // 3 AND $FE = 2
        assert_eq!(rig.read(0x8000), 2);
        // Without the submapper the CPU wins.
        let mut rig = Rig::new(&cart(2, 64 << 10, 16 << 10, 0, 1, Mirroring::Vertical));
        rig.write(0xC000, 0xFC);
        assert_eq!(rig.read(0x8000), 0);
        rig.write(0x8000, 0xFE); // bank 0 byte is 0; no conflict modelled
        assert_eq!(rig.read(0x8000), 2);
    }
}
