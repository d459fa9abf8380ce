//! A whole `RaftNode` driving its lessor: grants, keep-alives, expiry, promotion and
//! checkpoints, on a single-voter cluster whose local clock the test moves by hand.
//!
//! The lessor's own unit tests check its arithmetic; these check the wiring around it:
//! that the node reads its local clock when it applies a grant, answers keep-alives only
//! after a ReadIndex round, proposes the revoke of an expired lease from `tick`, extends
//! deadlines when it is promoted, and proposes (and clears) checkpoints.

use kv::{
    KeyRange, KvError, LeaseGrantRequest, LeaseId, LeaseKeepAliveResponse, LeaseLeasesResponse,
    LeaseTimeToLiveResponse, PutRequest, RangeRequest, Request, Response, ResponseHeader,
};
use madsim::runtime::Runtime;
use node::{
    Checkpoint, ClientError, ClientReply, LeaseEnded, LessorRequest, NodeConfig, Outbox,
    RaftMessage, RaftNode, RequestTag, SimDisk, StateRole,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const NS_PER_S: u64 = 1_000_000_000;
/// One Raft tick of local time, as the simulator's default tick.
const TICK_NS: u64 = 100_000_000;
const ELECTION_TICKS: usize = 10;
/// The election timeout in local time: `ELECTION_TICKS` ticks.
const ELECTION_TIMEOUT_NS: u64 = ELECTION_TICKS as u64 * TICK_NS;
/// How close to a deadline the tests look on either side of it.
const EPSILON_NS: u64 = 1_000_000;
const NODE_ID: u64 = 1;
const CLIENT_ID: u64 = 1;
const LEASE: LeaseId = LeaseId(7);
const TTL_S: i64 = 2;
const TTL_NS: u64 = TTL_S as u64 * NS_PER_S;
const KEY: &str = "k";
/// `handle_ready` rounds run after every call. A single voter persists and applies in one
/// round (it commits as soon as its own write is durable); the checkpoint-clear a
/// keep-alive's answer queues is proposed at the end of that round and needs a second.
/// The third is spare: a round with nothing ready returns at once.
const READY_ROUNDS: usize = 3;

/// Everything the node tells the outside world, kept for the test to inspect.
struct Recording {
    clock_ns: Arc<AtomicU64>,
    replies: BTreeMap<RequestTag, ClientReply>,
    lease_ends: Vec<LeaseEnded>,
    /// The store's revision after each applied write that changed it.
    revisions: Vec<u64>,
    /// The local time at which the node became leader, each time it did.
    promotions_ns: Vec<u64>,
}

impl Outbox for Recording {
    fn send(&mut self, message: RaftMessage) {
        panic!("a single voter has nobody to send to, yet it sent {message:?}");
    }

    fn reply(&mut self, tag: RequestTag, reply: ClientReply) {
        let earlier = self.replies.insert(tag, reply);
        assert!(earlier.is_none(), "{tag:?} was answered twice");
    }

    fn applied_revision(&mut self, store: &kv::Store) {
        self.revisions.push(store.revision());
    }

    fn lease_ended(&mut self, end: LeaseEnded) {
        self.lease_ends.push(end);
    }

    fn became_leader(&mut self, _term: u64) {
        self.promotions_ns
            .push(self.clock_ns.load(Ordering::SeqCst));
    }

    /// Replica checkpoints are compared across replicas; one replica has nothing to
    /// compare its own with.
    fn checkpoint(&mut self, _checkpoint: Checkpoint) {}
}

/// One replica, its disk, and the local clock its lessor reads.
struct Harness {
    node: RaftNode,
    outbox: Recording,
    disk: SimDisk,
    clock_ns: Arc<AtomicU64>,
    config: NodeConfig,
    next_request_id: u64,
}

impl Harness {
    /// A fresh single-voter cluster at local time 0, not yet elected.
    fn new(lease_checkpoint_interval: Option<Duration>) -> Harness {
        let config = NodeConfig {
            id: NODE_ID,
            election_ticks: ELECTION_TICKS,
            heartbeat_ticks: 1,
            // A real wait on madsim's clock, which the lessor never sees: lease time moves
            // only when a test moves `clock_ns`.
            fsync_latency: Duration::from_millis(1),
            snapshot_interval_entries: 1000,
            catch_up_entries: 100,
            rng_seed: 1,
            election_timeout: Duration::from_nanos(ELECTION_TIMEOUT_NS),
            lease_checkpoint_interval,
            pre_vote: true,
            lease_expiry_check_interval: None,
            bugs: bugs::Bugs::none(),
        };
        let disk = SimDisk::bootstrap(&[NODE_ID]);
        let clock_ns = Arc::new(AtomicU64::new(0));
        Harness {
            node: start(&config, &disk, &clock_ns),
            outbox: recording(&clock_ns),
            disk,
            clock_ns,
            config,
            next_request_id: 0,
        }
    }

    /// Crashes the process and starts a new one from what its disk synced, on the same
    /// machine (so the same local clock), then lets it replay its log.
    async fn restart(self) -> Harness {
        let Harness {
            node,
            disk,
            clock_ns,
            config,
            next_request_id,
            ..
        } = self;
        drop(node);
        disk.crash();
        let mut restarted = Harness {
            node: start(&config, &disk, &clock_ns),
            outbox: recording(&clock_ns),
            disk,
            clock_ns,
            config,
            next_request_id,
        };
        restarted.settle().await;
        restarted
    }

    fn now_ns(&self) -> u64 {
        self.clock_ns.load(Ordering::SeqCst)
    }

    /// Moves the local clock to `now_ns`; monotonic, as the clock the node expects.
    fn set_clock(&self, now_ns: u64) {
        let before_ns = self.clock_ns.swap(now_ns, Ordering::SeqCst);
        assert!(before_ns <= now_ns, "the local clock went back");
    }

    async fn settle(&mut self) {
        for _ in 0..READY_ROUNDS {
            self.node.handle_ready(&mut self.outbox).await;
        }
    }

    async fn tick_at(&mut self, now_ns: u64) {
        self.set_clock(now_ns);
        self.node.tick(&mut self.outbox);
        self.settle().await;
    }

    /// Ticks (one tick of local time each) until the node leads; returns the local time of
    /// its promotion, which is what its lessor counts deadlines from.
    async fn elect(&mut self) -> u64 {
        for _ in 0..2 * ELECTION_TICKS {
            if self.node.role() == StateRole::Leader {
                break;
            }
            self.tick_at(self.now_ns() + TICK_NS).await;
        }
        assert_eq!(self.node.role(), StateRole::Leader, "no election");
        *self
            .outbox
            .promotions_ns
            .last()
            .expect("promotion recorded")
    }

    fn next_tag(&mut self) -> RequestTag {
        self.next_request_id += 1;
        RequestTag {
            client: CLIENT_ID,
            request_id: self.next_request_id,
        }
    }

    fn take_reply(&mut self, tag: RequestTag) -> ClientReply {
        self.outbox
            .replies
            .remove(&tag)
            .unwrap_or_else(|| panic!("no reply to {tag:?}"))
    }

    async fn write(&mut self, request: Request) -> ClientReply {
        let tag = self.next_tag();
        self.node.propose(tag, request, &mut self.outbox);
        self.settle().await;
        self.take_reply(tag)
    }

    async fn lessor(&mut self, request: LessorRequest) -> ClientReply {
        let tag = self.next_tag();
        self.node.lessor_request(tag, request, &mut self.outbox);
        self.settle().await;
        self.take_reply(tag)
    }

    /// Grants `LEASE` for `TTL_S` and puts `KEY` with it; returns the put's revision.
    async fn grant_and_put(&mut self) -> u64 {
        let grant = self
            .write(Request::LeaseGrant(LeaseGrantRequest {
                id: LEASE,
                ttl_s: TTL_S,
            }))
            .await;
        assert!(
            matches!(grant, Ok(Response::LeaseGrant(ref granted)) if granted.id == LEASE && granted.ttl_s == TTL_S),
            "{grant:?}"
        );
        let put = self
            .write(Request::Put(PutRequest {
                key: KEY.to_owned(),
                value: "v".to_owned(),
                prev_kv: false,
                lease: Some(LEASE),
            }))
            .await;
        match put {
            Ok(Response::Put(put)) => put.header.revision,
            other => panic!("put with the lease: {other:?}"),
        }
    }

    fn key_exists(&self) -> bool {
        let range = self.node.store().range(&RangeRequest {
            range: KeyRange::Key(KEY.to_owned()),
            revision: None,
            limit: None,
        });
        range.expect("a valid read").count == 1
    }
}

fn start(config: &NodeConfig, disk: &SimDisk, clock_ns: &Arc<AtomicU64>) -> RaftNode {
    let clock_ns = Arc::clone(clock_ns);
    RaftNode::start(
        config.clone(),
        disk.clone(),
        Box::new(move || clock_ns.load(Ordering::SeqCst)),
    )
}

fn recording(clock_ns: &Arc<AtomicU64>) -> Recording {
    Recording {
        clock_ns: Arc::clone(clock_ns),
        replies: BTreeMap::new(),
        lease_ends: Vec::new(),
        revisions: Vec::new(),
        promotions_ns: Vec::new(),
    }
}

/// The end an expiry of `LEASE` by this node reports, the put at `put_revision` deleted.
fn expired(put_revision: u64) -> LeaseEnded {
    LeaseEnded {
        lease: LEASE,
        revision: put_revision + 1,
        keys: vec![KEY.to_owned()],
        expired_by: Some(NODE_ID),
    }
}

fn lease_not_found() -> ClientReply {
    Err(ClientError::Kv(KvError::LeaseNotFound { id: LEASE }))
}

#[test]
fn a_granted_lease_is_kept_alive_and_reported() {
    Runtime::new().block_on(async {
        let mut harness = Harness::new(None);
        harness.elect().await;
        let granted_ns = harness.now_ns();
        let put_revision = harness.grant_and_put().await;
        assert_eq!(harness.outbox.revisions, vec![put_revision]);

        harness.set_clock(granted_ns + NS_PER_S / 2);
        let keep_alive = harness.lessor(LessorRequest::KeepAlive(LEASE)).await;
        assert_eq!(
            keep_alive,
            Ok(Response::LeaseKeepAlive(LeaseKeepAliveResponse {
                header: ResponseHeader {
                    revision: put_revision
                },
                id: LEASE,
                ttl_s: TTL_S,
            }))
        );

        // Renewed at 0.5 s, the lease has 1.3 s left at 1.2 s, which rounds up to 2 (not
        // renewed, 0.8 s would round to 1).
        harness.set_clock(granted_ns + 1_200_000_000);
        let time_to_live = harness.lessor(LessorRequest::TimeToLive(LEASE)).await;
        assert_eq!(
            time_to_live,
            Ok(Response::LeaseTimeToLive(LeaseTimeToLiveResponse {
                header: ResponseHeader {
                    revision: put_revision
                },
                id: LEASE,
                granted_ttl_s: TTL_S,
                remaining_ttl_s: 2,
                keys: vec![KEY.to_owned()],
            }))
        );

        let leases = harness.lessor(LessorRequest::Leases).await;
        assert_eq!(
            leases,
            Ok(Response::LeaseLeases(LeaseLeasesResponse {
                header: ResponseHeader {
                    revision: put_revision
                },
                leases: vec![LEASE],
            }))
        );
        assert!(harness.outbox.lease_ends.is_empty());
    });
}

#[test]
fn an_unrenewed_lease_expires_by_the_leaders_local_clock() {
    Runtime::new().block_on(async {
        let mut harness = Harness::new(None);
        harness.elect().await;
        let granted_ns = harness.now_ns();
        let put_revision = harness.grant_and_put().await;

        harness.tick_at(granted_ns + TTL_NS - EPSILON_NS).await;
        assert!(harness.outbox.lease_ends.is_empty(), "expired early");
        assert!(harness.key_exists());

        // Past the deadline but before a tick proposed the revoke: the holder must not be
        // told it still holds the lease.
        harness.set_clock(granted_ns + TTL_NS + EPSILON_NS);
        let late_keep_alive = harness.lessor(LessorRequest::KeepAlive(LEASE)).await;
        assert_eq!(late_keep_alive, lease_not_found());
        assert!(harness.key_exists(), "only a tick revokes");

        harness.tick_at(granted_ns + TTL_NS + 2 * EPSILON_NS).await;
        assert_eq!(harness.outbox.lease_ends, vec![expired(put_revision)]);
        assert!(!harness.key_exists());
        assert_eq!(harness.node.store().lease_time_to_live(LEASE), None);
        let keep_alive = harness.lessor(LessorRequest::KeepAlive(LEASE)).await;
        assert_eq!(keep_alive, lease_not_found());
    });
}

#[test]
fn a_keep_alive_renews_the_full_ttl_from_when_it_is_answered() {
    Runtime::new().block_on(async {
        let mut harness = Harness::new(None);
        harness.elect().await;
        let granted_ns = harness.now_ns();
        let put_revision = harness.grant_and_put().await;

        let kept_alive_ns = granted_ns + 1_500_000_000;
        harness.tick_at(kept_alive_ns).await;
        let keep_alive = harness.lessor(LessorRequest::KeepAlive(LEASE)).await;
        assert!(
            matches!(keep_alive, Ok(Response::LeaseKeepAlive(_))),
            "{keep_alive:?}"
        );

        // Already past the grant's own deadline.
        harness.tick_at(kept_alive_ns + TTL_NS - EPSILON_NS).await;
        assert!(harness.outbox.lease_ends.is_empty(), "the renewal was lost");
        harness.tick_at(kept_alive_ns + TTL_NS + EPSILON_NS).await;
        assert_eq!(harness.outbox.lease_ends, vec![expired(put_revision)]);
    });
}

#[test]
fn a_restarted_leader_counts_leases_from_its_promotion_plus_the_election_timeout() {
    Runtime::new().block_on(async {
        let mut harness = Harness::new(None);
        harness.elect().await;
        let put_revision = harness.grant_and_put().await;

        let mut harness = harness.restart().await;
        assert_eq!(harness.disk.writes_lost(), 0, "the grant was synced");
        assert_eq!(
            harness.node.store().leases(),
            vec![LEASE],
            "the grant replayed from the log"
        );
        let promoted_ns = harness.elect().await;
        let time_to_live = harness.lessor(LessorRequest::TimeToLive(LEASE)).await;
        let Ok(Response::LeaseTimeToLive(time_to_live)) = time_to_live else {
            panic!("time to live: {time_to_live:?}");
        };
        let extended_ttl_s = (TTL_NS + ELECTION_TIMEOUT_NS) / NS_PER_S;
        assert_eq!(time_to_live.remaining_ttl_s, extended_ttl_s as i64);

        let deadline_ns = promoted_ns + ELECTION_TIMEOUT_NS + TTL_NS;
        harness.tick_at(deadline_ns - EPSILON_NS).await;
        assert!(
            harness.outbox.lease_ends.is_empty(),
            "expired without the extension"
        );
        harness.tick_at(deadline_ns + EPSILON_NS).await;
        assert_eq!(harness.outbox.lease_ends, vec![expired(put_revision)]);
    });
}

#[test]
fn checkpoints_record_the_remaining_ttl_and_a_keep_alive_clears_them() {
    Runtime::new().block_on(async {
        let mut harness = Harness::new(Some(Duration::from_secs(1)));
        harness.elect().await;
        let granted_ns = harness.now_ns();
        harness.grant_and_put().await;

        // 0.5 s left, checkpointed rounded up.
        harness.tick_at(granted_ns + 1_500_000_000).await;
        let checkpointed = harness
            .node
            .store()
            .lease_time_to_live(LEASE)
            .expect("lease");
        assert_eq!(
            (checkpointed.granted_ttl_s, checkpointed.remaining_ttl_s),
            (TTL_S, 1)
        );

        let keep_alive = harness.lessor(LessorRequest::KeepAlive(LEASE)).await;
        assert!(
            matches!(keep_alive, Ok(Response::LeaseKeepAlive(_))),
            "{keep_alive:?}"
        );
        let cleared = harness
            .node
            .store()
            .lease_time_to_live(LEASE)
            .expect("lease");
        assert_eq!(cleared.remaining_ttl_s, cleared.granted_ttl_s);
    });
}

#[test]
fn a_restarted_leader_counts_a_checkpointed_lease_from_its_checkpoint() {
    Runtime::new().block_on(async {
        let mut harness = Harness::new(Some(Duration::from_secs(1)));
        harness.elect().await;
        let granted_ns = harness.now_ns();
        let put_revision = harness.grant_and_put().await;
        // 0.5 s left, checkpointed rounded up to 1 s.
        harness.tick_at(granted_ns + 1_500_000_000).await;
        let checkpointed_ttl_s = 1;
        let checkpointed = harness
            .node
            .store()
            .lease_time_to_live(LEASE)
            .expect("lease");
        assert_eq!(checkpointed.remaining_ttl_s, checkpointed_ttl_s);

        let mut harness = harness.restart().await;
        let promoted_ns = harness.elect().await;
        let deadline_ns = promoted_ns + ELECTION_TIMEOUT_NS + checkpointed_ttl_s as u64 * NS_PER_S;
        harness.tick_at(deadline_ns - EPSILON_NS).await;
        assert!(harness.outbox.lease_ends.is_empty(), "expired early");
        harness.tick_at(deadline_ns + EPSILON_NS).await;
        assert_eq!(
            harness.outbox.lease_ends,
            vec![expired(put_revision)],
            "counted from the full TTL, not the checkpoint"
        );
    });
}

#[test]
fn a_node_that_does_not_lead_refuses_lessor_requests() {
    Runtime::new().block_on(async {
        let mut harness = Harness::new(None);
        for request in [
            LessorRequest::KeepAlive(LEASE),
            LessorRequest::TimeToLive(LEASE),
            LessorRequest::Leases,
        ] {
            let reply = harness.lessor(request).await;
            assert_eq!(
                reply,
                Err(ClientError::NotLeader { leader_hint: None }),
                "{request:?}"
            );
        }
    });
}

/// etcd 3.4's lessor timing: with a 500 ms expiry check interval, a lease past its
/// deadline is revoked only at the first tick of the next interval of the local clock,
/// not at the first tick after its deadline.
#[test]
fn with_an_expiry_check_interval_a_lapsed_lease_is_revoked_at_the_next_check() {
    Runtime::new().block_on(async {
        const CHECK_NS: u64 = 500_000_000;
        let mut harness = Harness::new(None);
        harness.config.lease_expiry_check_interval = Some(Duration::from_nanos(CHECK_NS));
        let mut harness = harness.restart().await;
        harness.elect().await;
        // Granted 10 ms into a check interval, so the deadline falls 10 ms into one too.
        let granted_ns = (harness.now_ns() / CHECK_NS + 1) * CHECK_NS + 10 * EPSILON_NS;
        harness.set_clock(granted_ns);
        let put_revision = harness.grant_and_put().await;
        let deadline_ns = granted_ns + TTL_NS;

        // The interval's check comes just before the deadline; the next tick is past it.
        harness.tick_at(deadline_ns - 5 * EPSILON_NS).await;
        harness.tick_at(deadline_ns + TICK_NS / 2).await;
        assert!(
            harness.outbox.lease_ends.is_empty(),
            "revoked at the first tick after the deadline, before the next check"
        );
        let next_check_ns = (deadline_ns / CHECK_NS + 1) * CHECK_NS;
        harness.tick_at(next_check_ns - EPSILON_NS).await;
        assert!(
            harness.outbox.lease_ends.is_empty(),
            "revoked before the check"
        );
        harness.tick_at(next_check_ns + EPSILON_NS).await;
        assert_eq!(harness.outbox.lease_ends, vec![expired(put_revision)]);
    });
}

/// The planted `promote-no-extend` bug (etcd PR #4778 undone): the restarted leader counts
/// the lease from its promotion without the election timeout, so the same lease expires a
/// whole election timeout sooner than in the test above.
#[test]
fn with_promote_no_extend_planted_a_new_leader_expires_leases_an_election_timeout_early() {
    Runtime::new().block_on(async {
        let mut harness = Harness::new(None);
        harness.config.bugs = [bugs::Bug::PromoteNoExtend].into_iter().collect();
        harness.elect().await;
        let put_revision = harness.grant_and_put().await;

        let mut harness = harness.restart().await;
        let promoted_ns = harness.elect().await;
        let unextended_deadline_ns = promoted_ns + TTL_NS;
        harness.tick_at(unextended_deadline_ns + EPSILON_NS).await;
        assert_eq!(harness.outbox.lease_ends, vec![expired(put_revision)]);
    });
}
