//! The scripted fault schedule of a scenario.

/// What a link fault does: the same words a history records it in.
pub use history::LinkEffect;

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
    /// Kill the node's process; its unsynced disk writes are lost. With `at_step`, the
    /// node is killed the next time its Ready loop reaches that step of persisting.
    Crash {
        node: NodeTarget,
        at_step: Option<PersistStep>,
    },
    /// Restart a crashed node, or every crashed node when `node` is `None`.
    Restart { node: Option<NodeTarget> },
    /// Stop the node's process without killing it (a GC pause, a stopped VM): timers do not
    /// fire and messages queue until it resumes.
    Pause { node: NodeTarget },
    /// Freeze the node's Raft and apply loop while its client front end keeps accepting
    /// requests: a stuck leader that still answers (a partial pause).
    Freeze { node: NodeTarget },
    /// Degrade the messages that match `links` and `messages`.
    Link {
        links: LinkSelector,
        messages: Vec<MessageKind>,
        effect: LinkEffect,
    },
    /// FoundationDB's swizzle-clog: clog `nodes` random nodes one by one, `step_ms` apart
    /// (every message to and from a clogged node is held), then unclog them in random
    /// order, `step_ms` apart.
    Swizzle { nodes: u64, step_ms: u64 },
    /// Every fsync of the node's disk takes `fsync_us` (until undone).
    SlowDisk { node: NodeTarget, fsync_us: u64 },
    /// The node's local clock jumps by `by_ms` (negative: backwards).
    ClockJump { node: NodeTarget, by_ms: i64 },
    /// The node's local clock runs at `rate_percent` of real speed (120: 1.2× fast).
    ClockRate { node: NodeTarget, rate_percent: u64 },
    /// Remove the node from the cluster by a Raft configuration change, then add a fresh
    /// member with an empty disk under a new id (etcd's `member remove` + `member add`).
    Replace { node: NodeTarget },
    /// Stop a client's process (a GC pause of a lock holder): its operations and its
    /// session's keep-alives stand still until it resumes.
    PauseClient { client: ClientTarget },
}

/// Which client a client fault strikes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientTarget {
    Id(u64),
    /// The client inside a critical section when the fault fires or, if none is, the next
    /// one to enter one: the fault waits for it.
    LockHolder,
}

/// Which messages a link fault touches: from a node in `from` to a node in `to`. `None`
/// is every endpoint, clients included.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LinkSelector {
    pub from: Option<NodeTarget>,
    pub to: Option<NodeTarget>,
}

/// A kind of message a link fault can be limited to: a Raft message type, or client
/// traffic (a request whose response is lost was still applied: an unknown outcome).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MessageKind {
    Append,
    AppendResponse,
    Heartbeat,
    HeartbeatResponse,
    RequestVote,
    RequestVoteResponse,
    RequestPreVote,
    RequestPreVoteResponse,
    ReadIndex,
    ReadIndexResponse,
    Snapshot,
    TimeoutNow,
    ClientRequest,
    ClientResponse,
}

impl MessageKind {
    /// Every kind, with the name a scenario file uses for it (raft-rs' names for Raft
    /// message types).
    pub const ALL: [(MessageKind, &'static str); 14] = [
        (MessageKind::Append, "MsgAppend"),
        (MessageKind::AppendResponse, "MsgAppendResponse"),
        (MessageKind::Heartbeat, "MsgHeartbeat"),
        (MessageKind::HeartbeatResponse, "MsgHeartbeatResponse"),
        (MessageKind::RequestVote, "MsgRequestVote"),
        (MessageKind::RequestVoteResponse, "MsgRequestVoteResponse"),
        (MessageKind::RequestPreVote, "MsgRequestPreVote"),
        (
            MessageKind::RequestPreVoteResponse,
            "MsgRequestPreVoteResponse",
        ),
        (MessageKind::ReadIndex, "MsgReadIndex"),
        (MessageKind::ReadIndexResponse, "MsgReadIndexResp"),
        (MessageKind::Snapshot, "MsgSnapshot"),
        (MessageKind::TimeoutNow, "MsgTimeoutNow"),
        (MessageKind::ClientRequest, "client-request"),
        (MessageKind::ClientResponse, "client-response"),
    ];

    pub fn name(self) -> &'static str {
        MessageKind::ALL
            .iter()
            .find(|(kind, _)| *kind == self)
            .map(|(_, name)| *name)
            .expect("every kind is listed")
    }

    pub fn from_name(name: &str) -> Option<MessageKind> {
        MessageKind::ALL
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(kind, _)| *kind)
    }
}

/// A step of a replica's Ready loop at which a `crash` fault can strike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersistStep {
    /// Entries and hard state are written but the fsync has not finished: all lost.
    BeforeSync,
    /// Everything is durable, but no message has been sent.
    AfterSync,
    /// Messages are sent, committed entries not yet applied.
    AfterSend,
    /// Committed entries are applied, the commit index not yet persisted.
    AfterApply,
}

impl PersistStep {
    pub const ALL: [(PersistStep, &'static str); 4] = [
        (PersistStep::BeforeSync, "before-sync"),
        (PersistStep::AfterSync, "after-sync"),
        (PersistStep::AfterSend, "after-send"),
        (PersistStep::AfterApply, "after-apply"),
    ];

    pub fn name(self) -> &'static str {
        PersistStep::ALL
            .iter()
            .find(|(step, _)| *step == self)
            .map(|(_, name)| *name)
            .expect("every step is listed")
    }

    pub fn from_name(name: &str) -> Option<PersistStep> {
        PersistStep::ALL
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(step, _)| *step)
    }
}

/// A fault at a moment of the safety phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduledFault {
    /// When the fault fires, in simulated milliseconds since the start.
    pub at_ms: u64,
    pub action: FaultAction,
    /// If set, the fault is undone this long after it fired: a partition or cut is healed
    /// (every partition and cut: healing is global), a crashed node restarted, a paused
    /// or frozen node or a paused client resumed, a link fault lifted (held messages are
    /// delivered), a slow disk made normal, a clock set back to real speed.
    pub for_ms: Option<u64>,
    /// The fault is never undone: no heal lifts it (neither a `heal` fault, nor another
    /// fault's end, nor the liveness phase), so the liveness phase demands service from a
    /// cluster still cut this way. Only partitions and cuts can last
    /// ([`FaultAction::can_last_through_liveness`]).
    pub through_liveness: bool,
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
            FaultAction::Freeze { .. } => "freeze",
            FaultAction::Link { effect, .. } => match effect {
                LinkEffect::Delay { .. } => "delay",
                LinkEffect::Loss { .. } => "loss",
                LinkEffect::Duplicate { .. } => "duplicate",
                LinkEffect::Reorder { .. } => "reorder",
                LinkEffect::Hold => "hold",
            },
            FaultAction::Swizzle { .. } => "swizzle",
            FaultAction::SlowDisk { .. } => "slow-disk",
            FaultAction::ClockJump { .. } => "clock-jump",
            FaultAction::ClockRate { .. } => "clock-rate",
            FaultAction::Replace { .. } => "replace",
            FaultAction::PauseClient { .. } => "pause-client",
            FaultAction::Heal => "heal",
            FaultAction::Crash { .. } => "crash",
            FaultAction::Restart { .. } => "restart",
        }
    }

    /// Whether the action can be kept in place through the liveness phase: the network
    /// cuts, which the network can keep apart from the ones a heal lifts.
    pub fn can_last_through_liveness(&self) -> bool {
        matches!(
            self,
            FaultAction::Isolate { .. }
                | FaultAction::Split
                | FaultAction::Partition { .. }
                | FaultAction::Bridge { .. }
                | FaultAction::Cut { .. }
        )
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
                | FaultAction::Freeze { .. }
                | FaultAction::Link { .. }
                | FaultAction::SlowDisk { .. }
                | FaultAction::ClockRate { .. }
                | FaultAction::PauseClient { .. }
        )
    }
}
