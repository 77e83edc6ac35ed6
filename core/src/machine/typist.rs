//! A typist at the keyboard: keys scripted for the first frames of a run
//! (the ZX Spectrum's `LOAD ""` after a tape is inserted), merged with
//! whatever the player presses.

use super::input_script::InputScript;
use super::state::StateError;
use super::{FrameReport, InputState, Machine, MachineError};

/// `machine` with `script` typed on its keyboard from its first frame on.
#[derive(Debug)]
pub struct Typist<M> {
    machine: M,
    script: InputScript,
    /// Frames run so far: the script's clock.
    frame: u64,
    /// What the player holds.
    player: InputState,
}

impl<M: Machine> Typist<M> {
    /// Wraps `machine`.
    pub fn new(machine: M, script: InputScript) -> Self {
        Self {
            machine,
            script,
            frame: 0,
            player: InputState::default(),
        }
    }

    /// The machine typed on.
    pub fn machine(&self) -> &M {
        &self.machine
    }

    /// The machine typed on, writable.
    pub fn machine_mut(&mut self) -> &mut M {
        &mut self.machine
    }
}

impl<M: Machine> Machine for Typist<M> {
    fn name(&self) -> &'static str {
        self.machine.name()
    }

    fn frame_rate(&self) -> f64 {
        self.machine.frame_rate()
    }

    fn screen_size(&self) -> (u32, u32) {
        self.machine.screen_size()
    }

    fn run_frame(&mut self) -> Result<FrameReport, MachineError> {
        let typed = self.script.input_at(self.frame);
        let mut input = self.player;
        input.keys.0 |= typed.keys.0;
        for (pad, scripted) in input.pads.iter_mut().zip(typed.pads) {
            pad.0 |= scripted.0;
        }
        self.machine.set_input(&input);
        self.frame += 1;
        self.machine.run_frame()
    }

    fn framebuffer(&self) -> &[u8] {
        self.machine.framebuffer()
    }

    fn audio_sample_rate(&self) -> u32 {
        self.machine.audio_sample_rate()
    }

    fn take_audio(&mut self, out: &mut Vec<i16>) {
        self.machine.take_audio(out);
    }

    fn set_input(&mut self, input: &InputState) {
        self.player = *input;
    }

    fn reset(&mut self) {
        self.machine.reset();
    }

    fn save_state(&self) -> Vec<u8> {
        self.machine.save_state()
    }

    fn load_state(&mut self, data: &[u8]) -> Result<(), StateError> {
        self.machine.load_state(data)
    }

    fn battery_ram(&self) -> Option<&[u8]> {
        self.machine.battery_ram()
    }

    fn has_keyboard(&self) -> bool {
        self.machine.has_keyboard()
    }

    fn instructions(&self) -> u64 {
        self.machine.instructions()
    }

    fn translated_instructions(&self) -> Option<u64> {
        self.machine.translated_instructions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Interpreter;
    use crate::machine::nes::Nes;
    use crate::machine::{Button, Key};
    use crate::programs::nes_demo::nes_demo;

    /// A machine that records the input each frame ran with.
    #[derive(Default)]
    struct Recorder {
        inputs: Vec<InputState>,
        current: InputState,
    }

    impl Machine for Recorder {
        fn name(&self) -> &'static str {
            "recorder"
        }
        fn frame_rate(&self) -> f64 {
            50.0
        }
        fn screen_size(&self) -> (u32, u32) {
            (1, 1)
        }
        fn run_frame(&mut self) -> Result<FrameReport, MachineError> {
            self.inputs.push(self.current);
            Ok(FrameReport::default())
        }
        fn framebuffer(&self) -> &[u8] {
            &[0; 4]
        }
        fn audio_sample_rate(&self) -> u32 {
            48_000
        }
        fn take_audio(&mut self, _: &mut Vec<i16>) {}
        fn set_input(&mut self, input: &InputState) {
            self.current = *input;
        }
        fn reset(&mut self) {}
        fn save_state(&self) -> Vec<u8> {
            Vec::new()
        }
        fn load_state(&mut self, _: &[u8]) -> Result<(), StateError> {
            Ok(())
        }
        fn battery_ram(&self) -> Option<&[u8]> {
            None
        }
        fn instructions(&self) -> u64 {
            0
        }
        fn translated_instructions(&self) -> Option<u64> {
            None
        }
    }

    #[test]
    fn scripted_keys_merge_with_the_players() {
        let script = InputScript::parse("1 keys J\n2 keys -").unwrap();
        let mut typist = Typist::new(Recorder::default(), script);
        let mut player = InputState::default();
        player.keys.set(Key::Shift, true);
        player.pads[0].set(Button::A, true);
        typist.set_input(&player);
        for _ in 0..3 {
            typist.run_frame().unwrap();
        }
        let seen = &typist.machine().inputs;
        assert!(!seen[0].keys.held(Key::J) && seen[0].keys.held(Key::Shift));
        assert!(seen[1].keys.held(Key::J) && seen[1].keys.held(Key::Shift));
        assert!(!seen[2].keys.held(Key::J));
        assert!(seen.iter().all(|i| i.pads[0].held(Button::A)));
    }

    #[test]
    fn the_machine_behind_is_the_same_machine() {
        let nes = Nes::new(&nes_demo(), Interpreter, 44_100).unwrap();
        let mut typist = Typist::new(nes, InputScript::default());
        typist.run_frame().unwrap();
        assert_eq!(typist.name(), "NES");
        assert_eq!(typist.machine().bus().ppu().frame_count(), 1);
        assert_eq!(typist.framebuffer().len(), 256 * 240 * 4);
    }
}
