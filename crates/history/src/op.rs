//! Client operations against the etcd-like key-value API, and their outcomes.

use crate::{ClientId, SimTimeNs};
use serde::{Deserialize, Serialize};

/// One client call: what was asked, when, and what came back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Op {
    /// Unique within the history.
    pub id: u64,
    /// The client process that made the call.
    pub client: ClientId,
    /// When the client issued the call.
    pub call_ns: SimTimeNs,
    /// When the answer arrived; `None` when the outcome is [`Outcome::Unknown`], because such
    /// an operation may take effect at any later time.
    pub return_ns: Option<SimTimeNs>,
    pub input: KvInput,
    pub outcome: Outcome,
}

impl Op {
    /// The key this operation touches; histories are checked key by key.
    pub fn key(&self) -> &str {
        self.input.key()
    }
}

/// A request to the key-value store.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum KvInput {
    /// A linearizable read of one key.
    Get { key: String },
    /// Write `value` to `key`.
    Put { key: String, value: String },
    /// Delete `key`.
    Delete { key: String },
    /// A transaction: if `compare` holds, put `value`; otherwise read the key.
    Cas {
        key: String,
        compare: CasCompare,
        value: String,
    },
}

impl KvInput {
    /// The key the request touches.
    pub fn key(&self) -> &str {
        match self {
            KvInput::Get { key }
            | KvInput::Put { key, .. }
            | KvInput::Delete { key }
            | KvInput::Cas { key, .. } => key,
        }
    }
}

/// The condition of a compare-and-swap, with etcd's semantics for a missing key: a value
/// comparison on a missing key is false; a missing key's mod_revision is 0.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case", deny_unknown_fields)]
pub enum CasCompare {
    /// The key exists and holds exactly `expected`.
    Value { expected: String },
    /// The key's mod_revision equals `expected` (0: the key does not exist).
    ModRevision { expected: u64 },
}

/// What the store answered.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum KvOutput {
    /// The key's value and mod_revision; `None` and 0 when the key does not exist.
    /// `revision` is the store's revision the read was served at (etcd's response header
    /// revision), which no later operation of the same client may go below; `None` in
    /// histories recorded before reads reported it.
    Get {
        value: Option<String>,
        mod_revision: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        revision: Option<u64>,
    },
    /// The revision the put created (the key's new mod_revision).
    Put { revision: u64 },
    /// How many keys were deleted (0 or 1) and the store revision afterwards.
    Delete { deleted: u64, revision: u64 },
    /// Whether the compare held. On success `revision` is the key's new mod_revision; on
    /// failure `value` and `mod_revision` are the key as read inside the same transaction.
    Cas {
        succeeded: bool,
        revision: u64,
        value: Option<String>,
        mod_revision: u64,
    },
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// The store answered; the operation took effect exactly once, between call and return.
    Ok(KvOutput),
    /// A definite error: the operation surely did not take effect.
    Failed { error: String },
    /// No answer (timeout, crashed node): it may have taken effect at any time after the
    /// call, or never.
    Unknown { reason: String },
}
