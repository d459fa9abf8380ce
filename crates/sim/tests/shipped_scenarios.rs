//! Seed sweeps of the shipped scenarios: every seed must pass every check. A failure
//! prints the seed and the command that replays it.

use scenario::Scenario;
use std::path::Path;

/// Seeds per scenario in `cargo test`; `lockstep sweep` runs thousands. The scenarios of
/// newer fault kinds get more, as their safety is the least proven.
const SEEDS: u64 = 100;
const SEEDS_NEW_FAULTS: u64 = 200;

fn sweep(name: &str) {
    sweep_seeds(name, SEEDS);
}

fn sweep_seeds(name: &str, seeds: u64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(format!("{name}.toml"));
    let scenario = Scenario::load(&path).unwrap_or_else(|error| panic!("{error}"));
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                let scenario = &scenario;
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    let mut faults = 0;
                    for seed in (worker..seeds).step_by(2) {
                        let history = sim::run_on_fresh_thread(scenario, seed).history;
                        faults += history.faults.len();
                        let verdict = check::check_history(&history, &check::Budget::default());
                        if !verdict.is_ok() {
                            failures.push(format!(
                                "seed {seed}: {}\n  replay: cargo run --release -- run scenarios/{name}.toml --seed {seed}",
                                verdict.summary().trim_end()
                            ));
                        }
                    }
                    (failures, faults)
                })
            })
            .collect();
        let mut all = Vec::new();
        for worker in workers {
            let (failures, faults) = worker.join().expect("worker");
            assert!(
                name == "smoke" || faults > 0,
                "{name}: no faults were applied"
            );
            all.extend(failures);
        }
        all
    });
    assert!(
        failures.is_empty(),
        "{name}: {} failing seeds:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn smoke_seeds_pass() {
    sweep("smoke");
}

#[test]
fn partitions_seeds_pass() {
    sweep("partitions");
}

#[test]
fn crashes_seeds_pass() {
    sweep("crashes");
}

#[test]
fn freeze_seeds_pass() {
    sweep_seeds("freeze", SEEDS_NEW_FAULTS);
}

#[test]
fn crash_step_seeds_pass() {
    sweep_seeds("crash-steps", SEEDS_NEW_FAULTS);
}

#[test]
fn slow_disk_seeds_pass() {
    sweep_seeds("slow-disk", SEEDS_NEW_FAULTS);
}

#[test]
fn clock_skew_seeds_pass() {
    sweep_seeds("clock-skew", SEEDS_NEW_FAULTS);
}

#[test]
fn one_way_cut_seeds_pass() {
    sweep_seeds("one-way", SEEDS_NEW_FAULTS);
}

#[test]
fn bridge_seeds_pass() {
    sweep_seeds("bridge", SEEDS_NEW_FAULTS);
}

#[test]
fn pause_seeds_pass() {
    sweep_seeds("pauses", SEEDS_NEW_FAULTS);
}

#[test]
fn slow_network_seeds_pass() {
    sweep_seeds("slow-network", SEEDS_NEW_FAULTS);
}

#[test]
fn lossy_network_seeds_pass() {
    sweep_seeds("lossy-network", SEEDS_NEW_FAULTS);
}

#[test]
fn hold_seeds_pass() {
    sweep_seeds("hold", SEEDS_NEW_FAULTS);
}

#[test]
fn swizzle_seeds_pass() {
    sweep_seeds("swizzle", SEEDS_NEW_FAULTS);
}

#[test]
fn typed_message_fault_seeds_pass() {
    sweep_seeds("message-faults", SEEDS_NEW_FAULTS);
}

#[test]
fn membership_replacement_seeds_pass() {
    sweep_seeds("replace", SEEDS_NEW_FAULTS);
}

#[test]
fn lock_partition_seeds_pass() {
    sweep_seeds("lock-partition", SEEDS);
}

#[test]
fn lease_leader_change_seeds_pass() {
    sweep_seeds("lease-leader-change", SEEDS_NEW_FAULTS);
}

#[test]
fn lease_churn_seeds_pass() {
    sweep_seeds("lease-churn", SEEDS);
}

#[test]
fn lease_skew_seeds_pass() {
    sweep_seeds("lease-skew", SEEDS_NEW_FAULTS);
}

#[test]
fn election_seeds_pass() {
    sweep_seeds("election", SEEDS);
}

/// Each seed draws its own mix of every kind above; `lockstep sweep` runs thousands.
#[test]
fn swarm_seeds_pass() {
    sweep_seeds("swarm", SEEDS_NEW_FAULTS);
}

/// Passing seeds prove little unless the faults reached the code they are meant for: over
/// a handful of seeds, crashes must cost unsynced writes and lagging replicas must be
/// caught up by snapshot, and partitions must cut messages.
#[test]
fn faults_reach_the_paths_they_are_meant_to_exercise() {
    let load = |name: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scenarios")
            .join(format!("{name}.toml"));
        Scenario::load(&path).unwrap_or_else(|error| panic!("{error}"))
    };
    let crashes: Vec<sim::RunStats> = (0..8)
        .map(|seed| sim::run_on_fresh_thread(&load("crashes"), seed).stats)
        .collect();
    assert!(
        crashes.iter().any(|stats| stats.disk_writes_lost > 0),
        "no crash ever lost an unsynced write"
    );
    assert!(
        crashes
            .iter()
            .any(|stats| stats.network.snapshots_delivered > 0),
        "no replica was ever caught up by snapshot"
    );
    assert!(
        crashes.iter().all(|stats| stats.network.lost > 0),
        "crashes lost no messages"
    );
    let partitions: Vec<sim::RunStats> = (0..8)
        .map(|seed| sim::run_on_fresh_thread(&load("partitions"), seed).stats)
        .collect();
    assert!(
        partitions.iter().all(|stats| stats.network.cut > 0),
        "partitions cut no messages"
    );
}
