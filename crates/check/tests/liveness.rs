//! The liveness check: after healing, a write and then a read must succeed by the deadline.

use check::{check_liveness, CheckKind, CheckResult, Evidence};
use history::{Fault, FaultEvent, History, LeaderChange, LivenessProbe, SteadyLeader};

const HEALED_AT_NS: u64 = 20_000_000_000;
const DEADLINE_NS: u64 = 30_000_000_000;

/// A liveness phase whose probe read first succeeded at `first_read_ns` (`Some(None)`:
/// none did; `None`: a history from before probe reads).
fn history_with(first_write_ns: Option<u64>, first_read_ns: Option<Option<u64>>) -> History {
    let mut history = History::new("liveness", 1);
    history.liveness = Some(LivenessProbe {
        healed_at_ns: HEALED_AT_NS,
        deadline_ns: DEADLINE_NS,
        first_write_ns,
        first_read_ns,
        steady_leader: None,
    });
    history
}

fn violation_detail(result: CheckResult) -> (String, String) {
    match result {
        CheckResult::Violation {
            summary,
            evidence: Evidence::Liveness { detail },
        } => (summary, detail),
        other => panic!("expected a liveness violation, got {other:#?}"),
    }
}

#[test]
fn a_write_and_a_read_before_the_deadline_hold() {
    let report = check_liveness(&history_with(
        Some(20_450_000_000),
        Some(Some(20_470_500_000)),
    ));
    assert_eq!(report.check, "liveness");
    assert_eq!(report.kind, CheckKind::Liveness);
    assert_eq!(
        report.result,
        CheckResult::ok(
            "first write 450 ms and first read 470.500 ms after healing, bound 10000 ms"
        )
    );
    // Exactly at the deadline is in time.
    let at_deadline = check_liveness(&history_with(Some(DEADLINE_NS), Some(Some(DEADLINE_NS))));
    assert!(
        matches!(at_deadline.result, CheckResult::Ok { .. }),
        "{at_deadline:#?}"
    );
}

#[test]
fn a_history_from_before_probe_reads_is_held_to_the_write_only() {
    let report = check_liveness(&history_with(Some(20_450_000_000), None));
    assert_eq!(
        report.result,
        CheckResult::ok(
            "first write 450 ms after healing, bound 10000 ms; no read demanded (a history \
             from before probe reads)"
        )
    );
}

#[test]
fn a_write_after_the_deadline_is_a_violation() {
    let report = check_liveness(&history_with(Some(DEADLINE_NS + 1_500_000), Some(None)));
    assert_eq!(report.kind, CheckKind::Liveness);
    let (summary, detail) = violation_detail(report.result);
    assert_eq!(
        summary,
        "after healing: the first write took 10001.500 ms, 1.500 ms past the bound of 10000 ms"
    );
    assert!(detail.contains("first write at 30001500000 ns"), "{detail}");
}

#[test]
fn no_write_at_all_is_a_violation_that_says_whether_a_leader_emerged() {
    let mut history = history_with(None, Some(None));
    let (summary, detail) = violation_detail(check_liveness(&history).result);
    assert_eq!(
        summary,
        "after healing: no write succeeded within 10000 ms, no replica became leader after \
         healing"
    );
    assert!(
        detail.contains("healed at 20000000000 ns, deadline 30000000000 ns"),
        "{detail}"
    );
    assert!(detail.contains("waiting for a write"), "{detail}");
    // A leader from before healing is not one that emerged after it.
    history.leaders = vec![
        LeaderChange {
            at_ns: HEALED_AT_NS - 1,
            node: 1,
            term: 3,
        },
        LeaderChange {
            at_ns: HEALED_AT_NS + 300_000_000,
            node: 4,
            term: 5,
        },
    ];
    let (summary, _) = violation_detail(check_liveness(&history).result);
    assert_eq!(
        summary,
        "after healing: no write succeeded within 10000 ms, though node 4 became leader of \
         term 5 300 ms after healing"
    );
}

#[test]
fn a_write_without_a_read_is_a_violation() {
    let (summary, detail) =
        violation_detail(check_liveness(&history_with(Some(20_450_000_000), Some(None))).result);
    assert_eq!(
        summary,
        "after healing: first write 450 ms, but no read succeeded within 10000 ms"
    );
    assert!(
        detail.contains("first write at 20450000000 ns; waiting for a read"),
        "{detail}"
    );
}

#[test]
fn a_read_after_the_deadline_is_a_violation() {
    let (summary, detail) = violation_detail(
        check_liveness(&history_with(
            Some(20_450_000_000),
            Some(Some(DEADLINE_NS + 2_000_000)),
        ))
        .result,
    );
    assert_eq!(
        summary,
        "after healing: first write 450 ms, but the first read took 10002 ms, 2 ms past the \
         bound of 10000 ms"
    );
    assert!(detail.contains("first read at 30002000000 ns"), "{detail}");
}

#[test]
fn a_run_without_a_liveness_phase_holds() {
    let report = check_liveness(&History::new("no-phase", 1));
    assert_eq!(report.result, CheckResult::ok("no liveness phase"));
}

/// A liveness phase served at once, then watched for a leader keeping its term for 3 s;
/// `since_ns`: from when one did (`None`: none did), with one lasting cut.
fn history_watched(since_ns: Option<u64>) -> History {
    let mut history = history_with(Some(20_050_000_000), Some(Some(20_070_000_000)));
    history.faults.push(FaultEvent {
        at_ns: 2_000_000_000,
        fault: Fault::Cut { from: 1, to: 2 },
        lasting: true,
    });
    if let Some(probe) = &mut history.liveness {
        probe.steady_leader = Some(SteadyLeader {
            demanded_ns: 3_000_000_000,
            since_ns,
            term_changes: if since_ns.is_some() { 0 } else { 6 },
            last_term: 12,
        });
    }
    history
}

#[test]
fn a_leader_keeping_its_term_as_long_as_demanded_holds() {
    let report = check_liveness(&history_watched(Some(20_100_000_000)));
    assert_eq!(
        report.result,
        CheckResult::ok(
            "first write 50 ms and first read 70 ms after healing, then one leader kept term \
             12 for 3000 ms from 100 ms after healing, bound 10000 ms (healed but for 1 \
             lasting fault)"
        )
    );
}

#[test]
fn elections_that_never_end_are_a_violation_though_the_probe_was_served() {
    let report = check_liveness(&history_watched(None));
    let CheckResult::Violation { summary, evidence } = report.result else {
        panic!("expected a violation: {:?}", report.result);
    };
    assert_eq!(
        summary,
        "after healing: first write 50 ms and first read 70 ms after healing, but no leader \
         kept its term for 3000 ms within 10000 ms: the highest term rose 6 times while \
         watched, to 12 (healed but for 1 lasting fault)"
    );
    assert!(matches!(evidence, Evidence::Liveness { .. }));
}
