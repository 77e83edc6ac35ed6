//! Mapper 7, AxROM: a 32 KiB PRG bank (bits 0-3 of any write to
//! $8000-$FFFF) and one-screen mirroring chosen by bit 4; 8 KiB CHR RAM.
//! Bus conflicts only with NES 2.0 submapper 2 (AMROM).

use serde::{Deserialize, Serialize};

use super::{Chr, MapperError, Nametables, PrgLayout, bus_conflict, check_prg};
use crate::bus::MappedMemory;
use crate::machine::nes::ines::Cartridge;

pub(super) const NAME: &str = "AxROM";
const PRG_BANK: u32 = 32 << 10;

/// AxROM state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Axrom {
    pub(super) chr: Chr,
    submapper: u8,
    reg: u8,
}

impl Axrom {
    pub(super) fn new(cart: &Cartridge) -> Result<Self, MapperError> {
        check_prg(cart, NAME, PRG_BANK)?;
        Ok(Self {
            chr: Chr::new(cart, NAME, 8 << 10)?,
            submapper: cart.submapper,
            reg: 0,
        })
    }

    pub(super) fn nametables(&self) -> Nametables {
        if self.reg & 0x10 == 0 {
            Nametables::SingleLow
        } else {
            Nametables::SingleHigh
        }
    }

    pub(super) fn power_on(&mut self, memory: &mut MappedMemory, layout: &PrgLayout) {
        self.reg = 0;
        layout.map_ram(memory, 0);
        layout.map_rom(memory, 0x8000, PRG_BANK, 0);
    }

    pub(super) fn cpu_write(
        &mut self,
        addr: u16,
        value: u8,
        memory: &mut MappedMemory,
        layout: &PrgLayout,
    ) {
        self.reg = bus_conflict(self.submapper, memory, addr, value);
        layout.map_rom(memory, 0x8000, PRG_BANK, u32::from(self.reg & 0x0F));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::machine::nes::ines::Mirroring;

    #[test]
    fn switches_32k_and_one_screen_page() {
        let mut rig = Rig::new(&cart(7, 128 << 10, 32 << 10, 0, 1, Mirroring::Vertical));
        assert_eq!([rig.read(0x8000), rig.read(0xFFFF)], [0, 0]);
        assert_eq!(rig.nametable_targets(), [0; 4]);
        rig.write(0x8000, 0x12);
        assert_eq!([rig.read(0x8000), rig.read(0xFFFF)], [2, 2]);
        assert_eq!(rig.nametable_targets(), [1; 4]);
        rig.write(0xFFFF, 0x03);
        assert_eq!([rig.read(0x8000), rig.read(0xC000)], [3, 3]);
        assert_eq!(rig.nametable_targets(), [0; 4]);
        let seen = rig.memory.generation();
        rig.write(0x9000, 0x13);
        assert_eq!(
            rig.memory.generation(),
            seen,
            "same bank, other screen: no remap"
        );
        assert_eq!(rig.nametable_targets(), [1; 4]);
        rig.write(0x9000, 0x05); // 5 mod 4 = 1
        assert_eq!(rig.read(0x8000), 1);
    }
}
