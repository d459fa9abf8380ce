//! A distributed mutex, as etcd's `concurrency.Mutex`.
//!
//! To lock `locks/<name>`, a client puts `locks/<name>/<lease>` bound to its session's
//! lease, if the key is not there yet; the key's create revision is its place in the
//! queue. It then waits until every key under the prefix with a smaller create revision
//! is gone (deleted by an unlock, or by the expiry of its holder's lease), then re-reads
//! its own key: if the key is gone, its own lease expired while it waited and it does not
//! hold the lock ("session expired"; etcd #11456). Unlock deletes the key, but only if it
//! is still the one this lock created (same create revision).
//!
//! etcd's election recipe is the same queue with a value: a campaign is a lock whose key
//! holds the candidate's value, the leader (the key first in line) proclaims new values
//! with a put guarded on its key's create revision, and resigning is unlocking.
//!
//! Every request is idempotent, so a request whose outcome is unknown is simply retried.
//! As etcd's `waitDeletes`, the waiter watches the newest key ahead of it for its deletion
//! (from the revision it read the queue at, so no deletion is missed), then reads the
//! queue again: it may still have keys ahead (their holders came earlier).

use crate::client::{CallError, Client};
use crate::network::ClientRequest;
use crate::session::Session;
use bugs::{Bug, Bugs};
use kv::{
    Compare, CompareResult, CompareTarget, DeleteRangeRequest, KeyRange, PutRequest, RangeRequest,
    Request, RequestOp, Response, ResponseOp, TxnRequest, WatchEventKind, WatchRequest,
};
use madsim::time::Instant;
use rand::rngs::SmallRng;

/// A lock this client's key owns (or owned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldLock {
    /// `locks/<name>`.
    pub lock: String,
    /// `locks/<name>/<lease>`.
    pub key: String,
    /// The key's create revision: its place in the queue, and the fencing token.
    pub create_revision: u64,
    /// The store revision of the read that confirmed the key is first in line.
    pub observed_revision: u64,
}

/// Why a lock attempt ended without the lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockError {
    /// The session's lease expired (or its key vanished) before the lock was granted.
    SessionExpired,
    /// TryLock: another key is ahead in the queue.
    Locked,
    /// The run is over.
    Stopped,
}

/// The lock named `lock` (`locks/<name>`), for the holder of `session`.
pub struct Mutex {
    lock: String,
    key: String,
    /// Planted recipe bugs ([`Bug::LockNoRecheck`], [`Bug::UnlockByName`]).
    bugs: Bugs,
    /// What the key holds: empty for a lock, the candidate's value in an election.
    value: String,
}

impl Mutex {
    pub fn new(lock: &str, session: &Session, bugs: &Bugs) -> Mutex {
        Mutex::with_value(lock, session, String::new(), bugs)
    }

    /// A queue entry holding `value`: an election campaign.
    pub fn with_value(lock: &str, session: &Session, value: String, bugs: &Bugs) -> Mutex {
        Mutex {
            lock: lock.to_string(),
            key: format!("{lock}/{}", session.lease),
            value,
            bugs: bugs.clone(),
        }
    }

    /// Puts `value` in the key if it is still `held`'s (etcd's `Election.Proclaim`);
    /// whether it was. An unknown outcome is retried until `stop_at`.
    pub async fn proclaim(
        &self,
        client: &mut Client,
        rng: &mut SmallRng,
        held: &HeldLock,
        session: &Session,
        value: String,
        stop_at: Instant,
    ) -> bool {
        let request = ClientRequest::Write(Request::Txn(TxnRequest {
            compare: vec![Compare {
                key: self.key.clone(),
                target: CompareTarget::CreateRevision(held.create_revision),
                result: CompareResult::Equal,
            }],
            success: vec![RequestOp::Put(PutRequest {
                key: self.key.clone(),
                value,
                prev_kv: false,
                lease: Some(session.lease),
            })],
            failure: Vec::new(),
        }));
        match retry(client, rng, request, stop_at).await {
            Ok(Response::Txn(txn)) => txn.succeeded,
            _ => false,
        }
    }

    /// The value of the key first in line under `lock`, if any (etcd's `Election.Leader`),
    /// and the revision it was read at.
    pub async fn leader(
        lock: &str,
        client: &mut Client,
        rng: &mut SmallRng,
    ) -> Result<(Option<String>, u64), CallError> {
        let request = ClientRequest::Read(RangeRequest {
            range: KeyRange::Prefix(format!("{lock}/")),
            revision: None,
            limit: None,
        });
        let Response::Range(range) = client.request(request, rng).await? else {
            return Ok((None, 0));
        };
        let revision = range.header.revision;
        let leader = range
            .kvs
            .into_iter()
            .min_by_key(|kv| kv.create_revision)
            .map(|kv| kv.value);
        Ok((leader, revision))
    }

    /// Waits for the next change under `lock` after `revision` (one long poll of a watch,
    /// as etcd's `Election.Observe` does between the leaders it reports); whether one came.
    pub async fn changed_since(
        lock: &str,
        revision: u64,
        client: &mut Client,
        rng: &mut SmallRng,
    ) -> bool {
        let request = ClientRequest::Watch(WatchRequest {
            range: KeyRange::Prefix(format!("{lock}/")),
            start_revision: revision + 1,
        });
        matches!(client.request(request, rng).await, Ok(Response::Watch(watch)) if !watch.events.is_empty())
    }

    /// Waits for the lock (etcd's `Mutex.Lock`).
    pub async fn lock(
        &self,
        client: &mut Client,
        rng: &mut SmallRng,
        session: &Session,
        stop_at: Instant,
    ) -> Result<HeldLock, LockError> {
        let create_revision = self.enqueue(client, rng, session, stop_at).await?;
        loop {
            let ahead = self.keys_ahead(client, rng, create_revision, stop_at);
            let (newest_ahead, revision) = ahead.await?;
            let Some(newest_ahead) = newest_ahead else {
                if self.bugs.has(Bug::LockNoRecheck) {
                    // Planted: no one is ahead, so the lock is taken, without checking
                    // that the own key is still there.
                    return Ok(self.held(create_revision, revision));
                }
                break;
            };
            self.wait_for_deletion(client, rng, &newest_ahead, revision + 1, stop_at)
                .await?;
        }
        self.confirm(client, rng, create_revision, stop_at).await
    }

    /// Takes the lock only if no one is ahead (etcd's `Mutex.TryLock`); otherwise removes
    /// this client's key again and fails with [`LockError::Locked`].
    pub async fn try_lock(
        &self,
        client: &mut Client,
        rng: &mut SmallRng,
        session: &Session,
        stop_at: Instant,
    ) -> Result<HeldLock, LockError> {
        let create_revision = self.enqueue(client, rng, session, stop_at).await?;
        let ahead = self.keys_ahead(client, rng, create_revision, stop_at);
        if ahead.await?.0.is_some() {
            self.delete_own_key(client, rng, create_revision, stop_at)
                .await;
            return Err(LockError::Locked);
        }
        self.confirm(client, rng, create_revision, stop_at).await
    }

    /// Releases the lock (etcd's `Mutex.Unlock`): deletes the key if it is still the one
    /// this lock created. Gives up at `stop_at`; the lease's expiry then frees the lock.
    pub async fn unlock(
        &self,
        client: &mut Client,
        rng: &mut SmallRng,
        held: &HeldLock,
        stop_at: Instant,
    ) {
        self.delete_own_key(client, rng, held.create_revision, stop_at)
            .await;
    }

    /// Puts the key bound to the session's lease if it is missing; its create revision.
    async fn enqueue(
        &self,
        client: &mut Client,
        rng: &mut SmallRng,
        session: &Session,
        stop_at: Instant,
    ) -> Result<u64, LockError> {
        let request = ClientRequest::Write(Request::Txn(TxnRequest {
            compare: vec![Compare {
                key: self.key.clone(),
                target: CompareTarget::CreateRevision(0),
                result: CompareResult::Equal,
            }],
            success: vec![RequestOp::Put(PutRequest {
                key: self.key.clone(),
                value: self.value.clone(),
                prev_kv: false,
                lease: Some(session.lease),
            })],
            failure: vec![RequestOp::Range(read_key(&self.key))],
        }));
        let response = retry(client, rng, request, stop_at).await?;
        let Response::Txn(txn) = response else {
            return Err(LockError::SessionExpired);
        };
        if txn.succeeded {
            return Ok(txn.header.revision);
        }
        match txn.responses.first() {
            Some(ResponseOp::Range(range)) => range
                .kvs
                .first()
                .map(|kv| kv.create_revision)
                .ok_or(LockError::SessionExpired),
            _ => Err(LockError::SessionExpired),
        }
    }

    /// The newest key under the lock's prefix created before ours, if any, and the
    /// revision the queue was read at.
    async fn keys_ahead(
        &self,
        client: &mut Client,
        rng: &mut SmallRng,
        create_revision: u64,
        stop_at: Instant,
    ) -> Result<(Option<String>, u64), LockError> {
        let request = ClientRequest::Read(RangeRequest {
            range: KeyRange::Prefix(format!("{}/", self.lock)),
            revision: None,
            limit: None,
        });
        let Response::Range(range) = retry(client, rng, request, stop_at).await? else {
            return Err(LockError::SessionExpired);
        };
        let newest_ahead = range
            .kvs
            .into_iter()
            .filter(|kv| kv.create_revision < create_revision)
            .max_by_key(|kv| kv.create_revision)
            .map(|kv| kv.key);
        Ok((newest_ahead, range.header.revision))
    }

    /// Watches `key` from `start_revision` until it is deleted (a watch the leader
    /// answers empty is asked again from the revision it names). Returns early, to read
    /// the queue again, if the watch's start was compacted away.
    async fn wait_for_deletion(
        &self,
        client: &mut Client,
        rng: &mut SmallRng,
        key: &str,
        mut start_revision: u64,
        stop_at: Instant,
    ) -> Result<(), LockError> {
        loop {
            if Instant::now() >= stop_at {
                return Err(LockError::Stopped);
            }
            let request = ClientRequest::Watch(WatchRequest {
                range: KeyRange::Key(key.to_string()),
                start_revision,
            });
            match client.request(request, rng).await {
                Ok(Response::Watch(watch)) => {
                    let deleted = watch
                        .events
                        .iter()
                        .any(|event| event.kind == WatchEventKind::Delete);
                    if deleted {
                        return Ok(());
                    }
                    start_revision = watch.header.revision + 1;
                }
                Ok(_) | Err(CallError::Store(_)) => return Ok(()),
                Err(CallError::GaveUp(_) | CallError::Unknown(_)) => {}
            }
        }
    }

    /// Re-reads the own key after the wait: gone means the session expired meanwhile.
    async fn confirm(
        &self,
        client: &mut Client,
        rng: &mut SmallRng,
        create_revision: u64,
        stop_at: Instant,
    ) -> Result<HeldLock, LockError> {
        let request = ClientRequest::Read(read_key(&self.key));
        let Response::Range(range) = retry(client, rng, request, stop_at).await? else {
            return Err(LockError::SessionExpired);
        };
        let still_ours = range
            .kvs
            .first()
            .is_some_and(|kv| kv.create_revision == create_revision);
        if !still_ours {
            return Err(LockError::SessionExpired);
        }
        Ok(self.held(create_revision, range.header.revision))
    }

    fn held(&self, create_revision: u64, observed_revision: u64) -> HeldLock {
        HeldLock {
            lock: self.lock.clone(),
            key: self.key.clone(),
            create_revision,
            observed_revision,
        }
    }

    /// Deletes the own key if it still has `create_revision`, retrying until answered or
    /// `stop_at`.
    async fn delete_own_key(
        &self,
        client: &mut Client,
        rng: &mut SmallRng,
        create_revision: u64,
        stop_at: Instant,
    ) {
        let guard = Compare {
            key: self.key.clone(),
            target: CompareTarget::CreateRevision(create_revision),
            result: CompareResult::Equal,
        };
        // Planted: deleted by name, whichever lock of this session the key now is.
        let unguarded = self.bugs.has(Bug::UnlockByName);
        let request = ClientRequest::Write(Request::Txn(TxnRequest {
            compare: if unguarded { Vec::new() } else { vec![guard] },
            success: vec![RequestOp::DeleteRange(DeleteRangeRequest {
                range: KeyRange::Key(self.key.clone()),
                prev_kv: false,
            })],
            failure: Vec::new(),
        }));
        while Instant::now() < stop_at {
            match client.request(request.clone(), rng).await {
                Ok(_) | Err(CallError::Store(_)) => return,
                Err(CallError::GaveUp(_) | CallError::Unknown(_)) => {}
            }
        }
    }
}

fn read_key(key: &str) -> RangeRequest {
    RangeRequest {
        range: KeyRange::Key(key.to_string()),
        revision: None,
        limit: None,
    }
}

/// Sends an idempotent request until it is answered or the run ends. Like etcd's recipe,
/// it does not consult the session's own reckoning: a waiter whose lease expired learns it
/// from the store (its put refused, or its key gone when it re-reads it).
async fn retry(
    client: &mut Client,
    rng: &mut SmallRng,
    request: ClientRequest,
    stop_at: Instant,
) -> Result<Response, LockError> {
    loop {
        if Instant::now() >= stop_at {
            return Err(LockError::Stopped);
        }
        match client.request(request.clone(), rng).await {
            Ok(response) => return Ok(response),
            // A store error here means the lease is gone (a put bound to it).
            Err(CallError::Store(_)) => return Err(LockError::SessionExpired),
            Err(CallError::GaveUp(_) | CallError::Unknown(_)) => {}
        }
    }
}
