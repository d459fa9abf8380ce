//! Leases must end: once the cluster is healthy again, a lease nobody renews any more must
//! expire within its TTL plus a bounded allowance after its last renewal. A cluster that
//! never expires lapsed leases keeps their keys (and the locks they stand for) forever.
//!
//! Demanded only of histories with a liveness phase (before healing, faults may rightly keep
//! every leader from committing a revoke) that record the election timeout (the allowance
//! is counted in it).

use crate::evidence::{count, seconds};
use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::{History, LeaseEnd, LeaseRenewal, SimTimeNs};
use std::collections::BTreeMap;

const NS_PER_S: u64 = 1_000_000_000;

/// How many election timeouts a lapsed lease may take to end once the cluster is healthy
/// and its TTL has run out: one for the extension a new leader gives every lease on
/// promotion (etcd's lessor `Promote`); one for the lessor's revoke retry (a revoke lost
/// with a deposed leader is proposed again one election timeout later: the node retries
/// on that interval); and one for the revoke to
/// commit and be applied (an election may come first). The TTL itself is counted in real
/// time: `clock-rate` faults end at healing, and the deadline never comes before healing
/// plus this allowance.
const ALLOWANCE_ELECTION_TIMEOUTS: u64 = 3;

/// Checks that every lease whose last renewal has lapsed ended by its deadline:
/// `max(last renewal's latest effect + TTL, healing) + 3 × election timeout`, later if a
/// leader change came before that (from the promotion + TTL + 3 × election timeout). `None` when the
/// history records no lease renewals; an ok report that says why when it has no liveness
/// phase or no election timeout.
pub fn check_lease_expiry_liveness(history: &History) -> Option<CheckReport> {
    if history.lease_renewals.is_empty() {
        return None;
    }
    let result = match (&history.liveness, history.election_timeout_ns) {
        (None, _) => CheckResult::ok("no liveness phase: lease expiry not demanded"),
        (Some(_), None) => {
            CheckResult::ok("the history records no election timeout: lease expiry not demanded")
        }
        (Some(probe), Some(election_timeout_ns)) => {
            check_leases(history, probe.healed_at_ns, election_timeout_ns)
        }
    };
    Some(CheckReport {
        check: "lease-expiry-liveness".to_string(),
        kind: CheckKind::Liveness,
        result,
    })
}

/// What became of the leases, for the summary.
#[derive(Default)]
struct Tally {
    expired_in_time: usize,
    revoked_by_clients: usize,
    /// The history ends before their deadline: nothing can be demanded of them yet.
    not_due: usize,
    /// No renewal was acknowledged: the TTL they may have been renewed by is unknown.
    never_acknowledged: usize,
}

/// The latest moment `renewal` may have renewed its lease: an acknowledged one by its
/// acknowledgement; an unanswered one may have been held in the network until healing.
fn latest_effect_ns(renewal: &LeaseRenewal, healed_at_ns: SimTimeNs) -> SimTimeNs {
    match renewal.acked {
        Some(ack) => ack.at_ns,
        None => renewal.sent_ns.max(healed_at_ns),
    }
}

/// The deadline counted from `due_ns` (the lease's TTL ran out, and the cluster is
/// healthy), pushed later by every leader change before it: a new leader counts the lease
/// from its promotion (etcd's lessor `Promote`), with up to the whole TTL left when
/// leases are not checkpointed.
fn deadline_ns(history: &History, due_ns: SimTimeNs, ttl_ns: u64, allowance_ns: u64) -> SimTimeNs {
    let mut deadline_ns = due_ns.saturating_add(allowance_ns);
    loop {
        let promoted_ns = history
            .leaders
            .iter()
            .map(|change| change.at_ns)
            .filter(|&at_ns| at_ns <= deadline_ns)
            .max();
        let pushed_ns = promoted_ns.map_or(0, |at_ns| {
            at_ns.saturating_add(ttl_ns).saturating_add(allowance_ns)
        });
        if pushed_ns <= deadline_ns {
            return deadline_ns;
        }
        deadline_ns = pushed_ns;
    }
}

fn check_leases(
    history: &History,
    healed_at_ns: SimTimeNs,
    election_timeout_ns: u64,
) -> CheckResult {
    let allowance_ns = ALLOWANCE_ELECTION_TIMEOUTS.saturating_mul(election_timeout_ns);
    let observed_until_ns = history.last_recorded_ns();
    let mut renewals_by_lease: BTreeMap<u64, Vec<&LeaseRenewal>> = BTreeMap::new();
    for renewal in &history.lease_renewals {
        renewals_by_lease
            .entry(renewal.lease)
            .or_default()
            .push(renewal);
    }
    let mut tally = Tally::default();
    let mut late = Vec::new();
    for (&lease, renewals) in &renewals_by_lease {
        // A lease's TTL is fixed at its grant, so any acknowledgement tells it; the largest
        // is the lenient choice should a history disagree with itself.
        let Some(ttl_s) = renewals
            .iter()
            .filter_map(|renewal| renewal.acked.map(|ack| ack.ttl_s))
            .max()
        else {
            tally.never_acknowledged += 1;
            continue;
        };
        // Acknowledged or not: an unanswered keep-alive may still have renewed the lease.
        let last_renewal = *renewals
            .iter()
            .max_by_key(|renewal| latest_effect_ns(renewal, healed_at_ns))
            .expect("a lease listed has renewals");
        let ttl_ns = ttl_s.saturating_mul(NS_PER_S);
        let lapsed_ns = latest_effect_ns(last_renewal, healed_at_ns).saturating_add(ttl_ns);
        let deadline_ns = deadline_ns(history, lapsed_ns.max(healed_at_ns), ttl_ns, allowance_ns);
        let end = history
            .lease_ends
            .iter()
            .filter(|end| end.lease == lease)
            .min_by_key(|end| end.at_ns);
        match end {
            Some(end) if end.at_ns <= deadline_ns && end.expired => tally.expired_in_time += 1,
            Some(end) if end.at_ns <= deadline_ns => tally.revoked_by_clients += 1,
            None if observed_until_ns <= deadline_ns => tally.not_due += 1,
            _ => late.push(Late {
                lease,
                last_renewal,
                ttl_s,
                deadline_ns,
                end,
            }),
        }
    }
    let bound = format!(
        "last renewal + TTL or healing at {}, whichever is later, + {ALLOWANCE_ELECTION_TIMEOUTS} \
         × the {} election timeout",
        seconds(healed_at_ns),
        seconds(election_timeout_ns)
    );
    let Some(first) = late.first() else {
        return CheckResult::ok(format!(
            "{} expired by the deadline ({bound}); {} revoked by clients, {} not due before \
             the history ends at {}, {} never acknowledged",
            count(tally.expired_in_time, "lease"),
            tally.revoked_by_clients,
            tally.not_due,
            seconds(observed_until_ns),
            tally.never_acknowledged
        ));
    };
    let fate = match first.end {
        None => format!(
            "had not expired by the history's end at {}",
            seconds(observed_until_ns)
        ),
        Some(end) if end.expired => format!(
            "expired only at {}, {} late",
            seconds(end.at_ns),
            seconds(end.at_ns - first.deadline_ns)
        ),
        Some(end) => format!(
            "was still alive {} late, when a client revoked it at {}",
            seconds(end.at_ns - first.deadline_ns),
            seconds(end.at_ns)
        ),
    };
    let others = match late.len() - 1 {
        0 => String::new(),
        1 => " (and 1 more lease)".to_string(),
        many => format!(" (and {many} more leases)"),
    };
    CheckResult::Violation {
        summary: format!(
            "lease {:x}{others}, last renewed by client {} at {} with a {} s TTL, was due to \
             expire by {} ({bound}) but {fate}",
            first.lease,
            first.last_renewal.client,
            seconds(first.last_renewal.sent_ns),
            first.ttl_s,
            seconds(first.deadline_ns)
        ),
        evidence: Evidence::LeaseExpiredLate {
            lease: first.lease,
            last_renewal: Box::new(first.last_renewal.clone()),
            ttl_s: first.ttl_s,
            deadline_ns: first.deadline_ns,
            end: first.end.cloned().map(Box::new),
            observed_until_ns,
        },
    }
}

/// A lease that outlived its deadline: it ended late (`end`) or not at all.
struct Late<'h> {
    lease: u64,
    last_renewal: &'h LeaseRenewal,
    ttl_s: u64,
    deadline_ns: SimTimeNs,
    end: Option<&'h LeaseEnd>,
}
