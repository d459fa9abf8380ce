//! Each kind of fault does what it says in a whole run, not only in its unit test: the
//! history records it with concrete nodes, and the cluster shows its effect.
//! (Safety under each kind, across many seeds, is `shipped_scenarios.rs`.)

mod common;

use common::run_shipped as run;
use history::{Fault, History, KvInput, Outcome};
use scenario::{FaultAction, NodeTarget, PersistStep, Scenario, ScheduledFault};

const MS: u64 = 1_000_000;

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

/// A scenario with the default cluster and workload, `duration_ms` long, with `faults`
/// built here rather than parsed: these tests set up one situation each.
fn scenario_with(
    duration_ms: u64,
    request_timeout_ms: u64,
    faults: &[(u64, FaultAction, Option<u64>)],
) -> Scenario {
    let source = format!(
        "duration_ms = {duration_ms}\n[workload]\nrequest_timeout_ms = {request_timeout_ms}\n"
    );
    let mut scenario = Scenario::parse(&source, "fault_kinds.rs", "node-faults")
        .unwrap_or_else(|error| panic!("{error}"));
    scenario.faults = faults
        .iter()
        .map(|(at_ms, action, for_ms)| ScheduledFault {
            at_ms: *at_ms,
            action: action.clone(),
            for_ms: *for_ms,
            through_liveness: false,
        })
        .collect();
    scenario
}

/// The first fault that `pick` recognizes, with when it struck.
fn first_fault<T>(history: &History, pick: impl Fn(&Fault) -> Option<T>) -> Option<(T, u64)> {
    history
        .faults
        .iter()
        .find_map(|event| pick(&event.fault).map(|found| (found, event.at_ns)))
}

fn leader_at(history: &History, at_ns: u64) -> u64 {
    history
        .leaders
        .iter()
        .rfind(|change| change.at_ns < at_ns)
        .expect("a leader by then")
        .node
}

#[test]
fn a_frozen_leader_is_replaced_yet_takes_requests_and_answers_them_when_it_thaws() {
    // Clients wait up to 6 s, longer than the 3 s freeze.
    let freeze = FaultAction::Freeze {
        node: NodeTarget::Leader,
    };
    let scenario = scenario_with(9000, 6000, &[(2000, freeze, Some(3000))]);
    for seed in 0..5 {
        let history = sim::run_on_fresh_thread(&scenario, seed).history;
        let (frozen, from_ns) = first_fault(&history, |fault| match fault {
            Fault::Freeze { node } => Some(*node),
            _ => None,
        })
        .expect("a freeze");
        let ((), to_ns) = first_fault(&history, |fault| {
            (*fault == Fault::Thaw { node: frozen }).then_some(())
        })
        .expect("a thaw");
        assert_eq!((from_ns / MS, to_ns / MS), (2000, 5000), "seed {seed}");
        assert_eq!(
            leader_at(&history, from_ns),
            frozen,
            "seed {seed}: the leader froze"
        );
        // It stopped heartbeating: the others elected a leader while it was frozen.
        let successor = history
            .leaders
            .iter()
            .find(|change| (from_ns..to_ns).contains(&change.at_ns))
            .unwrap_or_else(|| panic!("seed {seed}: no election during the freeze"));
        assert_ne!(successor.node, frozen, "seed {seed}");
        // Requests its clients sent before that election were neither refused (a refusal
        // is retried, and would have found the new leader at once) nor answered: they
        // were held, and answered as soon as it thawed.
        let held: Vec<_> = history
            .ops
            .iter()
            .filter(|op| op.call_ns < successor.at_ns)
            .filter(|op| op.return_ns.is_some_and(|ret| ret >= to_ns))
            .collect();
        assert!(
            !held.is_empty(),
            "seed {seed}: no request waited for the thaw"
        );
        for op in held {
            let ret = op.return_ns.expect("answered");
            assert!(ret < to_ns + 500 * MS, "seed {seed}: {op:?} answered late");
            assert!(
                !matches!(op.outcome, Outcome::Unknown { .. }),
                "seed {seed}: {op:?}"
            );
        }
        let verdict = check::check_history(&history, &check::Budget::default());
        assert!(verdict.is_ok(), "seed {seed}: {}", verdict.summary());
    }
}

/// A node's election timeout is counted in ticks of its own clock: at 300% it runs out in
/// a third of the real time, at 50% in twice the time. At the start of a run no node has
/// heard from a leader, so the first to time out wins the first election: the fast node
/// nearly always, the slow one never, and sooner than an unskewed cluster elects anyone.
#[test]
fn a_fast_clock_shortens_a_nodes_election_timeout_and_a_slow_one_lengthens_it() {
    let rate = |node, rate_percent| FaultAction::ClockRate {
        node: NodeTarget::Id(node),
        rate_percent,
    };
    let skewed = scenario_with(
        3000,
        1000,
        &[(0, rate(1, 300), None), (0, rate(2, 50), None)],
    );
    let unskewed = scenario_with(3000, 1000, &[]);
    let first_elections = |scenario: &Scenario| -> Vec<(u64, u64)> {
        (0..40)
            .map(|seed| {
                let history = sim::run_on_fresh_thread(scenario, seed).history;
                let first = history.leaders.first().expect("a first leader");
                (first.node, first.at_ns / MS)
            })
            .collect()
    };
    let median_ms = |elections: &[(u64, u64)]| {
        let mut times: Vec<u64> = elections.iter().map(|&(_, at_ms)| at_ms).collect();
        times.sort_unstable();
        times[times.len() / 2]
    };
    let skewed_elections = first_elections(&skewed);
    let unskewed_elections = first_elections(&unskewed);
    let won_by = |node| {
        skewed_elections
            .iter()
            .filter(|&&(winner, _)| winner == node)
            .count()
    };
    let (skewed_ms, unskewed_ms) = (median_ms(&skewed_elections), median_ms(&unskewed_elections));
    eprintln!(
        "first elections over 40 seeds: the 300% node won {}, the 50% node {}; median {skewed_ms} ms (unskewed: {unskewed_ms} ms)",
        won_by(1),
        won_by(2)
    );
    // By chance each of five nodes would win a fifth of them.
    assert!(won_by(1) >= 36, "{skewed_elections:?}");
    assert_eq!(won_by(2), 0, "{skewed_elections:?}");
    assert!(
        skewed_ms * 3 < unskewed_ms * 2,
        "{skewed_ms} ms, unskewed {unskewed_ms} ms"
    );
}

#[test]
fn a_crash_armed_at_each_step_strikes_there() {
    for (step, name) in PersistStep::ALL {
        let crash = |node| FaultAction::Crash {
            node,
            at_step: Some(step),
        };
        let scenario = scenario_with(
            7000,
            1000,
            &[
                (2000, crash(NodeTarget::Leader), Some(1000)),
                (4500, crash(NodeTarget::Random), Some(1000)),
            ],
        );
        let mut writes_lost = 0;
        for seed in 0..3 {
            let output = sim::run_on_fresh_thread(&scenario, seed);
            let crashes: Vec<_> = output
                .history
                .faults
                .iter()
                .filter_map(|event| match &event.fault {
                    Fault::Crash { node, at_step } => Some((*node, at_step.clone(), event.at_ns)),
                    _ => None,
                })
                .collect();
            assert_eq!(crashes.len(), 2, "{name} seed {seed}: {crashes:?}");
            for (node, at_step, at_ns) in crashes {
                assert_eq!(at_step.as_deref(), Some(name), "{name} seed {seed}");
                // The restart comes a second after the crash struck, not after it was armed.
                let restart =
                    output.history.faults.iter().find(|event| {
                        event.fault == Fault::Restart { node } && event.at_ns > at_ns
                    });
                let restarted_ns = restart.expect("a restart").at_ns;
                assert!(
                    (1000 * MS..1001 * MS).contains(&(restarted_ns - at_ns)),
                    "{name} seed {seed}"
                );
            }
            writes_lost += output.stats.disk_writes_lost;
            let verdict = check::check_history(&output.history, &check::Budget::default());
            assert!(verdict.is_ok(), "{name} seed {seed}: {}", verdict.summary());
        }
        // Only a crash before the fsync loses the round's writes.
        match step {
            PersistStep::BeforeSync => assert!(writes_lost > 0, "{name}"),
            _ => assert_eq!(writes_lost, 0, "{name}"),
        }
    }
}

#[test]
fn a_crash_armed_at_a_step_the_node_never_reaches_is_disarmed() {
    // A frozen node runs no Ready loop: the trap waits, and is gone when the run ends.
    let scenario = scenario_with(
        5000,
        1000,
        &[
            (
                1000,
                FaultAction::Freeze {
                    node: NodeTarget::Id(2),
                },
                None,
            ),
            (
                1500,
                FaultAction::Crash {
                    node: NodeTarget::Id(2),
                    at_step: Some(PersistStep::AfterSync),
                },
                Some(500),
            ),
        ],
    );
    let history = sim::run_on_fresh_thread(&scenario, 3).history;
    assert!(
        history
            .faults
            .iter()
            .all(|event| !matches!(event.fault, Fault::Crash { .. })),
        "{:?}",
        history.faults
    );
    assert!(history
        .faults
        .iter()
        .any(|event| event.fault == Fault::Thaw { node: 2 }));
}

#[test]
fn a_slow_disk_on_the_leader_slows_every_write_and_the_cluster_stays_safe() {
    let slow_disk = FaultAction::SlowDisk {
        node: NodeTarget::Leader,
        fsync_us: 200_000,
    };
    let scenario = scenario_with(10_000, 2000, &[(3000, slow_disk, Some(5000))]);
    for seed in 0..3 {
        let history = sim::run_on_fresh_thread(&scenario, seed).history;
        let (slow, _) = first_fault(&history, |fault| match fault {
            Fault::SlowDisk { node, .. } => Some(*node),
            _ => None,
        })
        .expect("a slow disk");
        assert_eq!(leader_at(&history, 3000 * MS), slow, "seed {seed}");
        let median_put_ms = |from_ms: u64, to_ms: u64| {
            let mut latencies: Vec<u64> = history
                .ops
                .iter()
                .filter(|op| matches!(op.input, KvInput::Put { .. }))
                .filter(|op| matches!(op.outcome, Outcome::Ok(_)))
                .filter(|op| (from_ms * MS..to_ms * MS).contains(&op.call_ns))
                .map(|op| (op.return_ns.expect("answered") - op.call_ns) / MS)
                .collect();
            latencies.sort_unstable();
            assert!(latencies.len() >= 5, "seed {seed}: {latencies:?}");
            latencies[latencies.len() / 2]
        };
        let before_ms = median_put_ms(1500, 3000);
        let during_ms = median_put_ms(3200, 7800);
        let after_ms = median_put_ms(8200, 10_000);
        // The leader syncs its entries, then the commit index: two slow fsyncs a write.
        assert!(before_ms < 30, "seed {seed}: {before_ms} ms before");
        assert!(
            during_ms >= 400,
            "seed {seed}: {during_ms} ms with the slow disk"
        );
        assert!(after_ms < 30, "seed {seed}: {after_ms} ms after");
        let verdict = check::check_history(&history, &check::Budget::default());
        assert!(verdict.is_ok(), "seed {seed}: {}", verdict.summary());
    }
}
