//! A client's own reckoning of its lease: after an acknowledged grant or keep-alive it may
//! believe the lease alive until the request's *send* time plus the TTL, no longer (the
//! leader may have received it any moment after the send, and counts the TTL from then).
//! A client that counts from the answer's arrival instead believes longer than that, and
//! when the lease ends meanwhile it acts on a lease the cluster already revoked (bug zoo
//! entry 6). The check flags exactly that: a belief past the send time + TTL, at a moment
//! the lease had already ended. A correct client's belief never passes send + TTL, so
//! whether the server kept *its* promise is left to `lease-bounds`.

use crate::evidence::seconds;
use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::History;

const NS_PER_S: u64 = 1_000_000_000;

/// Checks every acknowledged renewal's recorded belief against the lease's end; `None`
/// when the history records no client beliefs.
pub fn check_lease_belief(history: &History) -> Option<CheckReport> {
    let beliefs: Vec<_> = history
        .lease_renewals
        .iter()
        .filter_map(|renewal| Some((renewal, renewal.acked?, renewal.believed_until_ns?)))
        .collect();
    if beliefs.is_empty() {
        return None;
    }
    let violation = beliefs.iter().find_map(|&(renewal, ack, believed_until_ns)| {
        let allowed_until_ns = renewal.sent_ns + ack.ttl_s * NS_PER_S;
        if believed_until_ns <= allowed_until_ns {
            return None;
        }
        // A client's own revoke ends its belief too; only an expiry contradicts it.
        let end = history.lease_ends.iter().find(|end| {
            end.expired
                && end.lease == renewal.lease
                && end.at_ns > ack.at_ns
                && end.at_ns < believed_until_ns
        })?;
        Some(CheckResult::Violation {
            summary: format!(
                "client {} believed lease {:x} alive until {}, but it ended at {}: it counted the {} s TTL from the answer at {}, not from the send at {} (allowed until {})",
                renewal.client,
                renewal.lease,
                seconds(believed_until_ns),
                seconds(end.at_ns),
                ack.ttl_s,
                seconds(ack.at_ns),
                seconds(renewal.sent_ns),
                seconds(allowed_until_ns),
            ),
            evidence: Evidence::LeaseBelievedTooLong {
                renewal: Box::new(renewal.clone()),
                end: Box::new(end.clone()),
            },
        })
    });
    Some(CheckReport {
        check: "lease-belief".to_string(),
        kind: CheckKind::Safety,
        result: violation.unwrap_or_else(|| {
            CheckResult::ok(format!(
                "{} acknowledged renewals, none believed past its send time + TTL while the lease had ended",
                beliefs.len()
            ))
        }),
    })
}
