//! NES cartridge boards ("mappers"): PRG banking on the CPU side, CHR
//! banking and nametable mirroring on the PPU side, and the MMC3's
//! scanline IRQ.
//!
//! The CPU side never serves PRG ROM through a callback: the mapper maps
//! 256-byte pages of the bus's [`MappedMemory`] onto the PRG ROM (and PRG
//! RAM) the bus placed in the backing store (see [`PrgLayout`]), so the JIT
//! reads guest code straight from memory. ROM pages route writes to the
//! bus's I/O handler, which hands them to [`Mapper::cpu_write`].
//! [`MappedMemory::map`] only counts a remap when an entry changes, so
//! rewriting the same bank costs the JIT nothing.
//!
//! Supported: 0 NROM, 1 MMC1 (SxROM), 2 UxROM, 3 CNROM, 4 MMC3 (TxROM),
//! 7 AxROM. Facts follow the nesdev wiki pages of the same names.

mod axrom;
mod cnrom;
mod mmc1;
mod mmc3;
mod nrom;
mod uxrom;

pub use axrom::Axrom;
pub use cnrom::Cnrom;
pub use mmc1::Mmc1;
pub use mmc3::Mmc3;
pub use nrom::Nrom;
pub use uxrom::Uxrom;

use serde::{Deserialize, Serialize};

use super::ines::{Cartridge, Mirroring};
use crate::bus::{MappedMemory, PAGE_SIZE, PageEntry};

/// 1 KiB, the unit of CHR banking.
const KIB: u32 = 1 << 10;

/// Where the bus put PRG ROM and PRG RAM in the CPU's backing store
/// (byte offsets and lengths; offsets are page aligned).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrgLayout {
    /// Offset of PRG ROM.
    pub rom_offset: u32,
    /// Length of PRG ROM.
    pub rom_len: u32,
    /// Offset of PRG RAM.
    pub ram_offset: u32,
    /// Length of PRG RAM (0: the board has none, $6000-$7FFF is open bus).
    pub ram_len: u32,
}

impl PrgLayout {
    /// How many `window`-byte banks PRG ROM holds (at least 1).
    pub fn rom_banks(&self, window: u32) -> u32 {
        (self.rom_len / window).max(1)
    }

    /// Maps the `window` bytes at `cpu_addr` (8, 16 or 32 KiB, aligned) as
    /// ROM to PRG ROM bank `bank` of that size, modulo the ROM size, so
    /// out-of-range banks wrap as they do on boards with fewer address lines.
    /// Pages already mapped there are left alone (no remap).
    pub fn map_rom(&self, memory: &mut MappedMemory, cpu_addr: u16, window: u32, bank: u32) {
        if self.rom_len == 0 {
            return;
        }
        let len = u64::from(self.rom_len);
        let base = u64::from(bank) * u64::from(window) % len;
        let first = cpu_addr >> 8;
        for i in 0..window / PAGE_SIZE as u32 {
            let offset = (base + u64::from(i) * PAGE_SIZE as u64) % len;
            memory.map(
                (first + i as u16) as u8,
                PageEntry::rom(self.rom_offset + offset as u32),
            );
        }
    }

    /// Maps $6000-$7FFF to 8 KiB PRG RAM bank `bank` (modulo the RAM size;
    /// smaller RAM mirrors), or to the I/O handler (open bus) without RAM.
    pub fn map_ram(&self, memory: &mut MappedMemory, bank: u32) {
        const WINDOW: u32 = 8 * KIB;
        for i in 0..WINDOW / PAGE_SIZE as u32 {
            let page = (0x60 + i) as u8;
            if self.ram_len == 0 {
                memory.map(page, PageEntry::io());
            } else {
                let len = u64::from(self.ram_len);
                let offset =
                    (u64::from(bank) * u64::from(WINDOW) + u64::from(i) * PAGE_SIZE as u64) % len;
                memory.map(page, PageEntry::ram(self.ram_offset + offset as u32));
            }
        }
    }
}

/// How the four logical nametables at PPU $2000/$2400/$2800/$2C00 land in
/// video memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Nametables {
    /// iNES "horizontal mirroring" (vertical arrangement): CIRAM A10 = PPU A11,
    /// $2000 = $2400, $2800 = $2C00.
    Horizontal,
    /// iNES "vertical mirroring" (horizontal arrangement): CIRAM A10 = PPU A10,
    /// $2000 = $2800, $2400 = $2C00.
    Vertical,
    /// All four show the first 1 KiB of CIRAM.
    SingleLow,
    /// All four show the second 1 KiB of CIRAM.
    SingleHigh,
    /// $2000/$2400 in CIRAM, $2800/$2C00 in 2 KiB on the cartridge.
    FourScreen,
}

impl From<Mirroring> for Nametables {
    fn from(m: Mirroring) -> Self {
        match m {
            Mirroring::Horizontal => Self::Horizontal,
            Mirroring::Vertical => Self::Vertical,
            Mirroring::FourScreen => Self::FourScreen,
        }
    }
}

/// Where a nametable address lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NtSlot {
    /// Index into the console's 2 KiB CIRAM.
    Ciram(usize),
    /// Index into the cartridge's own 2 KiB (four-screen).
    Cart(usize),
}

impl Nametables {
    /// Where PPU address `addr` ($2000-$3EFF) lands.
    fn slot(self, addr: u16) -> NtSlot {
        let offset = usize::from(addr & 0x3FF);
        let table = usize::from(addr >> 10) & 3;
        match self {
            Self::Horizontal => NtSlot::Ciram((table >> 1) << 10 | offset),
            Self::Vertical => NtSlot::Ciram((table & 1) << 10 | offset),
            Self::SingleLow => NtSlot::Ciram(offset),
            Self::SingleHigh => NtSlot::Ciram(0x400 | offset),
            Self::FourScreen if table < 2 => NtSlot::Ciram(table << 10 | offset),
            Self::FourScreen => NtSlot::Cart((table & 1) << 10 | offset),
        }
    }
}

/// The cartridge's PPU-side memory: CHR ROM or RAM seen through eight
/// 1 KiB windows, plus four-screen VRAM when the board has it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Chr {
    data: Vec<u8>,
    writable: bool,
    /// Offset in `data` of each 1 KiB window of $0000-$1FFF.
    windows: [u32; 8],
    /// 2 KiB for nametables 2 and 3 on four-screen boards, else empty.
    extra_vram: Vec<u8>,
}

impl Chr {
    /// Takes the cartridge's CHR ROM, or allocates its CHR RAM (8 KiB when
    /// the header announces none), refusing sizes that are not whole
    /// `bank`-byte banks. Windows start at the first 8 KiB.
    fn new(cart: &Cartridge, board: &'static str, bank: u32) -> Result<Self, MapperError> {
        let (data, writable) = if cart.chr_rom.is_empty() {
            let size = if cart.chr_ram_size == 0 {
                8 << 10
            } else {
                cart.chr_ram_size
            };
            (vec![0; size], true)
        } else {
            (cart.chr_rom.clone(), false)
        };
        if !data.len().is_multiple_of(bank as usize) || data.len() > u32::MAX as usize {
            return Err(MapperError::ChrSize {
                board,
                len: data.len(),
                bank: bank as usize,
            });
        }
        let extra_vram = if cart.mirroring == Mirroring::FourScreen {
            vec![0; 2048]
        } else {
            Vec::new()
        };
        let mut chr = Self {
            data,
            writable,
            windows: [0; 8],
            extra_vram,
        };
        chr.map(0, 8, 0);
        Ok(chr)
    }

    /// Shows bank `bank` of `size_kib` KiB in the windows from
    /// `first_kib`, modulo the CHR size.
    fn map(&mut self, first_kib: usize, size_kib: usize, bank: u32) {
        let len = self.data.len() as u64;
        let base = u64::from(bank) * size_kib as u64 * u64::from(KIB) % len;
        for i in 0..size_kib {
            self.windows[first_kib + i] = ((base + i as u64 * u64::from(KIB)) % len) as u32;
        }
    }

    fn index(&self, addr: u16) -> usize {
        self.windows[usize::from(addr >> 10) & 7] as usize + usize::from(addr & 0x3FF)
    }

    fn read(&self, addr: u16) -> u8 {
        self.data[self.index(addr)]
    }

    fn write(&mut self, addr: u16, value: u8) {
        if self.writable {
            let i = self.index(addr);
            self.data[i] = value;
        }
    }
}

/// Refuses PRG ROM that is not a whole, non-zero number of `bank`-byte banks.
fn check_prg(cart: &Cartridge, board: &'static str, bank: u32) -> Result<(), MapperError> {
    let len = cart.prg_rom.len();
    if len == 0 || !len.is_multiple_of(bank as usize) || len > u32::MAX as usize {
        return Err(MapperError::PrgSize {
            board,
            len,
            bank: bank as usize,
        });
    }
    Ok(())
}

/// NES 2.0 submapper 2 of mappers 2, 3 and 7: the board has AND-type bus
/// conflicts (the latch sees the written value ANDed with the ROM byte at
/// the address). Submapper 1 says there are none; submapper 0 (and iNES)
/// does not say, and like most emulators we then assume none: licensed
/// games avoid conflicts anyway, while some hacks and homebrew rely on
/// their absence.
fn bus_conflict(submapper: u8, memory: &MappedMemory, addr: u16, value: u8) -> u8 {
    if submapper == 2 {
        value & memory.read(addr).unwrap_or(0xFF)
    } else {
        value
    }
}

/// The mapper numbers this module implements, for error messages.
const SUPPORTED: &str = "0 (NROM), 1 (MMC1), 2 (UxROM), 3 (CNROM), 4 (MMC3), 7 (AxROM)";

/// The usual name of some well-known boards we do not implement.
fn known_board(number: u16) -> Option<&'static str> {
    Some(match number {
        5 => "MMC5",
        9 => "MMC2",
        10 => "MMC4",
        11 => "Color Dreams",
        16 => "Bandai FCG",
        19 => "Namco 163",
        21 | 23 | 25 => "VRC2/VRC4",
        22 => "VRC2",
        24 | 26 => "VRC6",
        34 => "BNROM/NINA-001",
        66 => "GxROM",
        69 => "Sunsoft FME-7",
        71 => "Camerica/Codemasters",
        85 => "VRC7",
        206 => "Namco 108 (DxROM)",
        _ => return None,
    })
}

fn unsupported_message(number: u16, submapper: u8) -> String {
    let board = known_board(number).map_or(String::new(), |b| format!(" ({b})"));
    let sub = if submapper == 0 {
        String::new()
    } else {
        format!(", submapper {submapper}")
    };
    format!("mapper {number}{board}{sub} is not supported; supported mappers: {SUPPORTED}")
}

/// Why a cartridge cannot be run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MapperError {
    /// The board is not implemented.
    #[error("{}", unsupported_message(*.number, *.submapper))]
    Unsupported {
        /// iNES / NES 2.0 mapper number.
        number: u16,
        /// NES 2.0 submapper.
        submapper: u8,
    },
    /// PRG ROM is not a whole number of the board's banks.
    #[error("{board}: PRG ROM is {len} bytes, not a non-zero multiple of its {bank}-byte bank")]
    PrgSize {
        /// Board name.
        board: &'static str,
        /// PRG ROM length.
        len: usize,
        /// The board's PRG bank size.
        bank: usize,
    },
    /// CHR ROM (or RAM) is not a whole number of the board's banks.
    #[error("{board}: CHR memory is {len} bytes, not a multiple of its {bank}-byte bank")]
    ChrSize {
        /// Board name.
        board: &'static str,
        /// CHR length.
        len: usize,
        /// The board's CHR bank size.
        bank: usize,
    },
    /// The board switches CHR ROM but the image has none.
    #[error("{board} switches CHR ROM banks, but the image has no CHR ROM")]
    ChrMissing {
        /// Board name.
        board: &'static str,
    },
}

/// A cartridge board.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Mapper {
    /// Mapper 0.
    Nrom(Nrom),
    /// Mapper 1.
    Mmc1(Mmc1),
    /// Mapper 2.
    Uxrom(Uxrom),
    /// Mapper 3.
    Cnrom(Cnrom),
    /// Mapper 4.
    Mmc3(Mmc3),
    /// Mapper 7.
    Axrom(Axrom),
}

impl Mapper {
    /// The board for `cart`, owning its CHR ROM (or fresh CHR RAM).
    pub fn new(cart: &Cartridge) -> Result<Self, MapperError> {
        Ok(match cart.mapper {
            0 => Self::Nrom(Nrom::new(cart)?),
            1 => Self::Mmc1(Mmc1::new(cart)?),
            2 => Self::Uxrom(Uxrom::new(cart)?),
            3 => Self::Cnrom(Cnrom::new(cart)?),
            4 => Self::Mmc3(Mmc3::new(cart)?),
            7 => Self::Axrom(Axrom::new(cart)?),
            number => {
                return Err(MapperError::Unsupported {
                    number,
                    submapper: cart.submapper,
                });
            }
        })
    }

    /// The iNES mapper number.
    pub fn number(&self) -> u16 {
        match self {
            Self::Nrom(_) => 0,
            Self::Mmc1(_) => 1,
            Self::Uxrom(_) => 2,
            Self::Cnrom(_) => 3,
            Self::Mmc3(_) => 4,
            Self::Axrom(_) => 7,
        }
    }

    /// The board's usual name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Nrom(_) => nrom::NAME,
            Self::Mmc1(_) => mmc1::NAME,
            Self::Uxrom(_) => uxrom::NAME,
            Self::Cnrom(_) => cnrom::NAME,
            Self::Mmc3(_) => mmc3::NAME,
            Self::Axrom(_) => axrom::NAME,
        }
    }

    /// Maps the power-on (and reset) banks. Called once at power-on with the layout.
    pub fn power_on(&mut self, memory: &mut MappedMemory, layout: &PrgLayout) {
        match self {
            Self::Nrom(m) => m.power_on(memory, layout),
            Self::Mmc1(m) => m.power_on(memory, layout),
            Self::Uxrom(m) => m.power_on(memory, layout),
            Self::Cnrom(m) => m.power_on(memory, layout),
            Self::Mmc3(m) => m.power_on(memory, layout),
            Self::Axrom(m) => m.power_on(memory, layout),
        }
    }

    /// A CPU write to $4020-$FFFF that did not land in memory (ROM pages,
    /// unmapped pages). `cycle` is the CPU cycle of the write (MMC1 ignores
    /// the second of two writes on consecutive cycles, as read-modify-write
    /// instructions do).
    pub fn cpu_write(
        &mut self,
        addr: u16,
        value: u8,
        cycle: u64,
        memory: &mut MappedMemory,
        layout: &PrgLayout,
    ) {
        if addr < 0x8000 {
            // No board here has registers below $8000; writes to absent or
            // unmapped PRG RAM go nowhere.
            return;
        }
        match self {
            Self::Nrom(_) => {}
            Self::Mmc1(m) => m.cpu_write(addr, value, cycle, memory, layout),
            Self::Uxrom(m) => m.cpu_write(addr, value, memory, layout),
            Self::Cnrom(m) => m.cpu_write(addr, value, memory),
            Self::Mmc3(m) => m.cpu_write(addr, value, memory, layout),
            Self::Axrom(m) => m.cpu_write(addr, value, memory, layout),
        }
    }

    /// A CPU read of $4020-$7FFF from an I/O page; None = open bus (no board
    /// here drives it).
    pub fn cpu_read(&mut self, addr: u16) -> Option<u8> {
        let _ = addr;
        None
    }

    fn chr(&self) -> &Chr {
        match self {
            Self::Nrom(m) => &m.chr,
            Self::Mmc1(m) => &m.chr,
            Self::Uxrom(m) => &m.chr,
            Self::Cnrom(m) => &m.chr,
            Self::Mmc3(m) => &m.chr,
            Self::Axrom(m) => &m.chr,
        }
    }

    fn chr_mut(&mut self) -> &mut Chr {
        match self {
            Self::Nrom(m) => &mut m.chr,
            Self::Mmc1(m) => &mut m.chr,
            Self::Uxrom(m) => &mut m.chr,
            Self::Cnrom(m) => &mut m.chr,
            Self::Mmc3(m) => &mut m.chr,
            Self::Axrom(m) => &mut m.chr,
        }
    }

    /// PPU bus $0000-$3EFF: pattern tables from CHR ROM/RAM, nametables
    /// through the mirroring into `ciram` (the console's 2 KiB VRAM);
    /// four-screen boards use 2 KiB of their own. `dot` is a monotonic PPU
    /// dot counter (the MMC3 filters PPU A12 with it).
    pub fn ppu_read(&mut self, addr: u16, dot: u64, ciram: &[u8; 2048]) -> u8 {
        let addr = addr & 0x3FFF;
        if let Self::Mmc3(m) = self {
            m.watch_a12(addr, dot);
        }
        if addr < 0x2000 {
            return self.chr().read(addr);
        }
        match self.nametables().slot(addr) {
            NtSlot::Ciram(i) => ciram[i],
            NtSlot::Cart(i) => self.chr().extra_vram[i],
        }
    }

    /// The PPU drove `addr` onto its address bus without a read or write
    /// strobe: a $2006 write or a $2007 increment while rendering is off.
    /// Only the MMC3 cares (its IRQ counter watches PPU A12, so games and
    /// test ROMs clock it by toggling the address through $2006).
    pub fn ppu_bus_address(&mut self, addr: u16, dot: u64) {
        if let Self::Mmc3(m) = self {
            m.watch_a12(addr & 0x3FFF, dot);
        }
    }

    /// PPU bus write $0000-$3EFF (CHR RAM, nametables); see [`Self::ppu_read`].
    pub fn ppu_write(&mut self, addr: u16, value: u8, dot: u64, ciram: &mut [u8; 2048]) {
        let addr = addr & 0x3FFF;
        if let Self::Mmc3(m) = self {
            m.watch_a12(addr, dot);
        }
        if addr < 0x2000 {
            self.chr_mut().write(addr, value);
            return;
        }
        match self.nametables().slot(addr) {
            NtSlot::Ciram(i) => ciram[i] = value,
            NtSlot::Cart(i) => self.chr_mut().extra_vram[i] = value,
        }
    }

    /// Level of the cartridge's /IRQ output (true = asserted): MMC3 only.
    pub fn irq_line(&self) -> bool {
        match self {
            Self::Mmc3(m) => m.irq_line(),
            _ => false,
        }
    }

    /// Whether the IRQ counter can fire on the coming scanlines (MMC3 IRQ
    /// enabled); the machine then schedules at scanline granularity.
    pub fn irq_armed(&self) -> bool {
        match self {
            Self::Mmc3(m) => m.irq_armed(),
            _ => false,
        }
    }

    /// The current nametable arrangement.
    pub fn nametables(&self) -> Nametables {
        match self {
            Self::Nrom(m) => m.nametables,
            Self::Mmc1(m) => m.nametables(),
            Self::Uxrom(m) => m.nametables,
            Self::Cnrom(m) => m.nametables,
            Self::Mmc3(m) => m.nametables(),
            Self::Axrom(m) => m.nametables(),
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Small cartridges and a bus-like harness for the board tests.
    use super::*;
    use crate::machine::nes::ines::HeaderFormat;

    /// Console RAM, then 8 KiB PRG RAM, then PRG ROM, as the bus lays it out.
    pub(crate) const RAM_OFFSET: u32 = 0x800;

    /// A cartridge whose PRG is `prg_len` bytes with each `prg_bank`-byte
    /// bank filled with its bank number, CHR likewise (`chr_len` 0 = CHR RAM).
    pub(crate) fn cart(
        mapper: u16,
        prg_len: usize,
        prg_bank: usize,
        chr_len: usize,
        chr_bank: usize,
        mirroring: Mirroring,
    ) -> Cartridge {
        Cartridge {
            format: HeaderFormat::INes,
            mapper,
            submapper: 0,
            mirroring,
            battery: false,
            trainer: None,
            prg_rom: (0..prg_len).map(|i| (i / prg_bank) as u8).collect(),
            chr_rom: (0..chr_len).map(|i| (i / chr_bank) as u8).collect(),
            prg_ram_size: 8 << 10,
            chr_ram_size: if chr_len == 0 { 8 << 10 } else { 0 },
        }
    }

    /// A mapper on a bus with 8 KiB of PRG RAM.
    pub(crate) struct Rig {
        pub(crate) mapper: Mapper,
        pub(crate) memory: MappedMemory,
        pub(crate) layout: PrgLayout,
        pub(crate) ciram: [u8; 2048],
        pub(crate) cycle: u64,
        pub(crate) dot: u64,
    }

    impl Rig {
        pub(crate) fn new(cart: &Cartridge) -> Self {
            Self::with_ram(cart, 8 << 10)
        }

        pub(crate) fn with_ram(cart: &Cartridge, ram_len: u32) -> Self {
            let layout = PrgLayout {
                rom_offset: RAM_OFFSET + ram_len.max(8 << 10),
                rom_len: cart.prg_rom.len() as u32,
                ram_offset: RAM_OFFSET,
                ram_len,
            };
            let mut memory = MappedMemory::new(layout.rom_offset as usize + cart.prg_rom.len());
            memory.data_mut()[layout.rom_offset as usize..].copy_from_slice(&cart.prg_rom);
            let mut mapper = Mapper::new(cart).expect("supported test cartridge");
            mapper.power_on(&mut memory, &layout);
            Self {
                mapper,
                memory,
                layout,
                ciram: [0; 2048],
                cycle: 0,
                dot: 0,
            }
        }

        /// A CPU write the way the bus does it: memory first, else the mapper.
        /// Each call is a few cycles after the previous one.
        pub(crate) fn write(&mut self, addr: u16, value: u8) {
            self.cycle += 4;
            self.write_at(addr, value, self.cycle);
        }

        pub(crate) fn write_at(&mut self, addr: u16, value: u8, cycle: u64) {
            if !self.memory.write(addr, value) {
                self.mapper
                    .cpu_write(addr, value, cycle, &mut self.memory, &self.layout);
            }
        }

        /// The byte the CPU sees at `addr` (ROM windows: the bank number).
        pub(crate) fn read(&self, addr: u16) -> u8 {
            self.memory.read(addr).expect("memory-mapped page")
        }

        pub(crate) fn ppu_read(&mut self, addr: u16) -> u8 {
            self.dot += 2;
            self.mapper.ppu_read(addr, self.dot, &self.ciram)
        }

        pub(crate) fn ppu_write(&mut self, addr: u16, value: u8) {
            self.dot += 2;
            self.mapper
                .ppu_write(addr, value, self.dot, &mut self.ciram);
        }

        /// Which nametables alias: writes a marker through each of
        /// $2000/$2400/$2800/$2C00 and reports which CIRAM half (0, 1) or
        /// cartridge VRAM half (2, 3) changed.
        pub(crate) fn nametable_targets(&mut self) -> [u8; 4] {
            let mut out = [0; 4];
            for (i, base) in [0x2000u16, 0x2400, 0x2800, 0x2C00].into_iter().enumerate() {
                self.ciram = [0; 2048];
                self.mapper.chr_mut().extra_vram.fill(0);
                self.ppu_write(base + 5, 0xA5);
                let extra = &self.mapper.chr().extra_vram;
                out[i] = if self.ciram[5] == 0xA5 {
                    0
                } else if self.ciram[0x405] == 0xA5 {
                    1
                } else if extra.get(5) == Some(&0xA5) {
                    2
                } else {
                    assert_eq!(
                        extra.get(0x405),
                        Some(&0xA5),
                        "write to {base:#06x} went nowhere"
                    );
                    3
                };
                assert_eq!(self.ppu_read(base + 5), 0xA5, "read back {base:#06x}");
                // A mirror at $3xxx sees the same byte.
                assert_eq!(self.ppu_read(base + 0x1005), 0xA5, "mirror of {base:#06x}");
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn unsupported_mapper_names_number_and_board() {
        let mut c = cart(5, 32 << 10, 16 << 10, 8 << 10, 8 << 10, Mirroring::Vertical);
        let err = Mapper::new(&c).unwrap_err();
        assert_eq!(
            err,
            MapperError::Unsupported {
                number: 5,
                submapper: 0
            }
        );
        let text = err.to_string();
        assert!(text.contains("mapper 5"), "{text}");
        assert!(text.contains("MMC5"), "{text}");
        assert!(text.contains("4 (MMC3)"), "{text}");
        c.mapper = 300;
        c.submapper = 3;
        let text = Mapper::new(&c).unwrap_err().to_string();
        assert!(
            text.starts_with("mapper 300, submapper 3 is not supported"),
            "{text}"
        );
    }

    #[test]
    fn size_errors_name_the_board() {
        let c = cart(4, 12 << 10, 4 << 10, 8 << 10, 1 << 10, Mirroring::Vertical);
        let err = Mapper::new(&c).unwrap_err();
        assert!(
            matches!(err, MapperError::PrgSize { board: "MMC3", .. }),
            "{err:?}"
        );
        let c = cart(2, 24 << 10, 8 << 10, 0, 1, Mirroring::Vertical);
        assert!(matches!(Mapper::new(&c), Err(MapperError::PrgSize { .. })));
        let c = cart(1, 32 << 10, 16 << 10, 3 << 10, 1 << 10, Mirroring::Vertical);
        let err = Mapper::new(&c).unwrap_err();
        assert!(matches!(err, MapperError::ChrSize { .. }), "{err:?}");
        assert!(err.to_string().contains("MMC1"));
        let c = cart(3, 32 << 10, 16 << 10, 0, 1, Mirroring::Vertical);
        assert_eq!(
            Mapper::new(&c).unwrap_err(),
            MapperError::ChrMissing { board: "CNROM" }
        );
    }

    #[test]
    fn names_and_numbers() {
        for (n, name) in [
            (0, "NROM"),
            (1, "MMC1"),
            (2, "UxROM"),
            (3, "CNROM"),
            (4, "MMC3"),
            (7, "AxROM"),
        ] {
            let m = Mapper::new(&cart(
                n,
                32 << 10,
                8 << 10,
                8 << 10,
                1 << 10,
                Mirroring::Vertical,
            ))
            .unwrap();
            assert_eq!((m.number(), m.name()), (n, name));
        }
    }

    #[test]
    fn nametable_slots() {
        use NtSlot::*;
        let at = |m: Nametables| [0x2000u16, 0x2400, 0x2800, 0x2C00].map(|a| m.slot(a + 1));
        assert_eq!(
            at(Nametables::Horizontal),
            [Ciram(1), Ciram(1), Ciram(0x401), Ciram(0x401)]
        );
        assert_eq!(
            at(Nametables::Vertical),
            [Ciram(1), Ciram(0x401), Ciram(1), Ciram(0x401)]
        );
        assert_eq!(at(Nametables::SingleLow), [Ciram(1); 4]);
        assert_eq!(at(Nametables::SingleHigh), [Ciram(0x401); 4]);
        assert_eq!(
            at(Nametables::FourScreen),
            [Ciram(1), Ciram(0x401), Cart(1), Cart(0x401)]
        );
        assert_eq!(Nametables::Vertical.slot(0x3EFF), Ciram(0x6FF & 0x7FF));
    }

    #[test]
    fn header_mirroring_reaches_fixed_boards_and_four_screen_has_own_vram() {
        for n in [0, 2, 3] {
            let mut rig = Rig::new(&cart(
                n,
                32 << 10,
                16 << 10,
                8 << 10,
                8 << 10,
                Mirroring::Horizontal,
            ));
            assert_eq!(rig.nametable_targets(), [0, 0, 1, 1], "mapper {n}");
            let mut rig = Rig::new(&cart(
                n,
                32 << 10,
                16 << 10,
                8 << 10,
                8 << 10,
                Mirroring::Vertical,
            ));
            assert_eq!(rig.nametable_targets(), [0, 1, 0, 1], "mapper {n}");
            let mut rig = Rig::new(&cart(
                n,
                32 << 10,
                16 << 10,
                8 << 10,
                8 << 10,
                Mirroring::FourScreen,
            ));
            assert_eq!(rig.nametables_four(), [0, 1, 2, 3], "mapper {n}");
        }
    }

    impl Rig {
        fn nametables_four(&mut self) -> [u8; 4] {
            assert_eq!(self.mapper.nametables(), Nametables::FourScreen);
            self.nametable_targets()
        }
    }

    #[test]
    fn prg_ram_is_mapped_and_absent_ram_is_open_bus() {
        let c = cart(0, 16 << 10, 16 << 10, 8 << 10, 8 << 10, Mirroring::Vertical);
        let mut rig = Rig::new(&c);
        rig.write(0x6123, 0x42);
        assert_eq!(rig.read(0x6123), 0x42);
        assert_eq!(rig.memory.data()[(RAM_OFFSET + 0x123) as usize], 0x42);
        let mut rig = Rig::with_ram(&c, 0);
        assert_eq!(rig.memory.read(0x6000), None);
        rig.write(0x6000, 1); // goes to the mapper, which ignores it
        assert_eq!(rig.mapper.cpu_read(0x6000), None);
        // 2 KiB of RAM mirrors through the window.
        let mut rig = Rig::with_ram(&c, 2 << 10);
        rig.write(0x6001, 9);
        assert_eq!(rig.read(0x6801), 9);
        assert_eq!(rig.read(0x7801), 9);
    }

    #[test]
    fn state_round_trips_through_bincode() {
        let c = cart(4, 64 << 10, 8 << 10, 0, 1, Mirroring::Vertical);
        let mut rig = Rig::new(&c);
        rig.write(0x8000, 0x47);
        rig.write(0x8001, 3);
        rig.write(0xA000, 1);
        rig.write(0xC000, 2);
        rig.write(0xC001, 0);
        rig.write(0xE001, 0);
        rig.ppu_write(0x0042, 0x99);
        rig.mapper.ppu_bus_address(0x1000, 1_000);
        let bytes = bincode::serialize(&rig.mapper).unwrap();
        let mut back: Mapper = bincode::deserialize(&bytes).unwrap();
        assert_eq!(back.nametables(), Nametables::Horizontal);
        assert!(back.irq_armed());
        assert_eq!(back.ppu_read(0x0042, 1_001, &rig.ciram), 0x99);
        // Same counter state: two more filtered rises reach 0 and fire.
        for (i, m) in [&mut rig.mapper, &mut back].into_iter().enumerate() {
            for n in 0..2u64 {
                let dot = 2_000 + n * 341;
                m.ppu_bus_address(0x0000, dot);
                m.ppu_bus_address(0x1000, dot + 20);
            }
            assert!(m.irq_line(), "copy {i}");
        }
    }

    #[test]
    fn only_mmc3_has_an_irq() {
        for n in [0, 1, 2, 3, 7] {
            let mut rig = Rig::new(&cart(
                n,
                32 << 10,
                8 << 10,
                8 << 10,
                1 << 10,
                Mirroring::Vertical,
            ));
            for v in [0u8, 0xFF] {
                for a in [0x8000u16, 0xC001, 0xE001] {
                    rig.write(a, v);
                }
            }
            rig.mapper.ppu_bus_address(0x1000, 100);
            assert!(
                !rig.mapper.irq_line() && !rig.mapper.irq_armed(),
                "mapper {n}"
            );
        }
    }

    #[test]
    fn chr_ram_is_writable_and_chr_rom_is_not() {
        let mut rig = Rig::new(&cart(0, 16 << 10, 16 << 10, 0, 1, Mirroring::Vertical));
        rig.ppu_write(0x1234, 0x77);
        assert_eq!(rig.ppu_read(0x1234), 0x77);
        let mut rig = Rig::new(&cart(
            0,
            16 << 10,
            16 << 10,
            8 << 10,
            4 << 10,
            Mirroring::Vertical,
        ));
        rig.ppu_write(0x1234, 0x77);
        assert_eq!(rig.ppu_read(0x1234), 1);
        assert_eq!(rig.ppu_read(0x0234), 0);
    }
}
