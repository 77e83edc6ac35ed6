//! The NES CPU bus: console RAM, the PPU and APU registers, the controller
//! ports, OAM and DMC DMA, and the cartridge.
//!
//! Time is kept by the bus. Every CPU bus access is one CPU cycle, in which
//! the APU advances one cycle and the PPU three dots, so the interpreter
//! sees devices exactly as the chip does. Translated code touches only
//! memory pages and reports the cycles it ran through
//! [`Bus6502::elapse`]; the devices catch up then, and the machine makes
//! sure no interrupt line can change inside such a stretch (see
//! [`NesBus::cycles_until_event`]).
//!
//! The address space is a [`MappedMemory`] whose backing store holds, in
//! order, the 2 KiB console RAM, the cartridge's PRG RAM and its PRG ROM,
//! so RAM and ROM reads (and the JIT) go straight to memory and only
//! registers reach [`NesBus::read_io`]/[`NesBus::write_io`].

use super::apu::Apu;
use super::controller::Controller;
use super::ines::Cartridge;
use super::mapper::{Mapper, MapperError, PrgLayout};
use super::ppu::{Ppu, PpuBus};
use crate::bus::{Bus6502, MappedBus, MappedMemory, PAGE_SIZE, PageEntry};
use crate::machine::InputState;
use serde::{Deserialize, Serialize};

/// Console RAM: 2 KiB at $0000, mirrored to $1FFF.
const RAM_SIZE: usize = 0x800;
/// Every board gets at least this much PRG RAM at $6000 (blargg's test
/// ROMs report through it even when their header declares none).
const MIN_PRG_RAM: usize = 0x2000;
/// PPU dots per CPU cycle on NTSC.
const DOTS_PER_CYCLE: u64 = 3;

/// The PPU's bus: the cartridge plus the console's nametable RAM.
struct CartridgeBus<'a> {
    mapper: &'a mut Mapper,
    ciram: &'a mut [u8; 2048],
    dot: u64,
}

impl PpuBus for CartridgeBus<'_> {
    #[inline]
    fn read(&mut self, addr: u16) -> u8 {
        self.mapper.ppu_read(addr, self.dot, self.ciram)
    }

    #[inline]
    fn write(&mut self, addr: u16, value: u8) {
        self.mapper.ppu_write(addr, value, self.dot, self.ciram);
    }

    fn address_changed(&mut self, addr: u16) {
        self.mapper.ppu_bus_address(addr, self.dot);
    }
}

/// Everything the NES CPU is wired to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NesBus {
    memory: MappedMemory,
    layout: PrgLayout,
    ppu: Ppu,
    apu: Apu,
    mapper: Mapper,
    /// The console's 2 KiB of nametable RAM.
    #[serde(with = "serde_big_array::BigArray")]
    ciram: [u8; 2048],
    controllers: [Controller; 2],
    /// CPU cycles since power-on, DMA stalls included.
    clock: u64,
    /// PPU dots since power-on (the mapper's time base for A12 filtering).
    dots: u64,
    /// The last value on the CPU data bus: what unmapped reads return.
    open_bus: u8,
}

impl NesBus {
    /// Wires `cart` to a console at power-on. Battery RAM contents, if
    /// given, are loaded into PRG RAM.
    pub fn new(cart: &Cartridge, sample_rate: u32) -> Result<Self, MapperError> {
        let mut mapper = Mapper::new(cart)?;
        let ram_len = cart
            .prg_ram_size
            .max(MIN_PRG_RAM)
            .next_multiple_of(PAGE_SIZE);
        let rom_len = cart.prg_rom.len().next_multiple_of(PAGE_SIZE);
        let layout = PrgLayout {
            rom_offset: (RAM_SIZE + ram_len) as u32,
            rom_len: cart.prg_rom.len() as u32,
            ram_offset: RAM_SIZE as u32,
            ram_len: ram_len as u32,
        };
        let mut memory = MappedMemory::new(RAM_SIZE + ram_len + rom_len);
        let rom_at = layout.rom_offset as usize;
        memory.data_mut()[rom_at..rom_at + cart.prg_rom.len()].copy_from_slice(&cart.prg_rom);
        if let Some(trainer) = &cart.trainer {
            // The trainer belongs at $7000-$71FF, i.e. 4 KiB into PRG RAM.
            let at = RAM_SIZE + 0x1000;
            memory.data_mut()[at..at + trainer.len()].copy_from_slice(trainer);
        }
        for page in 0..0x20u8 {
            let offset = (usize::from(page) * PAGE_SIZE) % RAM_SIZE;
            memory.map(page, PageEntry::ram(offset as u32));
        }
        mapper.power_on(&mut memory, &layout);
        Ok(Self {
            memory,
            layout,
            ppu: Ppu::new(),
            apu: Apu::new(sample_rate),
            mapper,
            ciram: [0; 2048],
            controllers: Default::default(),
            clock: 0,
            dots: 0,
            open_bus: 0,
        })
    }

    /// The PPU.
    pub fn ppu(&self) -> &Ppu {
        &self.ppu
    }

    /// The APU.
    pub fn apu(&self) -> &Apu {
        &self.apu
    }

    /// The APU, writable (sample rate, draining samples).
    pub fn apu_mut(&mut self) -> &mut Apu {
        &mut self.apu
    }

    /// The cartridge's mapper.
    pub fn mapper(&self) -> &Mapper {
        &self.mapper
    }

    /// CPU cycles since power-on, DMA stalls included.
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// PRG RAM ($6000-$7FFF and beyond, as the board has it).
    pub fn prg_ram(&self) -> &[u8] {
        let at = self.layout.ram_offset as usize;
        &self.memory.data()[at..at + self.layout.ram_len as usize]
    }

    /// Loads saved PRG RAM contents (a battery file); a shorter file fills
    /// the start, a longer one is cut.
    pub fn load_prg_ram(&mut self, data: &[u8]) {
        let at = self.layout.ram_offset as usize;
        let len = data.len().min(self.layout.ram_len as usize);
        self.memory.data_mut()[at..at + len].copy_from_slice(&data[..len]);
    }

    /// Applies the controls.
    pub fn set_input(&mut self, input: &InputState) {
        for (port, pad) in self.controllers.iter_mut().zip(input.pads) {
            port.set_buttons(pad);
        }
    }

    /// The reset button: the PPU and APU reset; the cartridge keeps its
    /// state (as the boards here do) and RAM keeps its contents.
    pub fn reset(&mut self) {
        self.ppu.reset();
        self.apu.reset();
    }

    /// CPU cycles from now until the frame is complete (vblank begins).
    pub fn cycles_until_vblank(&self) -> u64 {
        u64::from(self.ppu.dots_until_vblank()).div_ceil(DOTS_PER_CYCLE)
    }

    /// CPU cycles from now until an interrupt line may change: vblank
    /// (NMI), the APU's frame and DMC interrupts, a scanline counter. An
    /// IRQ line already asserted stays so until the CPU acknowledges it
    /// through a register, which translated code never touches, so then
    /// only vblank counts.
    fn cycles_until_event(&self) -> u64 {
        let mut horizon = self.cycles_until_vblank();
        if self.irq_line() {
            return horizon;
        }
        if let Some(irq) = self.apu.cycles_until_irq() {
            horizon = horizon.min(irq);
        }
        if self.mapper.irq_armed() && self.ppu.rendering_enabled() {
            horizon = horizon.min(self.cycles_until_scanline_irq_window());
        }
        horizon
    }

    /// A scanline counter (MMC3) clocks on PPU address line A12 rising,
    /// which rendering does only while it fetches sprite and next-line
    /// tiles, dots 257-340. Inside that window anything can happen from
    /// one dot to the next; before it, nothing can until dot 257.
    fn cycles_until_scanline_irq_window(&self) -> u64 {
        const WINDOW_START: u64 = 257;
        let dot = u64::from(self.ppu.dot());
        if dot < WINDOW_START {
            (WINDOW_START - dot).div_ceil(DOTS_PER_CYCLE)
        } else {
            1
        }
    }

    /// One CPU cycle of the devices around an access: the PPU's three
    /// dots run before the CPU's access (which then sees the PPU as of the
    /// cycle's end), the APU's cycle after it (the APU's own convention, by
    /// which its frame-counter timing matches blargg's tests).
    #[inline(always)]
    fn cycle<T>(&mut self, access: impl FnOnce(&mut Self) -> T) -> T {
        self.run_dots();
        let result = access(self);
        self.apu.tick();
        result
    }

    /// The PPU with its bus to the cartridge, as of the current dot.
    #[inline(always)]
    fn with_ppu<T>(&mut self, f: impl FnOnce(&mut Ppu, &mut CartridgeBus<'_>) -> T) -> T {
        let mut cart = CartridgeBus {
            mapper: &mut self.mapper,
            ciram: &mut self.ciram,
            dot: self.dots,
        };
        f(&mut self.ppu, &mut cart)
    }

    /// The PPU's dots of one CPU cycle.
    #[inline(always)]
    fn run_dots(&mut self) {
        self.clock += 1;
        self.dots = self.with_ppu(|ppu, cart| {
            for _ in 0..DOTS_PER_CYCLE {
                ppu.tick(cart);
                cart.dot += 1;
            }
            cart.dot
        });
    }

    /// The DMC's sample fetch: it halts the CPU on a read cycle for the
    /// common four cycles (halt, dummy, alignment, then the fetch itself).
    fn dmc_dma(&mut self, addr: u16) {
        for _ in 0..3 {
            self.cycle(|_| ());
        }
        let value = self.cycle(|bus| bus.peek(addr));
        self.apu.dmc_dma_complete(value);
    }

    /// OAM DMA after a write to $4014: one halt cycle, one more to align
    /// with a read (get) cycle when needed, then 256 read/write pairs into
    /// $2004: 513 or 514 cycles.
    fn oam_dma(&mut self, page: u8) {
        self.cycle(|_| ());
        if self.clock & 1 == 1 {
            self.cycle(|_| ());
        }
        let base = u16::from(page) << 8;
        for i in 0..=0xFFu16 {
            let value = self.cycle(|bus| {
                let value = bus.peek(base | i);
                bus.open_bus = value;
                value
            });
            self.cycle(|bus| {
                bus.with_ppu(|ppu, cart| ppu.write_register(0x2004, value, cart));
            });
        }
    }

    /// A DMA unit's read: memory, or the registers for the few programs
    /// that point DMA at them.
    fn peek(&mut self, addr: u16) -> u8 {
        match self.memory.read(addr) {
            Some(value) => value,
            None => self.read_io(addr),
        }
    }

    /// A read that did not land in memory.
    fn read_io(&mut self, addr: u16) -> u8 {
        match addr {
            0x2000..=0x3FFF => self.with_ppu(|ppu, cart| ppu.read_register(addr, cart)),
            0x4015 => self.apu.read_status() | (self.open_bus & 0x20),
            // Only D0 is driven by a standard pad; D1-D4 float to the
            // open-bus value on a front-loader (D0-D4 are driven low).
            0x4016 => self.controllers[0].read() | (self.open_bus & 0xE0),
            0x4017 => self.controllers[1].read() | (self.open_bus & 0xE0),
            0x4000..=0x401F => self.open_bus,
            _ => self.mapper.cpu_read(addr).unwrap_or(self.open_bus),
        }
    }

    /// A write that did not land in memory.
    fn write_io(&mut self, addr: u16, value: u8) {
        match addr {
            0x2000..=0x3FFF => self.with_ppu(|ppu, cart| ppu.write_register(addr, value, cart)),
            0x4014 => self.oam_dma(value),
            0x4016 => {
                for port in &mut self.controllers {
                    port.write_strobe(value);
                }
            }
            0x4000..=0x4017 => self.apu.write_register(addr, value),
            0x4018..=0x401F => {}
            _ => self
                .mapper
                .cpu_write(addr, value, self.clock, &mut self.memory, &self.layout),
        }
    }
}

impl Bus6502 for NesBus {
    #[inline(always)]
    fn read(&mut self, addr: u16) -> u8 {
        if let Some(sample) = self.apu.dmc_dma_request() {
            self.dmc_dma(sample);
        }
        self.cycle(|bus| {
            let value = match bus.memory.read(addr) {
                Some(value) => value,
                None => bus.read_io(addr),
            };
            bus.open_bus = value;
            value
        })
    }

    #[inline(always)]
    fn write(&mut self, addr: u16, value: u8) {
        self.cycle(|bus| {
            bus.open_bus = value;
            if !bus.memory.write(addr, value) {
                bus.write_io(addr, value);
            }
        });
    }

    #[inline(always)]
    fn irq_line(&self) -> bool {
        self.apu.irq_line() || self.mapper.irq_line()
    }

    #[inline(always)]
    fn nmi_line(&self) -> bool {
        self.ppu.nmi_line()
    }

    /// Until the next event, less a margin: the instruction during which
    /// a line changes must run on the interpreter, whose interrupt polling
    /// is cycle-exact.
    fn quiet_cycles(&self) -> u64 {
        const MARGIN: u64 = 2;
        self.cycles_until_event().saturating_sub(MARGIN)
    }

    fn elapse(&mut self, cycles: u64) {
        for _ in 0..cycles {
            if let Some(sample) = self.apu.dmc_dma_request() {
                self.dmc_dma(sample);
            }
            self.cycle(|_| ());
        }
    }
}

impl MappedBus for NesBus {
    fn memory(&self) -> &MappedMemory {
        &self.memory
    }

    fn memory_mut(&mut self) -> &mut MappedMemory {
        &mut self.memory
    }
}
