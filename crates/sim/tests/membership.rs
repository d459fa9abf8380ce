//! Replacing members in whole runs: the old member is removed by a committed configuration
//! change and stopped for good; a fresh node under a new id joins, catches up and serves.

mod common;

use history::{Fault, History};

fn run(seed: u64) -> History {
    common::run_shipped("replace", seed).history
}

/// (node, when) of each fault `pick` picks.
fn membership_events(history: &History, pick: fn(&Fault) -> Option<u64>) -> Vec<(u64, u64)> {
    history
        .faults
        .iter()
        .filter_map(|event| pick(&event.fault).map(|node| (node, event.at_ns)))
        .collect()
}

#[test]
fn a_replaced_member_is_gone_and_its_fresh_successor_catches_up() {
    let mut fresh_leaders = 0;
    for seed in 0..4 {
        let history = run(seed);
        let removed = membership_events(&history, |fault| match fault {
            Fault::MemberRemoved { node } => Some(*node),
            _ => None,
        });
        let added = membership_events(&history, |fault| match fault {
            Fault::MemberAdded { node } => Some(*node),
            _ => None,
        });
        assert_eq!(removed.len(), 4, "seed {seed}: {removed:?}");
        assert_eq!(added.len(), 4, "seed {seed}: {added:?}");
        // Fresh ids, never reused: 6, 7, 8, 9.
        let added_ids: Vec<u64> = added.iter().map(|&(node, _)| node).collect();
        assert_eq!(added_ids, vec![6, 7, 8, 9], "seed {seed}");
        for &(node, removed_ns) in &removed {
            assert!(
                history
                    .leaders
                    .iter()
                    .all(|change| change.node != node || change.at_ns < removed_ns),
                "seed {seed}: removed member {node} led again"
            );
        }
        // Every fresh member applied the log it was sent: it checkpoints at the same
        // applied indexes as the others (and the replica check compares them).
        for &(node, _) in &added {
            assert!(
                history
                    .replicas
                    .iter()
                    .any(|checkpoint| checkpoint.node == node),
                "seed {seed}: fresh member {node} never applied anything"
            );
        }
        fresh_leaders += history
            .leaders
            .iter()
            .filter(|change| change.node > 5)
            .count();
        let verdict = check::check_history(&history, &check::Budget::default());
        assert!(verdict.is_ok(), "seed {seed}: {}", verdict.summary());
    }
    assert!(fresh_leaders > 0, "no fresh member ever became leader");
}
