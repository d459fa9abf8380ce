//! A deliberately wrong record must break the verdict: take a real recorded history, change
//! one read's answer, one replica's checkpoint, one read's store revision or the liveness
//! probe, and the checker must report a violation naming what was changed.

use check::{Budget, CheckResult, Evidence};
use history::{History, KvInput, KvOutput, Op, Outcome, ReplicaCheckpoint};
use scenario::Scenario;
use std::collections::BTreeMap;
use std::path::Path;

fn recorded_history() -> History {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/partitions.toml");
    let scenario = Scenario::load(&path).unwrap_or_else(|error| panic!("{error}"));
    let history = sim::run_on_fresh_thread(&scenario, 3).history;
    assert!(
        check::check_history(&history, &Budget::default()).is_ok(),
        "the untouched history must pass"
    );
    history
}

/// The linearizability violation's offending operations, or a panic if there is none.
fn stuck_ops(history: &History) -> Vec<u64> {
    let verdict = check::check_history(history, &Budget::default());
    assert_eq!(
        verdict.exit_code(),
        1,
        "expected a safety violation:\n{}",
        verdict.summary()
    );
    for report in &verdict.checks {
        if let CheckResult::Violation {
            evidence: Evidence::Linearizability(violation),
            ..
        } = &report.result
        {
            return violation.stuck_ops.clone();
        }
    }
    panic!("no linearizability evidence in {verdict:?}");
}

fn write_revision(op: &Op) -> Option<(String, u64)> {
    match (&op.input, &op.outcome) {
        (KvInput::Put { value, .. }, Outcome::Ok(KvOutput::Put { revision })) => {
            Some((value.clone(), *revision))
        }
        (
            KvInput::Cas { value, .. },
            Outcome::Ok(KvOutput::Cas {
                succeeded: true,
                revision,
                ..
            }),
        ) => Some((value.clone(), *revision)),
        _ => None,
    }
}

#[test]
fn a_read_of_a_value_never_written_is_caught() {
    let mut history = recorded_history();
    let op = history
        .ops
        .iter_mut()
        .find(|op| {
            matches!(
                &op.outcome,
                Outcome::Ok(KvOutput::Get { value: Some(_), .. })
            )
        })
        .expect("a successful read of an existing key");
    let Outcome::Ok(KvOutput::Get { value, .. }) = &mut op.outcome else {
        unreachable!()
    };
    *value = Some("never-written".to_string());
    let tampered = op.id;
    assert!(
        stuck_ops(&history).contains(&tampered),
        "the violation must name op {tampered}"
    );
}

#[test]
fn a_stale_read_is_caught() {
    let mut history = recorded_history();
    // A read that saw write W, where W finished before the read began and an earlier write
    // W' of the same key exists: answering with W' instead is a stale read.
    let mut choice = None;
    for read in &history.ops {
        let Outcome::Ok(KvOutput::Get {
            value: Some(_),
            mod_revision,
            ..
        }) = &read.outcome
        else {
            continue;
        };
        let writes: Vec<(&Op, String, u64)> = history
            .ops
            .iter()
            .filter(|op| op.key() == read.key())
            .filter_map(|op| write_revision(op).map(|(value, revision)| (op, value, revision)))
            .collect();
        let Some((seen, _, _)) = writes
            .iter()
            .find(|(_, _, revision)| revision == mod_revision)
        else {
            continue;
        };
        if seen
            .return_ns
            .is_some_and(|returned| returned < read.call_ns)
        {
            if let Some((_, older_value, older_revision)) = writes
                .iter()
                .filter(|(_, _, revision)| revision < mod_revision)
                .max_by_key(|(_, _, revision)| *revision)
            {
                choice = Some((read.id, older_value.clone(), *older_revision));
                break;
            }
        }
    }
    let (id, older_value, older_revision) =
        choice.expect("the recorded history has a read after two writes");
    // The store revision the read reports stays: only what it says of the key is stale.
    let Outcome::Ok(KvOutput::Get {
        value,
        mod_revision,
        ..
    }) = &mut history.ops[id as usize].outcome
    else {
        unreachable!()
    };
    *value = Some(older_value);
    *mod_revision = older_revision;
    assert!(
        stuck_ops(&history).contains(&id),
        "the violation must name op {id}"
    );
}

/// The verdict's evidence for the check named `check`, which must have failed with
/// `exit_code`.
fn evidence_of(history: &History, check: &str, exit_code: i32) -> (String, Evidence) {
    let verdict = check::check_history(history, &Budget::default());
    assert_eq!(verdict.exit_code(), exit_code, "{}", verdict.summary());
    let report = verdict
        .checks
        .into_iter()
        .find(|report| report.check == check)
        .unwrap_or_else(|| panic!("no {check} check"));
    match report.result {
        CheckResult::Violation { summary, evidence } => (summary, evidence),
        other => panic!("{check} must fail, got {other:?}"),
    }
}

/// Changes, with `tamper`, a checkpoint at an applied index that an earlier checkpoint of
/// another replica shares; returns the changed checkpoint and the replica-agreement
/// check's summary and evidence.
fn tamper_shared_checkpoint(
    tamper: fn(&mut ReplicaCheckpoint),
) -> (ReplicaCheckpoint, String, Evidence) {
    let mut history = recorded_history();
    let replicas = &history.replicas;
    let position = (0..replicas.len())
        .find(|&position| {
            replicas[..position].iter().any(|earlier| {
                earlier.applied_index == replicas[position].applied_index
                    && earlier.node != replicas[position].node
            })
        })
        .expect("two replicas checkpointed the same index");
    tamper(&mut history.replicas[position]);
    let (summary, evidence) = evidence_of(&history, "replica-agreement", 1);
    (history.replicas[position].clone(), summary, evidence)
}

#[test]
fn a_replica_with_a_different_state_at_a_shared_index_is_caught() {
    let (tampered, summary, evidence) =
        tamper_shared_checkpoint(|checkpoint| checkpoint.state_hash ^= 1);
    let index = tampered.applied_index;
    assert!(
        summary.starts_with(&format!("replicas diverged at applied index {index}: ")),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("node {} (at ", tampered.node)),
        "{summary}"
    );
    assert!(
        matches!(&evidence, Evidence::ReplicasDiverged { applied_index, checkpoints }
            if *applied_index == index && checkpoints.contains(&tampered)),
        "{evidence:?}"
    );
}

#[test]
fn a_replica_that_applied_different_entries_is_caught() {
    let (tampered, summary, evidence) =
        tamper_shared_checkpoint(|checkpoint| checkpoint.log_digest ^= 1);
    let index = tampered.applied_index;
    assert!(
        summary.starts_with("committed entries changed: "),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("node {} (at ", tampered.node))
            && summary.contains(&format!("up to index {index} ")),
        "{summary}"
    );
    assert!(
        matches!(&evidence, Evidence::CommittedEntriesChanged { applied_index, checkpoints }
            if *applied_index == index && checkpoints.contains(&tampered)),
        "{evidence:?}"
    );
}

#[test]
fn a_client_whose_later_read_observed_a_smaller_revision_is_caught() {
    let mut history = recorded_history();
    // A read whose client had an earlier answered op with a revision above 1: lowering
    // the read's store revision below that one leaves the key's own value and
    // mod_revision, all the linearizability check looks at, as they were.
    let mut last_revision: BTreeMap<u64, u64> = BTreeMap::new();
    let mut choice = None;
    for op in &history.ops {
        let revision = match &op.outcome {
            Outcome::Ok(KvOutput::Get { revision, .. }) => *revision,
            Outcome::Ok(
                KvOutput::Put { revision }
                | KvOutput::Delete { revision, .. }
                | KvOutput::Cas { revision, .. },
            ) => Some(*revision),
            _ => None,
        };
        let Some(revision) = revision else { continue };
        let is_get = matches!(op.input, KvInput::Get { .. });
        match last_revision.insert(op.client, revision) {
            Some(earlier) if is_get && earlier > 1 => {
                choice = Some((op.id, op.client, earlier - 1));
                break;
            }
            _ => {}
        }
    }
    let (id, client, lowered) = choice.expect("a client read after an answered op");
    let Outcome::Ok(KvOutput::Get { revision, .. }) = &mut history.ops[id as usize].outcome else {
        unreachable!()
    };
    *revision = Some(lowered);
    let (summary, evidence) = evidence_of(&history, "revisions-never-go-back", 1);
    assert!(
        summary.starts_with(&format!(
            "client {client}'s op {id} (get \"{}\", called at ",
            history.ops[id as usize].key()
        )),
        "{summary}"
    );
    let Evidence::RevisionWentBack {
        later_client,
        later_op,
        later_revision,
        earlier_revision,
        ..
    } = evidence
    else {
        panic!("expected a revision that went back, got {evidence:?}");
    };
    assert_eq!(
        (later_client, later_op, later_revision),
        (client, id, lowered)
    );
    assert!(earlier_revision > lowered);
}

#[test]
fn a_liveness_phase_that_served_no_read_fails() {
    let mut history = recorded_history();
    let probe = history.liveness.as_mut().expect("a liveness phase");
    assert!(
        matches!(probe.first_read_ns, Some(Some(_))),
        "the probe read: {probe:?}"
    );
    probe.first_read_ns = Some(None);
    let (summary, evidence) = evidence_of(&history, "liveness", 3);
    assert!(
        summary.contains("but no read succeeded within 10000 ms"),
        "{summary}"
    );
    assert!(
        matches!(&evidence, Evidence::Liveness { detail } if detail.contains("waiting for a read")),
        "{evidence:?}"
    );
}
