//! IR passes run on every block before code generation:
//!
//! 1. constant folding: temporaries and guest registers holding known
//!    constants are replaced by immediates, and operations on immediates
//!    are computed at translation time;
//! 2. dead-code elimination: a flag written again before anything reads it
//!    (no op, no exit, no side exit in between) is not computed, nor is a
//!    temporary nobody uses, nor what only fed those;
//! 3. counter merging: the Z80's per-instruction R increments are added
//!    once where the block may leave (or R is read), not per instruction.
//!
//! Where the memory's [`MemoryShape`] promises that no page routes reads
//! (or writes) to I/O, memory accesses cannot leave the block: their
//! probes go first, so the later passes see longer stretches without
//! exits. The block cache drops code compiled under a promise a remap
//! breaks.
//!
//! Every pass preserves the block's observable behaviour, which the
//! lifter's differential test checks through the IR evaluator.

use crate::backend::shape::MemoryShape;
use crate::ir::{Addr, BinOp, Block, Dst, Exit, MAX_TMPS, Op, Operand, Reg, Z80Reg};

/// Runs every pass on `block`, compiled for memory of `shape`
/// (`MemoryShape::default()` promises nothing).
pub fn optimize(block: &mut Block, shape: MemoryShape) {
    fold_constants(block);
    drop_unneeded_probes(block, shape);
    eliminate_dead_code(block, shape);
    merge_counter_increments(block, shape);
}

/// Deletes the probes of accesses that cannot reach I/O.
pub fn drop_unneeded_probes(block: &mut Block, shape: MemoryShape) {
    block.ops.retain(|op| match op {
        Op::ProbeRead { .. } => !shape.reads.plain,
        Op::ProbeWrite { .. } => !shape.writes.plain,
        _ => true,
    });
}

/// Known constant values of temporaries and guest registers.
struct Constants {
    tmps: [Option<u32>; MAX_TMPS as usize],
    regs: [Option<u32>; Reg::COUNT],
}

impl Constants {
    fn new() -> Self {
        Self {
            tmps: [None; MAX_TMPS as usize],
            regs: [None; Reg::COUNT],
        }
    }

    fn get(&self, operand: Operand) -> Option<u32> {
        match operand {
            Operand::Imm(v) => Some(v),
            Operand::Tmp(t) => self.tmps[usize::from(t.0)],
            Operand::Reg(r) => self.regs[r.index()],
        }
    }

    fn fold(&self, operand: &mut Operand) {
        if let Some(v) = self.get(*operand) {
            *operand = Operand::Imm(v);
        }
    }

    fn set(&mut self, dst: Dst, value: Option<u32>) {
        match dst {
            Dst::Tmp(t) => self.tmps[usize::from(t.0)] = value,
            Dst::Reg(r) => self.regs[r.index()] = value,
        }
    }

    fn forget_flags(&mut self) {
        for flag in Reg::FLAGS {
            self.regs[flag.index()] = None;
        }
    }
}

fn fold_addr(constants: &Constants, addr: &mut Addr) {
    match addr {
        Addr::Page { offset, .. } => constants.fold(offset),
        Addr::Dynamic(a) => constants.fold(a),
    }
}

/// Propagates constants forward through the block.
pub fn fold_constants(block: &mut Block) {
    let mut known = Constants::new();
    for op in &mut block.ops {
        match op {
            Op::Insn { .. } => known.tmps = [None; MAX_TMPS as usize],
            Op::Mov { dst, src } => {
                known.fold(src);
                let value = known.get(*src);
                known.set(*dst, value);
            }
            Op::Bin { op: bin, dst, a, b } => {
                known.fold(a);
                known.fold(b);
                match (*a, *b) {
                    (Operand::Imm(x), Operand::Imm(y)) => {
                        let v = bin.apply(x, y);
                        let dst = *dst;
                        *op = Op::Mov {
                            dst,
                            src: Operand::Imm(v),
                        };
                        known.set(dst, Some(v));
                    }
                    // x op 0 and (where it commutes) 0 op x are x.
                    (x, Operand::Imm(0)) | (Operand::Imm(0), x)
                        if bin.keeps_zero_operand()
                            && (*b == Operand::Imm(0) || bin.commutes()) =>
                    {
                        let dst = *dst;
                        *op = Op::Mov { dst, src: x };
                        known.set(dst, None);
                    }
                    _ => known.set(*dst, None),
                }
            }
            Op::Bit { dst, src, bit } => {
                known.fold(src);
                match *src {
                    Operand::Imm(v) => {
                        let (dst, v) = (*dst, (v >> *bit) & 1);
                        *op = Op::Mov {
                            dst,
                            src: Operand::Imm(v),
                        };
                        known.set(dst, Some(v));
                    }
                    _ => known.set(*dst, None),
                }
            }
            Op::Overflow { dst, a, b, r } => {
                known.fold(a);
                known.fold(b);
                known.fold(r);
                match (*a, *b, *r) {
                    (Operand::Imm(a), Operand::Imm(b), Operand::Imm(r)) => {
                        let (dst, v) = (*dst, ((!(a ^ b) & (a ^ r)) >> 7) & 1);
                        *op = Op::Mov {
                            dst,
                            src: Operand::Imm(v),
                        };
                        known.set(dst, Some(v));
                    }
                    _ => known.set(*dst, None),
                }
            }
            Op::Lookup { dst, table, index } => {
                known.fold(index);
                match *index {
                    Operand::Imm(i) => {
                        let (dst, v) = (*dst, u32::from(table.get(i as u8)));
                        *op = Op::Mov {
                            dst,
                            src: Operand::Imm(v),
                        };
                        known.set(dst, Some(v));
                    }
                    _ => known.set(*dst, None),
                }
            }
            Op::PackP { dst } => known.set(*dst, None),
            Op::UnpackP { src } => {
                known.fold(src);
                known.forget_flags();
            }
            Op::Load { dst, addr } => {
                fold_addr(&known, addr);
                known.set(*dst, None);
            }
            Op::ProbeRead { addr } | Op::ProbeWrite { addr } => known.fold(addr),
            Op::Store { addr, src } => {
                fold_addr(&known, addr);
                known.fold(src);
            }
            Op::CodeCheck { addr, .. } | Op::CodeProbe { addr } => known.fold(addr),
            Op::IrqCheck | Op::ExitIf { .. } => {}
            Op::Penalty { src } => known.fold(src),
            Op::Helper { dst, args, .. } => {
                for arg in args.iter_mut() {
                    known.fold(arg);
                }
                known.set(*dst, None);
            }
            Op::PortIn { dst, port, .. } => {
                known.fold(port);
                known.set(*dst, None);
            }
            Op::PortOut { port, src, .. } => {
                known.fold(port);
                known.fold(src);
            }
        }
    }
    if let Exit::Indirect { target, .. } = &mut block.exit {
        known.fold(target);
    }
}

/// The flags ([`Reg::FLAGS`]) as a bit set indexed by [`Reg::index`].
#[derive(Clone, Copy, PartialEq, Eq)]
struct FlagSet(u64);

impl FlagSet {
    const ALL: FlagSet = {
        let mut bits = 0;
        let mut i = 0;
        while i < Reg::FLAGS.len() {
            bits |= 1 << Reg::FLAGS[i].index();
            i += 1;
        }
        FlagSet(bits)
    };

    fn contains(self, r: Reg) -> bool {
        self.0 & (1 << r.index()) != 0
    }

    fn insert(&mut self, r: Reg) {
        self.0 |= 1 << r.index();
    }

    fn remove(&mut self, r: Reg) {
        self.0 &= !(1 << r.index());
    }
}

fn is_flag(r: Reg) -> bool {
    Reg::FLAGS.contains(&r)
}

/// The location an op writes, if it is a pure computation of one value.
/// Loads from pages the lifter resolved as memory, or from anywhere when
/// no page reads I/O, have no side effects.
fn pure_dst(op: &Op, shape: MemoryShape) -> Option<Dst> {
    match op {
        Op::Load {
            dst,
            addr: Addr::Page { .. },
        } => Some(*dst),
        Op::Load { dst, .. } if shape.reads.plain => Some(*dst),
        Op::Mov { dst, .. }
        | Op::Bin { dst, .. }
        | Op::Bit { dst, .. }
        | Op::Overflow { dst, .. }
        | Op::Lookup { dst, .. }
        | Op::PackP { dst }
        | Op::Helper { dst, .. } => Some(*dst),
        _ => None,
    }
}

/// Whether the block may leave at this op with the state as it is (all
/// flags then matter).
fn may_leave(op: &Op, shape: MemoryShape) -> bool {
    match op {
        Op::Load {
            addr: Addr::Dynamic(_),
            ..
        } => !shape.reads.plain,
        Op::ProbeRead { .. }
        | Op::ProbeWrite { .. }
        | Op::CodeCheck { .. }
        | Op::CodeProbe { .. }
        | Op::IrqCheck
        | Op::ExitIf { .. } => true,
        _ => false,
    }
}

/// Deletes pure ops whose result nothing reads: a temporary never used,
/// or a flag written again before anything reads it (no op, no exit, no
/// side exit in between). One backward pass over both, so an op that only
/// fed a deleted one goes too (RRCA's flags, dead under a POP AF, no
/// longer keep the F of the XOR before them alive).
pub fn eliminate_dead_code(block: &mut Block, shape: MemoryShape) {
    // Everything is live at the exit: the next block or the interpreter
    // reads it.
    let mut live = FlagSet::ALL;
    let mut used = [false; MAX_TMPS as usize];
    if let Exit::Indirect {
        target: Operand::Tmp(t),
        ..
    } = block.exit
    {
        used[usize::from(t.0)] = true;
    }
    let mut keep = vec![true; block.ops.len()];
    for (i, op) in block.ops.iter().enumerate().rev() {
        if let Op::Insn { .. } = op {
            // Temporaries are local to one instruction.
            used = [false; MAX_TMPS as usize];
            continue;
        }
        if may_leave(op, shape) || matches!(op, Op::PackP { .. }) {
            live = FlagSet::ALL;
        }
        if let Op::UnpackP { src } = op {
            for flag in Reg::FLAGS {
                live.remove(flag);
            }
            reads(*src, &mut live, &mut used);
            continue;
        }
        match pure_dst(op, shape) {
            Some(Dst::Tmp(t)) => {
                if !used[usize::from(t.0)] {
                    keep[i] = false;
                    continue;
                }
                used[usize::from(t.0)] = false;
            }
            Some(Dst::Reg(r)) if is_flag(r) => {
                if !live.contains(r) {
                    keep[i] = false;
                    continue;
                }
                live.remove(r);
            }
            _ => {}
        }
        for src in op.sources() {
            reads(src, &mut live, &mut used);
        }
    }
    let mut keep = keep.into_iter();
    block.ops.retain(|_| keep.next().unwrap_or(true));
}

/// Marks what reading `operand` keeps alive: a flag or a temporary.
fn reads(operand: Operand, live: &mut FlagSet, used: &mut [bool; MAX_TMPS as usize]) {
    match operand {
        Operand::Reg(r) if is_flag(r) => live.insert(r),
        Operand::Tmp(t) => used[usize::from(t.0)] = true,
        _ => {}
    }
}

/// Merges the increments of the Z80's refresh counter (`R = R + k`, one
/// per instruction) into one add, placed before the next op that may
/// leave the block or reads R, or at the block's end. An exit before an
/// instruction then sees exactly the earlier instructions' increments.
pub fn merge_counter_increments(block: &mut Block, shape: MemoryShape) {
    const R: Reg = Reg::Z80(Z80Reg::R);
    let is_increment = |op: &Op| {
        matches!(
            op,
            Op::Bin {
                op: BinOp::Add,
                dst: Dst::Reg(R),
                a: Operand::Reg(R),
                b: Operand::Imm(_),
            }
        )
    };
    if !block.ops.iter().any(is_increment) {
        return;
    }
    let add = |k: u32| Op::Bin {
        op: BinOp::Add,
        dst: Dst::Reg(R),
        a: Operand::Reg(R),
        b: Operand::Imm(k),
    };
    let mut ops = Vec::with_capacity(block.ops.len());
    let mut pending = 0u32;
    for op in std::mem::take(&mut block.ops) {
        if let Op::Bin {
            b: Operand::Imm(k), ..
        } = op
            && is_increment(&op)
        {
            pending += k;
            continue;
        }
        if pending > 0 && (may_leave(&op, shape) || op.sources().any(|s| s == Operand::Reg(R))) {
            ops.push(add(pending));
            pending = 0;
        }
        ops.push(op);
    }
    if pending > 0 {
        ops.push(add(pending));
    }
    block.ops = ops;
}
