//! `workload.start_ms` and `workload.rounds_per_client`: the knobs a shrunk reproducer
//! uses to keep only the operations its failure needs. Clients start no earlier than
//! `start_ms` and stop after their rounds, whatever their workload.

mod common;

use common::shipped;

/// The liveness probe is the client after the workload's, and is not capped.
fn workload_ops(history: &history::History, clients: u64) -> Vec<&history::Op> {
    history
        .ops
        .iter()
        .filter(|op| op.client <= clients)
        .collect()
}

#[test]
fn kv_clients_start_late_and_stop_after_their_rounds() {
    let mut scenario = shipped("smoke");
    scenario.workload.start_ms = 1_500;
    scenario.workload.rounds_per_client = Some(3);
    for seed in 0..5 {
        let history = sim::run_on_fresh_thread(&scenario, seed).history;
        let ops = workload_ops(&history, scenario.workload.clients);
        assert_eq!(
            ops.len() as u64,
            3 * scenario.workload.clients,
            "seed {seed}"
        );
        assert!(
            ops.iter().all(|op| op.call_ns >= 1_500_000_000),
            "seed {seed}"
        );
    }
}

#[test]
fn lock_and_lease_clients_obey_the_round_cap() {
    let mut uncapped = shipped("swarm");
    uncapped.swarm = None;
    let mut capped = uncapped.clone();
    capped.workload.rounds_per_client = Some(1);
    let seed = 3;
    let before = sim::run_on_fresh_thread(&uncapped, seed).history;
    let after = sim::run_on_fresh_thread(&capped, seed).history;
    // One lock round per lock client at most, and far fewer lease operations.
    let lock_clients = (1..=capped.workload.clients)
        .filter(|&id| capped.workload.kind_of(id) == scenario::WorkloadKind::Lock)
        .count();
    assert!(
        after.lock_holds.len() <= lock_clients,
        "{:?}",
        after.lock_holds
    );
    assert!(before.lock_holds.len() > 2 * lock_clients);
    let clients = capped.workload.clients;
    assert!(
        workload_ops(&after, clients).len() * 4 < workload_ops(&before, clients).len(),
        "{} ops capped, {} uncapped",
        workload_ops(&after, clients).len(),
        workload_ops(&before, clients).len()
    );
}
