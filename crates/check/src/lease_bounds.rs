//! Lease time, as clients may rely on it: a lease must not expire before the last
//! acknowledged grant or keep-alive's *send* time plus its TTL. A client that sent a
//! keep-alive at `t` and got it acknowledged may act as the lease holder until `t + TTL`
//! (it cannot know when the server received it); if the cluster expires the lease earlier
//! (a new leader that did not extend deadlines on promotion, a stuck old leader's view, a
//! leader whose clock runs fast), that holder and the next one overlap.

use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::History;

/// Checks every lease expiry against the renewals acknowledged for it; `None` when the
/// history records no lease renewals.
pub fn check_lease_bounds(history: &History) -> Option<CheckReport> {
    if history.lease_renewals.is_empty() {
        return None;
    }
    let expiries = history.lease_ends.iter().filter(|end| end.expired);
    let mut checked = 0;
    let mut violation = None;
    for end in expiries {
        checked += 1;
        let promise = history
            .lease_renewals
            .iter()
            .filter(|renewal| renewal.lease == end.lease && renewal.sent_ns < end.at_ns)
            .filter_map(|renewal| {
                let ack = renewal.acked?;
                Some((renewal, renewal.sent_ns + ack.ttl_s * 1_000_000_000))
            })
            .max_by_key(|(_, until_ns)| *until_ns);
        if let Some((renewal, until_ns)) = promise {
            if end.at_ns < until_ns {
                violation = Some(CheckResult::Violation {
                    summary: format!(
                        "lease {:x} expired at {:.3} s, {:.3} s before the keep-alive client {} sent at {:.3} s allowed",
                        end.lease,
                        end.at_ns as f64 / 1e9,
                        (until_ns - end.at_ns) as f64 / 1e9,
                        renewal.client,
                        renewal.sent_ns as f64 / 1e9
                    ),
                    evidence: Evidence::LeaseExpiredEarly {
                        end: Box::new(end.clone()),
                        renewal: Box::new(renewal.clone()),
                        early_ns: until_ns - end.at_ns,
                    },
                });
                break;
            }
        }
    }
    Some(CheckReport {
        check: "lease-bounds".to_string(),
        kind: CheckKind::Safety,
        result: violation.unwrap_or_else(|| {
            CheckResult::ok(format!(
                "{checked} expiries, none before an acknowledged renewal's send time + TTL"
            ))
        }),
    })
}
