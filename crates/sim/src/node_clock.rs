//! Per-replica clocks.
//!
//! madsim has one global clock, but a real machine's clock drifts and jumps. Each replica
//! reads a local clock of its own, `local = offset + Σ rate × elapsed simulated time`,
//! piecewise between the moments the nemesis changed its rate or made it jump. The
//! replica schedules its Raft ticks on it, so a fast clock makes it time out sooner. The
//! clock belongs to the machine, not to the process: it survives restarts.

use crate::clock::RunClock;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The arithmetic of a local clock, on simulated nanoseconds since the run's start. Local
/// time is signed: a clock that jumps back early in a run reads before its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalClock {
    /// The local reading at simulated time `since_sim_ns`, when the clock last changed.
    local_ns: i64,
    since_sim_ns: u64,
    rate_percent: u64,
    /// The sum of every jump so far: the monotonic reading leaves them out.
    jumped_ns: i64,
}

impl LocalClock {
    /// A clock that agrees with the simulated clock and runs at real speed.
    pub fn new() -> LocalClock {
        LocalClock {
            local_ns: 0,
            since_sim_ns: 0,
            rate_percent: 100,
            jumped_ns: 0,
        }
    }

    /// What the clock reads at simulated time `sim_ns` (not before its last change).
    pub fn local_ns_at(&self, sim_ns: u64) -> i64 {
        let elapsed_ns = i128::from(sim_ns.saturating_sub(self.since_sim_ns));
        let advanced_ns = elapsed_ns * i128::from(self.rate_percent) / 100;
        self.local_ns + advanced_ns as i64
    }

    /// The monotonic reading at simulated time `sim_ns`: the clock without its jumps, as
    /// Go's monotonic clock, which etcd's lessor measures lease time on. It follows the
    /// clock's rate, so a fast clock still expires leases early in real time.
    pub fn monotonic_ns_at(&self, sim_ns: u64) -> u64 {
        (self.local_ns_at(sim_ns) - self.jumped_ns).max(0) as u64
    }

    pub fn rate_percent(&self) -> u64 {
        self.rate_percent
    }

    /// From simulated time `sim_ns` on, the clock runs at `rate_percent` of real speed.
    pub fn set_rate(&mut self, sim_ns: u64, rate_percent: u64) {
        // The scenario parser only accepts positive rates; a stopped clock would never tick.
        assert!(rate_percent > 0, "a clock rate must be positive");
        self.rebase(sim_ns);
        self.rate_percent = rate_percent;
    }

    /// At simulated time `sim_ns` the clock jumps by `by_ns` (negative: backwards).
    pub fn jump(&mut self, sim_ns: u64, by_ns: i64) {
        self.rebase(sim_ns);
        self.local_ns += by_ns;
        self.jumped_ns += by_ns;
    }

    fn rebase(&mut self, sim_ns: u64) {
        self.local_ns = self.local_ns_at(sim_ns);
        self.since_sim_ns = sim_ns;
    }

    /// Simulated nanoseconds from `sim_ns` until the clock reads `local_ns` (0 if it
    /// already does), assuming the rate does not change meanwhile.
    pub fn sim_ns_until(&self, sim_ns: u64, local_ns: i64) -> u64 {
        if self.local_ns_at(sim_ns) >= local_ns {
            return 0;
        }
        // The first simulated instant t with local_ns + ⌊(t − since) × rate / 100⌋ ≥
        // target is since + ⌈(target − local_ns) × 100 / rate⌉.
        let to_go_ns = i128::from(local_ns) - i128::from(self.local_ns);
        let rate = i128::from(self.rate_percent);
        let reached_sim_ns = i128::from(self.since_sim_ns) + (to_go_ns * 100 + rate - 1) / rate;
        (reached_sim_ns - i128::from(sim_ns)) as u64
    }
}

/// A replica's clock, shared by the cluster (the nemesis sets it) and every incarnation of
/// the replica's process (which read it).
#[derive(Clone)]
pub struct NodeClock {
    clock: Arc<Mutex<LocalClock>>,
    run: RunClock,
}

impl NodeClock {
    /// A clock that starts out agreeing with the run's clock.
    pub fn new(run: RunClock) -> NodeClock {
        NodeClock {
            clock: Arc::new(Mutex::new(LocalClock::new())),
            run,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LocalClock> {
        self.clock.lock().expect("clock lock is never poisoned")
    }

    /// The local time now: what the replica would read from its system clock. Timers
    /// of the replica (its Raft ticks; leases later) are measured on this.
    pub fn now_local_ns(&self) -> i64 {
        self.lock().local_ns_at(self.run.now_ns())
    }

    /// The monotonic local time now (jumps left out; see [`LocalClock::monotonic_ns_at`]).
    pub fn now_monotonic_ns(&self) -> u64 {
        self.lock().monotonic_ns_at(self.run.now_ns())
    }

    pub fn rate_percent(&self) -> u64 {
        self.lock().rate_percent()
    }

    pub fn set_rate(&self, rate_percent: u64) {
        self.lock().set_rate(self.run.now_ns(), rate_percent);
    }

    pub fn jump_ms(&self, by_ms: i64) {
        self.lock().jump(self.run.now_ns(), by_ms * 1_000_000);
    }

    /// How long to sleep in simulated time until the clock reads `local_ns`, at the
    /// current rate; whoever changes the clock must wake the sleeper to recompute it.
    pub fn sim_wait_until(&self, local_ns: i64) -> Duration {
        Duration::from_nanos(self.lock().sim_ns_until(self.run.now_ns(), local_ns))
    }
}

/// A periodic timer on a local clock, with the semantics of Go's `time.Ticker` (which
/// etcd's tick loop uses): when the owner fell behind (its process was paused, its clock
/// jumped forward, its loop was stuck in a slow fsync), one tick fires and the ticks
/// missed are dropped, instead of firing in a burst that would make a follower campaign
/// the instant it resumes. A clock that jumps back simply makes the next tick later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticker {
    next_local_ns: i64,
    period_ns: i64,
}

impl Ticker {
    /// A ticker that first fires at local time `first_local_ns`.
    pub fn new(first_local_ns: i64, period: Duration) -> Ticker {
        Ticker {
            next_local_ns: first_local_ns,
            period_ns: period.as_nanos() as i64,
        }
    }

    /// When the next tick is due, in local time.
    pub fn next_local_ns(&self) -> i64 {
        self.next_local_ns
    }

    /// Whether a tick is due at local time `now_local_ns`; if so the tick is taken and the
    /// next one is due at the first point of the ticker's grid after now.
    pub fn take_due(&mut self, now_local_ns: i64) -> bool {
        if now_local_ns < self.next_local_ns {
            return false;
        }
        let missed = (now_local_ns - self.next_local_ns) / self.period_ns;
        self.next_local_ns += (missed + 1) * self.period_ns;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;
    const MS_I: i64 = 1_000_000;

    #[test]
    fn an_untouched_clock_reads_the_simulated_time() {
        let clock = LocalClock::new();
        assert_eq!(clock.local_ns_at(0), 0);
        assert_eq!(clock.local_ns_at(1_234 * MS), 1_234 * MS_I);
        assert_eq!(clock.sim_ns_until(1_000 * MS, 1_100 * MS_I), 100 * MS);
    }

    #[test]
    fn rate_changes_are_piecewise() {
        let mut clock = LocalClock::new();
        clock.set_rate(1_000 * MS, 300);
        // 1 s at real speed, then 500 ms at 3×.
        assert_eq!(clock.local_ns_at(1_500 * MS), 2_500 * MS_I);
        clock.set_rate(1_500 * MS, 50);
        // Then 1 s at half speed.
        assert_eq!(clock.local_ns_at(2_500 * MS), 3_000 * MS_I);
        clock.set_rate(2_500 * MS, 100);
        assert_eq!(clock.local_ns_at(3_000 * MS), 3_500 * MS_I);
        assert_eq!(clock.rate_percent(), 100);
    }

    #[test]
    fn jumps_move_the_reading_and_keep_the_rate() {
        let mut clock = LocalClock::new();
        clock.set_rate(0, 200);
        clock.jump(1_000 * MS, -3_000 * MS_I);
        // 2 s local by then, minus 3 s: a second before the start.
        assert_eq!(clock.local_ns_at(1_000 * MS), -1_000 * MS_I);
        assert_eq!(clock.local_ns_at(1_500 * MS), 0);
        clock.jump(1_500 * MS, 5_000 * MS_I);
        assert_eq!(clock.local_ns_at(1_500 * MS), 5_000 * MS_I);
        assert_eq!(clock.rate_percent(), 200);
        // The monotonic reading ignores both jumps and keeps the rate: 3 s at 200%.
        assert_eq!(clock.monotonic_ns_at(1_500 * MS), 3_000 * MS);
    }

    #[test]
    fn waits_convert_local_time_to_simulated_time_at_the_current_rate() {
        let mut clock = LocalClock::new();
        clock.set_rate(0, 300);
        // 100 ms of local time pass in a third of the simulated time, rounded up so the
        // clock has surely reached the target when the wait ends.
        let wait = clock.sim_ns_until(0, 100 * MS_I);
        assert_eq!(wait, 33_333_334);
        assert!(clock.local_ns_at(wait) >= 100 * MS_I);
        assert!(clock.local_ns_at(wait - 1) < 100 * MS_I);

        clock.set_rate(10 * MS, 80);
        let now_local = clock.local_ns_at(10 * MS);
        assert_eq!(now_local, 30 * MS_I);
        assert_eq!(clock.sim_ns_until(10 * MS, 130 * MS_I), 125 * MS);
        // A target already passed needs no wait.
        assert_eq!(clock.sim_ns_until(10 * MS, 20 * MS_I), 0);
    }

    #[test]
    fn a_backward_jump_makes_the_wait_longer() {
        let mut clock = LocalClock::new();
        assert_eq!(clock.sim_ns_until(500 * MS, 600 * MS_I), 100 * MS);
        clock.jump(500 * MS, -2_000 * MS_I);
        assert_eq!(clock.sim_ns_until(500 * MS, 600 * MS_I), 2_100 * MS);
    }

    #[test]
    fn a_ticker_fires_on_its_grid() {
        let mut ticker = Ticker::new(30 * MS_I, Duration::from_millis(100));
        assert!(!ticker.take_due(29 * MS_I));
        assert!(ticker.take_due(30 * MS_I));
        assert!(!ticker.take_due(30 * MS_I), "one tick per grid point");
        assert_eq!(ticker.next_local_ns(), 130 * MS_I);
        assert!(ticker.take_due(135 * MS_I));
        assert_eq!(
            ticker.next_local_ns(),
            230 * MS_I,
            "late ticks keep the grid"
        );
    }

    #[test]
    fn a_ticker_that_fell_behind_fires_once_and_drops_the_missed_ticks() {
        let mut ticker = Ticker::new(0, Duration::from_millis(100));
        assert!(ticker.take_due(0));
        // A 3 s pause: 30 ticks were missed; Go's Ticker delivers one, not thirty.
        let now = 3_050 * MS_I;
        assert!(ticker.take_due(now));
        assert!(!ticker.take_due(now));
        assert_eq!(ticker.next_local_ns(), 3_100 * MS_I);
    }

    #[test]
    fn a_ticker_waits_out_a_clock_that_jumped_back() {
        let mut ticker = Ticker::new(1_000 * MS_I, Duration::from_millis(100));
        let mut clock = LocalClock::new();
        clock.jump(950 * MS, -2_000 * MS_I);
        assert!(!ticker.take_due(clock.local_ns_at(950 * MS)));
        assert_eq!(
            clock.sim_ns_until(950 * MS, ticker.next_local_ns()),
            2_050 * MS
        );
    }
}
