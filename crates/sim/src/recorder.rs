//! Collects the history of a run as it happens.

use crate::clock::RunClock;
use history::{Fault, FaultEvent, History, LeaderChange, LivenessProbe, Op, ReplicaCheckpoint};
use std::sync::{Arc, Mutex};

/// Shared by every process: clients record operations, the nemesis faults, replicas
/// their elections and checkpoints.
#[derive(Clone)]
pub struct Recorder {
    history: Arc<Mutex<History>>,
    clock: RunClock,
}

impl Recorder {
    pub fn new(scenario: &str, seed: u64, clock: RunClock) -> Recorder {
        Recorder {
            history: Arc::new(Mutex::new(History::new(scenario, seed))),
            clock,
        }
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
        let at_ns = self.now_ns();
        self.lock().faults.push(FaultEvent { at_ns, fault });
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
