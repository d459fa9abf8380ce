//! Lease time, as the cluster promised it: a lease must not expire before the TTL of its
//! last acknowledged grant or keep-alive has elapsed, counted from the request's *send*
//! time, on the clock of the leader that expired it.
//!
//! A client that sent a keep-alive at `t` and got it acknowledged may act as the lease
//! holder until `t + TTL` (it cannot know when the server received it); if the cluster
//! expires the lease earlier, that holder and the next one overlap.
//!
//! Only the leader expires leases, by its own monotonic clock, and etcd's design assumes
//! that clocks drift by a bounded amount: a leader whose clock runs fast expires leases
//! early in real time, and nothing in the protocol can notice. That is a known limit, not a
//! bug, so the TTL is measured on the expiring leader's clock (`LeaseEnd::expired_by`,
//! through the history's `clock-rate` faults; real time when no leader is named). What
//! remains are servers that break their promise on their own clock: a new leader that does
//! not extend deadlines on promotion, a deposed leader that still acknowledges keep-alives
//! the new one never hears of. Expiries that drift alone made early in real time are
//! counted in the summary, so users still see them.

use crate::evidence::seconds;
use crate::local_clock::local_elapsed_ns;
use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::{History, LeaseEnd, LeaseRenewal};

const NS_PER_S: u64 = 1_000_000_000;

/// Checks every lease expiry against the renewals acknowledged for it; `None` when the
/// history records no lease renewals.
pub fn check_lease_bounds(history: &History) -> Option<CheckReport> {
    if history.lease_renewals.is_empty() {
        return None;
    }
    let mut checked = 0;
    let mut early_by_drift = 0;
    let mut most_early_by_drift_ns = 0;
    let mut violation = None;
    for end in history.lease_ends.iter().filter(|end| end.expired) {
        checked += 1;
        let promises: Vec<Promise> = history
            .lease_renewals
            .iter()
            .filter(|renewal| renewal.lease == end.lease && renewal.sent_ns < end.at_ns)
            .filter_map(|renewal| Promise::measure(history, end, renewal))
            .collect();
        let broken = promises
            .iter()
            .filter(|promise| promise.elapsed_local_ns < promise.ttl_ns)
            .max_by_key(|promise| promise.ttl_ns - promise.elapsed_local_ns);
        if let Some(promise) = broken {
            violation = Some(promise.violation(end));
            break;
        }
        let early_real_ns = promises
            .iter()
            .map(|promise| promise.early_real_ns(end))
            .max()
            .unwrap_or(0);
        if early_real_ns > 0 {
            early_by_drift += 1;
            most_early_by_drift_ns = most_early_by_drift_ns.max(early_real_ns.unsigned_abs());
        }
    }
    let result = violation.unwrap_or_else(|| {
        let drift = match early_by_drift {
            0 => String::new(),
            1 => format!(
                "; 1 expiry came early in real time only because the expiring leader's clock \
                 ran fast ({})",
                seconds(most_early_by_drift_ns)
            ),
            many => format!(
                "; {many} expiries came early in real time only because the expiring leader's \
                 clock ran fast (up to {})",
                seconds(most_early_by_drift_ns)
            ),
        };
        CheckResult::ok(format!(
            "{checked} expiries, none before an acknowledged renewal's send time + TTL on the \
             expiring leader's clock{drift}"
        ))
    });
    Some(CheckReport {
        check: "lease-bounds".to_string(),
        kind: CheckKind::Safety,
        result,
    })
}

/// One acknowledged renewal, measured against one expiry of its lease.
struct Promise<'h> {
    renewal: &'h LeaseRenewal,
    ttl_ns: u64,
    /// How much of the expirer's clock (real time if none is named) elapsed from the
    /// renewal's send time to the expiry.
    elapsed_local_ns: u64,
}

impl<'h> Promise<'h> {
    /// `None` when the renewal was not acknowledged: it promised nothing.
    fn measure(history: &History, end: &LeaseEnd, renewal: &'h LeaseRenewal) -> Option<Self> {
        let ack = renewal.acked?;
        let elapsed_local_ns = match end.expired_by {
            Some(node) => local_elapsed_ns(&history.faults, node, renewal.sent_ns, end.at_ns),
            None => end.at_ns.saturating_sub(renewal.sent_ns),
        };
        Some(Promise {
            renewal,
            ttl_ns: ack.ttl_s.saturating_mul(NS_PER_S),
            elapsed_local_ns,
        })
    }

    /// How long before the TTL ran out in real time the lease ended (negative: after).
    fn early_real_ns(&self, end: &LeaseEnd) -> i64 {
        let ttl_ends_ns = i128::from(self.renewal.sent_ns) + i128::from(self.ttl_ns);
        i64::try_from(ttl_ends_ns - i128::from(end.at_ns)).unwrap_or(i64::MAX)
    }

    /// The violation of a promise the expiry broke on the expirer's clock.
    fn violation(&self, end: &LeaseEnd) -> CheckResult {
        let early_ns = self.ttl_ns - self.elapsed_local_ns;
        let early_real_ns = self.early_real_ns(end);
        // Without a named expirer the clock is real time: one set of figures says it all.
        let (clock, real_time) = match end.expired_by {
            None => (
                "in real time (the history names no expiring leader)".to_string(),
                String::new(),
            ),
            Some(node) => {
                let real_elapsed = seconds(end.at_ns - self.renewal.sent_ns);
                let real_verdict = match early_real_ns {
                    0 => "just as the TTL ran out".to_string(),
                    early if early > 0 => format!("{} early", seconds(early.unsigned_abs())),
                    late => format!(
                        "{} after the TTL ran out (that clock ran slow)",
                        seconds(late.unsigned_abs())
                    ),
                };
                (
                    format!("on the clock of node {node}, which expired it"),
                    format!("; in real time {real_elapsed} had, {real_verdict}"),
                )
            }
        };
        CheckResult::Violation {
            summary: format!(
                "lease {:x} expired at {}, {} early {clock}: only {} of the {} s TTL of the \
                 grant or keep-alive client {} sent at {} had elapsed{real_time}",
                end.lease,
                seconds(end.at_ns),
                seconds(early_ns),
                seconds(self.elapsed_local_ns),
                self.ttl_ns / NS_PER_S,
                self.renewal.client,
                seconds(self.renewal.sent_ns),
            ),
            evidence: Evidence::LeaseExpiredEarly {
                end: Box::new(end.clone()),
                renewal: Box::new(self.renewal.clone()),
                early_ns,
                elapsed_local_ns: self.elapsed_local_ns,
                early_real_ns,
            },
        }
    }
}
