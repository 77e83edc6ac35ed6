//! The 2A03's nonlinear DAC (nesdev "APU Mixer"), as two lookup tables
//! built at compile time.

/// `95.52 / (8128 / n + 100)` for the sum of the pulse levels, n = 0..=30.
const PULSE_TABLE: [f32; 31] = pulse_table();
/// `163.67 / (24329 / n + 100)` for n = 3 * triangle + 2 * noise + dmc,
/// n = 0..=202.
const TND_TABLE: [f32; 203] = tnd_table();

const fn pulse_table() -> [f32; 31] {
    let mut table = [0.0; 31];
    let mut n = 1;
    while n < table.len() {
        table[n] = (95.52 / (8128.0 / n as f64 + 100.0)) as f32;
        n += 1;
    }
    table
}

const fn tnd_table() -> [f32; 203] {
    let mut table = [0.0; 203];
    let mut n = 1;
    while n < table.len() {
        table[n] = (163.67 / (24329.0 / n as f64 + 100.0)) as f32;
        n += 1;
    }
    table
}

/// The mixed output, 0.0 to about 1.0, from the channel levels (pulses,
/// triangle and noise 0-15, DMC 0-127).
#[inline]
pub(super) fn mix(pulse1: u8, pulse2: u8, triangle: u8, noise: u8, dmc: u8) -> f32 {
    let pulse = usize::from(pulse1) + usize::from(pulse2);
    let tnd = 3 * usize::from(triangle) + 2 * usize::from(noise) + usize::from(dmc);
    PULSE_TABLE[pulse] + TND_TABLE[tnd]
}
