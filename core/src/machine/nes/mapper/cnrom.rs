//! Mapper 3, CNROM: 16 or 32 KiB of fixed PRG ROM like NROM, and an 8 KiB
//! CHR ROM bank chosen by any write to $8000-$FFFF (whole byte, modulo the
//! CHR size). Bus conflicts only with NES 2.0 submapper 2.

use serde::{Deserialize, Serialize};

use super::{Chr, MapperError, Nametables, PrgLayout, bus_conflict, check_prg};
use crate::bus::MappedMemory;
use crate::machine::nes::ines::Cartridge;

pub(super) const NAME: &str = "CNROM";
const PRG_BANK: u32 = 16 << 10;

/// CNROM state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cnrom {
    pub(super) chr: Chr,
    pub(super) nametables: Nametables,
    submapper: u8,
    bank: u8,
}

impl Cnrom {
    pub(super) fn new(cart: &Cartridge) -> Result<Self, MapperError> {
        check_prg(cart, NAME, PRG_BANK)?;
        if cart.chr_rom.is_empty() {
            return Err(MapperError::ChrMissing { board: NAME });
        }
        Ok(Self {
            chr: Chr::new(cart, NAME, 8 << 10)?,
            nametables: cart.mirroring.into(),
            submapper: cart.submapper,
            bank: 0,
        })
    }

    pub(super) fn power_on(&mut self, memory: &mut MappedMemory, layout: &PrgLayout) {
        self.bank = 0;
        self.chr.map(0, 8, 0);
        layout.map_ram(memory, 0);
        layout.map_rom(memory, 0x8000, PRG_BANK, 0);
        layout.map_rom(memory, 0xC000, PRG_BANK, 1);
    }

    pub(super) fn cpu_write(&mut self, addr: u16, value: u8, memory: &mut MappedMemory) {
        self.bank = bus_conflict(self.submapper, memory, addr, value);
        self.chr.map(0, 8, u32::from(self.bank));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::machine::nes::ines::Mirroring;

    #[test]
    fn switches_8k_chr_and_leaves_prg_alone() {
        let mut rig = Rig::new(&cart(
            3,
            32 << 10,
            16 << 10,
            32 << 10,
            8 << 10,
            Mirroring::Vertical,
        ));
        assert_eq!([rig.ppu_read(0x0000), rig.ppu_read(0x1FFF)], [0, 0]);
        let seen = rig.memory.generation();
        for bank in [2u8, 3, 1, 5] {
            rig.write(0x8000, bank);
            assert_eq!(rig.ppu_read(0x0000), bank % 4);
            assert_eq!(rig.ppu_read(0x1FFF), bank % 4);
        }
        assert_eq!(
            rig.memory.generation(),
            seen,
            "CHR writes never remap the CPU side"
        );
        assert_eq!([rig.read(0x8000), rig.read(0xC000)], [0, 1]);
    }

    #[test]
    fn submapper_2_has_bus_conflicts() {
        let mut c = cart(
            3,
            16 << 10,
            16 << 10,
            32 << 10,
            8 << 10,
            Mirroring::Vertical,
        );
        c.submapper = 2;
        c.prg_rom[0x10] = 0x01;
        let mut rig = Rig::new(&c);
        rig.write(0x8010, 0x03);
        assert_eq!(rig.ppu_read(0), 1);
    }
}
