//! Faults the nemesis applied, and leader changes the cluster went through.

use crate::{ClientId, NodeId, SimTimeNs};
use serde::{Deserialize, Serialize};

/// A fault, applied at a moment of simulated time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultEvent {
    pub at_ns: SimTimeNs,
    pub fault: Fault,
    /// The fault was never undone: no heal lifted it, and it lasted through the liveness
    /// phase to the end of the run (a scenario's `through_liveness = true`), so the cluster
    /// was never fully healed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lasting: bool,
}

/// A concrete fault, with every target resolved to node ids (a scenario may say "the
/// leader" or "a random node"; the history says which node it was).
///
/// New kinds of fault are new variants; readers reject kinds they do not know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// Nodes in different sides cannot exchange messages; nodes on no side are unaffected.
    Partition { sides: Vec<Vec<NodeId>> },
    /// Messages from `from` to `to` are dropped; the other direction still works (a
    /// one-way cut). Removed by the next heal.
    Cut { from: NodeId, to: NodeId },
    /// Every partition and cut is removed, but a lasting one ([`FaultEvent::lasting`]).
    Heal,
    /// The node's process dies; writes its disk had not synced are lost. `at_step` names
    /// the step of its Ready loop it died at, when the fault chose one.
    Crash {
        node: NodeId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_step: Option<String>,
    },
    /// A crashed node starts again from what its disk had synced.
    Restart { node: NodeId },
    /// The node's process stops running (a long GC pause, a stopped VM): its timers do not
    /// fire and messages to it queue, but it keeps its memory and disk.
    Pause { node: NodeId },
    /// A paused node runs again, from where it stopped.
    Resume { node: NodeId },
    /// A client's process stops running (a GC pause of a lock holder): its operations and
    /// its session's keep-alives stand still.
    ClientPause { client: ClientId },
    /// A paused client runs again, from where it stopped.
    ClientResume { client: ClientId },
    /// The node's Raft and apply loop stops while its client front end keeps accepting
    /// requests (a partial pause: a stuck leader that still answers).
    Freeze { node: NodeId },
    /// A frozen node's Raft loop runs again.
    Thaw { node: NodeId },
    /// Messages from a node in `from` to a node in `to` (empty: every endpoint, clients
    /// included) of the given `messages` kinds (empty: every kind) suffer `effect`, until
    /// a `link-restored` with the same `id` or a heal.
    LinkFault {
        id: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        from: Vec<NodeId>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        to: Vec<NodeId>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        messages: Vec<String>,
        effect: LinkEffect,
    },
    /// The link fault `id` is lifted; messages it held are delivered.
    LinkRestored { id: u64 },
    /// Every message to and from the node is held (not dropped): one step of a
    /// swizzle-clog.
    Clog { node: NodeId },
    /// A clogged node's held messages are delivered and its links work again.
    Unclog { node: NodeId },
    /// Every fsync of the node's disk takes `fsync_us`, until `disk-restored`.
    SlowDisk { node: NodeId, fsync_us: u64 },
    /// The node's fsyncs take their configured time again.
    DiskRestored { node: NodeId },
    /// The node's local clock jumped by `by_ms` (negative: backwards).
    ClockJump { node: NodeId, by_ms: i64 },
    /// The node's local clock runs at `rate_percent` of real speed from now on (100: back
    /// to real speed).
    ClockRate { node: NodeId, rate_percent: u64 },
    /// The node was removed from the cluster by a committed configuration change.
    MemberRemoved { node: NodeId },
    /// A fresh node with an empty disk was added to the cluster under this new id.
    MemberAdded { node: NodeId },
}

/// What a link fault does to the messages it touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LinkEffect {
    /// Each message takes `latency_ms` plus up to `jitter_ms` longer.
    Delay { latency_ms: u64, jitter_ms: u64 },
    /// Each message is dropped with this probability.
    Loss { percent: u64 },
    /// Each message is delivered twice with this probability.
    Duplicate { percent: u64 },
    /// Each message overtakes the ones ahead of it on its link with this probability.
    Reorder { percent: u64 },
    /// Every message is held until the fault is lifted.
    Hold,
}

/// A node became leader of a term, as observed by that node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaderChange {
    pub at_ns: SimTimeNs,
    pub node: NodeId,
    pub term: u64,
}

/// The liveness phase of a run: at `healed_at_ns` every partition was healed (but the
/// lasting ones, [`FaultEvent::lasting`]) and every crashed node restarted; a probe client
/// then wrote until one write succeeded, then read until one linearizable read succeeded;
/// then, if the scenario demanded it, the run watched for one leader to hold its term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivenessProbe {
    pub healed_at_ns: SimTimeNs,
    /// The cluster must have served a write and then a read by this time.
    pub deadline_ns: SimTimeNs,
    /// When the first probe write succeeded; `None` if none did before the deadline.
    pub first_write_ns: Option<SimTimeNs>,
    /// When the first probe read after that write succeeded: `Some(None)` (`null` in the
    /// file) if none did before the deadline, or no write did; `None` (no field) in
    /// histories recorded before the probe read, whose liveness phase demanded a write only.
    #[serde(
        default,
        deserialize_with = "present_field",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_read_ns: Option<Option<SimTimeNs>>,
    /// Whether one leader held one term long enough after the probe's read (a scenario's
    /// `liveness.steady_leader_ms`); `None` (no field): not demanded. Serving a write and a
    /// read between two elections is not enough when elections never end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady_leader: Option<SteadyLeader>,
}

/// What the liveness phase saw of the cluster's leadership after the probe's read: it
/// watched until one leader had kept one term for `demanded_ns`, or the deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SteadyLeader {
    /// How long one leader had to keep one term.
    pub demanded_ns: SimTimeNs,
    /// Since when the leader that kept its term that long led it; `None`: leaders or terms
    /// kept changing (or no replica led) until the deadline, or the probe never read.
    pub since_ns: Option<SimTimeNs>,
    /// How often the highest term any replica was in rose while the run watched.
    pub term_changes: u64,
    /// The highest term any replica was in when the watch ended.
    pub last_term: u64,
}

/// Reads a field that is present, possibly `null`, as `Some`; `default` makes an absent
/// one `None`. (Serde alone reads `null` as `None` too, losing the difference.)
fn present_field<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<SimTimeNs>>, D::Error> {
    Option::deserialize(deserializer).map(Some)
}
