//! The triangle channel ($4008-$400B) and its linear counter.

use serde::{Deserialize, Serialize};

use super::length::LengthCounter;

/// The triangle channel.
///
/// Periods 0 and 1 give 56 kHz and 112 kHz tones that real hardware outputs
/// as an ultrasonic buzz; they are emulated as they are, and the averaging
/// down-sampler and low-pass filter reduce them to their mid level, which is
/// what the silencing hack of other emulators approximates.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Triangle {
    pub(super) length: LengthCounter,
    control: bool,
    linear_reload_value: u8,
    linear_counter: u8,
    linear_reload: bool,
    period: u16,
    timer: u16,
    step: u8,
}

impl Triangle {
    /// Register write; `reg` is the address minus $4008 (0-3; 1 is unused).
    pub(super) fn write(&mut self, reg: u16, value: u8) {
        match reg {
            0 => {
                // One bit is both the length halt and the linear control flag.
                self.control = value & 0x80 != 0;
                self.length.write_halt(self.control);
                self.linear_reload_value = value & 0x7F;
            }
            1 => {}
            2 => self.period = (self.period & 0x700) | u16::from(value),
            _ => {
                self.period = (self.period & 0xFF) | (u16::from(value & 7) << 8);
                self.length.write_load(value);
                self.linear_reload = true;
            }
        }
    }

    /// Timer clock, every CPU cycle (the triangle runs at twice the rate of
    /// the other channels).
    #[inline]
    pub(super) fn clock_timer(&mut self) {
        if self.timer == 0 {
            self.timer = self.period;
            if self.linear_counter > 0 && self.length.active() {
                self.step = (self.step + 1) & 31;
            }
        } else {
            self.timer -= 1;
        }
    }

    /// Quarter-frame clock of the linear counter.
    pub(super) fn clock_linear(&mut self) {
        if self.linear_reload {
            self.linear_counter = self.linear_reload_value;
        } else if self.linear_counter > 0 {
            self.linear_counter -= 1;
        }
        if !self.control {
            self.linear_reload = false;
        }
    }

    /// The reset button puts the sequencer back to its first step.
    pub(super) fn reset_phase(&mut self) {
        self.step = 0;
    }

    /// Output level, 0-15: the sequencer holds its step when stopped, so a
    /// silenced triangle keeps its last level instead of popping to 0.
    #[inline]
    pub(super) fn output(&self) -> u8 {
        if self.step < 16 {
            15 - self.step
        } else {
            self.step - 16
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Triangle;

    #[test]
    fn linear_counter_gates_the_sequencer() {
        let mut tri = Triangle::default();
        tri.length.set_enabled(true);
        tri.write(0, 0x02); // control clear, linear reload 2
        tri.write(2, 0x00);
        tri.write(3, 0x08);
        tri.length.apply_staged();
        // No linear count yet: the sequencer holds at 15.
        tri.clock_timer();
        tri.clock_timer();
        assert_eq!(tri.output(), 15);
        tri.clock_linear(); // reload to 2, reload flag cleared
        let levels: Vec<u8> = (0..4)
            .map(|_| {
                tri.clock_timer();
                tri.output()
            })
            .collect();
        assert_eq!(levels, [14, 13, 12, 11]);
        tri.clock_linear();
        tri.clock_linear(); // reaches 0
        tri.clock_timer();
        assert_eq!(tri.output(), 11, "stopped, holding its level");
    }
}
