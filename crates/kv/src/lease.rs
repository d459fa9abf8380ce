//! Leases as replicated state, as etcd's lessor keeps them: which leases exist, the TTL each
//! was granted, the remaining TTL last checkpointed, and the keys attached to each.
//!
//! What is *not* here is when a lease expires. As in etcd, expiry is a deadline on the
//! leader's own clock, kept in memory by the node: it is not replicated, and the leader ends
//! a lease by proposing a [`crate::LeaseRevokeRequest`] through Raft like any other write.
//! The store only holds what every replica must agree on.

use crate::error::KvError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A lease's identity, chosen by whoever proposes the grant (etcd's client may choose it
/// too). etcd's IDs are `int64` and 0 means "no lease"; here "no lease" is `None`, and a
/// grant of ID 0 is refused so that the two cannot be confused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LeaseId(pub i64);

impl fmt::Display for LeaseId {
    /// Sixteen hex digits, as etcdctl prints lease IDs (`lease 694d5765fc71500b granted`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// The largest TTL a grant may ask for: etcd's `MaxLeaseTTL`, about 285 years. It also
/// keeps a deadline of "now + TTL" far from overflowing in milliseconds or nanoseconds.
pub const MAX_LEASE_TTL_S: i64 = 9_000_000_000;

/// A lease's TTLs as the replicated state holds them, for the node to set its in-memory
/// expiry deadlines from (after a restart or snapshot, and when it becomes leader).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseTtl {
    /// The lease.
    pub id: LeaseId,
    /// The TTL it was granted, in seconds; a keep-alive renews it to this.
    pub granted_ttl_s: i64,
    /// The remaining TTL of the latest checkpoint, or the granted TTL if there is none (or a
    /// keep-alive cleared it): what a new leader counts the lease's deadline from.
    pub remaining_ttl_s: i64,
}

/// What the store knows of one lease: etcd's `LeaseTimeToLive` answer, but with the
/// *checkpointed* remaining TTL. The leader, which holds the live deadline, should report
/// its own remaining time instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseInfo {
    /// The lease.
    pub id: LeaseId,
    /// The TTL it was granted, in seconds.
    pub granted_ttl_s: i64,
    /// The remaining TTL of the latest checkpoint, or the granted TTL if there is none.
    pub remaining_ttl_s: i64,
    /// The keys attached to the lease, in key order; a revoke deletes them all.
    pub keys: Vec<String>,
}

/// One granted lease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Lease {
    granted_ttl_s: i64,
    /// Set by a checkpoint with a positive remaining TTL, cleared by one with 0 (which is how
    /// etcd's leader undoes a checkpoint after a keep-alive renewed the lease to its full TTL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checkpointed_ttl_s: Option<i64>,
    /// Every existing key whose latest version names this lease.
    keys: BTreeSet<String>,
}

impl Lease {
    fn remaining_ttl_s(&self) -> i64 {
        self.checkpointed_ttl_s.unwrap_or(self.granted_ttl_s)
    }
}

/// Every granted lease, by ID. Invariant (kept by [`crate::Store`]): a key is in a lease's
/// `keys` exactly when the key exists and its latest version was put with that lease.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Leases {
    leases: BTreeMap<LeaseId, Lease>,
}

impl Leases {
    /// Whether no lease exists (then the store serializes without a lease table at all).
    pub(crate) fn is_empty(&self) -> bool {
        self.leases.is_empty()
    }

    /// Adds a lease with no keys, or refuses: ID 0, an ID in use (etcd's `ErrLeaseExists`),
    /// or a TTL outside `1..=MAX_LEASE_TTL_S`.
    pub(crate) fn grant(&mut self, id: LeaseId, ttl_s: i64) -> Result<(), KvError> {
        if id.0 == 0 {
            return Err(KvError::LeaseIdZero);
        }
        if !(1..=MAX_LEASE_TTL_S).contains(&ttl_s) {
            return Err(KvError::LeaseTtlOutOfRange { id, ttl_s });
        }
        if self.leases.contains_key(&id) {
            return Err(KvError::LeaseExists { id });
        }
        let lease = Lease {
            granted_ttl_s: ttl_s,
            checkpointed_ttl_s: None,
            keys: BTreeSet::new(),
        };
        self.leases.insert(id, lease);
        Ok(())
    }

    /// Refuses a write naming a lease that does not exist (etcd's `ErrLeaseNotFound`);
    /// a write naming no lease is always fine.
    pub(crate) fn require(&self, id: Option<LeaseId>) -> Result<(), KvError> {
        match id {
            Some(id) if !self.leases.contains_key(&id) => Err(KvError::LeaseNotFound { id }),
            _ => Ok(()),
        }
    }

    /// The keys attached to the lease, or `LeaseNotFound`.
    pub(crate) fn keys(&self, id: LeaseId) -> Result<&BTreeSet<String>, KvError> {
        self.leases
            .get(&id)
            .map(|lease| &lease.keys)
            .ok_or(KvError::LeaseNotFound { id })
    }

    /// Forgets a lease; its keys must already be gone.
    pub(crate) fn remove(&mut self, id: LeaseId) {
        let lease = self.leases.remove(&id);
        debug_assert!(lease.is_some_and(|lease| lease.keys.is_empty()));
    }

    /// Records a checkpoint of the lease's remaining TTL; 0 or less clears it, so the lease
    /// counts from its granted TTL again. A lease that no longer exists is ignored, as etcd's
    /// lessor does: a revoke may commit between the leader's checkpoint and its application.
    pub(crate) fn checkpoint(&mut self, id: LeaseId, remaining_ttl_s: i64) {
        if let Some(lease) = self.leases.get_mut(&id) {
            lease.checkpointed_ttl_s = (remaining_ttl_s > 0).then_some(remaining_ttl_s);
        }
    }

    /// Moves `key` from one lease to another, after a write changed which lease its latest
    /// version names (`None`: none, or the key no longer exists).
    pub(crate) fn reattach(&mut self, key: &str, from: Option<LeaseId>, to: Option<LeaseId>) {
        if let Some(from) = from.and_then(|id| self.leases.get_mut(&id)) {
            from.keys.remove(key);
        }
        if let Some(to) = to {
            let lease = self
                .leases
                .get_mut(&to)
                .expect("a write's lease is checked before anything is written");
            lease.keys.insert(key.to_owned());
        }
    }

    /// The lease's TTLs and keys, or `None` if it does not exist.
    pub(crate) fn info(&self, id: LeaseId) -> Option<LeaseInfo> {
        let lease = self.leases.get(&id)?;
        Some(LeaseInfo {
            id,
            granted_ttl_s: lease.granted_ttl_s,
            remaining_ttl_s: lease.remaining_ttl_s(),
            keys: lease.keys.iter().cloned().collect(),
        })
    }

    /// Every lease's TTLs, in ID order.
    pub(crate) fn ttls(&self) -> Vec<LeaseTtl> {
        self.leases
            .iter()
            .map(|(&id, lease)| LeaseTtl {
                id,
                granted_ttl_s: lease.granted_ttl_s,
                remaining_ttl_s: lease.remaining_ttl_s(),
            })
            .collect()
    }

    /// Every lease's ID, in order.
    pub(crate) fn ids(&self) -> Vec<LeaseId> {
        self.leases.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_ids_print_as_etcdctl_prints_them() {
        assert_eq!(
            LeaseId(0x694d_5765_fc71_500b).to_string(),
            "694d5765fc71500b"
        );
        assert_eq!(LeaseId(1).to_string(), "0000000000000001");
    }

    #[test]
    fn grant_refuses_id_zero_a_bad_ttl_and_an_id_in_use() {
        let mut leases = Leases::default();
        assert_eq!(leases.grant(LeaseId(0), 5), Err(KvError::LeaseIdZero));
        for ttl_s in [0, -1, MAX_LEASE_TTL_S + 1] {
            assert_eq!(
                leases.grant(LeaseId(1), ttl_s),
                Err(KvError::LeaseTtlOutOfRange {
                    id: LeaseId(1),
                    ttl_s
                })
            );
        }
        assert!(leases.is_empty());
        assert_eq!(leases.grant(LeaseId(1), MAX_LEASE_TTL_S), Ok(()));
        assert_eq!(
            leases.grant(LeaseId(1), 5),
            Err(KvError::LeaseExists { id: LeaseId(1) })
        );
        assert_eq!(leases.grant(LeaseId(-1), 1), Ok(()));
        assert_eq!(leases.ids(), vec![LeaseId(-1), LeaseId(1)]);
    }

    #[test]
    fn a_checkpoint_sets_the_remaining_ttl_and_zero_clears_it() {
        let mut leases = Leases::default();
        leases.grant(LeaseId(7), 60).unwrap();
        let ttl = |leases: &Leases| leases.ttls()[0].remaining_ttl_s;
        assert_eq!(ttl(&leases), 60);
        leases.checkpoint(LeaseId(7), 25);
        assert_eq!(ttl(&leases), 25);
        assert_eq!(leases.ttls()[0].granted_ttl_s, 60);
        leases.checkpoint(LeaseId(7), 0);
        assert_eq!(ttl(&leases), 60);
        let before = leases.clone();
        leases.checkpoint(LeaseId(8), 10);
        assert_eq!(
            leases, before,
            "a checkpoint of an unknown lease is ignored"
        );
    }

    #[test]
    fn reattach_moves_a_key_between_leases() {
        let mut leases = Leases::default();
        leases.grant(LeaseId(1), 5).unwrap();
        leases.grant(LeaseId(2), 5).unwrap();
        leases.reattach("k", None, Some(LeaseId(1)));
        assert_eq!(leases.info(LeaseId(1)).unwrap().keys, vec!["k"]);
        leases.reattach("k", Some(LeaseId(1)), Some(LeaseId(2)));
        assert!(leases.keys(LeaseId(1)).unwrap().is_empty());
        assert_eq!(leases.info(LeaseId(2)).unwrap().keys, vec!["k"]);
        leases.reattach("k", Some(LeaseId(2)), None);
        assert!(leases.keys(LeaseId(2)).unwrap().is_empty());
        assert_eq!(
            leases.keys(LeaseId(3)),
            Err(KvError::LeaseNotFound { id: LeaseId(3) })
        );
    }
}
