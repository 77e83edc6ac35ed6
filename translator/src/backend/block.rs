//! The shape every backend gives a block, written once: the budget check,
//! the body, the exit (linkable slots, branches, the indirect exit), the
//! budget exit, then the out-of-line stubs. A backend supplies the
//! instructions through [`BlockEmitter`].

use super::frame::{Frame, Stub};
use super::{CodegenConfig, CodegenError, ExitSlot};
use crate::engine::context::ExitReason;
use crate::ir::{Block, Cond, Exit, Op, Operand};

/// The instructions a backend emits for the shared block shape.
pub(crate) trait BlockEmitter {
    type Label: Copy;
    /// Where a code-write stub finds the stored-to address.
    type Stored;

    fn frame(&mut self) -> &mut Frame<Self::Label, Self::Stored>;
    fn config(&self) -> CodegenConfig;
    fn new_label(&mut self) -> Self::Label;
    fn bind(&mut self, label: Self::Label);
    /// Jumps to the returned label (bound later) when the block's worst
    /// case, `worst_cycles`, does not fit before the deadline.
    fn budget_check(&mut self, worst_cycles: u16) -> Self::Label;
    /// Op `i` of the body.
    fn op(&mut self, i: usize, op: &Op) -> Result<(), CodegenError>;
    /// Adds static cycles and instructions (either may be 0).
    fn account(&mut self, cycles: u32, insns: u32);
    /// Leaves through the common exit with the next `pc` and `reason`.
    fn leave_with(&mut self, pc: u32, reason: ExitReason);
    /// Emits an unlinked exit slot; returns the byte offset of its
    /// patchable word.
    fn exit_slot(&mut self) -> u32;
    /// Jumps to `label` when D is set.
    fn branch_if_decimal(&mut self, label: Self::Label);
    /// Jumps to `label` when `cond` holds.
    fn branch_if(&mut self, cond: Cond, label: Self::Label);
    /// The exit to a run-time target (with the trap check and the inline
    /// dispatch the configuration asks for).
    fn indirect(&mut self, target: Operand, from: u16, decimal: Option<bool>);
    /// Reports the stored-to address of a code-write exit.
    fn store_exit_addr(&mut self, addr: Self::Stored);
}

/// Emits `block` through `e`.
pub(crate) fn emit<E: BlockEmitter>(e: &mut E, block: &Block) -> Result<(), CodegenError> {
    let budget_exit = e.budget_check(block.worst_cycles);
    for (i, op) in block.ops.iter().enumerate() {
        e.op(i, op)?;
    }
    exit(e, block);
    e.bind(budget_exit);
    e.leave_with(u32::from(block.start), ExitReason::Budget);
    emit_stubs(e, block.exit_decimal);
    Ok(())
}

fn exit<E: BlockEmitter>(e: &mut E, block: &Block) {
    let decimal = block.exit_decimal;
    e.account(u32::from(block.cycles), u32::from(block.instructions));
    match block.exit {
        Exit::Jump { target, from } => jump(e, target, from, decimal),
        Exit::Dispatch { target } => linkable(e, target, None),
        Exit::Interpret { pc } => e.leave_with(u32::from(pc), ExitReason::Interpret),
        Exit::Branch {
            cond,
            taken,
            not_taken,
            taken_cycles,
            from,
        } => {
            let taken_label = e.new_label();
            e.branch_if(cond, taken_label);
            jump(e, not_taken, from, decimal);
            e.bind(taken_label);
            e.account(u32::from(taken_cycles), 0);
            jump(e, taken, from, decimal);
        }
        Exit::Indirect { target, from } => e.indirect(target, from, decimal),
    }
}

fn jump<E: BlockEmitter>(e: &mut E, target: u16, from: u16, decimal: Option<bool>) {
    if e.config().stop_on_trap && target == from {
        e.leave_with(u32::from(from), ExitReason::Trap);
    } else {
        linkable(e, target, decimal);
    }
}

/// A linkable exit to `target`: the slot, then the fall-back to the
/// dispatcher. With D unknown until run time (after PLP or RTI), one slot
/// per value of D.
fn linkable<E: BlockEmitter>(e: &mut E, target: u16, decimal: Option<bool>) {
    match decimal {
        Some(decimal) => {
            let at = e.exit_slot();
            e.frame().exits.push(ExitSlot {
                at,
                target,
                decimal,
            });
        }
        None if e.config().link => {
            let decimal_set = e.new_label();
            e.branch_if_decimal(decimal_set);
            linkable(e, target, Some(false));
            e.bind(decimal_set);
            linkable(e, target, Some(true));
            return;
        }
        None => {}
    }
    e.leave_with(u32::from(target), ExitReason::Next);
}

fn emit_stubs<E: BlockEmitter>(e: &mut E, decimal: Option<bool>) {
    for stub in std::mem::take(&mut e.frame().stubs) {
        match stub {
            Stub::Side { label, insn } => {
                e.bind(label);
                e.account(u32::from(insn.cycles), u32::from(insn.index));
                e.leave_with(u32::from(insn.pc), ExitReason::Interpret);
            }
            Stub::Exit {
                label,
                insn,
                cycles_after,
                target,
            } => {
                e.bind(label);
                e.account(u32::from(cycles_after), u32::from(insn.index) + 1);
                jump(e, target, insn.pc, decimal);
            }
            Stub::CodeWrite {
                label,
                insn,
                cycles_after,
                resume,
                addr,
            } => {
                e.bind(label);
                e.store_exit_addr(addr);
                e.account(u32::from(cycles_after), u32::from(insn.index) + 1);
                e.leave_with(u32::from(resume), ExitReason::CodeWrite);
            }
        }
    }
}
