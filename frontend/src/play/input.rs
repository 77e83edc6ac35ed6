//! Keyboard and game controllers to the machine's two controllers, and the
//! player's own hot keys.

use crate::config::Config;
use retrojit_core::machine::{Button, InputState, Key};
use sdl2::GameControllerSubsystem;
use sdl2::controller::{Axis, Button as PadButton, GameController};
use sdl2::event::Event;
use sdl2::keyboard::Keycode;
use std::collections::HashSet;

/// The player's own keys (fixed; the configuration may not bind them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hotkey {
    /// Escape: quit.
    Quit,
    /// P: pause or resume.
    Pause,
    /// R: press the machine's reset button.
    Reset,
    /// Tab, held: run as fast as possible, without sound.
    FastForward,
    /// F12: write a PNG screenshot.
    Screenshot,
    /// F5: save the machine state.
    SaveState,
    /// F9: load the saved machine state.
    LoadState,
}

impl Hotkey {
    /// Every hot key.
    pub const ALL: [Hotkey; 7] = [
        Hotkey::Quit,
        Hotkey::Pause,
        Hotkey::Reset,
        Hotkey::FastForward,
        Hotkey::Screenshot,
        Hotkey::SaveState,
        Hotkey::LoadState,
    ];

    /// The key that triggers it.
    pub fn keycode(self) -> Keycode {
        match self {
            Hotkey::Quit => Keycode::ESCAPE,
            Hotkey::Pause => Keycode::P,
            Hotkey::Reset => Keycode::R,
            Hotkey::FastForward => Keycode::TAB,
            Hotkey::Screenshot => Keycode::F12,
            Hotkey::SaveState => Keycode::F5,
            Hotkey::LoadState => Keycode::F9,
        }
    }

    /// What it does, for messages.
    pub fn description(self) -> &'static str {
        match self {
            Hotkey::Quit => "quit",
            Hotkey::Pause => "pause",
            Hotkey::Reset => "reset",
            Hotkey::FastForward => "fast-forward",
            Hotkey::Screenshot => "screenshot",
            Hotkey::SaveState => "save-state",
            Hotkey::LoadState => "load-state",
        }
    }

    /// The key that triggers it on a machine with a keyboard, where P and R
    /// are typed: pause and reset move to F6 and F10.
    pub fn keycode_for(self, keyboard: bool) -> Keycode {
        match (self, keyboard) {
            (Hotkey::Pause, true) => Keycode::F6,
            (Hotkey::Reset, true) => Keycode::F10,
            _ => self.keycode(),
        }
    }

    /// The hot key `key` triggers, if any.
    pub fn from_keycode(key: Keycode, keyboard: bool) -> Option<Hotkey> {
        Self::ALL
            .into_iter()
            .find(|h| h.keycode_for(keyboard) == key)
    }
}

/// The machine key a host key types, for machines with a keyboard.
fn machine_key(key: Keycode) -> Option<Key> {
    let letters_and_digits = [
        (Keycode::NUM_0, Key::Digit0),
        (Keycode::NUM_1, Key::Digit1),
        (Keycode::NUM_2, Key::Digit2),
        (Keycode::NUM_3, Key::Digit3),
        (Keycode::NUM_4, Key::Digit4),
        (Keycode::NUM_5, Key::Digit5),
        (Keycode::NUM_6, Key::Digit6),
        (Keycode::NUM_7, Key::Digit7),
        (Keycode::NUM_8, Key::Digit8),
        (Keycode::NUM_9, Key::Digit9),
        (Keycode::A, Key::A),
        (Keycode::B, Key::B),
        (Keycode::C, Key::C),
        (Keycode::D, Key::D),
        (Keycode::E, Key::E),
        (Keycode::F, Key::F),
        (Keycode::G, Key::G),
        (Keycode::H, Key::H),
        (Keycode::I, Key::I),
        (Keycode::J, Key::J),
        (Keycode::K, Key::K),
        (Keycode::L, Key::L),
        (Keycode::M, Key::M),
        (Keycode::N, Key::N),
        (Keycode::O, Key::O),
        (Keycode::P, Key::P),
        (Keycode::Q, Key::Q),
        (Keycode::R, Key::R),
        (Keycode::S, Key::S),
        (Keycode::T, Key::T),
        (Keycode::U, Key::U),
        (Keycode::V, Key::V),
        (Keycode::W, Key::W),
        (Keycode::X, Key::X),
        (Keycode::Y, Key::Y),
        (Keycode::Z, Key::Z),
    ];
    let others = [
        (Keycode::RETURN, Key::Enter),
        (Keycode::KP_ENTER, Key::Enter),
        (Keycode::SPACE, Key::Space),
        (Keycode::LSHIFT, Key::Shift),
        (Keycode::RSHIFT, Key::Shift),
        (Keycode::LCTRL, Key::Ctrl),
        (Keycode::RCTRL, Key::Ctrl),
        (Keycode::LALT, Key::Alt),
        (Keycode::RALT, Key::Alt),
        (Keycode::BACKSPACE, Key::Backspace),
        (Keycode::UP, Key::Up),
        (Keycode::DOWN, Key::Down),
        (Keycode::LEFT, Key::Left),
        (Keycode::RIGHT, Key::Right),
        (Keycode::COMMA, Key::Comma),
        (Keycode::PERIOD, Key::Period),
        (Keycode::SLASH, Key::Slash),
        (Keycode::SEMICOLON, Key::Semicolon),
        (Keycode::QUOTE, Key::Quote),
        (Keycode::MINUS, Key::Minus),
        (Keycode::EQUALS, Key::Equals),
    ];
    letters_and_digits
        .into_iter()
        .chain(others)
        .find(|&(k, _)| k == key)
        .map(|(_, machine)| machine)
}

/// On a machine with a keyboard the numeric keypad is joystick 1 (the
/// letters, digits and arrows are typed): 8 4 6 2 move, 0 and 5 fire.
const KEYPAD_JOYSTICK: [(Keycode, Button); 6] = [
    (Keycode::KP_8, Button::Up),
    (Keycode::KP_2, Button::Down),
    (Keycode::KP_4, Button::Left),
    (Keycode::KP_6, Button::Right),
    (Keycode::KP_0, Button::A),
    (Keycode::KP_5, Button::A),
];

/// Stick deflection (of 32767) below which the left stick counts as
/// centred: worn sticks rest well off zero, and a digital pad wants a
/// deliberate push.
const STICK_DEAD_ZONE: i16 = 12_000;

/// Which keys and controllers are held, turned into the machine's input.
pub struct Input {
    /// (key, controller index, button) for every configured binding.
    bindings: Vec<(Keycode, usize, Button)>,
    held: HashSet<Keycode>,
    subsystem: GameControllerSubsystem,
    /// Open controllers in the order they were connected: the first drives
    /// controller 1, the second controller 2.
    controllers: Vec<GameController>,
    /// The machine has a keyboard: host keys are typed on it.
    keyboard: bool,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("bindings", &self.bindings.len())
            .field("held", &self.held)
            .field("controllers", &self.controllers.len())
            .finish()
    }
}

impl Input {
    /// Keys from `config`; controllers are opened as SDL reports them
    /// (including the ones present at start-up) through
    /// [`Input::handle_event`].
    pub fn new(config: &Config, subsystem: GameControllerSubsystem, keyboard: bool) -> Self {
        let mut bindings = Vec::new();
        for (pad, keys) in [&config.pad1, &config.pad2].into_iter().enumerate() {
            for (button, names) in keys.bindings() {
                bindings.extend(names.iter().map(|k| (k.0, pad, button)));
            }
        }
        Self {
            bindings,
            held: HashSet::new(),
            subsystem,
            controllers: Vec::new(),
            keyboard,
        }
    }

    /// Follows key presses and controller hot-plugging. Returns a message
    /// for the user when a controller came or went.
    pub fn handle_event(&mut self, event: &Event) -> Option<String> {
        match *event {
            Event::KeyDown {
                keycode: Some(key), ..
            } => {
                self.held.insert(key);
                None
            }
            Event::KeyUp {
                keycode: Some(key), ..
            } => {
                self.held.remove(&key);
                None
            }
            Event::ControllerDeviceAdded { which, .. } => match self.subsystem.open(which) {
                Ok(controller) => {
                    // SDL reports controllers present at start-up as added
                    // too; don't open one twice.
                    let id = controller.instance_id();
                    if self.controllers.iter().any(|c| c.instance_id() == id) {
                        return None;
                    }
                    self.controllers.push(controller);
                    self.describe_controllers()
                }
                Err(e) => Some(format!("cannot open game controller {which}: {e}")),
            },
            Event::ControllerDeviceRemoved { which, .. } => {
                let before = self.controllers.len();
                self.controllers.retain(|c| c.instance_id() != which);
                (self.controllers.len() != before)
                    .then(|| self.describe_controllers())
                    .flatten()
            }
            _ => None,
        }
    }

    fn describe_controllers(&self) -> Option<String> {
        if self.controllers.is_empty() {
            return Some("no game controller".to_string());
        }
        let list: Vec<String> = self
            .controllers
            .iter()
            .take(2)
            .enumerate()
            .map(|(i, c)| format!("pad {}: {}", i + 1, c.name()))
            .collect();
        Some(list.join(", "))
    }

    /// Whether `hotkey` is held (for fast-forward, which lasts as long as
    /// its key is down).
    pub fn hotkey_held(&self, hotkey: Hotkey) -> bool {
        self.held.contains(&hotkey.keycode_for(self.keyboard))
    }

    /// The controllers as the machine should see them now.
    pub fn state(&self) -> InputState {
        let mut input = InputState::default();
        if self.keyboard {
            for &key in &self.held {
                if let Some(key) = machine_key(key) {
                    input.keys.set(key, true);
                }
            }
            for (key, button) in KEYPAD_JOYSTICK {
                if self.held.contains(&key) {
                    input.pads[0].set(button, true);
                }
            }
        } else {
            for &(key, pad, button) in &self.bindings {
                if self.held.contains(&key) {
                    input.pads[pad].set(button, true);
                }
            }
        }
        for (pad, controller) in input.pads.iter_mut().zip(&self.controllers) {
            let x = controller.axis(Axis::LeftX);
            let y = controller.axis(Axis::LeftY);
            let held = |b: PadButton| controller.button(b);
            // Positions as on a NES pad: B is the left of the two face
            // buttons, A the right; SDL names the bottom one A, the right one B.
            let buttons = [
                (Button::Up, held(PadButton::DPadUp) || y < -STICK_DEAD_ZONE),
                (
                    Button::Down,
                    held(PadButton::DPadDown) || y > STICK_DEAD_ZONE,
                ),
                (
                    Button::Left,
                    held(PadButton::DPadLeft) || x < -STICK_DEAD_ZONE,
                ),
                (
                    Button::Right,
                    held(PadButton::DPadRight) || x > STICK_DEAD_ZONE,
                ),
                (Button::A, held(PadButton::B)),
                (Button::B, held(PadButton::A)),
                (Button::Select, held(PadButton::Back)),
                (Button::Start, held(PadButton::Start)),
            ];
            for (button, down) in buttons {
                if down {
                    pad.set(button, true);
                }
            }
        }
        input
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_keys_are_never_typed_on_a_keyboard_machine() {
        for hotkey in Hotkey::ALL {
            let key = hotkey.keycode_for(true);
            assert_eq!(machine_key(key), None, "{hotkey:?} would also type");
            assert_eq!(Hotkey::from_keycode(key, true), Some(hotkey));
        }
        assert_eq!(Hotkey::from_keycode(Keycode::P, true), None);
        assert_eq!(Hotkey::from_keycode(Keycode::P, false), Some(Hotkey::Pause));
        for (key, _) in KEYPAD_JOYSTICK {
            assert_eq!(machine_key(key), None, "the keypad is the joystick");
        }
    }

    #[test]
    fn host_keys_type_machine_keys() {
        assert_eq!(machine_key(Keycode::J), Some(Key::J));
        assert_eq!(machine_key(Keycode::NUM_7), Some(Key::Digit7));
        assert_eq!(machine_key(Keycode::RSHIFT), Some(Key::Shift));
        assert_eq!(machine_key(Keycode::RALT), Some(Key::Alt));
        assert_eq!(machine_key(Keycode::KP_ENTER), Some(Key::Enter));
    }
}
