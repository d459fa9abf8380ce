//! Swarm mode: each seed draws its own mix of faults, pinned knobs are obeyed, and the
//! schedule a seed drew, written back as a scripted scenario, replays the same run.

mod common;

use scenario::{FaultAction, Scenario};
use std::collections::BTreeSet;

fn swarm() -> Scenario {
    common::shipped("swarm")
}

#[test]
fn the_written_back_schedule_replays_the_run_byte_for_byte() {
    let scenario = swarm();
    for seed in [0, 7, 31] {
        let written = sim::concrete_scenario(&scenario, seed).to_toml(Some(seed));
        assert!(!written.contains("[swarm]"), "{written}");
        let scripted = Scenario::parse(&written, "written-back.toml", "swarm").unwrap();
        assert!(scripted.swarm.is_none());
        let from_swarm = sim::run_on_fresh_thread(&scenario, seed).history.to_json();
        let from_script = sim::run_on_fresh_thread(&scripted, seed).history.to_json();
        assert!(
            from_swarm == from_script,
            "seed {seed}: the written-back schedule ran differently"
        );
    }
}

#[test]
fn different_seeds_draw_different_weather() {
    let scenario = swarm();
    let mixes: BTreeSet<Vec<&'static str>> = (0..20)
        .map(|seed| {
            let drawn = sim::concrete_scenario(&scenario, seed);
            assert!(
                (3..=14).contains(&drawn.faults.len()),
                "seed {seed}: {} faults",
                drawn.faults.len()
            );
            let kinds: BTreeSet<&'static str> = drawn
                .faults
                .iter()
                .map(|fault| fault.action.kind())
                .collect();
            assert!(kinds.len() <= 6, "seed {seed}: {kinds:?}");
            kinds.into_iter().collect()
        })
        .collect();
    assert!(mixes.len() >= 15, "{mixes:?}");
    assert_eq!(
        sim::concrete_scenario(&scenario, 5),
        sim::concrete_scenario(&scenario, 5),
        "one seed, one draw"
    );
}

#[test]
fn pinned_knobs_are_obeyed() {
    let text = r#"
        duration_ms = 8000
        [swarm]
        kinds = ["crash", "loss"]
        kinds_on = 2
        faults = 6
        for_ms = 700
        percent = 35
    "#;
    let scenario = Scenario::parse(text, "pinned.toml", "pinned").unwrap();
    for seed in 0..10 {
        let drawn = sim::concrete_scenario(&scenario, seed);
        assert_eq!(drawn.faults.len(), 6, "seed {seed}");
        for fault in &drawn.faults {
            assert_eq!(fault.for_ms, Some(700));
            assert!(fault.at_ms >= 1000 && fault.at_ms < 8000);
            match &fault.action {
                FaultAction::Crash { .. } => {}
                FaultAction::Link { effect, .. } => {
                    assert_eq!(*effect, scenario::LinkEffect::Loss { percent: 35 })
                }
                other => panic!("seed {seed}: {other:?} was not switched on"),
            }
        }
    }
}
