//! Sound out through an SDL audio queue, which also paces the emulation
//! (see [`super::pacing`]).

use super::pacing::Watermarks;
use sdl2::AudioSubsystem;
use sdl2::audio::{AudioQueue, AudioSpecDesired};

/// The audio queue and its fill levels.
pub struct AudioOut {
    queue: AudioQueue<i16>,
    marks: Watermarks,
    /// Whether the device is playing. It starts (and restarts after a pause
    /// or fast-forward) only once the queue holds the target latency, so
    /// playback begins with a full cushion instead of starving at once.
    playing: bool,
}

impl std::fmt::Debug for AudioOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioOut")
            .field("marks", &self.marks)
            .field("playing", &self.playing)
            .finish()
    }
}

/// SDL's own buffer, in samples: small, so that the queue (which the
/// watermarks watch) holds nearly all of the latency.
const DEVICE_BUFFER: u16 = 512;

impl AudioOut {
    /// Opens the default device for mono 16-bit sound at `sample_rate`
    /// (SDL converts if the device wants another format), keeping
    /// `latency_ms` queued for a machine running at `frame_rate`.
    pub fn open(
        audio: &AudioSubsystem,
        sample_rate: u32,
        frame_rate: f64,
        latency_ms: u32,
    ) -> Result<Self, String> {
        let desired = AudioSpecDesired {
            freq: Some(i32::try_from(sample_rate).map_err(|e| e.to_string())?),
            channels: Some(1),
            samples: Some(DEVICE_BUFFER),
        };
        let queue = audio.open_queue::<i16, _>(None, &desired)?;
        Ok(Self {
            queue,
            marks: Watermarks::new(sample_rate, frame_rate, latency_ms),
            playing: false,
        })
    }

    /// Samples waiting in the queue.
    fn queued(&self) -> u32 {
        self.queue.size() / 2
    }

    /// Frames to run on this tick to keep the queue between its
    /// watermarks. Before playback starts, always two, to fill it quickly.
    pub fn frames_to_run(&mut self) -> u32 {
        if self.playing && self.queued() == 0 {
            // Starved (the host stalled): stop and refill, so the sound
            // resumes with its full cushion rather than stuttering.
            self.queue.pause();
            self.playing = false;
        }
        if self.playing {
            self.marks.frames_for(self.queued())
        } else {
            2
        }
    }

    /// Queues `samples`, starting playback once the target is reached.
    pub fn push(&mut self, samples: &[i16]) -> Result<(), String> {
        self.queue.queue_audio(samples)?;
        if !self.playing && self.queued() >= self.marks.target {
            self.queue.resume();
            self.playing = true;
        }
        Ok(())
    }

    /// Stops playback and drops what is queued (pause, fast-forward): the
    /// sound restarts with a fresh cushion afterwards.
    pub fn stop(&mut self) {
        self.queue.pause();
        self.queue.clear();
        self.playing = false;
    }
}
