//! The RGB colours of the 2C02's 64 palette entries, with emphasis.
//!
//! The 2C02 has no RGB palette: it emits NTSC composite video directly, a
//! square wave between two voltage levels whose phase is the hue. The table
//! here is derived from that signal (nesdev "NTSC video" levels, measured
//! relative to sync on a terminated 2C02G output) and decoded the way an
//! ideal NTSC television would: luma is the wave's mean, chroma its
//! fundamental demodulated on the U/V axes (the colorburst is -U and lies at
//! hue 8, so +U is hue 2), then Y'UV -> R'G'B'. The signal is already gamma
//! encoded, as sRGB is, so no gamma step is applied.
//!
//! Emphasis ($2001 bits 5-7: red, green, blue on NTSC) darkens the channels
//! that are *not* emphasised by [`EMPHASIS_ATTENUATION`]; with all three bits
//! set every channel is darkened. That factor is the ratio by which the chip
//! attenuates the signal during an emphasised colour's phases (nesdev
//! "NTSC video": 0.746).

use std::f64::consts::PI;
use std::sync::OnceLock;

/// Signal low level per brightness row ($0x-$3x), volts above sync.
const SIGNAL_LOW: [f64; 4] = [0.350, 0.518, 0.962, 1.550];
/// Signal high level per brightness row.
const SIGNAL_HIGH: [f64; 4] = [1.094, 1.506, 1.962, 1.962];
/// Black level (the $1D level), volts above sync.
const BLACK: f64 = 0.518;
/// White level (the $20 level).
const WHITE: f64 = 1.962;
/// Brightness factor applied to the channels that are not emphasised.
const EMPHASIS_ATTENUATION: f64 = 0.746;

/// RGBA8888 for every 9-bit pixel value (6-bit colour | emphasis << 6).
fn rgba_table() -> &'static [[u8; 4]; 512] {
    static TABLE: OnceLock<[[u8; 4]; 512]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [[0; 4]; 512];
        for (value, entry) in table.iter_mut().enumerate() {
            let rgb = ntsc_rgb((value & 0x3F) as u8);
            let emphasis = value >> 6;
            for (channel, level) in rgb.iter().enumerate() {
                let darkened = emphasis != 0 && (emphasis == 7 || emphasis & (1 << channel) == 0);
                let level = if darkened {
                    level * EMPHASIS_ATTENUATION
                } else {
                    *level
                };
                entry[channel] = (level.clamp(0.0, 1.0) * 255.0).round() as u8;
            }
            entry[3] = 0xFF;
        }
        table
    })
}

/// R'G'B' (0.0-1.0, unclamped) of palette colour `colour` ($00-$3F).
fn ntsc_rgb(colour: u8) -> [f64; 3] {
    let hue = usize::from(colour & 0x0F);
    // Hues $E-$F output the black level whatever the row.
    let row = if hue >= 14 {
        1
    } else {
        usize::from(colour >> 4) & 3
    };
    let high = if hue >= 13 {
        SIGNAL_LOW[row]
    } else {
        SIGNAL_HIGH[row]
    };
    let low = if hue == 0 { high } else { SIGNAL_LOW[row] };
    // One colour cycle is 12 phases; hue h is high for the 6 phases p with
    // (h + p) mod 12 < 6, so its wave is centred on phase 3 - h.
    let (mut y, mut u, mut v) = (0.0, 0.0, 0.0);
    for phase in 0..12 {
        let level = if (hue + phase) % 12 < 6 { high } else { low };
        let signal = (level - BLACK) / (WHITE - BLACK);
        let t = phase as f64 + 0.5;
        y += signal / 12.0;
        // +U at hue 2 (centre phase 1), +V a quarter cycle on at hue 5 (phase -2).
        u += signal * (2.0 * PI * (t - 1.0) / 12.0).cos() / 6.0;
        v += signal * (2.0 * PI * (t + 2.0) / 12.0).cos() / 6.0;
    }
    [y + 1.140 * v, y - 0.395 * u - 0.581 * v, y + 2.032 * u]
}

/// Convert 9-bit pixels to RGBA8888, as many as fit in `out`.
pub(super) fn to_rgba(pixels: &[u16], out: &mut [u8]) {
    let table = rgba_table();
    for (pixel, rgba) in pixels.iter().zip(out.chunks_exact_mut(4)) {
        rgba.copy_from_slice(&table[usize::from(pixel & 0x1FF)]);
    }
}

#[cfg(test)]
pub(super) fn rgb(value: u16) -> [u8; 3] {
    let [r, g, b, _] = rgba_table()[usize::from(value & 0x1FF)];
    [r, g, b]
}
