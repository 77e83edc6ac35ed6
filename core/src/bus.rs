//! How a CPU sees the world: one bus access per cycle, and a page table
//! that maps guest pages either to host RAM or to a machine's I/O handler.
//!
//! Buses are generic parameters of the interpreters, never trait objects, so
//! a machine whose RAM path is a slice index compiles to exactly that.

/// The 6502 side of a bus. Every call is one CPU cycle: the interpreter
/// issues the exact sequence of reads and writes of the real chip, dummy
/// accesses included, so a machine can tick its other chips per access.
pub trait Bus6502 {
    /// One read cycle.
    fn read(&mut self, addr: u16) -> u8;
    /// One write cycle.
    fn write(&mut self, addr: u16, value: u8);
    /// Level of the /IRQ line after the current cycle (true = asserted).
    #[inline(always)]
    fn irq_line(&self) -> bool {
        false
    }
    /// Level of the /NMI line after the current cycle (true = asserted).
    /// The CPU detects the edge itself.
    #[inline(always)]
    fn nmi_line(&self) -> bool {
        false
    }
    /// `cycles` CPU cycles passed without bus calls: translated code ran
    /// them, touching only memory pages. A machine whose devices keep time
    /// by counting bus calls catches them up here; engines call it before
    /// the next bus access or line sample.
    #[inline(always)]
    fn elapse(&mut self, cycles: u64) {
        let _ = cycles;
    }
    /// CPU cycles from now during which no device will change an interrupt
    /// line or otherwise need the CPU to look: an engine may run that long
    /// without bus calls (then [`elapse`](Self::elapse) them). A machine
    /// with timed interrupts answers with the time to its next event.
    #[inline(always)]
    fn quiet_cycles(&self) -> u64 {
        u64::MAX
    }
}

/// Bits of a guest address below the page number.
pub const PAGE_SHIFT: u32 = 8;
/// Bytes per page.
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;
/// Pages in a 16-bit address space.
pub const PAGE_COUNT: usize = 1 << (16 - PAGE_SHIFT);

/// One entry of a [`PageTable`], packed into a `u32` so generated code can
/// test it with one load: the page-aligned offset of the page's bytes in the
/// machine's backing store, plus flag bits in the low byte that send reads
/// or writes to the machine's I/O handler instead.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[repr(transparent)]
#[serde(transparent)]
pub struct PageEntry(u32);

impl PageEntry {
    /// Reads of this page go to the I/O handler.
    pub const READ_IO: u32 = 1 << 0;
    /// Writes to this page go to the I/O handler (ROM, mapper registers, I/O).
    pub const WRITE_IO: u32 = 1 << 1;
    const FLAGS: u32 = (PAGE_SIZE as u32) - 1;

    /// Plain RAM at `offset` in the backing store.
    pub const fn ram(offset: u32) -> Self {
        assert!(offset & Self::FLAGS == 0, "page offsets are page aligned");
        Self(offset)
    }

    /// Readable memory at `offset` whose writes go to the I/O handler.
    pub const fn rom(offset: u32) -> Self {
        assert!(offset & Self::FLAGS == 0, "page offsets are page aligned");
        Self(offset | Self::WRITE_IO)
    }

    /// A page handled entirely by the I/O handler.
    pub const fn io() -> Self {
        Self(Self::READ_IO | Self::WRITE_IO)
    }

    /// The raw word, as generated code sees it.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Offset of the page in the backing store when reads come from memory.
    #[inline(always)]
    pub const fn read_offset(self) -> Option<usize> {
        if self.0 & Self::READ_IO == 0 {
            Some((self.0 & !Self::FLAGS) as usize)
        } else {
            None
        }
    }

    /// Offset of the page in the backing store when writes go to memory.
    #[inline(always)]
    pub const fn write_offset(self) -> Option<usize> {
        if self.0 & Self::WRITE_IO == 0 {
            Some((self.0 & !Self::FLAGS) as usize)
        } else {
            None
        }
    }
}

/// A guest address space: backing store plus a page table into it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct MappedMemory {
    data: Vec<u8>,
    #[serde(with = "serde_big_array::BigArray")]
    pages: [PageEntry; PAGE_COUNT],
    /// Bumped by every [`MappedMemory::map`] that changes an entry.
    generation: u64,
    /// The generation at which each page was last remapped.
    #[serde(with = "serde_big_array::BigArray")]
    page_generation: [u64; PAGE_COUNT],
}

impl MappedMemory {
    /// `size` bytes of backing store (rounded up to whole pages), every page
    /// routed to I/O until mapped.
    pub fn new(size: usize) -> Self {
        Self {
            data: vec![0; size.div_ceil(PAGE_SIZE) * PAGE_SIZE],
            pages: [PageEntry::io(); PAGE_COUNT],
            generation: 0,
            page_generation: [0; PAGE_COUNT],
        }
    }

    /// A flat 64 KiB of RAM, every page mapped to itself.
    pub fn flat_ram() -> Self {
        let mut mem = Self::new(1 << 16);
        for page in 0..PAGE_COUNT {
            mem.pages[page] = PageEntry::ram((page * PAGE_SIZE) as u32);
        }
        mem
    }

    /// Routes guest page `page` to `entry`.
    ///
    /// # Panics
    /// If the entry points past the backing store: a machine bug, not input.
    pub fn map(&mut self, page: u8, entry: PageEntry) {
        let offset = entry.bits() & !PageEntry::FLAGS;
        assert!(
            offset as usize + PAGE_SIZE <= self.data.len(),
            "page {page:#04x} mapped past the backing store"
        );
        if self.pages[page as usize] != entry {
            self.pages[page as usize] = entry;
            self.generation += 1;
            self.page_generation[page as usize] = self.generation;
        }
    }

    /// A counter that changes whenever a page is remapped: translated code
    /// that relied on the old mapping must then be dropped.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Pages remapped after generation `since`.
    pub fn remapped_since(&self, since: u64) -> impl Iterator<Item = u8> + '_ {
        (0..=u8::MAX).filter(move |&page| self.page_generation[usize::from(page)] > since)
    }

    /// The page table, for generated code and debuggers.
    pub fn pages(&self) -> &[PageEntry; PAGE_COUNT] {
        &self.pages
    }

    /// The backing store.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The backing store, writable (loaders, the JIT's store path).
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// Reads `addr` if its page is memory-backed.
    #[inline(always)]
    pub fn read(&self, addr: u16) -> Option<u8> {
        let entry = self.pages[(addr >> PAGE_SHIFT) as usize];
        entry
            .read_offset()
            .map(|base| self.data[base | (addr as usize & (PAGE_SIZE - 1))])
    }

    /// Writes `addr` if its page is memory-backed; returns whether it did.
    #[inline(always)]
    pub fn write(&mut self, addr: u16, value: u8) -> bool {
        let entry = self.pages[(addr >> PAGE_SHIFT) as usize];
        match entry.write_offset() {
            Some(base) => {
                self.data[base | (addr as usize & (PAGE_SIZE - 1))] = value;
                true
            }
            None => false,
        }
    }
}

/// A bus whose memory pages live in a [`MappedMemory`]: what the JIT needs
/// to read guest code and to access RAM and ROM directly.
pub trait MappedBus {
    /// The address space.
    fn memory(&self) -> &MappedMemory;
    /// The address space, writable.
    fn memory_mut(&mut self) -> &mut MappedMemory;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_ram_reads_back_writes() {
        let mut mem = MappedMemory::flat_ram();
        assert!(mem.write(0x1234, 0x56));
        assert_eq!(mem.read(0x1234), Some(0x56));
        assert_eq!(mem.data()[0x1234], 0x56);
    }

    #[test]
    fn rom_pages_read_but_refuse_writes() {
        let mut mem = MappedMemory::new(0x200);
        mem.data_mut()[0x105] = 0xAA;
        mem.map(0x80, PageEntry::rom(0x100));
        assert_eq!(mem.read(0x8005), Some(0xAA));
        assert!(!mem.write(0x8005, 1));
        assert_eq!(mem.read(0x8005), Some(0xAA));
        assert_eq!(mem.read(0x4000), None, "unmapped pages are I/O");
    }

    #[test]
    fn remapping_is_tracked_per_page() {
        let mut mem = MappedMemory::new(0x200);
        mem.map(0x80, PageEntry::rom(0));
        let seen = mem.generation();
        mem.map(0x80, PageEntry::rom(0));
        assert_eq!(mem.generation(), seen, "an unchanged entry is not a remap");
        mem.map(0x81, PageEntry::rom(0x100));
        assert_eq!(mem.remapped_since(seen).collect::<Vec<_>>(), vec![0x81]);
        assert_eq!(mem.remapped_since(mem.generation()).count(), 0);
    }

    #[test]
    fn mirrored_pages_share_bytes() {
        let mut mem = MappedMemory::new(0x800);
        for page in 0..0x20u8 {
            mem.map(page, PageEntry::ram(u32::from(page % 8) * 0x100));
        }
        assert!(mem.write(0x0001, 7));
        assert_eq!(mem.read(0x0801), Some(7));
        assert_eq!(mem.read(0x1801), Some(7));
    }
}

/// The kind of Z80 machine cycle a [`BusZ80::wait_states`] call is about.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Z80Cycle {
    /// Opcode fetch (M1): 4 T-states, the address is PC.
    OpcodeFetch,
    /// Memory read: 3 T-states.
    MemRead,
    /// Memory write: 3 T-states.
    MemWrite,
    /// Port read: 4 T-states (one automatic wait state included).
    PortIn,
    /// Port write: 4 T-states.
    PortOut,
    /// Interrupt acknowledge: an M1 cycle with two automatic wait states.
    InterruptAck,
    /// One T-state of an internal operation, with the address the CPU leaves
    /// on the bus (the ZX Spectrum's ULA contends these too).
    Internal,
}

/// The Z80 side of a bus, at machine-cycle level.
///
/// The CPU keeps the T-state counter. Before each machine cycle (and before
/// each internal T-state) it asks [`wait_states`](Self::wait_states) how long
/// the bus holds it (memory contention, /WAIT), then performs the access,
/// passing the T-state at which the cycle starts after those waits, then
/// advances the clock by the cycle's length. A plain RAM bus keeps the
/// default `wait_states` and ignores `now`: everything but the memory access
/// compiles away.
pub trait BusZ80 {
    /// Opcode fetch: read `addr` as an M1 cycle. `refresh` is the I*256+R
    /// address the CPU drives during the cycle's refresh half.
    fn fetch_opcode(&mut self, addr: u16, refresh: u16, now: u64) -> u8;
    /// Memory read cycle.
    fn read(&mut self, addr: u16, now: u64) -> u8;
    /// Memory write cycle.
    fn write(&mut self, addr: u16, value: u8, now: u64);
    /// Port read cycle (IN): the full 16-bit port address.
    #[inline(always)]
    fn port_in(&mut self, port: u16, now: u64) -> u8 {
        let _ = (port, now);
        0xFF
    }
    /// Port write cycle (OUT).
    #[inline(always)]
    fn port_out(&mut self, port: u16, value: u8, now: u64) {
        let _ = (port, value, now);
    }
    /// Extra T-states the bus inserts before the cycle `kind` that would
    /// start at `now` with `addr` on the address bus.
    #[inline(always)]
    fn wait_states(&mut self, kind: Z80Cycle, addr: u16, now: u64) -> u32 {
        let _ = (kind, addr, now);
        0
    }
    /// The CPU is about to start an instruction (or accept an interrupt) at
    /// T-state `now`; a bus whose lines depend on time samples them from
    /// here.
    #[inline(always)]
    fn instruction_start(&mut self, now: u64) {
        let _ = now;
    }
    /// Whether accesses to page `page` (`addr >> 8`) may take wait states.
    /// Translated code does not model them: a JIT runs only while the
    /// refresh address (I*256+R, on the bus in internal cycles) is on a
    /// page without, and leaves such pages to the interpreter.
    #[inline(always)]
    fn contended_page(&self, page: u8) -> bool {
        let _ = page;
        false
    }
    /// Level of the /INT line (true = asserted), sampled before each instruction.
    #[inline(always)]
    fn int_line(&self) -> bool {
        false
    }
    /// Level of the /NMI line; the CPU detects the falling edge itself.
    #[inline(always)]
    fn nmi_line(&self) -> bool {
        false
    }
    /// The byte a device puts on the data bus when the CPU acknowledges a
    /// maskable interrupt: the opcode executed in IM 0, the vector's low byte
    /// in IM 2. An idle bus reads $FF (RST 38h).
    #[inline(always)]
    fn int_ack(&mut self, now: u64) -> u8 {
        let _ = now;
        0xFF
    }
}
