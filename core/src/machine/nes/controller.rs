//! The standard NES controller: a parallel-in, serial-out shift register
//! read one button per `$4016`/`$4017` read.

use crate::machine::Buttons;
use serde::{Deserialize, Serialize};

/// One controller port with a standard pad plugged in.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Controller {
    /// What the player holds right now.
    held: u8,
    /// The shift register; bits shift out LSB first, 1s shift in (an
    /// official pad reads 1 after the eighth button).
    shift: u8,
    /// The strobe line ($4016 bit 0): while high the register keeps
    /// reloading, so reads return button A.
    strobe: bool,
}

impl Controller {
    /// Sets the buttons held from now on.
    pub fn set_buttons(&mut self, buttons: Buttons) {
        self.held = buttons.0;
        if self.strobe {
            self.shift = self.held;
        }
    }

    /// A write to `$4016`: bit 0 drives the strobe line of both ports.
    pub fn write_strobe(&mut self, value: u8) {
        let strobe = value & 1 != 0;
        if strobe || self.strobe {
            // Loading happens while the line is high and latches on its fall.
            self.shift = self.held;
        }
        self.strobe = strobe;
    }

    /// A read of the port: the next button in bit 0.
    pub fn read(&mut self) -> u8 {
        if self.strobe {
            return self.held & 1;
        }
        let bit = self.shift & 1;
        self.shift = (self.shift >> 1) | 0x80;
        bit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::Button;

    fn pad(buttons: &[Button]) -> Buttons {
        let mut b = Buttons::default();
        for &button in buttons {
            b.set(button, true);
        }
        b
    }

    #[test]
    fn reports_buttons_in_order_then_ones() {
        let mut c = Controller::default();
        c.set_buttons(pad(&[Button::A, Button::Start, Button::Right]));
        c.write_strobe(1);
        c.write_strobe(0);
        let bits: Vec<u8> = (0..10).map(|_| c.read()).collect();
        assert_eq!(bits, [1, 0, 0, 1, 0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn strobe_high_keeps_returning_a() {
        let mut c = Controller::default();
        c.set_buttons(pad(&[Button::A]));
        c.write_strobe(1);
        assert_eq!((c.read(), c.read()), (1, 1));
        c.set_buttons(pad(&[Button::B]));
        assert_eq!(c.read(), 0);
    }

    #[test]
    fn buttons_pressed_after_the_latch_wait_for_the_next_strobe() {
        let mut c = Controller::default();
        c.write_strobe(1);
        c.write_strobe(0);
        c.set_buttons(pad(&[Button::A]));
        assert_eq!(c.read(), 0);
    }
}
