//! The simulated disk: writes are durable only once synced.
//!
//! A replica writes its log, hard state and snapshots here. Writes queue up until
//! [`SimDisk::sync`]; a crash ([`SimDisk::crash`]) throws away every write not yet synced,
//! exactly like a power loss before fsync. The disk lives outside the replica's process
//! (the simulator holds it), so it survives the crash and the restarted replica recovers
//! from [`SimDisk::durable`].

use crate::LogStorage;
use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use std::sync::{Arc, Mutex};

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
    unsynced: Vec<DiskWrite>,
    syncs: u64,
    writes_lost: u64,
}

/// A replica's disk, shared between the simulator (which crashes it) and the replica.
#[derive(Clone, Debug)]
pub struct SimDisk {
    state: Arc<Mutex<DiskState>>,
}

impl SimDisk {
    /// A disk holding a freshly bootstrapped member of a cluster of `voters`.
    pub fn bootstrap(voters: &[u64]) -> SimDisk {
        SimDisk {
            state: Arc::new(Mutex::new(DiskState {
                durable: LogStorage::bootstrap(voters),
                unsynced: Vec::new(),
                syncs: 0,
                writes_lost: 0,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DiskState> {
        self.state.lock().expect("disk lock is never poisoned")
    }

    /// Queues a write; it is lost if the process crashes before the next sync.
    pub fn write(&self, write: DiskWrite) {
        self.lock().unsynced.push(write);
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

    /// What a restarting replica finds on the disk.
    pub fn durable(&self) -> LogStorage {
        self.lock().durable.clone()
    }

    /// Writes that were queued but lost to crashes, over the disk's life.
    pub fn writes_lost(&self) -> u64 {
        self.lock().writes_lost
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
        let entry = Entry {
            index: 1,
            term: 5,
            ..Entry::default()
        };
        disk.write(DiskWrite::Entries(vec![entry]));
        disk.write(DiskWrite::HardState(hard_state(5)));
        disk.crash();
        let durable = disk.durable();
        assert_eq!(durable.hard_state().term, 4);
        assert_eq!(durable.last_index().unwrap(), 0);
        assert_eq!(disk.writes_lost(), 2);
    }

    #[test]
    fn a_bootstrapped_disk_knows_its_voters() {
        let disk = SimDisk::bootstrap(&[1, 2, 3]);
        let state = disk.durable().initial_state().unwrap();
        assert_eq!(state.conf_state.voters, vec![1, 2, 3]);
    }
}
