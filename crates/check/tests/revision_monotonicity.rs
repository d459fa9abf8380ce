//! Revisions never go back: an answer may not show a store revision below one shown by an
//! operation that returned before it was called, or by an earlier op of the same client.

use check::{check_revision_monotonicity, CheckKind, CheckResult, Evidence};
use history::{History, KvInput, KvOutput, Op, Outcome};

fn put(client: u64, (call_ns, return_ns): (u64, u64), revision: u64) -> Op {
    Op {
        id: 0,
        client,
        call_ns,
        return_ns: Some(return_ns),
        input: KvInput::Put {
            key: "a".into(),
            value: format!("c{client}"),
        },
        outcome: Outcome::Ok(KvOutput::Put { revision }),
    }
}

/// A get of key "b" showing `revision` (`None`: a history from before gets reported it)
/// and a mod_revision of `mod_revision`.
fn get(
    client: u64,
    (call_ns, return_ns): (u64, u64),
    revision: Option<u64>,
    mod_revision: u64,
) -> Op {
    Op {
        id: 0,
        client,
        call_ns,
        return_ns: Some(return_ns),
        input: KvInput::Get { key: "b".into() },
        outcome: Outcome::Ok(KvOutput::Get {
            value: Some("x".into()),
            mod_revision,
            revision,
        }),
    }
}

fn history(ops: Vec<Op>) -> History {
    let mut history = History::new("revisions", 1);
    history.ops = ops;
    history.sort();
    for (id, op) in history.ops.iter_mut().enumerate() {
        op.id = id as u64;
    }
    history
}

fn violation(history: &History) -> (String, Evidence) {
    let report = check_revision_monotonicity(history);
    assert_eq!(report.check, "revisions-never-go-back");
    assert_eq!(report.kind, CheckKind::Safety);
    match report.result {
        CheckResult::Violation { summary, evidence } => (summary, evidence),
        other => panic!("expected a violation, got {other:#?}"),
    }
}

#[test]
fn growing_revisions_hold_and_unanswered_ops_show_nothing() {
    let mut unknown = put(1, (30, 0), 0);
    unknown.return_ns = None;
    unknown.outcome = Outcome::Unknown {
        reason: "timeout".into(),
    };
    let mut failed = put(2, (31, 32), 0);
    failed.outcome = Outcome::Failed {
        error: "not leader".into(),
    };
    let report = check_revision_monotonicity(&history(vec![
        put(1, (10, 20), 5),
        get(1, (20, 25), Some(5), 5),
        get(2, (22, 24), Some(5), 3),
        unknown,
        failed,
        put(2, (40, 50), 6),
        get(1, (51, 60), Some(6), 6),
    ]));
    assert_eq!(
        report.result,
        CheckResult::ok("5 answers with a revision, none below one shown before it was called")
    );
}

#[test]
fn a_client_whose_later_op_observed_a_smaller_revision_is_caught() {
    let history = history(vec![
        put(1, (1_000_000_000, 1_200_000_000), 10),
        // Called in the very nanosecond the put returned: still after it.
        get(1, (1_200_000_000, 1_300_000_000), Some(8), 8),
    ]);
    let (summary, evidence) = violation(&history);
    assert_eq!(
        summary,
        "client 1's op 1 (get \"b\", called at 1.200 s) observed revision 8, below revision \
         10 that its op 0 (put \"a\") observed, returning at 1.200 s"
    );
    assert_eq!(
        evidence,
        Evidence::RevisionWentBack {
            earlier_client: 1,
            earlier_op: 0,
            earlier_revision: 10,
            later_client: 1,
            later_op: 1,
            later_revision: 8,
        }
    );
}

#[test]
fn another_clients_op_that_returned_before_the_call_bounds_it_too() {
    let history = history(vec![
        put(2, (1_000_000_000, 1_100_000_000), 10),
        get(1, (1_150_000_000, 1_160_000_000), Some(9), 4),
    ]);
    let (summary, _) = violation(&history);
    assert_eq!(
        summary,
        "client 1's op 1 (get \"b\", called at 1.150 s) observed revision 9, below revision \
         10 that client 2's op 0 (put \"a\") observed, returning at 1.100 s"
    );
}

#[test]
fn concurrent_ops_of_different_clients_may_show_any_order() {
    let report = check_revision_monotonicity(&history(vec![
        put(2, (100, 200), 10),
        get(1, (150, 300), Some(9), 4),
        // Returned in the nanosecond the other client called: concurrent, not before it.
        put(3, (50, 400), 12),
        get(1, (400, 500), Some(11), 11),
    ]));
    assert!(
        matches!(report.result, CheckResult::Ok { .. }),
        "{report:#?}"
    );
}

#[test]
fn a_get_without_a_revision_bounds_later_ops_by_its_mod_revision() {
    // The get saw the key at mod_revision 12, so the store was at 12 or later.
    let (_, evidence) = violation(&history(vec![
        get(1, (100, 200), None, 12),
        put(1, (300, 400), 11),
    ]));
    assert!(matches!(
        evidence,
        Evidence::RevisionWentBack {
            earlier_revision: 12,
            later_revision: 11,
            ..
        }
    ));
    // Its own revision is unknown, so it is not checked against the put before it.
    let report = check_revision_monotonicity(&history(vec![
        put(1, (100, 200), 10),
        get(1, (300, 400), None, 5),
    ]));
    assert_eq!(
        report.result,
        CheckResult::ok("1 answer with a revision, none below one shown before it was called")
    );
}
