//! The 40-key matrix and the Kempston joystick.
//!
//! The matrix has eight half-rows of five keys. Reading port $FE selects
//! the half-rows whose address line A8-A15 is low; each key held in a
//! selected half-row pulls its bit (0-4) low:
//!
//! | half-row | port  | bit 0 | bit 1 | bit 2 | bit 3 | bit 4 |
//! |----------|-------|-------|-------|-------|-------|-------|
//! | 0 (A8)   | $FEFE | CAPS SHIFT | Z | X | C | V |
//! | 1 (A9)   | $FDFE | A | S | D | F | G |
//! | 2 (A10)  | $FBFE | Q | W | E | R | T |
//! | 3 (A11)  | $F7FE | 1 | 2 | 3 | 4 | 5 |
//! | 4 (A12)  | $EFFE | 0 | 9 | 8 | 7 | 6 |
//! | 5 (A13)  | $DFFE | P | O | I | U | Y |
//! | 6 (A14)  | $BFFE | ENTER | L | K | J | H |
//! | 7 (A15)  | $7FFE | SPACE | SYMBOL SHIFT | M | N | B |
//!
//! Host keys: letters, digits, Enter and Space are the keys of the same
//! name; Shift is CAPS SHIFT; Ctrl and Alt are SYMBOL SHIFT. Keys the
//! Spectrum types with a shift get both keys of the combination:
//!
//! | host key  | Spectrum keys          | gives            |
//! |-----------|------------------------|------------------|
//! | Backspace | CAPS SHIFT + 0         | DELETE           |
//! | Left      | CAPS SHIFT + 5         | cursor left      |
//! | Down      | CAPS SHIFT + 6         | cursor down      |
//! | Up        | CAPS SHIFT + 7         | cursor up        |
//! | Right     | CAPS SHIFT + 8         | cursor right     |
//! | `,`       | SYMBOL SHIFT + N       | `,`              |
//! | `.`       | SYMBOL SHIFT + M       | `.`              |
//! | `/`       | SYMBOL SHIFT + V       | `/`              |
//! | `;`       | SYMBOL SHIFT + O       | `;`              |
//! | `'`       | SYMBOL SHIFT + 7       | `'`              |
//! | `-`       | SYMBOL SHIFT + J       | `-`              |
//! | `=`       | SYMBOL SHIFT + L       | `=`              |
//!
//! The Kempston interface answers odd ports with A5-A7 low (port $1F) with
//! the joystick of pad 1, active high: Right bit 0, Left bit 1, Down bit 2,
//! Up bit 3, Fire (A or B) bit 4.

use crate::machine::{Button, Buttons, Key, Keys};
use serde::{Deserialize, Serialize};

/// A matrix position: half-row and bit.
type Pos = (u8, u8);

const CAPS: Pos = (0, 0);
const SYMBOL: Pos = (7, 1);

/// The matrix positions a host key presses (one or two).
const fn positions(key: Key) -> &'static [Pos] {
    match key {
        Key::Shift => &[CAPS],
        Key::Z => &[(0, 1)],
        Key::X => &[(0, 2)],
        Key::C => &[(0, 3)],
        Key::V => &[(0, 4)],
        Key::A => &[(1, 0)],
        Key::S => &[(1, 1)],
        Key::D => &[(1, 2)],
        Key::F => &[(1, 3)],
        Key::G => &[(1, 4)],
        Key::Q => &[(2, 0)],
        Key::W => &[(2, 1)],
        Key::E => &[(2, 2)],
        Key::R => &[(2, 3)],
        Key::T => &[(2, 4)],
        Key::Digit1 => &[(3, 0)],
        Key::Digit2 => &[(3, 1)],
        Key::Digit3 => &[(3, 2)],
        Key::Digit4 => &[(3, 3)],
        Key::Digit5 => &[(3, 4)],
        Key::Digit0 => &[(4, 0)],
        Key::Digit9 => &[(4, 1)],
        Key::Digit8 => &[(4, 2)],
        Key::Digit7 => &[(4, 3)],
        Key::Digit6 => &[(4, 4)],
        Key::P => &[(5, 0)],
        Key::O => &[(5, 1)],
        Key::I => &[(5, 2)],
        Key::U => &[(5, 3)],
        Key::Y => &[(5, 4)],
        Key::Enter => &[(6, 0)],
        Key::L => &[(6, 1)],
        Key::K => &[(6, 2)],
        Key::J => &[(6, 3)],
        Key::H => &[(6, 4)],
        Key::Space => &[(7, 0)],
        Key::Ctrl | Key::Alt => &[SYMBOL],
        Key::M => &[(7, 2)],
        Key::N => &[(7, 3)],
        Key::B => &[(7, 4)],
        Key::Backspace => &[CAPS, (4, 0)],
        Key::Left => &[CAPS, (3, 4)],
        Key::Down => &[CAPS, (4, 4)],
        Key::Up => &[CAPS, (4, 3)],
        Key::Right => &[CAPS, (4, 2)],
        Key::Comma => &[SYMBOL, (7, 3)],
        Key::Period => &[SYMBOL, (7, 2)],
        Key::Slash => &[SYMBOL, (0, 4)],
        Key::Semicolon => &[SYMBOL, (5, 1)],
        Key::Quote => &[SYMBOL, (4, 3)],
        Key::Minus => &[SYMBOL, (6, 3)],
        Key::Equals => &[SYMBOL, (6, 1)],
    }
}

/// Every host key, for walking a [`Keys`] set.
const ALL_KEYS: [Key; 53] = [
    Key::Digit0,
    Key::Digit1,
    Key::Digit2,
    Key::Digit3,
    Key::Digit4,
    Key::Digit5,
    Key::Digit6,
    Key::Digit7,
    Key::Digit8,
    Key::Digit9,
    Key::A,
    Key::B,
    Key::C,
    Key::D,
    Key::E,
    Key::F,
    Key::G,
    Key::H,
    Key::I,
    Key::J,
    Key::K,
    Key::L,
    Key::M,
    Key::N,
    Key::O,
    Key::P,
    Key::Q,
    Key::R,
    Key::S,
    Key::T,
    Key::U,
    Key::V,
    Key::W,
    Key::X,
    Key::Y,
    Key::Z,
    Key::Enter,
    Key::Space,
    Key::Shift,
    Key::Ctrl,
    Key::Alt,
    Key::Backspace,
    Key::Up,
    Key::Down,
    Key::Left,
    Key::Right,
    Key::Comma,
    Key::Period,
    Key::Slash,
    Key::Semicolon,
    Key::Quote,
    Key::Minus,
    Key::Equals,
];

/// The keys held on the matrix: per half-row, a bit per key (1 = held).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Keyboard {
    rows: [u8; 8],
}

impl Keyboard {
    /// The matrix with the host keys `keys` held.
    pub fn from_keys(keys: Keys) -> Self {
        let mut rows = [0u8; 8];
        for key in ALL_KEYS {
            if keys.held(key) {
                for &(row, bit) in positions(key) {
                    rows[usize::from(row)] |= 1 << bit;
                }
            }
        }
        Self { rows }
    }

    /// Bits 0-4 of a read of port $FE with `high` on A8-A15: a bit is low
    /// when its key is held in any selected half-row; bits 5-7 are set.
    pub fn read(&self, high: u8) -> u8 {
        let held = self
            .rows
            .iter()
            .enumerate()
            .filter(|&(row, _)| high & (1 << row) == 0)
            .fold(0, |acc, (_, &bits)| acc | bits);
        !held
    }
}

/// The Kempston joystick byte for pad `pad`.
pub fn kempston(pad: Buttons) -> u8 {
    [
        (Button::Right, 0x01),
        (Button::Left, 0x02),
        (Button::Down, 0x04),
        (Button::Up, 0x08),
        (Button::A, 0x10),
        (Button::B, 0x10),
    ]
    .into_iter()
    .filter(|&(button, _)| pad.held(button))
    .fold(0, |acc, (_, bit)| acc | bit)
}
