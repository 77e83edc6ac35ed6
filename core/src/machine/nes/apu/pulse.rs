//! The two pulse channels ($4000-$4007), with their sweep units.

use serde::{Deserialize, Serialize};

use super::envelope::Envelope;
use super::length::LengthCounter;

/// Duty sequences as the sequencer reads them (nesdev "APU Pulse"); the
/// sequencer steps downwards from 0, so a freshly reset channel outputs
/// 0 first and the pulse starts one step later.
const DUTY: [[u8; 8]; 4] = [
    [0, 1, 0, 0, 0, 0, 0, 0],
    [0, 1, 1, 0, 0, 0, 0, 0],
    [0, 1, 1, 1, 1, 0, 0, 0],
    [1, 0, 0, 1, 1, 1, 1, 1],
];

/// One pulse channel.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Pulse {
    pub(super) envelope: Envelope,
    pub(super) length: LengthCounter,
    duty: u8,
    step: u8,
    period: u16,
    timer: u16,
    sweep_enabled: bool,
    sweep_period: u8,
    sweep_negate: bool,
    sweep_shift: u8,
    sweep_divider: u8,
    sweep_reload: bool,
    /// Pulse 1 negates with ones' complement (subtracts one more).
    ones_complement: bool,
    /// [`Self::compute_muted`], kept current by every change of the period
    /// or the sweep settings so the per-cycle output needs no arithmetic.
    muted: bool,
}

impl Pulse {
    /// A silent channel; `ones_complement` is true for pulse 1.
    pub(super) fn new(ones_complement: bool) -> Self {
        Self {
            envelope: Envelope::default(),
            length: LengthCounter::default(),
            duty: 0,
            step: 0,
            period: 0,
            timer: 0,
            sweep_enabled: false,
            sweep_period: 0,
            sweep_negate: false,
            sweep_shift: 0,
            sweep_divider: 0,
            sweep_reload: false,
            ones_complement,
            // Period 0 is under 8.
            muted: true,
        }
    }

    /// Register write; `reg` is the address minus the channel's base (0-3).
    pub(super) fn write(&mut self, reg: u16, value: u8) {
        match reg {
            0 => {
                self.duty = value >> 6;
                self.length.write_halt(value & 0x20 != 0);
                self.envelope.write_control(value);
            }
            1 => {
                self.sweep_enabled = value & 0x80 != 0;
                self.sweep_period = (value >> 4) & 7;
                self.sweep_negate = value & 0x08 != 0;
                self.sweep_shift = value & 7;
                self.sweep_reload = true;
            }
            2 => self.period = (self.period & 0x700) | u16::from(value),
            _ => {
                self.period = (self.period & 0xFF) | (u16::from(value & 7) << 8);
                self.length.write_load(value);
                self.envelope.restart();
                self.step = 0;
            }
        }
        self.muted = self.compute_muted();
    }

    /// Timer clock, once per APU cycle (every other CPU cycle).
    #[inline]
    pub(super) fn clock_timer(&mut self) {
        if self.timer == 0 {
            self.timer = self.period;
            self.step = self.step.wrapping_sub(1) & 7;
        } else {
            self.timer -= 1;
        }
    }

    /// The period the sweep unit would set.
    fn target_period(&self) -> u16 {
        let change = self.period >> self.sweep_shift;
        if self.sweep_negate {
            self.period
                .saturating_sub(change)
                .saturating_sub(u16::from(self.ones_complement))
        } else {
            self.period + change
        }
    }

    /// The sweep unit mutes the channel for periods under 8 and for targets
    /// past $7FF, whether or not the sweep is enabled.
    fn compute_muted(&self) -> bool {
        self.period < 8 || (!self.sweep_negate && self.target_period() > 0x7FF)
    }

    /// Half-frame clock of the sweep unit.
    pub(super) fn clock_sweep(&mut self) {
        if self.sweep_divider == 0 && self.sweep_enabled && self.sweep_shift != 0 && !self.muted {
            self.period = self.target_period();
            self.muted = self.compute_muted();
        }
        if self.sweep_divider == 0 || self.sweep_reload {
            self.sweep_divider = self.sweep_period;
            self.sweep_reload = false;
        } else {
            self.sweep_divider -= 1;
        }
    }

    /// Output level, 0-15.
    #[inline]
    pub(super) fn output(&self) -> u8 {
        if DUTY[usize::from(self.duty)][usize::from(self.step)] == 0
            || !self.length.active()
            || self.muted
        {
            0
        } else {
            self.envelope.output()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pulse;

    fn pulse(ones_complement: bool, period: u16, sweep: u8) -> Pulse {
        let mut pulse = Pulse::new(ones_complement);
        pulse.length.set_enabled(true);
        pulse.write(0, 0xBF); // 50% duty, halt, constant volume 15
        pulse.write(1, sweep);
        pulse.write(2, period as u8);
        pulse.write(3, (period >> 8) as u8);
        pulse.length.apply_staged();
        pulse
    }

    /// The highest output over one duty cycle.
    fn peak(pulse: &mut Pulse) -> u8 {
        (0..8 * (u32::from(pulse.period) + 1))
            .map(|_| {
                pulse.clock_timer();
                pulse.output()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn periods_under_8_are_muted() {
        assert_eq!(peak(&mut pulse(false, 7, 0)), 0);
        assert_eq!(peak(&mut pulse(false, 8, 0)), 15);
    }

    #[test]
    fn targets_past_7ff_mute_even_with_the_sweep_disabled() {
        // 0x400 + (0x400 >> 0)... shift 0 gives 0x800: muted although the
        // sweep unit is off.
        assert_eq!(peak(&mut pulse(false, 0x400, 0x00)), 0);
        // Shift 1: 0x400 + 0x200 fits.
        assert_eq!(peak(&mut pulse(false, 0x400, 0x01)), 15);
        // Negating never mutes through the target.
        assert_eq!(peak(&mut pulse(false, 0x7FF, 0x08)), 15);
    }

    #[test]
    fn pulse_1_negates_with_ones_complement() {
        // Enabled, divider period 0, negate, shift 1.
        let mut one = pulse(true, 0x100, 0x89);
        let mut two = pulse(false, 0x100, 0x89);
        one.clock_sweep();
        two.clock_sweep();
        assert_eq!(one.period, 0x100 - 0x80 - 1);
        assert_eq!(two.period, 0x100 - 0x80);
    }

    #[test]
    fn sweep_adds_at_its_divider_rate_and_shift_0_never_updates() {
        // Enabled, divider period 1 (updates every 2 half frames), shift 2.
        let mut up = pulse(false, 0x100, 0x92);
        let periods: Vec<u16> = (0..4)
            .map(|_| {
                up.clock_sweep();
                up.period
            })
            .collect();
        assert_eq!(periods, [0x140, 0x140, 0x190, 0x190]);
        let mut fixed = pulse(false, 0x100, 0x80);
        fixed.clock_sweep();
        fixed.clock_sweep();
        assert_eq!(fixed.period, 0x100);
    }
}
