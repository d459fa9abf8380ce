//! The linearizability check of a KV history: every key's operations, checked on their
//! own against the etcd model ([`KvModel`]) with the WGL search ([`crate::wgl`]).

use crate::evidence::{count, linearizability_report, violation_report};
use crate::models::etcd_kv::{key_histories, KeyHistory, KvModel};
use crate::verdict::{Budget, CheckReport, CheckResult};
use crate::wgl::{search, SearchOutcome};
use history::History;
use std::collections::BTreeMap;

/// Checks that the history's KV operations are linearizable, key by key, within
/// `budget.max_steps` search steps in all.
///
/// Keys are first searched in turn with an equal share of what is left of the budget, so
/// one hard key cannot starve the others; keys that ran out are then searched again, in
/// turn, with all that remains. The first key found not linearizable is reported.
pub fn check_linearizable(history: &History, budget: &Budget) -> CheckReport {
    let keys = key_histories(history);
    let undecided = match search_keys(&keys, budget.max_steps) {
        Ok(undecided) => undecided,
        Err(violation) => return *violation,
    };
    let result = if undecided.is_empty() {
        let operations: usize = keys.values().map(Vec::len).sum();
        let unanswered = keys
            .values()
            .flatten()
            .filter(|operation| operation.return_ns.is_none())
            .count();
        let mut summary = format!("{}, {}", count(operations, "op"), count(keys.len(), "key"));
        if unanswered > 0 {
            summary.push_str(&format!(", {unanswered} without answer"));
        }
        CheckResult::Ok { summary }
    } else {
        CheckResult::Undecided {
            why: format!(
                "the budget of {} search steps ran out on {} of {} ({}) without finding a violation",
                budget.max_steps,
                undecided.len(),
                count(keys.len(), "key"),
                undecided
                    .iter()
                    .map(|key| format!("{key:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    linearizability_report(result)
}

/// Searches every key's operations; the keys the budget did not suffice for, or the report
/// of the first key found not linearizable.
fn search_keys(
    keys: &BTreeMap<String, KeyHistory>,
    max_steps: u64,
) -> Result<Vec<&str>, Box<CheckReport>> {
    let mut steps_left = max_steps;
    let mut out_of_share = Vec::new();
    for (position, (key, operations)) in keys.iter().enumerate() {
        let share = steps_left / (keys.len() - position) as u64;
        if !search_key(key, operations, share, &mut steps_left)? {
            out_of_share.push((key, operations));
        }
    }
    let mut undecided = Vec::new();
    for (key, operations) in out_of_share {
        if !search_key(key, operations, steps_left, &mut steps_left)? {
            undecided.push(key.as_str());
        }
    }
    Ok(undecided)
}

/// Searches one key's operations with at most `max_steps` steps, taking them from
/// `steps_left`: whether it is linearizable (`false`: undecided), or the violation report.
fn search_key(
    key: &str,
    operations: &KeyHistory,
    max_steps: u64,
    steps_left: &mut u64,
) -> Result<bool, Box<CheckReport>> {
    let search = search(&KvModel, operations, max_steps);
    *steps_left -= search.steps;
    match search.outcome {
        SearchOutcome::Linearizable { .. } => Ok(true),
        SearchOutcome::NotLinearizable {
            prefix,
            stuck,
            state,
        } => Err(Box::new(violation_report(
            &KvModel,
            ("key", key),
            "etcd's semantics",
            operations,
            &prefix,
            &stuck,
            &state,
        ))),
        SearchOutcome::OutOfBudget => Ok(false),
    }
}
