//! The liveness check: once the faults stop and the cluster is healed, it must serve a
//! write and then a linearizable read again within the scenario's bound, and, where the
//! scenario demands it, keep one leader in one term for a while: a cluster whose
//! elections never end may still slip a write and a read in between two of them.
//! Faults marked lasting were never healed; the check says so, as the liveness it
//! demands is then that of a cluster still partly cut.

use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::{History, LivenessProbe, SimTimeNs, SteadyLeader};

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
    let mut result = check_service(history, probe);
    let lasting = history.lasting_faults().count();
    if lasting > 0 {
        let note = format!(
            " (healed but for {lasting} lasting fault{})",
            if lasting == 1 { "" } else { "s" }
        );
        match &mut result {
            CheckResult::Ok { summary, .. } | CheckResult::Violation { summary, .. } => {
                summary.push_str(&note)
            }
            CheckResult::Undecided { .. } => {}
        }
    }
    result
}

/// The probe's write and read, then the steady leader if one was demanded.
fn check_service(history: &History, probe: &LivenessProbe) -> CheckResult {
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
            let served = format!(
                "{write} and first read {} after healing",
                since_healing(first_read_ns)
            );
            match &probe.steady_leader {
                None => CheckResult::ok(format!("{served}, bound {bound}")),
                Some(steady) => {
                    // Held steady by the deadline, or it does not count.
                    let since = steady
                        .since_ns
                        .filter(|&since_ns| since_ns + steady.demanded_ns <= probe.deadline_ns)
                        .map(since_healing);
                    check_steady_leader(steady, since, &served, &bound, violation)
                }
            }
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

/// Whether one leader kept one term as long as demanded, after the probe was served.
fn check_steady_leader(
    steady: &SteadyLeader,
    since_healing: Option<String>,
    served: &str,
    bound: &str,
    violation: impl Fn(String, String) -> CheckResult,
) -> CheckResult {
    let demanded = duration(steady.demanded_ns);
    let changes = format!(
        "the highest term rose {} time{} while watched, to {}",
        steady.term_changes,
        if steady.term_changes == 1 { "" } else { "s" },
        steady.last_term
    );
    match since_healing {
        Some(since) => CheckResult::ok(format!(
            "{served}, then one leader kept term {} for {demanded} from {since} after healing, bound {bound}",
            steady.last_term
        )),
        None => violation(
            format!(
                "{served}, but no leader kept its term for {demanded} within {bound}: {changes}"
            ),
            format!("waiting for a leader to keep its term for {demanded}: {changes}"),
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
