//! What lease clients and the cluster recorded about leases: the bounds a lease's life
//! must respect are checked against these.

use crate::{ClientId, SimTimeNs};
use serde::{Deserialize, Serialize};

/// A grant or keep-alive that a client sent, and what came back. A lease must live at least
/// until `sent_ns + ttl_s` of every acknowledged one: the client may act on the lease until
/// then, counting from when it *sent* the request (it cannot know when the server received
/// it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseRenewal {
    pub client: ClientId,
    pub lease: u64,
    pub sent_ns: SimTimeNs,
    /// When the acknowledgement arrived, with the TTL it granted; `None`: none arrived
    /// (the request may still have renewed the lease).
    pub acked: Option<LeaseAck>,
    /// Until when the client believed the lease alive after this acknowledgement, by its
    /// own reckoning (a correct client: at most `sent_ns + ttl_s`). Left out when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub believed_until_ns: Option<SimTimeNs>,
}

/// An acknowledged grant or keep-alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseAck {
    pub at_ns: SimTimeNs,
    pub ttl_s: u64,
}

/// A lease ended: its revoke was applied at `revision` by the first replica, at `at_ns`,
/// deleting `keys` in that one revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseEnd {
    pub lease: u64,
    pub revision: u64,
    pub at_ns: SimTimeNs,
    /// Expired (the leader revoked it when its TTL ran out) or revoked by a client.
    pub expired: bool,
    pub keys: Vec<String>,
    /// The leader whose lessor proposed the expiry (`None` for a client's revoke): lease
    /// time is measured on that node's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_by: Option<crate::NodeId>,
}
