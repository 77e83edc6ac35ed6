//! The envelope generator of the pulse and noise channels.

use serde::{Deserialize, Serialize};

/// Envelope: a constant volume or a decaying 15..0 level (nesdev "APU Envelope").
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Envelope {
    start: bool,
    divider: u8,
    decay: u8,
    volume: u8,
    constant: bool,
    looping: bool,
}

impl Envelope {
    /// Bits 5-0 of the channel's first register: loop, constant, volume/period.
    pub(super) fn write_control(&mut self, value: u8) {
        self.looping = value & 0x20 != 0;
        self.constant = value & 0x10 != 0;
        self.volume = value & 0x0F;
    }

    /// A write to the channel's fourth register sets the start flag.
    pub(super) fn restart(&mut self) {
        self.start = true;
    }

    /// Quarter-frame clock.
    pub(super) fn clock(&mut self) {
        if self.start {
            self.start = false;
            self.decay = 15;
            self.divider = self.volume;
        } else if self.divider == 0 {
            self.divider = self.volume;
            if self.decay > 0 {
                self.decay -= 1;
            } else if self.looping {
                self.decay = 15;
            }
        } else {
            self.divider -= 1;
        }
    }

    /// Current volume, 0-15.
    pub(super) fn output(&self) -> u8 {
        if self.constant {
            self.volume
        } else {
            self.decay
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Envelope;

    #[test]
    fn decays_from_15_at_the_divider_rate_and_loops() {
        let mut env = Envelope::default();
        env.write_control(0x01); // period 1: one step every 2 clocks
        env.restart();
        let levels: Vec<u8> = (0..6)
            .map(|_| {
                env.clock();
                env.output()
            })
            .collect();
        assert_eq!(levels, [15, 15, 14, 14, 13, 13]);
        for _ in 0..40 {
            env.clock();
        }
        assert_eq!(env.output(), 0, "holds 0 without loop");
        env.write_control(0x20);
        env.clock();
        assert_eq!(env.output(), 15, "loop restarts the decay");
        env.write_control(0x1A);
        assert_eq!(env.output(), 10, "constant volume");
    }
}
