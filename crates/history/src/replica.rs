//! What replicas report about their own state, so replicas can be compared with each other.

use crate::{NodeId, SimTimeNs};
use serde::{Deserialize, Serialize};

/// A replica's state at one applied index: the digest of the log it applied up to there and
/// the hash of its key-value store.
///
/// Raft promises that every replica applies the same entries in the same order, so two
/// checkpoints at the same `applied_index` (of two replicas, or of one replica before and
/// after a restart) must carry the same `log_digest`, and, the store being deterministic,
/// the same `state_hash`. Both are 64-bit hashes written as 16 hex digits, since JSON
/// readers that hold numbers as doubles would round them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicaCheckpoint {
    pub at_ns: SimTimeNs,
    pub node: NodeId,
    /// The index of the last log entry the replica had applied.
    pub applied_index: u64,
    /// A hash chain over every applied entry's index, term and data, up to `applied_index`.
    #[serde(with = "hex_u64")]
    pub log_digest: u64,
    /// A hash of the key-value store (its whole retained history) after `applied_index`.
    #[serde(with = "hex_u64")]
    pub state_hash: u64,
}

/// A `u64` as exactly 16 lower-case hex digits.
mod hex_u64 {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{value:016x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.len() != 16 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(D::Error::custom(format!(
                "expected 16 hex digits, found {text:?}"
            )));
        }
        u64::from_str_radix(&text, 16).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_written_as_16_hex_digits() {
        let checkpoint = ReplicaCheckpoint {
            at_ns: 5,
            node: 2,
            applied_index: 50,
            log_digest: 0xcbf2_9ce4_8422_2325,
            state_hash: 1,
        };
        let text = serde_json::to_string(&checkpoint).unwrap();
        assert_eq!(
            text,
            r#"{"at_ns":5,"node":2,"applied_index":50,"log_digest":"cbf29ce484222325","state_hash":"0000000000000001"}"#
        );
        assert_eq!(
            serde_json::from_str::<ReplicaCheckpoint>(&text).unwrap(),
            checkpoint
        );
    }

    #[test]
    fn a_digest_that_is_not_16_hex_digits_is_rejected() {
        for bad in ["\"12\"", "\"+bf29ce484222325\"", "12"] {
            let text = format!(
                r#"{{"at_ns":5,"node":2,"applied_index":50,"log_digest":{bad},"state_hash":"0000000000000001"}}"#
            );
            assert!(
                serde_json::from_str::<ReplicaCheckpoint>(&text).is_err(),
                "{bad} was accepted"
            );
        }
    }
}
