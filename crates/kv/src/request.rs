//! The requests the store executes and the responses it gives, modelled on etcd's KV and
//! Lease APIs.

use crate::compare::Compare;
use crate::key_range::KeyRange;
use crate::lease::LeaseId;
use serde::{Deserialize, Serialize};

/// Anything a client can ask of the store; the unit a Raft log entry carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Read keys, now or at a past revision.
    Range(RangeRequest),
    /// Write one key.
    Put(PutRequest),
    /// Delete a range of keys.
    DeleteRange(DeleteRangeRequest),
    /// Compare, then run one of two lists of operations, atomically.
    Txn(TxnRequest),
    /// Create a lease.
    LeaseGrant(LeaseGrantRequest),
    /// End a lease and delete its keys; what the leader proposes when a lease expires.
    LeaseRevoke(LeaseRevokeRequest),
    /// Persist a lease's remaining TTL.
    LeaseCheckpoint(LeaseCheckpointRequest),
}

/// The answer to a [`Request`], of the matching variant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// The answer to [`Request::Range`].
    Range(RangeResponse),
    /// The answer to [`Request::Put`].
    Put(PutResponse),
    /// The answer to [`Request::DeleteRange`].
    DeleteRange(DeleteRangeResponse),
    /// The answer to [`Request::Txn`].
    Txn(TxnResponse),
    /// The answer to [`Request::LeaseGrant`].
    LeaseGrant(LeaseGrantResponse),
    /// The answer to [`Request::LeaseRevoke`].
    LeaseRevoke(LeaseRevokeResponse),
    /// The answer to [`Request::LeaseCheckpoint`].
    LeaseCheckpoint(LeaseCheckpointResponse),
    /// A keep-alive's answer. Keep-alives, time-to-live and lease-list queries are not
    /// store requests: the leader's lessor answers them (it holds the live deadlines).
    LeaseKeepAlive(LeaseKeepAliveResponse),
    /// A time-to-live query's answer, from the leader's lessor.
    LeaseTimeToLive(LeaseTimeToLiveResponse),
    /// The list of leases, from the leader.
    LeaseLeases(LeaseLeasesResponse),
    /// The changes a watch asked for (see [`crate::Store::watch_events`]).
    Watch(crate::WatchResponse),
}

/// What every response carries besides its own data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseHeader {
    /// The store revision after the request (for an operation inside a transaction: after
    /// the whole transaction). A read reports the current revision even when it read the past.
    pub revision: u64,
}

/// One key as it was at some revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    /// The key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// The revision that created the key (since it last did not exist).
    pub create_revision: u64,
    /// The revision of the key's latest put.
    pub mod_revision: u64,
    /// How many puts the key has had since its creation (1 after the creating put).
    pub version: u64,
    /// The lease the key's put attached it to at this revision, if any. Reads of the past
    /// show it even after the lease was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<LeaseId>,
}

/// A read of the keys in a range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeRequest {
    /// The keys to read.
    pub range: KeyRange,
    /// The revision to read at; `None` (or `Some(0)`, as in etcd) reads the latest.
    pub revision: Option<u64>,
    /// The most keys to return; `None` or `Some(0)` returns all.
    pub limit: Option<usize>,
}

/// The keys a [`RangeRequest`] found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeResponse {
    /// The store revision (see [`ResponseHeader`]).
    pub header: ResponseHeader,
    /// The matching keys that existed at the read revision, in key order, at most `limit`.
    pub kvs: Vec<KeyValue>,
    /// How many keys matched, ignoring the limit.
    pub count: usize,
    /// Whether the limit left matching keys out of `kvs`.
    pub more: bool,
}

/// A write of one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutRequest {
    /// The key to write; must not be empty.
    pub key: String,
    /// The value to store.
    pub value: String,
    /// Whether to return the key as it was before the put.
    pub prev_kv: bool,
    /// The lease to attach the key to (detaching it from a lease it had); `None` detaches
    /// it. A lease that does not exist fails the put with [`crate::KvError::LeaseNotFound`].
    /// Left out of the serialized form when `None`, so a lease-less entry keeps the bytes
    /// (and log digests) it had before leases existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<LeaseId>,
}

/// The outcome of a [`PutRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutResponse {
    /// The store revision; for a put alone, the key's new `mod_revision`.
    pub header: ResponseHeader,
    /// The key before the put, when asked for and the key existed.
    pub prev_kv: Option<KeyValue>,
}

/// A deletion of every key in a range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRangeRequest {
    /// The keys to delete.
    pub range: KeyRange,
    /// Whether to return the deleted keys.
    pub prev_kv: bool,
}

/// The outcome of a [`DeleteRangeRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRangeResponse {
    /// The store revision (unchanged when nothing was deleted).
    pub header: ResponseHeader,
    /// How many keys were deleted.
    pub deleted: u64,
    /// The deleted keys as they were, in key order, when asked for.
    pub prev_kvs: Vec<KeyValue>,
}

/// An atomic compare-then-act: if every compare holds, run `success`, otherwise `failure`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnRequest {
    /// Conditions on the current state, all of which must hold for the success branch.
    pub compare: Vec<Compare>,
    /// The operations to run, in order, when every compare holds.
    pub success: Vec<RequestOp>,
    /// The operations to run, in order, when some compare fails.
    pub failure: Vec<RequestOp>,
}

/// One operation of a transaction branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestOp {
    /// A read; it sees the branch's earlier writes.
    Range(RangeRequest),
    /// A write of one key.
    Put(PutRequest),
    /// A deletion of a range of keys.
    DeleteRange(DeleteRangeRequest),
}

/// The answer to one [`RequestOp`], of the matching variant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseOp {
    /// The answer to [`RequestOp::Range`].
    Range(RangeResponse),
    /// The answer to [`RequestOp::Put`].
    Put(PutResponse),
    /// The answer to [`RequestOp::DeleteRange`].
    DeleteRange(DeleteRangeResponse),
}

impl ResponseOp {
    /// The header, so a transaction can stamp its final revision on every inner response.
    pub(crate) fn header_mut(&mut self) -> &mut ResponseHeader {
        match self {
            ResponseOp::Range(response) => &mut response.header,
            ResponseOp::Put(response) => &mut response.header,
            ResponseOp::DeleteRange(response) => &mut response.header,
        }
    }
}

/// The outcome of a [`TxnRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnResponse {
    /// The store revision after the transaction: one more than before if it wrote anything.
    pub header: ResponseHeader,
    /// Whether every compare held (and so the success branch ran).
    pub succeeded: bool,
    /// One response per operation of the branch that ran, in order.
    pub responses: Vec<ResponseOp>,
}

/// A grant of a new lease, with an ID the proposer chose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseGrantRequest {
    /// The new lease's ID: not 0, not an existing lease's.
    pub id: LeaseId,
    /// Its TTL in seconds, at least 1 (etcd would raise a smaller one to its minimum TTL,
    /// which depends on the election timeout: the proposer's business, not the store's).
    pub ttl_s: i64,
}

/// The outcome of a [`LeaseGrantRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseGrantResponse {
    /// The store revision, unchanged: a grant writes no key.
    pub header: ResponseHeader,
    /// The granted lease.
    pub id: LeaseId,
    /// Its TTL in seconds.
    pub ttl_s: i64,
}

/// The end of a lease: every key attached to it is deleted in one revision, then the lease
/// is forgotten.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRevokeRequest {
    /// The lease to end; it must exist.
    pub id: LeaseId,
}

/// The outcome of a [`LeaseRevokeRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRevokeResponse {
    /// The store revision: the revision of the deletion, or the unchanged current revision
    /// if no key was attached (as etcd, whose revoke is a txn that may write nothing).
    pub header: ResponseHeader,
}

/// A checkpoint of a lease's remaining TTL (etcd's lease checkpointing), so that a new
/// leader does not restart a long-lived lease at its full TTL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseCheckpointRequest {
    /// The lease; if it no longer exists the checkpoint is ignored, as in etcd.
    pub id: LeaseId,
    /// Its remaining TTL in seconds on the leader's clock; 0 (or less) clears the checkpoint,
    /// which the leader proposes after a keep-alive renewed a checkpointed lease.
    pub remaining_ttl_s: i64,
}

/// The outcome of a [`LeaseCheckpointRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseCheckpointResponse {
    /// The store revision, unchanged: a checkpoint writes no key.
    pub header: ResponseHeader,
}

/// A lease renewed by a keep-alive, as etcd's `LeaseKeepAliveResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseKeepAliveResponse {
    /// The store revision when the leader answered.
    pub header: ResponseHeader,
    /// The renewed lease.
    pub id: LeaseId,
    /// The TTL it was renewed to, in seconds, counted from when the leader renewed it.
    pub ttl_s: i64,
}

/// What the leader knows of a lease, as etcd's `LeaseTimeToLiveResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseTimeToLiveResponse {
    /// The store revision when the leader answered.
    pub header: ResponseHeader,
    /// The lease asked about.
    pub id: LeaseId,
    /// Its granted TTL in seconds; -1 if the lease does not exist (as etcd).
    pub granted_ttl_s: i64,
    /// Seconds left until the leader expires it, rounded up; -1 if the lease does not exist.
    pub remaining_ttl_s: i64,
    /// The keys attached to it, in key order.
    pub keys: Vec<String>,
}

/// Every lease, as etcd's `LeaseLeasesResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseLeasesResponse {
    /// The store revision when the leader answered.
    pub header: ResponseHeader,
    /// The leases' IDs, in order.
    pub leases: Vec<LeaseId>,
}
