//! The delta modulation channel ($4010-$4013): memory reader, sample
//! buffer, shifter and 7-bit output level.

use serde::{Deserialize, Serialize};

/// NTSC output periods in CPU cycles (nesdev "APU DMC"); all even, so the
/// timer runs on APU cycles with half these values.
const RATES: [u16; 16] = [
    428, 380, 340, 320, 286, 254, 226, 214, 190, 160, 142, 128, 106, 84, 72, 54,
];

/// The DMC.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Dmc {
    irq_enabled: bool,
    looping: bool,
    /// Output period in CPU cycles.
    rate: u16,
    timer: u16,
    level: u8,
    sample_address: u16,
    sample_length: u16,
    address: u16,
    bytes_remaining: u16,
    shifter: u8,
    bits_remaining: u8,
    silence: bool,
    buffer: Option<u8>,
    /// CPU cycles before a sample started by $4015 may fetch its first byte.
    start_delay: u8,
    pub(super) irq_flag: bool,
}

impl Default for Dmc {
    fn default() -> Self {
        Self {
            irq_enabled: false,
            looping: false,
            rate: RATES[0],
            timer: RATES[0] / 2 - 1,
            level: 0,
            sample_address: 0xC000,
            sample_length: 1,
            address: 0xC000,
            bytes_remaining: 0,
            shifter: 0,
            bits_remaining: 8,
            silence: true,
            buffer: None,
            start_delay: 0,
            irq_flag: false,
        }
    }
}

impl Dmc {
    /// Register write; `reg` is the address minus $4010 (0-3).
    pub(super) fn write(&mut self, reg: u16, value: u8) {
        match reg {
            0 => {
                self.irq_enabled = value & 0x80 != 0;
                if !self.irq_enabled {
                    self.irq_flag = false;
                }
                self.looping = value & 0x40 != 0;
                self.rate = RATES[usize::from(value & 0x0F)];
            }
            1 => self.level = value & 0x7F,
            2 => self.sample_address = 0xC000 | (u16::from(value) << 6),
            _ => self.sample_length = (u16::from(value) << 4) + 1,
        }
    }

    /// $4015 bit 4, written in a CPU cycle of parity `odd_cycle`. Writing
    /// $4015 also acknowledges the DMC interrupt.
    ///
    /// A started sample's first fetch is requested 2 CPU cycles after a
    /// write on an APU cycle and 3 after one between them (one cycle before
    /// a $4017 write with the same parity would take effect); the CPU's halt
    /// and alignment cycles come on top. AccuracyCoin checks that no DMA
    /// happens within this delay; blargg's dmc_basics that the byte is
    /// fetched before the next instruction reads $4015.
    pub(super) fn set_enabled(&mut self, enabled: bool, odd_cycle: bool) {
        self.irq_flag = false;
        if !enabled {
            self.bytes_remaining = 0;
        } else if self.bytes_remaining == 0 {
            self.restart();
            self.start_delay = if odd_cycle { 3 } else { 2 };
        }
    }

    /// Counts down the start delay, once per CPU cycle.
    #[inline]
    pub(super) fn tick_start_delay(&mut self) {
        if self.start_delay != 0 {
            self.start_delay -= 1;
        }
    }

    fn restart(&mut self) {
        self.address = self.sample_address;
        self.bytes_remaining = self.sample_length;
    }

    /// Bytes of the sample still to fetch ($4015 bit 4 is this > 0).
    pub(super) fn bytes_remaining(&self) -> u16 {
        self.bytes_remaining
    }

    /// The reset button clears the upper six bits of the output level.
    pub(super) fn reset_level(&mut self) {
        self.level &= 1;
    }

    /// The address the memory reader wants to fetch now, if any.
    pub(super) fn dma_request(&self) -> Option<u16> {
        if self.buffer.is_none() && self.bytes_remaining > 0 && self.start_delay == 0 {
            Some(self.address)
        } else {
            None
        }
    }

    /// The machine delivers the byte it read for [`Self::dma_request`]; a
    /// delivery nobody asked for is ignored.
    pub(super) fn dma_complete(&mut self, value: u8) {
        if self.dma_request().is_none() {
            return;
        }
        self.buffer = Some(value);
        self.address = if self.address == 0xFFFF {
            0x8000
        } else {
            self.address + 1
        };
        self.bytes_remaining -= 1;
        if self.bytes_remaining == 0 {
            if self.looping {
                self.restart();
            } else if self.irq_enabled {
                self.irq_flag = true;
            }
        }
    }

    /// Timer clock, once per APU cycle.
    #[inline]
    pub(super) fn clock_timer(&mut self) {
        if self.timer == 0 {
            self.timer = self.rate / 2 - 1;
            self.clock_output();
        } else {
            self.timer -= 1;
        }
    }

    fn clock_output(&mut self) {
        if !self.silence {
            if self.shifter & 1 != 0 {
                if self.level <= 125 {
                    self.level += 2;
                }
            } else if self.level >= 2 {
                self.level -= 2;
            }
        }
        self.shifter >>= 1;
        self.bits_remaining -= 1;
        if self.bits_remaining == 0 {
            self.bits_remaining = 8;
            match self.buffer.take() {
                Some(byte) => {
                    self.shifter = byte;
                    self.silence = false;
                }
                None => self.silence = true,
            }
        }
    }

    /// A lower bound on CPU cycles until the DMC interrupt flag can rise
    /// without a register write. The buffer is emptied once per output
    /// cycle of 8 timer periods, and each fetch waits for an empty buffer,
    /// so the last byte cannot arrive before the remaining output cycles
    /// have passed.
    pub(super) fn cycles_until_irq(&self) -> Option<u64> {
        if !self.irq_enabled || self.looping || self.bytes_remaining == 0 {
            return None;
        }
        let output_cycle = 8 * u64::from(self.rate);
        let fetches_after_next_drain = if self.buffer.is_none() {
            // The first fetch is due now; the others each need a drain.
            u64::from(self.bytes_remaining) - 1
        } else {
            u64::from(self.bytes_remaining)
        };
        // The first drain may be imminent, so only later drains count.
        Some(fetches_after_next_drain.saturating_sub(1) * output_cycle)
    }

    /// Output level, 0-127.
    #[inline]
    pub(super) fn output(&self) -> u8 {
        self.level
    }
}
