//! The liveness check: once the faults stop and the cluster is healed, it must serve a
//! write again within the scenario's bound.

use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::{History, SimTimeNs};

/// Checks the history's liveness phase: it holds when there was none, or when the first
/// probe write succeeded no later than the deadline.
pub fn check_liveness(history: &History) -> CheckReport {
    let result = match &history.liveness {
        None => CheckResult::ok("no liveness phase"),
        Some(probe) => {
            let since_healing =
                |at_ns: SimTimeNs| duration(at_ns.saturating_sub(probe.healed_at_ns));
            let bound = since_healing(probe.deadline_ns);
            let window = format!(
                "healed at {} ns, deadline {} ns",
                probe.healed_at_ns, probe.deadline_ns
            );
            match probe.first_write_ns {
                Some(first_write_ns) if first_write_ns <= probe.deadline_ns => {
                    CheckResult::ok(format!(
                        "first write {} after healing, bound {bound}",
                        since_healing(first_write_ns)
                    ))
                }
                Some(first_write_ns) => CheckResult::Violation {
                    summary: format!(
                        "after healing: the first write took {}, {} past the bound of {bound}",
                        since_healing(first_write_ns),
                        duration(first_write_ns - probe.deadline_ns)
                    ),
                    evidence: Evidence::Liveness {
                        detail: format!("{window}, first write at {first_write_ns} ns"),
                    },
                },
                None => CheckResult::Violation {
                    summary: format!("after healing: no write succeeded within {bound}"),
                    evidence: Evidence::Liveness {
                        detail: format!("{window}, no write succeeded by the deadline"),
                    },
                },
            }
        }
    };
    CheckReport {
        check: "liveness".to_string(),
        kind: CheckKind::Liveness,
        result,
    }
}

/// A span of simulated time in milliseconds, for people.
fn duration(ns: SimTimeNs) -> String {
    let (whole_ms, rest_ns) = (ns / 1_000_000, ns % 1_000_000);
    if rest_ns == 0 {
        format!("{whole_ms} ms")
    } else {
        format!("{:.3} ms", ns as f64 / 1e6)
    }
}
