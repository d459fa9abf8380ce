//! Scenario files: defaults, round trips and precise errors.

use scenario::{
    FaultAction, LinkEffect, LinkSelector, MessageKind, NodeTarget, PersistStep, Scenario,
    ScenarioError, ScheduledFault,
};

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

[[faults]]
at_ms = 12500
kind = "freeze"
node = 1
for_ms = 300

[[faults]]
at_ms = 13000
kind = "delay"
from = "leader"
messages = ["MsgAppend", "MsgHeartbeat"]
latency_ms = 20
jitter_ms = 5
for_ms = 1000

[[faults]]
at_ms = 13500
kind = "loss"
to = 2
percent = 30

[[faults]]
at_ms = 14000
kind = "duplicate"
percent = 10
for_ms = 400

[[faults]]
at_ms = 14500
kind = "reorder"
from = 1
to = 3
percent = 50

[[faults]]
at_ms = 15000
kind = "hold"
messages = ["client-response"]
for_ms = 500

[[faults]]
at_ms = 15500
kind = "swizzle"
nodes = 2
step_ms = 200

[[faults]]
at_ms = 16000
kind = "crash"
node = "leader"
at_step = "after-sync"
for_ms = 300

[[faults]]
at_ms = 16500
kind = "slow-disk"
node = 3
fsync_us = 50000
for_ms = 1000

[[faults]]
at_ms = 17000
kind = "clock-jump"
node = "random"
by_ms = -1500

[[faults]]
at_ms = 17500
kind = "clock-rate"
node = 2
rate_percent = 150
for_ms = 2000

[[faults]]
at_ms = 18000
kind = "replace"
node = "leader"
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
    assert_eq!(s.faults.len(), 22);
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
fn every_new_fault_kind_is_read() {
    let s = parse(FULL).unwrap();
    let fault = |at_ms, action, for_ms| ScheduledFault {
        at_ms,
        action,
        for_ms,
    };
    let link = |from, to, messages, effect| FaultAction::Link {
        links: LinkSelector { from, to },
        messages,
        effect,
    };
    let expected = vec![
        fault(
            12_500,
            FaultAction::Freeze {
                node: NodeTarget::Id(1),
            },
            Some(300),
        ),
        fault(
            13_000,
            link(
                Some(NodeTarget::Leader),
                None,
                vec![MessageKind::Append, MessageKind::Heartbeat],
                LinkEffect::Delay {
                    latency_ms: 20,
                    jitter_ms: 5,
                },
            ),
            Some(1_000),
        ),
        fault(
            13_500,
            link(
                None,
                Some(NodeTarget::Id(2)),
                vec![],
                LinkEffect::Loss { percent: 30 },
            ),
            None,
        ),
        fault(
            14_000,
            link(None, None, vec![], LinkEffect::Duplicate { percent: 10 }),
            Some(400),
        ),
        fault(
            14_500,
            link(
                Some(NodeTarget::Id(1)),
                Some(NodeTarget::Id(3)),
                vec![],
                LinkEffect::Reorder { percent: 50 },
            ),
            None,
        ),
        fault(
            15_000,
            link(
                None,
                None,
                vec![MessageKind::ClientResponse],
                LinkEffect::Hold,
            ),
            Some(500),
        ),
        fault(
            15_500,
            FaultAction::Swizzle {
                nodes: 2,
                step_ms: 200,
            },
            None,
        ),
        fault(
            16_000,
            FaultAction::Crash {
                node: NodeTarget::Leader,
                at_step: Some(PersistStep::AfterSync),
            },
            Some(300),
        ),
        fault(
            16_500,
            FaultAction::SlowDisk {
                node: NodeTarget::Id(3),
                fsync_us: 50_000,
            },
            Some(1_000),
        ),
        fault(
            17_000,
            FaultAction::ClockJump {
                node: NodeTarget::Random,
                by_ms: -1_500,
            },
            None,
        ),
        fault(
            17_500,
            FaultAction::ClockRate {
                node: NodeTarget::Id(2),
                rate_percent: 150,
            },
            Some(2_000),
        ),
        fault(
            18_000,
            FaultAction::Replace {
                node: NodeTarget::Leader,
            },
            None,
        ),
    ];
    assert_eq!(s.faults[10..], expected);
}

#[test]
fn every_crash_step_and_message_kind_is_read_by_its_name() {
    for (step, name) in PersistStep::ALL {
        let text =
            format!("[[faults]]\nat_ms = 1\nkind = \"crash\"\nnode = 1\nat_step = \"{name}\"\n");
        let action = &parse(&text).unwrap().faults[0].action;
        assert_eq!(
            action,
            &FaultAction::Crash {
                node: NodeTarget::Id(1),
                at_step: Some(step)
            }
        );
    }
    let names: Vec<String> = MessageKind::ALL
        .iter()
        .map(|(_, name)| format!("{name:?}"))
        .collect();
    let text = format!(
        "[[faults]]\nat_ms = 1\nkind = \"hold\"\nmessages = [{}]\n",
        names.join(", ")
    );
    let scenario = parse(&text).unwrap();
    let FaultAction::Link { messages, .. } = &scenario.faults[0].action else {
        panic!("a hold is a link fault: {:?}", scenario.faults[0]);
    };
    let all: Vec<MessageKind> = MessageKind::ALL.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(messages, &all);
}

#[test]
fn an_empty_message_list_is_every_message() {
    let text = "[[faults]]\nat_ms = 1\nkind = \"loss\"\npercent = 5\nmessages = []\n";
    assert_eq!(
        parse(text).unwrap().faults[0].action,
        FaultAction::Link {
            links: LinkSelector::default(),
            messages: vec![],
            effect: LinkEffect::Loss { percent: 5 },
        }
    );
}

/// The kinds an unknown `kind` is told to choose from are exactly the kinds of FULL, so
/// FULL (and the round trip over it) covers every kind the parser knows.
#[test]
fn the_full_example_has_every_kind_the_parser_names() {
    let e = error("[[faults]]\nat_ms = 1\nkind = \"explode\"\n");
    let listed = e
        .message
        .strip_prefix("expected one of ")
        .and_then(|rest| rest.strip_suffix(", found \"explode\""))
        .unwrap_or_else(|| panic!("{e}"));
    let missing = error("[[faults]]\nat_ms = 1\n");
    assert_eq!(
        missing.message,
        format!("missing; expected one of {listed}"),
        "{missing}"
    );
    let mut listed: Vec<&str> = listed.split(", ").collect();
    let full = parse(FULL).unwrap();
    let mut in_full: Vec<&str> = full.faults.iter().map(|f| f.action.kind()).collect();
    listed.sort_unstable();
    in_full.sort_unstable();
    in_full.dedup();
    assert_eq!(listed, in_full);
}

#[test]
fn new_fault_kind_errors_name_field_line_and_expectation() {
    let fault = |body: &str| format!("[cluster]\nnodes = 3\n[[faults]]\nat_ms = 1\n{body}");
    // (the fault's fields from line 5 on, the line and field of the error, a piece of its message)
    let cases = [
        (
            "kind = \"loss\"\npercent = 5\nmessages = [\"MsgAppend\", \"MsgFoo\"]\n",
            7,
            "faults[0].messages[1]",
            "expected a message kind, one of MsgAppend,",
        ),
        (
            "kind = \"loss\"\npercent = 5\nmessages = [\"MsgFoo\"]\n",
            7,
            "faults[0].messages[0]",
            "client-response, found \"MsgFoo\"",
        ),
        (
            "kind = \"hold\"\nmessages = [\"client-request\", \"MsgAppend\", \"client-request\"]\n",
            6,
            "faults[0].messages[2]",
            "expected each message kind once, found \"client-request\" again",
        ),
        (
            "kind = \"hold\"\nmessages = \"MsgAppend\"\n",
            6,
            "",
            "sequence",
        ),
        (
            "kind = \"crash\"\nnode = 1\nat_step = \"before-fsync\"\n",
            7,
            "faults[0].at_step",
            "expected one of before-sync, after-sync, after-send, after-apply, found \"before-fsync\"",
        ),
        (
            "kind = \"loss\"\npercent = 0\n",
            6,
            "faults[0].percent",
            "expected a percentage between 1 and 100, found 0",
        ),
        (
            "kind = \"duplicate\"\npercent = 101\n",
            6,
            "faults[0].percent",
            "between 1 and 100, found 101",
        ),
        (
            "kind = \"delay\"\nlatency_ms = 0\n",
            6,
            "faults[0].latency_ms",
            "expected `latency_ms` or `jitter_ms` above 0",
        ),
        (
            "kind = \"delay\"\nlatency_ms = 0\njitter_ms = 0\n",
            6,
            "faults[0].latency_ms",
            "found both 0",
        ),
        (
            "kind = \"delay\"\nlatency_ms = 60001\n",
            6,
            "faults[0].latency_ms",
            "between 0 and 60000, found 60001",
        ),
        (
            "kind = \"delay\"\nlatency_ms = 1\njitter_ms = 70000\n",
            7,
            "faults[0].jitter_ms",
            "between 0 and 60000, found 70000",
        ),
        (
            "kind = \"delay\"\nfrom = 4\nlatency_ms = 1\n",
            6,
            "faults[0].from",
            "expected a node id from 1 to 3, \"leader\" or \"random\", found 4",
        ),
        (
            "kind = \"hold\"\nto = \"follower\"\n",
            6,
            "faults[0].to",
            "found \"follower\"",
        ),
        // A field a kind needs is missing: reported at the `kind` that needs it.
        (
            "kind = \"freeze\"\n",
            5,
            "faults[0].node",
            "missing; a `freeze` fault needs a node",
        ),
        (
            "kind = \"delay\"\njitter_ms = 5\n",
            5,
            "faults[0].latency_ms",
            "missing; a `delay` fault needs `latency_ms`, a latency in ms between 0 and 60000",
        ),
        (
            "kind = \"loss\"\n",
            5,
            "faults[0].percent",
            "missing; a `loss` fault needs `percent`, a percentage between 1 and 100",
        ),
        ("kind = \"duplicate\"\n", 5, "faults[0].percent", "missing"),
        ("kind = \"reorder\"\n", 5, "faults[0].percent", "missing"),
        (
            "kind = \"swizzle\"\nstep_ms = 100\n",
            5,
            "faults[0].nodes",
            "missing; a `swizzle` fault needs `nodes`, a node count between 1 and 3",
        ),
        (
            "kind = \"swizzle\"\nnodes = 2\n",
            5,
            "faults[0].step_ms",
            "missing; a `swizzle` fault needs `step_ms`",
        ),
        (
            "kind = \"slow-disk\"\nfsync_us = 100\n",
            5,
            "faults[0].node",
            "missing",
        ),
        (
            "kind = \"slow-disk\"\nnode = 1\n",
            5,
            "faults[0].fsync_us",
            "needs `fsync_us`, an fsync time in µs between 1 and 10000000",
        ),
        (
            "kind = \"clock-jump\"\nnode = 1\n",
            5,
            "faults[0].by_ms",
            "needs `by_ms`, a nonzero jump in ms",
        ),
        (
            "kind = \"clock-rate\"\nnode = 1\n",
            5,
            "faults[0].rate_percent",
            "needs `rate_percent`, a clock rate in percent of real speed between 1 and 1000",
        ),
        ("kind = \"replace\"\n", 5, "faults[0].node", "missing"),
        // Values out of range.
        (
            "kind = \"swizzle\"\nnodes = 4\nstep_ms = 100\n",
            6,
            "faults[0].nodes",
            "between 1 and 3, found 4",
        ),
        (
            "kind = \"swizzle\"\nnodes = 2\nstep_ms = 0\n",
            7,
            "faults[0].step_ms",
            "found 0",
        ),
        (
            "kind = \"slow-disk\"\nnode = 1\nfsync_us = 0\n",
            7,
            "faults[0].fsync_us",
            "found 0",
        ),
        (
            "kind = \"clock-jump\"\nnode = 1\nby_ms = 0\n",
            7,
            "faults[0].by_ms",
            "expected a nonzero jump in ms between -604800000 and 604800000 (negative: backwards), found 0",
        ),
        (
            "kind = \"clock-jump\"\nnode = 1\nby_ms = -604800001\n",
            7,
            "faults[0].by_ms",
            "found -604800001",
        ),
        (
            "kind = \"clock-rate\"\nnode = 1\nrate_percent = 1001\n",
            7,
            "faults[0].rate_percent",
            "between 1 and 1000, found 1001",
        ),
        (
            "kind = \"clock-rate\"\nnode = 1\nrate_percent = 0\n",
            7,
            "faults[0].rate_percent",
            "found 0",
        ),
        // A field the kind does not use; the first in the file is named.
        (
            "kind = \"hold\"\npercent = 5\n",
            6,
            "faults[0].percent",
            "not used by a `hold` fault; remove it",
        ),
        (
            "kind = \"loss\"\npercent = 5\nlatency_ms = 3\n",
            7,
            "faults[0].latency_ms",
            "not used by a `loss` fault",
        ),
        (
            "kind = \"replace\"\nstep_ms = 5\nnode = 1\nmessages = []\n",
            6,
            "faults[0].step_ms",
            "not used by a `replace` fault",
        ),
        (
            "kind = \"pause\"\nnode = 1\nat_step = \"after-send\"\n",
            7,
            "faults[0].at_step",
            "not used by a `pause` fault",
        ),
        (
            "kind = \"delay\"\nnode = 1\nlatency_ms = 3\n",
            6,
            "faults[0].node",
            "not used by a `delay` fault",
        ),
        (
            "kind = \"freeze\"\nnode = 1\nby_ms = 3\n",
            7,
            "faults[0].by_ms",
            "not used by a `freeze` fault",
        ),
        (
            "kind = \"cut\"\nfrom = 1\nto = 2\nmessages = [\"MsgAppend\"]\n",
            8,
            "faults[0].messages",
            "not used by a `cut` fault",
        ),
        // `for_ms` on a kind that cannot be undone.
        (
            "kind = \"swizzle\"\nnodes = 2\nstep_ms = 100\nfor_ms = 1000\n",
            8,
            "faults[0].for_ms",
            "not used by a `swizzle` fault (only isolate, split, partition, bridge, cut, crash, pause, freeze, delay, loss, duplicate, reorder, hold, slow-disk and clock-rate can be undone)",
        ),
        (
            "kind = \"clock-jump\"\nnode = 1\nby_ms = 100\nfor_ms = 1000\n",
            8,
            "faults[0].for_ms",
            "not used by a `clock-jump` fault",
        ),
        (
            "kind = \"replace\"\nnode = 1\nfor_ms = 1000\n",
            7,
            "faults[0].for_ms",
            "not used by a `replace` fault",
        ),
    ];
    for (body, line, field, message) in cases {
        let text = fault(body);
        let e = error(&text);
        assert_eq!((e.line, e.field.as_str()), (line, field), "{text}\n=> {e}");
        assert!(e.message.contains(message), "{text}\n=> {e}");
        assert!(
            e.to_string().starts_with(&format!("test.toml:{line}:")),
            "{e}"
        );
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

#[test]
fn a_swarm_table_is_read_pinned_or_ranged_and_written_back() {
    let text = r#"
duration_ms = 9000
[swarm]
kinds = ["crash", "hold", "clock-rate"]
kinds_on = [1, 2]
faults = 4
start_ms = 500
jump_ms = [-200, 300]
"#;
    let scenario = parse(text).unwrap();
    let swarm = scenario.swarm.clone().expect("a swarm");
    assert_eq!(swarm.kinds, vec!["crash", "hold", "clock-rate"]);
    assert_eq!((swarm.kinds_on.min, swarm.kinds_on.max), (1, 2));
    assert_eq!((swarm.faults.min, swarm.faults.max), (4, 4));
    assert_eq!((swarm.jump_ms.min, swarm.jump_ms.max), (-200, 300));
    assert_eq!(swarm.start_ms, 500);
    let again = parse(&scenario.to_toml(None)).unwrap();
    assert_eq!(again, scenario);
    // Without a table, no swarm; the default table draws from every kind it can.
    assert!(parse("").unwrap().swarm.is_none());
    let defaults = parse("[swarm]\n").unwrap().swarm.unwrap();
    assert_eq!(defaults.kinds.len(), 17);
}

#[test]
fn swarm_errors_name_the_knob() {
    let cases = [
        (
            "[swarm]\nkinds = [\"crash\", \"explode\"]\n",
            "swarm.kinds[1]",
            "explode",
        ),
        (
            "[swarm]\nkinds = [\"crash\", \"crash\"]\n",
            "swarm.kinds[1]",
            "twice",
        ),
        (
            "[swarm]\nkinds = [\"heal\"]\n",
            "swarm.kinds[0]",
            "cannot draw",
        ),
        ("[swarm]\nkinds = []\n", "swarm.kinds", "at least one"),
        ("[swarm]\nfaults = [9, 3]\n", "swarm.faults", "min ≤ max"),
        (
            "[swarm]\nfaults = [1, 2, 3]\n",
            "swarm.faults",
            "a range [min, max]",
        ),
        (
            "[swarm]\npercent = [0, 50]\n",
            "swarm.percent",
            "between 1 and 100",
        ),
        (
            "[swarm]\nkinds = [\"crash\"]\nkinds_on = 2\n",
            "swarm.kinds_on",
            "between 1 and 1",
        ),
        (
            "duration_ms = 100\n[swarm]\nstart_ms = 100\n",
            "swarm.start_ms",
            "between 0 and 99",
        ),
        (
            "[swarm]\ntyped_percent = 101\n",
            "swarm.typed_percent",
            "between 0 and 100",
        ),
        ("[swarm]\nstorms = 3\n", "", "unknown field"),
    ];
    for (text, field, says) in cases {
        let e = error(text);
        assert_eq!(e.field, field, "{text}: {e}");
        assert!(e.line >= 1, "{text}: {e}");
        assert!(e.to_string().contains(says), "{text}: {e}");
    }
}
