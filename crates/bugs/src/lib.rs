//! The bug zoo: real failures of etcd, its Raft library and its client recipes, each
//! plantable in lockstep's own implementation by name (`--bug NAME`, `bugs = ["NAME"]`),
//! so that a check can be shown to catch it while the correct code passes the very same
//! seeds.
//!
//! The correct path is always the default. A planted variant is a small branch next to
//! the code it corrupts, asking [`Bugs::has`]; the set is threaded explicitly (into each
//! replica's config and each client), never global, so one process can run a buggy and a
//! correct cluster side by side.

use std::collections::BTreeSet;
use std::fmt;

/// One plantable bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// A lock waiter whose lease expired while it waited is still granted the lock: the
    /// recipe does not re-read its own key after the wait.
    LockNoRecheck,
    /// A leader stuck in its Raft loop keeps answering keep-alives from its front end,
    /// while a new leader expires the lease.
    LessorStalePrimary,
    /// A new leader does not extend leases by the election timeout on promotion.
    PromoteNoExtend,
    /// Unlock deletes the session's lock key by name, not guarded on its create revision:
    /// a retried unlock deletes a newer lock of the same session.
    UnlockByName,
    /// The client counts its lease's life from when a keep-alive's answer arrived, not
    /// from when it was sent.
    ClientDeadlineFromReceipt,
    /// The leader serves reads from its own applied state at once, without ReadIndex: a
    /// deposed leader answers stale reads.
    LeaderLocalRead,
    /// The leader answers ReadIndex from its lease (raft-rs `ReadOnlyOption::LeaseBased`),
    /// its belief that a quorum heard it within an election timeout of its own clock: a
    /// leader whose clock runs slow, or that was paused, still believes it after the others
    /// elected a new leader.
    LeaseReadUnderSkew,
    /// A new leader serves reads before it committed an entry of its own term, at its
    /// commit index, which may lag what the previous leader acknowledged.
    ReadIndexNoTermCheck,
    /// A single-node cluster applies and acknowledges a write before its fsync completes: a
    /// crash right after the acknowledgement loses it.
    AckBeforeFsync,
    /// After a restart or a snapshot install, the store's revision is recounted from the
    /// highest mod revision of its keys instead of taken from the snapshot: revisions that
    /// deletes consumed after the last put are handed out again.
    RevisionFromMaxKey,
    /// A crashed replica restarts with a wiped disk, as at its first boot, under its old
    /// id: it forgets its vote and its log, so it may vote twice in a term or help elect a
    /// leader that lacks acknowledged writes.
    WipedDiskRejoin,
    /// A replica sends its vote before the hard state that records it is synced: a crash
    /// in between forgets the vote, and the replica may vote again in the same term.
    SendBeforePersist,
    /// Raft runs without PreVote and without CheckQuorum: under a partial partition a node
    /// cut off from the leader keeps campaigning in ever higher terms, and the node that
    /// sees both sides deposes every leader in turn.
    NoPrevoteNoCheckquorum,
}

impl Bug {
    /// Every bug, in the order `lockstep bugs` lists them.
    pub const ALL: [Bug; 13] = [
        Bug::LockNoRecheck,
        Bug::LessorStalePrimary,
        Bug::PromoteNoExtend,
        Bug::UnlockByName,
        Bug::ClientDeadlineFromReceipt,
        Bug::LeaderLocalRead,
        Bug::LeaseReadUnderSkew,
        Bug::ReadIndexNoTermCheck,
        Bug::AckBeforeFsync,
        Bug::RevisionFromMaxKey,
        Bug::WipedDiskRejoin,
        Bug::SendBeforePersist,
        Bug::NoPrevoteNoCheckquorum,
    ];

    /// The name a scenario file and `--bug` use.
    pub fn name(self) -> &'static str {
        match self {
            Bug::LockNoRecheck => "lock-no-recheck",
            Bug::LessorStalePrimary => "lessor-stale-primary",
            Bug::PromoteNoExtend => "promote-no-extend",
            Bug::UnlockByName => "unlock-by-name",
            Bug::ClientDeadlineFromReceipt => "client-deadline-from-receipt",
            Bug::LeaderLocalRead => "leader-local-read",
            Bug::LeaseReadUnderSkew => "lease-read-under-skew",
            Bug::ReadIndexNoTermCheck => "readindex-no-term-check",
            Bug::AckBeforeFsync => "ack-before-fsync",
            Bug::RevisionFromMaxKey => "revision-from-max-key",
            Bug::WipedDiskRejoin => "wiped-disk-rejoin",
            Bug::SendBeforePersist => "send-before-persist",
            Bug::NoPrevoteNoCheckquorum => "no-prevote-no-checkquorum",
        }
    }

    pub fn from_name(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|bug| bug.name() == name)
    }

    /// What goes wrong, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Bug::LockNoRecheck => {
                "a lock waiter whose lease expired while it waited is still granted the lock"
            }
            Bug::LessorStalePrimary => {
                "a stuck old leader keeps answering keep-alives while the new leader expires the lease"
            }
            Bug::PromoteNoExtend => {
                "a new leader does not extend leases on promotion; a lease expires before its last renewal + TTL"
            }
            Bug::UnlockByName => {
                "a retried unlock deletes a newer lock key of the same session; another client acquires"
            }
            Bug::ClientDeadlineFromReceipt => {
                "the client counts its lease from a keep-alive's answer, not its send; it acts on a lease already revoked"
            }
            Bug::LeaderLocalRead => {
                "the leader serves reads from its own state without ReadIndex; a deposed leader answers stale reads"
            }
            Bug::LeaseReadUnderSkew => {
                "the leader serves reads on its lease; with a slow clock or after a pause it still believes it leads, and answers stale reads"
            }
            Bug::ReadIndexNoTermCheck => {
                "a new leader serves reads at its commit index before committing in its term; the index may lag an acknowledged write"
            }
            Bug::AckBeforeFsync => {
                "a single-node cluster acknowledges a write before its fsync; a crash right after loses the acknowledged write"
            }
            Bug::RevisionFromMaxKey => {
                "a restarted replica recounts its revision from its highest live key; revisions of deletes after the last put are reused"
            }
            Bug::WipedDiskRejoin => {
                "a member restarts with an empty disk under its old id; it forgets its vote and log, and a leader without acknowledged writes can be elected"
            }
            Bug::SendBeforePersist => {
                "a vote is sent before the hard state recording it is synced; a crash forgets it, and the replica votes twice in one term"
            }
            Bug::NoPrevoteNoCheckquorum => {
                "Raft without PreVote and CheckQuorum; under a partial partition elections never end and the cluster stops serving"
            }
        }
    }

    /// The shipped scenario (a path from the repository's root) on which a hunt finds the
    /// bug while the correct implementation passes it.
    pub fn detection_scenario(self) -> &'static str {
        match self {
            Bug::LockNoRecheck => "scenarios/bugs/lock-no-recheck.toml",
            Bug::LessorStalePrimary => "scenarios/lease-leader-change.toml",
            Bug::PromoteNoExtend => "scenarios/bugs/promote-no-extend.toml",
            Bug::UnlockByName => "scenarios/bugs/unlock-by-name.toml",
            Bug::ClientDeadlineFromReceipt => "scenarios/lease-skew.toml",
            Bug::LeaderLocalRead => "scenarios/partitions.toml",
            Bug::LeaseReadUnderSkew => "scenarios/bugs/lease-read-under-skew.toml",
            Bug::ReadIndexNoTermCheck => "scenarios/bugs/readindex-no-term-check.toml",
            Bug::AckBeforeFsync => "scenarios/bugs/ack-before-fsync.toml",
            Bug::RevisionFromMaxKey => "scenarios/bugs/revision-from-max-key.toml",
            Bug::WipedDiskRejoin => "scenarios/bugs/wiped-disk-rejoin.toml",
            Bug::SendBeforePersist => "scenarios/bugs/send-before-persist.toml",
            Bug::NoPrevoteNoCheckquorum => "scenarios/bugs/no-prevote-no-checkquorum.toml",
        }
    }

    /// Where the bug was reported or fixed.
    pub fn source(self) -> &'static str {
        match self {
            Bug::LockNoRecheck => "etcd #11456 (Jepsen), fixed by etcd PR #11408",
            Bug::LessorStalePrimary => "etcd #15247 and #12528, fixed by etcd PR #16822",
            Bug::PromoteNoExtend => "etcd PR #4778 (lessor.Promote(electionTimeout))",
            Bug::UnlockByName => "etcd #22082",
            Bug::ClientDeadlineFromReceipt => {
                "clientv3's keep-alive loop sets its deadline from the response's arrival"
            }
            Bug::LeaderLocalRead => "etcd #741; Raft paper (Ongaro and Ousterhout), section 8",
            Bug::LeaseReadUnderSkew => {
                "raft-rs ReadOnlyOption::LeaseBased (\"affected by clock drift\"); Raft thesis (Ongaro), section 6.4.1"
            }
            Bug::ReadIndexNoTermCheck => "etcd #7331",
            Bug::AckBeforeFsync => "etcd #14370",
            Bug::RevisionFromMaxKey => "etcd #17780, fixed by etcd PR #17815",
            Bug::SendBeforePersist => "raft-rs #128, etcd PR #7317",
            Bug::WipedDiskRejoin => {
                "etcd #5857 (a lost data dir is a lost member); Raft thesis (Ongaro), section 3.8: term, vote and log outlive restarts"
            }
            Bug::NoPrevoteNoCheckquorum => "Cloudflare's outage of 2020-11-02; etcd #8499",
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The bugs planted in a run; empty: the correct implementation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bugs(BTreeSet<Bug>);

impl Bugs {
    /// No bug: the correct implementation.
    pub fn none() -> Bugs {
        Bugs::default()
    }

    pub fn has(&self, bug: Bug) -> bool {
        self.0.contains(&bug)
    }

    pub fn insert(&mut self, bug: Bug) {
        self.0.insert(bug);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The planted bugs, in [`Bug`] order.
    pub fn iter(&self) -> impl Iterator<Item = Bug> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Bug> for Bugs {
    fn from_iter<I: IntoIterator<Item = Bug>>(bugs: I) -> Bugs {
        Bugs(bugs.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bug_has_a_distinct_name_that_reads_back() {
        let names: BTreeSet<&str> = Bug::ALL.iter().map(|bug| bug.name()).collect();
        assert_eq!(names.len(), Bug::ALL.len());
        for bug in Bug::ALL {
            assert_eq!(Bug::from_name(bug.name()), Some(bug));
            assert!(!bug.description().is_empty() && !bug.source().is_empty());
        }
        assert_eq!(Bug::from_name("no-such-bug"), None);
    }

    #[test]
    fn a_set_says_which_bugs_it_holds() {
        let bugs: Bugs = [Bug::UnlockByName].into_iter().collect();
        assert!(bugs.has(Bug::UnlockByName));
        assert!(!bugs.has(Bug::LockNoRecheck));
        assert!(Bugs::none().is_empty());
    }
}
