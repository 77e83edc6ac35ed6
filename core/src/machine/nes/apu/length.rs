//! The length counter shared by the pulse, triangle and noise channels.

use serde::{Deserialize, Serialize};

/// Length counter load values, indexed by bits 7-3 of the channel's fourth
/// register (nesdev "APU Length Counter").
pub(super) const LENGTH_TABLE: [u8; 32] = [
    10, 254, 20, 2, 40, 4, 80, 6, 160, 8, 60, 10, 14, 12, 26, 14, 12, 16, 24, 18, 48, 20, 96, 22,
    192, 24, 72, 26, 16, 28, 32, 30,
];

/// A channel's length counter.
///
/// Writes to the halt flag and to the load register are staged and applied
/// after the frame counter's clocks of the same cycle, because the chip
/// resolves the race that way (blargg's len_halt_timing and len_reload_timing):
/// a half-frame clock in the write's cycle still sees the old halt flag, and a
/// reload is dropped if that clock decremented a non-zero counter.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct LengthCounter {
    counter: u8,
    halt: bool,
    enabled: bool,
    halt_next: bool,
    reload: Option<u8>,
    counter_at_reload: u8,
}

impl LengthCounter {
    /// The current count (tests look at it; the channels only need
    /// [`Self::active`]).
    #[cfg(test)]
    pub(super) fn count(&self) -> u8 {
        self.counter
    }

    /// Whether the count is non-zero ($4015 status bit).
    pub(super) fn active(&self) -> bool {
        self.counter > 0
    }

    /// $4015 enable bit: disabling clears the counter at once.
    pub(super) fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        if !enabled {
            self.counter = 0;
            self.reload = None;
        }
    }

    /// Stages a new halt flag (applied by [`Self::apply_staged`]).
    pub(super) fn write_halt(&mut self, halt: bool) {
        self.halt_next = halt;
    }

    /// Stages a reload from bits 7-3 of `value`; ignored while disabled.
    pub(super) fn write_load(&mut self, value: u8) {
        if self.enabled {
            self.reload = Some(LENGTH_TABLE[usize::from(value >> 3)]);
            self.counter_at_reload = self.counter;
        }
    }

    /// Half-frame clock.
    pub(super) fn clock(&mut self) {
        if !self.halt && self.counter > 0 {
            self.counter -= 1;
        }
    }

    /// Applies the staged halt flag and reload after the cycle's clocks.
    pub(super) fn apply_staged(&mut self) {
        self.halt = self.halt_next;
        if let Some(value) = self.reload.take() {
            // A clock that decremented the counter in the write's cycle wins
            // over the reload; a clock that found zero did nothing, so the
            // reload goes through.
            if self.enabled && self.counter == self.counter_at_reload {
                self.counter = value;
            }
        }
    }
}
