//! The replicas of a run: each a madsim node with its own disk and clock, which the
//! nemesis can partition, crash, restart, freeze, slow down and skew. Every change is
//! recorded in the history as it happens.

mod membership;

use crate::clock::RunClock;
use crate::link_faults::LinkRule;
use crate::members::Members;
use crate::network::{Address, CutLasts, Network};
use crate::node_clock::NodeClock;
use crate::recorder::Recorder;
use crate::server::{run_server, Control, ControlLine, ServerContext, StatusBoard};
use crate::streams;
use bugs::{Bug, Bugs};
use history::Fault;
use madsim::runtime::Handle;
use madsim::task::NodeId as MadsimNodeId;
use node::{NodeConfig, ReadyStep, SimDisk};
use rand::Rng;
use scenario::{ClusterConfig, LinkEffect, MessageKind, PersistStep};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone)]
struct Replica {
    process: MadsimNodeId,
    disk: SimDisk,
    clock: NodeClock,
    control: ControlLine,
}

/// The cluster, as the nemesis and the run driver see it.
pub struct Cluster {
    handle: Handle,
    /// Every replica that was ever a member; removed ones stay, dead, in `removed`.
    replicas: Mutex<BTreeMap<u64, Replica>>,
    removed: Mutex<BTreeSet<u64>>,
    /// Fresh nodes started but not yet added: not members, so no fault targets them.
    joining: Mutex<BTreeSet<u64>>,
    /// The members clients may send requests to.
    members: Members,
    spawner: ReplicaSpawner,
    crashed: Mutex<BTreeSet<u64>>,
    paused: Mutex<BTreeSet<u64>>,
    frozen: Mutex<BTreeSet<u64>>,
    network: Network,
    recorder: Recorder,
    board: StatusBoard,
}

impl Cluster {
    /// Creates and starts every replica.
    pub fn start(
        config: &ClusterConfig,
        bugs: &Bugs,
        seed: u64,
        run_clock: RunClock,
        network: Network,
        recorder: Recorder,
    ) -> Cluster {
        let voters: Vec<u64> = (1..=config.nodes).collect();
        let spawner = ReplicaSpawner {
            config: config.clone(),
            bugs: bugs.clone(),
            seed,
            run_clock,
            network: network.clone(),
            recorder: recorder.clone(),
            board: StatusBoard::default(),
        };
        let replicas = voters
            .iter()
            .map(|&id| (id, spawner.spawn(id, SimDisk::bootstrap(&voters))))
            .collect();
        Cluster {
            handle: Handle::current(),
            replicas: Mutex::new(replicas),
            removed: Mutex::new(BTreeSet::new()),
            joining: Mutex::new(BTreeSet::new()),
            members: Members::new(voters),
            board: spawner.board.clone(),
            spawner,
            crashed: Mutex::new(BTreeSet::new()),
            paused: Mutex::new(BTreeSet::new()),
            frozen: Mutex::new(BTreeSet::new()),
            network,
            recorder,
        }
    }

    /// The replica of `node` (a handle: its parts are shared).
    fn replica(&self, node: u64) -> Replica {
        self.replicas.lock().expect("replicas lock")[&node].clone()
    }

    /// Every replica that is a member: not removed, not still joining.
    fn member_replicas(&self) -> Vec<(u64, Replica)> {
        let removed = self.removed.lock().expect("removed lock");
        let joining = self.joining.lock().expect("joining lock");
        self.replicas
            .lock()
            .expect("replicas lock")
            .iter()
            .filter(|(node, _)| !removed.contains(node) && !joining.contains(node))
            .map(|(&node, replica)| (node, replica.clone()))
            .collect()
    }

    /// The list of members clients choose from.
    pub fn members(&self) -> Members {
        self.members.clone()
    }

    /// Every member, up or not.
    pub fn all_nodes(&self) -> Vec<u64> {
        self.member_replicas()
            .into_iter()
            .map(|(node, _)| node)
            .collect()
    }

    pub fn crashed_nodes(&self) -> Vec<u64> {
        self.crashed
            .lock()
            .expect("crashed lock")
            .iter()
            .copied()
            .collect()
    }

    pub fn up_nodes(&self) -> Vec<u64> {
        let crashed = self.crashed.lock().expect("crashed lock");
        self.all_nodes()
            .into_iter()
            .filter(|node| !crashed.contains(node))
            .collect()
    }

    pub fn paused_nodes(&self) -> Vec<u64> {
        self.paused
            .lock()
            .expect("paused lock")
            .iter()
            .copied()
            .collect()
    }

    /// Nodes that are neither crashed nor paused.
    pub fn running_nodes(&self) -> Vec<u64> {
        let paused = self.paused.lock().expect("paused lock");
        self.up_nodes()
            .into_iter()
            .filter(|node| !paused.contains(node))
            .collect()
    }

    /// The live node leading the highest term, as the replicas report it.
    pub fn leader(&self) -> Option<u64> {
        self.board.leader()
    }

    /// The highest term a live replica is in, and its leader if one claims it.
    pub fn leadership(&self) -> (u64, Option<u64>) {
        self.board.leadership()
    }

    /// Cuts the links between the sides.
    pub fn partition(&self, sides: Vec<Vec<u64>>, lasts: CutLasts) {
        self.network.partition(&sides, lasts);
        self.record_cut(Fault::Partition { sides }, lasts);
    }

    /// Drops every message from `from` to `to`, but not the other way.
    pub fn cut(&self, from: u64, to: u64, lasts: CutLasts) {
        self.network.cut_one_way(from, to, lasts);
        self.record_cut(Fault::Cut { from, to }, lasts);
    }

    fn record_cut(&self, fault: Fault, lasts: CutLasts) {
        match lasts {
            CutLasts::UntilHealed => self.recorder.fault(fault),
            CutLasts::ThroughLiveness => self.recorder.lasting_fault(fault),
        }
    }

    /// Restores every link a partition or cut took away, but the lasting ones (recorded
    /// only if something was cut). Link faults and clogs have their own ends: see [`Cluster::heal_network`].
    pub fn heal(&self) {
        if self.network.heal_cuts() {
            self.recorder.fault(Fault::Heal);
        }
    }

    /// Heals every cut, lifts every link fault and unclogs every node: the network as it
    /// was at the start.
    pub fn heal_network(&self) {
        self.heal();
        for id in self.network.link_fault_ids() {
            self.lift_link_fault(id);
        }
        for node in self.network.clogged_nodes() {
            self.unclog(node);
        }
    }

    /// Starts a link fault; the history names its endpoints (none: every endpoint) and
    /// the message kinds it touches (none: every kind).
    pub fn link_fault(
        &self,
        id: u64,
        from: Option<u64>,
        to: Option<u64>,
        messages: Vec<MessageKind>,
        effect: LinkEffect,
    ) {
        self.recorder.fault(Fault::LinkFault {
            id,
            from: from.into_iter().collect(),
            to: to.into_iter().collect(),
            messages: messages
                .iter()
                .map(|kind| kind.name().to_string())
                .collect(),
            effect,
        });
        let rule = LinkRule {
            from,
            to,
            messages,
            effect,
        };
        self.network.add_link_fault(id, rule);
    }

    /// Ends a link fault; messages it held are delivered.
    pub fn lift_link_fault(&self, id: u64) {
        if self.network.lift_link_fault(id) {
            self.recorder.fault(Fault::LinkRestored { id });
        }
    }

    /// Holds every message to and from `node`.
    pub fn clog(&self, node: u64) {
        if self.network.clog(node) {
            self.recorder.fault(Fault::Clog { node });
        }
    }

    /// Delivers what a clogged node's links held and lets its messages flow again.
    pub fn unclog(&self, node: u64) {
        if self.network.unclog(node) {
            self.recorder.fault(Fault::Unclog { node });
        }
    }

    /// Stops a running replica's process without killing it: its tasks and timers wait,
    /// messages to it queue in its inbox.
    pub fn pause(&self, node: u64) {
        if self.crashed.lock().expect("crashed lock").contains(&node)
            || !self.paused.lock().expect("paused lock").insert(node)
        {
            return;
        }
        self.handle.pause(self.replica(node).process);
        self.recorder.fault(Fault::Pause { node });
    }

    /// Lets a paused replica run again, from where it stopped.
    pub fn resume(&self, node: u64) {
        if !self.paused.lock().expect("paused lock").remove(&node) {
            return;
        }
        self.handle.resume(self.replica(node).process);
        self.recorder.fault(Fault::Resume { node });
    }

    /// Kills every replica's process at the end of a run, recording nothing: madsim does not
    /// free the tasks of nodes still alive when its runtime is dropped (madsim #242), so
    /// without this every run of a sweep would leak its whole cluster.
    pub fn kill_all(&self) {
        for replica in self.replicas.lock().expect("replicas lock").values() {
            self.handle.kill(replica.process);
        }
    }

    /// Kills a replica's process; its unsynced disk writes are lost. A paused replica
    /// dies paused: it restarts running.
    ///
    /// `at_step` is the step of its Ready loop the replica reached when an armed crash
    /// sprung (see [`Cluster::arm_crash`]). A crash also ends a freeze: a frozen replica
    /// restarts running.
    pub fn crash(&self, node: u64, at_step: Option<PersistStep>) {
        if !self.crashed.lock().expect("crashed lock").insert(node) {
            return;
        }
        self.paused.lock().expect("paused lock").remove(&node);
        self.frozen.lock().expect("frozen lock").remove(&node);
        let replica = self.replica(node);
        self.network.set_down(Address::Node(node));
        self.handle.kill(replica.process);
        replica.disk.crash();
        self.board.clear(node);
        self.recorder.fault(Fault::Crash {
            node,
            at_step: at_step.map(|step| step.name().to_string()),
        });
    }

    /// Starts a crashed replica again from its disk.
    pub fn restart(&self, node: u64) {
        if !self.crashed.lock().expect("crashed lock").remove(&node) {
            return;
        }
        let replica = self.replica(node);
        // Planted: the replica comes back under its old id with the disk of its first boot.
        if self.spawner.bugs.has(Bug::WipedDiskRejoin) {
            replica.disk.wipe();
        }
        self.handle.restart(replica.process);
        self.recorder.fault(Fault::Restart { node });
    }

    /// Arms a crash at a step of the replica's Ready loop: the next time the replica
    /// reaches `step` it stops there and `on_reached` runs, which must lead to
    /// [`Cluster::crash`] in the same simulated instant.
    pub fn arm_crash(
        &self,
        node: u64,
        step: PersistStep,
        on_reached: impl FnOnce() + Send + 'static,
    ) {
        let step = match step {
            PersistStep::BeforeSync => ReadyStep::BeforeSync,
            PersistStep::AfterSync => ReadyStep::AfterSync,
            PersistStep::AfterSend => ReadyStep::AfterSend,
            PersistStep::AfterApply => ReadyStep::AfterApply,
        };
        self.replica(node).disk.crash_trap().arm(step, on_reached);
    }

    /// Takes away every crash armed that has not sprung.
    pub fn disarm_crashes(&self) {
        for replica in self.replicas.lock().expect("replicas lock").values() {
            replica.disk.crash_trap().disarm();
        }
    }

    pub fn frozen_nodes(&self) -> Vec<u64> {
        self.frozen
            .lock()
            .expect("frozen lock")
            .iter()
            .copied()
            .collect()
    }

    /// Freezes a live replica's Raft and apply loop; its front end keeps accepting
    /// requests, which are served when it thaws.
    pub fn freeze(&self, node: u64) {
        if self.crashed.lock().expect("crashed lock").contains(&node)
            || !self.frozen.lock().expect("frozen lock").insert(node)
        {
            return;
        }
        self.replica(node).control.send(Control::Freeze);
        self.recorder.fault(Fault::Freeze { node });
    }

    /// Lets a frozen replica's Raft loop run again; it first handles what it received.
    pub fn thaw(&self, node: u64) {
        if !self.frozen.lock().expect("frozen lock").remove(&node) {
            return;
        }
        self.replica(node).control.send(Control::Thaw);
        self.recorder.fault(Fault::Thaw { node });
    }

    /// Makes every fsync of the node's disk take `fsync_us`.
    pub fn slow_disk(&self, node: u64, fsync_us: u64) {
        let latency = Duration::from_micros(fsync_us);
        self.replica(node).disk.set_slow_fsync(Some(latency));
        self.recorder.fault(Fault::SlowDisk { node, fsync_us });
    }

    /// Nodes whose disk is slow.
    pub fn slow_disks(&self) -> Vec<u64> {
        self.member_replicas()
            .into_iter()
            .filter(|(_, replica)| replica.disk.slow_fsync().is_some())
            .map(|(node, _)| node)
            .collect()
    }

    /// Gives a slow disk its configured fsync time back.
    pub fn restore_disk(&self, node: u64) {
        self.replica(node).disk.set_slow_fsync(None);
        self.recorder.fault(Fault::DiskRestored { node });
    }

    /// Makes the node's clock jump by `by_ms`.
    pub fn jump_clock(&self, node: u64, by_ms: i64) {
        let replica = self.replica(node);
        replica.clock.jump_ms(by_ms);
        replica.control.send(Control::ClockChanged);
        self.recorder.fault(Fault::ClockJump { node, by_ms });
    }

    /// Makes the node's clock run at `rate_percent` of real speed (100: real speed).
    pub fn set_clock_rate(&self, node: u64, rate_percent: u64) {
        let replica = self.replica(node);
        replica.clock.set_rate(rate_percent);
        replica.control.send(Control::ClockChanged);
        self.recorder.fault(Fault::ClockRate { node, rate_percent });
    }

    /// Nodes whose clock does not run at real speed.
    pub fn skewed_clocks(&self) -> Vec<u64> {
        self.member_replicas()
            .into_iter()
            .filter(|(_, replica)| replica.clock.rate_percent() != 100)
            .map(|(node, _)| node)
            .collect()
    }

    /// Writes lost to crashes over the run, all disks together.
    pub fn writes_lost(&self) -> u64 {
        self.replicas
            .lock()
            .expect("replicas lock")
            .values()
            .map(|replica| replica.disk.writes_lost())
            .sum()
    }
}

/// Starts replica processes: the founding members, and fresh members added later.
struct ReplicaSpawner {
    config: ClusterConfig,
    /// The bugs planted in every replica.
    bugs: Bugs,
    seed: u64,
    run_clock: RunClock,
    network: Network,
    recorder: Recorder,
    board: StatusBoard,
}

impl ReplicaSpawner {
    /// Creates replica `id`'s madsim node, with `disk`, and starts its process.
    fn spawn(&self, id: u64, disk: SimDisk) -> Replica {
        let config = &self.config;
        let seed = self.seed;
        let tick = Duration::from_millis(config.tick_ms);
        let clock = NodeClock::new(self.run_clock);
        let control = ControlLine::default();
        let context = ServerContext {
            config: NodeConfig {
                id,
                election_ticks: config.election_ticks as usize,
                heartbeat_ticks: config.heartbeat_ticks as usize,
                fsync_latency: Duration::from_micros(config.fsync_us),
                snapshot_interval_entries: config.snapshot_interval_entries,
                catch_up_entries: config.catch_up_entries,
                rng_seed: 0,
                election_timeout: tick * config.election_ticks as u32,
                lease_checkpoint_interval: (config.lease_checkpoint_ms > 0)
                    .then(|| Duration::from_millis(config.lease_checkpoint_ms)),
                pre_vote: config.pre_vote,
                lease_expiry_check_interval: (config.lease_expiry_check_ms > 0)
                    .then(|| Duration::from_millis(config.lease_expiry_check_ms)),
                bugs: self.bugs.clone(),
            },
            tick,
            disk: disk.clone(),
            network: self.network.clone(),
            recorder: self.recorder.clone(),
            board: self.board.clone(),
            clock: clock.clone(),
            control: control.clone(),
        };
        // Replicas do not tick in lockstep: each gets its own phase within a tick.
        let tick_phase = Duration::from_nanos(
            streams::stream(seed, "tick-phase", id).gen_range(0..tick.as_nanos() as u64),
        );
        let incarnation = Arc::new(AtomicU64::new(0));
        let process = Handle::current()
            .create_node()
            .name(format!("node-{id}"))
            .init(move || {
                let mut context = context.clone();
                let incarnation = incarnation.fetch_add(1, Ordering::Relaxed);
                // Each incarnation draws its election timeouts from a stream of its own.
                context.config.rng_seed = streams::sub_seed(seed, "raft", id << 32 | incarnation);
                run_server(context, tick_phase)
            })
            .build()
            .id();
        Replica {
            process,
            disk,
            clock,
            control,
        }
    }
}
