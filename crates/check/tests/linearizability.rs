//! Hand-written histories with known verdicts for the etcd KV linearizability check.
//!
//! Each history is a list of operations; an operation's id is its position in the list.
//! Times are small numbers of nanoseconds; what matters is how intervals overlap.

use check::{
    check_linearizable, Budget, CheckKind, CheckResult, Evidence, LinearizabilityViolation,
};
use history::{CasCompare, History, KvInput, KvOutput, Op, Outcome};
use std::collections::BTreeMap;

fn history(ops: Vec<Op>) -> History {
    let mut history = History::new("hand-written", 0);
    for (id, mut op) in ops.into_iter().enumerate() {
        op.id = id as u64;
        history.ops.push(op);
    }
    history.sort();
    history
}

fn op(client: u64, call_ns: u64, return_ns: u64, input: KvInput, output: KvOutput) -> Op {
    Op {
        id: 0,
        client,
        call_ns,
        return_ns: Some(return_ns),
        input,
        outcome: Outcome::Ok(output),
    }
}

fn put(client: u64, call_ns: u64, return_ns: u64, key: &str, value: &str, revision: u64) -> Op {
    let input = KvInput::Put {
        key: key.into(),
        value: value.into(),
    };
    op(
        client,
        call_ns,
        return_ns,
        input,
        KvOutput::Put { revision },
    )
}

fn get(
    client: u64,
    call_ns: u64,
    return_ns: u64,
    key: &str,
    value: Option<&str>,
    mod_revision: u64,
) -> Op {
    let output = KvOutput::Get {
        value: value.map(str::to_string),
        mod_revision,
        revision: None,
    };
    op(
        client,
        call_ns,
        return_ns,
        KvInput::Get { key: key.into() },
        output,
    )
}

fn delete(client: u64, call_ns: u64, return_ns: u64, key: &str, deleted: u64, revision: u64) -> Op {
    let output = KvOutput::Delete { deleted, revision };
    op(
        client,
        call_ns,
        return_ns,
        KvInput::Delete { key: key.into() },
        output,
    )
}

fn cas_input(key: &str, compare: CasCompare, value: &str) -> KvInput {
    KvInput::Cas {
        key: key.into(),
        compare,
        value: value.into(),
    }
}

/// A compare-and-swap that succeeded, creating `revision`.
fn cas_won(
    client: u64,
    call_ns: u64,
    return_ns: u64,
    key: &str,
    compare: CasCompare,
    value: &str,
    revision: u64,
) -> Op {
    let output = KvOutput::Cas {
        succeeded: true,
        revision,
        value: None,
        mod_revision: 0,
    };
    op(
        client,
        call_ns,
        return_ns,
        cas_input(key, compare, value),
        output,
    )
}

/// A compare-and-swap whose compare was false; it read the key as `seen` at `mod_revision`.
#[allow(clippy::too_many_arguments)]
fn cas_lost(
    client: u64,
    call_ns: u64,
    return_ns: u64,
    key: &str,
    compare: CasCompare,
    value: &str,
    seen: Option<&str>,
    mod_revision: u64,
) -> Op {
    let output = KvOutput::Cas {
        succeeded: false,
        revision: 0,
        value: seen.map(str::to_string),
        mod_revision,
    };
    op(
        client,
        call_ns,
        return_ns,
        cas_input(key, compare, value),
        output,
    )
}

fn if_value(expected: &str) -> CasCompare {
    CasCompare::Value {
        expected: expected.into(),
    }
}

fn if_mod_revision(expected: u64) -> CasCompare {
    CasCompare::ModRevision { expected }
}

/// The same call, but no answer came.
fn unanswered(mut op: Op) -> Op {
    op.return_ns = None;
    op.outcome = Outcome::Unknown {
        reason: "timeout".into(),
    };
    op
}

/// The same call, but it surely failed.
fn failed(mut op: Op) -> Op {
    op.outcome = Outcome::Failed {
        error: "no leader".into(),
    };
    op
}

fn assert_linearizable(history: &History) {
    let report = check_linearizable(history, &Budget::default());
    assert_eq!(report.check, "linearizable");
    assert_eq!(report.kind, CheckKind::Safety);
    assert!(
        matches!(report.result, CheckResult::Ok { .. }),
        "expected linearizable, got {:#?}",
        report.result
    );
}

fn violation(history: &History) -> LinearizabilityViolation {
    match check_linearizable(history, &Budget::default()).result {
        CheckResult::Violation {
            evidence: Evidence::Linearizability(violation),
            summary,
        } => {
            assert!(summary.contains(&violation.explanation), "{summary}");
            violation
        }
        other => panic!("expected a violation, got {other:#?}"),
    }
}

#[test]
fn a_sequential_history_is_linearizable() {
    let history = history(vec![
        get(1, 0, 10, "k", None, 0),
        put(1, 20, 30, "k", "a", 2),
        get(2, 40, 50, "k", Some("a"), 2),
        put(2, 60, 70, "k", "b", 5),
        get(1, 80, 90, "k", Some("b"), 5),
        delete(1, 100, 110, "k", 1, 6),
        get(2, 120, 130, "k", None, 0),
    ]);
    assert_linearizable(&history);
    let report = check_linearizable(&history, &Budget::default());
    let CheckResult::Ok {
        summary,
        linearization,
    } = report.result
    else {
        panic!("expected ok, got {report:?}");
    };
    assert_eq!(summary, "7 ops, 1 key");
    // Sequential, so the only order is the history's.
    assert_eq!(
        linearization,
        BTreeMap::from([("k".to_string(), (0..7).collect::<Vec<u64>>())])
    );
}

#[test]
fn a_stale_read_after_a_completed_put_is_a_violation() {
    let history = history(vec![
        put(1, 0, 10, "k", "a", 2),
        put(1, 20, 30, "k", "b", 3),
        get(2, 40, 50, "k", Some("a"), 2),
    ]);
    let violation = violation(&history);
    assert_eq!(violation.key, "k");
    assert_eq!(violation.linearized_prefix, vec![0, 1]);
    assert_eq!(violation.stuck_ops, vec![2]);
    assert_eq!(violation.model_state, "value \"b\", mod_revision 3");
    assert!(
        violation
            .explanation
            .contains("op 2 (get -> \"a\" at mod_revision 2)"),
        "{}",
        violation.explanation
    );
}

#[test]
fn a_read_of_a_value_never_written_is_a_violation() {
    let history = history(vec![
        put(1, 0, 10, "k", "a", 2),
        get(2, 5, 50, "k", Some("z"), 2),
    ]);
    assert_eq!(violation(&history).stuck_ops, vec![1]);
    // Also when the key was never written at all.
    let history = self::history(vec![get(1, 0, 10, "k", Some("z"), 1)]);
    assert_eq!(violation(&history).stuck_ops, vec![0]);
}

#[test]
fn a_read_concurrent_with_a_put_may_see_either_value() {
    for (seen, mod_revision) in [(Some("a"), 2), (Some("b"), 3)] {
        assert_linearizable(&history(vec![
            put(1, 0, 10, "k", "a", 2),
            put(1, 20, 40, "k", "b", 3),
            get(2, 15, 45, "k", seen, mod_revision),
        ]));
    }
    // Intervals that touch at one instant are concurrent too.
    assert_linearizable(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        get(2, 10, 20, "k", None, 0),
    ]));
    // But not once the put has returned.
    violation(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        get(2, 11, 20, "k", None, 0),
    ]));
}

#[test]
fn a_put_revision_must_exceed_every_earlier_revision_of_the_key() {
    for second_revision in [2, 1] {
        let violation = violation(&history(vec![
            put(1, 0, 10, "k", "a", 2),
            put(1, 20, 30, "k", "b", second_revision),
        ]));
        assert_eq!(violation.stuck_ops, vec![1]);
    }
    // Concurrent puts may take their revisions in either order.
    assert_linearizable(&history(vec![
        put(1, 0, 30, "k", "a", 3),
        put(2, 10, 20, "k", "b", 2),
        get(1, 40, 50, "k", Some("a"), 3),
    ]));
    // A revision shown by a delete counts too.
    violation(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        delete(1, 20, 30, "k", 1, 5),
        put(1, 40, 50, "k", "b", 4),
    ]));
}

#[test]
fn a_value_compare_holds_only_on_an_existing_key_with_that_value() {
    assert_linearizable(&history(vec![
        cas_lost(1, 0, 10, "k", if_value("a"), "b", None, 0),
        put(1, 20, 30, "k", "a", 2),
        cas_lost(1, 40, 50, "k", if_value("x"), "b", Some("a"), 2),
        cas_won(1, 60, 70, "k", if_value("a"), "b", 3),
        get(1, 80, 90, "k", Some("b"), 3),
    ]));
    // A missing key never matches, not even the empty value.
    violation(&history(vec![cas_won(1, 0, 10, "k", if_value(""), "b", 2)]));
    // Succeeding against another value.
    violation(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        cas_won(1, 20, 30, "k", if_value("x"), "b", 3),
    ]));
    // Failing although the value matched.
    violation(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        cas_lost(1, 20, 30, "k", if_value("a"), "b", Some("a"), 2),
    ]));
    // A failed compare-and-swap reads the key like a get: it must show the current value.
    violation(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        cas_lost(1, 20, 30, "k", if_value("x"), "b", Some("y"), 2),
    ]));
    // A successful compare-and-swap creates a revision above the previous one.
    violation(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        cas_won(1, 20, 30, "k", if_value("a"), "b", 2),
    ]));
}

#[test]
fn a_mod_revision_compare_sees_a_missing_key_as_revision_zero() {
    assert_linearizable(&history(vec![
        cas_lost(1, 0, 10, "k", if_mod_revision(1), "a", None, 0),
        cas_won(1, 20, 30, "k", if_mod_revision(0), "a", 2),
        cas_lost(1, 40, 50, "k", if_mod_revision(0), "b", Some("a"), 2),
        cas_won(1, 60, 70, "k", if_mod_revision(2), "b", 4),
        delete(1, 80, 90, "k", 1, 5),
        cas_won(1, 100, 110, "k", if_mod_revision(0), "c", 6),
    ]));
    // Revision 0 on a missing key holds, so failing there is wrong.
    violation(&history(vec![cas_lost(
        1,
        0,
        10,
        "k",
        if_mod_revision(0),
        "a",
        None,
        0,
    )]));
    // A missing key's mod_revision is not 1.
    violation(&history(vec![cas_won(
        1,
        0,
        10,
        "k",
        if_mod_revision(1),
        "a",
        2,
    )]));
    // An existing key's mod_revision is not 0.
    violation(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        cas_won(1, 20, 30, "k", if_mod_revision(0), "b", 3),
    ]));
    // Succeeding against a stale mod_revision.
    violation(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        put(1, 20, 30, "k", "b", 3),
        cas_won(1, 40, 50, "k", if_mod_revision(2), "c", 4),
    ]));
}

#[test]
fn a_failed_put_never_happened() {
    let violation = violation(&history(vec![
        failed(put(1, 0, 10, "k", "a", 2)),
        get(2, 20, 30, "k", Some("a"), 2),
    ]));
    assert_eq!(violation.stuck_ops, vec![1]);
    assert_eq!(violation.model_state, "absent (never written)");
    assert_linearizable(&history(vec![
        failed(put(1, 0, 10, "k", "a", 2)),
        get(2, 20, 30, "k", None, 0),
    ]));
}

#[test]
fn an_unanswered_put_may_take_effect_much_later() {
    assert_linearizable(&history(vec![
        unanswered(put(1, 0, 10, "k", "a", 0)),
        get(2, 1_000, 1_010, "k", None, 0),
        get(2, 1_000_000, 1_000_010, "k", Some("a"), 7),
    ]));
    // But not before its call.
    violation(&history(vec![
        get(2, 0, 10, "k", Some("a"), 7),
        unanswered(put(1, 20, 30, "k", "a", 0)),
    ]));
}

#[test]
fn an_unanswered_put_may_never_take_effect() {
    assert_linearizable(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        unanswered(put(2, 20, 30, "k", "b", 0)),
        get(1, 40, 50, "k", Some("a"), 2),
        get(1, 1_000, 1_010, "k", Some("a"), 2),
    ]));
}

#[test]
fn a_read_pins_the_revision_of_an_unanswered_put() {
    let pinned = |mod_revision| {
        history(vec![
            put(1, 0, 10, "k", "a", 4),
            unanswered(put(2, 20, 30, "k", "b", 0)),
            get(1, 40, 50, "k", Some("b"), mod_revision),
            put(1, 60, 70, "k", "c", 9),
        ])
    };
    assert_linearizable(&pinned(5));
    assert_linearizable(&pinned(8));
    for at_or_below_prior in [4, 3] {
        assert_eq!(violation(&pinned(at_or_below_prior)).stuck_ops, vec![2]);
    }
    // Once pinned at 8, a later put needs a revision above 8.
    let violation = violation(&history(vec![
        put(1, 0, 10, "k", "a", 4),
        unanswered(put(2, 20, 30, "k", "b", 0)),
        get(1, 40, 50, "k", Some("b"), 8),
        put(1, 60, 70, "k", "c", 7),
    ]));
    assert_eq!(violation.stuck_ops, vec![3]);
    assert_eq!(violation.model_state, "value \"b\", mod_revision 8");
}

#[test]
fn an_unanswered_compare_and_swap_takes_effect_only_where_its_compare_holds() {
    let history_with = |first_value| {
        history(vec![
            put(1, 0, 10, "k", first_value, 2),
            unanswered(cas_won(2, 20, 30, "k", if_value("a"), "b", 0)),
            get(1, 40, 50, "k", Some("b"), 3),
        ])
    };
    assert_linearizable(&history_with("a"));
    assert_eq!(violation(&history_with("x")).stuck_ops, vec![2]);
    // A mod_revision compare where an unanswered put left the revision unknown: it can
    // hold at "a" (revision 4), or after "b" for an expected revision above 4; the
    // read then pins "c"'s revision at 9, above the compared one.
    let history_with = |expected| {
        history(vec![
            put(1, 0, 10, "k", "a", 4),
            unanswered(put(2, 20, 30, "k", "b", 0)),
            unanswered(cas_won(3, 40, 50, "k", if_mod_revision(expected), "c", 0)),
            get(1, 100, 110, "k", Some("c"), 9),
        ])
    };
    for holds in [4, 5, 8] {
        assert_linearizable(&history_with(holds));
    }
    for never_holds in [0, 3, 9] {
        assert_eq!(violation(&history_with(never_holds)).stuck_ops, vec![3]);
    }
}

#[test]
fn a_delete_removes_an_existing_key_and_reports_whether_it_did() {
    assert_linearizable(&history(vec![
        delete(1, 0, 10, "k", 0, 1),
        put(1, 20, 30, "k", "a", 2),
        delete(1, 40, 50, "k", 1, 3),
        get(1, 60, 70, "k", None, 0),
        delete(1, 80, 90, "k", 0, 3),
        put(1, 100, 110, "k", "b", 4),
        get(1, 120, 130, "k", Some("b"), 4),
    ]));
    // Deleting nothing from an existing key.
    violation(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        delete(1, 20, 30, "k", 0, 2),
    ]));
    // Deleting a missing key.
    violation(&history(vec![delete(1, 0, 10, "k", 1, 2)]));
    // Reading the value after it was deleted.
    violation(&history(vec![
        put(1, 0, 10, "k", "a", 2),
        delete(1, 20, 30, "k", 1, 3),
        get(1, 40, 50, "k", Some("a"), 2),
    ]));
    // An unanswered delete may happen, or not.
    for seen in [None, Some("a")] {
        let mod_revision = if seen.is_some() { 2 } else { 0 };
        assert_linearizable(&history(vec![
            put(1, 0, 10, "k", "a", 2),
            unanswered(delete(2, 20, 30, "k", 0, 0)),
            get(1, 40, 50, "k", seen, mod_revision),
        ]));
    }
}

#[test]
fn the_evidence_names_the_bad_reply_not_an_unanswered_call_that_blocks_the_rest() {
    // Placing the unanswered compare-and-swap right after "a" also gets two ops in, but
    // then the put of "b" cannot follow (its revision 3 is not above the unknown one);
    // the furthest prefix counts answered ops only, so it reaches the bad read.
    let violation = violation(&history(vec![
        put(1, 0, 0, "k", "a", 2),
        unanswered(cas_won(2, 0, 0, "k", if_value("a"), "a", 0)),
        put(1, 7, 8, "k", "b", 3),
        get(1, 9, 9, "k", Some("never written"), 1),
    ]));
    assert_eq!(violation.linearized_prefix, vec![0, 2]);
    assert_eq!(violation.stuck_ops, vec![3]);
}

#[test]
fn keys_are_independent() {
    assert_linearizable(&history(vec![
        put(1, 0, 10, "a", "1", 2),
        put(2, 5, 15, "b", "1", 3),
        get(1, 20, 30, "b", Some("1"), 3),
        get(2, 20, 30, "a", Some("1"), 2),
        put(1, 40, 50, "b", "2", 4),
        get(2, 60, 70, "a", Some("1"), 2),
    ]));
    let violation = violation(&history(vec![
        put(1, 0, 10, "a", "1", 2),
        put(2, 5, 15, "b", "1", 3),
        put(1, 40, 50, "b", "2", 4),
        get(2, 60, 70, "a", Some("1"), 2),
        get(2, 80, 90, "b", Some("1"), 3),
    ]));
    assert_eq!(violation.key, "b");
    assert_eq!(violation.linearized_prefix, vec![1, 2]);
    assert_eq!(violation.stuck_ops, vec![4]);
}

#[test]
fn unanswered_reads_and_failed_ops_are_left_out() {
    assert_linearizable(&history(vec![
        unanswered(get(1, 0, 10, "k", Some("never"), 9)),
        failed(get(2, 0, 10, "k", Some("never"), 9)),
        failed(delete(2, 20, 30, "k", 1, 3)),
        get(2, 40, 50, "k", None, 0),
    ]));
}

/// Eight clients write concurrently; their revisions allow one order only, the reverse of
/// the order the search tries first, so it explores hundreds of dead ends.
fn hard_history() -> History {
    let mut ops: Vec<Op> = (0..8)
        .map(|client| put(client, 0, 100, "k", &format!("v{client}"), 9 - client))
        .collect();
    ops.push(get(9, 0, 100, "k", Some("v0"), 9));
    history(ops)
}

#[test]
fn running_out_of_budget_is_undecided_not_a_verdict() {
    let history = hard_history();
    assert_linearizable(&history);
    let report = check_linearizable(
        &history,
        &Budget {
            max_steps: 5,
            ..Budget::default()
        },
    );
    match report.result {
        CheckResult::Undecided { why } => {
            assert!(why.contains("5 search steps"), "{why}");
            assert!(why.contains("\"k\""), "{why}");
        }
        other => panic!("expected undecided, got {other:#?}"),
    }
}

#[test]
fn running_out_of_memory_is_undecided_and_says_so() {
    let history = hard_history();
    let budget = Budget {
        max_memory_bytes: 1,
        ..Budget::default()
    };
    match check_linearizable(&history, &budget).result {
        CheckResult::Undecided { why } => assert_eq!(
            why,
            "the memory limit of 1 B ran out after 2 search steps and 0 B of memo tables \
             (0 entries); 0 of 1 key linearizable, key \"k\" undecided"
        ),
        other => panic!("expected undecided, got {other:#?}"),
    }
}

#[test]
fn a_hard_key_does_not_starve_the_others_of_budget() {
    // Key "a" (searched first) is linearizable but needs many steps; key "b" is a quick
    // violation. Splitting the budget lets the search find "b"'s violation anyway.
    let mut ops = hard_history().ops;
    for op in &mut ops {
        op.input = match &op.input {
            KvInput::Put { value, .. } => KvInput::Put {
                key: "a".into(),
                value: value.clone(),
            },
            _ => KvInput::Get { key: "a".into() },
        };
    }
    assert!(
        matches!(
            check_linearizable(
                &hard_history(),
                &Budget {
                    max_steps: 40,
                    ..Budget::default()
                }
            )
            .result,
            CheckResult::Undecided { .. }
        ),
        "the hard key alone must need more than the whole budget"
    );
    ops.push(put(1, 200, 210, "b", "x", 20));
    ops.push(get(1, 220, 230, "b", None, 0));
    let history = history(ops);
    let report = check_linearizable(
        &history,
        &Budget {
            max_steps: 40,
            ..Budget::default()
        },
    );
    match report.result {
        CheckResult::Violation {
            evidence: Evidence::Linearizability(violation),
            ..
        } => assert_eq!(violation.key, "b"),
        other => panic!("expected a violation on \"b\", got {other:#?}"),
    }
}
