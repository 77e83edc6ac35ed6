//! The beeper: the EAR and MIC bits of port $FE drive the speaker. Each
//! output sample is the average speaker level over its sample period (a
//! box filter: the level can change at any T-state, so point-sampling it
//! would alias badly), followed by a DC blocker so a speaker left high
//! is silence.

use serde::{Deserialize, Serialize};

/// The CPU clock: T-states per second.
pub const CLOCK: u64 = 3_500_000;
/// Speaker level with EAR (bit 4) set; MIC (bit 3) adds a little, as the
/// two are mixed through different resistors.
const EAR_LEVEL: i64 = 12_000;
const MIC_LEVEL: i64 = 2_000;

/// Turns speaker level changes at T-states into samples.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Beeper {
    rate: u64,
    /// The speaker level now.
    level: i64,
    /// Samples produced since power-on: sample `n` covers T-states
    /// `n·CLOCK/rate` to `(n+1)·CLOCK/rate`.
    sample: u64,
    /// Where the level integral has got to, and the integral so far.
    integrated_to: u64,
    area: i64,
    /// DC blocker state: the previous input and output.
    last_in: f32,
    last_out: f32,
    #[serde(skip)]
    out: Vec<i16>,
}

impl Beeper {
    /// A silent beeper producing `rate` samples per second from T-state
    /// `now` on.
    pub fn new(rate: u32, now: u64) -> Self {
        let rate = u64::from(rate.max(1));
        let sample = now.saturating_mul(rate) / CLOCK;
        Self {
            rate,
            level: 0,
            sample,
            integrated_to: Self::boundary(sample, rate),
            area: 0,
            last_in: 0.0,
            last_out: 0.0,
            out: Vec::new(),
        }
    }

    fn boundary(sample: u64, rate: u64) -> u64 {
        sample.saturating_mul(CLOCK) / rate.max(1)
    }

    /// Checks a beeper read from a save state against the machine loading
    /// it (sample rate `rate`, CPU at T-state `now`); one that does not fit
    /// (another sample rate, a damaged state) restarts silent at `now`
    /// rather than producing a wrong rate or a flood of samples.
    pub fn adopt(mut self, rate: u32, now: u64) -> Self {
        let start = Self::boundary(self.sample, self.rate);
        let fits = self.rate == u64::from(rate.max(1))
            && start <= self.integrated_to
            && self.integrated_to <= now
            && now - self.integrated_to <= CLOCK
            && (0..=EAR_LEVEL + MIC_LEVEL).contains(&self.level)
            && self.area.unsigned_abs() <= (EAR_LEVEL + MIC_LEVEL) as u64 * CLOCK;
        if !fits {
            return Self::new(rate, now);
        }
        self.out.clear();
        self
    }

    /// The speaker level for the EAR and MIC bits of a port $FE write.
    pub fn level_of(fe: u8) -> i64 {
        (if fe & 0x10 != 0 { EAR_LEVEL } else { 0 }) + if fe & 0x08 != 0 { MIC_LEVEL } else { 0 }
    }

    /// The level changes to `level` at T-state `now`.
    pub fn set_level(&mut self, now: u64, level: i64) {
        if level != self.level {
            self.advance(now);
            self.level = level;
        }
    }

    /// Produces the samples that end by T-state `now`.
    pub fn advance(&mut self, now: u64) {
        loop {
            let end = Self::boundary(self.sample.saturating_add(1), self.rate);
            if end > now {
                break;
            }
            let start = Self::boundary(self.sample, self.rate);
            self.area += self.level * end.saturating_sub(self.integrated_to) as i64;
            let average = self.area as f32 / end.saturating_sub(start).max(1) as f32;
            let filtered = average - self.last_in + 0.995 * self.last_out;
            self.last_in = average;
            self.last_out = filtered;
            self.out.push(filtered.clamp(-32_768.0, 32_767.0) as i16);
            self.area = 0;
            self.integrated_to = end;
            self.sample += 1;
        }
        if now > self.integrated_to {
            self.area += self.level * (now - self.integrated_to) as i64;
            self.integrated_to = now;
        }
    }

    /// Moves the samples produced so far to the end of `out`.
    pub fn take(&mut self, out: &mut Vec<i16>) {
        out.append(&mut self.out);
    }
}
