//! The noise channel ($400C-$400F).

use serde::{Deserialize, Serialize};

use super::envelope::Envelope;
use super::length::LengthCounter;

/// NTSC timer periods in CPU cycles (nesdev "APU Noise"); all even, so the
/// timer runs on APU cycles with half these values.
const PERIODS: [u16; 16] = [
    4, 8, 16, 32, 64, 96, 128, 160, 202, 254, 380, 508, 762, 1016, 2034, 4068,
];

/// The noise channel: a 15-bit LFSR clocked by a timer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Noise {
    pub(super) envelope: Envelope,
    pub(super) length: LengthCounter,
    short_mode: bool,
    /// Reload value of the APU-cycle timer.
    reload: u16,
    timer: u16,
    lfsr: u16,
}

impl Default for Noise {
    fn default() -> Self {
        Self {
            envelope: Envelope::default(),
            length: LengthCounter::default(),
            short_mode: false,
            reload: PERIODS[0] / 2 - 1,
            timer: 0,
            // All 15 bits power up as 0 (nesdev "CPU power up state").
            lfsr: 0,
        }
    }
}

impl Noise {
    /// Register write; `reg` is the address minus $400C (0-3; 1 is unused).
    pub(super) fn write(&mut self, reg: u16, value: u8) {
        match reg {
            0 => {
                self.length.write_halt(value & 0x20 != 0);
                self.envelope.write_control(value);
            }
            1 => {}
            2 => {
                self.short_mode = value & 0x80 != 0;
                self.reload = PERIODS[usize::from(value & 0x0F)] / 2 - 1;
            }
            _ => {
                self.length.write_load(value);
                self.envelope.restart();
            }
        }
    }

    /// Timer clock, once per APU cycle.
    #[inline]
    pub(super) fn clock_timer(&mut self) {
        if self.timer == 0 {
            self.timer = self.reload;
            let tap = if self.short_mode { 6 } else { 1 };
            // From the all-zero power-up state the first clock shifts in a 1
            // (nesdev); XOR feedback alone would keep it at zero for ever.
            let feedback = (self.lfsr ^ (self.lfsr >> tap)) & 1 | u16::from(self.lfsr == 0);
            self.lfsr = (self.lfsr >> 1) | (feedback << 14);
        } else {
            self.timer -= 1;
        }
    }

    /// Output level, 0-15.
    #[inline]
    pub(super) fn output(&self) -> u8 {
        if self.lfsr & 1 != 0 || !self.length.active() {
            0
        } else {
            self.envelope.output()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Noise;

    /// The LFSR period in timer clocks for a mode.
    fn lfsr_period(short: bool) -> usize {
        let mut noise = Noise::default();
        noise.write(2, if short { 0x80 } else { 0x00 });
        // Leave the all-zero power-up state, which is not part of the cycle.
        noise.clock_timer();
        assert_eq!(noise.lfsr, 0x4000, "the first clock shifts in a 1");
        let start = noise.lfsr;
        (1..=40_000)
            .find(|_| {
                // Period index 0 reloads the timer with 1: two APU cycles
                // per shift.
                noise.clock_timer();
                noise.clock_timer();
                noise.lfsr == start
            })
            .unwrap_or(0)
    }

    #[test]
    fn long_mode_repeats_after_32767_and_short_mode_after_93_steps() {
        assert_eq!(lfsr_period(false), 32_767);
        assert_eq!(lfsr_period(true), 93);
    }
}
