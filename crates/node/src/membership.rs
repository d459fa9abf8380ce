//! Changing who the members are, one at a time, as etcd's `member remove` and
//! `member add` do: each is a Raft configuration change, proposed by the leader and
//! applied by every replica when committed.

use raft::eraftpb::{ConfChange, ConfChangeType};

/// One change to the set of voting members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipChange {
    Remove(u64),
    /// Adds a node, which must start from an empty disk and learn the log from the leader.
    Add(u64),
}

impl MembershipChange {
    pub(crate) fn to_conf_change(self) -> ConfChange {
        let (change_type, node_id) = match self {
            MembershipChange::Remove(node) => (ConfChangeType::RemoveNode, node),
            MembershipChange::Add(node) => (ConfChangeType::AddNode, node),
        };
        ConfChange {
            change_type,
            node_id,
            ..ConfChange::default()
        }
    }
}
