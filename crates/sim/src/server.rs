//! A replica's process: its inbox, its tick timer and its Ready loop.

use crate::network::{Address, ClientRequest, Envelope, Network};
use crate::recorder::Recorder;
use futures::StreamExt;
use madsim::time::{timeout, Instant};
use node::{
    Checkpoint, ClientReply, NodeConfig, Outbox, RaftMessage, RaftNode, RequestTag, SimDisk,
    StateRole,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What each live replica last said about itself, so the nemesis can find "the leader".
#[derive(Clone, Default)]
pub struct StatusBoard {
    roles: Arc<Mutex<BTreeMap<u64, (StateRole, u64)>>>,
}

impl StatusBoard {
    fn set(&self, node: u64, role: StateRole, term: u64) {
        self.roles
            .lock()
            .expect("status lock")
            .insert(node, (role, term));
    }

    /// The node crashed: it no longer claims anything.
    pub fn clear(&self, node: u64) {
        self.roles.lock().expect("status lock").remove(&node);
    }

    /// The live node that leads the highest term, if any.
    pub fn leader(&self) -> Option<u64> {
        self.roles
            .lock()
            .expect("status lock")
            .iter()
            .filter(|(_, (role, _))| *role == StateRole::Leader)
            .max_by_key(|(_, (_, term))| *term)
            .map(|(&node, _)| node)
    }
}

/// Everything a replica's process needs; cloned into every (re)start.
#[derive(Clone)]
pub struct ServerContext {
    pub config: NodeConfig,
    pub tick: Duration,
    pub disk: SimDisk,
    pub network: Network,
    pub recorder: Recorder,
    pub board: StatusBoard,
}

/// Sends what the replica produces over the simulated network.
struct NetworkOutbox<'a> {
    id: u64,
    network: &'a Network,
    recorder: &'a Recorder,
}

impl Outbox for NetworkOutbox<'_> {
    fn send(&mut self, message: RaftMessage) {
        let to = Address::Node(message.to);
        // A down peer is just a peer that does not answer; Raft copes.
        let _ = self
            .network
            .send(Address::Node(self.id), to, Envelope::Raft(message));
    }

    fn reply(&mut self, tag: RequestTag, reply: ClientReply) {
        let to = Address::Client(tag.client);
        let _ = self.network.send(
            Address::Node(self.id),
            to,
            Envelope::Response { tag, reply },
        );
    }

    fn became_leader(&mut self, term: u64) {
        self.recorder.leader(self.id, term);
    }

    fn checkpoint(&mut self, checkpoint: Checkpoint) {
        self.recorder.checkpoint(self.id, checkpoint);
    }
}

/// Runs one incarnation of a replica until its process is killed.
pub async fn run_server(context: ServerContext, tick_phase: Duration) {
    let id = context.config.id;
    let mut inbox = context.network.register(Address::Node(id));
    let mut node = RaftNode::start(context.config.clone(), context.disk.clone());
    let mut outbox = NetworkOutbox {
        id,
        network: &context.network,
        recorder: &context.recorder,
    };
    let mut next_tick = Instant::now() + tick_phase;
    loop {
        let now = Instant::now();
        if now >= next_tick {
            node.tick(&mut outbox);
            next_tick += context.tick;
        } else {
            match timeout(next_tick - now, inbox.next()).await {
                Ok(Some(envelope)) => {
                    handle(&mut node, envelope, &mut outbox);
                    // Take everything already queued before one round of the Ready loop.
                    while let Ok(envelope) = inbox.try_recv() {
                        handle(&mut node, envelope, &mut outbox);
                    }
                }
                Ok(None) => return,
                Err(_elapsed) => continue,
            }
        }
        node.handle_ready(&mut outbox).await;
        context.board.set(id, node.role(), node.term());
    }
}

fn handle(node: &mut RaftNode, envelope: Envelope, outbox: &mut NetworkOutbox<'_>) {
    match envelope {
        Envelope::Raft(message) => node.step(message, outbox),
        Envelope::Request {
            tag,
            request: ClientRequest::Read(request),
        } => node.read(tag, request, outbox),
        Envelope::Request {
            tag,
            request: ClientRequest::Write(request),
        } => node.propose(tag, request, outbox),
        Envelope::SnapshotStatus { to, delivered } => node.report_snapshot(to, delivered),
        // Replicas do not make requests, so they get no responses.
        Envelope::Response { .. } => {}
    }
}
