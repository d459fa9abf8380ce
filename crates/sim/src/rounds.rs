//! How long a client keeps starting rounds of its workload: until the safety phase ends,
//! and at most `workload.rounds_per_client` times when the scenario caps it (a shrunk
//! reproducer keeps only the operations its failure needs).

use madsim::time::Instant;
use scenario::WorkloadConfig;

pub struct Rounds {
    stop_at: Instant,
    left: Option<u64>,
}

impl Rounds {
    pub fn new(stop_at: Instant, config: &WorkloadConfig) -> Rounds {
        Rounds {
            stop_at,
            left: config.rounds_per_client,
        }
    }

    /// Whether the client starts another round now; counts it if so.
    pub fn another(&mut self) -> bool {
        if Instant::now() >= self.stop_at {
            return false;
        }
        match &mut self.left {
            None => true,
            Some(0) => false,
            Some(left) => {
                *left -= 1;
                true
            }
        }
    }
}
