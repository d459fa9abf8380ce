//! What a replica answers a client.

use serde::{Deserialize, Serialize};

/// Identifies one client request across the cluster: who asked, and which request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestTag {
    pub client: u64,
    pub request_id: u64,
}

impl RequestTag {
    /// The tag as a ReadIndex context: raft-rs matches read confirmations by it, so it
    /// must be unique across all clients.
    pub fn to_context(self) -> Vec<u8> {
        let mut context = self.client.to_be_bytes().to_vec();
        context.extend_from_slice(&self.request_id.to_be_bytes());
        context
    }

    /// The tag a ReadIndex context was made from.
    pub fn from_context(context: &[u8]) -> RequestTag {
        let (client, request_id) = context.split_at(8);
        RequestTag {
            client: u64::from_be_bytes(client.try_into().expect("contexts are made by to_context")),
            request_id: u64::from_be_bytes(
                request_id
                    .try_into()
                    .expect("contexts are made by to_context"),
            ),
        }
    }
}

/// The answer to one client request.
pub type ClientReply = Result<kv::Response, ClientError>;

/// A definite failure: the request did not change the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientError {
    /// This replica is not the leader; try `leader_hint` if it knows one.
    NotLeader { leader_hint: Option<u64> },
    /// The leader has not yet committed an entry of its term, so it cannot serve a
    /// linearizable read yet; retry shortly.
    LeaderNotReady,
    /// The proposal's log slot was taken by another leader's entry: it will never apply.
    ProposalDropped,
    /// The store rejected the request (e.g. a read of a compacted revision).
    Kv(kv::KvError),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::NotLeader {
                leader_hint: Some(leader),
            } => {
                write!(f, "not leader (leader is {leader})")
            }
            ClientError::NotLeader { leader_hint: None } => {
                write!(f, "not leader (no known leader)")
            }
            ClientError::LeaderNotReady => write!(f, "leader has not committed in its term yet"),
            ClientError::ProposalDropped => write!(f, "proposal dropped by a leader change"),
            ClientError::Kv(error) => write!(f, "{error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_contexts_round_trip_and_differ_between_clients() {
        let a = RequestTag {
            client: 1,
            request_id: 7,
        };
        let b = RequestTag {
            client: 2,
            request_id: 7,
        };
        assert_eq!(RequestTag::from_context(&a.to_context()), a);
        assert_ne!(a.to_context(), b.to_context());
    }
}
