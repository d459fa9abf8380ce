//! The lock, resource and lease checks on hand-built histories: each must fail where the
//! property breaks and pass where it holds.

use check::{
    check_fenced_resource, check_lease_belief, check_lease_bounds, check_lock_exclusion,
    CheckResult,
};
use check::{check_history, check_lease_expiry_liveness, Budget, CheckKind, CheckReport, Evidence};
use history::{
    Fault, FaultEvent, History, LeaseAck, LeaseEnd, LeaseRenewal, LivenessProbe, LockHold,
    LockOwner, LockOwnership, ResourceWrite,
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
    // Client 1 was paused past its lease, which expired (deleting its key at revision
    // 12): it left its critical section only at 4.5 s.
    history.lock_holds[0].released_ns = Some(4 * S + S / 2);
    history.lease_ends = vec![LeaseEnd {
        revision: 12,
        keys: vec!["jobs/1".to_string()],
        ..expiry(1, 3 * S)
    }];
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
            assert!(
                summary.contains("client 1 held jobs")
                    && summary.contains("while client 2 held it"),
                "{summary}"
            );
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
        believed_until_ns: None,
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

fn clock_rate(at_s: u64, node: u64, rate_percent: u64) -> FaultEvent {
    FaultEvent {
        at_ns: at_s * S,
        fault: Fault::ClockRate { node, rate_percent },
        lasting: false,
    }
}

fn summary(report: &CheckReport) -> &str {
    match &report.result {
        CheckResult::Ok { summary, .. } | CheckResult::Violation { summary, .. } => summary,
        CheckResult::Undecided { why } => why,
    }
}

/// Leases 7 and 8, renewed at 3 s and 2 s with a 2 s TTL, expired by node 1 at 4 s and
/// 3.5 s: 1 s and 0.5 s early in real time, on time on a clock running at 200% since 0 s.
fn expired_by_a_fast_clock() -> History {
    let mut history = History::new("leases", 1);
    history.lease_renewals = vec![renewal(7, 1, 2), renewal(8, 2, 2), renewal(7, 3, 2)];
    history.lease_ends = vec![expiry(7, 4 * S), expiry(8, 3 * S + S / 2)];
    history.faults = vec![clock_rate(0, 1, 200)];
    history
}

#[test]
fn an_expiry_early_in_real_time_only_by_the_expirers_fast_clock_passes_and_is_mentioned() {
    let report = check_lease_bounds(&expired_by_a_fast_clock()).unwrap();
    assert!(is_ok(&report), "{report:?}");
    assert!(
        summary(&report).contains(
            "2 expiries came early in real time only because the expiring leader's clock ran \
             fast (up to 1.000 s)"
        ),
        "{}",
        summary(&report)
    );
}

#[test]
fn the_same_expiry_without_the_fast_clock_fails_with_both_clocks_figures() {
    for faults in [vec![], vec![clock_rate(0, 2, 200)]] {
        let mut history = expired_by_a_fast_clock();
        // No rate fault, or one on a node that did not expire the lease.
        history.faults = faults;
        let report = check_lease_bounds(&history).unwrap();
        match &report.result {
            CheckResult::Violation {
                evidence:
                    Evidence::LeaseExpiredEarly {
                        end,
                        renewal,
                        early_ns,
                        elapsed_local_ns,
                        early_real_ns,
                    },
                summary,
            } => {
                assert_eq!((end.lease, renewal.sent_ns), (7, 3 * S));
                assert_eq!(
                    (*early_ns, *elapsed_local_ns, *early_real_ns),
                    (S, S, S as i64)
                );
                assert!(
                    summary.contains("1.000 s early on the clock of node 1, which expired it")
                        && summary.contains("in real time 1.000 s had, 1.000 s early"),
                    "{summary}"
                );
            }
            other => panic!("expected an early expiry, got {other:?}"),
        }
    }
    // Without a named expirer the lease is measured in real time, whatever the clocks did.
    let mut history = expired_by_a_fast_clock();
    history.lease_ends[0].expired_by = None;
    let report = check_lease_bounds(&history).unwrap();
    assert!(
        summary(&report).contains("1.000 s early in real time"),
        "{report:?}"
    );
}

#[test]
fn an_expiry_early_on_a_slow_clock_fails_though_it_was_late_in_real_time() {
    let mut history = expired_by_a_fast_clock();
    history.lease_ends.truncate(1);
    // At 50% from 3 s, only 1.25 s of the 2 s TTL had passed on node 1 by 5.5 s.
    history.lease_ends[0].at_ns = 5 * S + S / 2;
    history.faults = vec![clock_rate(3, 1, 50)];
    match &check_lease_bounds(&history).unwrap().result {
        CheckResult::Violation {
            evidence:
                Evidence::LeaseExpiredEarly {
                    early_ns,
                    early_real_ns,
                    ..
                },
            summary,
        } => {
            assert_eq!((*early_ns, *early_real_ns), (S * 3 / 4, -(S as i64) / 2));
            assert!(
                summary.contains("0.500 s after the TTL ran out"),
                "{summary}"
            );
        }
        other => panic!("expected an early expiry, got {other:?}"),
    }
}

/// Lease 7, renewed at 1 s and 3 s with a 2 s TTL, lapses at 5 s; the cluster heals at
/// 10 s with a 1 s election timeout, so the lease is due to end by 13 s. Lease 9, renewed
/// at 20 s, keeps the history going until after that.
fn lapsed_before_healing() -> History {
    let mut history = History::new("leases", 1);
    history.lease_renewals = vec![renewal(7, 1, 2), renewal(7, 3, 2), renewal(9, 20, 2)];
    history.election_timeout_ns = Some(S);
    history.liveness = Some(LivenessProbe {
        healed_at_ns: 10 * S,
        deadline_ns: 15 * S,
        first_write_ns: Some(10 * S + S / 2),
        first_read_ns: Some(Some(11 * S)),
        steady_leader: None,
    });
    history
}

#[test]
fn a_lease_that_never_expires_after_healing_fails_liveness() {
    let history = lapsed_before_healing();
    let report = check_lease_expiry_liveness(&history).unwrap();
    assert_eq!(report.kind, CheckKind::Liveness);
    match &report.result {
        CheckResult::Violation {
            evidence:
                Evidence::LeaseExpiredLate {
                    lease,
                    last_renewal,
                    ttl_s,
                    deadline_ns,
                    end,
                    observed_until_ns,
                },
            summary,
        } => {
            assert_eq!((*lease, last_renewal.sent_ns, *ttl_s), (7, 3 * S, 2));
            assert_eq!(*deadline_ns, 13 * S);
            assert_eq!(*end, None);
            assert_eq!(
                *observed_until_ns,
                20 * S + S / 100,
                "lease 9's acknowledgement"
            );
            assert!(
                summary.contains("lease 7, last renewed by client 1 at 3.000 s")
                    && summary.contains("due to expire by 13.000 s")
                    && summary.contains("had not expired by the history's end at 20.010 s"),
                "{summary}"
            );
        }
        other => panic!("expected a lease that outlived its deadline, got {other:?}"),
    }
    // The whole verdict: a liveness failure, not a safety violation.
    let verdict = check_history(&history, &Budget::default());
    assert_eq!(verdict.exit_code(), 3, "{}", verdict.summary());

    // Expiring after the deadline is as late.
    let mut history = lapsed_before_healing();
    history.lease_ends = vec![expiry(7, 14 * S)];
    let report = check_lease_expiry_liveness(&history).unwrap();
    assert!(
        summary(&report).contains("expired only at 14.000 s, 1.000 s late"),
        "{report:?}"
    );
}

#[test]
fn a_lease_expiring_in_time_after_healing_passes_liveness() {
    let mut history = lapsed_before_healing();
    history.lease_ends = vec![expiry(7, 12 * S + S / 2)];
    let report = check_lease_expiry_liveness(&history).unwrap();
    assert!(is_ok(&report), "{report:?}");
    assert!(
        summary(&report).contains("1 lease expired by the deadline")
            && summary(&report).contains("1 not due"),
        "{}",
        summary(&report)
    );

    // An unanswered keep-alive at 9 s may have renewed lease 7 to 11 s: due by 14 s.
    let mut history = lapsed_before_healing();
    history.lease_renewals.insert(
        2,
        LeaseRenewal {
            acked: None,
            ..renewal(7, 9, 2)
        },
    );
    history.lease_ends = vec![expiry(7, 13 * S + S / 2)];
    let report = check_lease_expiry_liveness(&history).unwrap();
    assert!(is_ok(&report), "{report:?}");
}

#[test]
fn a_lease_revoked_by_a_client_or_a_history_without_a_bound_demands_no_expiry() {
    let mut history = lapsed_before_healing();
    history.lease_ends = vec![LeaseEnd {
        expired: false,
        expired_by: None,
        ..expiry(7, 4 * S)
    }];
    let report = check_lease_expiry_liveness(&history).unwrap();
    assert!(is_ok(&report), "{report:?}");
    assert!(
        summary(&report).contains("1 revoked by clients"),
        "{report:?}"
    );

    // Never expired, but nothing to measure against: no election timeout, or no healing.
    let mut history = lapsed_before_healing();
    history.election_timeout_ns = None;
    assert!(is_ok(&check_lease_expiry_liveness(&history).unwrap()));
    history.election_timeout_ns = Some(S);
    history.liveness = None;
    assert!(is_ok(&check_lease_expiry_liveness(&history).unwrap()));
    assert!(check_lease_expiry_liveness(&History::new("no leases", 1)).is_none());
}

/// A lease ended at 5 s; client 1's keep-alive was sent at 2 s and answered at 2.8 s with a
/// 2 s TTL: it may believe the lease until 4 s.
fn belief_history(believed_until_ns: u64) -> History {
    let mut history = History::new("leases", 1);
    history.lease_renewals = vec![LeaseRenewal {
        client: 1,
        lease: 7,
        sent_ns: 2 * S,
        acked: Some(LeaseAck {
            at_ns: 2 * S + 8 * S / 10,
            ttl_s: 2,
        }),
        believed_until_ns: Some(believed_until_ns),
    }];
    history.lease_ends = vec![expiry(7, 4 * S + S / 2)];
    history
}

#[test]
fn a_client_believing_its_lease_past_send_plus_ttl_after_it_ended_fails() {
    assert!(check_lease_belief(&History::new("leases", 1)).is_none());
    // Counted from the answer: until 4.8 s, past the end at 4.5 s.
    let report = check_lease_belief(&belief_history(4 * S + 8 * S / 10)).unwrap();
    match &report.result {
        CheckResult::Violation {
            summary,
            evidence: Evidence::LeaseBelievedTooLong { renewal, end },
        } => {
            assert!(
                summary.contains("client 1 believed lease 7 alive until 4.800 s"),
                "{summary}"
            );
            assert!(summary.contains("allowed until 4.000 s"), "{summary}");
            assert_eq!((renewal.lease, end.at_ns), (7, 4 * S + S / 2));
        }
        other => panic!("expected a violation, got {other:?}"),
    }
    // Counted from the send: until 4 s, before the end: fine.
    let report = check_lease_belief(&belief_history(4 * S)).unwrap();
    assert!(
        matches!(report.result, CheckResult::Ok { .. }),
        "{report:?}"
    );
}

#[test]
fn a_key_deleted_under_its_holder_while_its_lease_lived_fails_lock_owner() {
    // As above, but nothing ended client 1's lease: its key was deleted another way (a
    // stale unlock of the same session, deleting by name) while it held the lock.
    let mut history = handed_over_cleanly();
    history.lock_holds[0].released_ns = Some(4 * S + S / 2);
    let reports = check_lock_exclusion(&history);
    match &report(&reports, "lock-owner").result {
        CheckResult::Violation {
            summary,
            evidence: Evidence::LockKeyTakenFromHolder { hold, change },
        } => {
            assert!(
                summary.contains("client 1's key jobs/1 stopped owning jobs at revision 12"),
                "{summary}"
            );
            assert_eq!((hold.client, change.revision), (1, 12));
        }
        other => panic!("expected the key taken from its holder, got {other:?}"),
    }
}

#[test]
fn a_leader_change_before_the_deadline_gives_the_lease_a_new_ttl_but_a_later_one_does_not() {
    // Lease 7 lapsed at 5 s; healing at 10 s makes it due by 13 s. A leader elected at 12 s
    // counts it from its promotion, with its whole 2 s TTL: due by 12 + 2 + 3 = 17 s.
    let leader_at = |at_s: u64| history::LeaderChange {
        at_ns: at_s * S,
        node: 2,
        term: 5,
    };
    let mut history = lapsed_before_healing();
    history.lease_ends = vec![expiry(7, 16 * S)];
    assert!(!is_ok(&check_lease_expiry_liveness(&history).unwrap()));
    history.leaders = vec![leader_at(12)];
    let report = check_lease_expiry_liveness(&history).unwrap();
    assert!(is_ok(&report), "{report:?}");
    // Elected at 14 s, after the lease was due: no excuse.
    history.leaders = vec![leader_at(14)];
    assert!(!is_ok(&check_lease_expiry_liveness(&history).unwrap()));
}
