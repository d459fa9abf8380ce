//! The read side of etcd's Watch: every change to a range of keys from a revision on.
//!
//! Here a watch is a query, not a stream: the node serves [`crate::Store::watch_events`] like
//! a linearizable range read, and a client keeps watching by asking again from the answer's
//! header revision + 1. Each answer holds every change in the range from its start revision
//! up to its header revision and none later, so such a chain of answers sees every change
//! exactly once, in order.

use crate::error::KvError;
use crate::key_range::KeyRange;
use crate::request::{KeyValue, ResponseHeader};
use serde::{Deserialize, Serialize};

/// A request for the changes to a range of keys, as etcd's `WatchCreateRequest`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchRequest {
    /// The keys to watch.
    pub range: KeyRange,
    /// The first revision whose changes to return. 0 means "from the next revision" (the
    /// current one + 1), as in etcd, so it returns nothing yet; a revision beyond the next
    /// one is accepted and returns nothing yet either. Below the compacted revision the
    /// changes are gone and the request fails with [`KvError::Compacted`].
    pub start_revision: u64,
}

/// The changes a [`WatchRequest`] found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchResponse {
    /// The store revision: `events` holds every change up to it, so the client resumes from
    /// `header.revision + 1`.
    pub header: ResponseHeader,
    /// The changes in revision order, and in key order within one revision (a transaction
    /// or a lease revoke can change several keys at once).
    pub events: Vec<WatchEvent>,
}

/// One change to one key, as etcd's `mvccpb.Event`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchEvent {
    /// Whether the key was put or deleted.
    pub kind: WatchEventKind,
    /// For a put, the key as the put left it. For a delete, as etcd reports one: the key and
    /// `mod_revision` (the deletion's revision), with an empty value, `create_revision` and
    /// `version` 0 and no lease.
    pub kv: KeyValue,
}

/// What happened to the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchEventKind {
    /// A put created or updated the key.
    Put,
    /// A delete range, a transaction or a lease revoke deleted the key.
    Delete,
}

impl WatchEvent {
    /// The put that left the key as `kv`.
    pub(crate) fn put(kv: KeyValue) -> WatchEvent {
        WatchEvent {
            kind: WatchEventKind::Put,
            kv,
        }
    }

    /// The deletion of `key` at `revision`.
    pub(crate) fn delete(key: &str, revision: u64) -> WatchEvent {
        WatchEvent {
            kind: WatchEventKind::Delete,
            kv: KeyValue {
                key: key.to_owned(),
                value: String::new(),
                create_revision: 0,
                mod_revision: revision,
                version: 0,
                lease: None,
            },
        }
    }

    /// The revision of the change.
    pub fn revision(&self) -> u64 {
        self.kv.mod_revision
    }
}

/// The first revision a watch asking for `requested` returns changes of, when `current` is
/// the store revision and `compacted` its compacted revision.
pub(crate) fn start_revision(requested: u64, current: u64, compacted: u64) -> Result<u64, KvError> {
    match requested {
        0 => Ok(current + 1),
        requested if requested < compacted => Err(KvError::Compacted {
            requested,
            compacted,
        }),
        requested => Ok(requested),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_starts_after_the_current_revision() {
        assert_eq!(start_revision(0, 7, 0), Ok(8));
        assert_eq!(start_revision(0, 7, 7), Ok(8));
    }

    #[test]
    fn the_compacted_revision_is_the_earliest_start() {
        assert_eq!(
            start_revision(4, 9, 5),
            Err(KvError::Compacted {
                requested: 4,
                compacted: 5
            })
        );
        assert_eq!(start_revision(5, 9, 5), Ok(5));
        assert_eq!(start_revision(1, 9, 0), Ok(1));
    }

    #[test]
    fn future_starts_are_accepted() {
        assert_eq!(start_revision(10, 9, 5), Ok(10));
        assert_eq!(start_revision(u64::MAX, 9, 5), Ok(u64::MAX));
    }

    #[test]
    fn a_delete_event_names_only_the_key_and_revision() {
        let event = WatchEvent::delete("k", 12);
        assert_eq!(event.kind, WatchEventKind::Delete);
        assert_eq!(event.revision(), 12);
        assert_eq!(event.kv.key, "k");
        assert_eq!(event.kv.value, "");
        assert_eq!((event.kv.create_revision, event.kv.version), (0, 0));
        assert_eq!(event.kv.lease, None);
    }
}
