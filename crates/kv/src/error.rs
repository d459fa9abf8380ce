//! The ways a request can be refused.

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
}
