//! Both code generators compile every Z80 instruction the lifter lifts,
//! alone in a block, with its operands compiled in and read from guest
//! memory at run time, with and without the IR passes. An instruction that
//! needs more temporaries than a backend has is otherwise left to the
//! interpreter, and every block holding it is cut short, with nothing
//! failing. Runs on any host.

use retrojit_core::bus::MappedMemory;
use retrojit_translator::backend::shape::MemoryShape;
use retrojit_translator::backend::{CodegenConfig, aarch64, x86_64};
use retrojit_translator::lift::Rewrites;
use retrojit_translator::lift::z80::{LiftConfig, lift};
use retrojit_translator::opt::optimize;
use std::collections::HashSet;

/// Every opcode of every table, with operand bytes after it.
fn encodings() -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    for op in 0..=255u8 {
        all.push(vec![op, 0x34, 0x12]);
        all.push(vec![0xCB, op]);
        all.push(vec![0xED, op, 0x34, 0x12]);
        for prefix in [0xDD, 0xFD] {
            all.push(vec![prefix, op, 0x05, 0x12]);
            all.push(vec![prefix, 0xCB, 0x05, op]);
        }
    }
    all
}

#[test]
fn every_lifted_instruction_compiles_alone() {
    const PC: u16 = 0x8000;
    let mut compiled = HashSet::new();
    for bytes in encodings() {
        let mut memory = MappedMemory::flat_ram();
        for (at, &b) in (PC..).zip(&bytes) {
            assert!(memory.write(at, b));
        }
        let shape = MemoryShape::of(&memory);
        let config = LiftConfig {
            max_instructions: 1,
            ..LiftConfig::default()
        };
        for rewrites in [Rewrites::Never, Rewrites::Operand] {
            let Some(lifted) = lift(&memory, PC, &config, &|_| rewrites) else {
                continue;
            };
            for optimized in [false, true] {
                let mut block = lifted.clone();
                if optimized {
                    optimize(&mut block, shape);
                }
                for link in [false, true] {
                    let codegen = CodegenConfig {
                        stop_on_trap: false,
                        link,
                    };
                    let context = |e| format!("{bytes:02X?}: {e}\n{block}");
                    aarch64::mos6502::emit_block(&block, &memory, shape, codegen)
                        .unwrap_or_else(|e| panic!("AArch64, {}", context(e)));
                    x86_64::mos6502::emit_block(&block, &memory, shape, codegen)
                        .unwrap_or_else(|e| panic!("x86-64, {}", context(e)));
                }
            }
            compiled.insert(bytes.clone());
        }
    }
    // The ones whose temporaries once ran out on x86-64.
    for bytes in [
        &[0xD9, 0x34, 0x12][..],
        &[0xDD, 0xD9, 0x05, 0x12],
        &[0xE3, 0x34, 0x12],
        &[0xDD, 0xE3, 0x05, 0x12],
        &[0xED, 0x67, 0x34, 0x12],
        &[0xED, 0x6F, 0x34, 0x12],
    ] {
        assert!(compiled.contains(bytes), "{bytes:02X?} was not lifted");
    }
    assert!(compiled.len() > 1500, "only {} compiled", compiled.len());
}
