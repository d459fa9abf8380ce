//! One Raft/KV replica, driven by raft-rs.
//!
//! [`RaftNode`] owns a raft-rs `RawNode`, the replica's [`kv::Store`] and its [`SimDisk`].
//! It is driven from outside (the simulator's node task): `tick`, `step` incoming Raft
//! messages, `propose` client writes, `read` client reads, then `handle_ready`, which runs
//! one round of raft-rs' Ready loop — persist (and wait for the simulated fsync), send,
//! apply, advance — and hands messages and client replies to an [`Outbox`].
//!
//! The disk is the only thing that survives a crash: restarting a node means building a
//! new `RaftNode` from the same `SimDisk`, which recovers whatever had been synced.

mod command;
mod crash_trap;
mod digest;
mod disk;
mod driver;
mod lessor;
mod log_storage;
mod membership;
mod read;
mod reply;

pub use crash_trap::{CrashTrap, ReadyStep};
pub use disk::{DiskWrite, SimDisk};
pub use driver::{
    Checkpoint, LeaseEnded, LessorRequest, LocalClock, NodeConfig, Outbox, RaftNode,
    CHECKPOINT_INTERVAL_ENTRIES, CLUSTER_CLIENT_ID,
};
pub use lessor::Lessor;
pub use log_storage::LogStorage;
pub use membership::MembershipChange;
pub use read::{ReadRequest, WATCH_PARK_NS};
pub use reply::{ClientError, ClientReply, RequestTag};

/// raft-rs' protobuf types, re-exported so users need not depend on raft directly.
pub use raft::eraftpb::{Message as RaftMessage, MessageType as RaftMessageType};
pub use raft::StateRole;
