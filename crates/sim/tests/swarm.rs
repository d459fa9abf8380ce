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

/// The swarm's clients mix the KV, fenced lock and lease workloads, and its faults may
/// pause a client: over a few seeds, every lock and lease check gets something to judge,
/// including stale tokens the fenced resource must refuse.
#[test]
fn the_swarm_gives_every_check_something_to_judge() {
    let scenario = swarm();
    let (mut kv_ops, mut holds, mut lease_ends, mut client_pauses, mut refused) = (0, 0, 0, 0, 0);
    for seed in 0..30 {
        let history = sim::run_on_fresh_thread(&scenario, seed).history;
        kv_ops += history.ops.len();
        holds += history.lock_holds.len();
        lease_ends += history.lease_ends.len();
        refused += history
            .resource_writes
            .iter()
            .filter(|write| !write.accepted)
            .count();
        client_pauses += history
            .faults
            .iter()
            .filter(|event| matches!(event.fault, history::Fault::ClientPause { .. }))
            .count();
        let verdict = check::check_history(&history, &check::Budget::default());
        assert!(verdict.is_ok(), "seed {seed}: {verdict:?}");
    }
    assert!(kv_ops > 1000, "{kv_ops} ops");
    assert!(holds > 100, "{holds} lock holds");
    assert!(lease_ends > 30, "{lease_ends} lease ends");
    assert!(client_pauses > 0, "no client paused in 30 seeds");
    assert!(refused > 0, "no stale token refused in 30 seeds");
}
