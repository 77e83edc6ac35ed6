//! Mapper 0, NROM: 16 or 32 KiB of PRG ROM at $8000 (NROM-128 mirrors its
//! 16 KiB at $C000), 8 KiB of CHR, fixed mirroring, no registers.

use serde::{Deserialize, Serialize};

use super::{Chr, MapperError, Nametables, PrgLayout, check_prg};
use crate::bus::MappedMemory;
use crate::machine::nes::ines::Cartridge;

pub(super) const NAME: &str = "NROM";
const PRG_BANK: u32 = 16 << 10;

/// NROM state: nothing but its memories and the wired mirroring.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Nrom {
    pub(super) chr: Chr,
    pub(super) nametables: Nametables,
}

impl Nrom {
    pub(super) fn new(cart: &Cartridge) -> Result<Self, MapperError> {
        check_prg(cart, NAME, PRG_BANK)?;
        Ok(Self {
            chr: Chr::new(cart, NAME, 8 << 10)?,
            nametables: cart.mirroring.into(),
        })
    }

    pub(super) fn power_on(&mut self, memory: &mut MappedMemory, layout: &PrgLayout) {
        layout.map_ram(memory, 0);
        // Banks wrap modulo the ROM size: 16 KiB shows twice.
        layout.map_rom(memory, 0x8000, PRG_BANK, 0);
        layout.map_rom(memory, 0xC000, PRG_BANK, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::machine::nes::ines::Mirroring;

    #[test]
    fn nrom_128_mirrors_and_nrom_256_does_not() {
        let rig = Rig::new(&cart(
            0,
            16 << 10,
            16 << 10,
            8 << 10,
            8 << 10,
            Mirroring::Vertical,
        ));
        assert_eq!(
            [
                rig.read(0x8000),
                rig.read(0xBFFF),
                rig.read(0xC000),
                rig.read(0xFFFF)
            ],
            [0; 4]
        );
        let mut rig = Rig::new(&cart(
            0,
            32 << 10,
            16 << 10,
            8 << 10,
            8 << 10,
            Mirroring::Vertical,
        ));
        assert_eq!(
            [
                rig.read(0x8000),
                rig.read(0xBFFF),
                rig.read(0xC000),
                rig.read(0xFFFF)
            ],
            [0, 0, 1, 1]
        );
        let seen = rig.memory.generation();
        rig.write(0x8000, 1);
        rig.write(0xFFFF, 0);
        assert_eq!(rig.memory.generation(), seen, "NROM has no registers");
        assert_eq!(rig.read(0xC000), 1);
    }
}
