//! The ways a request can be refused.

use crate::lease::{LeaseId, MAX_LEASE_TTL_S};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why the store refused a request. A refused request changes nothing, on every replica
/// alike, so the error is as much a deterministic answer as a successful response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvError {
    /// A request named the empty key (only `KeyRange::Prefix("")`, meaning "all keys", may
    /// be empty), as etcd refuses it.
    EmptyKey,
    /// A read or a compaction asked for a revision whose history compaction already dropped.
    Compacted {
        /// The revision the request asked for.
        requested: u64,
        /// The store's compacted revision at the time.
        compacted: u64,
    },
    /// A read or a compaction asked for a revision the store has not reached yet.
    FutureRevision {
        /// The revision the request asked for.
        requested: u64,
        /// The store's revision at the time.
        current: u64,
    },
    /// The chosen branch of a transaction writes one key twice (two puts of it, a put and a
    /// delete covering it, or two overlapping deletes); each key may change at most once per
    /// revision.
    DuplicateKeyInTxn {
        /// A key the branch would write twice.
        key: String,
    },
    /// A write (a put, a transaction's put, a revoke) named a lease that does not exist: never
    /// granted, or already revoked. etcd's `ErrLeaseNotFound`; the write changes nothing.
    LeaseNotFound {
        /// The lease the request named.
        id: LeaseId,
    },
    /// A grant asked for an ID that an existing lease has (etcd's `ErrLeaseExists`).
    LeaseExists {
        /// The ID asked for.
        id: LeaseId,
    },
    /// A grant asked for ID 0, which etcd reserves for "no lease".
    LeaseIdZero,
    /// A grant asked for a TTL below 1 s or above etcd's `MaxLeaseTTL`.
    LeaseTtlOutOfRange {
        /// The lease asked for.
        id: LeaseId,
        /// The TTL asked for, in seconds.
        ttl_s: i64,
    },
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvError::EmptyKey => write!(f, "key is not provided"),
            KvError::Compacted {
                requested,
                compacted,
            } => write!(
                f,
                "required revision {requested} has been compacted (compacted revision is {compacted})"
            ),
            KvError::FutureRevision { requested, current } => write!(
                f,
                "required revision {requested} is a future revision (current revision is {current})"
            ),
            KvError::DuplicateKeyInTxn { key } => {
                write!(f, "duplicate key given in txn request: {key:?}")
            }
            KvError::LeaseNotFound { id } => write!(f, "lease not found: {id}"),
            KvError::LeaseExists { id } => write!(f, "lease already exists: {id}"),
            KvError::LeaseIdZero => write!(f, "lease ID 0 means no lease and cannot be granted"),
            KvError::LeaseTtlOutOfRange { id, ttl_s } => write!(
                f,
                "lease {id}: TTL {ttl_s} s is outside 1..={MAX_LEASE_TTL_S} s"
            ),
        }
    }
}

impl std::error::Error for KvError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_revisions_and_key() {
        let compacted = KvError::Compacted {
            requested: 3,
            compacted: 7,
        };
        assert_eq!(
            compacted.to_string(),
            "required revision 3 has been compacted (compacted revision is 7)"
        );
        let future = KvError::FutureRevision {
            requested: 9,
            current: 4,
        };
        assert_eq!(
            future.to_string(),
            "required revision 9 is a future revision (current revision is 4)"
        );
        let duplicate = KvError::DuplicateKeyInTxn { key: "a".into() };
        assert_eq!(
            duplicate.to_string(),
            "duplicate key given in txn request: \"a\""
        );
        assert_eq!(KvError::EmptyKey.to_string(), "key is not provided");
    }

    #[test]
    fn lease_errors_name_the_lease_in_hex() {
        let id = LeaseId(0x2a);
        assert_eq!(
            KvError::LeaseNotFound { id }.to_string(),
            "lease not found: 000000000000002a"
        );
        assert_eq!(
            KvError::LeaseExists { id }.to_string(),
            "lease already exists: 000000000000002a"
        );
        assert_eq!(
            KvError::LeaseTtlOutOfRange { id, ttl_s: 0 }.to_string(),
            "lease 000000000000002a: TTL 0 s is outside 1..=9000000000 s"
        );
    }
}
