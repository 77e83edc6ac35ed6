//! Both code generators accept every block the lifter produces: blocks
//! lifted from every address of random code (with and without the IR
//! passes, with and without linking) must compile; every AArch64 word must
//! decode as an A64 instruction, and x86-64 code must decode as a gapless
//! instruction stream whose exit slots are `jmp rel32` with 4-aligned
//! displacements. Runs on any host.

mod common;

use common::{TestBus, random_program};
use retrojit_core::cpu::mos6502::Variant;
use retrojit_translator::backend::shape::MemoryShape;
use retrojit_translator::backend::{CodegenConfig, Emitted, aarch64, x86_64};
use retrojit_translator::lift::mos6502::{LiftConfig, lift};
use retrojit_translator::opt::optimize;

#[test]
fn every_lifted_block_compiles_to_decodable_code() {
    let mut compiled = 0;
    for seed in 1..=40u64 {
        let mut rng = seed.wrapping_mul(0xA076_1D64_78BD_642F);
        let mut bus = TestBus::randomized(&mut rng);
        let base = [0x0200, 0x50C0, 0xF100][(seed % 3) as usize];
        random_program(&mut rng, &mut bus, base);
        let variant = if seed % 2 == 0 {
            Variant::Nmos
        } else {
            Variant::Ricoh2A03
        };
        for pc in base..base + 0x100 {
            for (optimized, decimal) in [(false, false), (true, false), (true, true)] {
                let config = LiftConfig {
                    variant,
                    ..LiftConfig::default()
                };
                let Some(mut block) = lift(&bus.memory, pc, decimal, &config) else {
                    continue;
                };
                let shape = MemoryShape::of(&bus.memory);
                if optimized {
                    optimize(&mut block, shape);
                }
                for link in [false, true] {
                    let codegen = CodegenConfig {
                        stop_on_trap: seed % 3 == 0,
                        link,
                    };
                    let emitted = aarch64::mos6502::emit_block(&block, &bus.memory, shape, codegen)
                        .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{block}"));
                    for word in emitted.code.chunks_exact(4) {
                        let word = u32::from_le_bytes(word.try_into().unwrap());
                        let text = aarch64::disasm::disasm(word);
                        assert!(!text.starts_with('<'), "seed {seed}: {text}\n{block}");
                    }
                    let emitted = x86_64::mos6502::emit_block(&block, &bus.memory, shape, codegen)
                        .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{block}"));
                    check_x86_64(&emitted, &format!("seed {seed}\n{block}"));
                    compiled += 1;
                }
            }
        }
    }
    assert!(compiled > 10_000, "only {compiled} blocks compiled");
}

/// The x86-64 code decodes instruction by instruction to its last byte,
/// and every exit slot and epilogue branch is the displacement of a
/// `jmp rel32` that starts an instruction.
fn check_x86_64(emitted: &Emitted, context: &str) {
    let decoded = x86_64::disasm::decode(&emitted.code, 0);
    assert!(
        decoded.iter().all(|(_, _, text)| text != "<invalid>"),
        "{context}\n{}",
        x86_64::disasm::listing(&emitted.code, 0).join("\n")
    );
    let starts: std::collections::HashSet<u64> = decoded.iter().map(|(ip, _, _)| *ip).collect();
    let jumps = emitted
        .exits
        .iter()
        .map(|e| e.at)
        .chain(emitted.epilogue_branches.iter().copied());
    for at in jumps {
        assert!(starts.contains(&(u64::from(at) - 1)), "{context}: {at}");
        assert_eq!(emitted.code[at as usize - 1], 0xE9, "{context}: {at}");
    }
    for exit in &emitted.exits {
        assert_eq!(exit.at % 4, 0, "{context}: slot {}", exit.at);
    }
}
