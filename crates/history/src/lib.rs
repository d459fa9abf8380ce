//! The records of one lockstep run and their JSON file format.
//!
//! A [`History`] is what a run leaves behind for the checkers: every client operation with
//! its call and return time and outcome, every fault the nemesis applied, every leader
//! change the cluster went through, and checkpoints of the replicas' applied state. It is
//! the only thing checkers read, so a history recorded elsewhere (or edited by hand) can be
//! checked offline with the same verdict.
//!
//! Times are simulated nanoseconds since the start of the run ([`SimTimeNs`]).

mod fault;
mod file;
mod lease;
mod lock;
mod op;
mod replica;

pub use fault::{Fault, FaultEvent, LeaderChange, LinkEffect, LivenessProbe, SteadyLeader};
pub use file::{HistoryFileError, FORMAT};
pub use lease::{LeaseAck, LeaseEnd, LeaseRenewal};
pub use lock::{LockHold, LockOwner, LockOwnership, ResourceWrite};
pub use op::{CasCompare, KvInput, KvOutput, Op, Outcome};
pub use replica::ReplicaCheckpoint;

use serde::{Deserialize, Serialize};

/// Simulated time in nanoseconds since the start of the run.
pub type SimTimeNs = u64;
/// A Raft member id (1-based, as raft-rs requires).
pub type NodeId = u64;
/// A client process id. One client has at most one operation in flight.
pub type ClientId = u64;

/// Everything one run recorded, in a deterministic order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Always [`FORMAT`]; lets readers reject files of another format version.
    pub format: String,
    /// The scenario's name.
    pub scenario: String,
    /// The seed that produced this run.
    pub seed: u64,
    /// Client operations, ordered by call time, then client, then id.
    pub ops: Vec<Op>,
    /// Faults as they were applied, ordered by time.
    pub faults: Vec<FaultEvent>,
    /// Leaders as they were elected, ordered by time.
    pub leaders: Vec<LeaderChange>,
    /// Replica checkpoints, ordered by time, then node. Absent from the file when empty, so
    /// histories recorded before replicas reported checkpoints read and write unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<ReplicaCheckpoint>,
    /// Lock holds as clients believed them, ordered by acquisition time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lock_holds: Vec<LockHold>,
    /// Lock owners as the store decided them, ordered by revision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lock_owners: Vec<LockOwnership>,
    /// Writes to the lock-protected resource, in the order it applied them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_writes: Vec<ResourceWrite>,
    /// Lease grants and keep-alives clients sent, ordered by send time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lease_renewals: Vec<LeaseRenewal>,
    /// Leases that ended (expired or revoked), ordered by revision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lease_ends: Vec<LeaseEnd>,
    /// The cluster's election timeout (its lower bound, `election_ticks × tick`): a new
    /// leader extends every lease by it, so it bounds how late a lapsed lease may expire.
    /// `None` in histories that do not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_timeout_ns: Option<u64>,
    /// The liveness phase: after faults stop, did the cluster serve again in time?
    /// `None` when the run had no liveness phase.
    pub liveness: Option<LivenessProbe>,
}

impl History {
    /// The moments the lock and lease records happen at: holds (their release, or their
    /// start if never released), owner changes, resource writes, renewals (their answer,
    /// or their send if unanswered) and lease ends.
    pub fn lock_and_lease_times(&self) -> impl Iterator<Item = SimTimeNs> + '_ {
        let holds = self
            .lock_holds
            .iter()
            .map(|hold| hold.released_ns.unwrap_or(hold.acquired_ns));
        let owners = self.lock_owners.iter().map(|change| change.at_ns);
        let writes = self.resource_writes.iter().map(|write| write.at_ns);
        let renewals = self.lease_renewals.iter().map(|renewal| {
            renewal
                .acked
                .map_or(renewal.sent_ns, |ack| ack.at_ns.max(renewal.sent_ns))
        });
        let ends = self.lease_ends.iter().map(|end| end.at_ns);
        holds
            .chain(owners)
            .chain(writes)
            .chain(renewals)
            .chain(ends)
    }

    /// The last moment the history records anything at: the run lasted at least that
    /// long. (A liveness probe's deadline is a bound, not an observation: a run may stop
    /// as soon as its probe succeeds.)
    pub fn last_recorded_ns(&self) -> SimTimeNs {
        let ops = self.ops.iter().map(|op| op.return_ns.unwrap_or(op.call_ns));
        let faults = self.faults.iter().map(|event| event.at_ns);
        let leaders = self.leaders.iter().map(|change| change.at_ns);
        let replicas = self.replicas.iter().map(|checkpoint| checkpoint.at_ns);
        let probe = self.liveness.iter().flat_map(|probe| {
            [
                Some(probe.healed_at_ns),
                probe.first_write_ns,
                probe.first_read_ns.flatten(),
                probe.steady_leader.as_ref().and_then(|steady| {
                    steady
                        .since_ns
                        .map(|since_ns| since_ns + steady.demanded_ns)
                }),
            ]
            .into_iter()
            .flatten()
        });
        ops.chain(faults)
            .chain(leaders)
            .chain(replicas)
            .chain(self.lock_and_lease_times())
            .chain(probe)
            .max()
            .unwrap_or(0)
    }
    /// The faults no heal lifted: they lasted through the liveness phase, which then had
    /// a cluster that was never fully healed.
    pub fn lasting_faults(&self) -> impl Iterator<Item = &Fault> {
        self.faults
            .iter()
            .filter(|event| event.lasting)
            .map(|event| &event.fault)
    }

    /// An empty history for `scenario` run with `seed`.
    pub fn new(scenario: impl Into<String>, seed: u64) -> Self {
        History {
            format: FORMAT.to_string(),
            scenario: scenario.into(),
            seed,
            ops: Vec::new(),
            faults: Vec::new(),
            leaders: Vec::new(),
            replicas: Vec::new(),
            lock_holds: Vec::new(),
            lock_owners: Vec::new(),
            resource_writes: Vec::new(),
            lease_renewals: Vec::new(),
            lease_ends: Vec::new(),
            election_timeout_ns: None,
            liveness: None,
        }
    }

    /// Puts every list into its canonical order, so that equal runs give equal bytes.
    pub fn sort(&mut self) {
        self.ops.sort_by_key(|op| (op.call_ns, op.client, op.id));
        self.faults.sort_by_key(|event| event.at_ns);
        self.leaders
            .sort_by_key(|change| (change.at_ns, change.term, change.node));
        self.replicas.sort_by_key(|checkpoint| {
            (checkpoint.at_ns, checkpoint.node, checkpoint.applied_index)
        });
        self.lock_holds
            .sort_by_key(|hold| (hold.acquired_ns, hold.client, hold.create_revision));
        self.lock_owners
            .sort_by(|a, b| (a.revision, &a.lock).cmp(&(b.revision, &b.lock)));
        self.lease_renewals
            .sort_by_key(|renewal| (renewal.sent_ns, renewal.client, renewal.lease));
        self.lease_ends.sort_by_key(|end| (end.revision, end.lease));
        // Resource writes keep the order the resource applied them in.
    }
}
