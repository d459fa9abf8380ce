//! Turning a search's outcome into a report a person can read: shared by the check of
//! lockstep's own KV histories and the check of any partitioned history.

use crate::model::{ImpliedOrder, Model, Operation};
use crate::verdict::{
    Budget, CheckKind, CheckReport, CheckResult, Evidence, LinearizabilityViolation,
};
use crate::wgl::Limit;
use std::collections::{BTreeMap, BTreeSet};

/// The `linearizable` check's report with `result`.
pub(crate) fn linearizability_report(result: CheckResult) -> CheckReport {
    CheckReport {
        check: "linearizable".to_string(),
        kind: CheckKind::Safety,
        result,
    }
}

/// The report of a partition found not linearizable: the furthest prefix the search
/// placed, the operations that could not go next, and the state after the prefix
/// (`(prefix, stuck, state)`, as the search found them).
/// `(kind, key)` name the partition (`key "k1"`, `partition "register"`);
/// `specification` says what the order must respect (e.g. "etcd's semantics"). `added`:
/// the operations no client called, which the check derived from other records (a lease's
/// end), by id, with what each stands for; they are described by that, and named apart,
/// so no one looks for them among the client's calls.
pub(crate) fn violation_report<M: Model>(
    model: &M,
    (kind, key): (&str, &str),
    specification: &str,
    operations: &[Operation<M::Input, M::Output>],
    added: &BTreeMap<u64, String>,
    (prefix, stuck, state): (&[u64], &[u64], &M::State),
) -> CheckReport {
    let model_state = model.describe_state(state);
    let describe = |operation: &Operation<M::Input, M::Output>| match added.get(&operation.id) {
        Some(stands_for) => format!("op {} ({stands_for})", operation.id),
        None => format!(
            "op {} ({})",
            operation.id,
            model.describe_operation(&operation.input, &operation.output)
        ),
    };
    let implied_order = model.implied_order(operations);
    // "op 3 (...), as op 9 (...) shows" or "op 3 (...), as its own output shows".
    let shown_by = |implied: &ImpliedOrder| {
        let witness = if implied.shown_by == implied.after {
            "its own output".to_string()
        } else if implied.shown_by == implied.before {
            "that one's output".to_string()
        } else {
            describe(&operations[implied.shown_by])
        };
        format!(
            "{}, as {witness} shows",
            describe(&operations[implied.before])
        )
    };
    let offending = stuck
        .iter()
        .filter_map(|id| operations.iter().position(|operation| operation.id == *id))
        .map(|index| {
            let operation = &operations[index];
            if model
                .step(state, &operation.input, &operation.output)
                .is_none()
            {
                return describe(operation);
            }
            // The model would take it, so it waits for an operation that the values
            // read show must come first (see `Model::implied_order`).
            let waits_for = implied_order
                .iter()
                .find(|implied| {
                    implied.after == index
                        && operations[implied.before].return_ns.is_some()
                        && !prefix.contains(&operations[implied.before].id)
                })
                .map_or("an operation not placed yet".to_string(), |implied| {
                    shown_by(implied)
                });
            format!("{}, which must follow {waits_for}", describe(operation))
        })
        .collect::<Vec<_>>()
        .join("; ");
    // An order the values read imply, against real time: the plainest evidence there is.
    let contradiction = implied_order.iter().find(|implied| {
        operations[implied.before].return_ns.is_some()
            && operations[implied.after]
                .return_ns
                .is_some_and(|return_ns| return_ns < operations[implied.before].call_ns)
    });
    let plainly = contradiction.map_or(String::new(), |implied| {
        format!(
            " The values read alone rule it out: {} must come after {}; but it returned \
             before that was called.",
            describe(&operations[implied.after]),
            shown_by(implied)
        )
    });
    let not_called: Vec<String> = operations
        .iter()
        .filter(|operation| added.contains_key(&operation.id))
        .map(describe)
        .collect();
    let not_called = if not_called.is_empty() {
        String::new()
    } else {
        format!(" No client called {}.", not_called.join(", "))
    };
    let explanation = format!(
        "no order of its {} respects both real time and {specification}.{not_called}{plainly} \
         The furthest the search got is {} (placing every op that returned before the first \
         of those due next), after which the state is: {model_state}; none of the ops due \
         next fits: {offending}",
        count(operations.len(), "op"),
        count(prefix.len(), "op")
    );
    linearizability_report(CheckResult::Violation {
        summary: format!("on {kind} {key:?}: {explanation}"),
        evidence: Evidence::Linearizability(LinearizabilityViolation {
            key: key.to_string(),
            linearized_prefix: prefix.to_vec(),
            stuck_ops: stuck.to_vec(),
            model_state,
            explanation,
        }),
    })
}

/// "1 op", "2 ops".
pub(crate) fn count(number: usize, noun: &str) -> String {
    if number == 1 {
        format!("1 {noun}")
    } else {
        format!("{number} {noun}s")
    }
}

/// A moment or span of simulated time in seconds, to the millisecond: `4.250 s`.
pub(crate) fn seconds(ns: u64) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}

/// What the searches of a check explored before it ran out of budget.
#[derive(Default)]
pub(crate) struct Explored {
    /// Which limits the undecided searches ran out of.
    pub limits: BTreeSet<Limit>,
    /// Steps taken by all searches.
    pub steps: u64,
    /// Configurations recorded by all searches' memos.
    pub memo_entries: u64,
    /// The most memory the memos held at once, estimated.
    pub memo_peak_bytes: u64,
}

/// Why a check is undecided: which limits ran out, what was explored, and which partitions
/// (`noun`s: keys, partitions) are decided, e.g. `the time limit of 2s ran out after
/// 41,233,000 search steps and 1.2 GiB of memo tables (9,815,112 entries); 4 of 5 keys
/// linearizable, key "0" undecided`. `steps_limit` names the step budget (`the budget of
/// 5 search steps`).
pub(crate) fn undecided_why(
    budget: &Budget,
    steps_limit: &str,
    explored: &Explored,
    (noun, total): (&str, usize),
    undecided: &[&str],
) -> String {
    let limits: Vec<String> = explored
        .limits
        .iter()
        .map(|limit| match limit {
            Limit::Steps => steps_limit.to_string(),
            Limit::Time => format!(
                "the time limit of {:?}",
                budget.time_limit.unwrap_or_default()
            ),
            Limit::Memory => format!(
                "the memory limit of {}",
                format_bytes(budget.max_memory_bytes)
            ),
        })
        .collect();
    let undecided_names = undecided
        .iter()
        .map(|name| format!("{name:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{} ran out after {} search steps and {} of memo tables ({} entries); \
         {} of {} linearizable, {} {undecided_names} undecided",
        if limits.is_empty() {
            "the budget".to_string()
        } else {
            limits.join(" and ")
        },
        thousands(explored.steps),
        format_bytes(explored.memo_peak_bytes),
        thousands(explored.memo_entries),
        total - undecided.len(),
        count(total, noun),
        if undecided.len() == 1 {
            noun.to_string()
        } else {
            format!("{noun}s")
        },
    )
}

/// `1234567` as `1,234,567`.
fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut grouped = String::new();
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A number of bytes in binary units: `512 B`, `8.0 MiB`, `2.0 GiB`.
fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(41_233_000), "41,233,000");
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(8 << 20), "8.0 MiB");
        assert_eq!(format_bytes(3 << 29), "1.5 GiB");
    }

    #[test]
    fn an_undecided_why_names_the_limits_and_what_was_explored() {
        let budget = Budget {
            time_limit: Some(std::time::Duration::from_secs(2)),
            ..Budget::default()
        };
        let explored = Explored {
            limits: BTreeSet::from([Limit::Time, Limit::Memory]),
            steps: 41_233_000,
            memo_entries: 1_000,
            memo_peak_bytes: 3 << 29,
        };
        assert_eq!(
            undecided_why(&budget, "unused", &explored, ("key", 5), &["0"]),
            "the time limit of 2s and the memory limit of 2.0 GiB ran out after 41,233,000 \
             search steps and 1.5 GiB of memo tables (1,000 entries); 4 of 5 keys \
             linearizable, key \"0\" undecided"
        );
    }
}
