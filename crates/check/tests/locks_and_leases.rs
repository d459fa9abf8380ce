//! The lock, resource and lease checks on hand-built histories: each must fail where the
//! property breaks and pass where it holds.

use check::{check_fenced_resource, check_lease_bounds, check_lock_exclusion, CheckResult};
use check::{CheckReport, Evidence};
use history::{
    History, LeaseAck, LeaseEnd, LeaseRenewal, LockHold, LockOwner, LockOwnership, ResourceWrite,
};

const S: u64 = 1_000_000_000;

fn hold(client: u64, create_revision: u64, acquired_s: u64, released_s: u64) -> LockHold {
    LockHold {
        client,
        lock: "jobs".to_string(),
        key: format!("jobs/{client:x}"),
        lease: client,
        create_revision,
        observed_revision: create_revision,
        acquired_ns: acquired_s * S,
        released_ns: Some(released_s * S),
        fenced: false,
    }
}

fn owned_by(client: u64, create_revision: u64, revision: u64, at_s: u64) -> LockOwnership {
    LockOwnership {
        lock: "jobs".to_string(),
        revision,
        at_ns: at_s * S,
        owner: Some(LockOwner {
            key: format!("jobs/{client:x}"),
            lease: client,
            create_revision,
        }),
    }
}

fn report<'a>(reports: &'a [CheckReport], check: &str) -> &'a CheckReport {
    reports
        .iter()
        .find(|report| report.check == check)
        .unwrap_or_else(|| panic!("no {check} in {reports:?}"))
}

fn is_ok(report: &CheckReport) -> bool {
    matches!(report.result, CheckResult::Ok { .. })
}

/// Client 1 holds from 1 s to 3 s, client 2 from 4 s to 5 s; the store agrees.
fn handed_over_cleanly() -> History {
    let mut history = History::new("locks", 1);
    history.lock_holds = vec![hold(1, 10, 1, 3), hold(2, 11, 4, 5)];
    // Client 2's key (created at 11) became the owner when client 1's was deleted, at 12.
    history.lock_holds[1].observed_revision = 12;
    history.lock_owners = vec![owned_by(1, 10, 10, 1), owned_by(2, 11, 12, 3)];
    history
}

#[test]
fn holds_one_after_the_other_by_the_owner_pass() {
    let reports = check_lock_exclusion(&handed_over_cleanly());
    assert!(is_ok(report(&reports, "lock-owner")), "{reports:?}");
    assert!(
        is_ok(report(&reports, "lock-holders-overlap")),
        "{reports:?}"
    );
    assert!(check_lock_exclusion(&History::new("no locks", 1)).is_empty());
}

#[test]
fn a_paused_holder_overlapping_the_next_one_fails_unless_both_fenced() {
    let mut history = handed_over_cleanly();
    // Client 1 was paused past its lease: it left its critical section only at 4.5 s.
    history.lock_holds[0].released_ns = Some(4 * S + S / 2);
    let reports = check_lock_exclusion(&history);
    assert!(is_ok(report(&reports, "lock-owner")), "the store was right");
    let overlap = report(&reports, "lock-holders-overlap");
    match &overlap.result {
        CheckResult::Violation {
            evidence:
                Evidence::LockHoldersOverlap {
                    overlap_ns, owners, ..
                },
            summary,
        } => {
            assert_eq!(*overlap_ns, S / 2, "{summary}");
            assert!(summary.contains("clients 1 and 2"), "{summary}");
            assert!(owners.is_empty() || owners.iter().all(|o| o.lock == "jobs"));
        }
        other => panic!("expected an overlap, got {other:?}"),
    }
    for hold in &mut history.lock_holds {
        hold.fenced = true;
    }
    let fenced = check_lock_exclusion(&history);
    assert!(is_ok(report(&fenced, "lock-holders-overlap")), "{fenced:?}");
}

#[test]
fn a_holder_whose_key_was_not_the_owner_fails() {
    let mut history = handed_over_cleanly();
    // Client 2's key expired while it waited; the store gave the lock to client 3, yet
    // client 2 went ahead at revision 13.
    history.lock_owners.push(owned_by(3, 13, 13, 4));
    history.lock_holds[1].observed_revision = 13;
    let reports = check_lock_exclusion(&history);
    let owner = report(&reports, "lock-owner");
    match &owner.result {
        CheckResult::Violation {
            evidence: Evidence::LockHeldWithoutOwnership { hold, owner },
            summary,
        } => {
            assert_eq!(hold.client, 2);
            assert_eq!(owner.as_ref().map(|o| o.revision), Some(13));
            assert!(summary.contains("jobs/3"), "{summary}");
        }
        other => panic!("expected a wrong owner, got {other:?}"),
    }
}

fn write(client: u64, token: u64, read: &[u64], accepted: bool) -> ResourceWrite {
    let mut wrote = read.to_vec();
    wrote.push(client);
    ResourceWrite {
        client,
        token,
        read: read.to_vec(),
        wrote,
        at_ns: token * S,
        accepted,
    }
}

#[test]
fn the_fenced_resource_fails_on_a_stale_token_or_a_lost_update() {
    let mut history = History::new("resource", 1);
    assert!(check_fenced_resource(&history).is_none());
    // Holder 1 (token 10), then holder 2 (token 11); stale holder 1 is refused.
    history.resource_writes = vec![
        write(1, 10, &[], true),
        write(2, 11, &[1], true),
        write(1, 10, &[1], false),
    ];
    let fine = check_fenced_resource(&history).unwrap();
    assert!(is_ok(&fine), "{fine:?}");

    // Without fencing, the stale holder's write is accepted: 2's element is lost.
    history.resource_writes[2].accepted = true;
    let lost = check_fenced_resource(&history).unwrap();
    match &lost.result {
        CheckResult::Violation {
            evidence: Evidence::StaleTokenAccepted { highest_token, .. },
            ..
        } => assert_eq!(*highest_token, 11),
        other => panic!("expected a stale token, got {other:?}"),
    }

    // Tokens in order, but a write based on a stale read.
    history.resource_writes = vec![
        write(1, 10, &[], true),
        write(2, 11, &[1], true),
        write(3, 12, &[1], true),
    ];
    match &check_fenced_resource(&history).unwrap().result {
        CheckResult::Violation {
            evidence: Evidence::LostUpdate { lost, .. },
            ..
        } => assert_eq!(lost, &vec![2]),
        other => panic!("expected a lost update, got {other:?}"),
    }
}

fn renewal(lease: u64, sent_s: u64, ttl_s: u64) -> LeaseRenewal {
    LeaseRenewal {
        client: 1,
        lease,
        sent_ns: sent_s * S,
        acked: Some(LeaseAck {
            at_ns: sent_s * S + S / 100,
            ttl_s,
        }),
    }
}

fn expiry(lease: u64, at_ns: u64) -> LeaseEnd {
    LeaseEnd {
        lease,
        revision: 40,
        at_ns,
        expired: true,
        keys: vec!["jobs/7".to_string()],
        expired_by: Some(1),
    }
}

#[test]
fn a_lease_expiring_before_its_last_acknowledged_renewal_allows_fails() {
    let mut history = History::new("leases", 1);
    assert!(check_lease_bounds(&history).is_none());
    // Renewed at 1 s and 3 s with a 2 s TTL: it may expire from 5 s on.
    history.lease_renewals = vec![renewal(7, 1, 2), renewal(7, 3, 2)];
    history.lease_ends = vec![expiry(7, 5 * S + S / 10)];
    assert!(is_ok(&check_lease_bounds(&history).unwrap()));

    history.lease_ends = vec![expiry(7, 4 * S)];
    match &check_lease_bounds(&history).unwrap().result {
        CheckResult::Violation {
            evidence:
                Evidence::LeaseExpiredEarly {
                    early_ns, renewal, ..
                },
            summary,
        } => {
            assert_eq!(*early_ns, S);
            assert_eq!(renewal.sent_ns, 3 * S);
            assert!(summary.contains("lease 7"), "{summary}");
        }
        other => panic!("expected an early expiry, got {other:?}"),
    }

    // An unacknowledged keep-alive promises nothing; a revoke by a client is no expiry.
    history.lease_renewals[1].acked = None;
    assert!(is_ok(&check_lease_bounds(&history).unwrap()));
    history.lease_renewals[1].acked = Some(LeaseAck {
        at_ns: 3 * S,
        ttl_s: 2,
    });
    history.lease_ends[0].expired = false;
    assert!(is_ok(&check_lease_bounds(&history).unwrap()));
}
