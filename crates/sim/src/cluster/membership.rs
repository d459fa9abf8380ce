//! Replacing a member as etcd requires: `member remove` the old one through a Raft
//! configuration change, stop it, then start a fresh node with an empty disk under a new
//! id and `member add` it. (A wiped disk rejoining under its *old* id would break Raft's
//! vote safety: that is a planted bug, not a fault the correct cluster must survive.)

use super::Cluster;
use crate::network::{Address, Envelope};
use history::Fault;
use node::{MembershipChange, SimDisk};

impl Cluster {
    /// Asks the leader to propose `change`; whether there was a leader to ask. The change
    /// may still be lost: callers look at [`Cluster::applied_by_leader`] and ask again.
    pub fn propose_membership_change(&self, change: MembershipChange) -> bool {
        let Some(leader) = self.leader() else {
            return false;
        };
        let _unreachable_means_ask_again = self.network.send(
            Address::Operator,
            Address::Node(leader),
            Envelope::Membership(change),
        );
        true
    }

    /// Whether the current leader has applied `change`.
    pub fn applied_by_leader(&self, change: MembershipChange) -> bool {
        let Some(voters) = self
            .leader()
            .and_then(|leader| self.board.voters_seen_by(leader))
        else {
            return false;
        };
        match change {
            MembershipChange::Remove(node) => !voters.contains(&node),
            MembershipChange::Add(node) => voters.contains(&node),
        }
    }

    /// A removed member shuts down for good, as etcd's does: its process is killed and
    /// never restarted, and clients stop choosing it.
    pub fn retire(&self, node: u64) {
        if !self.removed.lock().expect("removed lock").insert(node) {
            return;
        }
        self.members.remove(node);
        self.crashed.lock().expect("crashed lock").remove(&node);
        self.paused.lock().expect("paused lock").remove(&node);
        self.frozen.lock().expect("frozen lock").remove(&node);
        self.network.set_down(Address::Node(node));
        self.handle.kill(self.replica(node).process);
        self.board.clear(node);
        self.recorder.fault(Fault::MemberRemoved { node });
    }

    /// Starts a fresh node with an empty disk under a new id, not yet a member: it waits
    /// for the leader to add it and send it the log. Returns its id.
    pub fn start_fresh_node(&self) -> u64 {
        let mut replicas = self.replicas.lock().expect("replicas lock");
        let id = replicas.keys().max().map_or(1, |max| max + 1);
        replicas.insert(id, self.spawner.spawn(id, SimDisk::joining()));
        self.joining.lock().expect("joining lock").insert(id);
        id
    }

    /// The leader applied the addition of `node`: it is a member, and clients may use it.
    pub fn admit(&self, node: u64) {
        self.joining.lock().expect("joining lock").remove(&node);
        self.members.add(node);
        self.recorder.fault(Fault::MemberAdded { node });
    }
}
