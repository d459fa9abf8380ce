//! The liveness check: once the faults stop and the cluster is healed, it must serve a
//! write and then a linearizable read again within the scenario's bound.

use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::{History, LivenessProbe, SimTimeNs};

/// Checks the history's liveness phase: it holds when there was none, or when the first
/// probe write and the first probe read after it succeeded no later than the deadline.
/// Histories recorded before the probe read (no `first_read_ns`) are held to the write.
pub fn check_liveness(history: &History) -> CheckReport {
    let result = match &history.liveness {
        None => CheckResult::ok("no liveness phase"),
        Some(probe) => check_probe(history, probe),
    };
    CheckReport {
        check: "liveness".to_string(),
        kind: CheckKind::Liveness,
        result,
    }
}

fn check_probe(history: &History, probe: &LivenessProbe) -> CheckResult {
    let since_healing = |at_ns: SimTimeNs| duration(at_ns.saturating_sub(probe.healed_at_ns));
    let bound = since_healing(probe.deadline_ns);
    let window = format!(
        "healed at {} ns, deadline {} ns",
        probe.healed_at_ns, probe.deadline_ns
    );
    let violation = |summary: String, detail: String| CheckResult::Violation {
        summary: format!("after healing: {summary}"),
        evidence: Evidence::Liveness {
            detail: format!("{window}, {detail}"),
        },
    };
    let first_write_ns = match probe.first_write_ns {
        None => {
            // Whether a leader emerged tells a stuck election from a leader that cannot
            // commit; a leader from before healing may also still lead, unrecorded.
            let elected = history
                .leaders
                .iter()
                .find(|change| (probe.healed_at_ns..=probe.deadline_ns).contains(&change.at_ns));
            let leader = match elected {
                None => "no replica became leader after healing".to_string(),
                Some(change) => format!(
                    "though node {} became leader of term {} {} after healing",
                    change.node,
                    change.term,
                    since_healing(change.at_ns)
                ),
            };
            return violation(
                format!("no write succeeded within {bound}, {leader}"),
                format!("waiting for a write: none succeeded by the deadline; {leader}"),
            );
        }
        Some(first_write_ns) if first_write_ns > probe.deadline_ns => {
            return violation(
                format!(
                    "the first write took {}, {} past the bound of {bound}",
                    since_healing(first_write_ns),
                    duration(first_write_ns - probe.deadline_ns)
                ),
                format!("first write at {first_write_ns} ns"),
            );
        }
        Some(first_write_ns) => first_write_ns,
    };
    let write = format!("first write {}", since_healing(first_write_ns));
    match probe.first_read_ns {
        None => CheckResult::ok(format!(
            "{write} after healing, bound {bound}; no read demanded (a history from before \
             probe reads)"
        )),
        Some(Some(first_read_ns)) if first_read_ns <= probe.deadline_ns => {
            CheckResult::ok(format!(
                "{write} and first read {} after healing, bound {bound}",
                since_healing(first_read_ns)
            ))
        }
        Some(Some(first_read_ns)) => violation(
            format!(
                "{write}, but the first read took {}, {} past the bound of {bound}",
                since_healing(first_read_ns),
                duration(first_read_ns - probe.deadline_ns)
            ),
            format!("first write at {first_write_ns} ns, first read at {first_read_ns} ns"),
        ),
        Some(None) => violation(
            format!("{write}, but no read succeeded within {bound}"),
            format!(
                "first write at {first_write_ns} ns; waiting for a read: none succeeded by \
                 the deadline"
            ),
        ),
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
