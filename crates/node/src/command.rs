//! The payload of a Raft log entry: one client write, tagged so the proposing replica can
//! tell whether the entry that applied at its proposal's index is its own.

use crate::RequestTag;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Command {
    pub tag: RequestTag,
    pub request: kv::Request,
    /// For a revoke the leader's lessor proposed because the lease expired: that leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_by: Option<u64>,
}

impl Command {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("commands serialize")
    }

    /// Decodes an entry written by [`Command::encode`]. Entries are only ever written by
    /// this crate, so anything else is a bug, not bad input.
    pub fn decode(data: &[u8]) -> Command {
        serde_json::from_slice(data).expect("log entries hold commands")
    }
}
