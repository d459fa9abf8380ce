//! The linearizability check of a KV history: every key's operations, checked on their
//! own against the etcd model ([`KvModel`]) with the WGL search ([`crate::wgl`]).

use crate::kv_model::{key_histories, KeyHistory, KeyState, KvModel};
use crate::model::Model;
use crate::verdict::{
    Budget, CheckKind, CheckReport, CheckResult, Evidence, LinearizabilityViolation,
};
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
    report(result)
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
        } => Err(Box::new(violation(key, operations, prefix, stuck, &state))),
        SearchOutcome::OutOfBudget => Ok(false),
    }
}

fn report(result: CheckResult) -> CheckReport {
    CheckReport {
        check: "linearizable".to_string(),
        kind: CheckKind::Safety,
        result,
    }
}

fn violation(
    key: &str,
    operations: &KeyHistory,
    prefix: Vec<u64>,
    stuck: Vec<u64>,
    state: &KeyState,
) -> CheckReport {
    let model_state = KvModel.describe_state(state);
    let offending = stuck
        .iter()
        .filter_map(|id| operations.iter().find(|operation| operation.id == *id))
        .map(|operation| {
            format!(
                "op {} ({})",
                operation.id,
                KvModel.describe_operation(&operation.input, &operation.output)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let explanation = format!(
        "no order of its {} respects both real time and etcd's semantics. The furthest the \
         search got is {} (placing every op that returned before the first of those due \
         next), after which the key is {model_state}, and none of the ops due next fits: \
         {offending}",
        count(operations.len(), "op"),
        count(prefix.len(), "op")
    );
    report(CheckResult::Violation {
        summary: format!("on key {key:?}: {explanation}"),
        evidence: Evidence::Linearizability(LinearizabilityViolation {
            key: key.to_string(),
            linearized_prefix: prefix,
            stuck_ops: stuck,
            model_state,
            explanation,
        }),
    })
}

/// "1 op", "2 ops".
fn count(number: usize, noun: &str) -> String {
    if number == 1 {
        format!("1 {noun}")
    } else {
        format!("{number} {noun}s")
    }
}
