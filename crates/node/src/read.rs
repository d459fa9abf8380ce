//! What a leader serves after a ReadIndex round confirms it still leads: a range read, or
//! a watch.

/// A linearizable read request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadRequest {
    /// Keys as of the read index.
    Range(kv::RangeRequest),
    /// The changes to a range of keys from a revision on (etcd's Watch, as a long poll):
    /// answered as soon as there is at least one, or empty after [`WATCH_PARK_NS`], so
    /// the client asks again from the revision the empty answer names.
    Watch(kv::WatchRequest),
}

/// How long the leader keeps a watch with nothing to report before answering it empty, in
/// local ns: well inside a client's request timeout, so that silence is never mistaken
/// for a lost request.
pub const WATCH_PARK_NS: u64 = 500_000_000;
