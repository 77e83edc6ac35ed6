//! The cycle-exact 6502 interpreter.
//!
//! Every bus access of the real chip is made, in order, dummy accesses
//! included; each is one cycle. Dispatch is one `match` on the opcode
//! generated from [`opcode_list!`], whose arms call the access-kind executors
//! below with constant mnemonic and mode: after forced inlining every arm is
//! straight-line code specialised for its opcode.
//!
//! Interrupts follow the NMOS timing: at the end of every cycle the IRQ level
//! (gated by I) and the NMI edge are sampled; after an instruction the sample
//! of its second-to-last cycle decides whether an interrupt sequence comes
//! next. That one rule gives the delayed effect of CLI/SEI/PLP (I changes in
//! the last cycle) and the immediate one of RTI (P is pulled earlier).

use super::alu;
use super::decode::{Access, Mnemonic, Mode, opcode_list};
use super::state::{FLAG_B, FLAG_C, FLAG_D, FLAG_I, FLAG_N, FLAG_U, FLAG_V, FLAG_Z, Registers};
use crate::bus::Bus6502;

/// Which chip is emulated.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub enum Variant {
    /// MOS 6502 (NMOS): decimal mode with the NMOS flag behaviour.
    Nmos,
    /// Ricoh 2A03/2A07 (NES): D can be set but ADC/SBC are always binary.
    Ricoh2A03,
}

/// A hardware interrupt, named by the vector the CPU took.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Interrupt {
    /// Vector $FFFA.
    Nmi,
    /// Vector $FFFE.
    Irq,
}

/// What one call of [`Cpu::step`] did.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Step {
    /// Executed one instruction (BRK included, even when an NMI took over its
    /// vector).
    Instruction,
    /// Ran an interrupt sequence (7 cycles) instead of an instruction.
    Interrupt(Interrupt),
    /// The CPU is halted by a JAM opcode; it stays so until reset.
    Jammed,
}

const STACK_PAGE: u16 = 0x0100;
const NMI_VECTOR: u16 = 0xFFFA;
const RESET_VECTOR: u16 = 0xFFFC;
const IRQ_VECTOR: u16 = 0xFFFE;

/// The "magic constant" of ANE and LXA on the NMOS 6502, as the
/// SingleStepTests data has it.
const ANE_LXA_MAGIC: u8 = 0xEE;
/// LXA's magic constant on the 2A03, where it behaves as `A = X = #imm`
/// (what blargg's instr_test, written against the console, expects).
const LXA_MAGIC_2A03: u8 = 0xFF;

/// A 6502 core: registers plus the interrupt-timing state.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Cpu {
    /// The architectural registers and cycle counter (the JIT's ABI).
    pub regs: Registers,
    variant: Variant,
    /// Opcode of the JAM that halted the CPU.
    jammed: Option<u8>,
    /// IRQ asserted and I clear, sampled at the end of the last cycle.
    irq_now: bool,
    /// The same, one cycle earlier.
    irq_prev: bool,
    /// NMI line level at the end of the last cycle (edge detector input).
    nmi_level: bool,
    /// An NMI edge has been seen and not yet serviced, as of the last cycle.
    nmi_now: bool,
    /// The same, one cycle earlier.
    nmi_prev: bool,
    /// The last instruction's poll found an interrupt: the next step runs
    /// the interrupt sequence.
    interrupt_pending: bool,
}

impl Cpu {
    /// A CPU whose registers are as the power-on reset leaves them (S=$FD,
    /// I set) except PC, which is 0: set it, or call [`Cpu::reset`] to run
    /// the reset sequence (S -= 3 again) and load PC from $FFFC.
    pub fn new(variant: Variant) -> Self {
        Self {
            regs: Registers::default(),
            variant,
            jammed: None,
            irq_now: false,
            irq_prev: false,
            nmi_level: false,
            nmi_now: false,
            nmi_prev: false,
            interrupt_pending: false,
        }
    }

    /// The emulated chip.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// The opcode of the JAM instruction that halted the CPU, if it is halted.
    pub fn jammed(&self) -> Option<u8> {
        self.jammed
    }

    /// No interrupt is pending, sampled or in the edge detector, and the
    /// NMI line was last seen at `nmi_line`: the next instructions can run
    /// without interrupt polling as long as the bus's lines stay as they
    /// are (IRQ released, NMI unchanged). The JIT enters generated code
    /// only then.
    pub fn interrupts_quiet(&self, nmi_line: bool) -> bool {
        !(self.interrupt_pending || self.irq_now || self.irq_prev || self.nmi_now || self.nmi_prev)
            && self.nmi_level == nmi_line
    }

    /// Moves execution to `pc`. This is an outside intervention (loaders,
    /// debuggers), so it also clears the jammed state.
    pub fn set_pc(&mut self, pc: u16) {
        self.regs.pc = pc;
        self.jammed = None;
    }

    /// The 7-cycle reset sequence: two reads at PC, three stack reads that
    /// decrement S (a BRK whose writes are suppressed), I set, PC from $FFFC.
    pub fn reset<B: Bus6502>(&mut self, bus: &mut B) {
        self.jammed = None;
        self.interrupt_pending = false;
        self.nmi_now = false;
        let pc = self.regs.pc;
        self.read(bus, pc);
        self.read(bus, pc);
        for _ in 0..3 {
            self.read(bus, STACK_PAGE | u16::from(self.regs.s));
            self.regs.s = self.regs.s.wrapping_sub(1);
        }
        self.regs.p |= FLAG_I | FLAG_U;
        self.regs.pc = self.read_vector(bus, RESET_VECTOR);
        self.irq_prev = false;
        self.nmi_prev = false;
    }

    /// Executes one instruction, or the interrupt sequence the previous
    /// instruction's poll asked for.
    #[inline]
    pub fn step<B: Bus6502>(&mut self, bus: &mut B) -> Step {
        if self.interrupt_pending {
            return self.interrupt_sequence(bus);
        }
        let opcode = self.fetch(bus);
        let step = self.execute(bus, opcode);
        self.interrupt_pending = self.nmi_prev | self.irq_prev;
        step
    }

    // ---- cycles -------------------------------------------------------

    /// One read cycle.
    #[inline(always)]
    fn read<B: Bus6502>(&mut self, bus: &mut B, addr: u16) -> u8 {
        let value = bus.read(addr);
        self.end_cycle(bus);
        value
    }

    /// One write cycle.
    #[inline(always)]
    fn write<B: Bus6502>(&mut self, bus: &mut B, addr: u16, value: u8) {
        bus.write(addr, value);
        self.end_cycle(bus);
    }

    /// Counts the cycle and samples the interrupt lines as they are after it.
    /// With a bus whose lines are constant false this folds to the count.
    #[inline(always)]
    fn end_cycle<B: Bus6502>(&mut self, bus: &B) {
        self.regs.cycles += 1;
        self.irq_prev = self.irq_now;
        self.irq_now = bus.irq_line() && self.regs.p & FLAG_I == 0;
        self.nmi_prev = self.nmi_now;
        let nmi = bus.nmi_line();
        self.nmi_now |= nmi && !self.nmi_level;
        self.nmi_level = nmi;
    }

    /// Makes the poll at the end of the current instruction find nothing
    /// (interrupt sequences and JAM do not poll).
    #[inline(always)]
    fn skip_poll(&mut self) {
        self.irq_prev = false;
        self.nmi_prev = false;
    }

    // ---- operand fetch and addressing ---------------------------------

    /// Reads the byte at PC and advances PC.
    #[inline(always)]
    fn fetch<B: Bus6502>(&mut self, bus: &mut B) -> u8 {
        let pc = self.regs.pc;
        let value = self.read(bus, pc);
        self.regs.pc = pc.wrapping_add(1);
        value
    }

    #[inline(always)]
    fn fetch_word<B: Bus6502>(&mut self, bus: &mut B) -> u16 {
        let low = self.fetch(bus);
        let high = self.fetch(bus);
        u16::from_le_bytes([low, high])
    }

    /// The read at PC that one-byte instructions make without advancing PC.
    #[inline(always)]
    fn dummy_read_pc<B: Bus6502>(&mut self, bus: &mut B) {
        let pc = self.regs.pc;
        self.read(bus, pc);
    }

    #[inline(always)]
    fn read_vector<B: Bus6502>(&mut self, bus: &mut B, vector: u16) -> u16 {
        let low = self.read(bus, vector);
        let high = self.read(bus, vector.wrapping_add(1));
        u16::from_le_bytes([low, high])
    }

    /// `$nn,X` / `$nn,Y`: the unindexed address is read while the index is added.
    #[inline(always)]
    fn zero_page_indexed<B: Bus6502>(&mut self, bus: &mut B, index: u8) -> u16 {
        let base = self.fetch(bus);
        self.read(bus, u16::from(base));
        u16::from(base.wrapping_add(index))
    }

    /// `($nn,X)`: pointer read (dummy), then both pointer bytes in page zero.
    #[inline(always)]
    fn indexed_indirect<B: Bus6502>(&mut self, bus: &mut B) -> u16 {
        let pointer = self.fetch(bus);
        self.read(bus, u16::from(pointer));
        let pointer = pointer.wrapping_add(self.regs.x);
        let low = self.read(bus, u16::from(pointer));
        let high = self.read(bus, u16::from(pointer.wrapping_add(1)));
        u16::from_le_bytes([low, high])
    }

    /// `($nn),Y` before indexing: the base address from page zero.
    #[inline(always)]
    fn indirect_base<B: Bus6502>(&mut self, bus: &mut B) -> u16 {
        let pointer = self.fetch(bus);
        let low = self.read(bus, u16::from(pointer));
        let high = self.read(bus, u16::from(pointer.wrapping_add(1)));
        u16::from_le_bytes([low, high])
    }

    /// Indexing for a read: the chip first reads with the carry not yet in
    /// the high byte; only when that was the wrong page does it read again.
    #[inline(always)]
    fn index_for_read<B: Bus6502>(&mut self, bus: &mut B, base: u16, index: u8) -> u16 {
        let addr = base.wrapping_add(u16::from(index));
        if (addr ^ base) & 0xFF00 != 0 {
            self.read(bus, (base & 0xFF00) | (addr & 0x00FF));
        }
        addr
    }

    /// Indexing for a write or read-modify-write: the read of the unfixed
    /// address always happens, since writes cannot be undone.
    #[inline(always)]
    fn index_for_write<B: Bus6502>(&mut self, bus: &mut B, base: u16, index: u8) -> u16 {
        let addr = base.wrapping_add(u16::from(index));
        self.read(bus, (base & 0xFF00) | (addr & 0x00FF));
        addr
    }

    /// Effective address of a memory operand that is only read.
    #[inline(always)]
    fn read_address<B: Bus6502>(&mut self, bus: &mut B, mode: Mode) -> u16 {
        match mode {
            Mode::ZeroPage => u16::from(self.fetch(bus)),
            Mode::ZeroPageX => self.zero_page_indexed(bus, self.regs.x),
            Mode::ZeroPageY => self.zero_page_indexed(bus, self.regs.y),
            Mode::Absolute => self.fetch_word(bus),
            Mode::AbsoluteX => {
                let base = self.fetch_word(bus);
                self.index_for_read(bus, base, self.regs.x)
            }
            Mode::AbsoluteY => {
                let base = self.fetch_word(bus);
                self.index_for_read(bus, base, self.regs.y)
            }
            Mode::IndirectX => self.indexed_indirect(bus),
            Mode::IndirectY => {
                let base = self.indirect_base(bus);
                self.index_for_read(bus, base, self.regs.y)
            }
            _ => unreachable!("{mode:?} has no memory operand"),
        }
    }

    /// Effective address of a memory operand that is written.
    #[inline(always)]
    fn write_address<B: Bus6502>(&mut self, bus: &mut B, mode: Mode) -> u16 {
        match mode {
            Mode::AbsoluteX => {
                let base = self.fetch_word(bus);
                self.index_for_write(bus, base, self.regs.x)
            }
            Mode::AbsoluteY => {
                let base = self.fetch_word(bus);
                self.index_for_write(bus, base, self.regs.y)
            }
            Mode::IndirectY => {
                let base = self.indirect_base(bus);
                self.index_for_write(bus, base, self.regs.y)
            }
            _ => self.read_address(bus, mode),
        }
    }

    // ---- stack --------------------------------------------------------

    #[inline(always)]
    fn push<B: Bus6502>(&mut self, bus: &mut B, value: u8) {
        let s = self.regs.s;
        self.write(bus, STACK_PAGE | u16::from(s), value);
        self.regs.s = s.wrapping_sub(1);
    }

    #[inline(always)]
    fn pull<B: Bus6502>(&mut self, bus: &mut B) -> u8 {
        self.regs.s = self.regs.s.wrapping_add(1);
        self.read(bus, STACK_PAGE | u16::from(self.regs.s))
    }

    /// The stack read an instruction makes while it increments S.
    #[inline(always)]
    fn dummy_read_stack<B: Bus6502>(&mut self, bus: &mut B) {
        self.read(bus, STACK_PAGE | u16::from(self.regs.s));
    }

    // ---- dispatch -----------------------------------------------------

    /// Runs the instruction whose opcode has just been fetched.
    #[inline(always)]
    fn run<B: Bus6502>(
        &mut self,
        bus: &mut B,
        opcode: u8,
        mnemonic: Mnemonic,
        mode: Mode,
        access: Access,
    ) -> Step {
        match access {
            Access::Read => self.read_instruction(bus, mnemonic, mode),
            Access::Write => self.write_instruction(bus, mnemonic, mode),
            Access::ReadModifyWrite => self.rmw_instruction(bus, mnemonic, mode),
            Access::Branch => self.branch(bus, mnemonic),
            Access::Stack => self.stack_instruction(bus, mnemonic),
            Access::Jump => self.jump_instruction(bus, mnemonic, mode),
            Access::Implied => self.implied_instruction(bus, mnemonic),
            Access::Halt => return self.jam(bus, opcode),
        }
        Step::Instruction
    }

    // ---- executors, one per access kind -------------------------------

    #[inline(always)]
    fn read_instruction<B: Bus6502>(&mut self, bus: &mut B, mnemonic: Mnemonic, mode: Mode) {
        let value = if mode == Mode::Immediate {
            self.fetch(bus)
        } else {
            let addr = self.read_address(bus, mode);
            self.read(bus, addr)
        };
        let decimal = self.decimal_enabled();
        let lxa_magic = match self.variant {
            Variant::Nmos => ANE_LXA_MAGIC,
            Variant::Ricoh2A03 => LXA_MAGIC_2A03,
        };
        let r = &mut self.regs;
        match mnemonic {
            Mnemonic::Lda => r.a = value,
            Mnemonic::Ldx => r.x = value,
            Mnemonic::Ldy => r.y = value,
            Mnemonic::Lax => {
                r.a = value;
                r.x = value;
            }
            Mnemonic::Las => {
                r.s &= value;
                r.a = r.s;
                r.x = r.s;
            }
            Mnemonic::And => r.a &= value,
            Mnemonic::Ora => r.a |= value,
            Mnemonic::Eor => r.a ^= value,
            Mnemonic::Ane => r.a = (r.a | ANE_LXA_MAGIC) & r.x & value,
            Mnemonic::Lxa => {
                r.a = (r.a | lxa_magic) & value;
                r.x = r.a;
            }
            Mnemonic::Anc => {
                r.a &= value;
                // C is a copy of N.
                r.p = (r.p & !FLAG_C) | (r.a >> 7);
            }
            Mnemonic::Adc => self.adc(value),
            Mnemonic::Sbc | Mnemonic::Usbc => self.sbc(value),
            Mnemonic::Cmp => r.p = alu::compare(r.a, value, r.p),
            Mnemonic::Cpx => r.p = alu::compare(r.x, value, r.p),
            Mnemonic::Cpy => r.p = alu::compare(r.y, value, r.p),
            Mnemonic::Bit => r.p = alu::bit(r.a, value, r.p),
            Mnemonic::Alr => (r.a, r.p) = alu::lsr(r.a & value, r.p),
            Mnemonic::Arr if decimal => (r.a, r.p) = alu::arr_decimal(r.a, value, r.p),
            Mnemonic::Arr => (r.a, r.p) = alu::arr_binary(r.a, value, r.p),
            Mnemonic::Sbx => {
                let and = r.a & r.x;
                r.p = alu::compare(and, value, r.p);
                r.x = and.wrapping_sub(value);
            }
            Mnemonic::Nop => {}
            _ => unreachable!("{mnemonic:?} is not a read instruction"),
        }
        // Loads and logic set N and Z from the register they wrote; the
        // other operations computed their own flags above.
        let r = &mut self.regs;
        let loaded = match mnemonic {
            Mnemonic::Ldx => r.x,
            Mnemonic::Ldy => r.y,
            Mnemonic::Lda
            | Mnemonic::Lax
            | Mnemonic::Las
            | Mnemonic::And
            | Mnemonic::Ora
            | Mnemonic::Eor
            | Mnemonic::Ane
            | Mnemonic::Lxa
            | Mnemonic::Anc => r.a,
            _ => return,
        };
        r.p = alu::with_nz(r.p, loaded);
    }

    #[inline(always)]
    fn write_instruction<B: Bus6502>(&mut self, bus: &mut B, mnemonic: Mnemonic, mode: Mode) {
        let addr = self.write_address(bus, mode);
        if self.variant == Variant::Ricoh2A03 && matches!(mnemonic, Mnemonic::Shx | Mnemonic::Shy) {
            return self.sh_2a03(bus, mnemonic, addr);
        }
        // SHA/SHX/SHY/TAS AND the stored value with the high byte of the
        // effective address plus one (the SingleStepTests model).
        let high_plus_one = ((addr >> 8) as u8).wrapping_add(1);
        let r = &mut self.regs;
        let value = match mnemonic {
            Mnemonic::Sta => r.a,
            Mnemonic::Stx => r.x,
            Mnemonic::Sty => r.y,
            Mnemonic::Sax => r.a & r.x,
            Mnemonic::Sha => r.a & r.x & high_plus_one,
            Mnemonic::Shx => r.x & high_plus_one,
            Mnemonic::Shy => r.y & high_plus_one,
            Mnemonic::Tas => {
                r.s = r.a & r.x;
                r.s & high_plus_one
            }
            _ => unreachable!("{mnemonic:?} is not a write instruction"),
        };
        self.write(bus, addr, value);
    }

    /// SHX/SHY as the 2A03 does them (blargg's instr_test, nesdev): the
    /// value is the register AND the *base* address's high byte plus one,
    /// and when indexing crosses a page that value also replaces the high
    /// byte of the address written.
    fn sh_2a03<B: Bus6502>(&mut self, bus: &mut B, mnemonic: Mnemonic, addr: u16) {
        let r = &self.regs;
        let (value, index) = if mnemonic == Mnemonic::Shx {
            (r.x, r.y)
        } else {
            (r.y, r.x)
        };
        let base = addr.wrapping_sub(u16::from(index));
        let value = value & ((base >> 8) as u8).wrapping_add(1);
        let target = if base & 0xFF00 == addr & 0xFF00 {
            addr
        } else {
            (u16::from(value) << 8) | (addr & 0x00FF)
        };
        self.write(bus, target, value);
    }

    #[inline(always)]
    fn rmw_instruction<B: Bus6502>(&mut self, bus: &mut B, mnemonic: Mnemonic, mode: Mode) {
        let addr = self.write_address(bus, mode);
        let old = self.read(bus, addr);
        // The chip writes the unmodified value back while it computes.
        self.write(bus, addr, old);
        let new = self.modify(mnemonic, old);
        self.write(bus, addr, new);
    }

    /// The modify step of a read-modify-write, including the undocumented
    /// combinations that feed the result into an accumulator operation.
    #[inline(always)]
    fn modify(&mut self, mnemonic: Mnemonic, value: u8) -> u8 {
        let r = &mut self.regs;
        let result;
        match mnemonic {
            Mnemonic::Asl => (result, r.p) = alu::asl(value, r.p),
            Mnemonic::Lsr => (result, r.p) = alu::lsr(value, r.p),
            Mnemonic::Rol => (result, r.p) = alu::rol(value, r.p),
            Mnemonic::Ror => (result, r.p) = alu::ror(value, r.p),
            Mnemonic::Inc => {
                result = value.wrapping_add(1);
                r.p = alu::with_nz(r.p, result);
            }
            Mnemonic::Dec => {
                result = value.wrapping_sub(1);
                r.p = alu::with_nz(r.p, result);
            }
            Mnemonic::Slo => {
                (result, r.p) = alu::asl(value, r.p);
                r.a |= result;
                r.p = alu::with_nz(r.p, r.a);
            }
            Mnemonic::Rla => {
                (result, r.p) = alu::rol(value, r.p);
                r.a &= result;
                r.p = alu::with_nz(r.p, r.a);
            }
            Mnemonic::Sre => {
                (result, r.p) = alu::lsr(value, r.p);
                r.a ^= result;
                r.p = alu::with_nz(r.p, r.a);
            }
            Mnemonic::Rra => {
                (result, r.p) = alu::ror(value, r.p);
                self.adc(result);
            }
            Mnemonic::Dcp => {
                result = value.wrapping_sub(1);
                r.p = alu::compare(r.a, result, r.p);
            }
            Mnemonic::Isc => {
                result = value.wrapping_add(1);
                self.sbc(result);
            }
            _ => unreachable!("{mnemonic:?} is not a read-modify-write instruction"),
        }
        result
    }

    #[inline(always)]
    fn implied_instruction<B: Bus6502>(&mut self, bus: &mut B, mnemonic: Mnemonic) {
        self.dummy_read_pc(bus);
        let r = &mut self.regs;
        match mnemonic {
            Mnemonic::Asl => (r.a, r.p) = alu::asl(r.a, r.p),
            Mnemonic::Lsr => (r.a, r.p) = alu::lsr(r.a, r.p),
            Mnemonic::Rol => (r.a, r.p) = alu::rol(r.a, r.p),
            Mnemonic::Ror => (r.a, r.p) = alu::ror(r.a, r.p),
            Mnemonic::Clc => r.p &= !FLAG_C,
            Mnemonic::Sec => r.p |= FLAG_C,
            Mnemonic::Cli => r.p &= !FLAG_I,
            Mnemonic::Sei => r.p |= FLAG_I,
            Mnemonic::Cld => r.p &= !FLAG_D,
            Mnemonic::Sed => r.p |= FLAG_D,
            Mnemonic::Clv => r.p &= !FLAG_V,
            Mnemonic::Tax => {
                r.x = r.a;
                r.p = alu::with_nz(r.p, r.x);
            }
            Mnemonic::Tay => {
                r.y = r.a;
                r.p = alu::with_nz(r.p, r.y);
            }
            Mnemonic::Txa => {
                r.a = r.x;
                r.p = alu::with_nz(r.p, r.a);
            }
            Mnemonic::Tya => {
                r.a = r.y;
                r.p = alu::with_nz(r.p, r.a);
            }
            Mnemonic::Tsx => {
                r.x = r.s;
                r.p = alu::with_nz(r.p, r.x);
            }
            Mnemonic::Txs => r.s = r.x,
            Mnemonic::Inx => {
                r.x = r.x.wrapping_add(1);
                r.p = alu::with_nz(r.p, r.x);
            }
            Mnemonic::Iny => {
                r.y = r.y.wrapping_add(1);
                r.p = alu::with_nz(r.p, r.y);
            }
            Mnemonic::Dex => {
                r.x = r.x.wrapping_sub(1);
                r.p = alu::with_nz(r.p, r.x);
            }
            Mnemonic::Dey => {
                r.y = r.y.wrapping_sub(1);
                r.p = alu::with_nz(r.p, r.y);
            }
            Mnemonic::Nop => {}
            _ => unreachable!("{mnemonic:?} is not an implied instruction"),
        }
    }

    #[inline(always)]
    fn stack_instruction<B: Bus6502>(&mut self, bus: &mut B, mnemonic: Mnemonic) {
        self.dummy_read_pc(bus);
        match mnemonic {
            Mnemonic::Pha => self.push(bus, self.regs.a),
            Mnemonic::Php => self.push(bus, self.regs.p | FLAG_B | FLAG_U),
            Mnemonic::Pla => {
                self.dummy_read_stack(bus);
                self.regs.a = self.pull(bus);
                self.regs.p = alu::with_nz(self.regs.p, self.regs.a);
            }
            Mnemonic::Plp => {
                self.dummy_read_stack(bus);
                self.regs.p = Self::status_from_stack(self.pull(bus));
            }
            _ => unreachable!("{mnemonic:?} is not a stack instruction"),
        }
    }

    #[inline(always)]
    fn jump_instruction<B: Bus6502>(&mut self, bus: &mut B, mnemonic: Mnemonic, mode: Mode) {
        match (mnemonic, mode) {
            (Mnemonic::Jmp, Mode::Absolute) => self.regs.pc = self.fetch_word(bus),
            (Mnemonic::Jmp, Mode::Indirect) => {
                let pointer = self.fetch_word(bus);
                let low = self.read(bus, pointer);
                // The pointer's high byte comes from the same page (no carry).
                let high_addr = (pointer & 0xFF00) | (pointer.wrapping_add(1) & 0x00FF);
                let high = self.read(bus, high_addr);
                self.regs.pc = u16::from_le_bytes([low, high]);
            }
            (Mnemonic::Jsr, _) => {
                let low = self.fetch(bus);
                self.dummy_read_stack(bus);
                let [pc_low, pc_high] = self.regs.pc.to_le_bytes();
                self.push(bus, pc_high);
                self.push(bus, pc_low);
                // The high byte is fetched last, after the return address
                // (which points at it) has been pushed.
                let pc = self.regs.pc;
                let high = self.read(bus, pc);
                self.regs.pc = u16::from_le_bytes([low, high]);
            }
            (Mnemonic::Rts, _) => {
                self.dummy_read_pc(bus);
                self.dummy_read_stack(bus);
                let low = self.pull(bus);
                let high = self.pull(bus);
                self.regs.pc = u16::from_le_bytes([low, high]);
                self.fetch(bus);
            }
            (Mnemonic::Rti, _) => {
                self.dummy_read_pc(bus);
                self.dummy_read_stack(bus);
                self.regs.p = Self::status_from_stack(self.pull(bus));
                let low = self.pull(bus);
                let high = self.pull(bus);
                self.regs.pc = u16::from_le_bytes([low, high]);
            }
            (Mnemonic::Brk, _) => {
                // The byte after BRK is skipped: the pushed PC is BRK + 2.
                self.fetch(bus);
                self.push_and_vector(bus, self.regs.p | FLAG_B | FLAG_U);
            }
            _ => unreachable!("{mnemonic:?} {mode:?} is not a jump instruction"),
        }
    }

    /// Conditional branch. Interrupts are polled at the end of the opcode
    /// cycle and, for a taken branch that crosses a page, again before the
    /// fix-up cycle; a taken branch that stays in its page polls only the
    /// first time, so an interrupt arriving during it waits one instruction.
    #[inline(always)]
    fn branch<B: Bus6502>(&mut self, bus: &mut B, mnemonic: Mnemonic) {
        let p = self.regs.p;
        let taken = match mnemonic {
            Mnemonic::Bpl => p & FLAG_N == 0,
            Mnemonic::Bmi => p & FLAG_N != 0,
            Mnemonic::Bvc => p & FLAG_V == 0,
            Mnemonic::Bvs => p & FLAG_V != 0,
            Mnemonic::Bcc => p & FLAG_C == 0,
            Mnemonic::Bcs => p & FLAG_C != 0,
            Mnemonic::Bne => p & FLAG_Z == 0,
            Mnemonic::Beq => p & FLAG_Z != 0,
            _ => unreachable!("{mnemonic:?} is not a branch"),
        };
        let (irq_at_opcode, nmi_at_opcode) = (self.irq_now, self.nmi_now);
        let offset = self.fetch(bus) as i8;
        if !taken {
            return;
        }
        let pc = self.regs.pc;
        self.read(bus, pc);
        let target = pc.wrapping_add_signed(i16::from(offset));
        if (target ^ pc) & 0xFF00 == 0 {
            self.irq_prev = irq_at_opcode;
            self.nmi_prev = nmi_at_opcode;
        } else {
            self.read(bus, (pc & 0xFF00) | (target & 0x00FF));
            self.irq_prev |= irq_at_opcode;
        }
        self.regs.pc = target;
    }

    /// JAM: the reads SingleStepTests records, then PC stays on the opcode so
    /// every later step repeats them.
    #[inline(always)]
    fn jam<B: Bus6502>(&mut self, bus: &mut B, opcode: u8) -> Step {
        self.dummy_read_pc(bus);
        self.dummy_read_pc(bus);
        self.regs.pc = self.regs.pc.wrapping_sub(1);
        self.jammed = Some(opcode);
        self.skip_poll();
        Step::Jammed
    }

    // ---- interrupts ---------------------------------------------------

    /// IRQ/NMI: BRK's sequence with the opcode fetch and the PC increment
    /// suppressed, and B clear in the pushed status.
    #[inline(never)]
    fn interrupt_sequence<B: Bus6502>(&mut self, bus: &mut B) -> Step {
        self.interrupt_pending = false;
        self.dummy_read_pc(bus);
        self.dummy_read_pc(bus);
        let interrupt = self.push_and_vector(bus, (self.regs.p & !FLAG_B) | FLAG_U);
        Step::Interrupt(interrupt)
    }

    /// Cycles 3-7 shared by BRK, IRQ and NMI: push PC and P, set I, load PC
    /// from the vector. An NMI edge seen by the end of the fourth cycle takes
    /// the NMI vector whatever started the sequence (interrupt hijacking).
    /// These sequences do not poll: the handler's first instruction always
    /// runs before another interrupt.
    #[inline(always)]
    fn push_and_vector<B: Bus6502>(&mut self, bus: &mut B, pushed_status: u8) -> Interrupt {
        let [pc_low, pc_high] = self.regs.pc.to_le_bytes();
        self.push(bus, pc_high);
        self.push(bus, pc_low);
        let nmi = self.nmi_now;
        self.nmi_now = false;
        self.push(bus, pushed_status);
        self.regs.p |= FLAG_I;
        let vector = if nmi { NMI_VECTOR } else { IRQ_VECTOR };
        self.regs.pc = self.read_vector(bus, vector);
        self.skip_poll();
        if nmi { Interrupt::Nmi } else { Interrupt::Irq }
    }

    // ---- arithmetic ---------------------------------------------------

    /// P as pulled by PLP/RTI: B does not exist in the register, bit 5 is 1.
    #[inline(always)]
    const fn status_from_stack(value: u8) -> u8 {
        (value & !FLAG_B) | FLAG_U
    }

    #[inline(always)]
    fn decimal_enabled(&self) -> bool {
        self.variant == Variant::Nmos && self.regs.p & FLAG_D != 0
    }

    #[inline(always)]
    fn adc(&mut self, value: u8) {
        let decimal = self.decimal_enabled();
        let r = &mut self.regs;
        (r.a, r.p) = if decimal {
            alu::adc_decimal(r.a, value, r.p)
        } else {
            alu::adc_binary(r.a, value, r.p)
        };
    }

    #[inline(always)]
    fn sbc(&mut self, value: u8) {
        let decimal = self.decimal_enabled();
        let r = &mut self.regs;
        (r.a, r.p) = if decimal {
            alu::sbc_decimal(r.a, value, r.p)
        } else {
            alu::sbc_binary(r.a, value, r.p)
        };
    }
}

/// Generates [`Cpu::execute`] from the opcode list: one arm per opcode.
macro_rules! dispatch {
    ($($code:literal => ($mnemonic:ident, $mode:ident, $access:ident, $cycles:literal, $class:ident),)*) => {
        impl Cpu {
            /// Runs the instruction whose opcode has just been fetched.
            #[inline(always)]
            fn execute<B: Bus6502>(&mut self, bus: &mut B, opcode: u8) -> Step {
                match opcode {
                    $($code => self.run(bus, $code, Mnemonic::$mnemonic, Mode::$mode, Access::$access),)*
                }
            }
        }
    };
}
opcode_list!(dispatch);
