//! Keyboard and game controllers to the machine's two controllers, and the
//! player's own hot keys.

use crate::config::Config;
use retrojit_core::machine::{Button, InputState};
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

    /// The hot key `key` triggers, if any.
    pub fn from_keycode(key: Keycode) -> Option<Hotkey> {
        Self::ALL.into_iter().find(|h| h.keycode() == key)
    }
}

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
    pub fn new(config: &Config, subsystem: GameControllerSubsystem) -> Self {
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
        self.held.contains(&hotkey.keycode())
    }

    /// The controllers as the machine should see them now.
    pub fn state(&self) -> InputState {
        let mut input = InputState::default();
        for &(key, pad, button) in &self.bindings {
            if self.held.contains(&key) {
                input.pads[pad].set(button, true);
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
