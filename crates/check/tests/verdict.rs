//! All checks together: the verdict, its exit code, its terminal summary and its JSON.

use check::{check_history, Budget, CheckKind, CheckResult, Evidence, Verdict};
use history::{History, KvInput, KvOutput, LivenessProbe, Op, Outcome};

fn op(id: u64, call_ns: u64, return_ns: u64, input: KvInput, output: KvOutput) -> Op {
    Op {
        id,
        client: id,
        call_ns,
        return_ns: Some(return_ns),
        input,
        outcome: Outcome::Ok(output),
    }
}

/// A put then a read on "k"; the read sees `seen`. A liveness phase whose first write,
/// and a read right after it, came at `first_write_ns`.
fn history(seen: &str, first_write_ns: Option<u64>) -> History {
    let mut history = History::new("verdict", 3);
    history.ops = vec![
        op(
            0,
            0,
            10,
            KvInput::Put {
                key: "k".into(),
                value: "a".into(),
            },
            KvOutput::Put { revision: 2 },
        ),
        op(
            1,
            20,
            30,
            KvInput::Get { key: "k".into() },
            KvOutput::Get {
                value: Some(seen.into()),
                mod_revision: 2,
                revision: None,
            },
        ),
    ];
    history.liveness = Some(LivenessProbe {
        healed_at_ns: 100,
        deadline_ns: 2_000_100,
        first_write_ns,
        first_read_ns: Some(first_write_ns),
        steady_leader: None,
    });
    history
}

#[test]
fn a_correct_run_passes_every_check() {
    let verdict = check_history(&history("a", Some(1_000_100)), &Budget::default());
    assert_eq!(verdict.exit_code(), 0);
    assert!(verdict.is_ok());
    assert_eq!(
        verdict.summary(),
        "linearizable: ok (2 ops, 1 key)\n\
         one-leader-per-term: ok (0 terms with a leader, one each)\n\
         replica-agreement: ok (no applied index checkpointed twice, nothing to compare)\n\
         revisions-never-go-back: ok (1 answer with a revision, none below one shown before it was called)\n\
         liveness: ok (first write 1 ms and first read 1 ms after healing, bound 2 ms)"
    );
}

#[test]
fn a_safety_violation_outranks_a_liveness_failure() {
    let verdict = check_history(&history("b", None), &Budget::default());
    assert_eq!(verdict.checks.len(), 5);
    assert_eq!(verdict.checks[0].kind, CheckKind::Safety);
    assert!(matches!(
        verdict.checks[0].result,
        CheckResult::Violation {
            evidence: Evidence::Linearizability(_),
            ..
        }
    ));
    assert_eq!(verdict.exit_code(), 1);
    assert!(!verdict.is_ok());
    let summary = verdict.summary();
    assert!(
        summary.starts_with("linearizable: VIOLATION on key \"k\": "),
        "{summary}"
    );
    assert!(
        summary.contains("\nliveness: VIOLATION after healing: no write succeeded within 2 ms"),
        "{summary}"
    );

    assert_eq!(
        check_history(&history("a", None), &Budget::default()).exit_code(),
        3
    );
}

#[test]
fn running_out_of_budget_is_exit_code_4() {
    let verdict = check_history(
        &history("a", Some(200)),
        &Budget {
            max_steps: 0,
            ..Budget::default()
        },
    );
    assert!(matches!(
        verdict.checks[0].result,
        CheckResult::Undecided { .. }
    ));
    assert_eq!(verdict.exit_code(), 4);
    assert!(verdict
        .summary()
        .starts_with("linearizable: UNDECIDED (the budget of 0"));
}

#[test]
fn the_verdict_round_trips_through_json() {
    let verdict = check_history(&history("b", Some(3_000_000)), &Budget::default());
    let json = serde_json::to_string_pretty(&verdict).unwrap();
    assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), verdict);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let linearizable = &value["checks"][0];
    assert_eq!(linearizable["check"], "linearizable");
    assert_eq!(linearizable["kind"], "safety");
    assert_eq!(linearizable["result"]["status"], "violation");
    let evidence = &linearizable["result"]["evidence"];
    assert_eq!(evidence["kind"], "linearizability");
    assert_eq!(evidence["key"], "k");
    assert_eq!(evidence["linearized_prefix"], serde_json::json!([0]));
    assert_eq!(evidence["stuck_ops"], serde_json::json!([1]));
    assert_eq!(evidence["model_state"], "value \"a\", mod_revision 2");
    assert_eq!(value["checks"][1]["check"], "one-leader-per-term");
    assert_eq!(value["checks"][4]["result"]["evidence"]["kind"], "liveness");
}
