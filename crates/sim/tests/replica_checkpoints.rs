//! The replica-agreement check is not vacuous: real runs of the shipped scenarios record
//! checkpoints of several replicas at the same applied indexes, including replicas that
//! restarted or caught up by snapshot, and they agree.

use check::{check_replica_agreement, CheckResult};
use history::History;
use scenario::Scenario;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn run(name: &str, seed: u64) -> History {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(format!("{name}.toml"));
    let scenario = Scenario::load(&path).unwrap_or_else(|error| panic!("{error}"));
    sim::run_on_fresh_thread(&scenario, seed).history
}

/// Per applied index, the replicas that checkpointed it.
fn nodes_by_index(history: &History) -> BTreeMap<u64, BTreeSet<u64>> {
    let mut nodes: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for checkpoint in &history.replicas {
        nodes
            .entry(checkpoint.applied_index)
            .or_default()
            .insert(checkpoint.node);
    }
    nodes
}

#[test]
fn shipped_scenarios_checkpoint_several_replicas_at_the_same_indexes() {
    for name in [
        "smoke",
        "partitions",
        "crashes",
        "one-way",
        "bridge",
        "pauses",
    ] {
        for seed in [0, 1] {
            let history = run(name, seed);
            let shared = nodes_by_index(&history)
                .into_values()
                .filter(|nodes| nodes.len() >= 3)
                .count();
            assert!(
                shared >= 3,
                "{name} seed {seed}: only {shared} applied indexes checkpointed by 3 or more \
                 replicas"
            );
            let report = check_replica_agreement(&history);
            assert!(
                matches!(&report.result, CheckResult::Ok { summary, .. } if summary.ends_with("all agree")),
                "{name} seed {seed}: {report:?}"
            );
        }
    }
}

/// A replica that installed a snapshot skips the checkpoints below it and must continue
/// the log digest chain from the snapshot's: its later checkpoints are compared with the
/// others' like any.
#[test]
fn a_replica_that_caught_up_by_snapshot_continues_the_same_chain() {
    let caught_up = (0..8).find_map(|seed| {
        let history = run("partitions", seed);
        let by_index = nodes_by_index(&history);
        let all: BTreeSet<u64> = by_index.values().flatten().copied().collect();
        // A node missing at some index but present at a later one that others share.
        let skipped = by_index.iter().find_map(|(&index, nodes)| {
            all.difference(nodes).find(|node| {
                by_index
                    .range(index + 1..)
                    .any(|(_, later)| later.contains(node) && later.len() >= 2)
            })
        })?;
        Some((seed, *skipped, history))
    });
    let (seed, node, history) = caught_up.expect("some seed catches a replica up by snapshot");
    let report = check_replica_agreement(&history);
    assert!(
        matches!(report.result, CheckResult::Ok { .. }),
        "seed {seed}, node {node}: {report:?}"
    );
}
