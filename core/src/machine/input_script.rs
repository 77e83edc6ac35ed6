//! Scripted controller input for headless runs and golden-frame tests.
//!
//! One event a line: `FRAME PAD BUTTONS`, meaning from frame FRAME on
//! (counting from 0, applied before the frame runs) controller PAD (1 or
//! 2) holds exactly BUTTONS: button names joined by `+` (`A`, `B`,
//! `Select`, `Start`, `Up`, `Down`, `Left`, `Right`, any case), or `-` for
//! none. For machines with a keyboard, PAD may be `keys`: the keyboard
//! then holds exactly the [`Key`]s named (`J`, `0`, `Enter`, `Space`,
//! `Shift`, `Ctrl`, ...). Frames must not go backwards. `#` starts a
//! comment.
//!
//! ```text
//! # press Start for 5 frames at frame 60, then hold Right with A
//! 60 1 Start
//! 65 1 -
//! 90 1 Right+A
//! # type J, then Ctrl+P
//! 100 keys J
//! 104 keys -
//! 108 keys Ctrl+P
//! 112 keys -
//! ```

use super::{Button, Buttons, InputState, Key, Keys};

/// What one line sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    /// Controller 1 or 2 (index 0/1).
    Pad(usize, Buttons),
    /// The keyboard.
    Keys(Keys),
}

/// A parsed script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputScript {
    /// (frame, what is held from then on), in frame order.
    events: Vec<(u64, Held)>,
}

/// A line that cannot be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ScriptError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl InputScript {
    /// Parses script text.
    pub fn parse(text: &str) -> Result<Self, ScriptError> {
        let mut events = Vec::new();
        let mut last_frame = 0;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let err = |message: String| ScriptError { line, message };
            let content = raw.split('#').next().unwrap_or_default().trim();
            if content.is_empty() {
                continue;
            }
            let fields: Vec<&str> = content.split_whitespace().collect();
            let [frame, pad, buttons] = fields[..] else {
                return Err(err(format!(
                    "expected `FRAME PAD BUTTONS`, found `{content}`"
                )));
            };
            let frame: u64 = frame
                .parse()
                .map_err(|_| err(format!("`{frame}` is not a frame number")))?;
            if frame < last_frame {
                return Err(err(format!(
                    "frame {frame} comes after frame {last_frame}: events must be in order"
                )));
            }
            last_frame = frame;
            let names = || buttons.split('+').filter(|_| buttons != "-");
            let held = match pad {
                "1" | "2" => {
                    let mut held = Buttons::default();
                    for name in names() {
                        let button = Button::from_name(name).ok_or_else(|| {
                            err(format!(
                                "unknown button `{name}` (A, B, Select, Start, Up, Down, Left, Right)"
                            ))
                        })?;
                        held.set(button, true);
                    }
                    Held::Pad(usize::from(pad == "2"), held)
                }
                "keys" => {
                    let mut held = Keys::default();
                    for name in names() {
                        let key = Key::from_name(name).ok_or_else(|| {
                            err(format!(
                                "unknown key `{name}` (letters, digits, Enter, Space, Shift, Ctrl, Alt, Backspace, Up, Down, Left, Right, Comma, Period, Slash, Semicolon, Quote, Minus, Equals)"
                            ))
                        })?;
                        held.set(key, true);
                    }
                    Held::Keys(held)
                }
                other => return Err(err(format!("pad `{other}` is not 1, 2 or keys"))),
            };
            events.push((frame, held));
        }
        Ok(Self { events })
    }

    /// The controls during frame `frame`.
    pub fn input_at(&self, frame: u64) -> InputState {
        let mut input = InputState::default();
        for &(_, held) in self.events.iter().take_while(|e| e.0 <= frame) {
            match held {
                Held::Pad(pad, buttons) => input.pads[pad] = buttons,
                Held::Keys(keys) => input.keys = keys,
            }
        }
        input
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_hold_until_replaced() {
        let script =
            InputScript::parse("# demo\n10 1 Start\n12 1 -\n12 2 Left+a # both\n").unwrap();
        assert_eq!(script.input_at(9), InputState::default());
        assert!(script.input_at(10).pads[0].held(Button::Start));
        assert!(script.input_at(11).pads[0].held(Button::Start));
        let at12 = script.input_at(12);
        assert_eq!(at12.pads[0], Buttons::default());
        assert!(at12.pads[1].held(Button::Left) && at12.pads[1].held(Button::A));
    }

    #[test]
    fn the_keyboard_is_scripted_too() {
        let script = InputScript::parse("3 keys J\n5 keys ctrl+p+0\n7 keys -").unwrap();
        assert!(script.input_at(4).keys.held(Key::J));
        let at5 = script.input_at(5).keys;
        assert!(at5.held(Key::Ctrl) && at5.held(Key::P) && at5.held(Key::Digit0));
        assert!(!at5.held(Key::J));
        assert_eq!(script.input_at(7).keys, Keys::default());
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("5 1 Start\n4 1 -", 2, "events must be in order"),
            ("\n\nx 1 A", 3, "`x` is not a frame number"),
            ("1 3 A", 1, "pad `3` is not 1, 2 or keys"),
            ("1 keys J+Hyper", 1, "unknown key `Hyper`"),
            ("1 1 A+Turbo", 1, "unknown button `Turbo`"),
            ("1 1", 1, "expected `FRAME PAD BUTTONS`"),
        ];
        for (text, line, message) in cases {
            let err = InputScript::parse(text).unwrap_err();
            assert_eq!(err.line, line, "{text}");
            assert!(err.message.contains(message), "{err}");
        }
    }
}
