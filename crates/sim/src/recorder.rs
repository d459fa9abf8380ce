//! Collects the history of a run as it happens.

use crate::clock::RunClock;
use history::{
    Fault, FaultEvent, History, LeaderChange, LeaseEnd, LeaseRenewal, LivenessProbe, LockHold,
    LockOwner, LockOwnership, Op, ReplicaCheckpoint, ResourceWrite,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Lock keys live under `locks/<name>/<lease>`, election candidates under
/// `elections/<name>/<lease>`: both are queues whose first key owns the lock or leads.
pub const QUEUE_PREFIXES: [&str; 2] = ["locks/", "elections/"];

/// Shared by every process: clients record operations, the nemesis faults, replicas
/// their elections and checkpoints.
#[derive(Clone)]
pub struct Recorder {
    history: Arc<Mutex<History>>,
    store_view: Arc<Mutex<StoreView>>,
    clock: RunClock,
}

/// What the recorder has seen of the replicated store, as the first replica to apply each
/// revision showed it.
#[derive(Default)]
struct StoreView {
    /// Whether lock owners are tracked at all (lock workloads only: the scan costs time).
    track_locks: bool,
    /// The highest revision recorded.
    revision: u64,
    /// Each lock's owner as last recorded.
    lock_owners: BTreeMap<String, Option<LockOwner>>,
    /// Leases whose end is recorded.
    ended_leases: BTreeSet<u64>,
}

impl Recorder {
    pub fn new(scenario: &str, seed: u64, clock: RunClock) -> Recorder {
        Recorder {
            history: Arc::new(Mutex::new(History::new(scenario, seed))),
            store_view: Arc::new(Mutex::new(StoreView::default())),
            clock,
        }
    }

    /// Record who owns each lock (or leads each election) as the store changes: for runs
    /// of the lock and election workloads.
    pub fn track_lock_owners(&self) {
        self.store_view.lock().expect("store view lock").track_locks = true;
    }

    /// The cluster's election timeout, which bounds how late a lapsed lease may expire.
    pub fn election_timeout_ns(&self, election_timeout_ns: u64) {
        self.lock().election_timeout_ns = Some(election_timeout_ns);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, History> {
        self.history
            .lock()
            .expect("recorder lock is never poisoned")
    }

    pub fn now_ns(&self) -> u64 {
        self.clock.now_ns()
    }

    /// Records a finished (or abandoned) operation; ids are assigned in [`Recorder::finish`].
    pub fn op(&self, op: Op) {
        self.lock().ops.push(op);
    }

    pub fn fault(&self, fault: Fault) {
        self.fault_lasting_or_not(fault, false);
    }

    /// Records a fault no heal lifts: it lasts through the liveness phase.
    pub fn lasting_fault(&self, fault: Fault) {
        self.fault_lasting_or_not(fault, true);
    }

    fn fault_lasting_or_not(&self, fault: Fault, lasting: bool) {
        let at_ns = self.now_ns();
        self.lock().faults.push(FaultEvent {
            at_ns,
            fault,
            lasting,
        });
    }

    pub fn leader(&self, node: u64, term: u64) {
        let at_ns = self.now_ns();
        self.lock().leaders.push(LeaderChange { at_ns, node, term });
    }

    /// A replica's checkpoint, taken as it applied the checkpoint's index.
    pub fn checkpoint(&self, node: u64, checkpoint: node::Checkpoint) {
        let at_ns = self.now_ns();
        self.lock().replicas.push(ReplicaCheckpoint {
            at_ns,
            node,
            applied_index: checkpoint.applied_index,
            log_digest: checkpoint.log_digest,
            state_hash: checkpoint.state_hash,
        });
    }

    /// A replica applied a write that took its store to a new revision. The first replica
    /// to reach a revision records what changed there: every replica reaches the same
    /// state at the same revision, so the first is the cluster's earliest moment.
    pub fn applied_revision(&self, store: &kv::Store) {
        let mut view = self.store_view.lock().expect("store view lock");
        if store.revision() <= view.revision {
            return;
        }
        view.revision = store.revision();
        if !view.track_locks {
            return;
        }
        let owners = lock_owners(store);
        let mut changes = Vec::new();
        let known: Vec<String> = view.lock_owners.keys().cloned().collect();
        for lock in known.iter().chain(owners.keys()) {
            let now = owners.get(lock).cloned().flatten();
            let before = view.lock_owners.get(lock).cloned().flatten();
            if now != before && !changes.iter().any(|(name, _)| name == lock) {
                changes.push((lock.clone(), now));
            }
        }
        let at_ns = self.now_ns();
        let mut history = self.lock();
        for (lock, owner) in changes {
            view.lock_owners.insert(lock.clone(), owner.clone());
            history.lock_owners.push(LockOwnership {
                lock,
                revision: store.revision(),
                at_ns,
                owner,
            });
        }
    }

    /// A replica applied the end of a lease; the first to do so records it.
    pub fn lease_ended(&self, node_end: &node::LeaseEnded) {
        let lease = node_end.lease.0 as u64;
        if !self
            .store_view
            .lock()
            .expect("store view lock")
            .ended_leases
            .insert(lease)
        {
            return;
        }
        let at_ns = self.now_ns();
        self.lock().lease_ends.push(LeaseEnd {
            lease,
            revision: node_end.revision,
            at_ns,
            expired: node_end.expired_by.is_some(),
            keys: node_end.keys.clone(),
            expired_by: node_end.expired_by,
        });
    }

    pub fn lease_renewal(&self, renewal: LeaseRenewal) {
        self.lock().lease_renewals.push(renewal);
    }

    pub fn lock_hold(&self, hold: LockHold) {
        self.lock().lock_holds.push(hold);
    }

    pub fn resource_write(&self, write: ResourceWrite) {
        self.lock().resource_writes.push(write);
    }

    pub fn liveness(&self, probe: LivenessProbe) {
        self.lock().liveness = Some(probe);
    }

    /// The history in canonical order, operation ids numbered by that order.
    pub fn finish(&self) -> History {
        let mut history = self.lock().clone();
        history.sort();
        for (id, op) in history.ops.iter_mut().enumerate() {
            op.id = id as u64;
        }
        history
    }
}

/// Each lock's (and election's) owner in `store`: the key under `locks/<name>/` with the
/// lowest create revision. Locks with no key are left out.
fn lock_owners(store: &kv::Store) -> BTreeMap<String, Option<LockOwner>> {
    let mut owners: BTreeMap<String, Option<LockOwner>> = BTreeMap::new();
    let keys = QUEUE_PREFIXES.iter().flat_map(|prefix| {
        let request = kv::RangeRequest {
            range: kv::KeyRange::Prefix(prefix.to_string()),
            revision: None,
            limit: None,
        };
        store
            .range(&request)
            .expect("the current revision is readable")
            .kvs
    });
    for kv in keys {
        let Some((lock, _lease)) = kv.key.rsplit_once('/') else {
            continue;
        };
        let candidate = LockOwner {
            key: kv.key.clone(),
            lease: kv.lease.map_or(0, |lease| lease.0 as u64),
            create_revision: kv.create_revision,
        };
        let owner = owners.entry(lock.to_string()).or_insert(None);
        if owner
            .as_ref()
            .is_none_or(|current| candidate.create_revision < current.create_revision)
        {
            *owner = Some(candidate);
        }
    }
    owners
}
