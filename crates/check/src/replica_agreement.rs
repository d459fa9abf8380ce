//! Replicas agree: what was committed never changes, and replicas that applied the same
//! log hold the same state.
//!
//! Replicas report checkpoints ([`history::ReplicaCheckpoint`]) at fixed applied indexes:
//! a digest of every entry applied up to the index, and a hash of the store after it. Raft
//! promises that a committed entry is the same on every replica forever, so all checkpoints
//! at one index (of different replicas, or of one replica before and after a restart) must
//! have the same log digest; if not, an entry committed up to that index changed (a lost
//! write the replica re-applied differently, a log overwritten below its commit index, a
//! snapshot that does not match the log). With equal digests, different state hashes mean
//! the state machine is not deterministic, or a snapshot or restart lost state. Clients may
//! never read the difference, which is why it is checked apart from linearizability.

use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::{History, ReplicaCheckpoint};
use std::collections::{BTreeMap, BTreeSet};

/// Checks that all checkpoints at each applied index agree, log digest first.
pub fn check_replica_agreement(history: &History) -> CheckReport {
    let mut by_index: BTreeMap<u64, Vec<&ReplicaCheckpoint>> = BTreeMap::new();
    for checkpoint in &history.replicas {
        by_index
            .entry(checkpoint.applied_index)
            .or_default()
            .push(checkpoint);
    }
    by_index.retain(|_, checkpoints| checkpoints.len() >= 2);
    let disagreement = by_index.iter().find_map(|(&index, checkpoints)| {
        let differs = |hash: fn(&ReplicaCheckpoint) -> u64| {
            checkpoints
                .iter()
                .find(|checkpoint| hash(checkpoint) != hash(checkpoints[0]))
                .map(|other| (checkpoints[0], *other))
        };
        let owned = || {
            checkpoints
                .iter()
                .map(|&checkpoint| checkpoint.clone())
                .collect()
        };
        if let Some((first, other)) = differs(|checkpoint| checkpoint.log_digest) {
            let summary = format!(
                "committed entries changed: {} and {} applied different entries up to \
                 index {index} (log digests {:016x} and {:016x})",
                who(first),
                who(other),
                first.log_digest,
                other.log_digest
            );
            let evidence = Evidence::CommittedEntriesChanged {
                applied_index: index,
                checkpoints: owned(),
            };
            return Some((summary, evidence));
        }
        differs(|checkpoint| checkpoint.state_hash).map(|(first, other)| {
            let summary = format!(
                "replicas diverged at applied index {index}: {} and {} applied the same \
                 entries but hold different states (state hashes {:016x} and {:016x})",
                who(first),
                who(other),
                first.state_hash,
                other.state_hash
            );
            let evidence = Evidence::ReplicasDiverged {
                applied_index: index,
                checkpoints: owned(),
            };
            (summary, evidence)
        })
    });
    let result = match disagreement {
        Some((summary, evidence)) => CheckResult::Violation { summary, evidence },
        None if by_index.is_empty() => {
            CheckResult::ok("no applied index checkpointed twice, nothing to compare")
        }
        None => {
            let compared: usize = by_index.values().map(Vec::len).sum();
            let nodes: BTreeSet<u64> = by_index
                .values()
                .flatten()
                .map(|checkpoint| checkpoint.node)
                .collect();
            CheckResult::ok(format!(
                "{compared} checkpoints of {} replicas at {} applied indexes, all agree",
                nodes.len(),
                by_index.len()
            ))
        }
    };
    CheckReport {
        check: "replica-agreement".to_string(),
        kind: CheckKind::Safety,
        result,
    }
}

/// "node 3 (at 4.503 s)".
fn who(checkpoint: &ReplicaCheckpoint) -> String {
    format!(
        "node {} (at {:.3} s)",
        checkpoint.node,
        checkpoint.at_ns as f64 / 1e9
    )
}
