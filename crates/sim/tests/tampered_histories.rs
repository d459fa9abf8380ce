//! A deliberately wrong reply must break the verdict: take a real recorded history, change
//! one read's answer, and the checker must report a violation naming that operation.

use check::{Budget, CheckResult, Evidence};
use history::{History, KvInput, KvOutput, Op, Outcome};
use scenario::Scenario;
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
    let read = &mut history.ops[id as usize];
    read.outcome = Outcome::Ok(KvOutput::Get {
        value: Some(older_value),
        mod_revision: older_revision,
    });
    assert!(
        stuck_ops(&history).contains(&id),
        "the violation must name op {id}"
    );
}
