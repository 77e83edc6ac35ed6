//! The AArch64 code generator accepts every block the lifter produces:
//! blocks lifted from every address of random code (with and without the
//! IR passes, with and without linking) must compile, and every emitted
//! word must decode as an A64 instruction. Runs on any host.

mod common;

use common::{TestBus, random_program};
use retrojit_core::cpu::mos6502::Variant;
use retrojit_translator::backend::aarch64::disasm::disasm;
use retrojit_translator::backend::aarch64::mos6502::{CodegenConfig, emit_block};
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
                if optimized {
                    optimize(&mut block);
                }
                for link in [false, true] {
                    let codegen = CodegenConfig {
                        stop_on_trap: seed % 3 == 0,
                        link,
                    };
                    let emitted = emit_block(&block, &bus.memory, codegen)
                        .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{block}"));
                    for &word in &emitted.words {
                        let text = disasm(word);
                        assert!(!text.starts_with('<'), "seed {seed}: {text}\n{block}");
                    }
                    compiled += 1;
                }
            }
        }
    }
    assert!(compiled > 10_000, "only {compiled} blocks compiled");
}
