//! The encoder: a byte buffer with labels and one method per instruction
//! form the backends use. Operands are in Intel order (destination first).
//!
//! Encodings follow the Intel SDM, volume 2 (chapter 2 for REX, ModRM and
//! SIB; the instruction pages for the opcodes). Only baseline x86-64
//! instructions are used (no BMI, no AVX), so the code runs on any x86-64.

use super::reg::Reg;

/// A memory operand: `[base + index * scale + disp]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mem {
    base: Reg,
    index: Option<(Reg, u8)>,
    disp: i32,
}

impl Mem {
    /// `[base + disp]`
    pub const fn base(base: Reg, disp: i32) -> Self {
        Mem {
            base,
            index: None,
            disp,
        }
    }

    /// `[base + index * scale + disp]`; `scale` is 1, 2, 4 or 8 and
    /// `index` is not RSP (which SIB cannot name as an index).
    pub fn index(base: Reg, index: Reg, scale: u8, disp: i32) -> Self {
        assert!(
            matches!(scale, 1 | 2 | 4 | 8),
            "SIB scale must be 1, 2, 4 or 8"
        );
        assert!(index != Reg::RSP, "RSP cannot be an index register");
        Mem {
            base,
            index: Some((index, scale)),
            disp,
        }
    }

    /// Base, index with scale, and displacement (for the encoder's tests).
    #[cfg(test)]
    pub(super) fn parts(&self) -> (Reg, Option<(Reg, u8)>, i32) {
        (self.base, self.index, self.disp)
    }

    /// Whether the operand reads `reg`.
    pub fn uses(&self, reg: Reg) -> bool {
        self.base == reg || self.index.is_some_and(|(i, _)| i == reg)
    }
}

/// Condition codes (the low nibble of `Jcc`/`SETcc`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Cond {
    /// Carry set (unsigned below).
    B = 0x2,
    /// Carry clear (unsigned above or equal).
    Ae = 0x3,
    /// Zero / equal.
    E = 0x4,
    /// Not zero / not equal.
    Ne = 0x5,
    /// Unsigned below or equal.
    Be = 0x6,
    /// Unsigned above.
    A = 0x7,
}

/// The eight classic ALU operations; the value is the ModRM `/digit` of
/// the immediate forms and `opcode >> 3` of the register forms.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Alu {
    Add = 0,
    Or = 1,
    /// Subtract with borrow.
    Sbb = 3,
    And = 4,
    Sub = 5,
    Xor = 6,
    Cmp = 7,
}

/// Shift kinds (ModRM `/digit` of the C1/D3 group).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Shift {
    Shl = 4,
    Shr = 5,
}

/// A source operand of two-operand instructions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Src {
    Reg(Reg),
    Imm(u32),
    Mem(Mem),
}

/// A position in the code, bound once.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Label(u32);

/// Machine code under construction.
#[derive(Debug, Default)]
pub struct Assembler {
    code: Vec<u8>,
    labels: Vec<Option<u32>>,
    /// (offset of a rel32 field, label it reaches)
    fixups: Vec<(usize, Label)>,
}

/// Operand size of a general-purpose instruction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Size {
    /// 32-bit (results zero-extend to 64).
    D,
    /// 64-bit (REX.W).
    Q,
    /// 8-bit: SPL, BPL, SIL and DIL need a REX prefix to be named.
    B,
}

/// The r/m operand of a ModRM instruction.
#[derive(Clone, Copy)]
enum Rm {
    Reg(Reg),
    Mem(Mem),
}

impl Assembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes emitted so far.
    pub fn offset(&self) -> usize {
        self.code.len()
    }

    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() as u32 - 1)
    }

    pub fn bind(&mut self, label: Label) {
        let slot = &mut self.labels[label.0 as usize];
        assert!(slot.is_none(), "label bound twice");
        *slot = Some(self.code.len() as u32);
    }

    /// The code, with every label reference resolved.
    pub fn finish(mut self) -> Result<Vec<u8>, String> {
        for &(at, label) in &self.fixups {
            let target = self.labels[label.0 as usize]
                .ok_or_else(|| format!("label {} used but never bound", label.0))?;
            let rel = i64::from(target) - (at as i64 + 4);
            let rel = i32::try_from(rel).map_err(|_| "label out of rel32 range".to_string())?;
            self.code[at..at + 4].copy_from_slice(&rel.to_le_bytes());
        }
        Ok(self.code)
    }

    fn byte(&mut self, b: u8) {
        self.code.push(b);
    }

    fn imm32(&mut self, v: u32) {
        self.code.extend_from_slice(&v.to_le_bytes());
    }

    /// REX prefix for `reg` (ModRM.reg) and the r/m operand; emitted when a
    /// bit is set or an 8-bit operand names SPL/BPL/SIL/DIL.
    fn rex(&mut self, size: Size, reg: Reg, rm: Rm) {
        let (b, x, low_byte_reg) = match rm {
            Rm::Reg(r) => (r.high_bit(), 0, r.needs_rex_for_byte()),
            Rm::Mem(m) => (
                m.base.high_bit(),
                m.index.map_or(0, |(i, _)| i.high_bit()),
                false,
            ),
        };
        let w = u8::from(size == Size::Q);
        let rex = 0x40 | w << 3 | reg.high_bit() << 2 | x << 1 | b;
        let byte_regs = size == Size::B && (reg.needs_rex_for_byte() || low_byte_reg);
        if rex != 0x40 || byte_regs {
            self.byte(rex);
        }
    }

    /// ModRM (+ SIB + displacement) for `reg` and `rm`.
    fn modrm(&mut self, reg: Reg, rm: Rm) {
        let r = reg.low_bits() << 3;
        match rm {
            Rm::Reg(rm) => self.byte(0xC0 | r | rm.low_bits()),
            Rm::Mem(m) => {
                let base = m.base.low_bits();
                // mod 00 with base 101 means RIP-relative: RBP/R13 need a disp8.
                let (mode, disp_len) = if m.disp == 0 && base != 5 {
                    (0x00, 0)
                } else if i8::try_from(m.disp).is_ok() {
                    (0x40, 1)
                } else {
                    (0x80, 4)
                };
                match m.index {
                    None if base != 4 => self.byte(mode | r | base),
                    // RSP/R12 as a base need a SIB byte (index 100 = none).
                    None => {
                        self.byte(mode | r | 4);
                        self.byte(0x20 | base);
                    }
                    Some((index, scale)) => {
                        self.byte(mode | r | 4);
                        let ss = scale.trailing_zeros() as u8;
                        self.byte(ss << 6 | index.low_bits() << 3 | base);
                    }
                }
                match disp_len {
                    0 => {}
                    1 => self.byte(m.disp as u8),
                    _ => self.imm32(m.disp as u32),
                }
            }
        }
    }

    /// `[prefix] [REX] opcode ModRM...`
    fn op_rm(&mut self, size: Size, opcode: &[u8], reg: Reg, rm: Rm) {
        self.rex(size, reg, rm);
        self.code.extend_from_slice(opcode);
        self.modrm(reg, rm);
    }

    /// An opcode extension (`/digit`) in ModRM.reg.
    fn digit(d: u8) -> Reg {
        Reg::new(d)
    }

    // Moves.

    /// `mov dst32, src32`
    pub fn mov32(&mut self, dst: Reg, src: Reg) {
        self.op_rm(Size::D, &[0x89], src, Rm::Reg(dst));
    }

    /// `mov dst64, src64`
    pub fn mov64(&mut self, dst: Reg, src: Reg) {
        self.op_rm(Size::Q, &[0x89], src, Rm::Reg(dst));
    }

    /// `mov dst32, imm32` (B8+r; does not touch the flags).
    pub fn mov_imm32(&mut self, dst: Reg, imm: u32) {
        self.rex(Size::D, Reg::RAX, Rm::Reg(dst));
        self.byte(0xB8 | dst.low_bits());
        self.imm32(imm);
    }

    /// `mov dst32, [mem]`
    pub fn load32(&mut self, dst: Reg, mem: Mem) {
        self.op_rm(Size::D, &[0x8B], dst, Rm::Mem(mem));
    }

    /// `mov dst64, [mem]`
    pub fn load64(&mut self, dst: Reg, mem: Mem) {
        self.op_rm(Size::Q, &[0x8B], dst, Rm::Mem(mem));
    }

    /// `movzx dst32, byte [mem]`
    pub fn load8(&mut self, dst: Reg, mem: Mem) {
        self.op_rm(Size::D, &[0x0F, 0xB6], dst, Rm::Mem(mem));
    }

    /// `mov [mem], src32`
    pub fn store32(&mut self, mem: Mem, src: Reg) {
        self.op_rm(Size::D, &[0x89], src, Rm::Mem(mem));
    }

    /// `mov [mem], src64`
    pub fn store64(&mut self, mem: Mem, src: Reg) {
        self.op_rm(Size::Q, &[0x89], src, Rm::Mem(mem));
    }

    /// `mov dword [mem], imm32`
    pub fn store32_imm(&mut self, mem: Mem, imm: u32) {
        self.op_rm(Size::D, &[0xC7], Self::digit(0), Rm::Mem(mem));
        self.imm32(imm);
    }

    /// `mov byte [mem], src8`
    pub fn store8(&mut self, mem: Mem, src: Reg) {
        self.op_rm(Size::B, &[0x88], src, Rm::Mem(mem));
    }

    /// `mov byte [mem], imm8`
    pub fn store8_imm(&mut self, mem: Mem, imm: u8) {
        self.op_rm(Size::B, &[0xC6], Self::digit(0), Rm::Mem(mem));
        self.byte(imm);
    }

    /// `mov dst8, src8` (the low bytes; the rest of `dst` is kept).
    pub fn mov8(&mut self, dst: Reg, src: Reg) {
        self.op_rm(Size::B, &[0x88], src, Rm::Reg(dst));
    }

    /// `mov dst8, imm8` (B0+r; the rest of `dst` is kept).
    pub fn mov8_imm(&mut self, dst: Reg, imm: u8) {
        self.rex(Size::B, Reg::RAX, Rm::Reg(dst));
        self.byte(0xB0 | dst.low_bits());
        self.byte(imm);
    }

    /// `movzx dst32, src8`
    pub fn movzx8(&mut self, dst: Reg, src: Reg) {
        self.op_rm(Size::B, &[0x0F, 0xB6], dst, Rm::Reg(src));
    }

    /// `movzx dst32, src16`
    pub fn movzx16(&mut self, dst: Reg, src: Reg) {
        self.op_rm(Size::D, &[0x0F, 0xB7], dst, Rm::Reg(src));
    }

    /// `lea dst64, [mem]`
    pub fn lea64(&mut self, dst: Reg, mem: Mem) {
        self.op_rm(Size::Q, &[0x8D], dst, Rm::Mem(mem));
    }

    /// `dst32 = src` for any source (register, immediate or memory).
    pub fn mov_src32(&mut self, dst: Reg, src: Src) {
        match src {
            Src::Reg(r) if r == dst => {}
            Src::Reg(r) => self.mov32(dst, r),
            Src::Imm(v) => self.mov_imm32(dst, v),
            Src::Mem(m) => self.load32(dst, m),
        }
    }

    // Arithmetic.

    fn alu(&mut self, size: Size, op: Alu, dst: Reg, src: Src) {
        let base = (op as u8) << 3;
        match src {
            Src::Reg(r) => self.op_rm(size, &[base | 0x01], r, Rm::Reg(dst)),
            Src::Mem(m) => self.op_rm(size, &[base | 0x03], dst, Rm::Mem(m)),
            Src::Imm(v) => {
                if i8::try_from(v as i32).is_ok() {
                    self.op_rm(size, &[0x83], Self::digit(op as u8), Rm::Reg(dst));
                    self.byte(v as u8);
                } else {
                    self.op_rm(size, &[0x81], Self::digit(op as u8), Rm::Reg(dst));
                    self.imm32(v);
                }
            }
        }
    }

    /// `op dst32, src` (`add`, `or`, `sbb`, `and`, `sub`, `xor`, `cmp`).
    pub fn alu32(&mut self, op: Alu, dst: Reg, src: Src) {
        self.alu(Size::D, op, dst, src);
    }

    /// `op dst64, src`; an immediate is sign-extended from 32 bits.
    pub fn alu64(&mut self, op: Alu, dst: Reg, src: Src) {
        self.alu(Size::Q, op, dst, src);
    }

    /// `op dword [mem], imm`: one read-modify-write instruction.
    pub fn alu32_mem_imm(&mut self, op: Alu, mem: Mem, imm: i32) {
        self.alu_mem_imm(Size::D, op, mem, imm);
    }

    /// `op qword [mem], imm` (imm sign-extended from 32 bits).
    pub fn alu64_mem_imm(&mut self, op: Alu, mem: Mem, imm: i32) {
        self.alu_mem_imm(Size::Q, op, mem, imm);
    }

    fn alu_mem_imm(&mut self, size: Size, op: Alu, mem: Mem, imm: i32) {
        if let Ok(small) = i8::try_from(imm) {
            self.op_rm(size, &[0x83], Self::digit(op as u8), Rm::Mem(mem));
            self.byte(small as u8);
        } else {
            self.op_rm(size, &[0x81], Self::digit(op as u8), Rm::Mem(mem));
            self.imm32(imm as u32);
        }
    }

    /// `shl`/`shr dst32, imm8`
    pub fn shift32_imm(&mut self, kind: Shift, dst: Reg, count: u8) {
        self.op_rm(Size::D, &[0xC1], Self::digit(kind as u8), Rm::Reg(dst));
        self.byte(count);
    }

    /// `shl`/`shr dst32, cl`
    pub fn shift32_cl(&mut self, kind: Shift, dst: Reg) {
        self.op_rm(Size::D, &[0xD3], Self::digit(kind as u8), Rm::Reg(dst));
    }

    /// `not dst32`
    pub fn not32(&mut self, dst: Reg) {
        self.op_rm(Size::D, &[0xF7], Self::digit(2), Rm::Reg(dst));
    }

    /// `test a32, b32`
    pub fn test32(&mut self, a: Reg, b: Reg) {
        self.op_rm(Size::D, &[0x85], b, Rm::Reg(a));
    }

    /// `test byte [mem], imm8`
    pub fn test8_mem(&mut self, mem: Mem, imm: u8) {
        self.op_rm(Size::B, &[0xF6], Self::digit(0), Rm::Mem(mem));
        self.byte(imm);
    }

    /// `cmp byte [mem], imm8`
    pub fn cmp8_mem(&mut self, mem: Mem, imm: u8) {
        self.op_rm(Size::B, &[0x80], Self::digit(Alu::Cmp as u8), Rm::Mem(mem));
        self.byte(imm);
    }

    /// `test r8, imm8`
    pub fn test8_imm(&mut self, reg: Reg, imm: u8) {
        self.op_rm(Size::B, &[0xF6], Self::digit(0), Rm::Reg(reg));
        self.byte(imm);
    }

    /// `bt a32, b32` (CF = bit `b mod 32` of `a`).
    pub fn bt32(&mut self, a: Reg, b: Reg) {
        self.op_rm(Size::D, &[0x0F, 0xA3], b, Rm::Reg(a));
    }

    /// `setcc dst8`
    pub fn setcc(&mut self, cond: Cond, dst: Reg) {
        self.op_rm(
            Size::B,
            &[0x0F, 0x90 | cond as u8],
            Self::digit(0),
            Rm::Reg(dst),
        );
    }

    // Control flow.

    /// `jcc rel32` to `label`.
    pub fn jcc(&mut self, cond: Cond, label: Label) {
        self.code.extend_from_slice(&[0x0F, 0x80 | cond as u8]);
        self.fixups.push((self.code.len(), label));
        self.imm32(0);
    }

    /// `jmp rel32` to `label`.
    pub fn jmp(&mut self, label: Label) {
        self.byte(0xE9);
        self.fixups.push((self.code.len(), label));
        self.imm32(0);
    }

    /// `jmp rel32` with displacement 0 (falls through until patched);
    /// returns the offset of the displacement.
    pub fn jmp_placeholder(&mut self) -> usize {
        self.byte(0xE9);
        let at = self.code.len();
        self.imm32(0);
        at
    }

    /// Pads with NOPs until `(offset + skew) % align == 0`.
    pub fn align_with_nops(&mut self, align: usize, skew: usize) {
        let pad = (align - (self.code.len() + skew) % align) % align;
        // One NOP instruction of the padding's length where possible
        // (padding before an exit slot runs on every exit): the
        // recommended forms of SDM vol. 2, "NOP".
        const NOPS: [&[u8]; 4] = [&[], &[0x90], &[0x66, 0x90], &[0x0F, 0x1F, 0x00]];
        let mut left = pad;
        while left > 0 {
            let n = left.min(3);
            self.code.extend_from_slice(NOPS[n]);
            left -= n;
        }
    }

    /// `jmp reg64`
    pub fn jmp_reg(&mut self, target: Reg) {
        self.op_rm(Size::D, &[0xFF], Self::digit(4), Rm::Reg(target));
    }

    /// `call qword [mem]`
    pub fn call_mem(&mut self, mem: Mem) {
        self.op_rm(Size::D, &[0xFF], Self::digit(2), Rm::Mem(mem));
    }

    pub fn ret(&mut self) {
        self.byte(0xC3);
    }

    pub fn push(&mut self, reg: Reg) {
        if reg.high_bit() == 1 {
            self.byte(0x41);
        }
        self.byte(0x50 | reg.low_bits());
    }

    pub fn pop(&mut self, reg: Reg) {
        if reg.high_bit() == 1 {
            self.byte(0x41);
        }
        self.byte(0x58 | reg.low_bits());
    }
}
