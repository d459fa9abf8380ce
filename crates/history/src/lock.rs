//! What lock clients and the protected resource recorded, beside the KV operations.
//!
//! A lock is etcd's recipe: a client puts `<lock>/<lease id>` with its session lease; the
//! key's create revision is its place in the queue and its fencing token; it holds the lock
//! once every key of the lock with a smaller create revision is gone. Two views of who
//! holds a lock are recorded, because they differ exactly when locks fail:
//! - the **client view** ([`LockHold`]): when a client believed it held the lock;
//! - the **server truth** ([`LockOwnership`]): which key the replicated store made the
//!   owner, revision by revision.

use crate::{ClientId, SimTimeNs};
use serde::{Deserialize, Serialize};

/// One time a client believed it held a lock: from its Lock call's success to the end of
/// its critical section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockHold {
    pub client: ClientId,
    /// The lock's name: the prefix of its keys.
    pub lock: String,
    /// The client's own key under the prefix.
    pub key: String,
    /// The session lease the key is attached to.
    pub lease: u64,
    /// The key's create revision: its place in the queue, and its fencing token.
    pub create_revision: u64,
    /// The store revision at which the client last saw its key as the owner (the read
    /// that ended its wait).
    pub observed_revision: u64,
    pub acquired_ns: SimTimeNs,
    /// When the client left its critical section; `None` if it never did (the run ended,
    /// or the client gave up without knowing).
    pub released_ns: Option<SimTimeNs>,
    /// Whether the client fenced its writes to the protected resource with its token.
    pub fenced: bool,
}

/// The store made `owner` the holder of `lock` at `revision` (`None`: the lock is free):
/// the key with the smallest create revision among the lock's keys changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockOwnership {
    pub lock: String,
    pub revision: u64,
    /// When the first replica applied `revision`.
    pub at_ns: SimTimeNs,
    pub owner: Option<LockOwner>,
}

/// The key that owns a lock, by the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockOwner {
    pub key: String,
    pub lease: u64,
    pub create_revision: u64,
}

/// A write to the resource a lock protects (a register outside the cluster), carrying the
/// writer's fencing token. With fencing on, the resource rejects a token smaller than the
/// largest it has accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceWrite {
    pub client: ClientId,
    /// The writer's lock key create revision.
    pub token: u64,
    /// The value the writer read before writing (the read of its read-modify-write).
    pub read: Vec<u64>,
    /// The value it wrote: what it read, plus an element of its own.
    pub wrote: Vec<u64>,
    /// When the resource applied (or refused) the write.
    pub at_ns: SimTimeNs,
    pub accepted: bool,
}
