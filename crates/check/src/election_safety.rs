//! Raft's election safety, from the simulation's side: at most one leader per term.
//!
//! Every replica that becomes leader is recorded in the history with its term
//! ([`history::LeaderChange`]). Two different replicas leading the same term means votes
//! were cast twice in that term: a replica forgot its vote (a wiped or unsynced disk) or
//! counted a quorum wrongly. Clients may not notice at once, which is why it is checked
//! apart from linearizability.

use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::History;
use std::collections::BTreeMap;

/// Checks that no term had two leaders.
pub fn check_election_safety(history: &History) -> CheckReport {
    // Per term, each leader and when it took over first.
    let mut leaders: BTreeMap<u64, BTreeMap<u64, u64>> = BTreeMap::new();
    for change in &history.leaders {
        let at_ns = leaders
            .entry(change.term)
            .or_default()
            .entry(change.node)
            .or_insert(change.at_ns);
        *at_ns = (*at_ns).min(change.at_ns);
    }
    let twice = leaders.iter().find(|(_, nodes)| nodes.len() > 1);
    let result = match twice {
        None => CheckResult::ok(format!("{} terms with a leader, one each", leaders.len())),
        Some((&term, nodes)) => {
            let elected: Vec<(u64, u64)> = nodes.iter().map(|(&node, &at)| (node, at)).collect();
            let who = elected
                .iter()
                .map(|(node, at_ns)| format!("node {node} at {:.3} s", *at_ns as f64 / 1e9))
                .collect::<Vec<_>>()
                .join(" and ");
            CheckResult::Violation {
                summary: format!("term {term} had {} leaders: {who}", elected.len()),
                evidence: Evidence::ElectionSafety { term, elected },
            }
        }
    };
    CheckReport {
        check: "one-leader-per-term".to_string(),
        kind: CheckKind::Safety,
        result,
    }
}
