//! Every instruction form, emitted and decoded back with yaxpeax-arm.
//!
//! Expected texts are written by hand in ARM ARM assembly syntax with
//! yaxpeax-arm's conventions: hexadecimal immediates, the preferred alias
//! where the ARM ARM defines one (`mov`, `cmp`, `lsl`, `cset`, ...), and
//! branch targets as `$+offset`.

use super::asm_text;
use crate::backend::aarch64::*;

/// Emits the instruction(s) under test.
type Build = fn(&mut Assembler);
type Case = (&'static str, Build);

/// Runs every case and reports all mismatches at once.
fn check(cases: &[Case]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|&(expected, build)| {
            let got = asm_text(build);

            (got != expected).then(|| format!("  expected {expected}\n  got      {got}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn data_processing_immediate() {
    check(&[
        ("add x0, x1, #0x1", |a| a.add_imm(X0, X1, 1)),
        ("add w3, w4, #0xfff", |a| a.add_imm(W3, W4, 0xfff)),
        ("add x0, x1, #0x5, lsl #12", |a| a.add_imm(X0, X1, 0x5000)),
        ("add w0, w1, #0xfff, lsl #12", |a| {
            a.add_imm(W0, W1, 0xfff000)
        }),
        ("add sp, sp, #0x10", |a| a.add_imm(SP, SP, 16)),
        ("mov x29, sp", |a| a.add_imm(X29, SP, 0)),
        ("adds x2, sp, #0x8", |a| a.adds_imm(X2, SP, 8)),
        ("sub sp, sp, #0x20", |a| a.sub_imm(SP, SP, 0x20)),
        ("sub x30, x0, #0x1, lsl #12", |a| a.sub_imm(X30, X0, 0x1000)),
        ("subs w0, w1, #0x7", |a| a.subs_imm(W0, W1, 7)),
        ("cmp w5, #0xff", |a| a.cmp_imm(W5, 0xff)),
        ("cmp sp, #0x0", |a| a.cmp_imm(SP, 0)),
        ("cmn x9, #0x1", |a| a.cmn_imm(X9, 1)),
        ("and w0, w1, #0xff", |a| a.and_imm(W0, W1, 0xff)),
        ("and x0, x1, #0xffff0000ffff0000", |a| {
            a.and_imm(X0, X1, 0xffff_0000_ffff_0000)
        }),
        ("and sp, x1, #0xfffffffffffffff0", |a| {
            a.and_imm(SP, X1, !0xf)
        }),
        ("orr x0, x1, #0x5555555555555555", |a| {
            a.orr_imm(X0, X1, 0x5555_5555_5555_5555)
        }),
        ("orr w2, w3, #0x80000001", |a| {
            a.orr_imm(W2, W3, 0x8000_0001)
        }),
        ("eor w2, w2, #0x80", |a| a.eor_imm(W2, W2, 0x80)),
        ("eor x2, x2, #0x8000000000000000", |a| {
            a.eor_imm(X2, X2, 1 << 63)
        }),
        ("ands w0, w0, #0x7f", |a| a.ands_imm(W0, W0, 0x7f)),
        ("tst w3, #0x80", |a| a.tst_imm(W3, 0x80)),
        ("tst x3, #0xff00", |a| a.tst_imm(X3, 0xff00)),
        ("mov x0, #0x12340000", |a| a.movz(X0, 0x1234, 16)),
        ("mov w1, #0x0", |a| a.movz(W1, 0, 0)),
        ("mov x2, #0xbeef000000000000", |a| a.movz(X2, 0xbeef, 48)),
        ("mov x0, #0xffffffffffffffff", |a| a.movn(X0, 0, 0)),
        ("mov w0, #0xedcbffff", |a| a.movn(W0, 0x1234, 16)),
        ("movk x0, #0xbeef, lsl #48", |a| a.movk(X0, 0xbeef, 48)),
        ("movk w7, #0x1", |a| a.movk(W7, 1, 0)),
        ("lsl x0, x1, #0x4", |a| a.lsl_imm(X0, X1, 4)),
        ("lsl w0, w1, #0x1f", |a| a.lsl_imm(W0, W1, 31)),
        ("lsr w2, w3, #0x8", |a| a.lsr_imm(W2, W3, 8)),
        ("lsr x2, x3, #0x3f", |a| a.lsr_imm(X2, X3, 63)),
        ("asr x4, x5, #0x3f", |a| a.asr_imm(X4, X5, 63)),
        ("asr w4, w5, #0x7", |a| a.asr_imm(W4, W5, 7)),
        ("ror w0, w1, #0x3", |a| a.ror_imm(W0, W1, 3)),
        ("ror x0, x1, #0x3f", |a| a.ror_imm(X0, X1, 63)),
        ("extr x0, x1, x2, #0x11", |a| a.extr(X0, X1, X2, 17)),
        ("extr w0, w1, w2, #0x1f", |a| a.extr(W0, W1, W2, 31)),
        ("ubfx w0, w1, #0x4, #0x4", |a| a.ubfx(W0, W1, 4, 4)),
        ("ubfx x0, x1, #0x20, #0x10", |a| a.ubfx(X0, X1, 32, 16)),
        // UBFM with imms = 63 is LSR's preferred form.
        ("lsr x0, x1, #0x20", |a| a.ubfx(X0, X1, 32, 32)),
        ("sbfx x0, x1, #0x8, #0x10", |a| a.sbfx(X0, X1, 8, 16)),
        ("bfxil w0, w1, #0x0, #0x8", |a| a.bfxil(W0, W1, 0, 8)),
        ("bfxil x0, x1, #0x3, #0x1", |a| a.bfxil(X0, X1, 3, 1)),
        ("bfi w0, w1, #0x8, #0x8", |a| a.bfi(W0, W1, 8, 8)),
        ("bfi x0, x1, #0x3f, #0x1", |a| a.bfi(X0, X1, 63, 1)),
        ("ubfiz x0, x1, #0x3, #0x8", |a| a.ubfiz(X0, X1, 3, 8)),
        ("sbfiz w0, w1, #0x1, #0x7", |a| a.sbfiz(W0, W1, 1, 7)),
        ("uxtb w0, w1", |a| a.uxtb(W0, W1)),
        ("uxth w2, w3", |a| a.uxth(W2, W3)),
        ("sxtb x0, w1", |a| a.sxtb(X0, W1)),
        ("sxtb w0, w1", |a| a.sxtb(W0, W1)),
        ("sxth x0, w1", |a| a.sxth(X0, W1)),
        ("sxth w4, w5", |a| a.sxth(W4, W5)),
        ("sxtw x0, w1", |a| a.sxtw(X0, W1)),
        ("adrp x0, $+0x1000", |a| a.adrp(X0, 1)),
        ("adrp x1, $-0x2000", |a| a.adrp(X1, -2)),
    ]);
}

#[test]
fn data_processing_register() {
    check(&[
        ("and w0, w1, w2", |a| a.and(W0, W1, W2)),
        ("and x0, x1, x2, lsl #3", |a| a.and(X0, X1, X2.lsl(3))),
        ("ands x0, x1, x2, ror #7", |a| a.ands(X0, X1, X2.ror(7))),
        ("orr w0, w1, w2, lsr #1", |a| a.orr(W0, W1, W2.lsr(1))),
        ("eor x3, x3, x4, asr #63", |a| a.eor(X3, X3, X4.asr(63))),
        ("bic w0, w1, w2", |a| a.bic(W0, W1, W2)),
        ("bics x0, x1, x2, lsl #1", |a| a.bics(X0, X1, X2.lsl(1))),
        ("orn w0, w1, w2", |a| a.orn(W0, W1, W2)),
        ("eon x0, x1, x2, lsl #4", |a| a.eon(X0, X1, X2.lsl(4))),
        ("tst w0, w1", |a| a.tst(W0, W1)),
        ("tst x0, x1, lsr #8", |a| a.tst(X0, X1.lsr(8))),
        ("mvn w0, w1", |a| a.mvn(W0, W1)),
        ("mov x0, x1", |a| a.mov(X0, X1)),
        ("mov w0, wzr", |a| a.mov(W0, WZR)),
        ("mov sp, x0", |a| a.mov(SP, X0)),
        ("mov x29, sp", |a| a.mov(X29, SP)),
        ("add x0, x1, x2", |a| a.add(X0, X1, X2)),
        ("add w0, w1, w2, lsl #3", |a| a.add(W0, W1, W2.lsl(3))),
        ("add x0, x1, w2, uxtb", |a| a.add(X0, X1, W2.uxtb(0))),
        ("add w0, w1, w2, uxth #2", |a| a.add(W0, W1, W2.uxth(2))),
        ("add x0, sp, x1", |a| a.add(X0, SP, X1)),
        // Next to SP, UXTX is printed as its preferred spelling LSL.
        ("add sp, sp, x1, lsl #4", |a| {
            a.add(SP, SP, X1.extend(Extend::Uxtx, 4))
        }),
        // The ARM ARM prefers UXTX here (neither register is SP), as GNU
        // objdump prints it; yaxpeax-arm 0.5 always prints LSL. Same word.
        ("add x0, x1, x2, lsl #4", |a| {
            a.add(X0, X1, X2.extend(Extend::Uxtx, 4))
        }),
        ("adds x0, x1, x2, asr #2", |a| a.adds(X0, X1, X2.asr(2))),
        ("sub x0, x1, w2, sxtw #3", |a| a.sub(X0, X1, W2.sxtw(3))),
        ("sub sp, sp, x1", |a| a.sub(SP, SP, X1)),
        ("sub w0, w1, w2, sxtb", |a| a.sub(W0, W1, W2.sxtb(0))),
        ("subs w0, w1, w2", |a| a.subs(W0, W1, W2)),
        ("cmp w0, w1", |a| a.cmp(W0, W1)),
        ("cmp x0, x1, lsl #8", |a| a.cmp(X0, X1.lsl(8))),
        ("cmp sp, x1", |a| a.cmp(SP, X1)),
        ("cmp w0, w1, sxth", |a| a.cmp(W0, W1.sxth(0))),
        ("cmn w0, w1", |a| a.cmn(W0, W1)),
        ("neg w0, w1", |a| a.neg(W0, W1)),
        ("negs x0, x1, lsl #2", |a| a.negs(X0, X1.lsl(2))),
        ("adc w0, w1, w2", |a| a.adc(W0, W1, W2)),
        ("adcs x0, x1, x2", |a| a.adcs(X0, X1, X2)),
        ("sbc w3, w4, w5", |a| a.sbc(W3, W4, W5)),
        ("sbcs x3, x4, x5", |a| a.sbcs(X3, X4, X5)),
        ("lsl w0, w1, w2", |a| a.lslv(W0, W1, W2)),
        ("lsr x0, x1, x2", |a| a.lsrv(X0, X1, X2)),
        ("asr w0, w1, w2", |a| a.asrv(W0, W1, W2)),
        ("ror x0, x1, x2", |a| a.rorv(X0, X1, X2)),
        ("udiv w0, w1, w2", |a| a.udiv(W0, W1, W2)),
        ("sdiv x0, x1, x2", |a| a.sdiv(X0, X1, X2)),
        ("rbit w0, w1", |a| a.rbit(W0, W1)),
        ("rbit x0, x1", |a| a.rbit(X0, X1)),
        ("rev16 w0, w1", |a| a.rev16(W0, W1)),
        ("rev16 x0, x1", |a| a.rev16(X0, X1)),
        ("rev w0, w1", |a| a.rev(W0, W1)),
        ("rev x0, x1", |a| a.rev(X0, X1)),
        ("clz w0, w1", |a| a.clz(W0, W1)),
        ("clz x0, x1", |a| a.clz(X0, X1)),
        ("cls x0, x1", |a| a.cls(X0, X1)),
        ("madd w0, w1, w2, w3", |a| a.madd(W0, W1, W2, W3)),
        ("msub x0, x1, x2, x3", |a| a.msub(X0, X1, X2, X3)),
        ("mul x0, x1, x2", |a| a.mul(X0, X1, X2)),
        ("csel w0, w1, w2, eq", |a| a.csel(W0, W1, W2, Cond::Eq)),
        ("csel x0, x1, x2, lt", |a| a.csel(X0, X1, X2, Cond::Lt)),
        ("csinc w0, w1, w2, hs", |a| a.csinc(W0, W1, W2, Cond::HS)),
        ("csinv x0, x1, x2, lo", |a| a.csinv(X0, X1, X2, Cond::LO)),
        ("csneg w0, w1, w2, vs", |a| a.csneg(W0, W1, W2, Cond::Vs)),
        ("cset w0, eq", |a| a.cset(W0, Cond::Eq)),
        ("cset x0, hi", |a| a.cset(X0, Cond::Hi)),
        ("csetm w0, mi", |a| a.csetm(W0, Cond::Mi)),
        ("cinc w0, w1, pl", |a| a.cinc(W0, W1, Cond::Pl)),
        ("cinv x0, x1, ge", |a| a.cinv(X0, X1, Cond::Ge)),
        ("cneg w0, w1, le", |a| a.cneg(W0, W1, Cond::Le)),
        ("ccmp w0, w1, #0x0, ne", |a| a.ccmp(W0, W1, 0, Cond::Ne)),
        ("ccmp x0, #0x1f, #0xf, gt", |a| {
            a.ccmp_imm(X0, 31, 15, Cond::Gt)
        }),
        ("ccmn x0, x1, #0x4, vc", |a| a.ccmn(X0, X1, 4, Cond::Vc)),
        ("ccmn w0, #0x0, #0x2, ls", |a| {
            a.ccmn_imm(W0, 0, 2, Cond::Ls)
        }),
    ]);
}

#[test]
fn loads_and_stores() {
    check(&[
        ("ldrb w0, [x19, #0x5]", |a| a.ldrb(W0, Mem::offset(X19, 5))),
        ("ldrb w0, [x1]", |a| a.ldrb(W0, Mem::base(X1))),
        ("ldrb w0, [x1, #0xfff]", |a| {
            a.ldrb(W0, Mem::offset(X1, 0xfff))
        }),
        ("ldurb w0, [x1, #-0x1]", |a| a.ldrb(W0, Mem::offset(X1, -1))),
        ("ldrsb w0, [x1, #0x2]", |a| a.ldrsb(W0, Mem::offset(X1, 2))),
        ("ldrsb x0, [x1, #0x2]", |a| a.ldrsb(X0, Mem::offset(X1, 2))),
        ("strb w2, [x3, #0x10]", |a| a.strb(W2, Mem::offset(X3, 16))),
        ("strb wzr, [sp]", |a| a.strb(WZR, Mem::base(SP))),
        ("ldrh w0, [x1, #0x6]", |a| a.ldrh(W0, Mem::offset(X1, 6))),
        ("ldrh w0, [x1, #0x1ffe]", |a| {
            a.ldrh(W0, Mem::offset(X1, 0x1ffe))
        }),
        ("ldurh w0, [x1, #0x7]", |a| a.ldrh(W0, Mem::offset(X1, 7))),
        ("ldrsh w0, [x1, #0x2]", |a| a.ldrsh(W0, Mem::offset(X1, 2))),
        ("ldrsh x0, [x1, #0x2]", |a| a.ldrsh(X0, Mem::offset(X1, 2))),
        ("strh w0, [x1, #0x2]", |a| a.strh(W0, Mem::offset(X1, 2))),
        ("ldr x0, [sp, #0x8]", |a| a.ldr(X0, Mem::offset(SP, 8))),
        ("ldr x0, [x1, #0x7ff8]", |a| {
            a.ldr(X0, Mem::offset(X1, 0x7ff8))
        }),
        ("ldr w0, [x1, #0x3ffc]", |a| {
            a.ldr(W0, Mem::offset(X1, 0x3ffc))
        }),
        ("ldur x0, [x1, #-0x8]", |a| a.ldr(X0, Mem::offset(X1, -8))),
        ("ldur w0, [x1, #0xff]", |a| a.ldr(W0, Mem::offset(X1, 255))),
        ("ldur x0, [x1, #-0x100]", |a| {
            a.ldr(X0, Mem::offset(X1, -256))
        }),
        ("ldrsw x0, [x1, #0x4]", |a| a.ldrsw(X0, Mem::offset(X1, 4))),
        ("str x0, [x1, #0x8]", |a| a.str(X0, Mem::offset(X1, 8))),
        ("str w0, [x1, #0x4]", |a| a.str(W0, Mem::offset(X1, 4))),
        ("stur w0, [x1, #-0x4]", |a| a.str(W0, Mem::offset(X1, -4))),
        ("ldr x0, [x1, #0x10]!", |a| a.ldr(X0, Mem::pre(X1, 16))),
        ("ldrb w0, [x1], #0x1", |a| a.ldrb(W0, Mem::post(X1, 1))),
        ("str x0, [sp, #-0x10]!", |a| a.str(X0, Mem::pre(SP, -16))),
        ("str x0, [sp], #-0x100", |a| a.str(X0, Mem::post(SP, -256))),
        ("strh w0, [x2, #0xff]!", |a| a.strh(W0, Mem::pre(X2, 255))),
        ("ldrb w0, [x1, x2]", |a| a.ldrb(W0, Mem::index(X1, X2))),
        ("ldr x0, [x1, x2, lsl #3]", |a| {
            a.ldr(X0, Mem::index_scaled(X1, X2))
        }),
        ("ldr w0, [x1, x2, lsl #2]", |a| {
            a.ldr(W0, Mem::index_scaled(X1, X2))
        }),
        ("ldrb w0, [x20, w1, uxtw]", |a| {
            a.ldrb(W0, Mem::index_uxtw(X20, W1))
        }),
        ("strb w0, [x20, w1, uxtw]", |a| {
            a.strb(W0, Mem::index_uxtw(X20, W1))
        }),
        ("ldrh w0, [x1, w2, sxtw #1]", |a| {
            a.ldrh(
                W0,
                Mem::Index {
                    base: X1,
                    index: W2,
                    extend: IndexExtend::Sxtw,
                    scaled: true,
                },
            )
        }),
        // yaxpeax-arm spells out the zero amount for SXTX (not for UXTW);
        // GNU objdump prints `[sp, x2, sxtx]`. Same word.
        ("ldr x0, [sp, x2, sxtx #0]", |a| {
            a.ldr(
                X0,
                Mem::Index {
                    base: SP,
                    index: X2,
                    extend: IndexExtend::Sxtx,
                    scaled: false,
                },
            )
        }),
        ("str x3, [x1, x2]", |a| a.str(X3, Mem::index(X1, X2))),
        ("stp x29, x30, [sp, #-0x10]!", |a| {
            a.stp(X29, X30, Mem::pre(SP, -16))
        }),
        ("ldp x29, x30, [sp], #0x10", |a| {
            a.ldp(X29, X30, Mem::post(SP, 16))
        }),
        ("stp x19, x20, [sp, #0x10]", |a| {
            a.stp(X19, X20, Mem::offset(SP, 16))
        }),
        ("ldp x19, x20, [sp, #0x1f8]", |a| {
            a.ldp(X19, X20, Mem::offset(SP, 504))
        }),
        ("ldp w0, w1, [x2, #-0x100]", |a| {
            a.ldp(W0, W1, Mem::offset(X2, -256))
        }),
        ("stp w0, w1, [x2, #0xfc]", |a| {
            a.stp(W0, W1, Mem::offset(X2, 252))
        }),
        ("stp xzr, xzr, [x0]", |a| a.stp(XZR, XZR, Mem::base(X0))),
    ]);
}

#[test]
fn branches_and_system() {
    check(&[
        ("b $+0x8; nop", |a| {
            let l = a.new_label();
            a.b(l);
            a.nop();
            a.bind(l);
        }),
        ("bl $+0x4", |a| {
            let l = a.new_label();
            a.bl(l);
            a.bind(l);
        }),
        ("nop; b $-0x4", |a| {
            let l = a.new_label();
            a.bind(l);
            a.nop();
            a.b(l);
        }),
        ("b.ne $+0x8; nop", |a| {
            let l = a.new_label();
            a.b_cond(Cond::Ne, l);
            a.nop();
            a.bind(l);
        }),
        ("b.ge $+0x0", |a| {
            let l = a.new_label();
            a.bind(l);
            a.b_cond(Cond::Ge, l);
        }),
        ("cbz w3, $+0x8; nop", |a| {
            let l = a.new_label();
            a.cbz(W3, l);
            a.nop();
            a.bind(l);
        }),
        ("nop; cbnz x3, $-0x4", |a| {
            let l = a.new_label();
            a.bind(l);
            a.nop();
            a.cbnz(X3, l);
        }),
        ("tbz w0, #0x3, $+0x8; nop", |a| {
            let l = a.new_label();
            a.tbz(W0, 3, l);
            a.nop();
            a.bind(l);
        }),
        ("nop; tbnz x5, #0x3f, $-0x4", |a| {
            let l = a.new_label();
            a.bind(l);
            a.nop();
            a.tbnz(X5, 63, l);
        }),
        ("tbnz w5, #0x7, $+0x4", |a| {
            let l = a.new_label();
            a.tbnz(X5, 7, l);
            a.bind(l);
        }),
        ("adr x0, $+0x8; nop", |a| {
            let l = a.new_label();
            a.adr(X0, l);
            a.nop();
            a.bind(l);
        }),
        ("nop; adr x30, $-0x4", |a| {
            let l = a.new_label();
            a.bind(l);
            a.nop();
            a.adr(X30, l);
        }),
        ("nop; b $+0x7c", |a| {
            a.nop();
            a.b_to_offset(0x80);
        }),
        ("bl $-0x1000", |a| a.bl_to_offset(-0x1000)),
        ("br x16", |a| a.br(X16)),
        ("blr x17", |a| a.blr(X17)),
        ("ret", |a| a.ret()),
        ("ret x1", |a| a.ret_to(X1)),
        ("mrs x0, s3_3_c4_c2_0", |a| a.mrs_nzcv(X0)),
        ("msr s3_3_c4_c2_0, x9", |a| a.msr_nzcv(X9)),
        ("nop", |a| a.nop()),
        ("brk #0x1", |a| a.brk(1)),
        ("brk #0xffff", |a| a.brk(0xffff)),
        ("dmb ish", |a| a.dmb(Barrier::Ish)),
        ("dmb ishld", |a| a.dmb(Barrier::IshLd)),
        ("dsb sy", |a| a.dsb(Barrier::Sy)),
        ("dsb ishst", |a| a.dsb(Barrier::IshSt)),
        ("isb", |a| a.isb()),
    ]);
}

/// Operands each form must refuse, with the error it must report.
#[test]
fn invalid_operands_are_reported() {
    use EncodeError::*;
    let oor = |value: i128, min: i128, max: i128| ImmediateOutOfRange { value, min, max };
    let cases: &[(Build, &str, EncodeError)] = &[
        (
            |a| a.add_imm(X0, X1, 0x1001),
            "add",
            Misaligned {
                value: 0x1001,
                align: 4096,
            },
        ),
        (
            |a| a.add_imm(X0, X1, 0x100_0000),
            "add",
            oor(0x100_0000, 0, 0xfff000),
        ),
        (
            |a| a.add_imm(XZR, X1, 1),
            "add",
            RegisterNotAllowed { reg: XZR },
        ),
        (
            |a| a.add_imm(X0, XZR, 1),
            "add",
            RegisterNotAllowed { reg: XZR },
        ),
        (
            |a| a.adds_imm(SP, X1, 1),
            "adds",
            RegisterNotAllowed { reg: SP },
        ),
        (
            |a| a.add_imm(X0, W1, 1),
            "add",
            WidthMismatch {
                reg: W1,
                expected: Width::X64,
            },
        ),
        (
            |a| a.and_imm(X0, X1, 0),
            "and",
            NotLogicalImmediate { value: 0 },
        ),
        (
            |a| a.orr_imm(W0, W1, 1 << 32),
            "orr",
            NotLogicalImmediate { value: 1 << 32 },
        ),
        (
            |a| a.tst_imm(X0, 0x1234),
            "tst",
            NotLogicalImmediate { value: 0x1234 },
        ),
        (
            |a| a.ands_imm(SP, X1, 1),
            "ands",
            RegisterNotAllowed { reg: SP },
        ),
        (
            |a| a.and_imm(X0, SP, 1),
            "and",
            RegisterNotAllowed { reg: SP },
        ),
        (|a| a.movz(W0, 1, 32), "movz", oor(2, 0, 1)),
        (
            |a| a.movk(X0, 1, 8),
            "movk",
            Misaligned {
                value: 8,
                align: 16,
            },
        ),
        (|a| a.movn(SP, 1, 0), "movn", RegisterNotAllowed { reg: SP }),
        (|a| a.lsl_imm(W0, W1, 32), "lsl", oor(32, 0, 31)),
        (|a| a.asr_imm(X0, X1, 64), "asr", oor(64, 0, 63)),
        (
            |a| a.lsr_imm(X0, W1, 1),
            "lsr",
            WidthMismatch {
                reg: W1,
                expected: Width::X64,
            },
        ),
        (|a| a.ror_imm(W0, W1, 32), "ror", oor(32, 0, 31)),
        (|a| a.ubfx(W0, W1, 30, 4), "ubfx", oor(4, 1, 2)),
        (|a| a.sbfx(W0, W1, 0, 0), "sbfx", oor(0, 1, 32)),
        (|a| a.bfi(X0, X1, 64, 1), "bfi", oor(64, 0, 63)),
        (
            |a| a.uxtb(X0, W1),
            "uxtb",
            WidthMismatch {
                reg: X0,
                expected: Width::W32,
            },
        ),
        (
            |a| a.sxtb(X0, X1),
            "sxtb",
            WidthMismatch {
                reg: X1,
                expected: Width::W32,
            },
        ),
        (
            |a| a.sxtw(W0, W1),
            "sxtw",
            WidthMismatch {
                reg: W0,
                expected: Width::X64,
            },
        ),
        (
            |a| a.adrp(X0, 1 << 20),
            "adrp",
            BranchOutOfRange {
                delta: 1 << 20,
                min: -(1 << 20),
                max: (1 << 20) - 1,
            },
        ),
        (
            |a| a.adrp(W0, 0),
            "adrp",
            WidthMismatch {
                reg: W0,
                expected: Width::X64,
            },
        ),
        (|a| a.orr(SP, X1, X2), "orr", RegisterNotAllowed { reg: SP }),
        (|a| a.and(X0, X1, W2.uxtb(0)), "and", InvalidOperand),
        (|a| a.add(X0, X1, X2.ror(1)), "add", InvalidOperand),
        (|a| a.add(X0, X1, X2.lsl(64)), "add", oor(64, 0, 63)),
        (|a| a.eor(W0, W1, W2.lsl(32)), "eor", oor(32, 0, 31)),
        (|a| a.add(X0, X1, W2.uxtb(5)), "add", oor(5, 0, 4)),
        (
            |a| a.add(X0, X1, X2.uxtb(0)),
            "add",
            WidthMismatch {
                reg: X2,
                expected: Width::W32,
            },
        ),
        (
            |a| a.add(W0, W1, X2),
            "add",
            WidthMismatch {
                reg: X2,
                expected: Width::W32,
            },
        ),
        (
            |a| a.add(XZR, SP, X1),
            "add",
            RegisterNotAllowed { reg: XZR },
        ),
        (|a| a.neg(SP, X1), "neg", RegisterNotAllowed { reg: XZR }),
        (|a| a.mov(SP, XZR), "mov", RegisterNotAllowed { reg: XZR }),
        (
            |a| a.adc(X0, X1, W2),
            "adc",
            WidthMismatch {
                reg: W2,
                expected: Width::X64,
            },
        ),
        (|a| a.mul(X0, X1, SP), "mul", RegisterNotAllowed { reg: SP }),
        (
            |a| a.rev(W0, X1),
            "rev",
            WidthMismatch {
                reg: X1,
                expected: Width::W32,
            },
        ),
        (
            |a| a.cset(W0, Cond::Al),
            "cset",
            InvalidCondition { cond: Cond::Al },
        ),
        (
            |a| a.cinc(W0, W1, Cond::Nv),
            "cinc",
            InvalidCondition { cond: Cond::Nv },
        ),
        (|a| a.ccmp_imm(W0, 32, 0, Cond::Eq), "ccmp", oor(32, 0, 31)),
        (|a| a.ccmn(W0, W1, 16, Cond::Eq), "ccmn", oor(16, 0, 15)),
        (
            |a| a.ldrb(X0, Mem::base(X1)),
            "ldrb",
            WidthMismatch {
                reg: X0,
                expected: Width::W32,
            },
        ),
        (
            |a| a.ldrsw(W0, Mem::base(X1)),
            "ldrsw",
            WidthMismatch {
                reg: W0,
                expected: Width::X64,
            },
        ),
        (
            |a| a.ldr(X0, Mem::offset(X1, 0x8000)),
            "ldr",
            oor(0x8000, -256, 0x7ff8),
        ),
        (
            |a| a.ldr(X0, Mem::offset(X1, 257)),
            "ldr",
            Misaligned {
                value: 257,
                align: 8,
            },
        ),
        (
            |a| a.ldr(X0, Mem::offset(X1, -257)),
            "ldr",
            oor(-257, -256, 0x7ff8),
        ),
        (
            |a| a.ldr(X0, Mem::base(W1)),
            "ldr",
            WidthMismatch {
                reg: W1,
                expected: Width::X64,
            },
        ),
        (
            |a| a.ldr(X0, Mem::base(XZR)),
            "ldr",
            RegisterNotAllowed { reg: XZR },
        ),
        (
            |a| a.ldr(SP, Mem::base(X1)),
            "ldr",
            RegisterNotAllowed { reg: SP },
        ),
        (|a| a.ldr(X0, Mem::pre(X0, 8)), "ldr", Unpredictable),
        (|a| a.str(W1, Mem::post(X1, 8)), "str", Unpredictable),
        (|a| a.ldr(X0, Mem::pre(X1, 256)), "ldr", oor(256, -256, 255)),
        (
            |a| a.ldr(X0, Mem::index(X1, W2)),
            "ldr",
            WidthMismatch {
                reg: W2,
                expected: Width::X64,
            },
        ),
        (
            |a| a.ldr(X0, Mem::index_uxtw(X1, X2)),
            "ldr",
            WidthMismatch {
                reg: X2,
                expected: Width::W32,
            },
        ),
        (
            |a| a.ldr(X0, Mem::index(X1, SP)),
            "ldr",
            RegisterNotAllowed { reg: SP },
        ),
        (|a| a.ldp(X0, X0, Mem::base(SP)), "ldp", Unpredictable),
        (|a| a.stp(X0, X1, Mem::pre(X0, -16)), "stp", Unpredictable),
        (|a| a.ldp(X0, X1, Mem::post(X1, 16)), "ldp", Unpredictable),
        (
            |a| a.ldp(X0, X1, Mem::offset(SP, 4)),
            "ldp",
            Misaligned { value: 4, align: 8 },
        ),
        (
            |a| a.stp(X0, X1, Mem::offset(SP, 512)),
            "stp",
            oor(512, -512, 504),
        ),
        (
            |a| a.stp(W0, W1, Mem::offset(SP, -260)),
            "stp",
            oor(-260, -256, 252),
        ),
        (|a| a.ldp(X0, X1, Mem::index(SP, X2)), "ldp", InvalidOperand),
        (
            |a| a.ldp(X0, W1, Mem::base(SP)),
            "ldp",
            WidthMismatch {
                reg: W1,
                expected: Width::X64,
            },
        ),
        (|a| a.br(XZR), "br", RegisterNotAllowed { reg: XZR }),
        (
            |a| a.blr(W0),
            "blr",
            WidthMismatch {
                reg: W0,
                expected: Width::X64,
            },
        ),
        (|a| a.ret_to(SP), "ret", RegisterNotAllowed { reg: SP }),
        (
            |a| a.mrs_nzcv(W0),
            "mrs",
            WidthMismatch {
                reg: W0,
                expected: Width::X64,
            },
        ),
        (|a| a.msr_nzcv(SP), "msr", RegisterNotAllowed { reg: SP }),
        (
            |a| {
                let l = a.new_label();
                a.cbz(SP, l)
            },
            "cbz",
            RegisterNotAllowed { reg: SP },
        ),
        (
            |a| {
                let l = a.new_label();
                a.tbz(W0, 32, l)
            },
            "tbz",
            oor(32, 0, 31),
        ),
        (
            |a| {
                let l = a.new_label();
                a.tbnz(X0, 64, l)
            },
            "tbnz",
            oor(64, 0, 63),
        ),
        (
            |a| {
                let l = a.new_label();
                a.adr(W0, l)
            },
            "adr",
            WidthMismatch {
                reg: W0,
                expected: Width::X64,
            },
        ),
    ];
    let mut failures = Vec::new();
    for (i, &(build, mnemonic, expected)) in cases.iter().enumerate() {
        let mut a = Assembler::new();
        a.nop();
        build(&mut a);
        a.nop();
        // The failing instruction keeps its slot, so later offsets hold.
        if a.offset() != 12 {
            failures.push(format!(
                "case {i} ({mnemonic}): {} bytes emitted",
                a.offset()
            ));
        }
        match a.finish() {
            Ok(words) => failures.push(format!(
                "case {i} ({mnemonic}): accepted as {:#010x}",
                words[1]
            )),
            Err(error)
                if (error.offset, error.mnemonic, error.error) == (4, mnemonic, expected) => {}
            Err(error) => failures.push(format!(
                "case {i} ({mnemonic}): expected {expected:?}, got {error:?}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
