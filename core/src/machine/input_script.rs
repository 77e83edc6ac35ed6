//! Scripted controller input for headless runs and golden-frame tests.
//!
//! One event a line: `FRAME PAD BUTTONS`, meaning from frame FRAME on
//! (counting from 0, applied before the frame runs) controller PAD (1 or
//! 2) holds exactly BUTTONS: button names joined by `+` (`A`, `B`,
//! `Select`, `Start`, `Up`, `Down`, `Left`, `Right`, any case), or `-` for
//! none. Frames must not go backwards. `#` starts a comment.
//!
//! ```text
//! # press Start for 5 frames at frame 60, then hold Right with A
//! 60 1 Start
//! 65 1 -
//! 90 1 Right+A
//! ```

use super::{Button, Buttons, InputState};

/// A parsed script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputScript {
    /// (frame, pad index 0/1, buttons), in frame order.
    events: Vec<(u64, usize, Buttons)>,
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
            let pad = match pad {
                "1" => 0,
                "2" => 1,
                other => return Err(err(format!("pad `{other}` is not 1 or 2"))),
            };
            let mut held = Buttons::default();
            if buttons != "-" {
                for name in buttons.split('+') {
                    let button = Button::from_name(name).ok_or_else(|| {
                        err(format!(
                            "unknown button `{name}` (A, B, Select, Start, Up, Down, Left, Right)"
                        ))
                    })?;
                    held.set(button, true);
                }
            }
            events.push((frame, pad, held));
        }
        Ok(Self { events })
    }

    /// The controls during frame `frame`.
    pub fn input_at(&self, frame: u64) -> InputState {
        let mut input = InputState::default();
        for &(_, pad, buttons) in self.events.iter().take_while(|e| e.0 <= frame) {
            input.pads[pad] = buttons;
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
    fn errors_name_the_line() {
        let cases = [
            ("5 1 Start\n4 1 -", 2, "events must be in order"),
            ("\n\nx 1 A", 3, "`x` is not a frame number"),
            ("1 3 A", 1, "pad `3` is not 1 or 2"),
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
