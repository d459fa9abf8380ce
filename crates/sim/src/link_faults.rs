//! Link faults: rules that degrade the messages between chosen endpoints — extra latency
//! and jitter, loss, duplication, reordering, holding — optionally only messages of given
//! kinds (a Raft message type, or client requests or responses).
//!
//! The network consults the active rules for every message. No random draw is made for a
//! message no rule touches, so runs without link faults draw exactly what they drew before
//! link faults existed.

use crate::network::{Address, Envelope};
use node::RaftMessageType;
use rand::rngs::SmallRng;
use rand::Rng;
use scenario::{LinkEffect, MessageKind};
use std::collections::BTreeMap;
use std::time::Duration;

/// One active link fault.
#[derive(Clone, Debug)]
pub struct LinkRule {
    /// The sending replica, or `None` for every endpoint (clients included).
    pub from: Option<u64>,
    /// The receiving replica, or `None` for every endpoint (clients included).
    pub to: Option<u64>,
    /// The kinds of message touched; empty: every kind.
    pub messages: Vec<MessageKind>,
    pub effect: LinkEffect,
}

/// What the rules decided for one message at the moment it is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendFate {
    pub dropped: bool,
    pub extra_latency: Duration,
    /// Deliver a second copy.
    pub duplicated: bool,
    /// Skip the link's first-in-first-out order.
    pub reordered: bool,
}

/// The active rules, by id (ids are given out by the nemesis in order, so iteration order
/// — and with it the order of random draws — is the order the faults began).
#[derive(Default)]
pub struct LinkRules {
    rules: BTreeMap<u64, LinkRule>,
}

impl LinkRules {
    pub fn insert(&mut self, id: u64, rule: LinkRule) {
        self.rules.insert(id, rule);
    }

    /// Removes a rule; whether it was active.
    pub fn remove(&mut self, id: u64) -> bool {
        self.rules.remove(&id).is_some()
    }

    pub fn ids(&self) -> Vec<u64> {
        self.rules.keys().copied().collect()
    }

    fn matching<'a>(
        &'a self,
        from: Address,
        to: Address,
        envelope: &'a Envelope,
    ) -> impl Iterator<Item = &'a LinkRule> + 'a {
        let kind = message_kind(envelope);
        self.rules
            .values()
            .filter(move |rule| rule.touches(from, to, kind))
    }

    /// Decides, drawing from `rng`, what happens to a message being sent.
    pub fn fate(
        &self,
        from: Address,
        to: Address,
        envelope: &Envelope,
        rng: &mut SmallRng,
    ) -> SendFate {
        let mut fate = SendFate::default();
        let between_replicas = matches!((from, to), (Address::Node(_), Address::Node(_)));
        for rule in self.matching(from, to, envelope) {
            match rule.effect {
                LinkEffect::Delay {
                    latency_ms,
                    jitter_ms,
                } => {
                    let jitter_ms = if jitter_ms == 0 {
                        0
                    } else {
                        rng.gen_range(0..=jitter_ms)
                    };
                    fate.extra_latency += Duration::from_millis(latency_ms + jitter_ms);
                }
                LinkEffect::Loss { percent } => fate.dropped |= chance(rng, percent),
                // Client connections are TCP streams, which neither duplicate nor reorder;
                // Raft must cope with both, so only replica traffic suffers them.
                LinkEffect::Duplicate { percent } if between_replicas => {
                    fate.duplicated |= chance(rng, percent);
                }
                LinkEffect::Reorder { percent } if between_replicas => {
                    fate.reordered |= chance(rng, percent);
                }
                LinkEffect::Duplicate { .. } | LinkEffect::Reorder { .. } | LinkEffect::Hold => {}
            }
        }
        fate
    }

    /// Whether a hold rule keeps this message from being delivered now.
    pub fn holds(&self, from: Address, to: Address, envelope: &Envelope) -> bool {
        self.matching(from, to, envelope)
            .any(|rule| rule.effect == LinkEffect::Hold)
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl LinkRule {
    fn touches(&self, from: Address, to: Address, kind: Option<MessageKind>) -> bool {
        let end_matches = |end: Option<u64>, address: Address| match end {
            None => true,
            Some(node) => address == Address::Node(node),
        };
        end_matches(self.from, from)
            && end_matches(self.to, to)
            && (self.messages.is_empty() || kind.is_some_and(|kind| self.messages.contains(&kind)))
    }
}

fn chance(rng: &mut SmallRng, percent: u64) -> bool {
    rng.gen_range(0..100) < percent
}

/// The kind a typed link fault can select this message by; `None` for Raft message types
/// that scenarios cannot name (they are touched only by rules for every message).
pub fn message_kind(envelope: &Envelope) -> Option<MessageKind> {
    match envelope {
        Envelope::Raft(message) => match message.get_msg_type() {
            RaftMessageType::MsgAppend => Some(MessageKind::Append),
            RaftMessageType::MsgAppendResponse => Some(MessageKind::AppendResponse),
            RaftMessageType::MsgHeartbeat => Some(MessageKind::Heartbeat),
            RaftMessageType::MsgHeartbeatResponse => Some(MessageKind::HeartbeatResponse),
            RaftMessageType::MsgRequestVote => Some(MessageKind::RequestVote),
            RaftMessageType::MsgRequestVoteResponse => Some(MessageKind::RequestVoteResponse),
            RaftMessageType::MsgRequestPreVote => Some(MessageKind::RequestPreVote),
            RaftMessageType::MsgRequestPreVoteResponse => Some(MessageKind::RequestPreVoteResponse),
            RaftMessageType::MsgReadIndex => Some(MessageKind::ReadIndex),
            RaftMessageType::MsgReadIndexResp => Some(MessageKind::ReadIndexResponse),
            RaftMessageType::MsgSnapshot => Some(MessageKind::Snapshot),
            RaftMessageType::MsgTimeoutNow => Some(MessageKind::TimeoutNow),
            _ => None,
        },
        Envelope::Request { .. } => Some(MessageKind::ClientRequest),
        Envelope::Response { .. } => Some(MessageKind::ClientResponse),
        Envelope::SnapshotStatus { .. } | Envelope::Membership(_) => None,
    }
}
