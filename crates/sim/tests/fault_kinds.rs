//! Each kind of fault does what it says in a whole run, not only in its unit test: the
//! history records it with concrete nodes, and the cluster shows its effect.
//! (Safety under each kind, across many seeds, is `shipped_scenarios.rs`.)

use history::{Fault, History};
use scenario::Scenario;
use std::path::Path;

fn run(name: &str, seed: u64) -> sim::RunOutput {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(format!("{name}.toml"));
    let scenario = Scenario::load(&path).unwrap_or_else(|error| panic!("{error}"));
    sim::run_on_fresh_thread(&scenario, seed)
}

/// The window each pause of a node lasted: (node, paused at, resumed at).
fn pauses(history: &History) -> Vec<(u64, u64, u64)> {
    let mut windows = Vec::new();
    for (index, event) in history.faults.iter().enumerate() {
        if let Fault::Pause { node } = event.fault {
            let resumed = history.faults[index..]
                .iter()
                .find(|later| later.fault == Fault::Resume { node })
                .expect("every pause ends by the liveness phase");
            windows.push((node, event.at_ns, resumed.at_ns));
        }
    }
    windows
}

#[test]
fn a_paused_leader_is_replaced_and_stays_frozen_until_it_resumes() {
    for seed in 0..5 {
        let history = run("pauses", seed).history;
        let windows = pauses(&history);
        assert!(windows.len() >= 4, "seed {seed}: {windows:?}");
        // The first pause strikes the leader for 3 s, three election timeouts.
        let (paused, from_ns, to_ns) = windows[0];
        let leader_before = history
            .leaders
            .iter()
            .rfind(|change| change.at_ns < from_ns)
            .expect("a leader before the first pause");
        assert_eq!(
            leader_before.node, paused,
            "seed {seed}: the leader was paused"
        );
        let during: Vec<_> = history
            .leaders
            .iter()
            .filter(|change| (from_ns..to_ns).contains(&change.at_ns))
            .collect();
        assert!(
            during.iter().any(|change| change.node != paused),
            "seed {seed}: no one else was elected during the pause: {during:?}"
        );
        assert!(
            during.iter().all(|change| change.node != paused),
            "seed {seed}: the paused node acted while paused: {during:?}"
        );
    }
}

#[test]
fn a_bridge_leaves_one_node_on_no_side_and_cuts_the_rest_in_two() {
    let output = run("bridge", 1);
    let partitions: Vec<&Vec<Vec<u64>>> = output
        .history
        .faults
        .iter()
        .filter_map(|event| match &event.fault {
            Fault::Partition { sides } => Some(sides),
            _ => None,
        })
        .collect();
    assert_eq!(partitions.len(), 3);
    for sides in partitions {
        assert_eq!(sides.len(), 2, "{sides:?}");
        assert!(sides.iter().all(|side| side.len() == 2), "{sides:?}");
        let on_a_side: usize = sides.iter().map(Vec::len).sum();
        assert_eq!(on_a_side, 4, "the bridge is on neither side: {sides:?}");
    }
    assert!(output.stats.network.cut > 0);
}

#[test]
fn one_way_cuts_are_recorded_with_concrete_nodes_and_drop_messages() {
    let output = run("one-way", 2);
    let cuts: Vec<(u64, u64)> = output
        .history
        .faults
        .iter()
        .filter_map(|event| match event.fault {
            Fault::Cut { from, to } => Some((from, to)),
            _ => None,
        })
        .collect();
    assert_eq!(cuts.len(), 5, "{cuts:?}");
    assert!(cuts.iter().all(|(from, to)| from != to), "{cuts:?}");
    assert!(output.stats.network.cut > 0);
}
