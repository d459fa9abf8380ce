//! The nemesis: applies the scenario's fault schedule to the cluster, resolving targets
//! ("the leader", "a random node") at the moment each fault fires, and recording the
//! concrete fault in the history.

use crate::clock::RunClock;
use crate::cluster::Cluster;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use scenario::{FaultAction, NodeTarget, ScheduledFault};
use std::collections::BTreeMap;

/// A step of the timeline: a scheduled fault, or the undoing of one that fired.
#[derive(Clone, Debug)]
enum Step {
    Apply(FaultAction, Option<u64>),
    Heal,
    Restart(u64),
    Resume(u64),
}

pub struct Nemesis {
    rng: SmallRng,
    /// Pending steps by (time in ms, order of insertion).
    timeline: BTreeMap<(u64, u64), Step>,
    inserted: u64,
    /// Undo steps after this time are dropped: the liveness phase heals everything.
    end_ms: u64,
}

impl Nemesis {
    pub fn new(schedule: &[ScheduledFault], rng: SmallRng, end_ms: u64) -> Nemesis {
        let mut nemesis = Nemesis {
            rng,
            timeline: BTreeMap::new(),
            inserted: 0,
            end_ms,
        };
        for fault in schedule {
            nemesis.push(fault.at_ms, Step::Apply(fault.action.clone(), fault.for_ms));
        }
        nemesis
    }

    fn push(&mut self, at_ms: u64, step: Step) {
        if at_ms < self.end_ms {
            self.timeline.insert((at_ms, self.inserted), step);
            self.inserted += 1;
        }
    }

    /// Applies every step in time order until the schedule is exhausted.
    pub async fn run(mut self, cluster: &Cluster, clock: RunClock) {
        while let Some(((at_ms, _), step)) = self.timeline.pop_first() {
            madsim::time::sleep_until(clock.at_ms(at_ms)).await;
            self.apply(at_ms, step, cluster);
        }
    }

    fn apply(&mut self, at_ms: u64, step: Step, cluster: &Cluster) {
        match step {
            Step::Heal => cluster.heal(),
            Step::Restart(node) => cluster.restart(node),
            Step::Resume(node) => cluster.resume(node),
            Step::Apply(action, for_ms) => {
                let undo = self.apply_action(action, cluster);
                if let (Some(undo), Some(for_ms)) = (undo, for_ms) {
                    self.push(at_ms + for_ms, undo);
                }
            }
        }
    }

    /// Applies an action; returns the step that undoes it, if it did anything.
    fn apply_action(&mut self, action: FaultAction, cluster: &Cluster) -> Option<Step> {
        match action {
            FaultAction::Isolate { node } => {
                let node = self.resolve(&node, &cluster.up_nodes(), cluster)?;
                let rest: Vec<u64> = cluster
                    .all_nodes()
                    .into_iter()
                    .filter(|&n| n != node)
                    .collect();
                cluster.partition(vec![vec![node], rest]);
                Some(Step::Heal)
            }
            FaultAction::Split => {
                let mut nodes = cluster.all_nodes();
                nodes.shuffle(&mut self.rng);
                let minority = nodes.split_off(nodes.len() - nodes.len() / 2);
                if minority.is_empty() {
                    return None;
                }
                nodes.sort_unstable();
                let mut minority = minority;
                minority.sort_unstable();
                cluster.partition(vec![nodes, minority]);
                Some(Step::Heal)
            }
            FaultAction::Partition { sides } => {
                cluster.partition(sides);
                Some(Step::Heal)
            }
            FaultAction::Bridge { node } => {
                let bridge = self.resolve(&node, &cluster.all_nodes(), cluster)?;
                let mut others: Vec<u64> = cluster
                    .all_nodes()
                    .into_iter()
                    .filter(|&n| n != bridge)
                    .collect();
                if others.len() < 2 {
                    return None;
                }
                others.shuffle(&mut self.rng);
                let mut second = others.split_off(others.len() / 2);
                others.sort_unstable();
                second.sort_unstable();
                // The bridge is on neither side, so it keeps its links to both.
                cluster.partition(vec![others, second]);
                Some(Step::Heal)
            }
            FaultAction::Cut { from, to } => {
                let all = cluster.all_nodes();
                let from = self.resolve(&from, &all, cluster)?;
                let others: Vec<u64> = all.into_iter().filter(|&n| n != from).collect();
                let to = self.resolve(&to, &others, cluster)?;
                cluster.cut(from, to);
                Some(Step::Heal)
            }
            FaultAction::Pause { node } => {
                let node = self.resolve(&node, &cluster.running_nodes(), cluster)?;
                cluster.pause(node);
                Some(Step::Resume(node))
            }
            FaultAction::Heal => {
                cluster.heal();
                None
            }
            FaultAction::Crash { node, at_step: _ } => {
                let node = self.resolve(&node, &cluster.up_nodes(), cluster)?;
                cluster.crash(node);
                Some(Step::Restart(node))
            }
            FaultAction::Freeze { .. }
            | FaultAction::Link { .. }
            | FaultAction::Swizzle { .. }
            | FaultAction::SlowDisk { .. }
            | FaultAction::ClockJump { .. }
            | FaultAction::ClockRate { .. }
            | FaultAction::Replace { .. } => todo!("fault kinds in progress"),
            FaultAction::Restart { node: None } => {
                for node in cluster.crashed_nodes() {
                    cluster.restart(node);
                }
                None
            }
            FaultAction::Restart { node: Some(target) } => {
                let node = self.resolve(&target, &cluster.crashed_nodes(), cluster)?;
                cluster.restart(node);
                None
            }
        }
    }

    /// The concrete node among `candidates`, or `None` if there is none to strike.
    fn resolve(
        &mut self,
        target: &NodeTarget,
        candidates: &[u64],
        cluster: &Cluster,
    ) -> Option<u64> {
        match target {
            NodeTarget::Id(id) => candidates.contains(id).then_some(*id),
            NodeTarget::Leader => cluster
                .leader()
                .filter(|leader| candidates.contains(leader))
                .or_else(|| candidates.choose(&mut self.rng).copied()),
            NodeTarget::Random => candidates.choose(&mut self.rng).copied(),
        }
    }
}
