//! A replica's Raft log and metadata, as raft-rs' [`Storage`] sees it.
//!
//! The same structure is both the replica's in-memory view (what raft-rs reads) and the
//! durable image on its [`SimDisk`](crate::SimDisk): every change is a [`DiskWrite`]
//! applied to the memory view at once and to the disk image when the disk syncs.

use crate::DiskWrite;
use protobuf::Message as _;
use raft::eraftpb::{ConfChange, ConfChangeType, ConfState, Entry, EntryType, HardState, Snapshot};
use raft::{GetEntriesContext, RaftState, Storage, StorageError};

/// Hard state, configuration, latest snapshot and the log entries after the compaction
/// point.
#[derive(Clone, Debug, Default)]
pub struct LogStorage {
    hard_state: HardState,
    conf_state: ConfState,
    /// The latest snapshot, data included (served to followers that fell behind).
    snapshot: Snapshot,
    /// Index and term of the last entry removed by compaction (or covered by the
    /// snapshot): `entries` start right after it.
    truncated_index: u64,
    truncated_term: u64,
    entries: Vec<Entry>,
}

impl LogStorage {
    /// A fresh member of a new cluster whose voters are `voters`.
    ///
    /// As etcd does, the log starts with one committed configuration change adding each
    /// voter, so that a member added later, which starts from an empty log, learns the
    /// founding members by replaying the log (or from a snapshot, if it was compacted).
    pub fn bootstrap(voters: &[u64]) -> LogStorage {
        let conf_state = ConfState {
            voters: voters.to_vec(),
            ..ConfState::default()
        };
        let entries: Vec<Entry> = voters
            .iter()
            .zip(1..)
            .map(|(&node_id, index)| {
                let change = ConfChange {
                    change_type: ConfChangeType::AddNode,
                    node_id,
                    ..ConfChange::default()
                };
                Entry {
                    entry_type: EntryType::EntryConfChange,
                    term: 1,
                    index,
                    data: change
                        .write_to_bytes()
                        .expect("a conf change encodes")
                        .into(),
                    ..Entry::default()
                }
            })
            .collect();
        let mut storage = LogStorage {
            conf_state: conf_state.clone(),
            hard_state: HardState {
                term: 1,
                commit: entries.len() as u64,
                ..HardState::default()
            },
            entries,
            ..LogStorage::default()
        };
        storage.snapshot.mut_metadata().set_conf_state(conf_state);
        storage
    }

    /// A member about to join an existing cluster: nothing at all, not even the voters,
    /// which it learns from the leader.
    pub fn joining() -> LogStorage {
        LogStorage::default()
    }

    pub fn hard_state(&self) -> &HardState {
        &self.hard_state
    }

    /// The latest snapshot (empty data before the first one).
    pub fn latest_snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    pub fn conf_state(&self) -> &ConfState {
        &self.conf_state
    }

    /// Number of log entries held (a measure of memory use).
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    fn first(&self) -> u64 {
        self.truncated_index + 1
    }

    fn last(&self) -> u64 {
        self.entries
            .last()
            .map_or(self.truncated_index, |e| e.index)
    }

    /// Applies one write. The write is trusted to be well formed (the driver makes them).
    pub fn apply(&mut self, write: &DiskWrite) {
        match write {
            DiskWrite::Entries(entries) => {
                let Some(first_new) = entries.first().map(|e| e.index) else {
                    return;
                };
                assert!(
                    first_new > self.truncated_index && first_new <= self.last() + 1,
                    "append at {first_new} to a log holding ({}, {}]",
                    self.truncated_index,
                    self.last()
                );
                // Entries from `first_new` on are replaced: a new leader overwrote them.
                self.entries.truncate((first_new - self.first()) as usize);
                self.entries.extend_from_slice(entries);
            }
            DiskWrite::HardState(hard_state) => self.hard_state = hard_state.clone(),
            DiskWrite::ConfState(conf_state) => self.conf_state = conf_state.clone(),
            DiskWrite::SaveSnapshot(snapshot) => {
                if snapshot.get_metadata().index > self.snapshot.get_metadata().index {
                    self.snapshot = snapshot.clone();
                }
            }
            DiskWrite::InstallSnapshot(snapshot) => {
                let meta = snapshot.get_metadata();
                self.snapshot = snapshot.clone();
                self.truncated_index = meta.index;
                self.truncated_term = meta.term;
                self.entries.clear();
                self.conf_state = meta.get_conf_state().clone();
                self.hard_state.term = self.hard_state.term.max(meta.term);
                self.hard_state.commit = self.hard_state.commit.max(meta.index);
            }
            DiskWrite::Compact(index) => {
                if *index <= self.truncated_index || *index > self.last() {
                    return;
                }
                let term = self.term(*index).expect("index is in the log");
                self.entries
                    .drain(..(*index - self.truncated_index) as usize);
                self.truncated_index = *index;
                self.truncated_term = term;
            }
        }
    }
}

impl Storage for LogStorage {
    fn initial_state(&self) -> raft::Result<RaftState> {
        Ok(RaftState::new(
            self.hard_state.clone(),
            self.conf_state.clone(),
        ))
    }

    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        _context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        if low <= self.truncated_index {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        if high > self.last() + 1 {
            return Err(raft::Error::Store(StorageError::Unavailable));
        }
        let offset = self.first();
        let mut entries = self.entries[(low - offset) as usize..(high - offset) as usize].to_vec();
        raft::util::limit_size(&mut entries, max_size.into());
        Ok(entries)
    }

    fn term(&self, index: u64) -> raft::Result<u64> {
        if index == self.truncated_index {
            return Ok(self.truncated_term);
        }
        if index < self.truncated_index {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        if index > self.last() {
            return Err(raft::Error::Store(StorageError::Unavailable));
        }
        Ok(self.entries[(index - self.first()) as usize].term)
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(self.first())
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(self.last())
    }

    fn snapshot(&self, request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        if self.snapshot.get_metadata().index < request_index {
            return Err(raft::Error::Store(
                StorageError::SnapshotTemporarilyUnavailable,
            ));
        }
        Ok(self.snapshot.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u64, term: u64) -> Entry {
        Entry {
            index,
            term,
            ..Entry::default()
        }
    }

    fn log(entries: &[(u64, u64)]) -> LogStorage {
        let mut storage = LogStorage::bootstrap(&[1, 2, 3]);
        let entries: Vec<Entry> = entries.iter().map(|&(i, t)| entry(i, t)).collect();
        storage.apply(&DiskWrite::Entries(entries));
        storage
    }

    #[test]
    fn append_overwrites_a_conflicting_suffix() {
        let mut storage = log(&[(1, 1), (2, 1), (3, 1)]);
        storage.apply(&DiskWrite::Entries(vec![entry(2, 2)]));
        assert_eq!(storage.last_index().unwrap(), 2);
        assert_eq!(storage.term(2).unwrap(), 2);
        assert_eq!(storage.term(1).unwrap(), 1);
    }

    #[test]
    fn compaction_keeps_the_term_of_the_truncation_point() {
        let mut storage = log(&[(1, 1), (2, 1), (3, 2), (4, 2)]);
        storage.apply(&DiskWrite::Compact(3));
        assert_eq!(storage.first_index().unwrap(), 4);
        assert_eq!(storage.term(3).unwrap(), 2);
        assert_eq!(
            storage.term(2),
            Err(raft::Error::Store(StorageError::Compacted))
        );
        let context = GetEntriesContext::empty(false);
        assert!(storage.entries(3, 5, None, context).is_err());
        let context = GetEntriesContext::empty(false);
        assert_eq!(storage.entries(4, 5, None, context).unwrap().len(), 1);
    }

    #[test]
    fn installing_a_snapshot_replaces_the_log() {
        let mut storage = log(&[(1, 1), (2, 1)]);
        let mut snapshot = Snapshot::default();
        snapshot.mut_metadata().index = 10;
        snapshot.mut_metadata().term = 3;
        storage.apply(&DiskWrite::InstallSnapshot(snapshot));
        assert_eq!(storage.first_index().unwrap(), 11);
        assert_eq!(storage.last_index().unwrap(), 10);
        assert_eq!(storage.term(10).unwrap(), 3);
        assert_eq!(storage.hard_state().commit, 10);
    }

    #[test]
    fn a_snapshot_older_than_requested_is_not_served() {
        let storage = log(&[(1, 1)]);
        assert!(storage.snapshot(1, 2).is_err());
        assert!(storage.snapshot(0, 2).is_ok());
    }
}
