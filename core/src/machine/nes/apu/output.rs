//! The output chain: averaging down to the host rate, then the NES's
//! analog filters (nesdev "APU Mixer": high-pass 90 Hz, high-pass 440 Hz,
//! low-pass 14 kHz).
//!
//! The average over each host sample period is the anti-aliasing step (no
//! point sampling). It comes before the filters, not after them, because
//! the filters are linear and time-invariant, so the order barely changes
//! the result, while running three recursive filters at the CPU rate made
//! them most of the cost of [`Apu::tick`]; per CPU cycle only an add and a
//! countdown remain.

use serde::{Deserialize, Serialize};

use super::Apu;

/// The mixer output is within [0, 1) and so is its average; each
/// first-order high-pass can at most double a signal's peak (its output is
/// bounded by the input's range) and the low-pass never exceeds its input,
/// so +-2 maps to the i16 range without clipping.
const SCALE: f64 = i16::MAX as f64 / 2.0;

/// First-order high-pass: y[n] = a * (y[n-1] + x[n] - x[n-1]).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct HighPass {
    prev_in: f64,
    prev_out: f64,
}

impl HighPass {
    fn step(&mut self, a: f64, x: f64) -> f64 {
        self.prev_out = a * (self.prev_out + x - self.prev_in);
        self.prev_in = x;
        self.prev_out
    }
}

/// Coefficients of the three first-order RC filters at one sample rate
/// (RC = 1 / (2 pi f), dt = 1 / rate).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Coefficients {
    hp90: f64,
    hp440: f64,
    lp14k: f64,
}

impl Coefficients {
    fn new(rate: u32) -> Self {
        let dt = 1.0 / f64::from(rate);
        let rc = |hz: f64| 1.0 / (2.0 * std::f64::consts::PI * hz);
        Self {
            hp90: rc(90.0) / (rc(90.0) + dt),
            hp440: rc(440.0) / (rc(440.0) + dt),
            lp14k: dt / (rc(14_000.0) + dt),
        }
    }
}

/// Averaging accumulator, filters and the produced samples.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Output {
    /// Sum of the mixer output over the current sample period.
    sum: f32,
    /// CPU cycles in the current sample period, and those still to come.
    period: u32,
    remaining: u32,
    /// Fractional CPU cycles carried between periods, so that the long-run
    /// rate is exact although each period is a whole number of cycles.
    phase: f64,
    cycles_per_sample: f64,
    coefficients: Coefficients,
    hp90: HighPass,
    hp440: HighPass,
    lp14k: f64,
    /// Produced but not yet taken; host-side data, not machine state.
    #[serde(skip)]
    samples: Vec<i16>,
}

impl Output {
    /// An idle chain producing `sample_rate` samples per emulated second.
    pub(super) fn new(sample_rate: u32) -> Self {
        let mut output = Self {
            sum: 0.0,
            period: 1,
            remaining: 1,
            phase: 0.0,
            cycles_per_sample: 1.0,
            coefficients: Coefficients::new(1),
            hp90: HighPass::default(),
            hp440: HighPass::default(),
            lp14k: 0.0,
            samples: Vec::new(),
        };
        output.set_sample_rate(sample_rate);
        output
    }

    /// Changes the host rate (a rate of 0 is taken as 1 Hz) and starts a
    /// new sample period.
    pub(super) fn set_sample_rate(&mut self, rate: u32) {
        let rate = rate.max(1);
        self.cycles_per_sample = Apu::CPU_HZ / f64::from(rate);
        self.coefficients = Coefficients::new(rate);
        self.sum = 0.0;
        self.phase = 0.0;
        self.start_period();
    }

    fn start_period(&mut self) {
        self.phase += self.cycles_per_sample;
        let whole = self.phase.floor();
        self.phase -= whole;
        // At most CPU_HZ cycles (rate >= 1), at least one.
        self.period = (whole as u32).max(1);
        self.remaining = self.period;
    }

    /// Feeds one CPU cycle of mixer output.
    #[inline]
    pub(super) fn push(&mut self, x: f32) {
        self.sum += x;
        self.remaining -= 1;
        if self.remaining == 0 {
            self.emit();
        }
    }

    fn emit(&mut self) {
        let average = f64::from(self.sum) / f64::from(self.period);
        self.sum = 0.0;
        self.start_period();
        let c = &self.coefficients;
        let y = self.hp90.step(c.hp90, average);
        let y = self.hp440.step(c.hp440, y);
        self.lp14k += c.lp14k * (y - self.lp14k);
        // Float-to-int `as` saturates; the scale keeps it from having to.
        self.samples.push((self.lp14k * SCALE).round() as i16);
    }

    /// Moves the produced samples to the end of `out`.
    pub(super) fn take(&mut self, out: &mut Vec<i16>) {
        out.append(&mut self.samples);
    }
}
