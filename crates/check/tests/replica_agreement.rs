//! Replica agreement: checkpoints at one applied index must carry the same log digest and
//! the same state hash.

use check::{check_replica_agreement, CheckKind, CheckResult, Evidence};
use history::{History, ReplicaCheckpoint};

/// Checkpoints `(at_ns, node, applied_index, log_digest, state_hash)`.
fn history(checkpoints: &[(u64, u64, u64, u64, u64)]) -> History {
    let mut history = History::new("replicas", 1);
    history.replicas = checkpoints
        .iter()
        .map(
            |&(at_ns, node, applied_index, log_digest, state_hash)| ReplicaCheckpoint {
                at_ns,
                node,
                applied_index,
                log_digest,
                state_hash,
            },
        )
        .collect();
    history
}

fn violation(history: &History) -> (String, Evidence) {
    let report = check_replica_agreement(history);
    assert_eq!(report.check, "replica-agreement");
    assert_eq!(report.kind, CheckKind::Safety);
    match report.result {
        CheckResult::Violation { summary, evidence } => (summary, evidence),
        other => panic!("expected a violation, got {other:#?}"),
    }
}

#[test]
fn agreeing_checkpoints_hold() {
    let report = check_replica_agreement(&history(&[
        (1_000, 1, 50, 0xa, 0x1),
        (1_100, 2, 50, 0xa, 0x1),
        (2_000, 1, 100, 0xb, 0x2),
        (2_100, 3, 100, 0xb, 0x2),
        (2_200, 2, 100, 0xb, 0x2),
        // Only one replica got here: nothing to compare it with.
        (3_000, 1, 150, 0xc, 0x3),
    ]));
    assert_eq!(
        report.result,
        CheckResult::ok("5 checkpoints of 3 replicas at 2 applied indexes, all agree")
    );
}

#[test]
fn nothing_to_compare_holds_and_says_so() {
    let report = check_replica_agreement(&history(&[(1_000, 1, 50, 0xa, 0x1)]));
    assert_eq!(
        report.result,
        CheckResult::ok("no applied index checkpointed twice, nothing to compare")
    );
}

#[test]
fn a_different_log_digest_means_committed_entries_changed() {
    let checkpoints = history(&[
        (1_000_000_000, 1, 50, 0xa, 0x1),
        (1_500_000_000, 2, 50, 0xa, 0x1),
        (4_000_000_000, 3, 50, 0xbad, 0x1),
    ]);
    let (summary, evidence) = violation(&checkpoints);
    assert_eq!(
        summary,
        "committed entries changed: node 1 (at 1.000 s) and node 3 (at 4.000 s) applied \
         different entries up to index 50 (log digests 000000000000000a and \
         0000000000000bad)"
    );
    assert_eq!(
        evidence,
        Evidence::CommittedEntriesChanged {
            applied_index: 50,
            checkpoints: checkpoints.replicas.clone(),
        }
    );
}

#[test]
fn one_replica_disagreeing_with_itself_after_a_restart_is_caught() {
    let (summary, _) = violation(&history(&[
        (1_000_000_000, 2, 100, 0xa, 0x1),
        (9_000_000_000, 2, 100, 0xb, 0x2),
    ]));
    assert!(
        summary
            .starts_with("committed entries changed: node 2 (at 1.000 s) and node 2 (at 9.000 s)"),
        "{summary}"
    );
}

#[test]
fn a_different_state_hash_means_replicas_diverged() {
    let checkpoints = history(&[
        (1_000_000_000, 1, 50, 0xa, 0x1),
        (1_200_000_000, 2, 50, 0xa, 0x1),
        (2_000_000_000, 1, 100, 0xb, 0x2),
        (2_250_000_000, 4, 100, 0xb, 0x7),
    ]);
    let (summary, evidence) = violation(&checkpoints);
    assert_eq!(
        summary,
        "replicas diverged at applied index 100: node 1 (at 2.000 s) and node 4 (at 2.250 s) \
         applied the same entries but hold different states (state hashes 0000000000000002 \
         and 0000000000000007)"
    );
    assert_eq!(
        evidence,
        Evidence::ReplicasDiverged {
            applied_index: 100,
            checkpoints: checkpoints.replicas[2..].to_vec(),
        }
    );
}

#[test]
fn the_first_index_that_disagrees_is_reported_log_before_state() {
    let (summary, evidence) = violation(&history(&[
        (1_000, 1, 50, 0xa, 0x1),
        (1_100, 2, 50, 0xa, 0x9),
        (2_000, 1, 100, 0xb, 0x2),
        (2_100, 2, 100, 0xc, 0x3),
    ]));
    assert!(
        summary.starts_with("replicas diverged at applied index 50"),
        "{summary}"
    );
    assert!(matches!(
        evidence,
        Evidence::ReplicasDiverged {
            applied_index: 50,
            ..
        }
    ));
    let (summary, _) = violation(&history(&[
        (1_000, 1, 50, 0xa, 0x1),
        (1_100, 2, 50, 0xb, 0x9),
    ]));
    assert!(
        summary.starts_with("committed entries changed"),
        "{summary}"
    );
}
