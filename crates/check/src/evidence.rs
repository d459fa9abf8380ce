//! Turning a search's outcome into a report a person can read: shared by the check of
//! lockstep's own KV histories and the check of any partitioned history.

use crate::model::{Model, Operation};
use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence, LinearizabilityViolation};

/// The `linearizable` check's report with `result`.
pub(crate) fn linearizability_report(result: CheckResult) -> CheckReport {
    CheckReport {
        check: "linearizable".to_string(),
        kind: CheckKind::Safety,
        result,
    }
}

/// The report of a partition found not linearizable: the furthest prefix the search
/// placed, the operations that could not go next, and the state after the prefix.
/// `(kind, key)` name the partition (`key "k1"`, `partition "register"`);
/// `specification` says what the order must respect (e.g. "etcd's semantics").
pub(crate) fn violation_report<M: Model>(
    model: &M,
    (kind, key): (&str, &str),
    specification: &str,
    operations: &[Operation<M::Input, M::Output>],
    prefix: &[u64],
    stuck: &[u64],
    state: &M::State,
) -> CheckReport {
    let model_state = model.describe_state(state);
    let offending = stuck
        .iter()
        .filter_map(|id| operations.iter().find(|operation| operation.id == *id))
        .map(|operation| {
            format!(
                "op {} ({})",
                operation.id,
                model.describe_operation(&operation.input, &operation.output)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let explanation = format!(
        "no order of its {} respects both real time and {specification}. The furthest the \
         search got is {} (placing every op that returned before the first of those due \
         next), after which the state is: {model_state}; none of the ops due next fits: {offending}",
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
