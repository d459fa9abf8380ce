//! How long leases lived past their holder's last word: what a lock or lease user waits
//! for when its holder goes silent, and what calibration compares with a real etcd.
//!
//! A holder that stops renewing can count on its lease until the last acknowledged
//! renewal's send time + TTL; the cluster ends it later, by how often its lessor looks for
//! expired leases, the revoke's commit, and, across a leader change, by restarting the
//! lease at the new leader (etcd without checkpoints: the full TTL plus an election
//! timeout, from the promotion).

use crate::metrics::NS_PER_US;
use history::{History, LeaseEnd, SimTimeNs};

/// Per expired lease: (from the send of its last acknowledged grant or keep-alive to the
/// expiry), and, for those expired by a leader promoted after that send, (from that
/// promotion to the expiry); both in µs, in the order the leases ended.
pub fn lease_expiry_times(history: &History) -> (Vec<u64>, Vec<u64>) {
    let mut from_last_renewal = Vec::new();
    let mut from_promotion = Vec::new();
    for end in history.lease_ends.iter().filter(|end| end.expired) {
        let Some(renewed_ns) = last_acked_renewal_sent_ns(history, end) else {
            continue;
        };
        if renewed_ns > end.at_ns {
            continue;
        }
        from_last_renewal.push((end.at_ns - renewed_ns) / NS_PER_US);
        let promoted_ns = end.expired_by.and_then(|node| {
            history
                .leaders
                .iter()
                .rev()
                .filter(|change| change.node == node && change.at_ns <= end.at_ns)
                .map(|change| change.at_ns)
                .next()
        });
        if let Some(promoted_ns) = promoted_ns.filter(|&at_ns| at_ns > renewed_ns) {
            from_promotion.push((end.at_ns - promoted_ns) / NS_PER_US);
        }
    }
    (from_last_renewal, from_promotion)
}

/// When the last grant or keep-alive of `end`'s lease that was acknowledged was sent.
fn last_acked_renewal_sent_ns(history: &History, end: &LeaseEnd) -> Option<SimTimeNs> {
    history
        .lease_renewals
        .iter()
        .filter(|renewal| renewal.lease == end.lease && renewal.acked.is_some())
        .map(|renewal| renewal.sent_ns)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use history::{LeaderChange, LeaseAck, LeaseRenewal};

    const MS: u64 = 1_000_000;

    fn renewal(lease: u64, sent_ms: u64, acked: bool) -> LeaseRenewal {
        LeaseRenewal {
            client: 1,
            lease,
            sent_ns: sent_ms * MS,
            acked: acked.then_some(LeaseAck {
                at_ns: sent_ms * MS + MS,
                ttl_s: 5,
            }),
            believed_until_ns: None,
        }
    }

    fn end(lease: u64, at_ms: u64, expired_by: Option<u64>) -> LeaseEnd {
        LeaseEnd {
            lease,
            revision: lease,
            at_ns: at_ms * MS,
            expired: expired_by.is_some(),
            keys: Vec::new(),
            expired_by,
        }
    }

    fn leader(node: u64, term: u64, at_ms: u64) -> LeaderChange {
        LeaderChange {
            at_ns: at_ms * MS,
            node,
            term,
        }
    }

    #[test]
    fn expiry_counts_from_the_last_acknowledged_renewal_and_from_a_later_promotion() {
        let mut history = History::new("lease", 0);
        history.leaders = vec![leader(1, 1, 0), leader(2, 2, 3_000)];
        history.lease_renewals = vec![
            // Lease 10: last acknowledged keep-alive at 1 s (the one at 2 s went
            // unanswered); expired at 7.4 s by node 2, promoted at 3 s.
            renewal(10, 0, true),
            renewal(10, 1_000, true),
            renewal(10, 2_000, false),
            // Lease 20: renewed at 4 s, after node 2's promotion, expired by it at 9.45 s.
            renewal(20, 4_000, true),
            // Lease 30: revoked by its client, not expired: not counted.
            renewal(30, 0, true),
            // Lease 40: never acknowledged: nothing to count from.
            renewal(40, 0, false),
        ];
        history.lease_ends = vec![
            end(30, 500, None),
            end(10, 7_400, Some(2)),
            end(40, 8_000, Some(2)),
            end(20, 9_450, Some(2)),
        ];
        let (from_renewal, from_promotion) = lease_expiry_times(&history);
        assert_eq!(from_renewal, vec![6_400_000, 5_450_000]);
        assert_eq!(
            from_promotion,
            vec![4_400_000],
            "only lease 10 was restarted by a promotion after its last renewal"
        );
    }
}
