//! The frame counter ($4017): quarter- and half-frame clocks and the frame
//! interrupt flag.
//!
//! The counter counts CPU cycles since the sequence (re)started. The step
//! cycles are nesdev's NTSC table ("APU Frame Counter") in CPU cycles: the
//! APU-cycle positions 3728.5, 7456.5, 11185.5, 14914, 14914.5 and 18640.5
//! land on CPU cycles 7457, 14913, 22371, 29828/29829 and 37281.

use serde::{Deserialize, Serialize};

/// Quarter-frame clock bit of [`FrameCounter::tick`]'s result: envelopes
/// and the triangle's linear counter.
pub(super) const QUARTER: u8 = 1;
/// Half-frame clock bit: length counters and sweep units.
pub(super) const HALF: u8 = 2;

/// The first step; no cycle before it does anything, which keeps the
/// common case of [`FrameCounter::tick`] to one comparison.
const STEP1: u32 = 7457;
const STEP2: u32 = 14913;
const STEP3: u32 = 22371;
/// 4-step mode: the interrupt flag is raised on three consecutive cycles,
/// the middle one also clocks quarter and half frame, and the last one is
/// cycle 0 of the next sequence.
const IRQ_FIRST: u32 = 29828;
const STEP4: u32 = 29829;
const PERIOD4: u32 = 29830;
/// 5-step mode: step 4 (29829) does nothing; step 5 clocks both.
const STEP5: u32 = 37281;
const PERIOD5: u32 = 37282;

/// The frame counter.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct FrameCounter {
    counter: u32,
    five_step: bool,
    irq_inhibit: bool,
    pub(super) irq_flag: bool,
    /// Last value written to $4017 (the reset button rewrites it).
    last_write: u8,
    /// CPU cycles (ticks) until a written mode takes effect; 0: none pending.
    delay: u8,
    pending_five_step: bool,
}

impl FrameCounter {
    /// Power-on: as if $00 had just been written.
    pub(super) fn new() -> Self {
        let mut frame = Self {
            counter: 0,
            five_step: false,
            irq_inhibit: false,
            irq_flag: false,
            last_write: 0,
            delay: 0,
            pending_five_step: false,
        };
        frame.write(0, false);
        frame
    }

    /// $4017 write in the CPU cycle whose parity is `odd_cycle`.
    ///
    /// The inhibit flag acts at once; the sequencer restart (and the
    /// immediate clocks of 5-step mode) happen 3 CPU cycles after a write
    /// on an APU cycle and 4 after one between APU cycles, counted as
    /// nesdev counts them. The write's own cycle is ticked after the write,
    /// so the restart happens in the tick `delay - 1` cycles after it,
    /// which is always an APU cycle.
    pub(super) fn write(&mut self, value: u8, odd_cycle: bool) {
        self.last_write = value;
        self.irq_inhibit = value & 0x40 != 0;
        if self.irq_inhibit {
            self.irq_flag = false;
        }
        self.pending_five_step = value & 0x80 != 0;
        self.delay = if odd_cycle { 4 } else { 3 };
    }

    /// The reset button resets the sequence (2A03G), clears the flag and
    /// rewrites the last value.
    pub(super) fn reset(&mut self, odd_cycle: bool) {
        self.irq_flag = false;
        self.counter = 0;
        self.write(self.last_write, odd_cycle);
    }

    /// One CPU cycle; returns the [`QUARTER`] and [`HALF`] clocks it makes.
    #[inline]
    pub(super) fn tick(&mut self) -> u8 {
        self.counter += 1;
        let mut clocks = 0;
        if self.counter >= STEP1 {
            clocks = self.step();
        }
        if self.delay != 0 {
            self.delay -= 1;
            if self.delay == 0 {
                self.counter = 0;
                self.five_step = self.pending_five_step;
                if self.five_step {
                    clocks |= QUARTER | HALF;
                }
            }
        }
        clocks
    }

    fn step(&mut self) -> u8 {
        match (self.counter, self.five_step) {
            (STEP1, _) | (STEP3, _) => QUARTER,
            (STEP2, _) => QUARTER | HALF,
            (IRQ_FIRST, false) => {
                self.raise_irq();
                0
            }
            (STEP4, false) => {
                self.raise_irq();
                QUARTER | HALF
            }
            (PERIOD4, false) => {
                self.raise_irq();
                self.counter = 0;
                0
            }
            (STEP5, true) => QUARTER | HALF,
            (PERIOD5, true) => {
                self.counter = 0;
                0
            }
            _ => 0,
        }
    }

    fn raise_irq(&mut self) {
        if !self.irq_inhibit {
            self.irq_flag = true;
        }
    }

    /// A lower bound on CPU cycles until the flag can rise with no further
    /// register write: exact for the running sequence, and the earliest
    /// the pending sequence could raise it.
    pub(super) fn cycles_until_irq(&self) -> Option<u64> {
        if self.irq_flag {
            return Some(0);
        }
        if self.irq_inhibit {
            return None;
        }
        // The tick that makes the counter reach IRQ_FIRST..=PERIOD4 raises it.
        let current = (!self.five_step && self.counter < PERIOD4)
            .then(|| u64::from(IRQ_FIRST.saturating_sub(self.counter).max(1)));
        if self.delay == 0 {
            return current;
        }
        // The restart tick still steps the old sequence before discarding it.
        let current = current.filter(|&c| c <= u64::from(self.delay));
        let pending =
            (!self.pending_five_step).then(|| u64::from(self.delay) + u64::from(IRQ_FIRST));
        match (current, pending) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
