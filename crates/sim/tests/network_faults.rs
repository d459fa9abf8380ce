//! Link faults in whole runs: each kind is recorded with concrete nodes and has the effect
//! it names. (Their unit tests are in `network.rs`; safety across many seeds is
//! `shipped_scenarios.rs`.)

mod common;

use common::run_shipped as run;
use history::{Fault, History, KvInput, KvOutput, Outcome};

/// When the link fault `id` began and was lifted.
fn link_fault_window(history: &History, id: u64) -> (u64, u64) {
    let began = history
        .faults
        .iter()
        .find(|event| matches!(event.fault, Fault::LinkFault { id: found, .. } if found == id))
        .expect("the link fault began");
    let lifted = history
        .faults
        .iter()
        .find(|event| event.fault == Fault::LinkRestored { id })
        .expect("every link fault is lifted by the liveness phase");
    (began.at_ns, lifted.at_ns)
}

/// The values some successful read or compare returned.
fn values_read(history: &History) -> Vec<&str> {
    history
        .ops
        .iter()
        .filter_map(|op| match &op.outcome {
            Outcome::Ok(KvOutput::Get {
                value: Some(value), ..
            })
            | Outcome::Ok(KvOutput::Cas {
                value: Some(value), ..
            }) => Some(value.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn lost_client_responses_leave_applied_writes_with_unknown_outcomes() {
    let mut applied_but_unknown = 0;
    for seed in 0..4 {
        let history = run("message-faults", seed).history;
        // Fault #1 loses every response to clients for 1.5 s.
        let (from_ns, to_ns) = link_fault_window(&history, 1);
        let called_inside: Vec<_> = history
            .ops
            .iter()
            .filter(|op| op.call_ns > from_ns && op.call_ns < to_ns)
            .collect();
        assert!(!called_inside.is_empty(), "seed {seed}");
        assert!(
            called_inside
                .iter()
                .all(|op| !matches!(op.outcome, Outcome::Ok(_))),
            "seed {seed}: a client heard an answer while every answer was lost"
        );
        let read = values_read(&history);
        applied_but_unknown += called_inside
            .iter()
            .filter(|op| matches!(op.outcome, Outcome::Unknown { .. }))
            .filter(|op| match &op.input {
                KvInput::Put { value, .. } => read.contains(&value.as_str()),
                _ => false,
            })
            .count();
    }
    assert!(
        applied_but_unknown > 0,
        "no unanswered put was ever read back: the responses, not the requests, must be lost"
    );
}

#[test]
fn a_held_leader_is_replaced_and_its_held_messages_arrive_when_lifted() {
    for seed in 0..3 {
        let output = run("hold", seed);
        let history = &output.history;
        let Fault::LinkFault { from, .. } = &history.faults[0].fault else {
            panic!("seed {seed}: the first fault is the hold");
        };
        let held_leader = from[0];
        let (from_ns, to_ns) = link_fault_window(history, 1);
        let elected_during: Vec<u64> = history
            .leaders
            .iter()
            .filter(|change| (from_ns..to_ns).contains(&change.at_ns))
            .map(|change| change.node)
            .collect();
        assert!(
            elected_during.iter().any(|&node| node != held_leader),
            "seed {seed}: nobody replaced held leader {held_leader}: {elected_during:?}"
        );
        assert!(output.stats.network.held > 0, "seed {seed}");
    }
}

#[test]
fn a_swizzle_clogs_nodes_one_by_one_then_unclogs_them_all() {
    let history = run("swizzle", 3).history;
    let steps: Vec<(bool, u64, u64)> = history
        .faults
        .iter()
        .filter_map(|event| match event.fault {
            Fault::Clog { node } => Some((true, node, event.at_ns / 1_000_000)),
            Fault::Unclog { node } => Some((false, node, event.at_ns / 1_000_000)),
            _ => None,
        })
        .collect();
    // Three nodes 400 ms apart, then all five 700 ms apart.
    let first: Vec<_> = steps[..6]
        .iter()
        .map(|&(clog, _, at_ms)| (clog, at_ms))
        .collect();
    assert_eq!(
        first,
        vec![
            (true, 1500),
            (true, 1900),
            (true, 2300),
            (false, 2700),
            (false, 3100),
            (false, 3500)
        ]
    );
    let clogged: Vec<u64> = steps[..3].iter().map(|&(_, node, _)| node).collect();
    let mut unclogged: Vec<u64> = steps[3..6].iter().map(|&(_, node, _)| node).collect();
    assert_ne!(clogged[0], clogged[1]);
    unclogged.sort_unstable();
    let mut clogged_sorted = clogged.clone();
    clogged_sorted.sort_unstable();
    assert_eq!(unclogged, clogged_sorted, "every clogged node is unclogged");
    assert_eq!(steps.len(), 16, "3 + 3, then 5 + 5: {steps:?}");
}

#[test]
fn loss_duplication_and_reordering_happen_where_the_scenario_says() {
    let output = run("lossy-network", 1);
    let stats = output.stats.network;
    assert!(stats.dropped > 0, "{stats:?}");
    assert!(stats.duplicated > 0, "{stats:?}");
    assert!(stats.reordered > 0, "{stats:?}");
    let effects: Vec<history::LinkEffect> = output
        .history
        .faults
        .iter()
        .filter_map(|event| match &event.fault {
            Fault::LinkFault { effect, .. } => Some(*effect),
            _ => None,
        })
        .collect();
    assert_eq!(effects.len(), 7, "{effects:?}");
    assert_eq!(effects[2], history::LinkEffect::Duplicate { percent: 100 });
}

#[test]
fn delays_slow_the_clients_down() {
    let history = run("slow-network", 2).history;
    // Fault #1 adds 20-50 ms to every message: a request and its answer take ≥ 40 ms.
    let (from_ns, to_ns) = link_fault_window(&history, 1);
    let latencies_ms = |inside: bool| -> Vec<u64> {
        history
            .ops
            .iter()
            .filter(|op| matches!(op.outcome, Outcome::Ok(_)))
            .filter(|op| (op.call_ns > from_ns && op.call_ns < to_ns) == inside)
            .filter(|op| op.call_ns < from_ns + 5_000_000_000)
            .map(|op| (op.return_ns.expect("answered") - op.call_ns) / 1_000_000)
            .collect()
    };
    let inside = latencies_ms(true);
    assert!(!inside.is_empty());
    assert!(inside.iter().all(|&ms| ms >= 40), "{inside:?}");
    let before: Vec<u64> = latencies_ms(false);
    let median = |mut values: Vec<u64>| {
        values.sort_unstable();
        values[values.len() / 2]
    };
    assert!(median(before) < 40);
}
