//! Per-block bookkeeping every backend keeps while it emits a block: the
//! guest instruction being compiled, the out-of-line exits it owes, and
//! the words the block cache must fill in once the block is placed.
//! Generic over the backend's label and stored-address types.

use super::ExitSlot;
use crate::ir::{Dst, Op, Operand};

/// Where the current guest instruction started, for side exits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InsnInfo {
    pub pc: u16,
    pub index: u16,
    pub cycles: u16,
}

/// An out-of-line exit emitted after the block body.
#[derive(Debug)]
pub(crate) enum Stub<L, A> {
    /// Leave before the instruction for the interpreter.
    Side { label: L, insn: InsnInfo },
    /// An [`Op::ExitIf`](crate::ir::Op::ExitIf) taken: leave after the
    /// instruction through a linkable exit.
    Exit {
        label: L,
        insn: InsnInfo,
        cycles_after: u16,
        target: u16,
    },
    /// A store hit code: leave after the instruction.
    CodeWrite {
        label: L,
        insn: InsnInfo,
        cycles_after: u16,
        resume: u16,
        /// Where the stub finds the stored-to address.
        addr: A,
    },
}

/// The bookkeeping of one block being emitted.
#[derive(Debug)]
pub(crate) struct Frame<L, A> {
    pub insn: InsnInfo,
    /// The current instruction's side exit, once one was needed.
    side_label: Option<L>,
    pub stubs: Vec<Stub<L, A>>,
    pub exits: Vec<ExitSlot>,
    /// Byte offsets of branch words that must reach the common exit.
    pub epilogue_branches: Vec<u32>,
    /// Addresses (temporaries, constants) whose page a `ProbeWrite` of the
    /// current instruction found writable: a store there needs no check of
    /// its own, since nothing inside a block remaps memory.
    write_checked: Vec<Operand>,
}

impl<L: Copy, A> Frame<L, A> {
    pub fn new(start: u16) -> Self {
        Frame {
            insn: InsnInfo {
                pc: start,
                index: 0,
                cycles: 0,
            },
            side_label: None,
            stubs: Vec::new(),
            exits: Vec::new(),
            epilogue_branches: Vec::new(),
            write_checked: Vec::new(),
        }
    }

    /// A new guest instruction starts.
    pub fn start_insn(&mut self, pc: u16, index: u16, cycles: u16) {
        self.insn = InsnInfo { pc, index, cycles };
        self.side_label = None;
        self.write_checked.clear();
    }

    /// Follows op `op` before it is lowered: probes add their address to
    /// the checked set; a new value of a temporary takes it out.
    pub fn track_write_checks(&mut self, op: &Op) {
        match *op {
            Op::ProbeWrite {
                addr: addr @ (Operand::Tmp(_) | Operand::Imm(_)),
            } => self.write_checked.push(addr),
            _ => {
                if let Some(Dst::Tmp(t)) = op.destination() {
                    self.write_checked.retain(|&a| a != Operand::Tmp(t));
                }
            }
        }
    }

    /// Whether a store to `addr` was already checked by a probe.
    pub fn write_checked(&self, addr: Operand) -> bool {
        self.write_checked.contains(&addr)
    }

    /// Owes the stub of a taken [`Op::ExitIf`](crate::ir::Op::ExitIf) in
    /// the current instruction, which spends `cycles_after` static cycles.
    pub fn exit_after_insn(&mut self, label: L, cycles_after: u16, target: u16) {
        self.stubs.push(Stub::Exit {
            label,
            insn: self.insn,
            cycles_after,
            target,
        });
    }

    /// The label of the current instruction's side exit (one stub per
    /// instruction, however many checks branch to it).
    pub fn side_exit(&mut self, new_label: impl FnOnce() -> L) -> L {
        if let Some(label) = self.side_label {
            return label;
        }
        let label = new_label();
        self.side_label = Some(label);
        self.stubs.push(Stub::Side {
            label,
            insn: self.insn,
        });
        label
    }
}
