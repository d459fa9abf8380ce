//! The nemesis: applies the scenario's fault schedule to the cluster, resolving targets
//! ("the leader", "a random node") at the moment each fault fires, and recording the
//! concrete fault in the history.

use crate::client_processes::ClientProcesses;
use crate::clock::RunClock;
use crate::cluster::Cluster;
use crate::network::CutLasts;
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender};
use futures::future::Either;
use futures::StreamExt;
use node::MembershipChange;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use scenario::{ClientTarget, FaultAction, NodeTarget, PersistStep, ScheduledFault};
use std::collections::BTreeMap;

/// A step of the timeline: a scheduled fault, or the undoing of one that fired.
#[derive(Clone, Debug)]
enum Step {
    Apply(FaultAction, Option<u64>),
    /// A partition or cut that no heal lifts (`through_liveness`).
    ApplyLasting(FaultAction),
    Heal,
    Restart(u64),
    Resume(u64),
    ResumeClient(u64),
    Thaw(u64),
    RestoreDisk(u64),
    RealSpeedClock(u64),
    LiftLinkFault(u64),
    Clog(u64),
    Unclog(u64),
    /// A member replacement in progress: the removal of the old member, then the addition
    /// of the fresh node, each asked for again until the leader has applied it.
    Replace(MembershipChange),
}

/// How often a membership change still waiting is asked for again, in ms.
const MEMBERSHIP_RETRY_MS: u64 = 100;

/// How often a fault waiting for a lock holder looks for one again, in ms.
const HOLDER_POLL_MS: u64 = 5;

pub struct Nemesis {
    rng: SmallRng,
    /// Pending steps by (time in ms, order of insertion).
    timeline: BTreeMap<(u64, u64), Step>,
    inserted: u64,
    /// Undo steps after this time are dropped: the liveness phase heals everything (but
    /// the lasting cuts).
    end_ms: u64,
    /// The id the next link fault gets.
    next_link_fault: u64,
    /// A member replacement is under way. Like an operator (and etcd's strict
    /// reconfiguration check), the nemesis replaces one member at a time: removals running
    /// ahead of additions would shrink the cluster until no removal is valid.
    replacing: bool,
    /// Crashes armed at a step of a node's Ready loop that have not sprung yet: the step,
    /// and how long the node stays down once it has.
    armed: BTreeMap<u64, (PersistStep, Option<u64>)>,
    /// Nodes whose armed crash sprung: each waits at its step to be killed.
    sprung_sender: UnboundedSender<u64>,
    sprung: UnboundedReceiver<u64>,
}

impl Nemesis {
    pub fn new(schedule: &[ScheduledFault], rng: SmallRng, end_ms: u64) -> Nemesis {
        let (sprung_sender, sprung) = futures::channel::mpsc::unbounded();
        let mut nemesis = Nemesis {
            rng,
            timeline: BTreeMap::new(),
            inserted: 0,
            end_ms,
            next_link_fault: 1,
            replacing: false,
            armed: BTreeMap::new(),
            sprung_sender,
            sprung,
        };
        for fault in schedule {
            let step = if fault.through_liveness {
                Step::ApplyLasting(fault.action.clone())
            } else {
                Step::Apply(fault.action.clone(), fault.for_ms)
            };
            nemesis.push(fault.at_ms, step);
        }
        nemesis
    }

    fn push(&mut self, at_ms: u64, step: Step) {
        if at_ms < self.end_ms {
            self.timeline.insert((at_ms, self.inserted), step);
            self.inserted += 1;
        }
    }

    /// Applies every step in time order, and kills each node whose armed crash springs
    /// the moment it does, until the safety phase ends. Crashes armed that did not spring
    /// by then are disarmed: they never happened.
    pub async fn run(mut self, cluster: &Cluster, clients: &ClientProcesses, clock: RunClock) {
        loop {
            let due_ms = self
                .timeline
                .first_key_value()
                .map_or(self.end_ms, |(&(at_ms, _), _)| at_ms);
            // madsim sleeps at least a millisecond, even until a moment already here.
            let due_at = clock.at_ms(due_ms);
            let due = std::pin::pin!(async move {
                if madsim::time::Instant::now() < due_at {
                    madsim::time::sleep_until(due_at).await;
                }
            });
            // A sprung crash goes first: its node is stopped at its step, waiting.
            let sprung = match futures::future::select(self.sprung.next(), due).await {
                Either::Left((node, _)) => node,
                Either::Right(_) => None,
            };
            if let Some(node) = sprung {
                self.crash_sprung(node, cluster, clock);
                continue;
            }
            match self.timeline.pop_first() {
                Some(((at_ms, _), step)) => self.apply(at_ms, step, cluster, clients),
                None => break,
            }
        }
        cluster.disarm_crashes();
        // One may have sprung in this very instant; its node must not wait forever.
        while let Ok(node) = self.sprung.try_recv() {
            self.crash_sprung(node, cluster, clock);
        }
    }

    /// Arms a crash at `step` of the node's Ready loop; the node restarts `for_ms` after
    /// it sprung.
    fn arm_crash(
        &mut self,
        target: &NodeTarget,
        step: PersistStep,
        for_ms: Option<u64>,
        cluster: &Cluster,
    ) {
        let Some(node) = self.resolve(target, &cluster.up_nodes(), cluster) else {
            return;
        };
        let sprung = self.sprung_sender.clone();
        cluster.arm_crash(node, step, move || {
            sprung
                .unbounded_send(node)
                .expect("the nemesis listens until it disarms every crash");
        });
        self.armed.insert(node, (step, for_ms));
    }

    fn crash_sprung(&mut self, node: u64, cluster: &Cluster, clock: RunClock) {
        let Some((step, for_ms)) = self.armed.remove(&node) else {
            return;
        };
        cluster.crash(node, Some(step));
        if let Some(for_ms) = for_ms {
            let now_ms = clock.now_ns().div_ceil(1_000_000);
            self.push(now_ms + for_ms, Step::Restart(node));
        }
    }

    fn apply(&mut self, at_ms: u64, step: Step, cluster: &Cluster, clients: &ClientProcesses) {
        match step {
            Step::ResumeClient(client) => clients.resume(client),
            Step::Apply(FaultAction::PauseClient { client }, for_ms) => {
                let client = match client {
                    ClientTarget::Id(id) => Some(id),
                    ClientTarget::LockHolder => clients.holders.any(),
                };
                match client {
                    Some(client) => {
                        clients.pause(client);
                        if let Some(for_ms) = for_ms {
                            self.push(at_ms + for_ms, Step::ResumeClient(client));
                        }
                    }
                    None => {
                        // No one holds a lock now: wait for the next holder.
                        let waiting = Step::Apply(
                            FaultAction::PauseClient {
                                client: ClientTarget::LockHolder,
                            },
                            for_ms,
                        );
                        self.push(at_ms + HOLDER_POLL_MS, waiting);
                    }
                }
            }
            Step::Heal => cluster.heal(),
            Step::Restart(node) => cluster.restart(node),
            Step::Resume(node) => cluster.resume(node),
            Step::Thaw(node) => cluster.thaw(node),
            Step::RestoreDisk(node) => cluster.restore_disk(node),
            Step::RealSpeedClock(node) => cluster.set_clock_rate(node, 100),
            Step::Apply(
                FaultAction::Crash {
                    node,
                    at_step: Some(step),
                },
                for_ms,
            ) => self.arm_crash(&node, step, for_ms, cluster),
            Step::LiftLinkFault(id) => cluster.lift_link_fault(id),
            Step::Clog(node) => cluster.clog(node),
            Step::Replace(change) => self.replace(at_ms, change, cluster),
            Step::Apply(FaultAction::Replace { node }, for_ms) if self.replacing => {
                // Waits for the replacement under way; its target is resolved when it starts.
                let waiting = Step::Apply(FaultAction::Replace { node }, for_ms);
                self.push(at_ms + MEMBERSHIP_RETRY_MS, waiting);
            }
            Step::Apply(FaultAction::Replace { node }, _) => {
                if let Some(old) = self.resolve(&node, &cluster.all_nodes(), cluster) {
                    self.replacing = true;
                    self.replace(at_ms, MembershipChange::Remove(old), cluster);
                }
            }
            Step::Unclog(node) => cluster.unclog(node),
            Step::Apply(FaultAction::Swizzle { nodes, step_ms }, _) => {
                self.swizzle(at_ms, nodes, step_ms, cluster);
            }
            Step::ApplyLasting(action) => {
                let _never_undone = self.apply_action(action, CutLasts::ThroughLiveness, cluster);
            }
            Step::Apply(action, for_ms) => {
                let undo = self.apply_action(action, CutLasts::UntilHealed, cluster);
                if let (Some(undo), Some(for_ms)) = (undo, for_ms) {
                    self.push(at_ms + for_ms, undo);
                }
            }
        }
    }

    /// Applies an action; returns the step that undoes it, if it did anything. `lasts` says
    /// how long a partition or cut lasts; other actions ignore it.
    fn apply_action(
        &mut self,
        action: FaultAction,
        lasts: CutLasts,
        cluster: &Cluster,
    ) -> Option<Step> {
        match action {
            FaultAction::Isolate { node } => {
                let node = self.resolve(&node, &cluster.up_nodes(), cluster)?;
                let rest: Vec<u64> = cluster
                    .all_nodes()
                    .into_iter()
                    .filter(|&n| n != node)
                    .collect();
                cluster.partition(vec![vec![node], rest], lasts);
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
                cluster.partition(vec![nodes, minority], lasts);
                Some(Step::Heal)
            }
            FaultAction::Partition { sides } => {
                cluster.partition(sides, lasts);
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
                cluster.partition(vec![others, second], lasts);
                Some(Step::Heal)
            }
            FaultAction::Cut { from, to } => {
                let all = cluster.all_nodes();
                let from = self.resolve(&from, &all, cluster)?;
                let others: Vec<u64> = all.into_iter().filter(|&n| n != from).collect();
                let to = self.resolve(&to, &others, cluster)?;
                cluster.cut(from, to, lasts);
                Some(Step::Heal)
            }
            FaultAction::Pause { node } => {
                let node = self.resolve(&node, &cluster.running_nodes(), cluster)?;
                cluster.pause(node);
                Some(Step::Resume(node))
            }
            FaultAction::Heal => {
                cluster.heal_network();
                None
            }
            FaultAction::Link {
                links,
                messages,
                effect,
            } => {
                let all = cluster.all_nodes();
                let from = match &links.from {
                    Some(target) => Some(self.resolve(target, &all, cluster)?),
                    None => None,
                };
                let others: Vec<u64> = all.into_iter().filter(|&n| Some(n) != from).collect();
                let to = match &links.to {
                    Some(target) => Some(self.resolve(target, &others, cluster)?),
                    None => None,
                };
                let id = self.next_link_fault;
                self.next_link_fault += 1;
                cluster.link_fault(id, from, to, messages, effect);
                Some(Step::LiftLinkFault(id))
            }
            FaultAction::Swizzle { .. } => {
                unreachable!("a swizzle is a timeline of its own, laid out by `apply`")
            }
            FaultAction::Crash {
                node,
                at_step: None,
            } => {
                let node = self.resolve(&node, &cluster.up_nodes(), cluster)?;
                cluster.crash(node, None);
                Some(Step::Restart(node))
            }
            FaultAction::Crash {
                at_step: Some(_), ..
            } => unreachable!("a crash at a step is armed by `apply`, and strikes later"),
            FaultAction::Freeze { node } => {
                let frozen = cluster.frozen_nodes();
                let unfrozen: Vec<u64> = cluster
                    .up_nodes()
                    .into_iter()
                    .filter(|n| !frozen.contains(n))
                    .collect();
                let node = self.resolve(&node, &unfrozen, cluster)?;
                cluster.freeze(node);
                Some(Step::Thaw(node))
            }
            // A disk and a clock belong to the machine: a crashed node's are affected too.
            FaultAction::SlowDisk { node, fsync_us } => {
                let node = self.resolve(&node, &cluster.all_nodes(), cluster)?;
                cluster.slow_disk(node, fsync_us);
                Some(Step::RestoreDisk(node))
            }
            FaultAction::ClockJump { node, by_ms } => {
                let node = self.resolve(&node, &cluster.all_nodes(), cluster)?;
                cluster.jump_clock(node, by_ms);
                None
            }
            FaultAction::ClockRate { node, rate_percent } => {
                let node = self.resolve(&node, &cluster.all_nodes(), cluster)?;
                cluster.set_clock_rate(node, rate_percent);
                Some(Step::RealSpeedClock(node))
            }
            FaultAction::Replace { .. } => {
                unreachable!("a replacement is a timeline of its own, laid out by `apply`")
            }
            FaultAction::PauseClient { .. } => {
                unreachable!("a client pause may wait for its target, so `apply` handles it")
            }
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

    /// One step of replacing a member: once the leader has applied the removal, the old
    /// member is stopped for good and a fresh node started, whose addition is then asked
    /// for; a change not yet applied is asked for again shortly.
    fn replace(&mut self, at_ms: u64, change: MembershipChange, cluster: &Cluster) {
        let next = match change {
            _ if !cluster.applied_by_leader(change) => {
                cluster.propose_membership_change(change);
                Some(change)
            }
            MembershipChange::Remove(old) => {
                cluster.retire(old);
                Some(MembershipChange::Add(cluster.start_fresh_node()))
            }
            MembershipChange::Add(new) => {
                cluster.admit(new);
                self.replacing = false;
                None
            }
        };
        if let Some(next) = next {
            self.push(at_ms + MEMBERSHIP_RETRY_MS, Step::Replace(next));
        }
    }

    /// FoundationDB's swizzle-clog: clogs `nodes` random nodes one by one, `step_ms`
    /// apart, then unclogs them in a random order, `step_ms` apart.
    fn swizzle(&mut self, at_ms: u64, nodes: u64, step_ms: u64, cluster: &Cluster) {
        let mut chosen = cluster.all_nodes();
        chosen.shuffle(&mut self.rng);
        chosen.truncate(nodes as usize);
        let mut unclog_order = chosen.clone();
        unclog_order.shuffle(&mut self.rng);
        let steps = chosen
            .into_iter()
            .map(Step::Clog)
            .chain(unclog_order.into_iter().map(Step::Unclog));
        for (i, step) in steps.enumerate() {
            self.push(at_ms + i as u64 * step_ms, step);
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
