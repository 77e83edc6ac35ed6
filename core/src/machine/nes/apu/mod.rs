//! The NES APU (the 2A03's sound half): two pulse channels, triangle, noise,
//! DMC, the frame counter and the mixer, cycle-exact at the CPU clock.
//!
//! Timing convention: the machine calls [`Apu::tick`] once per CPU cycle,
//! after that cycle's bus access. A register access made in a cycle is
//! therefore seen by that cycle's tick, and a read sees everything the
//! previous ticks did. Even ticks (counting from power-on) are APU cycles,
//! the ones on which the pulse, noise and DMC timers advance.
//!
//! The DMC's memory reader asks for bytes through [`Apu::dmc_dma_request`];
//! the request only appears during a tick or a register write, so the
//! machine checks it before each CPU cycle, stalls the CPU as the 2A03 does
//! and answers with [`Apu::dmc_dma_complete`]. A late answer delays the
//! sample (and its end-of-sample IRQ), as a long stall does on hardware.

mod dmc;
mod envelope;
mod frame_counter;
mod length;
mod mixer;
mod noise;
mod output;
mod pulse;
mod triangle;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use dmc::Dmc;
use frame_counter::{FrameCounter, HALF, QUARTER};
use noise::Noise;
use output::Output;
use pulse::Pulse;
use triangle::Triangle;

/// The 2A03 APU.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Apu {
    pulse1: Pulse,
    pulse2: Pulse,
    triangle: Triangle,
    noise: Noise,
    dmc: Dmc,
    frame: FrameCounter,
    /// CPU cycles ticked since power-on; its parity tells APU cycles apart.
    cycle: u64,
    /// A length counter register was written and awaits the end of the
    /// next tick's frame clocks.
    length_staged: bool,
    output: Output,
}

impl Apu {
    /// NTSC CPU clock, Hz (236.25 MHz / 11 / 12).
    pub const CPU_HZ: f64 = 1_789_772.727_272_727_3;

    /// Power-on state, producing `sample_rate` samples per emulated second
    /// (e.g. 48000). As on hardware, $00 was written to $4017 shortly before:
    /// 3 cycles, which with the CPU's 7-cycle reset
    /// sequence ticked through the APU puts the first instruction 10 cycles
    /// after that write (blargg's apu_reset/4017_timing accepts 9-12).
    pub fn new(sample_rate: u32) -> Self {
        let mut apu = Self {
            pulse1: Pulse::new(true),
            pulse2: Pulse::new(false),
            triangle: Triangle::default(),
            noise: Noise::default(),
            dmc: Dmc::default(),
            frame: FrameCounter::new(),
            cycle: 0,
            length_staged: false,
            output: Output::new(sample_rate),
        };
        apu.run_write_lead();
        apu
    }

    /// Cycles between the implicit $4017 write of power-on and reset and
    /// the state [`Self::new`] and [`Self::reset`] leave.
    const WRITE_LEAD: u32 = 3;

    fn run_write_lead(&mut self) {
        for _ in 0..Self::WRITE_LEAD {
            self.tick();
        }
    }

    /// The reset button: as if $4015 = 0 were written and the last $4017
    /// value written again; the frame interrupt flag is cleared, the
    /// triangle's sequencer returns to its first step and the DMC output
    /// level keeps only its lowest bit (nesdev "CPU power up state").
    pub fn reset(&mut self) {
        self.write_status(0);
        self.frame.reset(self.odd_cycle());
        self.triangle.reset_phase();
        self.dmc.reset_level();
        self.run_write_lead();
    }

    fn odd_cycle(&self) -> bool {
        self.cycle & 1 != 0
    }

    /// Exactly one CPU cycle.
    #[inline]
    pub fn tick(&mut self) {
        let clocks = self.frame.tick();
        if clocks != 0 {
            self.frame_clocks(clocks);
        }
        if self.length_staged {
            self.length_staged = false;
            self.pulse1.length.apply_staged();
            self.pulse2.length.apply_staged();
            self.triangle.length.apply_staged();
            self.noise.length.apply_staged();
        }
        self.triangle.clock_timer();
        self.dmc.tick_start_delay();
        if !self.odd_cycle() {
            self.pulse1.clock_timer();
            self.pulse2.clock_timer();
            self.noise.clock_timer();
            self.dmc.clock_timer();
        }
        self.output.push(mixer::mix(
            self.pulse1.output(),
            self.pulse2.output(),
            self.triangle.output(),
            self.noise.output(),
            self.dmc.output(),
        ));
        self.cycle += 1;
    }

    fn frame_clocks(&mut self, clocks: u8) {
        if clocks & QUARTER != 0 {
            self.pulse1.envelope.clock();
            self.pulse2.envelope.clock();
            self.noise.envelope.clock();
            self.triangle.clock_linear();
        }
        if clocks & HALF != 0 {
            self.pulse1.length.clock();
            self.pulse2.length.clock();
            self.triangle.length.clock();
            self.noise.length.clock();
            self.pulse1.clock_sweep();
            self.pulse2.clock_sweep();
        }
    }

    /// $4015 read. Bit 5 is open bus on the chip: return it as 0; the bus ORs
    /// in its open-bus bit.
    /// Reading clears the frame interrupt flag (with the documented timing).
    ///
    /// Bits 0-3: length counters non-zero; bit 4: DMC bytes remaining; bit 6:
    /// frame interrupt; bit 7: DMC interrupt. The read clears the frame
    /// flag, but the 4-step sequence raises it on three consecutive cycles,
    /// so a read inside that window is followed by the flag rising again.
    /// blargg's 6-irq_flag_timing pins this down: with a $4017 write at
    /// cycle 0 (on an APU cycle), reads at 29830 and 29831 see it clear and
    /// set, a read at 29832 is followed by the flag rising again, a read at
    /// 29833 clears it for good. (nesdev's "a read simultaneous with the
    /// raise does not clear it" is this repeated raise seen from outside.)
    pub fn read_status(&mut self) -> u8 {
        let status = u8::from(self.pulse1.length.active())
            | u8::from(self.pulse2.length.active()) << 1
            | u8::from(self.triangle.length.active()) << 2
            | u8::from(self.noise.length.active()) << 3
            | u8::from(self.dmc.bytes_remaining() > 0) << 4
            | u8::from(self.frame.irq_flag) << 6
            | u8::from(self.dmc.irq_flag) << 7;
        self.frame.irq_flag = false;
        status
    }

    /// CPU write to $4000-$4013, $4015 or $4017 (others ignored).
    pub fn write_register(&mut self, addr: u16, value: u8) {
        match addr {
            0x4000..=0x4003 => self.pulse1.write(addr - 0x4000, value),
            0x4004..=0x4007 => self.pulse2.write(addr - 0x4004, value),
            0x4008..=0x400B => self.triangle.write(addr - 0x4008, value),
            0x400C..=0x400F => self.noise.write(addr - 0x400C, value),
            0x4010..=0x4013 => self.dmc.write(addr - 0x4010, value),
            0x4015 => self.write_status(value),
            0x4017 => self.frame.write(value, self.odd_cycle()),
            _ => {}
        }
        // Halt and load writes to the length counters are staged until the
        // tick's frame clocks have run (see `length`).
        if matches!(addr & 0xFFF3, 0x4000 | 0x4003) {
            self.length_staged = true;
        }
    }

    fn write_status(&mut self, value: u8) {
        self.pulse1.length.set_enabled(value & 0x01 != 0);
        self.pulse2.length.set_enabled(value & 0x02 != 0);
        self.triangle.length.set_enabled(value & 0x04 != 0);
        self.noise.length.set_enabled(value & 0x08 != 0);
        self.dmc.set_enabled(value & 0x10 != 0, self.odd_cycle());
    }

    /// Frame IRQ flag or DMC IRQ flag.
    pub fn irq_line(&self) -> bool {
        self.frame.irq_flag || self.dmc.irq_flag
    }

    /// The DMC wants a sample byte from this CPU address now (the machine
    /// stalls the CPU, reads it, and calls [`Apu::dmc_dma_complete`]).
    pub fn dmc_dma_request(&self) -> Option<u16> {
        self.dmc.dma_request()
    }

    /// Delivers the byte read for [`Apu::dmc_dma_request`]; ignored when no
    /// request is pending.
    pub fn dmc_dma_complete(&mut self, value: u8) {
        self.dmc.dma_complete(value);
    }

    /// A lower bound on CPU cycles from now until irq_line() can become true
    /// without a register write (None: it cannot).
    /// The machine uses it to schedule; it may be early, never late. Some(0)
    /// if already asserted.
    pub fn cycles_until_irq(&self) -> Option<u64> {
        if self.irq_line() {
            return Some(0);
        }
        match (self.frame.cycles_until_irq(), self.dmc.cycles_until_irq()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Changes the host sample rate (a rate of 0 is taken as 1 Hz).
    pub fn set_sample_rate(&mut self, rate: u32) {
        self.output.set_sample_rate(rate);
    }

    /// Moves the samples produced since the last call (mono, at the sample
    /// rate) to the end of `out`.
    pub fn take_samples(&mut self, out: &mut Vec<i16>) {
        self.output.take(out);
    }
}
