//! The translator's intermediate representation of one guest block.
//!
//! A block is a straight-line list of [`Op`]s followed by one [`Exit`]. Ops
//! read and write *locations*: guest registers (kept in host registers by
//! the backend for the whole block and across linked blocks), a handful of
//! temporaries, and immediates. Flags are separate locations so the
//! dead-code pass can delete a flag computation that a later instruction
//! overwrites before anything reads it.
//!
//! Value conventions: every location holds a `u32`; 8-bit guest values are
//! kept zero-extended. `N` holds a byte whose bit 7 is the N flag, `Z` a
//! byte that is zero exactly when the Z flag is set (so loads set both by
//! copying the loaded value), and `C`, `V`, `I`, `D` hold 0 or 1.
//!
//! Z80 blocks use the [`Reg::Z80`] locations instead: the registers as the
//! interpreter keeps them (8-bit ones zero-extended, pairs that only occur
//! as pairs as 16-bit values), F as one byte, and the hidden state (MEMPTR,
//! Q, R) the interpreter tracks. Their flag arithmetic is computed by
//! [`Helper`]s that call the interpreter's own ALU functions.

use retrojit_core::cpu::z80::decode::{AluOp, ShiftOp};
use std::fmt;

/// Guest state the IR names directly.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Reg {
    /// Accumulator.
    A,
    /// Index X.
    X,
    /// Index Y.
    Y,
    /// Stack pointer.
    S,
    /// Negative: bit 7 of the value.
    N,
    /// Zero: set when the value's low byte is zero.
    Z,
    /// Carry (0/1).
    C,
    /// Overflow (0/1).
    V,
    /// IRQ disable (0/1).
    I,
    /// Decimal mode (0/1).
    D,
    /// A Z80 location.
    Z80(Z80Reg),
}

/// The Z80's locations. Each backend keeps the most used in host registers
/// while generated code runs, the rest in the context.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Z80Reg {
    /// Accumulator.
    A,
    /// Flags, as the F byte.
    F,
    /// B.
    B,
    /// C.
    C,
    /// DE (16 bits): held whole, as the pointer it mostly is.
    De,
    /// HL (16 bits): held whole, as the pointer it mostly is.
    Hl,
    /// IX (16 bits).
    Ix,
    /// IY (16 bits).
    Iy,
    /// Stack pointer (16 bits).
    Sp,
    /// MEMPTR (16 bits).
    Wz,
    /// Q: F if the last instruction wrote the flags, else 0.
    Q,
    /// Opcode fetches since entry, added to R's low 7 bits on exit: kept
    /// unmasked so each instruction's increment is one add.
    R,
    /// Shadow AF' (16 bits).
    AfAlt,
    /// Shadow BC'.
    BcAlt,
    /// Shadow DE'.
    DeAlt,
    /// Shadow HL'.
    HlAlt,
    /// A branch condition (0/1) the lifter computes for the block's exit.
    Cond,
}

impl Z80Reg {
    /// Number of Z80 locations.
    pub const COUNT: usize = Z80Reg::Cond as usize + 1;
}

impl Reg {
    /// Number of locations, 6502 and Z80.
    pub const COUNT: usize = 10 + Z80Reg::COUNT;

    /// Locations that are written far more often than read: the 6502's
    /// flags and the Z80's F, Q, MEMPTR and branch condition. The
    /// dead-code pass deletes their writes when overwritten unread.
    pub const FLAGS: [Reg; 10] = [
        Reg::N,
        Reg::Z,
        Reg::C,
        Reg::V,
        Reg::I,
        Reg::D,
        Reg::Z80(Z80Reg::F),
        Reg::Z80(Z80Reg::Q),
        Reg::Z80(Z80Reg::Wz),
        Reg::Z80(Z80Reg::Cond),
    ];

    /// Dense index, for liveness sets and the context's register array.
    pub const fn index(self) -> usize {
        match self {
            Reg::A => 0,
            Reg::X => 1,
            Reg::Y => 2,
            Reg::S => 3,
            Reg::N => 4,
            Reg::Z => 5,
            Reg::C => 6,
            Reg::V => 7,
            Reg::I => 8,
            Reg::D => 9,
            Reg::Z80(z) => 10 + z as usize,
        }
    }
}

/// A temporary, local to one guest instruction (the exit's operands belong
/// to the last instruction). Each is written once; the backend gives it a
/// scratch host register from its definition to its last use.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Tmp(pub u8);

/// Most temporaries one guest instruction may define.
pub const MAX_TMPS: u8 = 64;

/// Where an op reads a value from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Operand {
    /// A guest register.
    Reg(Reg),
    /// A temporary.
    Tmp(Tmp),
    /// A constant.
    Imm(u32),
}

/// Where an op writes its result.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Dst {
    /// A guest register.
    Reg(Reg),
    /// A temporary.
    Tmp(Tmp),
}

impl From<Dst> for Operand {
    fn from(dst: Dst) -> Self {
        match dst {
            Dst::Reg(r) => Operand::Reg(r),
            Dst::Tmp(t) => Operand::Tmp(t),
        }
    }
}

/// Two-operand arithmetic on `u32` values (no implicit masking).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BinOp {
    /// `a + b`
    Add,
    /// `a - b` (wrapping)
    Sub,
    /// `a & b`
    And,
    /// `a | b`
    Or,
    /// `a ^ b`
    Xor,
    /// `a << b` (b < 32)
    Shl,
    /// `a >> b` (b < 32)
    Shr,
}

impl BinOp {
    /// Evaluates the operation.
    pub const fn apply(self, a: u32, b: u32) -> u32 {
        match self {
            BinOp::Add => a.wrapping_add(b),
            BinOp::Sub => a.wrapping_sub(b),
            BinOp::And => a & b,
            BinOp::Or => a | b,
            BinOp::Xor => a ^ b,
            BinOp::Shl => a << (b & 31),
            BinOp::Shr => a >> (b & 31),
        }
    }

    /// Whether `x op 0 == x`.
    pub const fn keeps_zero_operand(self) -> bool {
        !matches!(self, BinOp::And)
    }

    /// Whether `a op b == b op a`.
    pub const fn commutes(self) -> bool {
        matches!(self, BinOp::Add | BinOp::And | BinOp::Or | BinOp::Xor)
    }
}

/// A guest memory address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Addr {
    /// A byte of a page known at translation time (zero page, stack, an
    /// absolute operand): the lifter has checked that page is plain memory
    /// for this access.
    Page {
        /// The page.
        page: u8,
        /// Offset in the page (0..=255).
        offset: Operand,
    },
    /// A 16-bit address computed at run time; the page is looked up when the
    /// code runs and an I/O page leaves the block (see [`Op::Load`]).
    Dynamic(Operand),
}

/// Most wait states a bus may insert into one port cycle: a block
/// budgets this many per port access (the ZX Spectrum's worst, four
/// contended T-states of at most six waits each).
pub const MAX_PORT_WAIT_STATES: u16 = 24;

/// Pure functions generated code calls instead of inlining them. The Z80
/// ones wrap the interpreter's ALU (`retrojit_core::cpu::z80::alu`) and
/// return `result | f' << 16`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Helper {
    /// NMOS decimal ADC: `(a, m, p) -> result | p' << 8`.
    AdcDecimal,
    /// NMOS decimal SBC: `(a, m, p) -> result | p' << 8`.
    SbcDecimal,
    /// NMOS decimal ARR: `(a, imm, p) -> result | p' << 8`.
    ArrDecimal,
    /// Z80 accumulator operation: `(a, v, f)`.
    Z80Alu(AluOp),
    /// Z80 INC r: `(v, f, _)`.
    Z80Inc,
    /// Z80 DEC r: `(v, f, _)`.
    Z80Dec,
    /// Z80 CB-page rotate or shift: `(v, f, _)`.
    Z80Shift(ShiftOp),
    /// Z80 RLCA/RRCA/RLA/RRA: `(a, f, _)`.
    Z80RotateA(ShiftOp),
    /// Z80 BIT: `(v, bit | xy << 8, f)`, returns the flags alone `<< 16`.
    Z80Bit,
    /// Z80 DAA: `(a, f, _)`.
    Z80Daa,
    /// Z80 ADD rr,rr: `(a, v, f)`.
    Z80Add16,
    /// Z80 ADC HL,rr: `(hl, v, f)`.
    Z80Adc16,
    /// Z80 SBC HL,rr: `(hl, v, f)`.
    Z80Sbc16,
    /// Z80 INI/OUTI family flags: `(b | v << 8, k, again)`, `again` 0 or,
    /// when a repeating one goes round again, `0x100 | pc >> 8`; returns
    /// the flags alone (core's `alu::block_io_flags`).
    Z80BlockIo,
}

impl Helper {
    /// Number of helpers (the size of the context's helper table).
    pub const COUNT: usize = 31;

    /// Position in the context's helper table.
    pub const fn index(self) -> usize {
        match self {
            Helper::AdcDecimal => 0,
            Helper::SbcDecimal => 1,
            Helper::ArrDecimal => 2,
            Helper::Z80Alu(op) => 3 + op as usize,
            Helper::Z80Inc => 11,
            Helper::Z80Dec => 12,
            Helper::Z80Shift(op) => 13 + op as usize,
            Helper::Z80RotateA(op) => 21 + op as usize,
            Helper::Z80Bit => 25,
            Helper::Z80Daa => 26,
            Helper::Z80Add16 => 27,
            Helper::Z80Adc16 => 28,
            Helper::Z80Sbc16 => 29,
            Helper::Z80BlockIo => 30,
        }
    }

    /// Every helper, in table order.
    pub const ALL: [Helper; Helper::COUNT] = [
        Helper::AdcDecimal,
        Helper::SbcDecimal,
        Helper::ArrDecimal,
        Helper::Z80Alu(AluOp::Add),
        Helper::Z80Alu(AluOp::Adc),
        Helper::Z80Alu(AluOp::Sub),
        Helper::Z80Alu(AluOp::Sbc),
        Helper::Z80Alu(AluOp::And),
        Helper::Z80Alu(AluOp::Xor),
        Helper::Z80Alu(AluOp::Or),
        Helper::Z80Alu(AluOp::Cp),
        Helper::Z80Inc,
        Helper::Z80Dec,
        Helper::Z80Shift(ShiftOp::Rlc),
        Helper::Z80Shift(ShiftOp::Rrc),
        Helper::Z80Shift(ShiftOp::Rl),
        Helper::Z80Shift(ShiftOp::Rr),
        Helper::Z80Shift(ShiftOp::Sla),
        Helper::Z80Shift(ShiftOp::Sra),
        Helper::Z80Shift(ShiftOp::Sll),
        Helper::Z80Shift(ShiftOp::Srl),
        Helper::Z80RotateA(ShiftOp::Rlc),
        Helper::Z80RotateA(ShiftOp::Rrc),
        Helper::Z80RotateA(ShiftOp::Rl),
        Helper::Z80RotateA(ShiftOp::Rr),
        Helper::Z80Bit,
        Helper::Z80Daa,
        Helper::Z80Add16,
        Helper::Z80Adc16,
        Helper::Z80Sbc16,
        Helper::Z80BlockIo,
    ];
}

/// Byte tables generated code indexes with a byte (they live in the
/// context). Each is built from the interpreter's own flag functions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Table {
    /// Z80 S, Z, Y, X of a byte result.
    Sz53,
    /// Z80 S, Z, Y, X and even parity of a byte result.
    Sz53p,
    /// Z80 flags of INC r (but C) by its result.
    Z80Inc,
    /// Z80 flags of DEC r (but C) by its result.
    Z80Dec,
}

impl Table {
    /// Number of tables.
    pub const COUNT: usize = 4;

    /// Every table, in context order.
    pub const ALL: [Table; Table::COUNT] =
        [Table::Sz53, Table::Sz53p, Table::Z80Inc, Table::Z80Dec];

    /// Position in the context's tables.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Entry `i`.
    pub const fn get(self, i: u8) -> u8 {
        use retrojit_core::cpu::z80::alu;
        const C: u8 = retrojit_core::cpu::z80::state::FLAG_C;
        match self {
            Table::Sz53 => alu::SZ53[i as usize],
            Table::Sz53p => alu::SZ53P[i as usize],
            Table::Z80Inc => alu::inc8(i.wrapping_sub(1), 0).1 & !C,
            Table::Z80Dec => alu::dec8(i.wrapping_add(1), 0).1 & !C,
        }
    }

    /// The whole table.
    pub const fn build(self) -> [u8; 256] {
        let mut t = [0; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = self.get(i as u8);
            i += 1;
        }
        t
    }
}

/// One operation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    /// Guest instruction `index` of the block starts here, at `pc`, after
    /// `cycles` static cycles of the block. Side exits resume at this
    /// instruction with this state.
    Insn {
        /// Guest address of the instruction.
        pc: u16,
        /// Position in the block.
        index: u16,
        /// Static cycles of the earlier instructions.
        cycles: u16,
    },
    /// `dst = src`
    Mov {
        /// Destination.
        dst: Dst,
        /// Source.
        src: Operand,
    },
    /// `dst = a op b`
    Bin {
        /// Operation.
        op: BinOp,
        /// Destination.
        dst: Dst,
        /// Left operand.
        a: Operand,
        /// Right operand.
        b: Operand,
    },
    /// `dst = (src >> bit) & 1`
    Bit {
        /// Destination.
        dst: Dst,
        /// Source.
        src: Operand,
        /// Bit number.
        bit: u8,
    },
    /// `dst = 1` if the 8-bit addition `a + b = r` overflowed (signed), else 0.
    Overflow {
        /// Destination.
        dst: Dst,
        /// First addend.
        a: Operand,
        /// Second addend.
        b: Operand,
        /// 8-bit result.
        r: Operand,
    },
    /// `dst = table[index]`; `index` is a byte.
    Lookup {
        /// Destination.
        dst: Dst,
        /// The table.
        table: Table,
        /// The entry (0..=255).
        index: Operand,
    },
    /// `dst = P` as PHP pushes it (B and bit 5 set) from the flag locations.
    PackP {
        /// Destination.
        dst: Dst,
    },
    /// Sets N, Z, C, V, I and D from a status byte.
    UnpackP {
        /// The status byte.
        src: Operand,
    },
    /// `dst = memory[addr]`. A dynamic address on an I/O page leaves the
    /// block before the current instruction, for the interpreter to run it.
    Load {
        /// Destination.
        dst: Dst,
        /// Address.
        addr: Addr,
    },
    /// Checks that a dummy read of the chip (page-crossing fix-up) would hit
    /// memory, not I/O; leaves like [`Op::Load`] otherwise. Reads nothing.
    ProbeRead {
        /// The dummy read's address.
        addr: Operand,
    },
    /// Checks that a write to the dynamic address `addr` would hit memory;
    /// leaves like [`Op::Load`] otherwise. Emitted before an instruction
    /// changes any state, so its [`Op::Store`] cannot fail halfway.
    ProbeWrite {
        /// The address to be written.
        addr: Operand,
    },
    /// `memory[addr] = src`. A dynamic address must have been probed by
    /// [`Op::ProbeWrite`] earlier in the instruction.
    Store {
        /// Address.
        addr: Addr,
        /// Value.
        src: Operand,
    },
    /// If guest code was translated from `addr`, leave the block after the
    /// current instruction (which is complete), resuming at `resume`.
    /// Emitted at the end of every instruction that stores, after its
    /// [`Op::Penalty`].
    CodeCheck {
        /// A stored-to address (16 bits).
        addr: Operand,
        /// Where the guest continues.
        resume: u16,
    },
    /// Leaves the block before the current instruction if guest code was
    /// translated from `addr`: the interpreter then runs the instruction
    /// (and invalidates). For stores whose instruction has no single
    /// place to resume after it (the Z80's LDIR, which repeats or goes on).
    CodeProbe {
        /// An address the instruction may store to.
        addr: Operand,
    },
    /// Leaves the block before the current instruction if generated code
    /// was entered with the IRQ line asserted (the dispatcher allows that
    /// only while I is set). Emitted first in the instructions that can
    /// clear I (CLI, PLP, RTI): the interpreter runs them, with the
    /// chip's interrupt polling around them.
    IrqCheck,
    /// Leaves the block to `target` when `cond` holds, with the current
    /// instruction complete: the effects it has either way come before,
    /// the rest of it after (Z80 CALL cc and RET cc, which leave when the
    /// condition fails). Linked like the block's own exits.
    ExitIf {
        /// When to leave.
        cond: Cond,
        /// Where the guest continues.
        target: u16,
    },
    /// Adds 0 or 1 cycles known only at run time (page crossing).
    Penalty {
        /// The extra cycles.
        src: Operand,
    },
    /// `dst = ` a port read cycle on `port` through the machine's bus, `at`
    /// T-states into the instruction. The bus may insert wait states
    /// (at most [`MAX_PORT_WAIT_STATES`]); they are added to the cycle count.
    PortIn {
        /// Destination (the byte read).
        dst: Dst,
        /// The 16-bit port address.
        port: Operand,
        /// T-states from the instruction's start to the cycle's.
        at: u8,
    },
    /// A port write cycle of `src` to `port`, as [`Op::PortIn`]. The
    /// instruction ends its block: a write may remap memory, and the code
    /// after it was compiled for the mapping before (the engine then makes
    /// the next block entry return to the dispatcher).
    PortOut {
        /// The 16-bit port address.
        port: Operand,
        /// The byte written.
        src: Operand,
        /// T-states from the instruction's start to the cycle's.
        at: u8,
    },
    /// `dst = helper(args)`.
    Helper {
        /// The function.
        helper: Helper,
        /// Destination.
        dst: Dst,
        /// Arguments.
        args: [Operand; 3],
    },
}

/// A flag condition for branches.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Cond {
    /// The location holding the flag.
    pub flag: Reg,
    /// `Some(n)`: the flag is bit `n` of the location (the Z80's F, tested
    /// in place rather than extracted first). `None`: the location is the
    /// flag: set when nonzero (the 6502's N when bit 7 is set and Z when
    /// zero, as the 6502 keeps them).
    pub bit: Option<u8>,
    /// Branch when the flag is set (else when clear).
    pub set: bool,
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.bit {
            Some(bit) => write!(f, "bit {bit} of {:?}", self.flag)?,
            None => write!(f, "{:?}", self.flag)?,
        }
        write!(f, " is {}", if self.set { "set" } else { "clear" })
    }
}

/// How a block ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Exit {
    /// Continue at a known address.
    Jump {
        /// Target.
        target: u16,
        /// The instruction that jumps (for trap detection).
        from: u16,
    },
    /// Continue at a known address where D is only known at run time
    /// (after PLP), so the target's key is not: backends test D and link
    /// one slot per value (as for any exit whose `exit_decimal` is `None`).
    Dispatch {
        /// Target.
        target: u16,
    },
    /// Conditional branch.
    Branch {
        /// Condition for `taken`.
        cond: Cond,
        /// Target when taken.
        taken: u16,
        /// Target when not taken (the next instruction).
        not_taken: u16,
        /// Extra cycles when taken (1, or 2 across a page).
        taken_cycles: u8,
        /// The branch instruction (for trap detection).
        from: u16,
    },
    /// Continue at an address computed at run time (RTS, RTI, JMP indirect).
    Indirect {
        /// 16-bit target.
        target: Operand,
        /// The instruction that jumps (for trap detection).
        from: u16,
    },
    /// Stop before the instruction at `pc`: the interpreter runs it.
    Interpret {
        /// Where the interpreter takes over.
        pc: u16,
    },
}

/// A translated guest block, before code generation.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Block {
    /// Guest address of the first instruction.
    pub start: u16,
    /// Guest bytes translated, from `start` (wrapping at $FFFF).
    pub len: u16,
    /// D at entry (part of the block's identity on NMOS parts).
    pub decimal: bool,
    /// D at the exit when known at translation time (NMOS; for linking).
    pub exit_decimal: Option<bool>,
    /// The body.
    pub ops: Vec<Op>,
    /// The end.
    pub exit: Exit,
    /// Guest instructions in the block (excluding one left to the interpreter).
    pub instructions: u16,
    /// Static cycles of all instructions, before the exit's branch penalty.
    pub cycles: u16,
    /// Most cycles the block can take (the budget it needs at entry).
    pub worst_cycles: u16,
    /// Addresses of immediate operands compiled in as constants: a write
    /// there invalidates the block and makes the operand dynamic.
    pub immediates: Vec<u16>,
    /// Addresses of immediate operands read from guest memory when the code
    /// runs (self-modified operands); writes there need no invalidation.
    pub dynamic_operands: Vec<u16>,
}

impl Op {
    /// The operands the op reads.
    pub fn sources(&self) -> impl Iterator<Item = Operand> {
        let addr_operand = |addr: &Addr| match addr {
            Addr::Page { offset, .. } => *offset,
            Addr::Dynamic(a) => *a,
        };
        let list = match self {
            Op::Insn { .. } | Op::PackP { .. } | Op::IrqCheck => [None; 3],
            Op::Mov { src, .. }
            | Op::Bit { src, .. }
            | Op::UnpackP { src }
            | Op::Penalty { src }
            | Op::Lookup { index: src, .. } => [Some(*src), None, None],
            Op::Bin { a, b, .. } => [Some(*a), Some(*b), None],
            Op::Overflow { a, b, r, .. } => [Some(*a), Some(*b), Some(*r)],
            Op::Load { addr, .. } => [Some(addr_operand(addr)), None, None],
            Op::ProbeRead { addr }
            | Op::ProbeWrite { addr }
            | Op::CodeCheck { addr, .. }
            | Op::CodeProbe { addr } => [Some(*addr), None, None],
            Op::Store { addr, src } => [Some(addr_operand(addr)), Some(*src), None],
            Op::Helper { args, .. } => args.map(Some),
            Op::PortIn { port, .. } => [Some(*port), None, None],
            Op::PortOut { port, src, .. } => [Some(*port), Some(*src), None],
            Op::ExitIf { cond, .. } => [Some(Operand::Reg(cond.flag)), None, None],
        };
        list.into_iter().flatten()
    }
}

impl Op {
    /// The location the op writes, if it writes exactly one.
    pub fn destination(&self) -> Option<Dst> {
        match self {
            Op::Mov { dst, .. }
            | Op::Bin { dst, .. }
            | Op::Bit { dst, .. }
            | Op::Overflow { dst, .. }
            | Op::Lookup { dst, .. }
            | Op::PackP { dst }
            | Op::Load { dst, .. }
            | Op::PortIn { dst, .. }
            | Op::Helper { dst, .. } => Some(*dst),
            _ => None,
        }
    }
}

impl Block {
    /// Static cycles of the block up to the end of instruction `index`.
    pub fn cycles_after(&self, index: u16) -> u16 {
        self.ops
            .iter()
            .find_map(|op| match op {
                Op::Insn {
                    index: i, cycles, ..
                } if *i == index + 1 => Some(*cycles),
                _ => None,
            })
            .unwrap_or(self.cycles)
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Reg(Reg::Z80(r)) => write!(f, "{r:?}"),
            Operand::Reg(r) => write!(f, "{r:?}"),
            Operand::Tmp(t) => write!(f, "t{}", t.0),
            Operand::Imm(v) => write!(f, "#{v:#x}"),
        }
    }
}

impl fmt::Display for Dst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Operand::from(*self).fmt(f)
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Page { page, offset } => write!(f, "[page {page:#04x} + {offset}]"),
            Addr::Dynamic(a) => write!(f, "[{a}]"),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Insn { pc, index, cycles } => {
                write!(f, "-- insn {index} at ${pc:04X} (+{cycles} cycles)")
            }
            Op::Mov { dst, src } => write!(f, "  {dst} = {src}"),
            Op::Bin { op, dst, a, b } => write!(f, "  {dst} = {op:?} {a}, {b}"),
            Op::Bit { dst, src, bit } => write!(f, "  {dst} = bit {bit} of {src}"),
            Op::Overflow { dst, a, b, r } => write!(f, "  {dst} = overflow {a} + {b} = {r}"),
            Op::Lookup { dst, table, index } => write!(f, "  {dst} = {table:?}[{index}]"),
            Op::PackP { dst } => write!(f, "  {dst} = pack P"),
            Op::UnpackP { src } => write!(f, "  unpack P from {src}"),
            Op::Load { dst, addr } => write!(f, "  {dst} = load {addr}"),
            Op::ProbeRead { addr } => write!(f, "  probe read [{addr}]"),
            Op::IrqCheck => write!(f, "  irq check"),
            Op::ProbeWrite { addr } => write!(f, "  probe write [{addr}]"),
            Op::Store { addr, src } => write!(f, "  store {addr} = {src}"),
            Op::CodeCheck { addr, resume } => {
                write!(f, "  code check [{addr}], resume ${resume:04X}")
            }
            Op::CodeProbe { addr } => write!(f, "  code probe [{addr}]"),
            Op::ExitIf { cond, target } => write!(f, "  exit to ${target:04X} if {cond}"),
            Op::Penalty { src } => write!(f, "  cycles += {src}"),
            Op::PortIn { dst, port, at } => write!(f, "  {dst} = in port [{port}] at +{at}"),
            Op::PortOut { port, src, at } => {
                write!(f, "  out port [{port}] = {src} at +{at}")
            }
            Op::Helper { helper, dst, args } => {
                write!(
                    f,
                    "  {dst} = {helper:?}({}, {}, {})",
                    args[0], args[1], args[2]
                )
            }
        }
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "block ${:04X} len {} D={} insns {} cycles {} worst {}",
            self.start,
            self.len,
            u8::from(self.decimal),
            self.instructions,
            self.cycles,
            self.worst_cycles
        )?;
        for op in &self.ops {
            writeln!(f, "{op}")?;
        }
        writeln!(f, "exit {:?}", self.exit)
    }
}

pub mod eval;
