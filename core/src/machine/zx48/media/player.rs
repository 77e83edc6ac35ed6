//! Real-time tape playback: the EAR input level over time.
//!
//! A pulse is the time between two edges; the level toggles when each pulse
//! ends, so a block of N pulses started at T has its edges at T + p0,
//! T + p0 + p1, ... The tape starts low. After a block's pulses comes its
//! pause: if the level is high it drops after 1 ms (or the whole pause, if
//! shorter), because TZX defines a pause as low and a loader waiting for the
//! next pilot must not see a phantom edge at its start.
//!
//! The player is driven by the machine's T-state clock and keeps no
//! per-pulse tables, so it serializes compactly into save states.

use super::{TSTATES_PER_MS, Tape};
use serde::{Deserialize, Serialize};

/// What happens at the player's next event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Step {
    /// Pulse `n` of the current block ends: the level toggles.
    Pulse(usize),
    /// 1 ms into a pause the level goes low; the next block starts `then`
    /// T-states later.
    PauseLow {
        /// T-states from this event to the next block.
        then: u64,
    },
    /// The current block starts (its first pulse begins).
    BlockStart,
    /// The tape has run out.
    Done,
}

/// Plays a [`Tape`] as EAR levels for real-time loading.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TapePlayer {
    tape: Tape,
    /// The block being played (or about to start).
    block: usize,
    step: Step,
    /// T-state of `step`, while playing.
    next: u64,
    /// T-states from the stop to `step`, while stopped.
    remaining: u64,
    /// The latest `now` seen, which is when a [`TapePlayer::stop`] happens.
    last: u64,
    level: bool,
    playing: bool,
}

impl TapePlayer {
    /// A stopped player at the start of `tape`, level low.
    pub fn new(tape: Tape) -> Self {
        Self {
            tape,
            block: 0,
            step: Step::BlockStart,
            next: 0,
            remaining: 0,
            last: 0,
            level: false,
            playing: false,
        }
    }

    /// The tape being played.
    pub fn tape(&self) -> &Tape {
        &self.tape
    }

    /// Index of the block being played, or of the next one when stopped
    /// between blocks; `tape().blocks.len()` once finished.
    pub fn block(&self) -> usize {
        self.block
    }

    /// Whether the tape is running.
    pub fn playing(&self) -> bool {
        self.playing
    }

    /// Starts or resumes playback at T-state `now`, continuing exactly where
    /// [`TapePlayer::stop`] left off. Does nothing while playing or once
    /// finished.
    pub fn play(&mut self, now: u64) {
        if self.playing || self.step == Step::Done {
            return;
        }
        self.next = now.saturating_add(self.remaining);
        self.last = now;
        self.playing = true;
    }

    /// Stops playback at the time of the last [`TapePlayer::ear`] or
    /// [`TapePlayer::play`] call; the level holds.
    pub fn stop(&mut self) {
        if self.playing {
            self.remaining = self.next.saturating_sub(self.last);
            self.playing = false;
        }
    }

    /// Moves to the start of block `index` (clamped to the end of the
    /// tape), as after a loader trap has read the blocks before it
    /// instantly. Playing or stopped stays as it was; the block starts at
    /// once.
    pub fn seek(&mut self, index: usize) {
        self.block = index.min(self.tape.blocks.len());
        self.step = Step::BlockStart;
        self.next = self.last;
        self.remaining = 0;
    }

    /// The EAR level at T-state `now`, after every edge up to and including
    /// `now`. Calls must not go back in time; an earlier `now` just returns
    /// the current level.
    pub fn ear(&mut self, now: u64) -> bool {
        self.last = self.last.max(now);
        while self.playing && self.next <= now {
            self.fire();
        }
        self.level
    }

    /// Whether every block has been played.
    pub fn finished(&self) -> bool {
        self.step == Step::Done
    }

    /// Performs the event at `self.next` and schedules the one after it.
    fn fire(&mut self) {
        let t = self.next;
        match self.step {
            Step::Pulse(n) => {
                self.level = !self.level;
                // A restored save state is not trusted to index a block.
                let Some(block) = self.tape.blocks.get(self.block) else {
                    self.step = Step::Done;
                    self.playing = false;
                    return;
                };
                if n + 1 < block.pulse_count() {
                    self.step = Step::Pulse(n + 1);
                    self.next = t.saturating_add(u64::from(block.pulse(n + 1)));
                } else {
                    self.pause(t);
                }
            }
            Step::PauseLow { then } => {
                self.level = false;
                self.step = Step::BlockStart;
                self.next = t.saturating_add(then);
            }
            Step::BlockStart => match self.tape.blocks.get(self.block) {
                None => {
                    self.step = Step::Done;
                    self.playing = false;
                }
                Some(block) if block.pulse_count() > 0 => {
                    self.step = Step::Pulse(0);
                    self.next = t.saturating_add(u64::from(block.pulse(0)));
                }
                Some(_) => self.pause(t),
            },
            Step::Done => self.playing = false,
        }
    }

    /// The current block's pulses ended at `t`: schedules its pause and
    /// moves on to the next block.
    fn pause(&mut self, t: u64) {
        let (pause_ms, stop) = self
            .tape
            .blocks
            .get(self.block)
            .map_or((0, false), |b| (b.pause_ms, b.stop));
        let pause = u64::from(pause_ms) * TSTATES_PER_MS;
        self.block += 1;
        self.step = Step::BlockStart;
        if stop {
            // "Stop the tape": the next block waits for play().
            self.playing = false;
            self.remaining = 0;
        } else if self.level && pause > 0 {
            let low = pause.min(TSTATES_PER_MS);
            self.step = Step::PauseLow { then: pause - low };
            self.next = t.saturating_add(low);
        } else {
            self.next = t.saturating_add(pause);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::zx48::media::{TapeBlock, standard};

    /// Every edge in `[from, to]`, scanning T-state by T-state.
    fn edges(p: &mut TapePlayer, from: u64, to: u64) -> Vec<u64> {
        let mut level = p.ear(from);
        let mut out = Vec::new();
        for t in from + 1..=to {
            let l = p.ear(t);
            if l != level {
                out.push(t);
                level = l;
            }
        }
        out
    }

    /// Compares long edge lists, reporting only the first difference.
    fn same(got: &[u64], want: &[u64]) {
        if let Some(i) = (0..got.len().min(want.len())).find(|&i| got[i] != want[i]) {
            panic!("edge {i}: got {} want {}", got[i], want[i]);
        }
        assert_eq!(got.len(), want.len(), "edge counts differ");
    }

    /// The edge times a block started at `t0` must produce, from its pulses.
    fn expected(block: &TapeBlock, t0: u64) -> Vec<u64> {
        let mut t = t0;
        (0..block.pulse_count())
            .map(|i| {
                t += u64::from(block.pulse(i));
                t
            })
            .collect()
    }

    #[test]
    fn pilot_sync_and_bits_follow_the_standard_timings() {
        let data = vec![0xFF, 0x80, 0x01];
        let tape = Tape {
            blocks: vec![TapeBlock::standard(data)],
        };
        let mut p = TapePlayer::new(tape);
        assert!(!p.ear(0));
        let t0 = 1000;
        p.play(t0);
        let e = edges(&mut p, t0, t0 + 3223 * 2168 + 667 + 735 + 24 * 2 * 1710);
        // Pilot: 3223 pulses of 2168 (data block).
        for (k, &edge) in e.iter().enumerate().take(3223) {
            assert_eq!(edge, t0 + (k as u64 + 1) * 2168, "pilot edge {k}");
        }
        let pilot_end = t0 + 3223 * 2168;
        // Sync 667, 735.
        assert_eq!(e[3223], pilot_end + 667);
        assert_eq!(e[3224], pilot_end + 667 + 735);
        // Flag $FF: eight 1 bits, two 1710 pulses each; then $80: one 1 bit
        // and seven 0 bits (855); then $01.
        let mut t = pilot_end + 667 + 735;
        let mut i = 3225;
        for bit in 0..24 {
            let byte = [0xFFu8, 0x80, 0x01][bit / 8];
            let len = if byte & (0x80 >> (bit % 8)) != 0 {
                1710
            } else {
                855
            };
            for _ in 0..2 {
                t += len;
                assert_eq!(e[i], t, "bit {bit}");
                i += 1;
            }
        }
        // 3273 pulses (the pilot count is odd) leave the level high, so it
        // drops 1 ms into the pause; then the tape ends.
        assert_eq!(e[i], t + 3500);
        assert_eq!(e.len(), i + 1);
        assert!(!p.finished());
        assert!(!p.ear(t + 1000 * 3500 - 1));
        assert!(!p.finished());
        p.ear(t + 1000 * 3500);
        assert!(p.finished() && !p.playing());
    }

    #[test]
    fn header_block_has_8063_pilot_pulses_and_blocks_follow_after_the_pause() {
        let h = TapeBlock::standard(vec![0x00; 19]);
        let d = TapeBlock::standard(vec![0xFF, 0xAA]);
        let tape = Tape {
            blocks: vec![h.clone(), d.clone()],
        };
        let mut p = TapePlayer::new(tape);
        p.play(0);
        let end_h = *expected(&h, 0).last().unwrap();
        assert_eq!(end_h, 8063 * 2168 + 667 + 735 + 19 * 8 * 2 * 855);
        let start_d = end_h + u64::from(standard::PAUSE_MS) * 3500;
        let e = edges(&mut p, 0, start_d + 3223 * 2168 + 20_000);
        let mut want = expected(&h, 0);
        // An odd number of pulses: the level drops 1 ms into the pause.
        want.push(end_h + 3500);
        want.extend(
            expected(&d, start_d)
                .into_iter()
                .take_while(|&t| t <= start_d + 3223 * 2168 + 20_000),
        );
        same(&e, &want);
        assert_eq!(p.block(), 1);
    }

    #[test]
    fn odd_pulse_counts_drop_low_1ms_into_the_pause() {
        let mut tone = TapeBlock::pause(5, false);
        tone.pilot = 100;
        tone.pilot_pulses = 3;
        let mut seq = TapeBlock::pause(0, false);
        seq.pulses = vec![50, 60];
        let mut p = TapePlayer::new(Tape {
            blocks: vec![tone, seq],
        });
        p.play(10);
        let e = edges(&mut p, 10, 40_000);
        // Three tone edges; low 3500 T after the last; the sequence starts
        // 5 ms after the tone ended.
        assert_eq!(
            e,
            [
                110,
                210,
                310,
                310 + 3500,
                310 + 17_500 + 50,
                310 + 17_500 + 110
            ]
        );
        assert!(p.finished());
    }

    #[test]
    fn stop_and_play_resume_exactly_and_stop_blocks_wait() {
        let mut tone = TapeBlock::pause(0, false);
        tone.pilot = 1000;
        tone.pilot_pulses = 4;
        let blocks = vec![tone.clone(), TapeBlock::pause(0, true), tone];
        let mut p = TapePlayer::new(Tape { blocks });
        p.play(0);
        assert_eq!(edges(&mut p, 0, 1500), [1000]);
        p.stop();
        // Stopped for a long time: nothing moves.
        assert_eq!(edges(&mut p, 1500, 100_000), []);
        p.play(100_000);
        // 500 T were left of the second pulse.
        assert_eq!(edges(&mut p, 100_000, 103_000), [100_500, 101_500, 102_500]);
        // The stop block halts the tape after the first tone.
        assert_eq!(edges(&mut p, 103_000, 200_000), []);
        assert!(!p.playing() && !p.finished());
        assert_eq!(p.block(), 2);
        p.play(200_000);
        assert_eq!(
            edges(&mut p, 200_000, 210_000),
            [201_000, 202_000, 203_000, 204_000]
        );
        assert!(p.finished());
        // Play after the end does nothing.
        p.play(300_000);
        assert!(!p.playing());
    }

    #[test]
    fn seek_skips_to_a_block_and_save_states_continue_identically() {
        let h = TapeBlock::standard(vec![0x00; 3]);
        let d = TapeBlock::standard(vec![0xFF, 0x12, 0x34]);
        let mut p = TapePlayer::new(Tape {
            blocks: vec![h, d.clone()],
        });
        p.play(0);
        p.ear(5000);
        p.seek(1);
        assert_eq!(p.block(), 1);
        let probe = 5000 + 3223 * 2168 + 1000;
        let mut copy: TapePlayer = bincode::deserialize(&bincode::serialize(&p).unwrap()).unwrap();
        let a = edges(&mut p, 5000, probe + 40_000);
        let b = edges(&mut copy, 5000, probe + 40_000);
        same(&a, &b);
        let want: Vec<u64> = expected(&d, 5000)
            .into_iter()
            .take_while(|&t| t <= probe + 40_000)
            .collect();
        same(&a, &want);
        p.seek(99);
        p.ear(probe + 40_001);
        assert!(p.finished());
    }

    #[test]
    fn a_restored_state_pointing_past_the_tape_finishes() {
        let mut p = TapePlayer::new(Tape {
            blocks: vec![TapeBlock::standard(vec![0xFF])],
        });
        p.play(0);
        p.ear(3000);
        p.block = 5;
        p.ear(10_000);
        assert!(p.finished());
    }

    #[test]
    fn empty_and_degenerate_tapes_finish() {
        let mut p = TapePlayer::new(Tape::default());
        p.play(0);
        assert!(!p.ear(0));
        assert!(p.finished());
        // Zero-length pulses and empty blocks must not hang the player.
        let mut zero = TapeBlock::pause(0, false);
        zero.pulses = vec![0, 0, 0];
        let mut p = TapePlayer::new(Tape {
            blocks: vec![
                zero,
                TapeBlock::pause(0, false),
                TapeBlock::standard(vec![]),
            ],
        });
        p.play(7);
        // Three zero-length pulses leave the level high at once; the empty
        // standard block still plays its pilot and sync (3225 pulses).
        assert!(p.ear(7));
        let end = 7 + 3223 * 2168 + 667 + 735;
        assert!(p.ear(end - 1));
        assert!(!p.ear(end));
        p.ear(u64::MAX / 2);
        assert!(p.finished());
    }
}
