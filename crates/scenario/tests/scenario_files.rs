//! Scenario files: defaults, round trips and precise errors.

use scenario::{FaultAction, NodeTarget, Scenario, ScenarioError};

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse(text, "test.toml", "test")
}

fn error(text: &str) -> ScenarioError {
    parse(text).expect_err("the scenario should be rejected")
}

const FULL: &str = r#"
name = "full"
description = "every field"
seed = 42
duration_ms = 20000

[cluster]
nodes = 3
tick_ms = 50
election_ticks = 20
heartbeat_ticks = 2
fsync_us = 1000
snapshot_interval_entries = 200
catch_up_entries = 30

[network]
latency_min_ms = 2
latency_max_ms = 9

[workload]
clients = 6
keys = 3
request_timeout_ms = 700
think_min_ms = 1
think_max_ms = 4
mix = { get = 1, put = 2, cas = 3, delete = 4 }

[liveness]
timeout_ms = 5000

[[faults]]
at_ms = 1000
kind = "isolate"
node = "leader"
for_ms = 2000

[[faults]]
at_ms = 4000
kind = "partition"
sides = [[1], [2, 3]]

[[faults]]
at_ms = 5000
kind = "heal"

[[faults]]
at_ms = 6000
kind = "crash"
node = 2

[[faults]]
at_ms = 7000
kind = "restart"

[[faults]]
at_ms = 8000
kind = "split"
for_ms = 100

[[faults]]
at_ms = 9000
kind = "crash"
node = "random"

[[faults]]
at_ms = 10000
kind = "bridge"
node = 3
for_ms = 500

[[faults]]
at_ms = 11000
kind = "cut"
from = "leader"
to = 2
for_ms = 500

[[faults]]
at_ms = 12000
kind = "pause"
node = "random"
for_ms = 700
"#;

#[test]
fn an_empty_file_is_a_scenario_of_defaults() {
    let scenario = parse("").unwrap();
    assert_eq!(scenario.name, "test");
    assert_eq!(scenario.cluster.nodes, 5);
    assert_eq!(
        scenario.cluster.tick_ms * scenario.cluster.election_ticks,
        1_000
    );
    assert!(scenario.faults.is_empty());
}

#[test]
fn every_field_is_read() {
    let s = parse(FULL).unwrap();
    assert_eq!(
        (s.name.as_str(), s.seed, s.duration_ms),
        ("full", Some(42), 20_000)
    );
    assert_eq!(
        (s.cluster.nodes, s.cluster.tick_ms, s.cluster.election_ticks),
        (3, 50, 20)
    );
    assert_eq!(
        (
            s.cluster.heartbeat_ticks,
            s.cluster.fsync_us,
            s.cluster.snapshot_interval_entries
        ),
        (2, 1000, 200)
    );
    assert_eq!(s.cluster.catch_up_entries, 30);
    assert_eq!((s.network.latency_min_ms, s.network.latency_max_ms), (2, 9));
    assert_eq!(
        (
            s.workload.clients,
            s.workload.keys,
            s.workload.request_timeout_ms
        ),
        (6, 3, 700)
    );
    assert_eq!((s.workload.mix.get, s.workload.mix.delete), (1, 4));
    assert_eq!(s.liveness.timeout_ms, 5_000);
    assert_eq!(s.faults.len(), 10);
    assert_eq!(
        s.faults[7].action,
        FaultAction::Bridge {
            node: NodeTarget::Id(3)
        }
    );
    assert_eq!(
        s.faults[8].action,
        FaultAction::Cut {
            from: NodeTarget::Leader,
            to: NodeTarget::Id(2)
        }
    );
    assert_eq!(
        (&s.faults[9].action, s.faults[9].for_ms),
        (
            &FaultAction::Pause {
                node: NodeTarget::Random
            },
            Some(700)
        )
    );
    assert_eq!(
        s.faults[0].action,
        FaultAction::Isolate {
            node: NodeTarget::Leader
        }
    );
    assert_eq!(s.faults[0].for_ms, Some(2_000));
    assert_eq!(
        s.faults[1].action,
        FaultAction::Partition {
            sides: vec![vec![1], vec![2, 3]]
        }
    );
    assert_eq!(s.faults[4].action, FaultAction::Restart { node: None });
    assert_eq!(
        s.faults[6].action,
        FaultAction::Crash {
            node: NodeTarget::Random,
            at_step: None,
        }
    );
}

#[test]
fn written_scenarios_read_back_identically() {
    for text in [FULL, ""] {
        let scenario = parse(text).unwrap();
        let written = scenario.to_toml(Some(7));
        let again = parse(&written).unwrap();
        assert_eq!(again.seed, Some(7));
        assert_eq!(
            Scenario {
                seed: scenario.seed,
                ..again
            },
            scenario,
            "{written}"
        );
    }
}

#[test]
fn unknown_field_names_line_and_field() {
    let e = error("duration_ms = 100\n[cluster]\nnodes = 3\nleader_lease = 4\n");
    assert_eq!((e.file.as_str(), e.line), ("test.toml", 4), "{e}");
    assert!(e.message.contains("leader_lease"), "{e}");
}

#[test]
fn wrong_type_names_line() {
    let e = error("[cluster]\nnodes = \"five\"\n");
    assert_eq!(e.line, 2, "{e}");
}

#[test]
fn out_of_range_value_names_field_and_expectation() {
    let e = error("[cluster]\n\nnodes = 12\n");
    assert_eq!((e.line, e.field.as_str()), (3, "cluster.nodes"), "{e}");
    assert!(e.message.contains("between 1 and 9"), "{e}");
    assert!(
        e.to_string()
            .starts_with("test.toml:3:9: field `cluster.nodes`"),
        "{e}"
    );
}

#[test]
fn heartbeat_must_be_shorter_than_election() {
    let e = error("[cluster]\nelection_ticks = 5\nheartbeat_ticks = 5\n");
    assert_eq!(
        (e.line, e.field.as_str()),
        (3, "cluster.heartbeat_ticks"),
        "{e}"
    );
}

#[test]
fn latency_bounds_must_be_ordered() {
    let e = error("[network]\nlatency_min_ms = 10\nlatency_max_ms = 3\n");
    assert_eq!(
        (e.line, e.field.as_str()),
        (3, "network.latency_max_ms"),
        "{e}"
    );
}

#[test]
fn all_zero_mix_is_rejected() {
    let e = error("[workload]\nmix = { get = 0 }\n");
    assert_eq!(e.field, "workload.mix", "{e}");
}

#[test]
fn fault_errors_name_the_fault() {
    let cases = [
        (
            "[[faults]]\nat_ms = 1\nkind = \"explode\"\n",
            3,
            "faults[0].kind",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"crash\"\n",
            3,
            "faults[0].node",
        ),
        (
            "[cluster]\nnodes = 3\n[[faults]]\nat_ms = 1\nkind = \"crash\"\nnode = 4\n",
            6,
            "faults[0].node",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"crash\"\nnode = \"leadr\"\n",
            4,
            "faults[0].node",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"heal\"\nnode = 1\n",
            4,
            "faults[0].node",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"heal\"\nfor_ms = 10\n",
            4,
            "faults[0].for_ms",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"partition\"\nsides = [[1, 2], [2, 3]]\n",
            4,
            "faults[0].sides",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"partition\"\nsides = [[1, 2]]\n",
            4,
            "faults[0].sides",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"partition\"\n",
            3,
            "faults[0].sides",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"isolate\"\nnode = 1\nsides = [[1], [2]]\n",
            5,
            "faults[0].sides",
        ),
        (
            "duration_ms = 100\n[[faults]]\nat_ms = 100\nkind = \"heal\"\n",
            3,
            "faults[0].at_ms",
        ),
        ("[[faults]]\nkind = \"heal\"\n", 2, "faults[0].at_ms"),
        (
            "[[faults]]\nat_ms = 1\nkind = \"cut\"\nfrom = 1\n",
            3,
            "faults[0].to",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"cut\"\nfrom = 9\nto = 1\n",
            4,
            "faults[0].from",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"pause\"\nnode = 1\nto = 2\n",
            5,
            "faults[0].to",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"bridge\"\n",
            3,
            "faults[0].node",
        ),
        (
            "[[faults]]\nat_ms = 1\nkind = \"heal\"\n[[faults]]\nat_ms = 2\n",
            5,
            "faults[1].kind",
        ),
    ];
    for (text, line, field) in cases {
        let e = error(text);
        assert_eq!((e.line, e.field.as_str()), (line, field), "{text}\n=> {e}");
    }
}

#[test]
fn bad_name_is_rejected() {
    let e = error("name = \"../etc\"\n");
    assert_eq!((e.line, e.field.as_str()), (1, "name"), "{e}");
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let e = Scenario::load(std::path::Path::new("/no/such/scenario.toml")).unwrap_err();
    assert!(e.to_string().contains("/no/such/scenario.toml"), "{e}");
}
