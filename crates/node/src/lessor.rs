//! The lessor: when leases expire, by this replica's local clock, as etcd's does.
//!
//! Lease grants, revokes and checkpoints are replicated state (`kv::Store`); expiry
//! deadlines are not. Only the leader (the "primary" lessor) keeps deadlines and expires
//! leases, by proposing a revoke through Raft when a deadline passes on its own clock.
//! On promotion a new leader counts every lease's deadline from now plus an extension
//! (etcd extends by the election timeout, so a lease is never expired early just because
//! leadership moved: the old leader may have renewed it a moment before it lost
//! leadership), from the lease's checkpointed remaining TTL. Keep-alives are answered only
//! by the primary, and renew a lease to its full granted TTL from now.
//!
//! Times are nanoseconds of the replica's local clock, given by the caller: the lessor
//! reads no clock itself, which keeps it deterministic and testable.

use kv::{LeaseId, LeaseTtl};
use std::collections::BTreeMap;

const NS_PER_S: u64 = 1_000_000_000;

/// In-memory lease deadlines of one replica.
#[derive(Debug)]
pub struct Lessor {
    /// Whether this replica leads: only then does it keep deadlines and expire leases.
    primary: bool,
    /// Each lease's granted TTL, in seconds, as applied.
    granted_ttl_s: BTreeMap<LeaseId, i64>,
    /// When each lease expires, in local ns (primary only).
    deadline_ns: BTreeMap<LeaseId, u64>,
    /// Leases whose revoke was proposed, and when: not offered again until
    /// `retry_after_ns` later (the proposal may be lost to a leader change).
    revoking_since_ns: BTreeMap<LeaseId, u64>,
    /// How long a proposed revoke may take to apply before it is proposed again.
    revoke_retry_ns: u64,
}

impl Lessor {
    /// A lessor that proposes a revoke again when the last one has not applied within
    /// `revoke_retry_ns`. The replica uses its election timeout: a revoke lost to a leader
    /// change is then retried within a timeout of the new leader's promotion, which is
    /// what bounds how late a lapsed lease may end.
    pub fn new(revoke_retry_ns: u64) -> Lessor {
        Lessor {
            primary: false,
            granted_ttl_s: BTreeMap::new(),
            deadline_ns: BTreeMap::new(),
            revoking_since_ns: BTreeMap::new(),
            revoke_retry_ns,
        }
    }

    /// This replica became leader at `now_ns`: every lease expires at now + `extend_ns` +
    /// its remaining TTL (the checkpointed one, or the granted one).
    pub fn promote(&mut self, now_ns: u64, extend_ns: u64, leases: &[LeaseTtl]) {
        self.primary = true;
        self.revoking_since_ns.clear();
        self.deadline_ns = leases
            .iter()
            .map(|lease| {
                let remaining_ns = seconds_ns(lease.remaining_ttl_s);
                (lease.id, now_ns + extend_ns + remaining_ns)
            })
            .collect();
        self.granted_ttl_s = leases
            .iter()
            .map(|lease| (lease.id, lease.granted_ttl_s))
            .collect();
    }

    /// This replica no longer leads: it forgets deadlines and answers no keep-alive.
    pub fn demote(&mut self) {
        self.primary = false;
        self.deadline_ns.clear();
        self.revoking_since_ns.clear();
    }

    pub fn is_primary(&self) -> bool {
        self.primary
    }

    /// A grant was applied at `now_ns`.
    pub fn granted(&mut self, id: LeaseId, ttl_s: i64, now_ns: u64) {
        self.granted_ttl_s.insert(id, ttl_s);
        if self.primary {
            self.deadline_ns.insert(id, now_ns + seconds_ns(ttl_s));
        }
    }

    /// A revoke (by a client or by expiry) was applied: the lease is gone.
    pub fn revoked(&mut self, id: LeaseId) {
        self.granted_ttl_s.remove(&id);
        self.deadline_ns.remove(&id);
        self.revoking_since_ns.remove(&id);
    }

    /// Renews a lease to its granted TTL from `now_ns`; the TTL, or `None` if this replica
    /// is not the primary or does not know the lease (the client must ask the leader).
    /// A lease already past its deadline is not renewed, even before its revoke applied:
    /// its holder must not be told it still holds what the cluster is about to revoke.
    pub fn keep_alive(&mut self, id: LeaseId, now_ns: u64) -> Option<i64> {
        if !self.primary {
            return None;
        }
        let ttl_s = *self.granted_ttl_s.get(&id)?;
        if self
            .deadline_ns
            .get(&id)
            .is_some_and(|&deadline_ns| deadline_ns <= now_ns)
        {
            return None;
        }
        self.deadline_ns.insert(id, now_ns + seconds_ns(ttl_s));
        Some(ttl_s)
    }

    /// The leases past their deadline at `now_ns` whose revoke should be proposed now: not
    /// already proposed within the retry interval. Empty unless primary.
    pub fn expired(&mut self, now_ns: u64) -> Vec<LeaseId> {
        if !self.primary {
            return Vec::new();
        }
        let due: Vec<LeaseId> = self
            .deadline_ns
            .iter()
            .filter(|(_, &deadline_ns)| deadline_ns <= now_ns)
            .map(|(&id, _)| id)
            .filter(|id| {
                self.revoking_since_ns
                    .get(id)
                    .is_none_or(|&since_ns| now_ns >= since_ns + self.revoke_retry_ns)
            })
            .collect();
        for &id in &due {
            self.revoking_since_ns.insert(id, now_ns);
        }
        due
    }

    /// Every live lease's remaining TTL at `now_ns`, in whole seconds rounded up and at
    /// most its granted TTL, for the primary to checkpoint: a new leader then starts from (at least) what was left,
    /// not from the full TTL. Empty unless primary.
    pub fn checkpoints(&self, now_ns: u64) -> Vec<(LeaseId, i64)> {
        self.deadline_ns
            .iter()
            .filter(|(id, _)| !self.revoking_since_ns.contains_key(id))
            .map(|(&id, &deadline_ns)| {
                let remaining_ns = deadline_ns.saturating_sub(now_ns);
                let remaining_s = remaining_ns.div_ceil(NS_PER_S) as i64;
                // Never more than the granted TTL: the promotion extension (and rounding
                // up) must not be persisted, or every leader change would add another
                // election timeout to the lease's life for good.
                let granted_ttl_s = self.granted_ttl_s.get(&id).copied().unwrap_or(remaining_s);
                (id, remaining_s.min(granted_ttl_s))
            })
            .filter(|&(_, remaining_s)| remaining_s > 0)
            .collect()
    }

    /// How long the lease has left at `now_ns`, by this primary's deadline.
    pub fn remaining_ns(&self, id: LeaseId, now_ns: u64) -> Option<u64> {
        self.deadline_ns
            .get(&id)
            .map(|&deadline_ns| deadline_ns.saturating_sub(now_ns))
    }
}

fn seconds_ns(seconds: i64) -> u64 {
    u64::try_from(seconds).unwrap_or(0) * NS_PER_S
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = NS_PER_S;
    const REVOKE_RETRY_NS: u64 = S;

    fn lease(id: i64, granted_ttl_s: i64, remaining_ttl_s: i64) -> LeaseTtl {
        LeaseTtl {
            id: LeaseId(id),
            granted_ttl_s,
            remaining_ttl_s,
        }
    }

    #[test]
    fn a_follower_neither_expires_nor_renews() {
        let mut lessor = Lessor::new(REVOKE_RETRY_NS);
        lessor.granted(LeaseId(1), 2, 0);
        assert_eq!(lessor.expired(100 * S), Vec::new());
        assert_eq!(lessor.keep_alive(LeaseId(1), 0), None);
    }

    #[test]
    fn a_new_leader_extends_every_deadline_by_the_election_timeout() {
        let mut lessor = Lessor::new(REVOKE_RETRY_NS);
        // Lease 1 granted 2 s; lease 2 checkpointed with 1 s left of 10.
        lessor.promote(5 * S, S, &[lease(1, 2, 2), lease(2, 10, 1)]);
        assert_eq!(lessor.remaining_ns(LeaseId(1), 5 * S), Some(3 * S));
        assert_eq!(lessor.remaining_ns(LeaseId(2), 5 * S), Some(2 * S));
        assert_eq!(lessor.expired(7 * S - 1), Vec::new());
        assert_eq!(lessor.expired(7 * S), vec![LeaseId(2)]);
        assert_eq!(
            lessor.expired(7 * S + S / 2),
            Vec::new(),
            "2 is being revoked"
        );
        // 1 is due; 2's revoke has not applied in a second: it is proposed again.
        assert_eq!(lessor.expired(8 * S), vec![LeaseId(1), LeaseId(2)]);
    }

    #[test]
    fn a_keep_alive_renews_to_the_granted_ttl_from_now() {
        let mut lessor = Lessor::new(REVOKE_RETRY_NS);
        lessor.promote(0, 0, &[]);
        lessor.granted(LeaseId(7), 2, 0);
        assert_eq!(lessor.keep_alive(LeaseId(7), S + S / 2), Some(2));
        assert_eq!(lessor.expired(3 * S), Vec::new());
        assert_eq!(lessor.expired(3 * S + S / 2), vec![LeaseId(7)]);
        assert_eq!(lessor.keep_alive(LeaseId(8), 0), None, "unknown lease");
    }

    #[test]
    fn a_lease_past_its_deadline_is_not_renewed_while_its_revoke_is_pending() {
        let mut lessor = Lessor::new(REVOKE_RETRY_NS);
        lessor.promote(0, 0, &[lease(1, 2, 2)]);
        assert_eq!(lessor.keep_alive(LeaseId(1), 2 * S), None);
        assert_eq!(lessor.keep_alive(LeaseId(1), 2 * S - 1), Some(2));
    }

    #[test]
    fn checkpoints_round_the_remaining_time_up_and_skip_leases_being_revoked() {
        let mut lessor = Lessor::new(REVOKE_RETRY_NS);
        lessor.promote(0, 0, &[lease(1, 10, 10), lease(2, 1, 1)]);
        assert_eq!(lessor.expired(S), vec![LeaseId(2)]);
        assert_eq!(lessor.checkpoints(S + 1), vec![(LeaseId(1), 9)]);
        assert_eq!(lessor.checkpoints(S - 1), vec![(LeaseId(1), 10)]);
        lessor.demote();
        assert_eq!(lessor.checkpoints(S), Vec::new());
    }

    #[test]
    fn a_checkpoint_never_records_more_than_the_granted_ttl() {
        let mut lessor = Lessor::new(REVOKE_RETRY_NS);
        // Promoted with a 1 s extension: 3 s left of a 2 s lease.
        lessor.promote(0, S, &[lease(1, 2, 2)]);
        assert_eq!(lessor.checkpoints(0), vec![(LeaseId(1), 2)]);
    }

    #[test]
    fn a_revoke_lost_to_a_leader_change_is_proposed_again_and_an_applied_one_never() {
        let mut lessor = Lessor::new(REVOKE_RETRY_NS);
        lessor.promote(0, 0, &[lease(1, 1, 1)]);
        assert_eq!(lessor.expired(S), vec![LeaseId(1)]);
        assert_eq!(lessor.expired(S + REVOKE_RETRY_NS - 1), Vec::new());
        assert_eq!(lessor.expired(S + REVOKE_RETRY_NS), vec![LeaseId(1)]);
        lessor.revoked(LeaseId(1));
        assert_eq!(lessor.expired(10 * S), Vec::new());
        lessor.demote();
        assert!(!lessor.is_primary());
    }
}
