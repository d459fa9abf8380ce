//! Whole runs of the lock, lease and election workloads: what the shipped scenarios must
//! show (`lock-pause` finds overlapping holders without fencing and none that matter with
//! it), and that the lease machinery really acts (expiries by the leader, revokes by
//! clients, keys deleted with their lease).

mod common;

use check::{Budget, CheckResult};
use common::{run_shipped, shipped};
use history::{Fault, History};

const SEEDS: u64 = 30;

fn violated_checks(history: &History) -> Vec<String> {
    check::check_history(history, &Budget::default())
        .checks
        .into_iter()
        .filter(|report| matches!(report.result, CheckResult::Violation { .. }))
        .map(|report| report.check)
        .collect()
}

/// The clients the nemesis paused, with the pause windows.
fn client_pauses(history: &History) -> Vec<(u64, u64, u64)> {
    let mut pauses = Vec::new();
    for event in &history.faults {
        if let Fault::ClientPause { client } = event.fault {
            let resumed_ns = history
                .faults
                .iter()
                .find_map(|later| match later.fault {
                    Fault::ClientResume { client: resumed }
                        if resumed == client && later.at_ns > event.at_ns =>
                    {
                        Some(later.at_ns)
                    }
                    _ => None,
                })
                .expect("every pause is undone");
            pauses.push((client, event.at_ns, resumed_ns));
        }
    }
    pauses
}

#[test]
fn without_fencing_a_paused_holder_overlaps_the_next_one_on_every_seed() {
    for seed in 0..SEEDS {
        let history = run_shipped("lock-pause", seed).history;
        let verdict = check::check_history(&history, &Budget::default());
        assert_eq!(verdict.exit_code(), 1, "seed {seed}: {}", verdict.summary());
        let violated = violated_checks(&history);
        assert!(
            violated.contains(&"lock-holders-overlap".to_string()),
            "seed {seed}: {violated:?}"
        );
        assert!(
            !violated.contains(&"lock-owner".to_string()),
            "seed {seed}: the store itself must stay right"
        );
        // The paused holder's lease was expired by the leader while it slept.
        let pauses = client_pauses(&history);
        assert_eq!(pauses.len(), 2, "seed {seed}");
        for (client, paused_ns, resumed_ns) in pauses {
            let hold = history
                .lock_holds
                .iter()
                .find(|hold| {
                    hold.client == client
                        && hold.acquired_ns <= paused_ns
                        && hold
                            .released_ns
                            .is_some_and(|released| released >= resumed_ns)
                })
                .unwrap_or_else(|| panic!("seed {seed}: client {client} held through its pause"));
            let end = history
                .lease_ends
                .iter()
                .find(|end| end.lease == hold.lease)
                .unwrap_or_else(|| panic!("seed {seed}: lease {:x} ended", hold.lease));
            assert!(
                end.expired && end.expired_by.is_some(),
                "seed {seed}: {end:?}"
            );
            assert!(
                paused_ns < end.at_ns && end.at_ns < resumed_ns,
                "seed {seed}: expired while paused: {end:?}"
            );
            assert!(end.keys.contains(&hold.key), "seed {seed}: {end:?}");
        }
    }
}

#[test]
fn with_fencing_the_stale_holder_is_refused_and_every_check_holds() {
    let mut scenario = shipped("lock-pause");
    scenario.lock.fencing = true;
    let mut refused = 0;
    for seed in 0..SEEDS {
        let history = sim::run_on_fresh_thread(&scenario, seed).history;
        let verdict = check::check_history(&history, &Budget::default());
        assert!(verdict.is_ok(), "seed {seed}: {}", verdict.summary());
        assert!(history.lock_holds.iter().all(|hold| hold.fenced));
        refused += history
            .resource_writes
            .iter()
            .filter(|write| !write.accepted)
            .count();
    }
    // Each pause leaves a stale holder whose write comes after the next holder's access.
    assert!(
        refused >= SEEDS as usize,
        "only {refused} stale writes refused"
    );
}

#[test]
fn leases_are_granted_kept_alive_revoked_and_expired_with_their_keys() {
    let history = run_shipped("lease-leader-change", 1).history;
    let expired = history.lease_ends.iter().filter(|end| end.expired).count();
    let revoked = history.lease_ends.iter().filter(|end| !end.expired).count();
    assert!(
        expired >= 3 && revoked >= 1,
        "{expired} expired, {revoked} revoked"
    );
    let renewals = history
        .lease_renewals
        .iter()
        .filter(|renewal| renewal.acked.is_some())
        .count();
    assert!(renewals >= 20, "only {renewals} acknowledged renewals");
    // Keys attached to a lease are deleted with it, and read back as gone afterwards.
    assert!(history.lease_ends.iter().any(|end| end.keys.len() == 2));
    let read_gone_after_end = history.ops.iter().any(|op| {
        matches!(&op.input, history::KvInput::Get { key } if history.lease_ends.iter().any(
            |end| end.keys.contains(key) && op.call_ns > end.at_ns))
            && matches!(
                op.outcome,
                history::Outcome::Ok(history::KvOutput::Get { value: None, .. })
            )
    });
    assert!(read_gone_after_end);
}

#[test]
fn the_election_has_many_leaders_one_at_a_time() {
    for seed in 0..5 {
        let history = run_shipped("election", seed).history;
        let leaders: std::collections::BTreeSet<u64> =
            history.lock_holds.iter().map(|hold| hold.client).collect();
        assert!(leaders.len() >= 3, "seed {seed}: leaders {leaders:?}");
        assert!(history.lock_holds.len() >= 5, "seed {seed}");
        assert!(violated_checks(&history).is_empty(), "seed {seed}");
    }
}
