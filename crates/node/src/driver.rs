//! The Ready loop: how a replica turns raft-rs' decisions into disk writes, messages,
//! applied commands and client replies.

use crate::command::Command;
use crate::digest;
use crate::read::{ReadRequest, WATCH_PARK_NS};
use crate::MembershipChange;
use crate::{
    ClientError, ClientReply, DiskWrite, Lessor, LogStorage, ReadyStep, RequestTag, SimDisk,
};
use bugs::{Bug, Bugs};
use kv::LeaseId;
use raft::eraftpb::{
    ConfChange, ConfChangeType, ConfChangeV2, Entry, EntryType, Message, MessageType, Snapshot,
    SnapshotMetadata,
};
use raft::{RawNode, ReadOnlyOption, StateRole, Storage};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// How one replica is set up. Times are in Raft ticks, as raft-rs counts them.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// This replica's Raft id (1-based).
    pub id: u64,
    /// Ticks without hearing from a leader before campaigning; the actual timeout is
    /// drawn from [election_ticks, 2 × election_ticks).
    pub election_ticks: usize,
    pub heartbeat_ticks: usize,
    /// Simulated time one fsync takes, unless the disk is made slow.
    pub fsync_latency: Duration,
    /// Take a snapshot (and compact the log) every this many applied entries.
    pub snapshot_interval_entries: u64,
    /// Entries kept in the log behind a snapshot for followers that lag a little.
    pub catch_up_entries: u64,
    /// Seeds this replica's own random stream (its election timeouts).
    pub rng_seed: u64,
    /// The election timeout in local time (`election_ticks` ticks): a new leader extends
    /// every lease's deadline by it.
    pub election_timeout: Duration,
    /// How often the leader checkpoints every lease's remaining TTL through Raft (etcd's
    /// lease checkpointing); `None`: never, and a new leader restarts leases at their
    /// full TTL, as etcd 3.4 does by default.
    pub lease_checkpoint_interval: Option<Duration>,
    /// Whether Raft's PreVote is on (etcd 3.5's default; 3.4 runs without it).
    /// Check-quorum is on either way, as etcd always sets it.
    pub pre_vote: bool,
    /// How often the leader looks for leases past their deadline; `None`: every tick.
    /// etcd 3.4's lessor looks every 500 ms, so a lapsed lease ends up to that much late.
    pub lease_expiry_check_interval: Option<Duration>,
    /// Bugs planted in this replica (see the `bugs` crate); empty: the correct code.
    pub bugs: Bugs,
}

/// Where a replica's output goes: the simulator's network and clients.
pub trait Outbox {
    /// Send a Raft message to another replica.
    fn send(&mut self, message: Message);
    /// Answer a client request.
    fn reply(&mut self, tag: RequestTag, reply: ClientReply);
    /// This replica applied a write that made `store` reach a new revision.
    fn applied_revision(&mut self, store: &kv::Store);
    /// This replica applied the end of a lease (a client's revoke or an expiry).
    fn lease_ended(&mut self, end: LeaseEnded);
    /// This replica just became leader of `term`.
    fn became_leader(&mut self, term: u64);
    /// This replica applied up to a multiple of [`CHECKPOINT_INTERVAL_ENTRIES`] or of the
    /// snapshot interval (where every replica compacts); replicas at the same index must
    /// report the same checkpoint.
    fn checkpoint(&mut self, checkpoint: Checkpoint);
}

/// Every this many log indexes each replica reports a [`Checkpoint`]. Divergence persists
/// (the log digest is a chain; the store keeps its recent history), so a sparse interval
/// still catches it at the next multiple; 50 keeps a 16 s scenario's history a few dozen
/// lines longer while every shipped scenario, applying hundreds of entries, gets several
/// checkpoints per replica.
pub const CHECKPOINT_INTERVAL_ENTRIES: u64 = 50;

/// A replica's state right after applying `applied_index`, in hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub applied_index: u64,
    /// Hash chain over every entry applied up to `applied_index` (index, term, type, data).
    pub log_digest: u64,
    /// Hash of the store's whole state.
    pub state_hash: u64,
}

/// A lease's end as a replica applied it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseEnded {
    pub lease: LeaseId,
    /// The revision of the deletion of its keys (the unchanged revision if it had none).
    pub revision: u64,
    pub keys: Vec<String>,
    /// The leader whose lessor expired it; `None` when a client revoked it.
    pub expired_by: Option<u64>,
}

/// A lease request the leader's lessor answers rather than the store: it holds the live
/// deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessorRequest {
    /// Renew a lease to its full TTL from now (etcd's LeaseKeepAlive).
    KeepAlive(LeaseId),
    /// How long a lease has left, and its keys (etcd's LeaseTimeToLive).
    TimeToLive(LeaseId),
    /// Every lease (etcd's LeaseLeases).
    Leases,
}

/// Requests from the cluster itself (lease expiry and checkpoints) carry this client id;
/// clients count from 1.
pub const CLUSTER_CLIENT_ID: u64 = 0;

/// Reads a replica's monotonic local clock, in ns: the machine's clock, which may run
/// fast or slow (jumps of the wall clock do not show, as in Go's monotonic time).
pub type LocalClock = Box<dyn Fn() -> u64 + Send + Sync>;

/// What a snapshot's data holds: the whole store as of the snapshot's index, and the log
/// digest there, so a replica that installs the snapshot continues the same chain.
#[derive(Serialize, Deserialize)]
struct SnapshotData {
    store: kv::Store,
    log_digest: u64,
}

/// The store keeps this many past revisions readable; older ones are compacted away.
const RETAINED_REVISIONS: u64 = 1_000;

/// One replica: raft-rs, the key-value store it replicates, and the disk it persists to.
pub struct RaftNode {
    raw: RawNode<LogStorage>,
    disk: SimDisk,
    store: kv::Store,
    config: NodeConfig,
    rng: SmallRng,
    /// Role and term as of the last check, to notice elections and re-draw timeouts.
    role: StateRole,
    term: u64,
    applied_index: u64,
    /// This replica applied its own removal from the cluster: like etcd's, it stops.
    removed: bool,
    /// A membership change was applied since the last snapshot.
    members_changed: bool,
    /// Counts the configurations this replica has applied (changes and snapshots), so
    /// callers can tell cheaply whether [`RaftNode::voters`] may have changed.
    membership_epoch: u64,
    /// Digest of the log up to `applied_index`; see [`digest::chain`].
    log_digest: u64,
    snapshot_index: u64,
    /// Proposals made here, by the log index they were appended at.
    proposals: BTreeMap<u64, RequestTag>,
    /// Reads waiting for ReadIndex, by their tag (which is also the ReadIndex context).
    reads_waiting_for_index: BTreeMap<RequestTag, ReadRequest>,
    /// Reads whose read index is known, waiting for it to be applied.
    reads_waiting_for_apply: Vec<(u64, RequestTag, ReadRequest)>,
    /// Watches with nothing to report yet, since when (local ns): answered when a change
    /// comes, or empty after [`WATCH_PARK_NS`].
    watches_parked: Vec<(u64, RequestTag, kv::WatchRequest)>,
    /// Lease deadlines, kept by the leader.
    lessor: Lessor,
    /// Reads this replica's monotonic local clock, which lease deadlines are kept on.
    local_clock: LocalClock,
    /// Lessor requests waiting for a ReadIndex round to confirm that this replica still
    /// leads: a leader cut off from the others (or stuck, then thawed) must not renew a
    /// lease the new leader may be expiring (etcd #15247, fixed by etcd PR #16822).
    lessor_requests_waiting: BTreeMap<RequestTag, LessorRequest>,
    /// Requests this replica made of its own (expiries, checkpoints) are numbered by this.
    own_requests: u64,
    /// Own requests waiting to be proposed: raft-rs must not get a proposal between
    /// `ready()` and `advance()`, where a keep-alive is answered.
    own_requests_waiting: Vec<Command>,
    /// When the lessor last checkpointed leases, in local ns.
    last_lease_checkpoint_ns: u64,
    /// The interval of the local clock (`now / lease_expiry_check_interval`) in which the
    /// leader last looked for expired leases (used only with that setting).
    last_lease_expiry_check_period: Option<u64>,
}

impl RaftNode {
    /// Starts a replica from what its disk holds: a fresh member on first start, the
    /// synced state after a crash.
    pub fn start(config: NodeConfig, disk: SimDisk, local_clock: LocalClock) -> RaftNode {
        let storage = disk.durable();
        let snapshot = storage.latest_snapshot().clone();
        let SnapshotData { store, log_digest } = decode_snapshot(&snapshot, &config.bugs);
        let snapshot_index = snapshot.get_metadata().index;
        let elections_unguarded = config.bugs.has(Bug::NoPrevoteNoCheckquorum);
        let lease_based_reads = config.bugs.has(Bug::LeaseReadUnderSkew);
        let raft_config = raft::Config {
            id: config.id,
            election_tick: config.election_ticks,
            heartbeat_tick: config.heartbeat_ticks,
            applied: snapshot_index,
            max_size_per_msg: 1024 * 1024,
            max_inflight_msgs: 256,
            // Planted: neither guard against a node that cannot hear the leader (it campaigns
            // at once, and its higher term deposes the leader through anyone who hears
            // both). raft-rs takes lease-based reads only with check-quorum, so planting
            // both bugs keeps check-quorum.
            check_quorum: !elections_unguarded || lease_based_reads,
            pre_vote: config.pre_vote && !elections_unguarded,
            read_only_option: if lease_based_reads {
                // Planted: a ReadIndex is answered at once from the leader's lease (its
                // check-quorum belief, counted in its own ticks), not confirmed by a quorum.
                ReadOnlyOption::LeaseBased
            } else {
                ReadOnlyOption::Safe
            },
            ..raft::Config::default()
        };
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let revoke_retry_ns = config.election_timeout.as_nanos() as u64;
        let raw = RawNode::new(&raft_config, storage, &logger).expect("valid raft config");
        let mut node = RaftNode {
            raw,
            disk,
            store,
            rng: SmallRng::seed_from_u64(config.rng_seed),
            config,
            role: StateRole::Follower,
            term: 0,
            applied_index: snapshot_index,
            removed: false,
            members_changed: false,
            membership_epoch: 0,
            log_digest,
            snapshot_index,
            proposals: BTreeMap::new(),
            reads_waiting_for_index: BTreeMap::new(),
            reads_waiting_for_apply: Vec::new(),
            watches_parked: Vec::new(),
            lessor: Lessor::new(revoke_retry_ns),
            local_clock,
            lessor_requests_waiting: BTreeMap::new(),
            own_requests: 0,
            own_requests_waiting: Vec::new(),
            last_lease_checkpoint_ns: 0,
            last_lease_expiry_check_period: None,
        };
        // raft-rs drew the first timeout from the OS's randomness; replace it.
        node.redraw_election_timeout();
        node.role = node.raw.raft.state;
        node.term = node.raw.raft.term;
        node
    }

    pub fn id(&self) -> u64 {
        self.config.id
    }

    pub fn role(&self) -> StateRole {
        self.raw.raft.state
    }

    pub fn term(&self) -> u64 {
        self.raw.raft.term
    }

    /// The leader this replica believes in, if any.
    pub fn leader(&self) -> Option<u64> {
        Some(self.raw.raft.leader_id).filter(|&id| id != raft::INVALID_ID)
    }

    /// Whether this replica applied its own removal, after which it must stop: raft-rs
    /// cannot go on as a leader that is not a member.
    pub fn is_removed(&self) -> bool {
        self.removed
    }

    pub fn applied_index(&self) -> u64 {
        self.applied_index
    }

    /// The replicated store as applied so far.
    pub fn store(&self) -> &kv::Store {
        &self.store
    }

    /// Log entries held in memory (bounded by snapshots and compaction).
    pub fn log_entries(&self) -> usize {
        self.raw.store().entry_count()
    }

    /// The monotonic local time now, in ns.
    fn local_now_ns(&self) -> u64 {
        (self.local_clock)()
    }

    /// Advances Raft's logical clock by one tick; a leader then expires the leases past
    /// their deadline and checkpoints leases when due.
    pub fn tick(&mut self, outbox: &mut dyn Outbox) {
        self.raw.tick();
        self.after_raft_call(outbox);
        if self.role() != StateRole::Leader {
            return;
        }
        self.answer_watches(outbox);
        let now_ns = self.local_now_ns();
        if self.lease_expiry_check_due(now_ns) {
            self.expire_leases(now_ns);
        }
        if let Some(interval) = self.config.lease_checkpoint_interval {
            let interval_ns = interval.as_nanos() as u64;
            if now_ns >= self.last_lease_checkpoint_ns + interval_ns {
                self.last_lease_checkpoint_ns = now_ns;
                for (id, remaining_ttl_s) in self.lessor.checkpoints(now_ns) {
                    self.propose_own(
                        kv::Request::LeaseCheckpoint(kv::LeaseCheckpointRequest {
                            id,
                            remaining_ttl_s,
                        }),
                        false,
                    );
                }
            }
        }
        self.propose_own_requests(outbox);
    }

    /// Whether the leader looks for expired leases on this tick: on every tick, or, with
    /// `lease_expiry_check_interval`, on the first tick of each interval of its local
    /// clock. etcd 3.4's lessor loop wakes every 500 ms on a timer of its own, whose phase
    /// owes nothing to when the member became leader; counting intervals of the clock,
    /// not from the promotion, keeps that.
    fn lease_expiry_check_due(&mut self, now_ns: u64) -> bool {
        let Some(interval) = self.config.lease_expiry_check_interval else {
            return true;
        };
        let period = now_ns / (interval.as_nanos() as u64).max(1);
        if self.last_lease_expiry_check_period == Some(period) {
            return false;
        }
        self.last_lease_expiry_check_period = Some(period);
        true
    }

    /// Proposes a revoke of every lease past its deadline at `now_ns`.
    fn expire_leases(&mut self, now_ns: u64) {
        for id in self.lessor.expired(now_ns) {
            self.propose_own(
                kv::Request::LeaseRevoke(kv::LeaseRevokeRequest { id }),
                true,
            );
        }
    }

    /// Queues a request of the replica's own, a lease expiry (`expiry`) or checkpoint, to
    /// be proposed by [`RaftNode::propose_own_requests`].
    fn propose_own(&mut self, request: kv::Request, expiry: bool) {
        self.own_requests += 1;
        self.own_requests_waiting.push(Command {
            tag: RequestTag {
                client: CLUSTER_CLIENT_ID,
                request_id: self.own_requests,
            },
            request,
            expired_by: expiry.then_some(self.config.id),
        });
    }

    /// Proposes the queued own requests, if this replica still leads. Nobody waits for
    /// their answers; one lost to a leader change is made again by whoever leads (the
    /// lessor retries revokes, and checkpoints recur).
    fn propose_own_requests(&mut self, outbox: &mut dyn Outbox) {
        if self.own_requests_waiting.is_empty() {
            return;
        }
        for command in std::mem::take(&mut self.own_requests_waiting) {
            if self.role() == StateRole::Leader {
                let _dropped_during_leadership_transfer =
                    self.raw.propose(Vec::new(), command.encode());
            }
        }
        self.after_raft_call(outbox);
    }

    /// Hands a message from another replica to Raft.
    pub fn step(&mut self, message: Message, outbox: &mut dyn Outbox) {
        // Errors are messages for another term or an unknown peer: Raft ignores them.
        let _ = self.raw.step(message);
        self.after_raft_call(outbox);
    }

    /// The transport could (or could not) deliver a snapshot to `to`.
    pub fn report_snapshot(&mut self, to: u64, delivered: bool) {
        let status = if delivered {
            raft::SnapshotStatus::Finish
        } else {
            self.raw.report_unreachable(to);
            raft::SnapshotStatus::Failure
        };
        self.raw.report_snapshot(to, status);
    }

    /// Proposes a client write. Only the leader accepts; the reply comes when the entry
    /// applies (or is overwritten by another leader's entry).
    pub fn propose(&mut self, tag: RequestTag, request: kv::Request, outbox: &mut dyn Outbox) {
        if self.role() != StateRole::Leader {
            outbox.reply(tag, Err(self.not_leader()));
            return;
        }
        let data = Command {
            tag,
            request,
            expired_by: None,
        }
        .encode();
        match self.raw.propose(Vec::new(), data) {
            Ok(()) => {
                let index = self.raw.raft.raft_log.last_index();
                self.proposals.insert(index, tag);
            }
            // raft-rs drops proposals while a leadership transfer is under way.
            Err(_) => outbox.reply(tag, Err(self.not_leader())),
        }
        self.after_raft_call(outbox);
    }

    /// The refusal a non-leader gives, pointing at the leader it knows of.
    fn not_leader(&self) -> ClientError {
        ClientError::NotLeader {
            leader_hint: self.leader(),
        }
    }

    /// Serves a linearizable read: asks Raft for a read index (confirmed by a quorum of
    /// heartbeats) and answers once that index is applied. Only the leader serves reads.
    pub fn read(&mut self, tag: RequestTag, request: ReadRequest, outbox: &mut dyn Outbox) {
        if self.config.bugs.has(Bug::LeaderLocalRead) && self.role() == StateRole::Leader {
            // Planted: served from this replica's applied state now, on its own belief
            // that it leads, with no quorum confirming it.
            self.reads_waiting_for_apply
                .push((self.applied_index, tag, request));
            self.serve_applied_reads(outbox);
            return;
        }
        if self.config.bugs.has(Bug::ReadIndexNoTermCheck)
            && self.role() == StateRole::Leader
            && !self.raw.raft.commit_to_current_term()
        {
            // Planted: not refused before this leader committed in its term. raft-rs would
            // ignore the ReadIndex until then, so the read is served at the commit index
            // this leader knows, which may lag what the previous leader acknowledged.
            let index = self.raw.raft.raft_log.committed;
            self.reads_waiting_for_apply.push((index, tag, request));
            self.serve_applied_reads(outbox);
            return;
        }
        if self.refuses_read_index(tag, outbox) {
            return;
        }
        self.reads_waiting_for_index.insert(tag, request);
        self.raw.read_index(tag.to_context());
        self.after_raft_call(outbox);
    }

    /// Refuses `tag` (and says so) if this replica cannot start a ReadIndex round: it does
    /// not lead, or it has not committed in its term yet (raft-rs silently ignores
    /// ReadIndex until then).
    fn refuses_read_index(&self, tag: RequestTag, outbox: &mut dyn Outbox) -> bool {
        let refusal = if self.role() != StateRole::Leader {
            self.not_leader()
        } else if !self.raw.raft.commit_to_current_term() {
            ClientError::LeaderNotReady
        } else {
            return false;
        };
        outbox.reply(tag, Err(refusal));
        true
    }

    /// Answers a lease request that only the leader's lessor can: after a ReadIndex round
    /// confirms that this replica still leads (see `lessor_requests_waiting`).
    pub fn lessor_request(
        &mut self,
        tag: RequestTag,
        request: LessorRequest,
        outbox: &mut dyn Outbox,
    ) {
        if self.config.bugs.has(Bug::LessorStalePrimary) && self.role() == StateRole::Leader {
            // Planted: answered on this replica's own belief that it leads, unconfirmed.
            let reply = self.answer_lessor_request(request);
            outbox.reply(tag, reply);
            return;
        }
        if self.refuses_read_index(tag, outbox) {
            return;
        }
        self.lessor_requests_waiting.insert(tag, request);
        self.raw.read_index(tag.to_context());
        self.after_raft_call(outbox);
    }

    /// A lessor request whose ReadIndex round confirmed this replica's leadership.
    fn answer_lessor_request(&mut self, request: LessorRequest) -> ClientReply {
        let header = kv::ResponseHeader {
            revision: self.store.revision(),
        };
        let now_ns = self.local_now_ns();
        match request {
            LessorRequest::KeepAlive(id) => {
                let Some(ttl_s) = self.lessor.keep_alive(id, now_ns) else {
                    return Err(ClientError::Kv(kv::KvError::LeaseNotFound { id }));
                };
                let checkpointed = self
                    .store
                    .lease_time_to_live(id)
                    .is_some_and(|info| info.remaining_ttl_s != info.granted_ttl_s);
                if checkpointed && self.config.lease_checkpoint_interval.is_some() {
                    // The renewal supersedes the checkpoint: clear it, so that a new leader
                    // does not count from the older, shorter remaining time.
                    self.propose_own(
                        kv::Request::LeaseCheckpoint(kv::LeaseCheckpointRequest {
                            id,
                            remaining_ttl_s: 0,
                        }),
                        false,
                    );
                }
                Ok(kv::Response::LeaseKeepAlive(kv::LeaseKeepAliveResponse {
                    header,
                    id,
                    ttl_s,
                }))
            }
            LessorRequest::TimeToLive(id) => {
                let (granted_ttl_s, remaining_ttl_s, keys) = match (
                    self.store.lease_time_to_live(id),
                    self.lessor.remaining_ns(id, now_ns),
                ) {
                    (Some(info), Some(remaining_ns)) => (
                        info.granted_ttl_s,
                        remaining_ns.div_ceil(1_000_000_000) as i64,
                        info.keys,
                    ),
                    _ => (-1, -1, Vec::new()),
                };
                Ok(kv::Response::LeaseTimeToLive(kv::LeaseTimeToLiveResponse {
                    header,
                    id,
                    granted_ttl_s,
                    remaining_ttl_s,
                    keys,
                }))
            }
            LessorRequest::Leases => Ok(kv::Response::LeaseLeases(kv::LeaseLeasesResponse {
                header,
                leases: self.store.leases(),
            })),
        }
    }

    /// Proposes a membership change, if this replica leads; otherwise (or while another
    /// change is still pending, which raft-rs refuses) nothing happens and the caller
    /// asks again.
    pub fn change_membership(&mut self, change: MembershipChange, outbox: &mut dyn Outbox) {
        if self.raw.raft.state != StateRole::Leader {
            return;
        }
        let _refused_while_another_is_pending = self
            .raw
            .propose_conf_change(Vec::new(), change.to_conf_change());
        self.after_raft_call(outbox);
    }

    /// Changes whenever the configuration this replica applied may have changed.
    pub fn membership_epoch(&self) -> u64 {
        self.membership_epoch
    }

    /// The voting members, as of the configuration this replica has applied.
    pub fn voters(&self) -> Vec<u64> {
        let mut voters: Vec<u64> = self.raw.store().conf_state().voters.clone();
        voters.sort_unstable();
        voters
    }

    /// Runs one round of the Ready loop if raft-rs has anything ready: persist (waiting
    /// for the simulated fsync), send, apply, advance. A crash the nemesis armed at one of
    /// the round's steps stops the round there, for good.
    pub async fn handle_ready(&mut self, outbox: &mut dyn Outbox) {
        if !self.raw.has_ready() {
            return;
        }
        let mut ready = self.raw.ready();
        // Planted: a lone voter commits without waiting for anyone, and applies and
        // answers before its fsync, which waits until the end of the round.
        let ack_before_fsync =
            self.config.bugs.has(Bug::AckBeforeFsync) && self.voters().len() == 1;

        // 1. Persist: snapshot, entries and hard state, then one fsync. A crash armed at
        // a step strikes only in a round that has something at stake there: a round
        // with nothing to sync has nothing to lose before its fsync.
        let snapshot = ready.snapshot().clone();
        let installs_snapshot = snapshot.get_metadata().index != 0;
        if installs_snapshot {
            self.persist(DiskWrite::InstallSnapshot(snapshot.clone()));
        }
        if !ready.entries().is_empty() {
            self.persist(DiskWrite::Entries(ready.take_entries()));
        }
        if let Some(hard_state) = ready.hs() {
            self.persist(DiskWrite::HardState(hard_state.clone()));
        }
        let mut persisted_messages = ready.take_persisted_messages();
        // Planted: votes go out before the hard state that records them is synced.
        if self.config.bugs.has(Bug::SendBeforePersist) {
            let (votes, others): (Vec<Message>, Vec<Message>) = persisted_messages
                .into_iter()
                .partition(|message| message.get_msg_type() == MessageType::MsgRequestVoteResponse);
            for vote in votes {
                outbox.send(vote);
            }
            persisted_messages = others;
        }
        if self.disk.has_unsynced_writes() && !ack_before_fsync {
            self.reach(ReadyStep::BeforeSync).await;
            self.sync_disk().await;
            self.reach(ReadyStep::AfterSync).await;
        }

        // 2. Send, now that what the messages promise is durable.
        let messages = ready.take_messages();
        let sends = !messages.is_empty() || !persisted_messages.is_empty();
        for message in messages.into_iter().chain(persisted_messages) {
            outbox.send(message);
        }
        if sends {
            self.reach(ReadyStep::AfterSend).await;
        }

        // 3. Apply.
        if installs_snapshot {
            self.install_snapshot(&snapshot);
        }
        for read_state in ready.take_read_states() {
            let tag = RequestTag::from_context(&read_state.request_ctx);
            if let Some(request) = self.reads_waiting_for_index.remove(&tag) {
                self.reads_waiting_for_apply
                    .push((read_state.index, tag, request));
            }
            if let Some(request) = self.lessor_requests_waiting.remove(&tag) {
                let reply = self.answer_lessor_request(request);
                outbox.reply(tag, reply);
            }
        }
        let committed = ready.take_committed_entries();
        let applies = !committed.is_empty();
        self.apply_entries(committed, outbox);
        if applies {
            self.reach(ReadyStep::AfterApply).await;
        }
        if self.removed {
            // Out of the cluster: raft-rs would fail advancing a leader that is not a
            // member, and there is nothing left to do (see `is_removed`).
            return;
        }

        // 4. Advance.
        let mut light_ready = self.raw.advance(ready);
        if let Some(commit) = light_ready.commit_index() {
            let mut hard_state = self.raw.store().hard_state().clone();
            hard_state.commit = commit;
            self.persist(DiskWrite::HardState(hard_state));
            if !ack_before_fsync {
                self.sync_disk().await;
            }
        }
        for message in light_ready.take_messages() {
            outbox.send(message);
        }
        self.apply_entries(light_ready.take_committed_entries(), outbox);
        self.raw.advance_apply();
        if ack_before_fsync && self.disk.has_unsynced_writes() {
            self.reach(ReadyStep::BeforeSync).await;
            self.sync_disk().await;
            self.reach(ReadyStep::AfterSync).await;
        }

        self.serve_applied_reads(outbox);
        self.maybe_snapshot();
        self.after_raft_call(outbox);
        self.propose_own_requests(outbox);
    }

    /// Writes to memory now and to the disk's unsynced queue.
    fn persist(&mut self, write: DiskWrite) {
        self.raw.mut_store().apply(&write);
        self.disk.write(write);
    }

    /// Waits out one fsync, then makes the queued writes durable. Callers skip it when
    /// nothing is queued, as etcd's WAL skips the fsync of an empty save: a round that
    /// only sends messages does not wait for the disk.
    async fn sync_disk(&mut self) {
        let latency = self.disk.slow_fsync().unwrap_or(self.config.fsync_latency);
        if !latency.is_zero() {
            madsim::time::sleep(latency).await;
        }
        self.disk.sync();
    }

    /// Passes a step of the Ready loop, where a crash may be armed.
    async fn reach(&self, step: ReadyStep) {
        self.disk.crash_trap().reach(step).await;
    }

    fn install_snapshot(&mut self, snapshot: &Snapshot) {
        let index = snapshot.get_metadata().index;
        let data = decode_snapshot(snapshot, &self.config.bugs);
        self.store = data.store;
        self.membership_epoch += 1;
        self.log_digest = data.log_digest;
        self.applied_index = index;
        self.snapshot_index = index;
        // Proposals at or below the snapshot can no longer be matched to their entries.
        let overtaken: Vec<u64> = self.proposals.range(..=index).map(|(&i, _)| i).collect();
        for index in overtaken {
            self.proposals.remove(&index);
        }
    }

    fn apply_entries(&mut self, entries: Vec<Entry>, outbox: &mut dyn Outbox) {
        for entry in entries {
            if entry.index <= self.applied_index {
                continue;
            }
            self.applied_index = entry.index;
            self.log_digest = digest::chain(self.log_digest, &entry);
            // Membership changes are applied as raft-rs requires; this foundation never
            // proposes them, but a log that holds them must still replay correctly.
            let conf_state = match entry.get_entry_type() {
                EntryType::EntryNormal => {
                    self.apply_command(&entry, outbox);
                    None
                }
                EntryType::EntryConfChange => {
                    let change = decode::<ConfChange>(&entry.data);
                    if change.get_change_type() == ConfChangeType::RemoveNode
                        && change.node_id == self.config.id
                    {
                        self.removed = true;
                    }
                    Some(self.raw.apply_conf_change(&change))
                }
                EntryType::EntryConfChangeV2 => Some(self.raw.apply_conf_change(&decode::<
                    ConfChangeV2,
                >(
                    &entry.data
                ))),
            };
            if let Some(conf_state) = conf_state {
                self.persist(DiskWrite::ConfState(conf_state.expect("valid conf change")));
                self.members_changed = true;
                self.membership_epoch += 1;
            }
            // Compaction is part of the replicated state machine: every replica compacts
            // at the same log positions, so replicas stay identical at equal indexes.
            let compacts_here = entry.index % self.config.snapshot_interval_entries == 0;
            if compacts_here {
                let target = self.store.revision().saturating_sub(RETAINED_REVISIONS);
                if target > self.store.compacted_revision() {
                    self.store
                        .compact(target)
                        .expect("compacting below the current revision");
                }
            }
            // Also where every replica compacts: a scenario that compacts often (to
            // exercise snapshots) has its replicas compared as often, so a state gone
            // wrong across a snapshot shows within a few entries.
            if entry.index % CHECKPOINT_INTERVAL_ENTRIES == 0 || compacts_here {
                outbox.checkpoint(Checkpoint {
                    applied_index: entry.index,
                    log_digest: self.log_digest,
                    state_hash: digest::state_hash(&self.store),
                });
            }
        }
    }

    fn apply_command(&mut self, entry: &Entry, outbox: &mut dyn Outbox) {
        let waiting = self.proposals.remove(&entry.index);
        if entry.data.is_empty() {
            // A new leader's empty entry took the slot of a proposal made here.
            if let Some(tag) = waiting {
                outbox.reply(tag, Err(ClientError::ProposalDropped));
            }
            return;
        }
        let command = Command::decode(&entry.data);
        let revision_before = self.store.revision();
        let lease_keys = match &command.request {
            kv::Request::LeaseRevoke(revoke) => self
                .store
                .lease_time_to_live(revoke.id)
                .map(|info| info.keys),
            _ => None,
        };
        let result = self
            .store
            .execute(&command.request)
            .map_err(ClientError::Kv);
        if result.is_ok() {
            self.applied_to_lessor(&command, lease_keys, outbox);
        }
        if self.store.revision() != revision_before {
            outbox.applied_revision(&self.store);
        }
        match waiting {
            Some(tag) if tag == command.tag => outbox.reply(tag, result),
            Some(tag) => outbox.reply(tag, Err(ClientError::ProposalDropped)),
            None => {}
        }
    }

    /// Keeps the lessor in step with applied grants and revokes, and reports lease ends.
    fn applied_to_lessor(
        &mut self,
        command: &Command,
        lease_keys: Option<Vec<String>>,
        outbox: &mut dyn Outbox,
    ) {
        match &command.request {
            kv::Request::LeaseGrant(grant) => {
                let now_ns = self.local_now_ns();
                self.lessor.granted(grant.id, grant.ttl_s, now_ns)
            }
            kv::Request::LeaseRevoke(revoke) => {
                self.lessor.revoked(revoke.id);
                outbox.lease_ended(LeaseEnded {
                    lease: revoke.id,
                    revision: self.store.revision(),
                    keys: lease_keys.unwrap_or_default(),
                    expired_by: command.expired_by,
                });
            }
            _ => {}
        }
    }

    fn serve_applied_reads(&mut self, outbox: &mut dyn Outbox) {
        let applied = self.applied_index;
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.reads_waiting_for_apply)
            .into_iter()
            .partition(|(index, _, _)| *index <= applied);
        self.reads_waiting_for_apply = waiting;
        for (_, tag, request) in ready {
            match request {
                ReadRequest::Range(range) => outbox.reply(
                    tag,
                    self.store
                        .range(&range)
                        .map(kv::Response::Range)
                        .map_err(ClientError::Kv),
                ),
                ReadRequest::Watch(watch) => {
                    let since_ns = self.local_now_ns();
                    self.watches_parked.push((since_ns, tag, watch));
                }
            }
        }
        self.answer_watches(outbox);
    }

    /// Answers the parked watches that have changes to report, and those parked for
    /// [`WATCH_PARK_NS`] (empty).
    fn answer_watches(&mut self, outbox: &mut dyn Outbox) {
        if self.watches_parked.is_empty() {
            return;
        }
        let now_ns = self.local_now_ns();
        let mut still_parked = Vec::new();
        for (since_ns, tag, watch) in std::mem::take(&mut self.watches_parked) {
            match self.store.watch_events(&watch) {
                Ok(response) if response.events.is_empty() && now_ns < since_ns + WATCH_PARK_NS => {
                    still_parked.push((since_ns, tag, watch));
                }
                Ok(response) => outbox.reply(tag, Ok(kv::Response::Watch(response))),
                Err(error) => outbox.reply(tag, Err(ClientError::Kv(error))),
            }
        }
        self.watches_parked = still_parked;
    }

    /// Every `snapshot_interval_entries` applied entries: snapshot the store and compact
    /// the log, keeping `catch_up_entries` behind the snapshot so a follower that lags a
    /// little catches up from the log; one further behind is sent the snapshot.
    /// Snapshots every `snapshot_interval_entries`, and after a membership change: raft-rs
    /// refuses a snapshot whose configuration does not hold the receiver, so a member
    /// just added could never catch up from a snapshot taken before its addition.
    fn maybe_snapshot(&mut self) {
        let interval_passed =
            self.applied_index >= self.snapshot_index + self.config.snapshot_interval_entries;
        let members_changed_since =
            self.members_changed && self.applied_index > self.snapshot_index;
        if !(interval_passed || members_changed_since) {
            return;
        }
        self.members_changed = false;
        let index = self.applied_index;
        let term = self
            .raw
            .store()
            .term(index)
            .expect("applied entries are in the log");
        let data = serde_json::to_vec(&SnapshotData {
            store: self.store.clone(),
            log_digest: self.log_digest,
        })
        .expect("the store serializes");
        let snapshot = Snapshot {
            data: data.into(),
            metadata: Some(SnapshotMetadata {
                index,
                term,
                conf_state: Some(self.raw.store().conf_state().clone()).into(),
                ..SnapshotMetadata::default()
            })
            .into(),
            ..Snapshot::default()
        };
        self.persist(DiskWrite::SaveSnapshot(snapshot));
        self.persist(DiskWrite::Compact(
            index.saturating_sub(self.config.catch_up_entries),
        ));
        self.snapshot_index = index;
    }

    /// After anything that may change role or term: raft-rs re-drew its randomized
    /// election timeout from the OS's randomness, so draw it again from our seeded stream;
    /// report a new leadership; fail reads a deposed leader can no longer serve.
    fn after_raft_call(&mut self, outbox: &mut dyn Outbox) {
        let (role, term) = (self.raw.raft.state, self.raw.raft.term);
        if (role, term) == (self.role, self.term) {
            return;
        }
        let was_leader = self.role == StateRole::Leader;
        self.role = role;
        self.term = term;
        self.redraw_election_timeout();
        if role == StateRole::Leader {
            outbox.became_leader(term);
            let extension_ns = if self.config.bugs.has(Bug::PromoteNoExtend) {
                0
            } else {
                self.config.election_timeout.as_nanos() as u64
            };
            let now_ns = self.local_now_ns();
            self.lessor
                .promote(now_ns, extension_ns, &self.store.lease_ttls());
            self.last_lease_checkpoint_ns = now_ns;
        } else if was_leader {
            self.lessor.demote();
            // Reads have no effect, so refusing them is always safe; a deposed leader
            // must not answer them from its own, possibly stale, state.
            let waiting_for_index = std::mem::take(&mut self.reads_waiting_for_index).into_keys();
            let waiting_for_apply = std::mem::take(&mut self.reads_waiting_for_apply)
                .into_iter()
                .map(|(_, tag, _)| tag);
            let lessor_requests = std::mem::take(&mut self.lessor_requests_waiting).into_keys();
            let watches = std::mem::take(&mut self.watches_parked)
                .into_iter()
                .map(|(_, tag, _)| tag);
            for tag in waiting_for_index
                .chain(waiting_for_apply)
                .chain(lessor_requests)
                .chain(watches)
            {
                outbox.reply(tag, Err(self.not_leader()));
            }
        }
    }

    fn redraw_election_timeout(&mut self) {
        // raft-rs' default range: [election_tick, 2 × election_tick).
        let min = self.config.election_ticks;
        let timeout = self.rng.gen_range(min..2 * min);
        self.raw.raft.set_randomized_election_timeout(timeout);
    }
}

/// Decodes a protobuf message that this replica's own Raft log holds.
fn decode<M: protobuf::Message>(data: &[u8]) -> M {
    M::parse_from_bytes(data).expect("log entries written by raft-rs decode")
}

/// What `snapshot` holds; an empty one (a fresh replica's) is the empty store and log.
fn decode_snapshot(snapshot: &Snapshot, bugs: &Bugs) -> SnapshotData {
    if snapshot.data.is_empty() {
        return SnapshotData {
            store: kv::Store::new(),
            log_digest: 0,
        };
    }
    let mut data: SnapshotData =
        serde_json::from_slice(&snapshot.data).expect("snapshots hold a store and a log digest");
    // Planted: the revision is recounted from the keys, not taken from the snapshot.
    if bugs.has(Bug::RevisionFromMaxKey) {
        data.store = data.store.with_revision_from_live_keys();
    }
    data
}
