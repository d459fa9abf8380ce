//! A node's monotonic local clock, as the nemesis made it run: how much of it elapsed over
//! a stretch of global (simulated) time.
//!
//! Only `clock-rate` faults change how fast a monotonic clock runs; `clock-jump` faults move
//! the wall clock, which leases (like Go's monotonic time in etcd) do not read, so they are
//! ignored here.

use history::{Fault, FaultEvent, NodeId, SimTimeNs};

/// The percentage of real speed a clock runs at before any `clock-rate` fault.
const REAL_SPEED_PERCENT: u64 = 100;

/// Nanoseconds `node`'s monotonic clock advanced while global time went from `from_ns` to
/// `to_ns` (0 when `to_ns <= from_ns`), integrating the rate set by each of its
/// `clock-rate` faults from that fault's time on; the clock runs at real speed before the
/// first one. Faults may be in any order; of two at the same moment, the later in `faults`
/// wins, as it was applied last. Rounded down to whole nanoseconds.
pub fn local_elapsed_ns(
    faults: &[FaultEvent],
    node: NodeId,
    from_ns: SimTimeNs,
    to_ns: SimTimeNs,
) -> u64 {
    if to_ns <= from_ns {
        return 0;
    }
    let mut rate_changes: Vec<(SimTimeNs, u64)> = faults
        .iter()
        .filter_map(|event| match event.fault {
            Fault::ClockRate {
                node: faulted,
                rate_percent,
            } if faulted == node => Some((event.at_ns, rate_percent)),
            _ => None,
        })
        .collect();
    // Stable: faults at the same moment keep the order they were applied in.
    rate_changes.sort_by_key(|&(at_ns, _)| at_ns);
    // Sum of `span × percent` over the rate segments, divided by 100 once at the end so
    // that rounding happens once; u128 keeps long runs at high rates from overflowing.
    let mut percent_ns: u128 = 0;
    let mut segment_start_ns = 0;
    let mut rate_percent = REAL_SPEED_PERCENT;
    let segment_ends = rate_changes
        .iter()
        .map(|&(at_ns, next_rate_percent)| (at_ns, Some(next_rate_percent)))
        .chain(std::iter::once((SimTimeNs::MAX, None)));
    for (segment_end_ns, next_rate_percent) in segment_ends {
        let overlap_ns = segment_end_ns
            .min(to_ns)
            .saturating_sub(segment_start_ns.max(from_ns));
        percent_ns += u128::from(overlap_ns) * u128::from(rate_percent);
        if segment_end_ns >= to_ns {
            break;
        }
        segment_start_ns = segment_end_ns;
        rate_percent = next_rate_percent.unwrap_or(rate_percent);
    }
    u64::try_from(percent_ns / u128::from(REAL_SPEED_PERCENT)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn rate(at_s: u64, node: NodeId, rate_percent: u64) -> FaultEvent {
        FaultEvent {
            at_ns: at_s * S,
            fault: Fault::ClockRate { node, rate_percent },
            lasting: false,
        }
    }

    #[test]
    fn without_rate_faults_the_clock_keeps_real_time() {
        assert_eq!(local_elapsed_ns(&[], 1, 2 * S, 5 * S), 3 * S);
        assert_eq!(local_elapsed_ns(&[], 1, 5 * S, 5 * S), 0);
        assert_eq!(
            local_elapsed_ns(&[], 1, 5 * S, 2 * S),
            0,
            "an empty interval"
        );
    }

    #[test]
    fn rate_segments_are_integrated_from_each_fault_on() {
        // Node 2 runs at 200% from 1 s, at 50% from 3 s, and at real speed again from 5 s.
        let faults = [rate(1, 2, 200), rate(3, 2, 50), rate(5, 2, 100)];
        // 0–1 s at 100%, 1–3 s at 200%, 3–5 s at 50%, 5–6 s at 100%.
        assert_eq!(local_elapsed_ns(&faults, 2, 0, 6 * S), S + 4 * S + S + S);
        // Starting and ending inside segments.
        assert_eq!(
            local_elapsed_ns(&faults, 2, 2 * S, 4 * S),
            2 * S + S / 2,
            "1 s at 200%, 1 s at 50%"
        );
        assert_eq!(local_elapsed_ns(&faults, 2, 3 * S + S / 2, 4 * S), S / 4);
        // After the last fault the last rate holds.
        assert_eq!(local_elapsed_ns(&faults[..1], 2, 10 * S, 11 * S), 2 * S);
    }

    #[test]
    fn only_the_nodes_own_rate_faults_count_and_clock_jumps_do_not() {
        let faults = [
            rate(1, 3, 300),
            FaultEvent {
                at_ns: S,
                fault: Fault::ClockJump {
                    node: 2,
                    by_ms: -5_000,
                },
                lasting: false,
            },
        ];
        assert_eq!(local_elapsed_ns(&faults, 2, 0, 4 * S), 4 * S);
        assert_eq!(local_elapsed_ns(&faults, 3, 0, 4 * S), S + 9 * S);
    }

    #[test]
    fn unordered_faults_are_applied_in_time_order_and_the_last_of_a_moment_wins() {
        let faults = [rate(3, 1, 100), rate(1, 1, 200), rate(1, 1, 0)];
        // 0–1 s at 100%, 1–3 s stopped (the 0% came after the 200% at 1 s), then 100%.
        assert_eq!(local_elapsed_ns(&faults, 1, 0, 4 * S), 2 * S);
    }

    #[test]
    fn partial_nanoseconds_round_down_and_long_runs_do_not_overflow() {
        let faults = [rate(0, 1, 150)];
        // 3 ns at 150% is 4.5 ns.
        assert_eq!(local_elapsed_ns(&faults, 1, 0, 3), 4);
        assert_eq!(local_elapsed_ns(&faults, 1, 0, 1 << 62), 3 << 61);
        assert_eq!(local_elapsed_ns(&faults, 1, 0, u64::MAX), u64::MAX);
    }
}
