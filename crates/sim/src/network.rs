//! The simulated network: our own message layer on madsim's clock and tasks.
//!
//! madsim's own endpoints cost at least a millisecond of simulated time per call and know
//! nothing of Raft; this layer instead delivers each message after a latency drawn from
//! the run's network stream, keeps each link first-in-first-out like a TCP stream, drops
//! what a partition cuts, and loses what is in flight to a process that crashes. Delivery
//! runs as tasks on a dedicated madsim node that is never killed.

use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender};
use madsim::runtime::NodeHandle;
use madsim::time::Instant;
use node::{ClientReply, RaftMessage, RaftMessageType, RequestTag};
use rand::rngs::SmallRng;
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Who is at either end of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Address {
    Node(u64),
    Client(u64),
}

/// A client request as it travels to a replica.
#[derive(Clone, Debug)]
pub enum ClientRequest {
    /// A linearizable read, served through ReadIndex.
    Read(kv::RangeRequest),
    /// A write, proposed through Raft.
    Write(kv::Request),
}

/// Everything that travels over the network.
#[derive(Debug)]
pub enum Envelope {
    Raft(RaftMessage),
    Request {
        tag: RequestTag,
        request: ClientRequest,
    },
    Response {
        tag: RequestTag,
        reply: ClientReply,
    },
    /// Told to a replica by its own transport: a snapshot it sent was (not) delivered.
    SnapshotStatus {
        to: u64,
        delivered: bool,
    },
}

/// The destination is down: the message was surely not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unreachable;

/// Counters for the run summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetworkStats {
    pub sent: u64,
    pub delivered: u64,
    /// Dropped because a partition cut the link.
    pub cut: u64,
    /// Dropped because the destination was down or restarted while it was in flight.
    pub lost: u64,
    /// Raft snapshots delivered to a follower that had fallen behind the leader's log.
    pub snapshots_delivered: u64,
}

struct Inbox {
    sender: UnboundedSender<Envelope>,
    /// Bumped on every (re)start: messages sent to an earlier incarnation are lost.
    incarnation: u64,
    up: bool,
}

struct NetworkState {
    inboxes: BTreeMap<Address, Inbox>,
    /// Directed replica links that drop every message: (from, to).
    cut_links: BTreeSet<(u64, u64)>,
    /// When the last message on each link is delivered, to keep links FIFO.
    link_busy_until: BTreeMap<(Address, Address), Instant>,
    rng: SmallRng,
    latency_min: Duration,
    latency_max: Duration,
    stats: NetworkStats,
}

/// A handle to the network, shared by every process of the simulation.
#[derive(Clone)]
pub struct Network {
    state: Arc<Mutex<NetworkState>>,
    /// The never-killed madsim node that runs delivery tasks.
    carrier: NodeHandle,
}

impl Network {
    pub fn new(
        carrier: NodeHandle,
        rng: SmallRng,
        latency_min_ms: u64,
        latency_max_ms: u64,
    ) -> Network {
        Network {
            state: Arc::new(Mutex::new(NetworkState {
                inboxes: BTreeMap::new(),
                cut_links: BTreeSet::new(),
                link_busy_until: BTreeMap::new(),
                rng,
                latency_min: Duration::from_millis(latency_min_ms),
                latency_max: Duration::from_millis(latency_max_ms),
                stats: NetworkStats::default(),
            })),
            carrier,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, NetworkState> {
        self.state.lock().expect("network lock is never poisoned")
    }

    /// A process at `address` (re)starts and listens: returns its inbox.
    pub fn register(&self, address: Address) -> UnboundedReceiver<Envelope> {
        let (sender, receiver) = futures::channel::mpsc::unbounded();
        let mut state = self.lock();
        let incarnation = state
            .inboxes
            .get(&address)
            .map_or(0, |inbox| inbox.incarnation + 1);
        state.inboxes.insert(
            address,
            Inbox {
                sender,
                incarnation,
                up: true,
            },
        );
        receiver
    }

    /// The process at `address` died: nothing reaches it until it registers again.
    pub fn set_down(&self, address: Address) {
        if let Some(inbox) = self.lock().inboxes.get_mut(&address) {
            inbox.up = false;
        }
    }

    /// Cuts every link between replicas on different sides.
    pub fn partition(&self, sides: &[Vec<u64>]) {
        let mut state = self.lock();
        for (i, side) in sides.iter().enumerate() {
            for other in &sides[i + 1..] {
                for &a in side {
                    for &b in other {
                        state.cut_links.insert((a, b));
                        state.cut_links.insert((b, a));
                    }
                }
            }
        }
    }

    /// Drops every message from replica `from` to replica `to`; the other direction works.
    pub fn cut_one_way(&self, from: u64, to: u64) {
        self.lock().cut_links.insert((from, to));
    }

    /// Restores every link.
    pub fn heal(&self) {
        self.lock().cut_links.clear();
    }

    pub fn stats(&self) -> NetworkStats {
        self.lock().stats
    }

    fn is_cut(state: &NetworkState, from: Address, to: Address) -> bool {
        match (from, to) {
            (Address::Node(a), Address::Node(b)) => state.cut_links.contains(&(a, b)),
            _ => false,
        }
    }

    /// Sends a message. Fails at once only if the destination is down now (a refused
    /// connection); otherwise the message may still be cut or lost in flight.
    pub fn send(&self, from: Address, to: Address, envelope: Envelope) -> Result<(), Unreachable> {
        let mut state = self.lock();
        state.stats.sent += 1;
        let Some(incarnation) = state
            .inboxes
            .get(&to)
            .filter(|inbox| inbox.up)
            .map(|inbox| inbox.incarnation)
        else {
            state.stats.lost += 1;
            drop(state);
            self.report_snapshot(from, &envelope, false);
            return Err(Unreachable);
        };
        if Self::is_cut(&state, from, to) {
            state.stats.cut += 1;
            drop(state);
            self.report_snapshot(from, &envelope, false);
            return Ok(());
        }
        let latency = {
            let (min, max) = (state.latency_min, state.latency_max);
            if min == max {
                min
            } else {
                state.rng.gen_range(min..=max)
            }
        };
        let link = (from, to);
        let earliest = Instant::now() + latency;
        let deliver_at = state
            .link_busy_until
            .get(&link)
            .map_or(earliest, |&busy| busy.max(earliest));
        state.link_busy_until.insert(link, deliver_at);
        drop(state);

        let network = self.clone();
        self.carrier.spawn(async move {
            madsim::time::sleep_until(deliver_at).await;
            network.deliver(from, to, incarnation, envelope);
        });
        Ok(())
    }

    fn deliver(&self, from: Address, to: Address, incarnation: u64, envelope: Envelope) {
        let mut state = self.lock();
        if Self::is_cut(&state, from, to) {
            state.stats.cut += 1;
            drop(state);
            self.report_snapshot(from, &envelope, false);
            return;
        }
        let inbox = state
            .inboxes
            .get(&to)
            .filter(|inbox| inbox.up && inbox.incarnation == incarnation);
        let snapshot_to = snapshot_destination(&envelope);
        let delivered = inbox.is_some_and(|inbox| inbox.sender.unbounded_send(envelope).is_ok());
        if delivered {
            state.stats.delivered += 1;
        } else {
            state.stats.lost += 1;
        }
        drop(state);
        if let Some(to) = snapshot_to {
            if delivered {
                self.lock().stats.snapshots_delivered += 1;
            }
            self.tell_snapshot_status(from, to, delivered);
        }
    }

    /// raft-rs waits for word on every snapshot it sends; without it, a lost snapshot
    /// would stall that follower forever.
    fn report_snapshot(&self, from: Address, envelope: &Envelope, delivered: bool) {
        if let Some(to) = snapshot_destination(envelope) {
            self.tell_snapshot_status(from, to, delivered);
        }
    }

    fn tell_snapshot_status(&self, from: Address, to: u64, delivered: bool) {
        let state = self.lock();
        if let Some(inbox) = state.inboxes.get(&from).filter(|inbox| inbox.up) {
            let _ = inbox
                .sender
                .unbounded_send(Envelope::SnapshotStatus { to, delivered });
        }
    }
}

fn snapshot_destination(envelope: &Envelope) -> Option<u64> {
    match envelope {
        Envelope::Raft(message) if message.get_msg_type() == RaftMessageType::MsgSnapshot => {
            Some(message.to)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use madsim::runtime::{Handle, Runtime};
    use rand::SeedableRng;

    #[test]
    fn a_one_way_cut_drops_one_direction_only() {
        let runtime = Runtime::with_seed_and_config(1, madsim::Config::default());
        runtime.block_on(async {
            let carrier = Handle::current().create_node().name("network").build();
            let network = Network::new(carrier, SmallRng::seed_from_u64(1), 1, 2);
            let (one, two) = (Address::Node(1), Address::Node(2));
            let mut inbox_one = network.register(one);
            let mut inbox_two = network.register(two);
            network.cut_one_way(1, 2);
            let message = || Envelope::Raft(RaftMessage::default());
            for _ in 0..3 {
                network.send(one, two, message()).unwrap();
                network.send(two, one, message()).unwrap();
            }
            madsim::time::sleep(Duration::from_millis(10)).await;
            let arrived = |inbox: &mut UnboundedReceiver<Envelope>| {
                std::iter::from_fn(|| inbox.try_recv().ok()).count()
            };
            assert_eq!(arrived(&mut inbox_one), 3, "2 → 1 is not cut");
            assert_eq!(arrived(&mut inbox_two), 0, "1 → 2 is cut");
            assert_eq!((network.stats().cut, network.stats().delivered), (3, 3));

            network.heal();
            network.send(one, two, message()).unwrap();
            madsim::time::sleep(Duration::from_millis(10)).await;
            assert_eq!(arrived(&mut inbox_two), 1, "healed");
        });
    }

    #[test]
    fn messages_to_a_paused_process_wait_for_it() {
        use futures::StreamExt;
        use std::sync::atomic::{AtomicU64, Ordering};

        let runtime = Runtime::with_seed_and_config(1, madsim::Config::default());
        runtime.block_on(async {
            let handle = Handle::current();
            let carrier = handle.create_node().name("network").build();
            let network = Network::new(carrier, SmallRng::seed_from_u64(1), 1, 2);
            let mut inbox = network.register(Address::Node(2));
            let received = Arc::new(AtomicU64::new(0));
            let process = handle.create_node().name("node-2").build();
            let counter = received.clone();
            process.spawn(async move {
                while inbox.next().await.is_some() {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
            madsim::time::sleep(Duration::from_millis(1)).await;
            handle.pause(process.id());
            for _ in 0..3 {
                let message = Envelope::Raft(RaftMessage::default());
                network
                    .send(Address::Node(1), Address::Node(2), message)
                    .unwrap();
            }
            madsim::time::sleep(Duration::from_millis(500)).await;
            assert_eq!(received.load(Ordering::Relaxed), 0, "paused: nothing runs");
            assert_eq!(
                network.stats().delivered,
                3,
                "but the messages are in its inbox"
            );
            handle.resume(process.id());
            madsim::time::sleep(Duration::from_millis(1)).await;
            assert_eq!(received.load(Ordering::Relaxed), 3, "resumed: all of them");
        });
    }
}
