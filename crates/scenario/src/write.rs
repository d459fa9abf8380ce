//! A scenario written back as TOML, with every default spelled out: the exact input that
//! replays a run, kept next to its report.

use crate::{
    ClientTarget, FaultAction, Knob, LinkEffect, NodeTarget, Scenario, SwarmConfig, WorkloadKind,
};
use std::fmt::Write;

impl Scenario {
    /// The scenario as a complete TOML file. `seed` (if given) is pinned in the file, so
    /// running the file again without `--seed` replays the same run.
    pub fn to_toml(&self, seed: Option<u64>) -> String {
        let mut out = String::new();
        let quoted = |text: &str| toml::Value::String(text.to_string()).to_string();
        writeln!(out, "name = {}", quoted(&self.name)).unwrap();
        if !self.description.is_empty() {
            writeln!(out, "description = {}", quoted(&self.description)).unwrap();
        }
        if let Some(seed) = seed.or(self.seed) {
            writeln!(out, "seed = {seed}").unwrap();
        }
        writeln!(out, "duration_ms = {}", self.duration_ms).unwrap();
        // Only when some are planted: the file of a correct run stays as it always was.
        if !self.bugs.is_empty() {
            let names: Vec<String> = self.bugs.iter().map(|bug| quoted(bug.name())).collect();
            writeln!(out, "bugs = [{}]", names.join(", ")).unwrap();
        }

        let c = &self.cluster;
        writeln!(out, "\n[cluster]").unwrap();
        writeln!(out, "nodes = {}", c.nodes).unwrap();
        writeln!(out, "tick_ms = {}", c.tick_ms).unwrap();
        writeln!(out, "election_ticks = {}", c.election_ticks).unwrap();
        writeln!(out, "heartbeat_ticks = {}", c.heartbeat_ticks).unwrap();
        writeln!(out, "fsync_us = {}", c.fsync_us).unwrap();
        writeln!(
            out,
            "snapshot_interval_entries = {}",
            c.snapshot_interval_entries
        )
        .unwrap();
        writeln!(out, "catch_up_entries = {}", c.catch_up_entries).unwrap();
        writeln!(out, "lease_checkpoint_ms = {}", c.lease_checkpoint_ms).unwrap();
        writeln!(out, "pre_vote = {}", c.pre_vote).unwrap();
        writeln!(out, "lease_expiry_check_ms = {}", c.lease_expiry_check_ms).unwrap();

        let n = &self.network;
        writeln!(out, "\n[network]").unwrap();
        writeln!(out, "latency_min_ms = {}", n.latency_min_ms).unwrap();
        writeln!(out, "latency_max_ms = {}", n.latency_max_ms).unwrap();

        let w = &self.workload;
        writeln!(out, "\n[workload]").unwrap();
        writeln!(out, "kind = {}", w.kinds_toml()).unwrap();
        writeln!(out, "clients = {}", w.clients).unwrap();
        writeln!(out, "keys = {}", w.keys).unwrap();
        writeln!(out, "request_timeout_ms = {}", w.request_timeout_ms).unwrap();
        writeln!(out, "retry_backoff_min_ms = {}", w.retry_backoff_min_ms).unwrap();
        writeln!(out, "retry_backoff_max_ms = {}", w.retry_backoff_max_ms).unwrap();
        writeln!(out, "think_min_ms = {}", w.think_min_ms).unwrap();
        writeln!(out, "think_max_ms = {}", w.think_max_ms).unwrap();
        if w.start_ms > 0 {
            writeln!(out, "start_ms = {}", w.start_ms).unwrap();
        }
        if let Some(rounds) = w.rounds_per_client {
            writeln!(out, "rounds_per_client = {rounds}").unwrap();
        }
        let m = &w.mix;
        writeln!(
            out,
            "mix = {{ get = {}, put = {}, cas = {}, delete = {} }}",
            m.get, m.put, m.cas, m.delete
        )
        .unwrap();

        // Only the listed workloads' own tables: the parser rejects the others, and leaves
        // them at their defaults, so nothing is lost by leaving them out.
        for kind in &w.kinds {
            match kind {
                WorkloadKind::Kv => {}
                WorkloadKind::Lock => {
                    let l = &self.lock;
                    writeln!(out, "\n[lock]").unwrap();
                    writeln!(out, "locks = {}", l.locks).unwrap();
                    writeln!(out, "session_ttl_s = {}", l.session_ttl_s).unwrap();
                    writeln!(out, "hold_min_ms = {}", l.hold_min_ms).unwrap();
                    writeln!(out, "hold_max_ms = {}", l.hold_max_ms).unwrap();
                    writeln!(out, "fencing = {}", l.fencing).unwrap();
                }
                WorkloadKind::Lease => {
                    let l = &self.lease;
                    writeln!(out, "\n[lease]").unwrap();
                    writeln!(out, "ttl_s = {}", l.ttl_s).unwrap();
                    writeln!(out, "keep_min_ms = {}", l.keep_min_ms).unwrap();
                    writeln!(out, "keep_max_ms = {}", l.keep_max_ms).unwrap();
                    writeln!(out, "revoke_percent = {}", l.revoke_percent).unwrap();
                    writeln!(out, "keys_per_lease = {}", l.keys_per_lease).unwrap();
                }
                WorkloadKind::Election => {
                    let e = &self.election;
                    writeln!(out, "\n[election]").unwrap();
                    writeln!(out, "session_ttl_s = {}", e.session_ttl_s).unwrap();
                    writeln!(out, "serve_min_ms = {}", e.serve_min_ms).unwrap();
                    writeln!(out, "serve_max_ms = {}", e.serve_max_ms).unwrap();
                    writeln!(out, "proclaim_ms = {}", e.proclaim_ms).unwrap();
                }
            }
        }

        writeln!(out, "\n[liveness]").unwrap();
        writeln!(out, "timeout_ms = {}", self.liveness.timeout_ms).unwrap();
        if self.liveness.steady_leader_ms != 0 {
            let steady_leader_ms = self.liveness.steady_leader_ms;
            writeln!(out, "steady_leader_ms = {steady_leader_ms}").unwrap();
        }

        if let Some(swarm) = &self.swarm {
            write_swarm(&mut out, swarm);
        }

        let target = |node: &NodeTarget| match node {
            NodeTarget::Id(id) => id.to_string(),
            NodeTarget::Leader => "\"leader\"".to_string(),
            NodeTarget::Random => "\"random\"".to_string(),
        };
        for fault in &self.faults {
            writeln!(out, "\n[[faults]]").unwrap();
            writeln!(out, "at_ms = {}", fault.at_ms).unwrap();
            writeln!(out, "kind = \"{}\"", fault.action.kind()).unwrap();
            match &fault.action {
                FaultAction::PauseClient { client } => {
                    let client = match client {
                        ClientTarget::Id(id) => id.to_string(),
                        ClientTarget::LockHolder => quoted("lock-holder"),
                    };
                    writeln!(out, "client = {client}").unwrap();
                }
                FaultAction::Isolate { node }
                | FaultAction::Bridge { node }
                | FaultAction::Pause { node }
                | FaultAction::Freeze { node }
                | FaultAction::Replace { node }
                | FaultAction::Restart { node: Some(node) } => {
                    writeln!(out, "node = {}", target(node)).unwrap();
                }
                FaultAction::Crash { node, at_step } => {
                    writeln!(out, "node = {}", target(node)).unwrap();
                    if let Some(step) = at_step {
                        writeln!(out, "at_step = {}", quoted(step.name())).unwrap();
                    }
                }
                FaultAction::SlowDisk { node, fsync_us } => {
                    writeln!(out, "node = {}\nfsync_us = {fsync_us}", target(node)).unwrap();
                }
                FaultAction::ClockJump { node, by_ms } => {
                    writeln!(out, "node = {}\nby_ms = {by_ms}", target(node)).unwrap();
                }
                FaultAction::ClockRate { node, rate_percent } => {
                    writeln!(
                        out,
                        "node = {}\nrate_percent = {rate_percent}",
                        target(node)
                    )
                    .unwrap();
                }
                FaultAction::Cut { from, to } => {
                    writeln!(out, "from = {}", target(from)).unwrap();
                    writeln!(out, "to = {}", target(to)).unwrap();
                }
                FaultAction::Link {
                    links,
                    messages,
                    effect,
                } => {
                    if let Some(from) = &links.from {
                        writeln!(out, "from = {}", target(from)).unwrap();
                    }
                    if let Some(to) = &links.to {
                        writeln!(out, "to = {}", target(to)).unwrap();
                    }
                    if !messages.is_empty() {
                        let names: Vec<String> =
                            messages.iter().map(|kind| quoted(kind.name())).collect();
                        writeln!(out, "messages = [{}]", names.join(", ")).unwrap();
                    }
                    match effect {
                        LinkEffect::Delay {
                            latency_ms,
                            jitter_ms,
                        } => {
                            writeln!(out, "latency_ms = {latency_ms}\njitter_ms = {jitter_ms}")
                                .unwrap();
                        }
                        LinkEffect::Loss { percent }
                        | LinkEffect::Duplicate { percent }
                        | LinkEffect::Reorder { percent } => {
                            writeln!(out, "percent = {percent}").unwrap();
                        }
                        LinkEffect::Hold => {}
                    }
                }
                FaultAction::Swizzle { nodes, step_ms } => {
                    writeln!(out, "nodes = {nodes}\nstep_ms = {step_ms}").unwrap();
                }
                FaultAction::Partition { sides } => {
                    writeln!(out, "sides = {sides:?}").unwrap();
                }
                FaultAction::Split | FaultAction::Heal | FaultAction::Restart { node: None } => {}
            }
            if let Some(for_ms) = fault.for_ms {
                writeln!(out, "for_ms = {for_ms}").unwrap();
            }
            if fault.through_liveness {
                writeln!(out, "through_liveness = true").unwrap();
            }
        }
        out
    }
}

fn write_swarm(out: &mut String, swarm: &SwarmConfig) {
    fn knob<T: std::fmt::Display + PartialEq>(out: &mut String, name: &str, knob: &Knob<T>) {
        if knob.min == knob.max {
            writeln!(out, "{name} = {}", knob.min).unwrap();
        } else {
            writeln!(out, "{name} = [{}, {}]", knob.min, knob.max).unwrap();
        }
    }
    writeln!(out, "\n[swarm]").unwrap();
    let kinds: Vec<String> = swarm.kinds.iter().map(|kind| format!("{kind:?}")).collect();
    writeln!(out, "kinds = [{}]", kinds.join(", ")).unwrap();
    knob(out, "kinds_on", &swarm.kinds_on);
    knob(out, "faults", &swarm.faults);
    writeln!(out, "start_ms = {}", swarm.start_ms).unwrap();
    knob(out, "for_ms", &swarm.for_ms);
    knob(out, "percent", &swarm.percent);
    knob(out, "latency_ms", &swarm.latency_ms);
    knob(out, "jitter_ms", &swarm.jitter_ms);
    writeln!(out, "typed_percent = {}", swarm.typed_percent).unwrap();
    knob(out, "rate_percent", &swarm.rate_percent);
    knob(out, "jump_ms", &swarm.jump_ms);
    knob(out, "fsync_us", &swarm.fsync_us);
    knob(out, "step_ms", &swarm.step_ms);
}
