//! Faults the nemesis applied, and leader changes the cluster went through.

use crate::{NodeId, SimTimeNs};
use serde::{Deserialize, Serialize};

/// A fault, applied at a moment of simulated time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultEvent {
    pub at_ns: SimTimeNs,
    pub fault: Fault,
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
    /// Every partition and cut is removed.
    Heal,
    /// The node's process dies; writes its disk had not synced are lost.
    Crash { node: NodeId },
    /// A crashed node starts again from what its disk had synced.
    Restart { node: NodeId },
    /// The node's process stops running (a long GC pause, a stopped VM): its timers do not
    /// fire and messages to it queue, but it keeps its memory and disk.
    Pause { node: NodeId },
    /// A paused node runs again, from where it stopped.
    Resume { node: NodeId },
}

/// A node became leader of a term, as observed by that node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaderChange {
    pub at_ns: SimTimeNs,
    pub node: NodeId,
    pub term: u64,
}

/// The liveness phase of a run: at `healed_at_ns` every partition was healed and every
/// crashed node restarted; a probe client then wrote until one write succeeded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivenessProbe {
    pub healed_at_ns: SimTimeNs,
    /// The cluster must have served a write by this time.
    pub deadline_ns: SimTimeNs,
    /// When the first probe write succeeded; `None` if none did before the deadline.
    pub first_write_ns: Option<SimTimeNs>,
}
