//! A session, as etcd's `concurrency.Session`: a lease that a task of the client keeps
//! alive in the background, and that the client's locks and campaigns are bound to.
//!
//! The client counts the lease's life from when it *sent* each acknowledged keep-alive
//! (it cannot know when the leader received it): the session is alive until the latest
//! such send time plus the TTL. Past that, or once the cluster says the lease is gone, the
//! session is lost for good and its holder must stop acting on it. Every grant and
//! keep-alive, acknowledged or not, is recorded for the lease-bounds check.

use crate::client::{CallError, Client};
use crate::network::ClientRequest;
use crate::recorder::Recorder;
use bugs::{Bug, Bugs};
use history::{LeaseAck, LeaseRenewal};
use kv::{LeaseGrantRequest, LeaseId, LeaseRevokeRequest, Request, Response};
use madsim::time::{sleep, Instant};
use node::LessorRequest;
use rand::rngs::SmallRng;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NS_PER_S: u64 = 1_000_000_000;

/// After a failed keep-alive the next one is tried this soon (if a third of the TTL is
/// longer), as etcd's client retries its keep-alive stream.
const KEEP_ALIVE_RETRY_MS: u64 = 500;

/// What the client and its keep-alive task share.
#[derive(Debug)]
struct SessionState {
    /// The lease is good until then, in simulated ns (the latest acknowledged send + TTL).
    alive_until_ns: u64,
    /// The cluster said the lease is gone, or the client let it go.
    ended: bool,
}

/// How a client keeps its sessions.
#[derive(Clone, Debug)]
pub struct SessionSettings {
    /// The TTL each session's lease is granted, in seconds.
    pub ttl_s: u64,
    /// The network address of the client's second connection, for its keep-alives.
    pub keep_alive_address: u64,
    /// Planted client bugs ([`Bug::ClientDeadlineFromReceipt`]).
    pub bugs: Bugs,
}

/// A lease kept alive in the background.
pub struct Session {
    pub lease: LeaseId,
    state: Arc<Mutex<SessionState>>,
    recorder: Recorder,
}

impl Session {
    /// Grants lease `lease` with `ttl_s` and starts keeping it alive on a second
    /// connection (network address `keep_alive_address`) until the session ends or
    /// `stop_at`. A grant whose outcome is unknown may have created the lease; it is left
    /// to expire and the caller tries another ID.
    pub async fn grant(
        client: &mut Client,
        rng: &mut SmallRng,
        lease: LeaseId,
        settings: &SessionSettings,
        stop_at: Instant,
    ) -> Result<Session, CallError> {
        let ttl_s = settings.ttl_s;
        let recorder = client.recorder.clone();
        let request = ClientRequest::Write(Request::LeaseGrant(LeaseGrantRequest {
            id: lease,
            ttl_s: ttl_s as i64,
        }));
        let sent_ns = recorder.now_ns();
        let result = client.request(request, rng).await;
        let acked = match &result {
            Ok(Response::LeaseGrant(granted)) => Some(LeaseAck {
                at_ns: recorder.now_ns(),
                ttl_s: granted.ttl_s as u64,
            }),
            _ => None,
        };
        let believed_until_ns = acked.map(|ack| believed_until_ns(sent_ns, ack, &settings.bugs));
        recorder.lease_renewal(LeaseRenewal {
            client: client.id,
            lease: lease.0 as u64,
            sent_ns,
            acked,
            believed_until_ns,
        });
        result?;
        let state = Arc::new(Mutex::new(SessionState {
            alive_until_ns: believed_until_ns.unwrap_or(sent_ns + ttl_s * NS_PER_S),
            ended: false,
        }));
        let session = Session {
            lease,
            state: state.clone(),
            recorder: recorder.clone(),
        };
        let keep_alive = KeepAlive {
            connection: client.second_connection(settings.keep_alive_address),
            lease,
            ttl_s,
            state,
            recorder,
            bugs: settings.bugs.clone(),
        };
        let rng = rand::SeedableRng::seed_from_u64(rand::Rng::gen(rng));
        // On the client's own process, so pausing the client pauses its keep-alives too;
        // dropping the handle detaches the task.
        drop(madsim::task::spawn(keep_alive.run(rng, stop_at)));
        Ok(session)
    }

    /// `current` if it is alive; otherwise a new session (lease IDs are the client's id
    /// × 1,000,000 + a count, so they never collide), or `None` if the grant failed.
    pub async fn alive_or_new(
        current: Option<Session>,
        client: &mut Client,
        rng: &mut SmallRng,
        settings: &SessionSettings,
        stop_at: Instant,
        leases_granted: &mut u64,
    ) -> Option<Session> {
        match current {
            Some(alive) if alive.is_alive() => return Some(alive),
            Some(lost) => lost.abandon(),
            None => {}
        }
        *leases_granted += 1;
        let lease = LeaseId((client.id * 1_000_000 + *leases_granted) as i64);
        Session::grant(client, rng, lease, settings, stop_at)
            .await
            .ok()
    }

    /// Whether the client may still act on the lease: not ended, and within the TTL of
    /// the latest acknowledged keep-alive's send time.
    pub fn is_alive(&self) -> bool {
        let state = self.state.lock().expect("session lock");
        !state.ended && self.recorder.now_ns() < state.alive_until_ns
    }

    /// Stops keeping the lease alive and revokes it (etcd's `Session.Close`). A revoke
    /// that fails leaves the lease to expire.
    pub async fn close(self, client: &mut Client, rng: &mut SmallRng) {
        self.state.lock().expect("session lock").ended = true;
        let request =
            ClientRequest::Write(Request::LeaseRevoke(LeaseRevokeRequest { id: self.lease }));
        let _left_to_expire = client.request(request, rng).await;
    }

    /// Stops keeping the lease alive, leaving it to expire.
    pub fn abandon(self) {
        self.state.lock().expect("session lock").ended = true;
    }
}

/// Until when an acknowledged grant or keep-alive makes the lease good: its send time +
/// the TTL (the leader may have received it any time after the send).
fn believed_until_ns(sent_ns: u64, ack: LeaseAck, bugs: &Bugs) -> u64 {
    if bugs.has(Bug::ClientDeadlineFromReceipt) {
        // Planted: counted from the answer's arrival, as clientv3's keep-alive loop does.
        return ack.at_ns + ack.ttl_s * NS_PER_S;
    }
    sent_ns + ack.ttl_s * NS_PER_S
}

/// The background task that renews a session's lease.
struct KeepAlive {
    connection: Client,
    lease: LeaseId,
    ttl_s: u64,
    state: Arc<Mutex<SessionState>>,
    recorder: Recorder,
    bugs: Bugs,
}

impl KeepAlive {
    /// Renews every third of the TTL (etcd's client does the same) until the session ends,
    /// is lost, or `stop_at`.
    async fn run(mut self, mut rng: SmallRng, stop_at: Instant) {
        let interval = Duration::from_millis(self.ttl_s * 1_000 / 3);
        let retry = interval.min(Duration::from_millis(KEEP_ALIVE_RETRY_MS));
        let mut wait = interval;
        loop {
            sleep(wait).await;
            {
                let state = self.state.lock().expect("session lock");
                if state.ended || self.recorder.now_ns() >= state.alive_until_ns {
                    return;
                }
            }
            if Instant::now() >= stop_at {
                return;
            }
            wait = if self.renew(&mut rng).await {
                interval
            } else {
                retry
            };
        }
    }

    /// One keep-alive; whether it was acknowledged.
    async fn renew(&mut self, rng: &mut SmallRng) -> bool {
        let sent_ns = self.recorder.now_ns();
        let request = ClientRequest::Lessor(LessorRequest::KeepAlive(self.lease));
        let result = self.connection.request(request, rng).await;
        let acked = match &result {
            Ok(Response::LeaseKeepAlive(renewed)) => Some(LeaseAck {
                at_ns: self.recorder.now_ns(),
                ttl_s: renewed.ttl_s as u64,
            }),
            _ => None,
        };
        let mut state = self.state.lock().expect("session lock");
        let believed_until_ns = acked.map(|ack| {
            let until_ns = believed_until_ns(sent_ns, ack, &self.bugs);
            state.alive_until_ns = state.alive_until_ns.max(until_ns);
            state.alive_until_ns
        });
        self.recorder.lease_renewal(LeaseRenewal {
            client: self.connection.id,
            lease: self.lease.0 as u64,
            sent_ns,
            acked,
            believed_until_ns,
        });
        match (result, acked) {
            (_, Some(_)) => true,
            (Err(CallError::Store(kv::KvError::LeaseNotFound { .. })), _) => {
                state.ended = true;
                false
            }
            _ => false,
        }
    }
}
