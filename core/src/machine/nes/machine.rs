//! The NES as a [`Machine`]: a 2A03 running on an engine, and its bus.

use super::bus::NesBus;
use super::ines::{Cartridge, InesError};
use super::mapper::MapperError;
use super::ppu::Ppu;
use crate::cpu::mos6502::{Cpu, Variant};
use crate::engine::{Engine6502, RunLimits, StopReason};
use crate::machine::state::{self, StateError, fnv1a64};
use crate::machine::{FrameReport, InputState, Machine, MachineError};
use serde::{Deserialize, Serialize};

/// NTSC frame rate: the CPU clock over 29780.5 cycles a frame.
pub const FRAME_RATE: f64 = 1_789_772.727_272_727_3 / 29_780.5;

/// The save-state machine id.
const STATE_ID: &str = "nes";

/// Why a cartridge could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum NesError {
    /// The file is not a usable iNES image.
    #[error(transparent)]
    Image(#[from] InesError),
    /// The board is not emulated.
    #[error(transparent)]
    Mapper(#[from] MapperError),
}

/// What a save state holds: the CPU and everything on its bus.
#[derive(Serialize, Deserialize)]
struct Snapshot {
    cpu: Cpu,
    bus: NesBus,
}

/// An NTSC NES with a cartridge inserted, executing on engine `E`.
#[derive(Debug)]
pub struct Nes<E> {
    cpu: Cpu,
    bus: NesBus,
    engine: E,
    /// Hash of the iNES file: save states must match it.
    program: u64,
    battery: bool,
    sample_rate: u32,
    rgba: Vec<u8>,
    instructions: u64,
}

impl<E: Engine6502<NesBus>> Nes<E> {
    /// Powers on a console with the iNES image `file` inserted.
    pub fn new(file: &[u8], engine: E, sample_rate: u32) -> Result<Self, NesError> {
        let cart = Cartridge::parse(file)?;
        let mut bus = NesBus::new(&cart, sample_rate)?;
        let mut cpu = Cpu::new(Variant::Ricoh2A03);
        cpu.reset(&mut bus);
        Ok(Self {
            cpu,
            bus,
            engine,
            program: fnv1a64(file),
            battery: cart.battery,
            sample_rate,
            rgba: vec![0; Ppu::WIDTH * Ppu::HEIGHT * 4],
            instructions: 0,
        })
    }

    /// Loads battery-backed RAM saved by an earlier session.
    pub fn load_battery(&mut self, data: &[u8]) {
        self.bus.load_prg_ram(data);
        self.engine.forget_code();
    }

    /// The CPU.
    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }

    /// The bus and its devices.
    pub fn bus(&self) -> &NesBus {
        &self.bus
    }

    /// The engine.
    pub fn engine(&self) -> &E {
        &self.engine
    }

    /// The engine, writable (debug output, statistics).
    pub fn engine_mut(&mut self) -> &mut E {
        &mut self.engine
    }

    /// Runs for about `cycles` CPU cycles: the engine counts CPU cycles,
    /// the bus also DMA stalls, so the caller loops on the bus clock.
    fn run_slice(&mut self, cycles: u64) -> Result<u64, MachineError> {
        let limits = RunLimits {
            max_cycles: self.cpu.regs.cycles + cycles.max(1),
            stop_at: None,
            stop_on_trap: false,
        };
        let outcome = self.engine.run(&mut self.cpu, &mut self.bus, &limits);
        self.instructions += outcome.instructions;
        match outcome.reason {
            StopReason::Jammed { opcode, pc } => Err(MachineError::Jammed { opcode, pc }),
            StopReason::Diverged { pc } => Err(MachineError::Diverged { pc }),
            StopReason::CycleLimit | StopReason::Trap { .. } | StopReason::ReachedStop { .. } => {
                Ok(outcome.instructions)
            }
        }
    }
}

impl<E: Engine6502<NesBus>> Machine for Nes<E> {
    fn name(&self) -> &'static str {
        "NES"
    }

    fn frame_rate(&self) -> f64 {
        FRAME_RATE
    }

    fn screen_size(&self) -> (u32, u32) {
        (Ppu::WIDTH as u32, Ppu::HEIGHT as u32)
    }

    fn run_frame(&mut self) -> Result<FrameReport, MachineError> {
        let frame = self.bus.ppu().frame_count();
        let start = self.bus.clock();
        let mut instructions = 0;
        while self.bus.ppu().frame_count() == frame {
            instructions += self.run_slice(self.bus.cycles_until_vblank())?;
        }
        self.bus.ppu().render_rgba(&mut self.rgba);
        Ok(FrameReport {
            cycles: self.bus.clock() - start,
            instructions,
        })
    }

    fn framebuffer(&self) -> &[u8] {
        &self.rgba
    }

    fn audio_sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn take_audio(&mut self, out: &mut Vec<i16>) {
        self.bus.apu_mut().take_samples(out);
    }

    fn set_input(&mut self, input: &InputState) {
        self.bus.set_input(input);
    }

    fn reset(&mut self) {
        self.bus.reset();
        self.cpu.reset(&mut self.bus);
    }

    fn save_state(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct SnapshotRef<'a> {
            cpu: &'a Cpu,
            bus: &'a NesBus,
        }
        state::encode(
            STATE_ID,
            self.program,
            &SnapshotRef {
                cpu: &self.cpu,
                bus: &self.bus,
            },
        )
    }

    fn load_state(&mut self, data: &[u8]) -> Result<(), StateError> {
        let Snapshot { cpu, bus } = state::decode(STATE_ID, self.program, data)?;
        self.cpu = cpu;
        self.bus = bus;
        self.engine.forget_code();
        self.bus.ppu().render_rgba(&mut self.rgba);
        Ok(())
    }

    fn battery_ram(&self) -> Option<&[u8]> {
        self.battery.then(|| self.bus.prg_ram())
    }

    fn instructions(&self) -> u64 {
        self.instructions
    }

    fn translated_instructions(&self) -> Option<u64> {
        self.engine.translated_instructions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Interpreter;
    use crate::programs::nes_demo::nes_demo;

    fn demo() -> Nes<Interpreter> {
        Nes::new(&nes_demo(), Interpreter, 44_100).unwrap()
    }

    fn run(nes: &mut Nes<Interpreter>, frames: u32) -> (u64, Vec<i16>) {
        let mut audio = Vec::new();
        for _ in 0..frames {
            nes.run_frame().unwrap();
            nes.take_audio(&mut audio);
        }
        (fnv1a64(nes.framebuffer()), audio)
    }

    #[test]
    fn a_loaded_state_continues_exactly_as_the_saved_machine() {
        let mut nes = demo();
        run(&mut nes, 60);
        let state = nes.save_state();
        let expected = run(&mut nes, 30);
        let mut other = demo();
        other.load_state(&state).unwrap();
        assert_eq!(run(&mut other, 30), expected);
        nes.load_state(&state).unwrap();
        assert_eq!(
            run(&mut nes, 30),
            expected,
            "loading into the running machine"
        );
    }

    #[test]
    fn bad_states_are_refused_and_change_nothing() {
        let mut nes = demo();
        run(&mut nes, 20);
        let good = nes.save_state();
        let mut corrupt = good.clone();
        let last = corrupt.len() - 10;
        corrupt[last] ^= 1;
        let mut other_rom = nes_demo();
        other_rom[0x10] ^= 0xFF; // a different program
        let foreign = Nes::new(&other_rom, Interpreter, 44_100)
            .unwrap()
            .save_state();
        for (bad, what) in [
            (&b"not a state"[..], "garbage"),
            (&good[..good.len() / 2], "truncated"),
            (&corrupt[..], "corrupt"),
            (&foreign[..], "another program"),
        ] {
            let before = nes.save_state();
            assert!(nes.load_state(bad).is_err(), "{what} was accepted");
            assert_eq!(nes.save_state(), before, "{what} changed the machine");
        }
    }

    #[test]
    fn frames_take_an_ntsc_frame_of_cycles() {
        let mut nes = demo();
        nes.run_frame().unwrap();
        for _ in 0..10 {
            let cycles = nes.run_frame().unwrap().cycles;
            // 89342 or 89341 dots / 3, give or take the last instruction.
            assert!((29_770..=29_800).contains(&cycles), "{cycles} cycles");
        }
        assert!((FRAME_RATE - 60.0988).abs() < 1e-3);
    }

    #[test]
    fn bad_images_are_errors() {
        assert!(matches!(
            Nes::new(b"NES", Interpreter, 44_100),
            Err(NesError::Image(_))
        ));
        let mut mmc5 = nes_demo();
        mmc5[6] = 0x50; // mapper 5
        let err = Nes::new(&mmc5, Interpreter, 44_100).unwrap_err();
        assert!(err.to_string().contains("mapper 5"), "{err}");
    }
}
