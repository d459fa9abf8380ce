//! A replica's process: its inbox, its tick timer and its Ready loop.

use crate::network::{Address, ClientRequest, Envelope, Network};
use crate::node_clock::{NodeClock, Ticker};
use crate::recorder::Recorder;
use bugs::Bug;
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender};
use futures::{FutureExt, StreamExt};
use node::{
    Checkpoint, ClientReply, NodeConfig, Outbox, RaftMessage, RaftNode, ReadRequest, RequestTag,
    SimDisk, StateRole,
};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What each live replica last said about itself, so the nemesis can find "the leader".
#[derive(Clone, Default)]
pub struct StatusBoard {
    roles: Arc<Mutex<BTreeMap<u64, (StateRole, u64)>>>,
    /// The voting members each replica has applied, for membership changes to wait on.
    voters: Arc<Mutex<BTreeMap<u64, Vec<u64>>>>,
}

impl StatusBoard {
    fn set(&self, node: u64, role: StateRole, term: u64) {
        self.roles
            .lock()
            .expect("status lock")
            .insert(node, (role, term));
    }

    fn set_voters(&self, node: u64, voters: Vec<u64>) {
        self.voters
            .lock()
            .expect("status lock")
            .insert(node, voters);
    }

    /// The node crashed: it no longer claims anything.
    pub fn clear(&self, node: u64) {
        self.roles.lock().expect("status lock").remove(&node);
        self.voters.lock().expect("status lock").remove(&node);
    }

    /// The voting members as the given replica last applied them.
    pub fn voters_seen_by(&self, node: u64) -> Option<Vec<u64>> {
        self.voters.lock().expect("status lock").get(&node).cloned()
    }

    /// The highest term a live replica is in, and its leader if one claims it: what must
    /// hold still for the cluster's leadership to be steady.
    pub fn leadership(&self) -> (u64, Option<u64>) {
        let roles = self.roles.lock().expect("status lock");
        let highest_term = roles.values().map(|&(_, term)| term).max().unwrap_or(0);
        let leader = roles
            .iter()
            .find(|(_, &(role, term))| role == StateRole::Leader && term == highest_term)
            .map(|(&node, _)| node);
        (highest_term, leader)
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

/// What the cluster tells a replica's process directly, not over the network: the
/// nemesis' faults of the node itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Stop the Raft and apply loop; the front end keeps taking requests.
    Freeze,
    Thaw,
    /// The local clock's rate changed or it jumped: reschedule the next tick.
    ClockChanged,
}

/// The cluster's line to the current incarnation of a replica's process; each incarnation
/// connects anew, and what was said to a dead one is lost with it.
#[derive(Clone, Default)]
pub struct ControlLine {
    sender: Arc<Mutex<Option<UnboundedSender<Control>>>>,
}

impl ControlLine {
    fn connect(&self) -> UnboundedReceiver<Control> {
        let (sender, receiver) = futures::channel::mpsc::unbounded();
        *self.sender.lock().expect("control lock") = Some(sender);
        receiver
    }

    pub fn send(&self, control: Control) {
        if let Some(sender) = self.sender.lock().expect("control lock").as_ref() {
            // A process that is gone has nothing left to freeze or reschedule.
            let _ = sender.unbounded_send(control);
        }
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
    /// The machine's clock, which the replica's timers run on.
    pub clock: NodeClock,
    pub control: ControlLine,
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

    fn applied_revision(&mut self, store: &kv::Store) {
        self.recorder.applied_revision(store);
    }

    fn lease_ended(&mut self, end: node::LeaseEnded) {
        self.recorder.lease_ended(&end);
    }

    fn became_leader(&mut self, term: u64) {
        self.recorder.leader(self.id, term);
    }

    fn checkpoint(&mut self, checkpoint: Checkpoint) {
        self.recorder.checkpoint(self.id, checkpoint);
    }
}

/// What woke a replica's process up.
enum Wakeup {
    Control(Control),
    Envelope(Envelope),
    /// The local clock may have reached the next tick.
    Timer,
    /// A newer incarnation took over the inbox or the control line: this one is dead.
    Gone,
}

/// Runs one incarnation of a replica until its process is killed.
///
/// Ticks follow the replica's local clock on a [`Ticker`]. While frozen the Raft loop
/// stands still (no ticks, no Raft messages, no Ready) but the front end keeps taking
/// envelopes off the network, so clients see their requests accepted; everything is
/// handled, in arrival order, when the replica thaws.
pub async fn run_server(context: ServerContext, tick_phase: Duration) {
    let id = context.config.id;
    let mut inbox = context.network.register(Address::Node(id));
    let mut controls = context.control.connect();
    let lease_clock = context.clock.clone();
    let mut node = RaftNode::start(
        context.config.clone(),
        context.disk.clone(),
        Box::new(move || lease_clock.now_monotonic_ns()),
    );
    let mut outbox = NetworkOutbox {
        id,
        network: &context.network,
        recorder: &context.recorder,
    };
    let clock = &context.clock;
    let mut ticker = Ticker::new(
        clock.now_local_ns() + tick_phase.as_nanos() as i64,
        context.tick,
    );
    let mut frozen = false;
    let mut reported_membership = None;
    let mut held = VecDeque::new();
    loop {
        if !frozen && ticker.take_due(clock.now_local_ns()) {
            node.tick(&mut outbox);
        } else {
            let tick_wait = (!frozen).then(|| clock.sim_wait_until(ticker.next_local_ns()));
            match next_wakeup(&mut controls, &mut inbox, tick_wait).await {
                Wakeup::Control(Control::Freeze) => frozen = true,
                Wakeup::Control(Control::Thaw) => {
                    frozen = false;
                    for envelope in held.drain(..) {
                        handle(&mut node, envelope, &mut outbox);
                    }
                }
                Wakeup::Control(Control::ClockChanged) | Wakeup::Timer => {}
                // Planted: the front end answers keep-alives from its lessor while the
                // Raft loop is stuck (etcd #15247).
                Wakeup::Envelope(
                    envelope @ Envelope::Request {
                        request: ClientRequest::Lessor(_),
                        ..
                    },
                ) if frozen && context.config.bugs.has(Bug::LessorStalePrimary) => {
                    handle(&mut node, envelope, &mut outbox)
                }
                // The front end of a frozen replica: it accepts every envelope and keeps
                // it for the Raft loop.
                Wakeup::Envelope(envelope) if frozen => held.push_back(envelope),
                Wakeup::Envelope(envelope) => handle(&mut node, envelope, &mut outbox),
                Wakeup::Gone => return,
            }
            if frozen {
                continue;
            }
            // Take everything already queued before one round of the Ready loop.
            while let Ok(envelope) = inbox.try_recv() {
                handle(&mut node, envelope, &mut outbox);
            }
        }
        node.handle_ready(&mut outbox).await;
        context.board.set(id, node.role(), node.term());
        // The member list is copied to the board only when it may have changed: this loop
        // runs for every message.
        if reported_membership != Some(node.membership_epoch()) {
            reported_membership = Some(node.membership_epoch());
            context.board.set_voters(id, node.voters());
        }
        if node.is_removed() {
            // Removed from the cluster: stop serving, as etcd does, and wait to be shut
            // down.
            return;
        }
    }
}

/// Waits for a control, an envelope or `tick_wait` (none: no tick to wait for), whichever
/// comes first; controls first when several are ready, so a fault applies at once.
async fn next_wakeup(
    controls: &mut UnboundedReceiver<Control>,
    inbox: &mut UnboundedReceiver<Envelope>,
    tick_wait: Option<Duration>,
) -> Wakeup {
    let timer = async {
        match tick_wait {
            Some(wait) => madsim::time::sleep(wait).await,
            None => std::future::pending().await,
        }
    };
    let mut timer = std::pin::pin!(timer.fuse());
    futures::select_biased! {
        control = controls.next() => control.map_or(Wakeup::Gone, Wakeup::Control),
        envelope = inbox.next() => envelope.map_or(Wakeup::Gone, Wakeup::Envelope),
        () = timer => Wakeup::Timer,
    }
}

fn handle(node: &mut RaftNode, envelope: Envelope, outbox: &mut NetworkOutbox<'_>) {
    match envelope {
        Envelope::Raft(message) => node.step(message, outbox),
        Envelope::Request {
            tag,
            request: ClientRequest::Read(request),
        } => node.read(tag, ReadRequest::Range(request), outbox),
        Envelope::Request {
            tag,
            request: ClientRequest::Watch(request),
        } => node.read(tag, ReadRequest::Watch(request), outbox),
        Envelope::Request {
            tag,
            request: ClientRequest::Write(request),
        } => node.propose(tag, request, outbox),
        Envelope::Request {
            tag,
            request: ClientRequest::Lessor(request),
        } => node.lessor_request(tag, request, outbox),
        Envelope::SnapshotStatus { to, delivered } => node.report_snapshot(to, delivered),
        Envelope::Membership(change) => node.change_membership(change, outbox),
        // Replicas do not make requests, so they get no responses.
        Envelope::Response { .. } => {}
    }
}
