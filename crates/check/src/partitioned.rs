//! The linearizability check of a history made of independent objects (partitions: the
//! keys of a KV store, or a single register), for any [`Model`].
//!
//! By Herlihy & Wing's locality a history is linearizable if and only if each object's
//! sub-history is, so the objects are searched on their own, in parallel, and the check
//! stops at the first one found not linearizable: a single object can be very hard to
//! search on its own while another is quickly found wrong, as Porcupine observed.

use crate::evidence::{count, linearizability_report, undecided_why, violation_report, Explored};
use crate::import::jepsen_log::RegisterOperation;
use crate::model::{Model, Operation};
use crate::models::kv_append::{KvAppendModel, KvAppendOperation};
use crate::models::mutex::{MutexInput, MutexModel, MutexOutput};
use crate::models::register::RegisterModel;
use crate::verdict::{Budget, CheckReport, CheckResult};
use crate::wgl::{search_within, Limits, MemoryPool, SearchOutcome};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// One operation of a history checked against the model `M`.
pub type ModelOperation<M> = Operation<<M as Model>::Input, <M as Model>::Output>;

/// A history split into independent objects: each object's operations by its name (a
/// key, or "register"), which evidence uses.
pub type Partitions<M> = BTreeMap<String, Vec<ModelOperation<M>>>;

/// At most this many objects are searched at once.
const MAX_THREADS: usize = 64;

/// Checks a one-register history (e.g. imported with
/// [`crate::import::jepsen_log::parse_jepsen_register_log`]); evidence names the
/// partition "register".
pub fn check_register_history(operations: &[RegisterOperation], budget: &Budget) -> CheckReport {
    let partitions = BTreeMap::from([("register".to_string(), operations.to_vec())]);
    check_partitions(&RegisterModel, &partitions, budget)
}

/// Checks a key-value history, one partition per key as
/// [`crate::models::kv_append::partition_by_key`] makes them; evidence names the key.
pub fn check_kv_append_history(
    partitions: &BTreeMap<String, Vec<KvAppendOperation>>,
    budget: &Budget,
) -> CheckReport {
    check_partitions(&KvAppendModel, partitions, budget)
}

/// Checks the history of one mutex; evidence names the partition "mutex".
pub fn check_mutex_history(
    operations: &[Operation<MutexInput, MutexOutput>],
    budget: &Budget,
) -> CheckReport {
    let partitions = BTreeMap::from([("mutex".to_string(), operations.to_vec())]);
    check_partitions(&MutexModel, &partitions, budget)
}

/// Checks that every partition's operations are linearizable under `model`, each partition
/// within an equal share of `budget.max_steps`, partitions in parallel; they share the
/// deadline (`budget.time_limit` from now) and `budget.max_memory_bytes`. When some are
/// not, the one with the first name among those found is reported (the others are
/// abandoned as soon as one is found).
pub fn check_partitions<M>(model: &M, partitions: &Partitions<M>, budget: &Budget) -> CheckReport
where
    M: Model + Sync,
    M::Input: Sync,
    M::Output: Sync,
    M::State: Send + 'static,
{
    let partitions: Vec<(&String, &Vec<ModelOperation<M>>)> = partitions.iter().collect();
    let share = (budget.max_steps / partitions.len().max(1) as u64).max(1);
    let next_partition = AtomicUsize::new(0);
    let violation_found = AtomicBool::new(false);
    let limits = Limits {
        max_steps: share,
        deadline: budget.time_limit.map(|limit| Instant::now() + limit),
        memory: &MemoryPool::new(budget.max_memory_bytes),
        cancelled: &violation_found,
    };
    let outcomes = Mutex::new(Vec::new());
    let threads = partitions.len().min(MAX_THREADS);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let index = next_partition.fetch_add(1, Ordering::Relaxed);
                let Some(&(name, operations)) = partitions.get(index) else {
                    break;
                };
                if violation_found.load(Ordering::Relaxed) {
                    break;
                }
                let search = search_within(model, operations, &limits);
                if matches!(search.outcome, SearchOutcome::NotLinearizable { .. }) {
                    violation_found.store(true, Ordering::Relaxed);
                }
                outcomes
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push((name, search));
            });
        }
    });
    let mut outcomes = outcomes
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    outcomes.sort_by_key(|(name, _)| *name);

    for (name, search) in &outcomes {
        if let SearchOutcome::NotLinearizable {
            prefix,
            stuck,
            state,
        } = &search.outcome
        {
            let operations = &partitions
                .iter()
                .find(|(partition, _)| partition == name)
                .expect("an outcome is of a partition")
                .1;
            return violation_report(
                model,
                ("partition", name),
                "the model",
                operations,
                &BTreeMap::new(),
                (prefix, stuck, state),
            );
        }
    }
    let undecided: Vec<&str> = outcomes
        .iter()
        .filter(|(_, search)| !matches!(search.outcome, SearchOutcome::Linearizable { .. }))
        .map(|(name, _)| name.as_str())
        .collect();
    let result = if undecided.is_empty() {
        let operations: usize = partitions
            .iter()
            .map(|(_, operations)| operations.len())
            .sum();
        CheckResult::Ok {
            summary: format!(
                "{}, {}",
                count(operations, "op"),
                count(partitions.len(), "partition")
            ),
            linearization: outcomes
                .into_iter()
                .filter_map(|(name, search)| match search.outcome {
                    SearchOutcome::Linearizable { order } => Some((name.clone(), order)),
                    _ => None,
                })
                .collect(),
        }
    } else {
        let explored = Explored {
            limits: outcomes
                .iter()
                .filter_map(|(_, search)| match search.outcome {
                    SearchOutcome::OutOfBudget { limit } => Some(limit),
                    _ => None,
                })
                .collect(),
            steps: outcomes.iter().map(|(_, search)| search.steps).sum(),
            memo_entries: outcomes.iter().map(|(_, search)| search.memo_entries).sum(),
            memo_peak_bytes: limits.memory.peak_bytes(),
        };
        CheckResult::Undecided {
            why: undecided_why(
                budget,
                &format!("the budget of {share} search steps per partition"),
                &explored,
                ("partition", partitions.len()),
                &undecided,
            ),
        }
    };
    linearizability_report(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::edn_kv::parse_edn_kv_history;
    use crate::import::jepsen_log::parse_jepsen_register_log;
    use crate::models::kv_append::partition_by_key;
    use crate::verdict::Evidence;

    #[test]
    fn evidence_names_the_register_and_the_read_that_cannot_fit() {
        let log = "INFO  jepsen.util - 0\t:invoke\t:write\t1\n\
                   INFO  jepsen.util - 0\t:ok\t:write\t1\n\
                   INFO  jepsen.util - 1\t:invoke\t:read\tnil\n\
                   INFO  jepsen.util - 1\t:ok\t:read\t2\n";
        let operations = parse_jepsen_register_log(log).unwrap();
        let report = check_register_history(&operations, &Budget::default());
        let CheckResult::Violation {
            evidence: Evidence::Linearizability(violation),
            ..
        } = report.result
        else {
            panic!("expected a violation, got {report:?}");
        };
        assert_eq!(violation.key, "register");
        assert_eq!(violation.linearized_prefix, vec![0]);
        assert_eq!(violation.stuck_ops, vec![1]);
        assert_eq!(violation.model_state, "register = 1");
    }

    #[test]
    fn a_kv_history_is_checked_key_by_key() {
        let text = "{:process 0, :type :invoke, :f :put, :key \"a\", :value \"x\"}\n\
                    {:process 0, :type :ok, :f :put, :key \"a\", :value \"x\"}\n\
                    {:process 1, :type :invoke, :f :get, :key \"b\", :value nil}\n\
                    {:process 1, :type :ok, :f :get, :key \"b\", :value \"x\"}\n\
                    {:process 2, :type :invoke, :f :get, :key \"a\", :value nil}\n\
                    {:process 2, :type :ok, :f :get, :key \"a\", :value \"x\"}\n";
        let partitions = partition_by_key(parse_edn_kv_history(text).unwrap());
        let report = check_kv_append_history(&partitions, &Budget::default());
        let CheckResult::Violation {
            evidence: Evidence::Linearizability(violation),
            ..
        } = report.result
        else {
            panic!("expected a violation, got {report:?}");
        };
        assert_eq!(violation.key, "b");
        assert_eq!(violation.stuck_ops, vec![1]);
        let key_a = BTreeMap::from([("a".to_string(), partitions["a"].clone())]);
        assert_eq!(
            check_kv_append_history(&key_a, &Budget::default()).result,
            CheckResult::Ok {
                summary: "2 ops, 1 partition".to_string(),
                linearization: BTreeMap::from([("a".to_string(), vec![0, 2])]),
            }
        );
    }
}
