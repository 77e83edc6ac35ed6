//! Running the machine at its real speed.
//!
//! A timer ticks at the machine's frame rate; each tick normally runs one
//! frame. With sound, the audio queue is the real clock: the sound card
//! eats samples at its own rate, which drifts from both the timer and the
//! machine's nominal rate. So the queue is kept between two watermarks
//! around the configured latency: below the low one a tick runs an extra
//! frame, above the high one it runs none. The gap between them is two
//! frames of sound, wide enough that timer jitter never triggers a
//! correction, so in steady state the queue never runs dry (no crackle) and
//! frames are neither doubled nor dropped.

use std::time::{Duration, Instant};

/// Watermarks of the audio queue, in samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watermarks {
    /// Below this, run an extra frame.
    pub low: u32,
    /// Where the queue should sit, and the fill that starts playback.
    pub target: u32,
    /// Above this, skip a frame.
    pub high: u32,
}

impl Watermarks {
    /// Watermarks for `latency_ms` of sound at `sample_rate`, when a frame
    /// (at `frame_rate`) makes `sample_rate / frame_rate` samples. The
    /// target is at least two frames of sound, so the low watermark stays a
    /// frame above empty.
    pub fn new(sample_rate: u32, frame_rate: f64, latency_ms: u32) -> Self {
        let frame = (f64::from(sample_rate) / frame_rate).ceil() as u32;
        let target = (u64::from(sample_rate) * u64::from(latency_ms) / 1000) as u32;
        let target = target.max(2 * frame);
        Self {
            low: target - frame,
            target,
            high: target + frame,
        }
    }

    /// Frames to run on this tick with `queued` samples waiting: 2 when
    /// the queue runs low, 0 when it is overfull, else 1.
    pub fn frames_for(&self, queued: u32) -> u32 {
        if queued < self.low {
            2
        } else if queued > self.high {
            0
        } else {
            1
        }
    }
}

/// The frame timer.
#[derive(Debug)]
pub struct Ticker {
    period: Duration,
    next: Instant,
}

/// Beyond this many periods late, the timer gives up catching up: a slow
/// engine (lockstep) or a stall must not be followed by a burst of frames.
const MAX_LAG_PERIODS: u32 = 4;

impl Ticker {
    /// A timer ticking `frame_rate` times a second, starting now.
    pub fn new(frame_rate: f64) -> Self {
        Self {
            period: Duration::from_secs_f64(1.0 / frame_rate),
            next: Instant::now(),
        }
    }

    /// Sleeps until the next tick is due.
    pub fn wait(&mut self) {
        let now = Instant::now();
        if let Some(wait) = self.next.checked_duration_since(now) {
            std::thread::sleep(wait);
        }
        self.next = next_tick(self.next, now, self.period);
    }

    /// Starts counting from now (after fast-forward or a pause), so the
    /// time spent there is not made up for.
    pub fn restart(&mut self) {
        self.next = Instant::now();
    }
}

/// The tick after `due`, or a fresh start from `now` when `due` is more
/// than [`MAX_LAG_PERIODS`] behind.
fn next_tick(due: Instant, now: Instant, period: Duration) -> Instant {
    let next = due + period;
    if now > next + period * MAX_LAG_PERIODS {
        now + period
    } else {
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermarks_bracket_the_latency() {
        // 60 ms at 48 kHz and 60.0988 Hz: 2880 samples, 799 a frame.
        let w = Watermarks::new(48_000, 60.0988, 60);
        assert_eq!(
            w,
            Watermarks {
                low: 2081,
                target: 2880,
                high: 3679
            }
        );
        assert_eq!(w.frames_for(0), 2);
        assert_eq!(w.frames_for(2080), 2);
        assert_eq!(w.frames_for(2881), 1);
        assert_eq!(w.frames_for(3679), 1);
        assert_eq!(w.frames_for(3680), 0);
        // Too little latency is raised to two frames.
        let w = Watermarks::new(48_000, 60.0988, 1);
        assert_eq!((w.low, w.target, w.high), (799, 1598, 2397));
    }

    #[test]
    fn steady_state_never_runs_dry() {
        // The sound card is 0.5% faster than the machine's nominal rate and
        // each tick drains a jittery amount: the queue must stay above zero
        // and no tick may run more than one extra frame.
        let w = Watermarks::new(48_000, 60.0988, 60);
        let per_frame = 48_000.0 / 60.0988;
        let mut queued = f64::from(w.target);
        for tick in 0..100_000u32 {
            let jitter = f64::from(tick % 7) * 20.0 - 60.0;
            queued = (queued - per_frame * 1.005 - jitter).max(0.0);
            assert!(queued > 0.0, "ran dry at tick {tick}");
            queued += per_frame * f64::from(w.frames_for(queued as u32));
        }
    }

    #[test]
    fn late_ticker_does_not_burst() {
        let period = Duration::from_millis(16);
        let start = Instant::now();
        // Slightly late: keep the schedule.
        assert_eq!(
            next_tick(start, start + Duration::from_millis(20), period),
            start + period
        );
        // A second late: restart from now.
        let now = start + Duration::from_secs(1);
        assert_eq!(next_tick(start, now, period), now + period);
    }
}
