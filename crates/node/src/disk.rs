//! The simulated disk: writes are durable only once synced.
//!
//! A replica writes its log, hard state and snapshots here. Writes queue up until
//! [`SimDisk::sync`]; a crash ([`SimDisk::crash`]) throws away every write not yet synced,
//! exactly like a power loss before fsync. The disk lives outside the replica's process
//! (the simulator holds it), so it survives the crash and the restarted replica recovers
//! from [`SimDisk::durable`].
//!
//! Two faults of the nemesis act through the disk, as it is what the simulator holds of a
//! replica across restarts: a slow disk ([`SimDisk::set_slow_fsync`]) and a crash armed at
//! a step of the Ready loop ([`SimDisk::crash_trap`]).

use crate::{CrashTrap, LogStorage};
use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One change to a replica's persistent state.
#[derive(Clone, Debug)]
pub enum DiskWrite {
    /// Append entries, replacing any existing entries from the first new index on.
    Entries(Vec<Entry>),
    HardState(HardState),
    ConfState(ConfState),
    /// Keep a snapshot this replica took of its own state (the log stays).
    SaveSnapshot(Snapshot),
    /// Install a snapshot received from the leader (the log is replaced by it).
    InstallSnapshot(Snapshot),
    /// Drop log entries up to and including this index.
    Compact(u64),
}

#[derive(Debug)]
struct DiskState {
    durable: LogStorage,
    /// What the disk held when the replica first booted from it.
    first_boot: LogStorage,
    unsynced: Vec<DiskWrite>,
    syncs: u64,
    writes_lost: u64,
    /// What every fsync takes while the disk is slow, instead of the configured time.
    slow_fsync: Option<Duration>,
}

/// A replica's disk, shared between the simulator (which crashes it) and the replica.
#[derive(Clone, Debug)]
pub struct SimDisk {
    state: Arc<Mutex<DiskState>>,
    trap: CrashTrap,
}

impl SimDisk {
    /// A disk holding a freshly bootstrapped member of a cluster of `voters`.
    pub fn bootstrap(voters: &[u64]) -> SimDisk {
        SimDisk::holding(LogStorage::bootstrap(voters))
    }

    /// An empty disk, for a node about to be added to a running cluster.
    pub fn joining() -> SimDisk {
        SimDisk::holding(LogStorage::joining())
    }

    fn holding(durable: LogStorage) -> SimDisk {
        SimDisk {
            state: Arc::new(Mutex::new(DiskState {
                first_boot: durable.clone(),
                durable,
                unsynced: Vec::new(),
                syncs: 0,
                writes_lost: 0,
                slow_fsync: None,
            })),
            trap: CrashTrap::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DiskState> {
        self.state.lock().expect("disk lock is never poisoned")
    }

    /// Queues a write; it is lost if the process crashes before the next sync.
    pub fn write(&self, write: DiskWrite) {
        self.lock().unsynced.push(write);
    }

    /// Whether any write waits for a sync.
    pub fn has_unsynced_writes(&self) -> bool {
        !self.lock().unsynced.is_empty()
    }

    /// Makes every queued write durable. The caller models fsync latency by waiting
    /// before calling this.
    pub fn sync(&self) {
        let mut state = self.lock();
        let writes = std::mem::take(&mut state.unsynced);
        for write in &writes {
            state.durable.apply(write);
        }
        state.syncs += 1;
    }

    /// The process died: every write not yet synced is gone.
    pub fn crash(&self) {
        let mut state = self.lock();
        state.writes_lost += state.unsynced.len() as u64;
        state.unsynced.clear();
    }

    /// Wipes the disk back to what it held at the replica's first boot: its term, vote
    /// and log are gone. Only the planted bug `wiped-disk-rejoin` calls this.
    pub fn wipe(&self) {
        let mut state = self.lock();
        state.durable = state.first_boot.clone();
        state.unsynced.clear();
    }

    /// What a restarting replica finds on the disk.
    pub fn durable(&self) -> LogStorage {
        self.lock().durable.clone()
    }

    /// Writes that were queued but lost to crashes, over the disk's life.
    pub fn writes_lost(&self) -> u64 {
        self.lock().writes_lost
    }

    /// Makes every fsync take `latency` (a slow disk), or, with `None`, the configured
    /// time again.
    pub fn set_slow_fsync(&self, latency: Option<Duration>) {
        self.lock().slow_fsync = latency;
    }

    /// What every fsync takes while the disk is slow (`None`: the configured time).
    pub fn slow_fsync(&self) -> Option<Duration> {
        self.lock().slow_fsync
    }

    /// The crash the nemesis may have armed at a step of the replica's Ready loop.
    pub fn crash_trap(&self) -> &CrashTrap {
        &self.trap
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft::Storage;

    fn hard_state(term: u64) -> HardState {
        HardState {
            term,
            ..HardState::default()
        }
    }

    #[test]
    fn synced_writes_survive_a_crash() {
        let disk = SimDisk::bootstrap(&[1, 2, 3]);
        disk.write(DiskWrite::HardState(hard_state(4)));
        disk.sync();
        disk.crash();
        assert_eq!(disk.durable().hard_state().term, 4);
    }

    #[test]
    fn unsynced_writes_are_lost_in_a_crash() {
        let disk = SimDisk::bootstrap(&[1, 2, 3]);
        disk.write(DiskWrite::HardState(hard_state(4)));
        disk.sync();
        // The bootstrapped log holds one entry per founding voter.
        let entry = Entry {
            index: 4,
            term: 5,
            ..Entry::default()
        };
        disk.write(DiskWrite::Entries(vec![entry]));
        disk.write(DiskWrite::HardState(hard_state(5)));
        disk.crash();
        let durable = disk.durable();
        assert_eq!(durable.hard_state().term, 4);
        assert_eq!(durable.last_index().unwrap(), 3);
        assert_eq!(disk.writes_lost(), 2);
    }

    #[test]
    fn a_wiped_disk_holds_what_it_held_at_first_boot() {
        let disk = SimDisk::bootstrap(&[1, 2, 3]);
        disk.write(DiskWrite::HardState(hard_state(4)));
        disk.sync();
        disk.wipe();
        let durable = disk.durable();
        assert_eq!(durable.hard_state().term, 1);
        assert_eq!(durable.last_index().unwrap(), 3);
    }

    #[test]
    fn a_bootstrapped_disk_knows_its_voters() {
        let disk = SimDisk::bootstrap(&[1, 2, 3]);
        let state = disk.durable().initial_state().unwrap();
        assert_eq!(state.conf_state.voters, vec![1, 2, 3]);
    }
}
