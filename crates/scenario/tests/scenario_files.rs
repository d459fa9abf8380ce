//! Scenario files: defaults, round trips and precise errors.

use bugs::{Bug, Bugs};
use scenario::{
    ClientTarget, ElectionConfig, FaultAction, LeaseConfig, LinkEffect, LinkSelector, LockConfig,
    MessageKind, NodeTarget, PersistStep, Scenario, ScenarioError, ScheduledFault, WorkloadKind,
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
lease_checkpoint_ms = 500
pre_vote = false
lease_expiry_check_ms = 500

[network]
latency_min_ms = 2
latency_max_ms = 9

[workload]
kind = "lock"
clients = 6
keys = 3
request_timeout_ms = 700
retry_backoff_min_ms = 25
retry_backoff_max_ms = 25
think_min_ms = 1
think_max_ms = 4
mix = { get = 1, put = 2, cas = 3, delete = 4 }

[lock]
locks = 3
session_ttl_s = 5
hold_min_ms = 20
hold_max_ms = 80
fencing = true

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

[[faults]]
at_ms = 18500
kind = "pause-client"
client = 6
for_ms = 2500

[[faults]]
at_ms = 19000
kind = "pause-client"
client = "lock-holder"
"#;

/// Every field of the lease workload's table.
const FULL_LEASE: &str = r#"
[workload]
kind = "lease"
clients = 2

[lease]
ttl_s = 10
keep_min_ms = 0
keep_max_ms = 9000
revoke_percent = 100
keys_per_lease = 0
"#;

/// Every field of the election workload's table.
const FULL_ELECTION: &str = r#"
[workload]
kind = "election"

[election]
session_ttl_s = 1
serve_min_ms = 300
serve_max_ms = 300
proclaim_ms = 25
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
    assert_eq!(
        scenario.cluster.lease_checkpoint_ms, 0,
        "checkpointing is off"
    );
    assert!(scenario.cluster.pre_vote, "pre-vote is on");
    assert_eq!(
        scenario.cluster.lease_expiry_check_ms, 0,
        "leases are checked every tick"
    );
    assert_eq!(scenario.workload.kinds, [WorkloadKind::Kv]);
    assert_eq!(
        (scenario.lock, scenario.lease, scenario.election),
        (
            LockConfig::default(),
            LeaseConfig::default(),
            ElectionConfig::default()
        )
    );
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
    assert_eq!(s.cluster.lease_checkpoint_ms, 500);
    assert!(!s.cluster.pre_vote);
    assert_eq!(s.cluster.lease_expiry_check_ms, 500);
    assert_eq!(s.workload.kinds, [WorkloadKind::Lock]);
    assert_eq!(
        s.lock,
        LockConfig {
            locks: 3,
            session_ttl_s: 5,
            hold_min_ms: 20,
            hold_max_ms: 80,
            fencing: true,
        }
    );
    // The tables of the other workloads are not given, so they keep their defaults.
    assert_eq!(s.lease, LeaseConfig::default());
    assert_eq!(s.election, ElectionConfig::default());
    assert_eq!((s.network.latency_min_ms, s.network.latency_max_ms), (2, 9));
    assert_eq!(
        (
            s.workload.clients,
            s.workload.keys,
            s.workload.request_timeout_ms
        ),
        (6, 3, 700)
    );
    assert_eq!(
        (
            s.workload.retry_backoff_min_ms,
            s.workload.retry_backoff_max_ms
        ),
        (25, 25)
    );
    assert_eq!((s.workload.mix.get, s.workload.mix.delete), (1, 4));
    assert_eq!(s.liveness.timeout_ms, 5_000);
    assert_eq!(s.faults.len(), 24);
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
fn the_lease_and_election_tables_are_read() {
    let lease = parse(FULL_LEASE).unwrap();
    assert_eq!(lease.workload.kinds, [WorkloadKind::Lease]);
    assert_eq!(
        lease.lease,
        LeaseConfig {
            ttl_s: 10,
            keep_min_ms: 0,
            keep_max_ms: 9_000,
            revoke_percent: 100,
            keys_per_lease: 0,
        }
    );
    assert_eq!(lease.lock, LockConfig::default());
    let election = parse(FULL_ELECTION).unwrap();
    assert_eq!(election.workload.kinds, [WorkloadKind::Election]);
    assert_eq!(
        election.election,
        ElectionConfig {
            session_ttl_s: 1,
            serve_min_ms: 300,
            serve_max_ms: 300,
            proclaim_ms: 25,
        }
    );
    // A table with some fields keeps the defaults of the rest; a max left out is raised to
    // a min given above its default, as for the network's latency.
    let partial = parse("[workload]\nkind = \"lock\"\n[lock]\nhold_min_ms = 1000\n").unwrap();
    assert_eq!(
        partial.lock,
        LockConfig {
            hold_min_ms: 1_000,
            hold_max_ms: 1_000,
            ..LockConfig::default()
        }
    );
    // A workload without its table runs with the table's defaults.
    let bare = parse("[workload]\nkind = \"election\"\n").unwrap();
    assert_eq!(bare.election, ElectionConfig::default());
}

#[test]
fn written_scenarios_read_back_identically() {
    for text in [FULL, FULL_LEASE, FULL_ELECTION, ""] {
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
        assert_eq!(parse(&scenario.to_toml(None)).unwrap(), scenario);
    }
}

#[test]
fn planted_bugs_are_read_by_name_and_written_back() {
    let text = "bugs = [\"unlock-by-name\", \"lock-no-recheck\", \"unlock-by-name\"]\n";
    let scenario = parse(text).unwrap();
    let planted: Vec<Bug> = scenario.bugs.iter().collect();
    assert_eq!(
        planted,
        [Bug::LockNoRecheck, Bug::UnlockByName],
        "a duplicate plants once"
    );
    let written = scenario.to_toml(Some(7));
    assert!(
        written.contains("\nbugs = [\"lock-no-recheck\", \"unlock-by-name\"]\n"),
        "{written}"
    );
    assert_eq!(
        parse(&written).unwrap(),
        Scenario {
            seed: Some(7),
            ..scenario
        }
    );
    // Every bug reads back by its own name.
    let every = format!(
        "bugs = [{}]\n",
        Bug::ALL.map(|bug| format!("{:?}", bug.name())).join(", ")
    );
    let all = parse(&every).unwrap();
    assert_eq!(all.bugs, Bug::ALL.into_iter().collect::<Bugs>());
    assert_eq!(parse(&all.to_toml(None)).unwrap(), all);
    // None planted: no `bugs` line, and an empty list is the correct code too.
    assert!(parse("").unwrap().bugs.is_empty());
    assert!(!parse("").unwrap().to_toml(None).contains("bugs"));
    assert!(parse("bugs = []\n").unwrap().bugs.is_empty());
}

#[test]
fn an_unknown_bug_is_an_error_at_its_name() {
    let e =
        error("duration_ms = 100\nbugs = [\n  \"lock-no-recheck\",\n  \"lock-no-rechek\",\n]\n");
    assert_eq!((e.line, e.column, e.field.as_str()), (4, 3, "bugs"), "{e}");
    let known: Vec<&str> = Bug::ALL.iter().map(|bug| bug.name()).collect();
    assert_eq!(
        e.message,
        format!(
            "expected the name of a known bug (see `lockstep bugs`), one of {}, found \"lock-no-rechek\"",
            known.join(", ")
        )
    );
    let e = error("bugs = \"lock-no-recheck\"\n");
    assert_eq!(e.line, 1, "{e}");
    assert!(e.message.contains("expected a sequence"), "{e}");
}

#[test]
fn only_the_workloads_own_table_is_written() {
    let tables = |text: &str| {
        let written = parse(text).unwrap().to_toml(None);
        ["[lock]", "[lease]", "[election]"]
            .into_iter()
            .filter(|table| written.lines().any(|line| line == *table))
            .collect::<Vec<_>>()
    };
    assert_eq!(tables(FULL), ["[lock]"]);
    assert_eq!(tables(FULL_LEASE), ["[lease]"]);
    assert_eq!(tables(FULL_ELECTION), ["[election]"]);
    assert!(tables("").is_empty());
    let written = parse("").unwrap().to_toml(None);
    assert!(written.contains("\nlease_checkpoint_ms = 0\n"), "{written}");
    assert!(
        written.contains("\n[workload]\nkind = \"kv\"\n"),
        "{written}"
    );
}

#[test]
fn a_list_of_workloads_is_dealt_to_the_clients_in_turn_and_written_back() {
    let text = "[workload]\nclients = 5\nkind = [\"kv\", \"lock\", \"election\"]\n\n[lock]\nfencing = true\n\n[election]\nproclaim_ms = 50\n";
    let scenario = parse(text).unwrap();
    let dealt: Vec<WorkloadKind> = (1..=5).map(|id| scenario.workload.kind_of(id)).collect();
    use WorkloadKind::{Election, Kv, Lock};
    assert_eq!(dealt, [Kv, Lock, Election, Kv, Lock]);
    assert!(scenario.lock.fencing);
    assert_eq!(scenario.election.proclaim_ms, 50);
    let written = scenario.to_toml(None);
    assert!(
        written.contains("\nkind = [\"kv\", \"lock\", \"election\"]\n"),
        "{written}"
    );
    assert!(written.contains("\n[lock]\n") && written.contains("\n[election]\n"));
    assert!(!written.contains("\n[lease]\n"), "{written}");
    assert_eq!(parse(&written).unwrap(), scenario);
    // The shrinker's knobs are read and written back; absent, they are off.
    assert_eq!(
        (
            scenario.workload.start_ms,
            scenario.workload.rounds_per_client
        ),
        (0, None)
    );
    let knobs = parse("[workload]\nstart_ms = 2500\nrounds_per_client = 7\n").unwrap();
    assert_eq!(
        (knobs.workload.start_ms, knobs.workload.rounds_per_client),
        (2500, Some(7))
    );
    assert_eq!(parse(&knobs.to_toml(None)).unwrap(), knobs);
    // Listed twice, a kind goes to more of the clients.
    let weighted = parse("[workload]\nclients = 3\nkind = [\"kv\", \"kv\", \"lease\"]\n").unwrap();
    let dealt: Vec<WorkloadKind> = (1..=3).map(|id| weighted.workload.kind_of(id)).collect();
    assert_eq!(dealt, [Kv, Kv, WorkloadKind::Lease]);
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
        through_liveness: false,
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
        fault(
            18_500,
            FaultAction::PauseClient {
                client: ClientTarget::Id(6),
            },
            Some(2_500),
        ),
        fault(
            19_000,
            FaultAction::PauseClient {
                client: ClientTarget::LockHolder,
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
            "not used by a `swizzle` fault (only isolate, split, partition, bridge, cut, crash, pause, freeze, delay, loss, duplicate, reorder, hold, slow-disk, clock-rate and pause-client can be undone)",
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
        // `pause-client` (the default workload: 4 clients doing kv operations).
        (
            "kind = \"pause-client\"\nfor_ms = 100\n",
            5,
            "faults[0].client",
            "missing; a `pause-client` fault needs a client id from 1 to 4 (workload.clients)",
        ),
        (
            "kind = \"pause-client\"\nclient = 5\n",
            6,
            "faults[0].client",
            "expected a client id from 1 to 4 (workload.clients), found 5",
        ),
        (
            "kind = \"pause-client\"\nclient = 0\n",
            6,
            "faults[0].client",
            "found 0",
        ),
        (
            "kind = \"pause-client\"\nclient = \"lock-holder\"\n",
            6,
            "faults[0].client",
            "\"lock-holder\" is only valid when workload.kind lists \"lock\", but workload.kind is \"kv\"",
        ),
        (
            "kind = \"pause-client\"\nclient = \"leader\"\n",
            6,
            "faults[0].client",
            "expected a client id from 1 to 4 (workload.clients), found \"leader\"",
        ),
        (
            "kind = \"pause-client\"\nclient = 1\nnode = 1\n",
            7,
            "faults[0].node",
            "not used by a `pause-client` fault; remove it",
        ),
        // `client` on a fault that strikes no client.
        (
            "kind = \"pause\"\nclient = 1\nnode = 1\n",
            6,
            "faults[0].client",
            "not used by a `pause` fault; remove it",
        ),
        (
            "kind = \"heal\"\nclient = \"lock-holder\"\n",
            6,
            "faults[0].client",
            "not used by a `heal` fault; remove it",
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
fn a_client_fault_names_a_client_of_the_workload() {
    let lock = |clients: u64, client: &str| {
        format!(
            "[workload]\nkind = \"lock\"\nclients = {clients}\n[[faults]]\nat_ms = 1\nkind = \"pause-client\"\nclient = {client}\nfor_ms = 300\n"
        )
    };
    let fault = &parse(&lock(2, "\"lock-holder\"")).unwrap().faults[0];
    assert_eq!(
        (&fault.action, fault.for_ms),
        (
            &FaultAction::PauseClient {
                client: ClientTarget::LockHolder
            },
            Some(300)
        )
    );
    let fault = &parse(&lock(2, "2")).unwrap().faults[0];
    assert_eq!(
        fault.action,
        FaultAction::PauseClient {
            client: ClientTarget::Id(2)
        }
    );
    // Once the clients take locks, the lock holder is among the choices an error lists.
    let e = error(&lock(2, "3"));
    assert_eq!((e.line, e.field.as_str()), (7, "faults[0].client"), "{e}");
    assert_eq!(
        e.message,
        "expected a client id from 1 to 2 (workload.clients) or \"lock-holder\", found 3"
    );
    let e = error(&lock(0, "\"lock-holder\""));
    assert_eq!((e.line, e.field.as_str()), (7, "faults[0].client"), "{e}");
    assert_eq!(
        e.message,
        "a `pause-client` fault needs a client to strike, but workload.clients = 0"
    );
}

#[test]
fn workload_errors_name_line_and_field() {
    // (the file, the line and field of the error, a piece of its message)
    let cases = [
        (
            "[workload]\nclients = 2\nkind = \"mutex\"\n",
            3,
            "workload.kind",
            "expected one of kv, lock, lease, election, found \"mutex\"",
        ),
        (
            "[workload]\nkind = 3\n",
            2,
            "",
            "expected a workload kind (\"kv\") or a list of them",
        ),
        (
            "duration_ms = 5000\n[workload]\nstart_ms = 5000\n",
            3,
            "workload.start_ms",
            "expected a time in ms before the end of the safety phase (duration_ms) between 0 and 4999, found 5000",
        ),
        (
            "[workload]\nrounds_per_client = 0\n",
            2,
            "workload.rounds_per_client",
            "expected a round count between 1 and 1000000, found 0",
        ),
        (
            "[workload]\nkind = []\n",
            2,
            "workload.kind",
            "expected at least one workload kind, found an empty list",
        ),
        (
            "[workload]\nkind = [\"kv\", \"mutex\"]\n",
            2,
            "workload.kind",
            "expected one of kv, lock, lease, election, found \"mutex\"",
        ),
        (
            "[workload]\nkind = [\"kv\", \"lease\"]\n[lock]\nfencing = true\n",
            3,
            "lock",
            "[lock] is only read when workload.kind lists \"lock\", but workload.kind is [\"kv\", \"lease\"]",
        ),
        (
            "[cluster]\nlease_checkpoint_ms = 99\n",
            2,
            "cluster.lease_checkpoint_ms",
            "expected 0 (off) or a checkpoint interval in ms between 100 and 3600000, found 99",
        ),
        (
            "[cluster]\nlease_checkpoint_ms = 3600001\n",
            2,
            "cluster.lease_checkpoint_ms",
            "found 3600001",
        ),
        (
            "[cluster]\nlease_expiry_check_ms = 60001\n",
            2,
            "cluster.lease_expiry_check_ms",
            "expected 0 (every tick) or a check interval in ms between 1 and 60000, found 60001",
        ),
        (
            "[workload]\nretry_backoff_min_ms = 300\nretry_backoff_max_ms = 100\n",
            3,
            "workload.retry_backoff_max_ms",
            "expected at least `workload.retry_backoff_min_ms` (300), found 100",
        ),
        (
            "[cluster]\nnodes = 3\npre_vote = \"off\"\n",
            3,
            "",
            "expected a boolean",
        ),
        // A table for another workload than the one that runs.
        (
            "[workload]\nkind = \"kv\"\n\n[lock]\nfencing = true\n",
            4,
            "lock",
            "[lock] is only read when workload.kind lists \"lock\", but workload.kind is \"kv\"; remove the table or add \"lock\" to workload.kind",
        ),
        (
            "duration_ms = 5000\n[lock]\nlocks = 2\n",
            2,
            "lock",
            "only read when workload.kind lists \"lock\", but workload.kind is \"kv\"",
        ),
        (
            "[workload]\nkind = \"lock\"\n[lease]\nttl_s = 5\n",
            3,
            "lease",
            "[lease] is only read when workload.kind lists \"lease\", but workload.kind is \"lock\"",
        ),
        (
            "[workload]\nkind = \"lease\"\n[lease]\n[election]\n",
            4,
            "election",
            "[election] is only read when workload.kind lists \"election\", but workload.kind is \"lease\"",
        ),
        // Values out of range, and bounds out of order.
        (
            "[workload]\nkind = \"lock\"\n[lock]\nlocks = 1\nsession_ttl_s = 0\n",
            5,
            "lock.session_ttl_s",
            "expected a TTL in seconds between 1 and 3600, found 0",
        ),
        (
            "[workload]\nkind = \"lock\"\n[lock]\nlocks = 101\n",
            4,
            "lock.locks",
            "expected a lock count between 1 and 100, found 101",
        ),
        (
            "[workload]\nkind = \"lock\"\n[lock]\nhold_min_ms = 500\nhold_max_ms = 400\n",
            5,
            "lock.hold_max_ms",
            "expected at least `lock.hold_min_ms` (500), found 400",
        ),
        (
            "[workload]\nkind = \"lock\"\n[lock]\nhold_max_ms = 600001\n",
            4,
            "lock.hold_max_ms",
            "between 0 and 600000, found 600001",
        ),
        (
            "[workload]\nkind = \"lock\"\n[lock]\nfencing = \"yes\"\n",
            4,
            "",
            "expected a boolean",
        ),
        (
            "[workload]\nkind = \"lock\"\n[lock]\nfence = true\n",
            4,
            "",
            "unknown field `fence`",
        ),
        (
            "[workload]\nkind = \"lease\"\n[lease]\nttl_s = 3601\n",
            4,
            "lease.ttl_s",
            "expected a TTL in seconds between 1 and 3600, found 3601",
        ),
        (
            "[workload]\nkind = \"lease\"\n[lease]\nkeep_min_ms = 6000\nkeep_max_ms = 5999\n",
            5,
            "lease.keep_max_ms",
            "expected at least `lease.keep_min_ms` (6000), found 5999",
        ),
        (
            "[workload]\nkind = \"lease\"\n[lease]\nrevoke_percent = 101\n",
            4,
            "lease.revoke_percent",
            "between 0 and 100, found 101",
        ),
        (
            "[workload]\nkind = \"lease\"\n[lease]\nkeys_per_lease = 101\n",
            4,
            "lease.keys_per_lease",
            "between 0 and 100, found 101",
        ),
        (
            "[workload]\nkind = \"election\"\n[election]\nsession_ttl_s = 0\n",
            4,
            "election.session_ttl_s",
            "between 1 and 3600, found 0",
        ),
        (
            "[workload]\nkind = \"election\"\n[election]\nserve_min_ms = 10\nserve_max_ms = 9\n",
            5,
            "election.serve_max_ms",
            "expected at least `election.serve_min_ms` (10), found 9",
        ),
        (
            "[workload]\nkind = \"election\"\n[election]\nproclaim_ms = 0\n",
            4,
            "election.proclaim_ms",
            "expected an interval in ms between 1 and 600000, found 0",
        ),
    ];
    for (text, line, field, message) in cases {
        let e = error(text);
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
        (
            "[workload]\nclients = 0\n[swarm]\nkinds = [\"pause-client\"]\n",
            "swarm.kinds",
            "needs a client to pause, but workload.clients = 0",
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

#[test]
fn a_drawn_swarm_keeps_the_workload_and_the_cluster_as_they_are() {
    use rand::SeedableRng;
    let text = format!("{FULL}\n[swarm]\nfaults = 20\n");
    let scenario = parse(&text).unwrap();
    for seed in 0..20 {
        let drawn = scenario.draw_swarm(&mut rand::rngs::StdRng::seed_from_u64(seed));
        assert_eq!(drawn.swarm, None);
        assert_eq!(
            Scenario {
                faults: scenario.faults.clone(),
                swarm: scenario.swarm.clone(),
                ..drawn.clone()
            },
            scenario
        );
        // The swarm draws no client faults; the scripted ones are still there.
        let client_faults = drawn
            .faults
            .iter()
            .filter(|fault| matches!(fault.action, FaultAction::PauseClient { .. }))
            .count();
        assert_eq!(client_faults, 2);
        assert_eq!(parse(&drawn.to_toml(None)).unwrap(), drawn);
    }
}

#[test]
fn a_swarm_listing_pause_client_pauses_workload_clients_and_lock_holders() {
    use rand::SeedableRng;
    let text = "[workload]\nclients = 3\nkind = [\"kv\", \"lock\"]\n[swarm]\nkinds = [\"pause-client\"]\nfaults = 10\n";
    let scenario = parse(text).unwrap();
    let mut targets = std::collections::BTreeSet::new();
    for seed in 0..10 {
        let drawn = scenario.draw_swarm(&mut rand::rngs::StdRng::seed_from_u64(seed));
        for fault in &drawn.faults {
            let FaultAction::PauseClient { client } = &fault.action else {
                panic!("only pause-client was listed: {fault:?}");
            };
            assert!(fault.for_ms.is_some(), "a paused client is resumed");
            targets.insert(format!("{client:?}"));
        }
        assert_eq!(parse(&drawn.to_toml(None)).unwrap(), drawn);
    }
    assert_eq!(
        targets,
        ["Id(1)", "Id(2)", "Id(3)", "LockHolder"]
            .map(String::from)
            .into()
    );
    // Without a lock workload there is no lock holder to pick.
    let kv = parse("[workload]\nclients = 2\n[swarm]\nkinds = [\"pause-client\"]\nfaults = 10\n")
        .unwrap();
    for seed in 0..10 {
        let drawn = kv.draw_swarm(&mut rand::rngs::StdRng::seed_from_u64(seed));
        assert!(drawn.faults.iter().all(|fault| matches!(
            fault.action,
            FaultAction::PauseClient {
                client: ClientTarget::Id(1 | 2)
            }
        )));
    }
}

#[test]
fn a_partition_can_last_through_the_liveness_phase_and_is_written_back() {
    let text = "duration_ms = 5000\n\n[liveness]\nsteady_leader_ms = 3000\n\n\
                [[faults]]\nat_ms = 1000\nkind = \"cut\"\nfrom = 1\nto = 2\nthrough_liveness = true\n\n\
                [[faults]]\nat_ms = 1000\nkind = \"bridge\"\nnode = \"random\"\nthrough_liveness = false\nfor_ms = 500\n";
    let scenario = parse(text).unwrap();
    assert_eq!(scenario.liveness.steady_leader_ms, 3000);
    let lasting: Vec<bool> = scenario
        .faults
        .iter()
        .map(|fault| fault.through_liveness)
        .collect();
    assert_eq!(
        lasting,
        [true, false],
        "false is the default, written or not"
    );
    let written = scenario.to_toml(None);
    assert!(written.contains("\nthrough_liveness = true\n"), "{written}");
    assert_eq!(written.matches("through_liveness").count(), 1, "{written}");
    assert!(written.contains("\nsteady_leader_ms = 3000\n"), "{written}");
    assert_eq!(parse(&written).unwrap(), scenario);
    let plain = parse("duration_ms = 5000\n").unwrap();
    assert_eq!(
        plain.liveness.steady_leader_ms, 0,
        "not demanded by default"
    );
    assert!(!plain.to_toml(None).contains("steady_leader_ms"));
}

#[test]
fn only_a_partition_or_cut_with_no_end_can_last_through_the_liveness_phase() {
    let fault = |fields: &str| {
        error(&format!(
            "duration_ms = 5000\n[[faults]]\nat_ms = 1000\n{fields}\nthrough_liveness = true\n"
        ))
    };
    let e = fault("kind = \"crash\"\nnode = 1");
    assert_eq!(
        (e.line, e.field.as_str()),
        (6, "faults[0].through_liveness"),
        "{e}"
    );
    assert_eq!(
        e.message,
        "not used by a `crash` fault (only isolate, split, partition, bridge and cut can last \
         through the liveness phase)"
    );
    let e = fault("kind = \"isolate\"\nnode = 1\nfor_ms = 500");
    assert_eq!(e.field, "faults[0].through_liveness", "{e}");
    assert_eq!(
        e.message,
        "a fault that lasts through the liveness phase is never undone; remove `for_ms` or \
         `through_liveness`"
    );
    let e = error(
        "duration_ms = 5000\n[[faults]]\nat_ms = 1000\nkind = \"split\"\nthrough_liveness = 1\n",
    );
    assert_eq!(e.line, 5, "{e}");
}

#[test]
fn a_steady_leader_must_be_demanded_for_less_than_the_liveness_timeout() {
    let e = error("[liveness]\ntimeout_ms = 4000\nsteady_leader_ms = 4000\n");
    assert_eq!(
        (e.line, e.field.as_str()),
        (3, "liveness.steady_leader_ms"),
        "{e}"
    );
    assert_eq!(
        e.message,
        "expected a time in ms, shorter than liveness.timeout_ms (0: not demanded), between 0 and 3999, found 4000"
    );
}
