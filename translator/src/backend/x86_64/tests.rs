//! Every encoder form, over every register and the addressing corner cases
//! (RSP/R12 bases need a SIB byte, RBP/R13 bases a displacement, REX for
//! SPL..DIL and R8..R15), decoded back by iced-x86 and compared field by
//! field with what was asked for.

use super::*;
use iced_x86::{Code, Decoder, DecoderOptions, Instruction, OpKind, Register};

const ALL: [Reg; 16] = [
    Reg::RAX,
    Reg::RCX,
    Reg::RDX,
    Reg::RBX,
    Reg::RSP,
    Reg::RBP,
    Reg::RSI,
    Reg::RDI,
    Reg::R8,
    Reg::R9,
    Reg::R10,
    Reg::R11,
    Reg::R12,
    Reg::R13,
    Reg::R14,
    Reg::R15,
];

fn r64(r: Reg) -> Register {
    [
        Register::RAX,
        Register::RCX,
        Register::RDX,
        Register::RBX,
        Register::RSP,
        Register::RBP,
        Register::RSI,
        Register::RDI,
        Register::R8,
        Register::R9,
        Register::R10,
        Register::R11,
        Register::R12,
        Register::R13,
        Register::R14,
        Register::R15,
    ][usize::from(r.number())]
}

fn r32(r: Reg) -> Register {
    [
        Register::EAX,
        Register::ECX,
        Register::EDX,
        Register::EBX,
        Register::ESP,
        Register::EBP,
        Register::ESI,
        Register::EDI,
        Register::R8D,
        Register::R9D,
        Register::R10D,
        Register::R11D,
        Register::R12D,
        Register::R13D,
        Register::R14D,
        Register::R15D,
    ][usize::from(r.number())]
}

fn r16(r: Reg) -> Register {
    [
        Register::AX,
        Register::CX,
        Register::DX,
        Register::BX,
        Register::SP,
        Register::BP,
        Register::SI,
        Register::DI,
        Register::R8W,
        Register::R9W,
        Register::R10W,
        Register::R11W,
        Register::R12W,
        Register::R13W,
        Register::R14W,
        Register::R15W,
    ][usize::from(r.number())]
}

fn r8(r: Reg) -> Register {
    [
        Register::AL,
        Register::CL,
        Register::DL,
        Register::BL,
        Register::SPL,
        Register::BPL,
        Register::SIL,
        Register::DIL,
        Register::R8L,
        Register::R9L,
        Register::R10L,
        Register::R11L,
        Register::R12L,
        Register::R13L,
        Register::R14L,
        Register::R15L,
    ][usize::from(r.number())]
}

/// Encodes one instruction and decodes it back (it must use every byte).
fn one(emit: impl FnOnce(&mut Assembler)) -> Instruction {
    let mut a = Assembler::new();
    emit(&mut a);
    let code = a.finish().expect("no labels");
    let mut decoder = Decoder::new(64, &code, DecoderOptions::NONE);
    let inst = decoder.decode();
    assert!(!inst.is_invalid(), "{code:02x?} does not decode");
    assert_eq!(inst.len(), code.len(), "{code:02x?} decodes as {inst}");
    inst
}

/// Memory operands covering the encoding corner cases.
fn memories() -> Vec<Mem> {
    let mut out = Vec::new();
    for base in ALL {
        for disp in [0, 8, -128, 127, 128, 0x1234, -0x8000_0000] {
            out.push(Mem::base(base, disp));
        }
        for index in ALL.into_iter().filter(|&r| r != Reg::RSP) {
            for scale in [1, 4] {
                out.push(Mem::index(
                    base,
                    index,
                    scale,
                    if scale == 1 { 0 } else { 0x44 },
                ));
            }
        }
    }
    out
}

fn assert_mem(inst: &Instruction, operand: u32, m: Mem) {
    assert_eq!(inst.op_kind(operand), OpKind::Memory, "{inst}");
    let (base, index, disp) = m.parts();
    assert_eq!(inst.memory_base(), r64(base), "{inst}");
    match index {
        Some((i, scale)) => {
            assert_eq!(inst.memory_index(), r64(i), "{inst}");
            assert_eq!(inst.memory_index_scale(), u32::from(scale), "{inst}");
        }
        None => assert_eq!(inst.memory_index(), Register::None, "{inst}"),
    }
    assert_eq!(
        inst.memory_displacement64() as i64,
        i64::from(disp),
        "{inst}"
    );
}

#[test]
fn register_moves() {
    for d in ALL {
        for s in ALL {
            let i = one(|a| a.mov32(d, s));
            assert_eq!(
                (i.code(), i.op0_register(), i.op1_register()),
                (Code::Mov_rm32_r32, r32(d), r32(s))
            );
            let i = one(|a| a.mov64(d, s));
            assert_eq!(
                (i.code(), i.op0_register(), i.op1_register()),
                (Code::Mov_rm64_r64, r64(d), r64(s))
            );
            let i = one(|a| a.mov8(d, s));
            assert_eq!(
                (i.code(), i.op0_register(), i.op1_register()),
                (Code::Mov_rm8_r8, r8(d), r8(s))
            );
            let i = one(|a| a.movzx8(d, s));
            assert_eq!(
                (i.code(), i.op0_register(), i.op1_register()),
                (Code::Movzx_r32_rm8, r32(d), r8(s))
            );
            let i = one(|a| a.movzx16(d, s));
            assert_eq!(
                (i.code(), i.op0_register(), i.op1_register()),
                (Code::Movzx_r32_rm16, r32(d), r16(s))
            );
            let i = one(|a| a.test32(d, s));
            assert_eq!(
                (i.code(), i.op0_register(), i.op1_register()),
                (Code::Test_rm32_r32, r32(d), r32(s))
            );
            let i = one(|a| a.bt32(d, s));
            assert_eq!(
                (i.code(), i.op0_register(), i.op1_register()),
                (Code::Bt_rm32_r32, r32(d), r32(s))
            );
        }
        for imm in [0, 1, 0x7F, 0x80, 0xFFFF_FFFF, 0x1234_5678] {
            let i = one(|a| a.mov_imm32(d, imm));
            assert_eq!(
                (i.code(), i.op0_register(), i.immediate32()),
                (Code::Mov_r32_imm32, r32(d), imm)
            );
        }
        let i = one(|a| a.mov8_imm(d, 0xA5));
        assert_eq!(
            (i.code(), i.op0_register(), i.immediate8()),
            (Code::Mov_r8_imm8, r8(d), 0xA5)
        );
        let i = one(|a| a.not32(d));
        assert_eq!((i.code(), i.op0_register()), (Code::Not_rm32, r32(d)));
        let i = one(|a| a.test8_imm(d, 0x80));
        assert_eq!(
            (i.code(), i.op0_register(), i.immediate8()),
            (Code::Test_rm8_imm8, r8(d), 0x80)
        );
        let i = one(|a| a.setcc(Cond::E, d));
        assert_eq!((i.code(), i.op0_register()), (Code::Sete_rm8, r8(d)));
        let i = one(|a| a.jmp_reg(d));
        assert_eq!((i.code(), i.op0_register()), (Code::Jmp_rm64, r64(d)));
        let i = one(|a| a.push(d));
        assert_eq!((i.code(), i.op0_register()), (Code::Push_r64, r64(d)));
        let i = one(|a| a.pop(d));
        assert_eq!((i.code(), i.op0_register()), (Code::Pop_r64, r64(d)));
    }
}

#[test]
fn loads_stores_and_lea() {
    for m in memories() {
        for r in ALL {
            let i = one(|a| a.load32(r, m));
            assert_eq!((i.code(), i.op0_register()), (Code::Mov_r32_rm32, r32(r)));
            assert_mem(&i, 1, m);
            let i = one(|a| a.load64(r, m));
            assert_eq!((i.code(), i.op0_register()), (Code::Mov_r64_rm64, r64(r)));
            assert_mem(&i, 1, m);
            let i = one(|a| a.load8(r, m));
            assert_eq!((i.code(), i.op0_register()), (Code::Movzx_r32_rm8, r32(r)));
            assert_mem(&i, 1, m);
            let i = one(|a| a.store32(m, r));
            assert_eq!((i.code(), i.op1_register()), (Code::Mov_rm32_r32, r32(r)));
            assert_mem(&i, 0, m);
            let i = one(|a| a.store64(m, r));
            assert_eq!((i.code(), i.op1_register()), (Code::Mov_rm64_r64, r64(r)));
            assert_mem(&i, 0, m);
            let i = one(|a| a.store8(m, r));
            assert_eq!((i.code(), i.op1_register()), (Code::Mov_rm8_r8, r8(r)));
            assert_mem(&i, 0, m);
            let i = one(|a| a.lea64(r, m));
            assert_eq!((i.code(), i.op0_register()), (Code::Lea_r64_m, r64(r)));
            assert_mem(&i, 1, m);
        }
        let i = one(|a| a.store32_imm(m, 0xDEAD_BEEF));
        assert_eq!(
            (i.code(), i.immediate32()),
            (Code::Mov_rm32_imm32, 0xDEAD_BEEF)
        );
        assert_mem(&i, 0, m);
        let i = one(|a| a.store8_imm(m, 0x42));
        assert_eq!((i.code(), i.immediate8()), (Code::Mov_rm8_imm8, 0x42));
        assert_mem(&i, 0, m);
        let i = one(|a| a.cmp8_mem(m, 0x7F));
        assert_eq!((i.code(), i.immediate8()), (Code::Cmp_rm8_imm8, 0x7F));
        assert_mem(&i, 0, m);
        let i = one(|a| a.test8_mem(m, 0x81));
        assert_eq!((i.code(), i.immediate8()), (Code::Test_rm8_imm8, 0x81));
        assert_mem(&i, 0, m);
        let i = one(|a| a.call_mem(m));
        assert_eq!(i.code(), Code::Call_rm64);
        assert_mem(&i, 0, m);
        for imm in [1, -1, 0x1000, i32::MIN] {
            let i = one(|a| a.alu64_mem_imm(Alu::Add, m, imm));
            assert!(
                matches!(i.code(), Code::Add_rm64_imm8 | Code::Add_rm64_imm32),
                "{i}"
            );
            assert_eq!(i.immediate(1) as i64, i64::from(imm), "{i}");
            assert_mem(&i, 0, m);
            let i = one(|a| a.alu32_mem_imm(Alu::Add, m, imm));
            assert!(
                matches!(i.code(), Code::Add_rm32_imm8 | Code::Add_rm32_imm32),
                "{i}"
            );
            assert_eq!(i.immediate(1) as i32, imm, "{i}");
            assert_mem(&i, 0, m);
        }
    }
}

#[test]
fn alu_forms() {
    let ops = [
        (Alu::Add, iced_x86::Mnemonic::Add),
        (Alu::Or, iced_x86::Mnemonic::Or),
        (Alu::Sbb, iced_x86::Mnemonic::Sbb),
        (Alu::And, iced_x86::Mnemonic::And),
        (Alu::Sub, iced_x86::Mnemonic::Sub),
        (Alu::Xor, iced_x86::Mnemonic::Xor),
        (Alu::Cmp, iced_x86::Mnemonic::Cmp),
    ];
    for (op, mnemonic) in ops {
        for d in ALL {
            for s in ALL {
                let i = one(|a| a.alu32(op, d, Src::Reg(s)));
                assert_eq!(
                    (i.mnemonic(), i.op0_register(), i.op1_register()),
                    (mnemonic, r32(d), r32(s))
                );
                let i = one(|a| a.alu64(op, d, Src::Reg(s)));
                assert_eq!(
                    (i.mnemonic(), i.op0_register(), i.op1_register()),
                    (mnemonic, r64(d), r64(s))
                );
            }
            for imm in [
                0u32,
                1,
                0x7F,
                0x80,
                0xFF,
                0xFFFF_FF80,
                0xFFFF_FFFF,
                0x1_0000,
            ] {
                let i = one(|a| a.alu32(op, d, Src::Imm(imm)));
                assert_eq!((i.mnemonic(), i.op0_register()), (mnemonic, r32(d)), "{i}");
                assert_eq!(i.immediate(1) as u32, imm, "{i}");
                let i = one(|a| a.alu64(op, d, Src::Imm(imm)));
                assert_eq!((i.mnemonic(), i.op0_register()), (mnemonic, r64(d)), "{i}");
                assert_eq!(i.immediate(1) as i64, i64::from(imm as i32), "{i}");
            }
            for m in [
                Mem::base(Reg::RBX, 0x28),
                Mem::index(Reg::R13, Reg::R12, 4, -4),
            ] {
                let i = one(|a| a.alu32(op, d, Src::Mem(m)));
                assert_eq!((i.mnemonic(), i.op0_register()), (mnemonic, r32(d)), "{i}");
                assert_mem(&i, 1, m);
                let i = one(|a| a.alu64(op, d, Src::Mem(m)));
                assert_eq!((i.mnemonic(), i.op0_register()), (mnemonic, r64(d)), "{i}");
                assert_mem(&i, 1, m);
            }
        }
    }
}

#[test]
fn shifts() {
    for d in ALL {
        for (kind, imm_code, cl_code) in [
            (Shift::Shl, Code::Shl_rm32_imm8, Code::Shl_rm32_CL),
            (Shift::Shr, Code::Shr_rm32_imm8, Code::Shr_rm32_CL),
        ] {
            for n in [0, 1, 7, 31] {
                let i = one(|a| a.shift32_imm(kind, d, n));
                assert_eq!(
                    (i.code(), i.op0_register(), i.immediate8()),
                    (imm_code, r32(d), n)
                );
            }
            let i = one(|a| a.shift32_cl(kind, d));
            assert_eq!((i.code(), i.op0_register()), (cl_code, r32(d)));
        }
    }
}

#[test]
fn jumps_reach_their_labels() {
    let mut a = Assembler::new();
    let back = a.new_label();
    let forward = a.new_label();
    a.bind(back);
    a.ret();
    a.jcc(Cond::Ne, forward);
    a.jcc(Cond::A, back);
    a.jmp(forward);
    a.jmp(back);
    let slot = a.jmp_placeholder();
    a.align_with_nops(16, 0);
    a.bind(forward);
    a.ret();
    let code = a.finish().unwrap();
    let decoded = disasm::decode(&code, 0);
    let targets: Vec<(Code, u64)> = {
        let mut decoder = Decoder::new(64, &code, DecoderOptions::NONE);
        decoder
            .iter()
            .filter(|i| {
                matches!(
                    i.code(),
                    Code::Jne_rel32_64 | Code::Ja_rel32_64 | Code::Jmp_rel32_64
                )
            })
            .map(|i| (i.code(), i.near_branch_target()))
            .collect()
    };
    let end = code.len() as u64 - 1;
    assert_eq!(
        targets,
        vec![
            (Code::Jne_rel32_64, end),
            (Code::Ja_rel32_64, 0),
            (Code::Jmp_rel32_64, end),
            (Code::Jmp_rel32_64, 0),
            (Code::Jmp_rel32_64, slot as u64 + 4),
        ]
    );
    assert_eq!(code[slot - 1], 0xE9);
    assert_eq!(end % 16, 0, "aligned label");
    assert!(decoded.iter().all(|(_, _, text)| !text.contains("invalid")));
}

#[test]
fn nop_padding_aligns_and_decodes_as_nops() {
    for start in 0..8 {
        let mut a = Assembler::new();
        for _ in 0..start {
            a.ret();
        }
        a.align_with_nops(4, 1);
        let at = a.jmp_placeholder();
        assert_eq!(at % 4, 0, "start {start}");
        let code = a.finish().unwrap();
        let padding = disasm::decode(&code[start..at - 1], start as u64);
        assert!(padding.len() <= 1, "{padding:?}");
        for (_, _, text) in &padding {
            // iced-x86 prints the 2-byte `66 90` NOP as `xchg ax,ax`.
            assert!(text.starts_with("nop") || text == "xchg ax,ax", "{text}");
        }
    }
}

#[test]
#[should_panic(expected = "RSP cannot be an index")]
fn rsp_is_refused_as_an_index() {
    Mem::index(Reg::RAX, Reg::RSP, 1, 0);
}
