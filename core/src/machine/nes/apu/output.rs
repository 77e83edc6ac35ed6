//! The output chain: the NES's analog filters at the CPU rate, then
//! down-sampling to the host rate by averaging.

use serde::{Deserialize, Serialize};

use super::Apu;

/// A first-order RC filter sampled at the
/// CPU rate has these coefficients (dt = 1 / CPU_HZ, RC = 1 / (2 pi f)).
const fn rc(cutoff_hz: f64) -> f64 {
    1.0 / (2.0 * std::f64::consts::PI * cutoff_hz)
}
const DT: f64 = 1.0 / Apu::CPU_HZ;
const HP90: f64 = rc(90.0) / (rc(90.0) + DT);
const HP440: f64 = rc(440.0) / (rc(440.0) + DT);
const LP14K: f64 = DT / (rc(14_000.0) + DT);

/// The mixer output is within [0, 1); each first-order high-pass can at most
/// double a signal's peak (its output is bounded by the input's range) and
/// the low-pass never exceeds its input, so +-2 maps to the i16 range
/// without clipping.
const SCALE: f64 = i16::MAX as f64 / 2.0;

/// First-order high-pass: y[n] = a * (y[n-1] + x[n] - x[n-1]).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct HighPass {
    prev_in: f64,
    prev_out: f64,
}

impl HighPass {
    #[inline]
    fn step(&mut self, a: f64, x: f64) -> f64 {
        self.prev_out = a * (self.prev_out + x - self.prev_in);
        self.prev_in = x;
        self.prev_out
    }
}

/// Filters, the averaging accumulator and the produced samples.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Output {
    hp90: HighPass,
    hp440: HighPass,
    lp14k: f64,
    sum: f64,
    count: u32,
    /// CPU cycles left in the current host sample period (fractional, so
    /// the long-run rate is exact).
    until_sample: f64,
    cycles_per_sample: f64,
    sample_rate: u32,
    /// Produced but not yet taken; host-side data, not machine state.
    #[serde(skip)]
    samples: Vec<i16>,
}

impl Output {
    /// An idle chain producing `sample_rate` samples per emulated second.
    pub(super) fn new(sample_rate: u32) -> Self {
        let mut output = Self {
            hp90: HighPass::default(),
            hp440: HighPass::default(),
            lp14k: 0.0,
            sum: 0.0,
            count: 0,
            until_sample: 0.0,
            cycles_per_sample: 0.0,
            sample_rate: 0,
            samples: Vec::new(),
        };
        output.set_sample_rate(sample_rate);
        output
    }

    /// Changes the host rate; a rate of 0 is taken as 1 Hz.
    pub(super) fn set_sample_rate(&mut self, rate: u32) {
        self.sample_rate = rate.max(1);
        self.cycles_per_sample = Apu::CPU_HZ / f64::from(self.sample_rate);
        self.until_sample = self.cycles_per_sample;
    }

    /// Feeds one CPU cycle of mixer output.
    #[inline]
    pub(super) fn push(&mut self, x: f32) {
        let y = self.hp90.step(HP90, f64::from(x));
        let y = self.hp440.step(HP440, y);
        self.lp14k += LP14K * (y - self.lp14k);
        self.sum += self.lp14k;
        self.count += 1;
        self.until_sample -= 1.0;
        if self.until_sample <= 0.0 {
            self.until_sample += self.cycles_per_sample;
            let average = self.sum / f64::from(self.count);
            self.sum = 0.0;
            self.count = 0;
            // Float-to-int `as` saturates; the scale keeps it from having to.
            self.samples.push((average * SCALE).round() as i16);
        }
    }

    /// Moves the produced samples to the end of `out`.
    pub(super) fn take(&mut self, out: &mut Vec<i16>) {
        out.append(&mut self.samples);
    }
}
