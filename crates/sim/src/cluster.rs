//! The replicas of a run: each a madsim node with its own disk and clock, which the
//! nemesis can partition, crash, restart, freeze, slow down and skew. Every change is
//! recorded in the history as it happens.

use crate::clock::RunClock;
use crate::network::{Address, Network};
use crate::node_clock::NodeClock;
use crate::recorder::Recorder;
use crate::server::{run_server, Control, ControlLine, ServerContext, StatusBoard};
use crate::streams;
use history::Fault;
use madsim::runtime::Handle;
use madsim::task::NodeId as MadsimNodeId;
use node::{NodeConfig, ReadyStep, SimDisk};
use rand::Rng;
use scenario::{ClusterConfig, PersistStep};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Replica {
    process: MadsimNodeId,
    disk: SimDisk,
    clock: NodeClock,
    control: ControlLine,
}

/// The cluster, as the nemesis and the run driver see it.
pub struct Cluster {
    handle: Handle,
    replicas: BTreeMap<u64, Replica>,
    crashed: Mutex<BTreeSet<u64>>,
    paused: Mutex<BTreeSet<u64>>,
    frozen: Mutex<BTreeSet<u64>>,
    partitioned: Mutex<bool>,
    network: Network,
    recorder: Recorder,
    board: StatusBoard,
}

impl Cluster {
    /// Creates and starts every replica.
    pub fn start(
        config: &ClusterConfig,
        seed: u64,
        run_clock: RunClock,
        network: Network,
        recorder: Recorder,
    ) -> Cluster {
        let handle = Handle::current();
        let board = StatusBoard::default();
        let voters: Vec<u64> = (1..=config.nodes).collect();
        let tick = Duration::from_millis(config.tick_ms);
        let mut replicas = BTreeMap::new();
        for &id in &voters {
            let disk = SimDisk::bootstrap(&voters);
            let clock = NodeClock::new(run_clock);
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
                },
                tick,
                disk: disk.clone(),
                network: network.clone(),
                recorder: recorder.clone(),
                board: board.clone(),
                clock: clock.clone(),
                control: control.clone(),
            };
            // Replicas do not tick in lockstep: each gets its own phase within a tick.
            let tick_phase = Duration::from_nanos(
                streams::stream(seed, "tick-phase", id).gen_range(0..tick.as_nanos() as u64),
            );
            let incarnation = Arc::new(AtomicU64::new(0));
            let process = handle
                .create_node()
                .name(format!("node-{id}"))
                .init(move || {
                    let mut context = context.clone();
                    let incarnation = incarnation.fetch_add(1, Ordering::Relaxed);
                    // Each incarnation draws its election timeouts from a stream of its own.
                    context.config.rng_seed =
                        streams::sub_seed(seed, "raft", id << 32 | incarnation);
                    run_server(context, tick_phase)
                })
                .build()
                .id();
            replicas.insert(
                id,
                Replica {
                    process,
                    disk,
                    clock,
                    control,
                },
            );
        }
        Cluster {
            handle,
            replicas,
            crashed: Mutex::new(BTreeSet::new()),
            paused: Mutex::new(BTreeSet::new()),
            frozen: Mutex::new(BTreeSet::new()),
            partitioned: Mutex::new(false),
            network,
            recorder,
            board,
        }
    }

    pub fn all_nodes(&self) -> Vec<u64> {
        self.replicas.keys().copied().collect()
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
        self.replicas
            .keys()
            .copied()
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

    /// Cuts the links between the sides.
    pub fn partition(&self, sides: Vec<Vec<u64>>) {
        self.network.partition(&sides);
        *self.partitioned.lock().expect("partition lock") = true;
        self.recorder.fault(Fault::Partition { sides });
    }

    /// Drops every message from `from` to `to`, but not the other way.
    pub fn cut(&self, from: u64, to: u64) {
        self.network.cut_one_way(from, to);
        *self.partitioned.lock().expect("partition lock") = true;
        self.recorder.fault(Fault::Cut { from, to });
    }

    /// Restores every link (recorded only if something was cut).
    pub fn heal(&self) {
        let mut partitioned = self.partitioned.lock().expect("partition lock");
        if *partitioned {
            self.network.heal();
            *partitioned = false;
            self.recorder.fault(Fault::Heal);
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
        self.handle.pause(self.replicas[&node].process);
        self.recorder.fault(Fault::Pause { node });
    }

    /// Lets a paused replica run again, from where it stopped.
    pub fn resume(&self, node: u64) {
        if !self.paused.lock().expect("paused lock").remove(&node) {
            return;
        }
        self.handle.resume(self.replicas[&node].process);
        self.recorder.fault(Fault::Resume { node });
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
        let replica = &self.replicas[&node];
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
        self.handle.restart(self.replicas[&node].process);
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
        self.replicas[&node].disk.crash_trap().arm(step, on_reached);
    }

    /// Takes away every crash armed that has not sprung.
    pub fn disarm_crashes(&self) {
        for replica in self.replicas.values() {
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
        self.replicas[&node].control.send(Control::Freeze);
        self.recorder.fault(Fault::Freeze { node });
    }

    /// Lets a frozen replica's Raft loop run again; it first handles what it received.
    pub fn thaw(&self, node: u64) {
        if !self.frozen.lock().expect("frozen lock").remove(&node) {
            return;
        }
        self.replicas[&node].control.send(Control::Thaw);
        self.recorder.fault(Fault::Thaw { node });
    }

    /// Makes every fsync of the node's disk take `fsync_us`.
    pub fn slow_disk(&self, node: u64, fsync_us: u64) {
        let latency = Duration::from_micros(fsync_us);
        self.replicas[&node].disk.set_slow_fsync(Some(latency));
        self.recorder.fault(Fault::SlowDisk { node, fsync_us });
    }

    /// Nodes whose disk is slow.
    pub fn slow_disks(&self) -> Vec<u64> {
        self.replicas
            .iter()
            .filter(|(_, replica)| replica.disk.slow_fsync().is_some())
            .map(|(&node, _)| node)
            .collect()
    }

    /// Gives a slow disk its configured fsync time back.
    pub fn restore_disk(&self, node: u64) {
        self.replicas[&node].disk.set_slow_fsync(None);
        self.recorder.fault(Fault::DiskRestored { node });
    }

    /// Makes the node's clock jump by `by_ms`.
    pub fn jump_clock(&self, node: u64, by_ms: i64) {
        let replica = &self.replicas[&node];
        replica.clock.jump_ms(by_ms);
        replica.control.send(Control::ClockChanged);
        self.recorder.fault(Fault::ClockJump { node, by_ms });
    }

    /// Makes the node's clock run at `rate_percent` of real speed (100: real speed).
    pub fn set_clock_rate(&self, node: u64, rate_percent: u64) {
        let replica = &self.replicas[&node];
        replica.clock.set_rate(rate_percent);
        replica.control.send(Control::ClockChanged);
        self.recorder.fault(Fault::ClockRate { node, rate_percent });
    }

    /// Nodes whose clock does not run at real speed.
    pub fn skewed_clocks(&self) -> Vec<u64> {
        self.replicas
            .iter()
            .filter(|(_, replica)| replica.clock.rate_percent() != 100)
            .map(|(&node, _)| node)
            .collect()
    }

    /// Writes lost to crashes over the run, all disks together.
    pub fn writes_lost(&self) -> u64 {
        self.replicas
            .values()
            .map(|replica| replica.disk.writes_lost())
            .sum()
    }
}
