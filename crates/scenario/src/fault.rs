//! The scripted fault schedule of a scenario.

/// Which node a fault strikes; resolved when the fault fires, so "leader" means the leader
/// at that moment, and the history records the concrete node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeTarget {
    Id(u64),
    /// The node that is leader when the fault fires (a random live node if there is none).
    Leader,
    /// A node drawn from the nemesis' random stream.
    Random,
}

/// What a scheduled fault does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// Cut one node off from every other node.
    Isolate { node: NodeTarget },
    /// Split the nodes at random into a majority and a minority side.
    Split,
    /// Cut the nodes into the given sides; nodes on no side keep all their links.
    Partition { sides: Vec<Vec<u64>> },
    /// Split the other nodes at random into two halves that cannot reach each other, while
    /// `node` reaches both: the "bridge" partial partition.
    Bridge { node: NodeTarget },
    /// Drop every message from `from` to `to`, while `to` still reaches `from`.
    Cut { from: NodeTarget, to: NodeTarget },
    /// Remove every partition.
    Heal,
    /// Kill the node's process; its unsynced disk writes are lost.
    Crash { node: NodeTarget },
    /// Restart a crashed node, or every crashed node when `node` is `None`.
    Restart { node: Option<NodeTarget> },
    /// Stop the node's process without killing it (a GC pause, a stopped VM): timers do not
    /// fire and messages queue until it resumes.
    Pause { node: NodeTarget },
}

/// A fault at a moment of the safety phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduledFault {
    /// When the fault fires, in simulated milliseconds since the start.
    pub at_ms: u64,
    pub action: FaultAction,
    /// If set, the fault is undone this long after it fired: a partition or cut is healed
    /// (every partition and cut: healing is global), a crashed node restarted, a paused
    /// node resumed.
    pub for_ms: Option<u64>,
}

impl FaultAction {
    /// The `kind` this action is written as in a scenario file.
    pub fn kind(&self) -> &'static str {
        match self {
            FaultAction::Isolate { .. } => "isolate",
            FaultAction::Split => "split",
            FaultAction::Partition { .. } => "partition",
            FaultAction::Bridge { .. } => "bridge",
            FaultAction::Cut { .. } => "cut",
            FaultAction::Pause { .. } => "pause",
            FaultAction::Heal => "heal",
            FaultAction::Crash { .. } => "crash",
            FaultAction::Restart { .. } => "restart",
        }
    }

    /// Whether `for_ms` means something for this action.
    pub fn can_be_undone(&self) -> bool {
        matches!(
            self,
            FaultAction::Isolate { .. }
                | FaultAction::Split
                | FaultAction::Partition { .. }
                | FaultAction::Bridge { .. }
                | FaultAction::Cut { .. }
                | FaultAction::Crash { .. }
                | FaultAction::Pause { .. }
        )
    }
}
