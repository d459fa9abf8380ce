//! One seed, one run: the same seed always gives a byte-identical history; different
//! seeds give different runs. (Two separate processes are compared in the cli crate's
//! tests, which run the `lockstep` binary twice.)

mod common;

use common::shipped;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// The name of every scenario under `scenarios/` (not its subfolders): each fault kind has
/// one, so a new kind is covered as soon as its scenario is shipped.
fn every_shipped_scenario() -> Vec<String> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .expect("the scenarios folder")
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_same_seed_twice_in_one_process_gives_byte_identical_histories() {
    let names = every_shipped_scenario();
    assert!(names.len() >= 17, "{names:?}");
    for name in &names {
        let scenario = shipped(name);
        for seed in [0, 17] {
            let first = sim::run_on_fresh_thread(&scenario, seed).history.to_json();
            let second = sim::run_on_fresh_thread(&scenario, seed).history.to_json();
            assert!(first == second, "{name} seed {seed}: the two runs differ");
            assert!(
                first.len() > 10_000,
                "{name} seed {seed}: suspiciously small history"
            );
        }
    }
}

/// madsim's own check: it records every random draw (and when it happened) in one run and
/// verifies the second run makes the very same draws at the very same simulated times.
/// Crashes at a step and clock changes wake processes from outside their own timers.
#[test]
fn madsim_check_determinism_passes_on_faulty_scenarios() {
    async fn simulate_shipped(name: &'static str) -> sim::RunOutput {
        let seed = madsim::runtime::Handle::current().seed();
        sim::simulate(Arc::new(shipped(name)), seed).await
    }
    let check = |run: fn() -> _| {
        madsim::runtime::Runtime::check_determinism(11, madsim::Config::default(), run)
    };
    let outputs = [
        check(|| simulate_shipped("crashes")),
        check(|| simulate_shipped("crash-steps")),
        check(|| simulate_shipped("clock-skew")),
    ];
    for output in outputs {
        assert!(
            !output.history.faults.is_empty(),
            "{}: the scenario applied no faults",
            output.history.scenario
        );
    }
}

#[test]
fn different_seeds_give_different_histories_and_different_leaders() {
    let scenario = shipped("partitions");
    let runs: Vec<_> = (0..8)
        .map(|seed| sim::run_on_fresh_thread(&scenario, seed).history)
        .collect();
    let distinct_histories: BTreeSet<String> =
        runs.iter().map(|history| history.to_json()).collect();
    assert_eq!(
        distinct_histories.len(),
        runs.len(),
        "some seeds gave identical histories"
    );
    let first_leaders: BTreeSet<u64> = runs.iter().map(|history| history.leaders[0].node).collect();
    assert!(
        first_leaders.len() >= 3,
        "first leaders over 8 seeds: {first_leaders:?}"
    );
    let leader_sequences: BTreeSet<Vec<(u64, u64)>> = runs
        .iter()
        .map(|history| {
            history
                .leaders
                .iter()
                .map(|change| (change.node, change.term))
                .collect()
        })
        .collect();
    assert_eq!(
        leader_sequences.len(),
        runs.len(),
        "some seeds elected the same leaders in the same terms"
    );
}
