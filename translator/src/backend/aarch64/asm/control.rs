//! "Branches, Exception Generating and System instructions": Unconditional
//! branch (immediate and register), Conditional branch (immediate), Compare
//! and branch, Test and branch, Exception generation, Hints, Barriers and
//! System register move (NZCV only).

use super::{Assembler, Label, shift_amount, width, zr};
use crate::backend::aarch64::branch::{B_OPCODE, BL_OPCODE, NOP, PcRelField, brk};
use crate::backend::aarch64::error::EncodeError;
use crate::backend::aarch64::operand::Barrier;
use crate::backend::aarch64::reg::{Cond, Reg, Width, X30};

/// Unconditional branch (register): `1101011 opc 11111 000000 Rn 00000`;
/// Rn is an X register (31 would be XZR, which no branch wants).
fn branch_reg(opc: u32, rn: Reg) -> Result<u32, EncodeError> {
    width(rn, Width::X64)?;
    if rn.is_zero() {
        return Err(EncodeError::RegisterNotAllowed { reg: rn });
    }
    Ok(0xd61f_0000 | opc << 21 | zr(rn)? << 5)
}

/// Compare and branch: `sf 011010 op imm19 Rt`.
fn compare_branch(op: u32, rt: Reg) -> Result<u32, EncodeError> {
    let sf = u32::from(rt.is_64()) << 31;
    Ok(sf | 0x3400_0000 | op << 24 | zr(rt)?)
}

/// Test and branch: `b5 011011 op b40 imm14 Rt`. A bit number above 31
/// needs an X register (b5 doubles as the register width).
fn test_branch(op: u32, rt: Reg, bit: u8) -> Result<u32, EncodeError> {
    let bit = shift_amount(rt.width(), bit)?;
    Ok((bit >> 5) << 31 | 0x3600_0000 | op << 24 | (bit & 0x1f) << 19 | zr(rt)?)
}

/// `MRS`/`MSR` of NZCV (op0=3, op1=3, CRn=4, CRm=2, op2=0): `1101010100 L 1
/// 1 011 0100 0010 000 Rt`; Rt is an X register.
fn nzcv_move(read: bool, rt: Reg) -> Result<u32, EncodeError> {
    width(rt, Width::X64)?;
    Ok(0xd51b_4200 | u32::from(read) << 21 | zr(rt)?)
}

/// Barriers: `11010101000000110011 CRm op2 11111`.
fn barrier(op2: u32, crm: u32) -> u32 {
    0xd503_301f | crm << 8 | op2 << 5
}

impl Assembler {
    /// `B label` (±128 MiB).
    pub fn b(&mut self, label: Label) {
        self.put_label_ref("b", Ok(B_OPCODE), PcRelField::Imm26, label);
    }

    /// `BL label` (±128 MiB); return address in X30.
    pub fn bl(&mut self, label: Label) {
        self.put_label_ref("bl", Ok(BL_OPCODE), PcRelField::Imm26, label);
    }

    /// `B` to byte offset `target` from the start of this buffer, which may
    /// lie outside it (another block, a stub): the caller computes it as
    /// `target address - buffer address` once the buffer's placement is known.
    pub fn b_to_offset(&mut self, target: i64) {
        self.put_offset_ref("b", Ok(B_OPCODE), PcRelField::Imm26, target);
    }

    /// `BL` to byte offset `target` from the start of this buffer; see
    /// [`Assembler::b_to_offset`].
    pub fn bl_to_offset(&mut self, target: i64) {
        self.put_offset_ref("bl", Ok(BL_OPCODE), PcRelField::Imm26, target);
    }

    /// `B.cond label` (±1 MiB): `01010100 imm19 0 cond`.
    pub fn b_cond(&mut self, cond: Cond, label: Label) {
        let word = 0x5400_0000 | cond.bits();
        self.put_label_ref("b.cond", Ok(word), PcRelField::Imm19, label);
    }

    /// `CBZ rt, label` (±1 MiB).
    pub fn cbz(&mut self, rt: Reg, label: Label) {
        self.put_label_ref("cbz", compare_branch(0, rt), PcRelField::Imm19, label);
    }

    /// `CBNZ rt, label` (±1 MiB).
    pub fn cbnz(&mut self, rt: Reg, label: Label) {
        self.put_label_ref("cbnz", compare_branch(1, rt), PcRelField::Imm19, label);
    }

    /// `TBZ rt, #bit, label` (±32 KiB): branch if bit `bit` of rt is 0.
    pub fn tbz(&mut self, rt: Reg, bit: u8, label: Label) {
        self.put_label_ref("tbz", test_branch(0, rt, bit), PcRelField::Imm14, label);
    }

    /// `TBNZ rt, #bit, label` (±32 KiB): branch if bit `bit` of rt is 1.
    pub fn tbnz(&mut self, rt: Reg, bit: u8, label: Label) {
        self.put_label_ref("tbnz", test_branch(1, rt, bit), PcRelField::Imm14, label);
    }

    /// `BR xn`.
    pub fn br(&mut self, rn: Reg) {
        self.put("br", branch_reg(0b0000, rn));
    }

    /// `BLR xn`.
    pub fn blr(&mut self, rn: Reg) {
        self.put("blr", branch_reg(0b0001, rn));
    }

    /// `RET` (to X30).
    pub fn ret(&mut self) {
        self.ret_to(X30);
    }

    /// `RET xn`.
    pub fn ret_to(&mut self, rn: Reg) {
        self.put("ret", branch_reg(0b0010, rn));
    }

    /// `MRS xt, NZCV`: flags into bits 31:28 of xt.
    pub fn mrs_nzcv(&mut self, rt: Reg) {
        self.put("mrs", nzcv_move(true, rt));
    }

    /// `MSR NZCV, xt`: flags from bits 31:28 of xt.
    pub fn msr_nzcv(&mut self, rt: Reg) {
        self.put("msr", nzcv_move(false, rt));
    }

    /// `NOP`.
    pub fn nop(&mut self) {
        self.emit(NOP);
    }

    /// `BRK #imm`.
    pub fn brk(&mut self, imm: u16) {
        self.emit(brk(imm));
    }

    /// `DMB option`: data memory barrier.
    pub fn dmb(&mut self, option: Barrier) {
        self.emit(barrier(0b101, option as u32));
    }

    /// `DSB option`: data synchronization barrier.
    pub fn dsb(&mut self, option: Barrier) {
        self.emit(barrier(0b100, option as u32));
    }

    /// `ISB`: instruction synchronization barrier (CRm = SY).
    pub fn isb(&mut self) {
        self.emit(barrier(0b110, Barrier::Sy as u32));
    }
}
