//! Swarm mode: the fault mix itself is drawn from the seed.
//!
//! Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012) finds more bugs than one
//! fixed mix of everything: a run with only a few kinds of fault switched on goes deeper
//! into what those kinds do, and different seeds explore different weather. A scenario
//! with a `[swarm]` table gets, for each seed, a drawn set of kinds switched on, a drawn
//! number of faults of those kinds at drawn times, with drawn durations and strengths.
//! Every knob is a range `[min, max]` or a single pinned value.
//!
//! [`Scenario::draw_swarm`] turns a swarm scenario into a plain scripted one: written back
//! with [`Scenario::to_toml`], it replays the very same run.

use crate::{
    ClientTarget, FaultAction, LinkEffect, LinkSelector, MessageKind, NodeTarget, PersistStep,
    Scenario, ScheduledFault, WorkloadKind,
};
use rand::seq::SliceRandom;
use rand::Rng;

/// A knob: drawn uniformly from `[min, max]` for each run; `min == max` pins it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Knob<T> {
    pub min: T,
    pub max: T,
}

impl<T: Copy + PartialOrd + rand::distributions::uniform::SampleUniform> Knob<T> {
    pub const fn new(min: T, max: T) -> Knob<T> {
        Knob { min, max }
    }

    fn draw(&self, rng: &mut impl Rng) -> T {
        rng.gen_range(self.min..=self.max)
    }
}

/// The `[swarm]` table: what a run's faults are drawn from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwarmConfig {
    /// The kinds of fault a run may switch on (by their scenario names).
    pub kinds: Vec<&'static str>,
    /// How many of `kinds` one run switches on.
    pub kinds_on: Knob<u64>,
    /// How many faults one run gets.
    pub faults: Knob<u64>,
    /// No fault fires before this time, so the cluster has elected its first leader.
    pub start_ms: u64,
    /// How long a fault that can be undone lasts.
    pub for_ms: Knob<u64>,
    /// Rate of loss, duplication, reordering.
    pub percent: Knob<u64>,
    /// Extra latency, and jitter, of a delay.
    pub latency_ms: Knob<u64>,
    pub jitter_ms: Knob<u64>,
    /// The share of link faults limited to a few drawn message kinds (the rest touch every
    /// message).
    pub typed_percent: u64,
    /// Clock rates, and jumps (never 0), of clock faults.
    pub rate_percent: Knob<u64>,
    pub jump_ms: Knob<i64>,
    pub fsync_us: Knob<u64>,
    /// Time between the steps of a swizzle-clog.
    pub step_ms: Knob<u64>,
}

/// The kinds a swarm draws from unless the scenario says otherwise: every kind of fault the
/// correct cluster must survive that needs no more configuration than a swarm can draw
/// (`partition` needs sides; `heal` and `restart` are what undoing does anyway).
/// `pause-client` is left out: it strikes a client, not the cluster, so a scenario lists it
/// when its clients' pauses matter (a lock workload's holders).
pub const DEFAULT_SWARM_KINDS: [&str; 17] = [
    "isolate",
    "split",
    "bridge",
    "cut",
    "crash",
    "pause",
    "freeze",
    "delay",
    "loss",
    "duplicate",
    "reorder",
    "hold",
    "swizzle",
    "slow-disk",
    "clock-jump",
    "clock-rate",
    "replace",
];

/// Every kind a swarm can draw: the default ones and `pause-client`, which pauses a drawn
/// client, or whichever client holds a lock when the workload takes locks.
pub fn swarm_kinds() -> Vec<&'static str> {
    let mut kinds = DEFAULT_SWARM_KINDS.to_vec();
    kinds.push("pause-client");
    kinds
}

impl Default for SwarmConfig {
    fn default() -> Self {
        SwarmConfig {
            kinds: DEFAULT_SWARM_KINDS.to_vec(),
            kinds_on: Knob::new(1, DEFAULT_SWARM_KINDS.len() as u64),
            faults: Knob::new(3, 12),
            start_ms: 1_000,
            for_ms: Knob::new(200, 4_000),
            percent: Knob::new(5, 60),
            latency_ms: Knob::new(5, 400),
            jitter_ms: Knob::new(0, 100),
            typed_percent: 30,
            rate_percent: Knob::new(50, 300),
            jump_ms: Knob::new(-3_000, 3_000),
            fsync_us: Knob::new(5_000, 300_000),
            step_ms: Knob::new(100, 800),
        }
    }
}

impl Scenario {
    /// The scenario with its swarm drawn: the scripted faults, then the drawn ones, in time
    /// order, and no `[swarm]` table. A scenario without one is returned as it is.
    pub fn draw_swarm(&self, rng: &mut impl Rng) -> Scenario {
        let Some(swarm) = &self.swarm else {
            return self.clone();
        };
        let mut kinds = swarm.kinds.clone();
        kinds.shuffle(rng);
        let kinds_on = swarm.kinds_on.draw(rng).clamp(1, kinds.len() as u64);
        kinds.truncate(kinds_on as usize);
        let mut drawn: Vec<ScheduledFault> = (0..swarm.faults.draw(rng))
            .map(|_| {
                let kind = kinds.choose(rng).expect("at least one kind is on");
                let at_ms =
                    rng.gen_range(swarm.start_ms.min(self.duration_ms - 1)..self.duration_ms);
                let action = swarm.draw_action(kind, self, rng);
                let for_ms = action.can_be_undone().then(|| swarm.for_ms.draw(rng));
                ScheduledFault {
                    at_ms,
                    action,
                    for_ms,
                    through_liveness: false,
                }
            })
            .collect();
        drawn.sort_by_key(|fault| fault.at_ms);
        let mut scenario = self.clone();
        scenario.swarm = None;
        scenario.faults.extend(drawn);
        scenario.faults.sort_by_key(|fault| fault.at_ms);
        scenario
    }
}

impl SwarmConfig {
    fn draw_action(&self, kind: &str, scenario: &Scenario, rng: &mut impl Rng) -> FaultAction {
        let nodes = scenario.cluster.nodes;
        let node = target(rng);
        match kind {
            "isolate" => FaultAction::Isolate { node },
            "split" => FaultAction::Split,
            "bridge" => FaultAction::Bridge { node },
            "cut" => FaultAction::Cut {
                from: node,
                to: NodeTarget::Random,
            },
            "crash" => FaultAction::Crash {
                node,
                at_step: if rng.gen_bool(0.5) {
                    None
                } else {
                    PersistStep::ALL.choose(rng).map(|(step, _)| *step)
                },
            },
            "pause" => FaultAction::Pause { node },
            "freeze" => FaultAction::Freeze { node },
            "delay" => self.link(
                LinkEffect::Delay {
                    latency_ms: self.latency_ms.draw(rng),
                    jitter_ms: self.jitter_ms.draw(rng),
                },
                rng,
            ),
            "loss" => self.link(
                LinkEffect::Loss {
                    percent: self.percent.draw(rng),
                },
                rng,
            ),
            "duplicate" => self.link(
                LinkEffect::Duplicate {
                    percent: self.percent.draw(rng),
                },
                rng,
            ),
            "reorder" => self.link(
                LinkEffect::Reorder {
                    percent: self.percent.draw(rng),
                },
                rng,
            ),
            "hold" => self.link(LinkEffect::Hold, rng),
            "swizzle" => FaultAction::Swizzle {
                nodes: rng.gen_range(1..=nodes),
                step_ms: self.step_ms.draw(rng),
            },
            "slow-disk" => FaultAction::SlowDisk {
                node,
                fsync_us: self.fsync_us.draw(rng),
            },
            "clock-jump" => FaultAction::ClockJump {
                node,
                by_ms: match self.jump_ms.draw(rng) {
                    0 => 1,
                    by_ms => by_ms,
                },
            },
            "clock-rate" => FaultAction::ClockRate {
                node,
                rate_percent: self.rate_percent.draw(rng),
            },
            "replace" => FaultAction::Replace { node },
            "pause-client" => FaultAction::PauseClient {
                client: if scenario.workload.lists(WorkloadKind::Lock) && rng.gen_bool(0.5) {
                    ClientTarget::LockHolder
                } else {
                    ClientTarget::Id(rng.gen_range(1..=scenario.workload.clients))
                },
            },
            other => unreachable!("swarm kinds are checked when the scenario is read: {other}"),
        }
    }

    /// A link fault on drawn endpoints, touching every message or a few drawn kinds.
    fn link(&self, effect: LinkEffect, rng: &mut impl Rng) -> FaultAction {
        let end = |rng: &mut dyn rand::RngCore| rng.gen_bool(0.5).then(|| target(rng));
        let links = LinkSelector {
            from: end(rng),
            to: end(rng),
        };
        let messages = if rng.gen_range(0..100) < self.typed_percent {
            let count = rng.gen_range(1..=3);
            let mut kinds: Vec<MessageKind> = MessageKind::ALL
                .choose_multiple(rng, count)
                .map(|(kind, _)| *kind)
                .collect();
            kinds.sort();
            kinds
        } else {
            Vec::new()
        };
        FaultAction::Link {
            links,
            messages,
            effect,
        }
    }
}

/// The leader or a random node, alike.
fn target(rng: &mut (impl Rng + ?Sized)) -> NodeTarget {
    if rng.gen_bool(0.5) {
        NodeTarget::Leader
    } else {
        NodeTarget::Random
    }
}
