//! The linearizability check of a KV history: every key's operations, with the deletions
//! lease ends made ([`add_lease_end_deletions`]), checked on their own against the etcd
//! model ([`KvModel`]) with the WGL search ([`crate::wgl`]).

use crate::evidence::{count, linearizability_report, undecided_why, violation_report, Explored};
use crate::lease_end_deletions::add_lease_end_deletions;
use crate::models::etcd_kv::{key_histories, KeyHistory, KvModel};
use crate::verdict::{Budget, CheckReport, CheckResult};
use crate::wgl::{search_within, Limit, Limits, MemoryPool, SearchOutcome};
use history::History;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Checks that the history's KV operations are linearizable, key by key, within the
/// budget: `budget.max_steps` search steps, `budget.time_limit` and `budget.max_memory_bytes`
/// of memo tables in all. The keys lease ends deleted are deleted in the checked history
/// too, by operations with ids above the recorded ones ([`add_lease_end_deletions`]).
///
/// Keys are first searched in turn with an equal share of what is left of the steps, so
/// one hard key cannot starve the others; keys that ran out are then searched again, in
/// turn, with all that remains. The first key found not linearizable is reported.
pub fn check_linearizable(history: &History, budget: &Budget) -> CheckReport {
    let mut keys = key_histories(history);
    let lease_end_deletions = add_lease_end_deletions(history, &mut keys);
    let limits = Limits {
        max_steps: budget.max_steps,
        deadline: budget.time_limit.map(|limit| Instant::now() + limit),
        memory: &MemoryPool::new(budget.max_memory_bytes),
        cancelled: &AtomicBool::new(false),
    };
    let mut explored = Explored::default();
    let mut linearization = BTreeMap::new();
    let searched = search_keys(
        &keys,
        &lease_end_deletions,
        &limits,
        &mut explored,
        &mut linearization,
    );
    let undecided = match searched {
        Ok(undecided) => undecided,
        Err(violation) => return *violation,
    };
    let result = if undecided.is_empty() {
        let operations = keys.values().map(Vec::len).sum::<usize>() - lease_end_deletions.len();
        let unanswered = keys
            .values()
            .flatten()
            .filter(|operation| operation.return_ns.is_none())
            .count();
        let mut summary = format!("{}, {}", count(operations, "op"), count(keys.len(), "key"));
        if !lease_end_deletions.is_empty() {
            summary.push_str(&format!(
                ", {}",
                count(lease_end_deletions.len(), "lease-end deletion")
            ));
        }
        if unanswered > 0 {
            summary.push_str(&format!(", {unanswered} without answer"));
        }
        CheckResult::Ok {
            summary,
            linearization,
        }
    } else {
        explored.memo_peak_bytes = limits.memory.peak_bytes();
        CheckResult::Undecided {
            why: undecided_why(
                budget,
                &format!("the budget of {} search steps", budget.max_steps),
                &explored,
                ("key", keys.len()),
                &undecided,
            ),
        }
    };
    linearizability_report(result)
}

/// Searches every key's operations, adding what was explored to `explored` and the order
/// found for each linearizable key to `linearization`; the keys the budget did not suffice
/// for, or the report of the first key found not linearizable. `added`: what the
/// operations no client called stand for, by id, for the report.
fn search_keys<'k>(
    keys: &'k BTreeMap<String, KeyHistory>,
    added: &BTreeMap<u64, String>,
    limits: &Limits<'_>,
    explored: &mut Explored,
    linearization: &mut BTreeMap<String, Vec<u64>>,
) -> Result<Vec<&'k str>, Box<CheckReport>> {
    let mut steps_left = limits.max_steps;
    let mut out_of_share = Vec::new();
    for (position, (key, operations)) in keys.iter().enumerate() {
        let share = steps_left / (keys.len() - position) as u64;
        let searched = search_key(
            (key, operations),
            added,
            share,
            limits,
            &mut steps_left,
            explored,
        )?;
        match searched {
            Searched::Linearizable(order) => {
                linearization.insert(key.clone(), order);
            }
            Searched::OutOf(_) => out_of_share.push((key, operations)),
        }
    }
    let mut undecided = Vec::new();
    for (key, operations) in out_of_share {
        let max_steps = steps_left;
        match search_key(
            (key, operations),
            added,
            max_steps,
            limits,
            &mut steps_left,
            explored,
        )? {
            Searched::Linearizable(order) => {
                linearization.insert(key.clone(), order);
            }
            Searched::OutOf(limit) => {
                explored.limits.insert(limit);
                undecided.push(key.as_str());
            }
        }
    }
    Ok(undecided)
}

/// How the search of a key that is not found not linearizable ended.
enum Searched {
    /// With this order of its operations' ids.
    Linearizable(Vec<u64>),
    /// Undecided: this limit ran out.
    OutOf(Limit),
}

/// Searches one key's operations with at most `max_steps` steps, taking them from
/// `steps_left`, and adding what it explored to `explored`: the order found, the limit
/// that ran out if undecided, or the violation report, which describes the operations in
/// `added` by what they stand for.
fn search_key(
    (key, operations): (&str, &KeyHistory),
    added: &BTreeMap<u64, String>,
    max_steps: u64,
    limits: &Limits<'_>,
    steps_left: &mut u64,
    explored: &mut Explored,
) -> Result<Searched, Box<CheckReport>> {
    let search = search_within(
        &KvModel,
        operations,
        &Limits {
            max_steps,
            ..*limits
        },
    );
    *steps_left -= search.steps;
    explored.steps += search.steps;
    explored.memo_entries += search.memo_entries;
    match search.outcome {
        SearchOutcome::Linearizable { order } => Ok(Searched::Linearizable(order)),
        SearchOutcome::NotLinearizable {
            prefix,
            stuck,
            state,
        } => Err(Box::new(violation_report(
            &KvModel,
            ("key", key),
            "etcd's semantics",
            operations,
            added,
            (&prefix, &stuck, &state),
        ))),
        SearchOutcome::OutOfBudget { limit } => Ok(Searched::OutOf(limit)),
        SearchOutcome::Cancelled => unreachable!("nothing cancels the search of a key"),
    }
}
