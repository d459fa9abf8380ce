//! An etcd-like multi-version key-value store, as a pure state machine.
//!
//! A Raft driver applies committed [`Request`]s to a [`Store`] in log order on every replica
//! with [`Store::execute`]; because the store does no I/O, reads no clock, draws no random
//! numbers and iterates only ordered maps, every replica that applies the same log reaches
//! the same state and gives the same answers. The whole store is `serde`-serializable so it
//! can travel as Raft snapshot data.
//!
//! The semantics follow etcd v3: one global revision counter that every write (a put, a
//! delete that deleted something, a transaction that wrote anything) advances by exactly
//! one; per-key `create_revision`, `mod_revision` and `version`; reads at past revisions;
//! compare-and-swap transactions; and compaction that drops history older than a revision.
//! Leases too, as etcd's lessor replicates them: grant, revoke (deleting every attached key
//! in one revision), checkpoints of the remaining TTL, keys attached by puts. When a lease
//! expires is not replicated state: the leader decides it by its own clock and proposes a
//! revoke ([`Store::lease_ttls`] gives what it needs to set its deadlines). And the read side
//! of etcd's Watch: [`Store::watch_events`] returns every change to a range of keys since a
//! revision, in order, for a client that keeps asking from where the last answer ended.

mod compare;
mod error;
mod history;
mod key_range;
mod lease;
mod request;
mod store;
mod validate;
mod watch;

pub use compare::{Compare, CompareResult, CompareTarget};
pub use error::KvError;
pub use key_range::KeyRange;
pub use lease::{LeaseId, LeaseInfo, LeaseTtl, MAX_LEASE_TTL_S};
pub use request::{
    DeleteRangeRequest, DeleteRangeResponse, KeyValue, LeaseCheckpointRequest,
    LeaseCheckpointResponse, LeaseGrantRequest, LeaseGrantResponse, LeaseKeepAliveResponse,
    LeaseLeasesResponse, LeaseRevokeRequest, LeaseRevokeResponse, LeaseTimeToLiveResponse,
    PutRequest, PutResponse, RangeRequest, RangeResponse, Request, RequestOp, Response,
    ResponseHeader, ResponseOp, TxnRequest, TxnResponse,
};
pub use store::Store;
pub use watch::{WatchEvent, WatchEventKind, WatchRequest, WatchResponse};
