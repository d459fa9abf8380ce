//! The liveness check: after healing, a write must succeed by the deadline.

use check::{check_liveness, CheckKind, CheckResult, Evidence};
use history::{History, LivenessProbe};

const HEALED_AT_NS: u64 = 20_000_000_000;
const DEADLINE_NS: u64 = 30_000_000_000;

fn history_with(first_write_ns: Option<u64>) -> History {
    let mut history = History::new("liveness", 1);
    history.liveness = Some(LivenessProbe {
        healed_at_ns: HEALED_AT_NS,
        deadline_ns: DEADLINE_NS,
        first_write_ns,
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
fn a_write_before_the_deadline_holds() {
    let report = check_liveness(&history_with(Some(20_450_000_000)));
    assert_eq!(report.check, "liveness");
    assert_eq!(report.kind, CheckKind::Liveness);
    assert_eq!(
        report.result,
        CheckResult::ok("first write 450 ms after healing, bound 10000 ms")
    );
    // Exactly at the deadline is in time.
    let at_deadline = check_liveness(&history_with(Some(DEADLINE_NS)));
    assert!(
        matches!(at_deadline.result, CheckResult::Ok { .. }),
        "{at_deadline:#?}"
    );
}

#[test]
fn a_write_after_the_deadline_is_a_violation() {
    let report = check_liveness(&history_with(Some(DEADLINE_NS + 1_500_000)));
    assert_eq!(report.kind, CheckKind::Liveness);
    let (summary, detail) = violation_detail(report.result);
    assert_eq!(
        summary,
        "after healing: the first write took 10001.500 ms, 1.500 ms past the bound of 10000 ms"
    );
    assert!(detail.contains("first write at 30001500000 ns"), "{detail}");
}

#[test]
fn no_write_at_all_is_a_violation() {
    let (summary, detail) = violation_detail(check_liveness(&history_with(None)).result);
    assert_eq!(summary, "after healing: no write succeeded within 10000 ms");
    assert!(
        detail.contains("healed at 20000000000 ns, deadline 30000000000 ns"),
        "{detail}"
    );
}

#[test]
fn a_run_without_a_liveness_phase_holds() {
    let report = check_liveness(&History::new("no-phase", 1));
    assert_eq!(report.result, CheckResult::ok("no liveness phase"));
}
