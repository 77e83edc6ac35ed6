//! What a page table promises for the whole address space, decided when a
//! block is compiled. Where no page routes an access kind to I/O the
//! generated code skips the run-time page check; where, besides, every
//! page maps to its own offset of the backing store (a flat 64 KiB of RAM:
//! the CP/M machine, bare test machines), a guest address is the host
//! offset and the page table is not consulted at all. Code compiled under
//! a promise is only valid while the promise holds: the block cache
//! flushes when a remap breaks it.

use retrojit_core::bus::{MappedMemory, PAGE_SIZE};

/// Whole-address-space facts about one access kind (reads or writes).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct AccessShape {
    /// No page routes the access to I/O.
    pub plain: bool,
    /// Plain, and every page maps to offset `page * PAGE_SIZE`.
    pub flat: bool,
}

/// The facts for reads and for writes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct MemoryShape {
    pub reads: AccessShape,
    pub writes: AccessShape,
}

impl AccessShape {
    fn of(
        memory: &MappedMemory,
        offset: impl Fn(retrojit_core::bus::PageEntry) -> Option<usize>,
    ) -> Self {
        let mut shape = AccessShape {
            plain: true,
            flat: true,
        };
        for (page, &entry) in memory.pages().iter().enumerate() {
            match offset(entry) {
                None => return AccessShape::default(),
                Some(at) => shape.flat &= at == page * PAGE_SIZE,
            }
        }
        shape
    }

    /// Whether code relying on `self` is still right under `now`.
    fn holds_in(self, now: AccessShape) -> bool {
        (!self.plain || now.plain) && (!self.flat || now.flat)
    }
}

impl MemoryShape {
    /// The facts `memory`'s page table gives now.
    pub fn of(memory: &MappedMemory) -> Self {
        Self {
            reads: AccessShape::of(memory, |e| e.read_offset()),
            writes: AccessShape::of(memory, |e| e.write_offset()),
        }
    }

    /// The facts for reads (`write` false) or writes.
    pub fn access(self, write: bool) -> AccessShape {
        if write { self.writes } else { self.reads }
    }

    /// Whether code compiled under `self` is still right under `now`.
    pub fn holds_in(self, now: MemoryShape) -> bool {
        self.reads.holds_in(now.reads) && self.writes.holds_in(now.writes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use retrojit_core::bus::PageEntry;

    #[test]
    fn flat_ram_is_flat_both_ways() {
        let shape = MemoryShape::of(&MappedMemory::flat_ram());
        let flat = AccessShape {
            plain: true,
            flat: true,
        };
        assert_eq!(
            shape,
            MemoryShape {
                reads: flat,
                writes: flat
            }
        );
    }

    #[test]
    fn a_rom_page_keeps_reads_flat_but_writes_checked() {
        let mut memory = MappedMemory::flat_ram();
        memory.map(0x00, PageEntry::rom(0));
        let shape = MemoryShape::of(&memory);
        assert!(shape.reads.flat);
        assert_eq!(shape.writes, AccessShape::default());
        assert!(!MemoryShape::of(&MappedMemory::flat_ram()).holds_in(shape));
        assert!(shape.holds_in(MemoryShape::of(&MappedMemory::flat_ram())));
    }

    #[test]
    fn mirrors_are_plain_but_not_flat() {
        let mut memory = MappedMemory::flat_ram();
        memory.map(0x80, PageEntry::ram(0));
        let shape = MemoryShape::of(&memory);
        assert!(shape.reads.plain && !shape.reads.flat);
        assert!(shape.writes.plain && !shape.writes.flat);
    }

    #[test]
    fn an_io_page_makes_reads_and_writes_checked() {
        let mut memory = MappedMemory::flat_ram();
        memory.map(0x40, PageEntry::io());
        assert_eq!(MemoryShape::of(&memory), MemoryShape::default());
    }
}
