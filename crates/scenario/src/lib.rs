//! The scenario file: a test plan for one simulated cluster, written in TOML.
//!
//! A scenario says how big the cluster is and how it is tuned, what the clients do, which
//! faults strike when, and how long the run lasts. [`Scenario::load`] parses and validates a
//! file; every mistake (unknown field, wrong type, value out of range, a fault naming a node
//! that does not exist) is a [`ScenarioError`] naming the file, line, column and field and
//! saying what was expected. [`Scenario::to_toml`] writes a scenario back with every default
//! spelled out and the seed pinned: the exact input that replays a run.
//!
//! ```toml
//! name = "partitions"
//! duration_ms = 20000
//!
//! [cluster]
//! nodes = 5
//!
//! [workload]
//! clients = 4
//! keys = 5
//!
//! [[faults]]
//! at_ms = 3000
//! kind = "isolate"
//! node = "leader"
//! for_ms = 4000
//! ```

mod error;
mod fault;
mod overrides;
mod parse;
mod parse_swarm;
pub mod swarm;
mod write;

pub use error::ScenarioError;
pub use fault::{
    ClientTarget, FaultAction, LinkEffect, LinkSelector, MessageKind, NodeTarget, PersistStep,
    ScheduledFault,
};
pub use overrides::Override;
pub use swarm::{Knob, SwarmConfig};

/// A validated scenario. Every field has a value: defaults are filled in at load time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Names the report directory; defaults to the file's stem.
    pub name: String,
    /// What the scenario tests, for people.
    pub description: String,
    /// The seed to run with when none is given on the command line.
    pub seed: Option<u64>,
    /// Length of the safety phase (workload and faults), in simulated milliseconds.
    pub duration_ms: u64,
    pub cluster: ClusterConfig,
    pub network: NetworkConfig,
    pub workload: WorkloadConfig,
    pub liveness: LivenessConfig,
    /// The lock workload's settings (`[lock]`; used when `workload.kind` lists `"lock"`).
    /// A workload's table is only accepted for that workload, so the tables of the others
    /// keep their defaults (and [`Scenario::to_toml`] leaves them out).
    pub lock: LockConfig,
    /// The lease workload's settings (`[lease]`; used when `workload.kind` lists `"lease"`).
    pub lease: LeaseConfig,
    /// The election workload's settings (`[election]`; used when `workload.kind` lists
    /// `"election"`).
    pub election: ElectionConfig,
    /// The scripted fault schedule, in file order.
    pub faults: Vec<ScheduledFault>,
    /// Swarm mode: more faults drawn from each run's seed (see [`swarm`]).
    pub swarm: Option<SwarmConfig>,
    /// Bugs planted in the implementation for this run (`bugs = ["lock-no-recheck"]`);
    /// empty: the correct implementation.
    pub bugs: bugs::Bugs,
}

/// The Raft cluster and its tuning. Times are in ticks of `tick_ms`, as raft-rs counts them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Number of Raft members (ids 1..=nodes).
    pub nodes: u64,
    /// Length of one Raft tick in simulated milliseconds (etcd: the heartbeat interval).
    pub tick_ms: u64,
    /// Ticks without a leader before a follower campaigns (randomized in [n, 2n)).
    pub election_ticks: u64,
    /// Ticks between a leader's heartbeats.
    pub heartbeat_ticks: u64,
    /// How long one fsync takes on the simulated disk, in microseconds.
    pub fsync_us: u64,
    /// A node snapshots its state and compacts its log every this many applied entries.
    pub snapshot_interval_entries: u64,
    /// Entries kept in the log behind each snapshot, so a follower that lags by fewer
    /// catches up from the log; one further behind gets the snapshot (etcd keeps 5000).
    pub catch_up_entries: u64,
    /// The leader checkpoints every lease's remaining TTL through Raft this often, so a
    /// new leader does not restart a long-lived lease at its full TTL (etcd's lease
    /// checkpointing); 0: off, as etcd 3.4 and 3.5 by default.
    pub lease_checkpoint_ms: u64,
    /// Whether a member that times out first asks for pre-votes (Raft's PreVote), so a
    /// candidate that cannot win never bumps the term. `true`, as lockstep always ran and
    /// etcd 3.5 defaults to; `false` is etcd 3.4's default (`--pre-vote=false`).
    /// Check-quorum stays on either way, as etcd always sets it.
    pub pre_vote: bool,
    /// The leader looks for leases past their deadline this often, in milliseconds; 0:
    /// every Raft tick, as lockstep always did. etcd 3.4's lessor checks every 500 ms in
    /// its run loop, which makes a lapsed lease end up to that much later.
    pub lease_expiry_check_ms: u64,
}

/// The simulated network between nodes and clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkConfig {
    /// One-way message latency is drawn uniformly from [min, max] milliseconds; messages on
    /// one link are delivered in the order they were sent (like a TCP stream).
    pub latency_min_ms: u64,
    pub latency_max_ms: u64,
}

/// The clients and what they do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadConfig {
    /// Number of client processes; each has one operation in flight at a time.
    pub clients: u64,
    /// Operations pick a key uniformly from this many keys.
    pub keys: u64,
    /// A client gives up on an operation after this long; its outcome is then unknown.
    pub request_timeout_ms: u64,
    /// After a refusal (no leader, not the leader, a replica down) a client retries after
    /// a backoff that starts at `retry_backoff_min_ms` and doubles up to
    /// `retry_backoff_max_ms`, each wait jittered up to twice its length. 10 and 200:
    /// lockstep's client as it always was; etcd's clientv3 retries every 25 ms (set both
    /// to 25), which finds a new leader sooner.
    pub retry_backoff_min_ms: u64,
    pub retry_backoff_max_ms: u64,
    /// Pause between a client's operations, drawn uniformly from [min, max] milliseconds.
    pub think_min_ms: u64,
    pub think_max_ms: u64,
    /// Relative weights of the operation kinds (of the `kv` workload).
    pub mix: OperationMix,
    /// Each client stops after this many rounds of its workload (a KV operation; a lock
    /// taken, used and released; a lease's life; a term as candidate or leader), or at the
    /// end of the safety phase if sooner; `None`: no cap. Shrinking sets it, so that a
    /// reproducer keeps only the operations its failure needs.
    pub rounds_per_client: Option<u64>,
    /// Clients start their first round this long into the safety phase (before, only the
    /// cluster runs). Shrinking sets it, so that a reproducer skips the operations before
    /// its faults.
    pub start_ms: u64,
    /// What the clients do: never empty. Client `id` runs `kinds[(id - 1) % len]`, so
    /// `kind = ["kv", "lock"]` gives clients 1, 3, … the KV workload and 2, 4, … locks: one
    /// run can check every recipe against the same weather (the swarm does).
    pub kinds: Vec<WorkloadKind>,
}

impl WorkloadConfig {
    /// The workload client `id` (counted from 1) runs.
    pub fn kind_of(&self, id: u64) -> WorkloadKind {
        let turn = (id.max(1) - 1) as usize % self.kinds.len();
        self.kinds[turn]
    }

    /// Whether `kind` is among the listed workloads (its table, such as `[lock]`, is read).
    pub fn lists(&self, kind: WorkloadKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// The `kind` field as a scenario file writes it: `"lock"`, or `["kv", "lock"]`.
    pub fn kinds_toml(&self) -> String {
        let names: Vec<String> = self
            .kinds
            .iter()
            .map(|kind| format!("{:?}", kind.name()))
            .collect();
        match names.as_slice() {
            [one] => one.clone(),
            _ => format!("[{}]", names.join(", ")),
        }
    }
}

/// What the clients of a run do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    /// Random get / put / delete / compare-and-swap over `keys` keys.
    Kv,
    /// Contend for locks with etcd's mutex recipe, doing a critical section on a protected
    /// resource (see [`LockConfig`]).
    Lock,
    /// Grant leases, attach keys, keep them alive, let them lapse, revoke them (see
    /// [`LeaseConfig`]).
    Lease,
    /// Campaign, proclaim, resign and observe with etcd's election recipe (see
    /// [`ElectionConfig`]).
    Election,
}

impl WorkloadKind {
    pub const ALL: [(WorkloadKind, &'static str); 4] = [
        (WorkloadKind::Kv, "kv"),
        (WorkloadKind::Lock, "lock"),
        (WorkloadKind::Lease, "lease"),
        (WorkloadKind::Election, "election"),
    ];

    /// The name a scenario file uses.
    pub fn name(self) -> &'static str {
        WorkloadKind::ALL
            .iter()
            .find(|(kind, _)| *kind == self)
            .map(|(_, name)| *name)
            .expect("every kind is listed")
    }

    pub fn from_name(name: &str) -> Option<WorkloadKind> {
        WorkloadKind::ALL
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(kind, _)| *kind)
    }
}

/// The lock workload: every client loops over lock → critical section → unlock, on one
/// of `locks` locks, each client with its own session (a lease kept alive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockConfig {
    /// How many locks the clients contend for (`locks/0` … ).
    pub locks: u64,
    /// The TTL of each client's session lease, in seconds.
    pub session_ttl_s: u64,
    /// The critical section (read, wait, write the protected resource) lasts a time drawn
    /// from [min, max] ms.
    pub hold_min_ms: u64,
    pub hold_max_ms: u64,
    /// Whether the protected resource rejects writes whose fencing token (the lock key's
    /// create revision) is older than the newest it has seen.
    pub fencing: bool,
}

/// The lease workload: every client grants a lease, attaches keys to it, keeps it alive
/// for a while, then revokes it or lets it lapse, and reads its keys back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseConfig {
    /// TTL of each granted lease, in seconds.
    pub ttl_s: u64,
    /// How long a client keeps a lease alive, drawn from [min, max] ms.
    pub keep_min_ms: u64,
    pub keep_max_ms: u64,
    /// The share of leases revoked by their client; the rest are let lapse.
    pub revoke_percent: u64,
    /// Keys attached to each lease.
    pub keys_per_lease: u64,
}

/// The election workload: clients campaign for one election; the leader proclaims values
/// for a while, then resigns; every client observes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectionConfig {
    /// The TTL of each client's session lease, in seconds.
    pub session_ttl_s: u64,
    /// How long a leader serves before resigning, drawn from [min, max] ms.
    pub serve_min_ms: u64,
    pub serve_max_ms: u64,
    /// A leader proclaims a new value this often.
    pub proclaim_ms: u64,
}

impl Default for LockConfig {
    fn default() -> Self {
        LockConfig {
            locks: 1,
            session_ttl_s: 2,
            hold_min_ms: 50,
            hold_max_ms: 300,
            fencing: false,
        }
    }
}

impl Default for LeaseConfig {
    fn default() -> Self {
        LeaseConfig {
            ttl_s: 3,
            keep_min_ms: 500,
            keep_max_ms: 5_000,
            revoke_percent: 50,
            keys_per_lease: 2,
        }
    }
}

impl Default for ElectionConfig {
    fn default() -> Self {
        ElectionConfig {
            session_ttl_s: 2,
            serve_min_ms: 200,
            serve_max_ms: 1_000,
            proclaim_ms: 100,
        }
    }
}

/// Relative weights of operation kinds; a weight of 0 switches a kind off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationMix {
    pub get: u64,
    pub put: u64,
    /// Compare-and-swap: a transaction on the key's value or mod_revision.
    pub cas: u64,
    pub delete: u64,
}

/// The liveness phase after the safety phase: all faults are healed (but those marked
/// `through_liveness`), every crashed node restarted, and the cluster must serve a write
/// and then a read within the timeout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LivenessConfig {
    pub timeout_ms: u64,
    /// If not 0, the cluster must also keep one leader in one term this long after the
    /// probe's read, within the timeout: a cluster whose elections never end may still
    /// slip a write and a read in between two of them. 0: not demanded.
    pub steady_leader_ms: u64,
}

impl Default for ClusterConfig {
    /// etcd's defaults: 100 ms heartbeat, 1 s election timeout.
    fn default() -> Self {
        ClusterConfig {
            nodes: 5,
            tick_ms: 100,
            election_ticks: 10,
            heartbeat_ticks: 1,
            fsync_us: 500,
            snapshot_interval_entries: 1_000,
            catch_up_entries: 5_000,
            lease_checkpoint_ms: 0,
            pre_vote: true,
            lease_expiry_check_ms: 0,
        }
    }
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            latency_min_ms: 1,
            latency_max_ms: 5,
        }
    }
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            clients: 4,
            keys: 5,
            request_timeout_ms: 1_000,
            retry_backoff_min_ms: 10,
            retry_backoff_max_ms: 200,
            think_min_ms: 5,
            think_max_ms: 50,
            mix: OperationMix {
                get: 40,
                put: 30,
                cas: 25,
                delete: 5,
            },
            kinds: vec![WorkloadKind::Kv],
            rounds_per_client: None,
            start_ms: 0,
        }
    }
}

impl Default for LivenessConfig {
    fn default() -> Self {
        LivenessConfig {
            timeout_ms: 10_000,
            steady_leader_ms: 0,
        }
    }
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
        Scenario::load_with(path, &[])
    }

    /// Reads a scenario file, applies `--set` overrides to it (see [`Override`]) and
    /// validates the result.
    pub fn load_with(
        path: &std::path::Path,
        overrides: &[Override],
    ) -> Result<Scenario, ScenarioError> {
        let source = std::fs::read_to_string(path).map_err(|error| ScenarioError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            field: String::new(),
            message: format!("cannot read the file: {error}"),
        })?;
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".to_string());
        Scenario::parse_with(&source, &path.display().to_string(), &stem, overrides)
    }

    /// Parses and validates scenario text; `file` is used in error messages, `default_name`
    /// when the text has no `name`.
    pub fn parse(source: &str, file: &str, default_name: &str) -> Result<Scenario, ScenarioError> {
        parse::parse(source, file, default_name)
    }

    /// Parses scenario text, applies `overrides` in order (a field set twice keeps the last
    /// value) and validates the result. The text must be a valid scenario by itself; an
    /// error the overrides cause names the `--set` flag, or the file and the flags when
    /// the value at fault is the file's but the overrides made it wrong.
    pub fn parse_with(
        source: &str,
        file: &str,
        default_name: &str,
        overrides: &[Override],
    ) -> Result<Scenario, ScenarioError> {
        overrides::parse_with(source, file, default_name, overrides)
    }

    /// Simulated time at which the run ends at the latest: safety phase plus liveness phase.
    pub fn end_ms(&self) -> u64 {
        self.duration_ms + self.liveness.timeout_ms
    }
}
