//! Machines: a CPU, its bus and its devices, driven by frontends and runners.
//!
//! Every playable machine implements [`Machine`], the one interface the SDL
//! player, the headless runner and the benchmarks drive: run a frame, read
//! the picture and the sound, set the input, reset, save and load state.

pub mod bare6502;
pub mod cpm;
pub mod input_script;
pub mod nes;
pub mod state;
pub mod typist;
pub mod zx48;

use state::StateError;

/// Buttons of a standard controller (NES layout), as the bits of
/// [`Buttons`]. The bit order is the order the NES shift register reports
/// them in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Button {
    /// A.
    A = 0,
    /// B.
    B = 1,
    /// Select.
    Select = 2,
    /// Start.
    Start = 3,
    /// Up.
    Up = 4,
    /// Down.
    Down = 5,
    /// Left.
    Left = 6,
    /// Right.
    Right = 7,
}

impl Button {
    /// Every button, in bit order.
    pub const ALL: [Button; 8] = [
        Button::A,
        Button::B,
        Button::Select,
        Button::Start,
        Button::Up,
        Button::Down,
        Button::Left,
        Button::Right,
    ];

    /// The name used in configuration files and input scripts.
    pub const fn name(self) -> &'static str {
        match self {
            Button::A => "A",
            Button::B => "B",
            Button::Select => "Select",
            Button::Start => "Start",
            Button::Up => "Up",
            Button::Down => "Down",
            Button::Left => "Left",
            Button::Right => "Right",
        }
    }

    /// The button called `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Button> {
        Self::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(name))
    }
}

/// The buttons held on one controller, one bit per [`Button`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Hash)]
pub struct Buttons(pub u8);

impl Buttons {
    /// Whether `button` is held.
    pub const fn held(self, button: Button) -> bool {
        self.0 & (1 << button as u8) != 0
    }

    /// Presses or releases `button`.
    pub fn set(&mut self, button: Button, held: bool) {
        if held {
            self.0 |= 1 << button as u8;
        } else {
            self.0 &= !(1 << button as u8);
        }
    }
}

/// Keys of a host keyboard, for machines that have a keyboard (the ZX
/// Spectrum). Each machine maps them onto its own matrix; frontends map
/// their key codes onto these.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Key {
    /// `0`.
    Digit0,
    /// `1`.
    Digit1,
    /// `2`.
    Digit2,
    /// `3`.
    Digit3,
    /// `4`.
    Digit4,
    /// `5`.
    Digit5,
    /// `6`.
    Digit6,
    /// `7`.
    Digit7,
    /// `8`.
    Digit8,
    /// `9`.
    Digit9,
    /// `A`.
    A,
    /// `B`.
    B,
    /// `C`.
    C,
    /// `D`.
    D,
    /// `E`.
    E,
    /// `F`.
    F,
    /// `G`.
    G,
    /// `H`.
    H,
    /// `I`.
    I,
    /// `J`.
    J,
    /// `K`.
    K,
    /// `L`.
    L,
    /// `M`.
    M,
    /// `N`.
    N,
    /// `O`.
    O,
    /// `P`.
    P,
    /// `Q`.
    Q,
    /// `R`.
    R,
    /// `S`.
    S,
    /// `T`.
    T,
    /// `U`.
    U,
    /// `V`.
    V,
    /// `W`.
    W,
    /// `X`.
    X,
    /// `Y`.
    Y,
    /// `Z`.
    Z,
    /// Return / Enter.
    Enter,
    /// Space bar.
    Space,
    /// Either Shift key.
    Shift,
    /// Either Control key.
    Ctrl,
    /// Either Alt key.
    Alt,
    /// Backspace.
    Backspace,
    /// Cursor up.
    Up,
    /// Cursor down.
    Down,
    /// Cursor left.
    Left,
    /// Cursor right.
    Right,
    /// `,`.
    Comma,
    /// `.`.
    Period,
    /// `/`.
    Slash,
    /// `;`.
    Semicolon,
    /// `'`.
    Quote,
    /// `-`.
    Minus,
    /// `=`.
    Equals,
}

impl Key {
    /// Every key, in bit order.
    pub const ALL: [Key; 53] = {
        use Key::*;
        [
            Digit0, Digit1, Digit2, Digit3, Digit4, Digit5, Digit6, Digit7, Digit8, Digit9, A, B,
            C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V, W, X, Y, Z, Enter, Space,
            Shift, Ctrl, Alt, Backspace, Up, Down, Left, Right, Comma, Period, Slash, Semicolon,
            Quote, Minus, Equals,
        ]
    };

    /// The name used in input scripts: the variant's name (`A`, `Digit0`,
    /// `Enter`, `Shift`, `Ctrl`, ...).
    pub fn name(self) -> String {
        format!("{self:?}")
    }

    /// The key called `name` (case-insensitive; `0`-`9` also name digits).
    pub fn from_name(name: &str) -> Option<Key> {
        let digit = name.len() == 1 && name.as_bytes()[0].is_ascii_digit();
        let name = if digit {
            format!("Digit{name}")
        } else {
            name.to_owned()
        };
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(&name))
    }
}

/// The keys held, one bit per [`Key`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Hash)]
pub struct Keys(pub u64);

impl Keys {
    /// Whether `key` is held.
    pub const fn held(self, key: Key) -> bool {
        self.0 & (1 << key as u8) != 0
    }

    /// Presses or releases `key`.
    pub fn set(&mut self, key: Key, held: bool) {
        if held {
            self.0 |= 1 << key as u8;
        } else {
            self.0 &= !(1 << key as u8);
        }
    }
}

/// What the player is doing with the controls at the start of a frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct InputState {
    /// Controllers 1 and 2 (on the ZX Spectrum, pad 1 is the Kempston
    /// joystick).
    pub pads: [Buttons; 2],
    /// The host keyboard, for machines with a keyboard.
    pub keys: Keys,
}

/// Counters of one [`Machine::run_frame`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct FrameReport {
    /// CPU cycles the frame took.
    pub cycles: u64,
    /// Guest instructions executed.
    pub instructions: u64,
}

/// Why a machine stopped running.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum MachineError {
    /// The CPU executed a halting opcode; nothing will run again until a
    /// reset.
    #[error("the CPU jammed on opcode ${opcode:02X} at ${pc:04X}; press reset")]
    Jammed {
        /// The opcode.
        opcode: u8,
        /// Its address.
        pc: u16,
    },
    /// The lockstep engine saw the JIT and the interpreter disagree.
    #[error("lockstep divergence at ${pc:04X}")]
    Diverged {
        /// Where.
        pc: u16,
    },
}

/// A complete emulated machine as frontends drive it.
pub trait Machine {
    /// Human-readable name ("NES", ...).
    fn name(&self) -> &'static str;
    /// Frames per second of the real machine (60.0988 for an NTSC NES).
    fn frame_rate(&self) -> f64;
    /// Width and height of the picture in pixels.
    fn screen_size(&self) -> (u32, u32);
    /// Runs until the next frame is complete.
    fn run_frame(&mut self) -> Result<FrameReport, MachineError>;
    /// The last complete frame: RGBA8888, row-major, `width * height * 4` bytes.
    fn framebuffer(&self) -> &[u8];
    /// Rate of the samples [`Machine::take_audio`] returns.
    fn audio_sample_rate(&self) -> u32;
    /// Moves the mono samples produced since the last call to the end of `out`.
    fn take_audio(&mut self, out: &mut Vec<i16>);
    /// Sets the controls for the frames that follow.
    fn set_input(&mut self, input: &InputState);
    /// Presses the reset button.
    fn reset(&mut self);
    /// The whole machine state, in the versioned format of [`state`].
    fn save_state(&self) -> Vec<u8>;
    /// Restores a state made by [`Machine::save_state`] of the same machine
    /// and program. On error nothing changes.
    fn load_state(&mut self, data: &[u8]) -> Result<(), StateError>;
    /// Battery-backed memory to keep between sessions, if the program has any.
    fn battery_ram(&self) -> Option<&[u8]>;
    /// Whether the machine has a keyboard: frontends then pass the host's
    /// keys through ([`InputState::keys`]) instead of binding them to
    /// controllers.
    fn has_keyboard(&self) -> bool {
        false
    }
    /// Guest instructions executed so far.
    fn instructions(&self) -> u64;
    /// Of those, how many ran as translated code (None when no JIT runs).
    fn translated_instructions(&self) -> Option<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_and_button_lists_are_in_bit_order_and_named_uniquely() {
        for (i, key) in Key::ALL.into_iter().enumerate() {
            assert_eq!(key as usize, i);
            assert_eq!(Key::from_name(&key.name()), Some(key));
        }
        assert!(Key::ALL.len() <= 64, "Keys is a u64");
        assert_eq!(Key::from_name("7"), Some(Key::Digit7));
        for (i, button) in Button::ALL.into_iter().enumerate() {
            assert_eq!(button as usize, i);
            assert_eq!(Button::from_name(button.name()), Some(button));
        }
    }
}
