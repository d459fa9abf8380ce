//! Simulated time as the history records it.

use madsim::time::Instant;

/// The start of a run; times in the history are nanoseconds since then.
#[derive(Clone, Copy, Debug)]
pub struct RunClock {
    start: Instant,
}

impl RunClock {
    /// Starts counting from the current simulated instant.
    pub fn start() -> RunClock {
        RunClock {
            start: Instant::now(),
        }
    }

    /// Simulated nanoseconds since the start.
    pub fn now_ns(&self) -> u64 {
        Instant::now().duration_since(self.start).as_nanos() as u64
    }

    /// The instant `ms` simulated milliseconds after the start.
    pub fn at_ms(&self, ms: u64) -> Instant {
        self.start + std::time::Duration::from_millis(ms)
    }
}
