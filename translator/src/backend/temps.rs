//! Host registers for IR temporaries, shared by the backends: each
//! temporary gets a register from its definition to its last use.
//! Temporaries are local to one guest instruction (see [`crate::ir::Tmp`]),
//! so lifetimes are computed per instruction.

use crate::ir::{Block, Dst, Exit, MAX_TMPS, Op, Operand, Tmp};

/// The register assignment of one block's temporaries.
pub(crate) struct Temps<R> {
    /// Host register of each live temporary.
    regs: [Option<R>; MAX_TMPS as usize],
    /// Free registers; the last is handed out first.
    free: Vec<R>,
    /// `op_index << 8 | tmp` of each temporary's last use, sorted: freed
    /// during that op, so its result may reuse the register.
    last: Vec<usize>,
    /// `op_index << 8 | tmp` of the op after the definition of each
    /// temporary nothing reads, sorted: freed before that op runs.
    dead: Vec<usize>,
}

impl<R: Copy> Temps<R> {
    /// Lifetimes of `block`'s temporaries; `pool` in allocation order.
    pub fn new(block: &Block, pool: &[R]) -> Self {
        const N: usize = MAX_TMPS as usize;
        let mut last: [Option<usize>; N] = [None; N];
        let mut defined: [Option<usize>; N] = [None; N];
        let mut temps = Temps {
            regs: [None; N],
            free: pool.iter().rev().copied().collect(),
            last: Vec::new(),
            dead: Vec::new(),
        };
        let mut flush = |last: &mut [Option<usize>; N], defined: &mut [Option<usize>; N]| {
            for t in 0..N {
                match (last[t].take(), defined[t].take()) {
                    (Some(i), _) => temps.last.push(i << 8 | t),
                    (None, Some(def)) => temps.dead.push((def + 1) << 8 | t),
                    (None, None) => {}
                }
            }
        };
        for (i, op) in block.ops.iter().enumerate() {
            if matches!(op, Op::Insn { .. }) {
                flush(&mut last, &mut defined);
            }
            for src in op.sources() {
                if let Operand::Tmp(t) = src {
                    last[usize::from(t.0)] = Some(i);
                }
            }
            if let Some(Dst::Tmp(t)) = op.destination() {
                defined[usize::from(t.0)] = Some(i);
            }
        }
        if let Exit::Indirect {
            target: Operand::Tmp(t),
            ..
        } = block.exit
        {
            last[usize::from(t.0)] = Some(block.ops.len());
        }
        flush(&mut last, &mut defined);
        temps.last.sort_unstable();
        temps.dead.sort_unstable();
        temps
    }

    /// Frees the registers of temporaries defined but never read, before
    /// op `i`.
    pub fn release_dead(&mut self, i: usize) {
        let start = self.dead.partition_point(|&e| e >> 8 < i);
        let end = self.dead.partition_point(|&e| e >> 8 <= i);
        for k in start..end {
            self.free_tmp(self.dead[k] & 0xFF);
        }
    }

    /// Frees the registers of temporaries whose last use is op `i`.
    pub fn release(&mut self, i: usize) {
        let start = self.last.partition_point(|&e| e >> 8 < i);
        let end = self.last.partition_point(|&e| e >> 8 <= i);
        for k in start..end {
            self.free_tmp(self.last[k] & 0xFF);
        }
    }

    fn free_tmp(&mut self, t: usize) {
        if let Some(reg) = self.regs[t].take() {
            self.free.push(reg);
        }
    }

    /// A register for `t`, or `None` when all are taken.
    pub fn define(&mut self, t: Tmp) -> Option<R> {
        let reg = self.free.pop()?;
        self.regs[usize::from(t.0)] = Some(reg);
        Some(reg)
    }

    /// The register of `t`, which the lifter defined before this use.
    pub fn get(&self, t: Tmp) -> R {
        self.regs[usize::from(t.0)].expect("temporary defined before use")
    }

    /// Registers of the temporaries live now.
    pub fn live(&self) -> impl Iterator<Item = R> + '_ {
        self.regs.iter().flatten().copied()
    }

    /// Borrows a free register (returned with [`Self::give_back`]).
    pub fn borrow(&mut self) -> Option<R> {
        self.free.pop()
    }

    pub fn give_back(&mut self, regs: impl IntoIterator<Item = R>) {
        self.free.extend(regs);
    }
}
