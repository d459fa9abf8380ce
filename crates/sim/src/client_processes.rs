//! The clients' processes, as the nemesis sees them: it can pause one (a GC pause of a
//! lock holder) and resume it. Every change is recorded in the history.

use crate::lock_workload::LockHolders;
use crate::recorder::Recorder;
use history::Fault;
use madsim::runtime::Handle;
use madsim::task::NodeId as MadsimNodeId;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

pub struct ClientProcesses {
    handle: Handle,
    processes: BTreeMap<u64, MadsimNodeId>,
    paused: Mutex<BTreeSet<u64>>,
    /// Who is inside a critical section (lock workloads).
    pub holders: LockHolders,
    recorder: Recorder,
}

impl ClientProcesses {
    pub fn new(
        processes: BTreeMap<u64, MadsimNodeId>,
        holders: LockHolders,
        recorder: Recorder,
    ) -> ClientProcesses {
        ClientProcesses {
            handle: Handle::current(),
            processes,
            paused: Mutex::new(BTreeSet::new()),
            holders,
            recorder,
        }
    }

    /// Stops the client's process (its operations and keep-alives) where it is.
    pub fn pause(&self, client: u64) {
        let Some(&process) = self.processes.get(&client) else {
            return;
        };
        if !self.paused.lock().expect("paused lock").insert(client) {
            return;
        }
        self.handle.pause(process);
        self.recorder.fault(Fault::ClientPause { client });
    }

    pub fn resume(&self, client: u64) {
        if !self.paused.lock().expect("paused lock").remove(&client) {
            return;
        }
        self.handle.resume(self.processes[&client]);
        self.recorder.fault(Fault::ClientResume { client });
    }

    /// Kills every client's process at the end of a run (see [`Cluster::kill_all`]).
    ///
    /// [`Cluster::kill_all`]: crate::cluster::Cluster::kill_all
    pub fn kill_all(&self) {
        for &process in self.processes.values() {
            self.handle.kill(process);
        }
    }

    pub fn paused(&self) -> Vec<u64> {
        self.paused
            .lock()
            .expect("paused lock")
            .iter()
            .copied()
            .collect()
    }
}
