//! The simulated network: our own message layer on madsim's clock and tasks.
//!
//! madsim's own endpoints cost at least a millisecond of simulated time per call and know
//! nothing of Raft; this layer instead delivers each message after a latency drawn from
//! the run's network stream, keeps each link first-in-first-out like a TCP stream, drops
//! what a partition cuts, and loses what is in flight to a process that crashes. Link
//! faults ([`crate::link_faults`]) add latency, lose, duplicate, reorder or hold messages;
//! a clogged node's messages are all held. Delivery runs as tasks on a dedicated madsim
//! node that is never killed.

use crate::link_faults::{LinkRule, LinkRules, SendFate};
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
    /// The operator (the nemesis) asking for membership changes; it hears no answers.
    Operator,
}

/// A client request as it travels to a replica.
#[derive(Clone, Debug)]
pub enum ClientRequest {
    /// A linearizable read, served through ReadIndex.
    Read(kv::RangeRequest),
    /// A write, proposed through Raft.
    Write(kv::Request),
    /// A lease request the leader's lessor answers (keep-alive, time-to-live, list).
    Lessor(node::LessorRequest),
    /// A watch of a range of keys from a revision on, answered by the leader when there
    /// are changes (or empty after a while).
    Watch(kv::WatchRequest),
}

/// Everything that travels over the network.
#[derive(Clone, Debug)]
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
    /// From the operator (the nemesis) to a replica: propose this membership change.
    Membership(node::MembershipChange),
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
    /// Dropped by a link fault's loss rate.
    pub dropped: u64,
    /// Second copies sent by a link fault's duplication rate.
    pub duplicated: u64,
    /// Sent out of their link's order by a link fault's reordering rate.
    pub reordered: u64,
    /// Held back by a hold link fault or a clogged node (delivered when lifted).
    pub held: u64,
    /// Raft snapshots delivered to a follower that had fallen behind the leader's log.
    pub snapshots_delivered: u64,
}

/// A message on its way, with the incarnation of the process it was sent to.
struct InFlight {
    from: Address,
    to: Address,
    incarnation: u64,
    envelope: Envelope,
}

struct Inbox {
    sender: UnboundedSender<Envelope>,
    /// Bumped on every (re)start: messages sent to an earlier incarnation are lost.
    incarnation: u64,
    up: bool,
}

/// How long a partition or cut lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CutLasts {
    /// Until the next heal: another fault's end, a `heal` fault, the liveness phase.
    UntilHealed,
    /// For good: no heal restores it (a scenario's `through_liveness`).
    ThroughLiveness,
}

struct NetworkState {
    inboxes: BTreeMap<Address, Inbox>,
    /// Directed replica links that drop every message: (from, to).
    cut_links: BTreeSet<(u64, u64)>,
    /// Links cut by a lasting fault: no heal restores them.
    lasting_cut_links: BTreeSet<(u64, u64)>,
    /// When the last message on each link is delivered, to keep links FIFO.
    link_busy_until: BTreeMap<(Address, Address), Instant>,
    link_rules: LinkRules,
    /// Nodes whose every message, in or out, is held.
    clogged: BTreeSet<u64>,
    /// Messages held back, in the order they arrived.
    held: Vec<InFlight>,
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

impl NetworkState {
    fn cut_links_for(&mut self, lasts: CutLasts) -> &mut BTreeSet<(u64, u64)> {
        match lasts {
            CutLasts::UntilHealed => &mut self.cut_links,
            CutLasts::ThroughLiveness => &mut self.lasting_cut_links,
        }
    }
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
                lasting_cut_links: BTreeSet::new(),
                link_busy_until: BTreeMap::new(),
                link_rules: LinkRules::default(),
                clogged: BTreeSet::new(),
                held: Vec::new(),
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
    pub fn partition(&self, sides: &[Vec<u64>], lasts: CutLasts) {
        let mut state = self.lock();
        let links = state.cut_links_for(lasts);
        for (i, side) in sides.iter().enumerate() {
            for other in &sides[i + 1..] {
                for &a in side {
                    for &b in other {
                        links.insert((a, b));
                        links.insert((b, a));
                    }
                }
            }
        }
    }

    /// Drops every message from replica `from` to replica `to`; the other direction works.
    pub fn cut_one_way(&self, from: u64, to: u64, lasts: CutLasts) {
        self.lock().cut_links_for(lasts).insert((from, to));
    }

    /// Restores every link a partition or cut took away, but the lasting ones; whether any
    /// was cut.
    pub fn heal_cuts(&self) -> bool {
        let mut state = self.lock();
        let was_cut = !state.cut_links.is_empty();
        state.cut_links.clear();
        was_cut
    }

    /// Starts a link fault under `id`.
    pub fn add_link_fault(&self, id: u64, rule: LinkRule) {
        self.lock().link_rules.insert(id, rule);
    }

    /// Lifts a link fault (messages it held go on their way); whether it was active.
    pub fn lift_link_fault(&self, id: u64) -> bool {
        let lifted = self.lock().link_rules.remove(id);
        self.release_held();
        lifted
    }

    pub fn link_fault_ids(&self) -> Vec<u64> {
        self.lock().link_rules.ids()
    }

    /// Holds every message to and from `node` until it is unclogged; whether it was not
    /// clogged already.
    pub fn clog(&self, node: u64) -> bool {
        self.lock().clogged.insert(node)
    }

    /// Lets a clogged node's messages go; whether it was clogged.
    pub fn unclog(&self, node: u64) -> bool {
        let unclogged = self.lock().clogged.remove(&node);
        self.release_held();
        unclogged
    }

    pub fn clogged_nodes(&self) -> Vec<u64> {
        self.lock().clogged.iter().copied().collect()
    }

    pub fn stats(&self) -> NetworkStats {
        self.lock().stats
    }

    fn is_cut(state: &NetworkState, from: Address, to: Address) -> bool {
        match (from, to) {
            (Address::Node(a), Address::Node(b)) => {
                state.cut_links.contains(&(a, b)) || state.lasting_cut_links.contains(&(a, b))
            }
            _ => false,
        }
    }

    fn is_held(state: &NetworkState, message: &InFlight) -> bool {
        let clogged = |address: Address| match address {
            Address::Node(node) => state.clogged.contains(&node),
            Address::Client(_) | Address::Operator => false,
        };
        clogged(message.from)
            || clogged(message.to)
            || state
                .link_rules
                .holds(message.from, message.to, &message.envelope)
    }

    /// Delivers, now, every held message that nothing holds any more, in the order they
    /// were held.
    fn release_held(&self) {
        let released = {
            let mut state = self.lock();
            let (still_held, released) = std::mem::take(&mut state.held)
                .into_iter()
                .partition(|message| Self::is_held(&state, message));
            state.held = still_held;
            released
        };
        for message in released {
            self.deliver(message);
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
        let fate = if state.link_rules.is_empty() {
            SendFate::default()
        } else {
            let state = &mut *state;
            state.link_rules.fate(from, to, &envelope, &mut state.rng)
        };
        if fate.dropped {
            state.stats.dropped += 1;
            drop(state);
            self.report_snapshot(from, &envelope, false);
            return Ok(());
        }
        // madsim sleeps at least a millisecond; a shorter latency would be stretched at
        // delivery, after the link's order was decided.
        let latency =
            (Self::draw_latency(&mut state) + fate.extra_latency).max(Duration::from_millis(1));
        let link = (from, to);
        let earliest = Instant::now() + latency;
        let deliver_at = if fate.reordered {
            // Out of the link's order: it may overtake messages ahead of it, and be
            // overtaken by those behind it.
            state.stats.reordered += 1;
            earliest + Self::draw_latency(&mut state) * 2
        } else {
            // A microsecond after the message ahead: madsim wakes every timer due within
            // 50 ns of the earliest in one batch, and runs the woken tasks in random order.
            let deliver_at = state.link_busy_until.get(&link).map_or(earliest, |&busy| {
                earliest.max(busy + Duration::from_micros(1))
            });
            state.link_busy_until.insert(link, deliver_at);
            deliver_at
        };
        let copy = if fate.duplicated {
            state.stats.duplicated += 1;
            let copy_at = deliver_at + Self::draw_latency(&mut state);
            Some((copy_at, envelope.clone()))
        } else {
            None
        };
        drop(state);

        let message = InFlight {
            from,
            to,
            incarnation,
            envelope,
        };
        self.deliver_at(deliver_at, message);
        if let Some((copy_at, envelope)) = copy {
            let copy = InFlight {
                from,
                to,
                incarnation,
                envelope,
            };
            self.deliver_at(copy_at, copy);
        }
        Ok(())
    }

    /// A one-way latency from the configured range.
    fn draw_latency(state: &mut NetworkState) -> Duration {
        let (min, max) = (state.latency_min, state.latency_max);
        if min == max {
            min
        } else {
            state.rng.gen_range(min..=max)
        }
    }

    fn deliver_at(&self, at: Instant, message: InFlight) {
        let network = self.clone();
        self.carrier.spawn(async move {
            madsim::time::sleep_until(at).await;
            network.deliver(message);
        });
    }

    fn deliver(&self, message: InFlight) {
        let mut state = self.lock();
        if Self::is_held(&state, &message) {
            state.stats.held += 1;
            state.held.push(message);
            return;
        }
        let InFlight {
            from,
            to,
            incarnation,
            envelope,
        } = message;
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
    use crate::link_faults::LinkRule;
    use madsim::runtime::{Handle, Runtime};
    use rand::SeedableRng;
    use scenario::{LinkEffect, MessageKind};

    #[test]
    fn a_one_way_cut_drops_one_direction_only() {
        let runtime = Runtime::with_seed_and_config(1, madsim::Config::default());
        runtime.block_on(async {
            let carrier = Handle::current().create_node().name("network").build();
            let network = Network::new(carrier, SmallRng::seed_from_u64(1), 1, 2);
            let (one, two) = (Address::Node(1), Address::Node(2));
            let mut inbox_one = network.register(one);
            let mut inbox_two = network.register(two);
            network.cut_one_way(1, 2, CutLasts::UntilHealed);
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

            network.heal_cuts();
            network.send(one, two, message()).unwrap();
            madsim::time::sleep(Duration::from_millis(10)).await;
            assert_eq!(arrived(&mut inbox_two), 1, "healed");
        });
    }

    #[test]
    fn a_lasting_cut_outlives_every_heal() {
        let runtime = Runtime::with_seed_and_config(1, madsim::Config::default());
        runtime.block_on(async {
            let carrier = Handle::current().create_node().name("network").build();
            let network = Network::new(carrier, SmallRng::seed_from_u64(1), 1, 2);
            let (one, two, three) = (Address::Node(1), Address::Node(2), Address::Node(3));
            let _inbox_one = network.register(one);
            let mut inbox_two = network.register(two);
            let mut inbox_three = network.register(three);
            network.partition(&[vec![1], vec![2]], CutLasts::ThroughLiveness);
            network.cut_one_way(1, 3, CutLasts::UntilHealed);
            assert!(network.heal_cuts(), "the cut 1 → 3 was healed");
            assert!(!network.heal_cuts(), "a lasting cut is not healed");
            let message = || Envelope::Raft(RaftMessage::default());
            network.send(one, two, message()).unwrap();
            network.send(one, three, message()).unwrap();
            madsim::time::sleep(Duration::from_millis(10)).await;
            let arrived = |inbox: &mut UnboundedReceiver<Envelope>| {
                std::iter::from_fn(|| inbox.try_recv().ok()).count()
            };
            assert_eq!(arrived(&mut inbox_two), 0, "1 → 2 stays cut");
            assert_eq!(arrived(&mut inbox_three), 1, "1 → 3 healed");
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

    /// A network on a fresh madsim runtime, with 1–2 ms latency.
    fn on_network(test: impl FnOnce(Network) -> futures::future::BoxFuture<'static, ()>) {
        let runtime = Runtime::with_seed_and_config(1, madsim::Config::default());
        runtime.block_on(async {
            let carrier = Handle::current().create_node().name("network").build();
            test(Network::new(carrier, SmallRng::seed_from_u64(1), 1, 2)).await;
        });
    }

    /// A Raft message whose commit field numbers it, to see the order of arrival.
    fn numbered(kind: RaftMessageType, number: u64) -> Envelope {
        let mut message = RaftMessage::default();
        message.set_msg_type(kind);
        message.commit = number;
        Envelope::Raft(message)
    }

    fn numbers(inbox: &mut UnboundedReceiver<Envelope>) -> Vec<u64> {
        std::iter::from_fn(|| inbox.try_recv().ok())
            .map(|envelope| match envelope {
                Envelope::Raft(message) => message.commit,
                other => panic!("expected a Raft message, got {other:?}"),
            })
            .collect()
    }

    fn rule(
        from: Option<u64>,
        to: Option<u64>,
        messages: Vec<MessageKind>,
        effect: LinkEffect,
    ) -> LinkRule {
        LinkRule {
            from,
            to,
            messages,
            effect,
        }
    }

    fn sleep_ms(ms: u64) -> madsim::time::Sleep {
        madsim::time::sleep(Duration::from_millis(ms))
    }

    #[test]
    fn a_hold_keeps_messages_until_lifted_then_delivers_them_in_order() {
        on_network(|network| {
            Box::pin(async move {
                let (one, two) = (Address::Node(1), Address::Node(2));
                let mut inbox_two = network.register(two);
                let mut inbox_one = network.register(one);
                for number in 0..3 {
                    network
                        .send(one, two, numbered(RaftMessageType::MsgAppend, number))
                        .unwrap();
                }
                // Messages already in flight are held too.
                network.add_link_fault(1, rule(Some(1), Some(2), vec![], LinkEffect::Hold));
                for number in 3..6 {
                    network
                        .send(one, two, numbered(RaftMessageType::MsgAppend, number))
                        .unwrap();
                    network
                        .send(two, one, numbered(RaftMessageType::MsgAppend, number))
                        .unwrap();
                }
                sleep_ms(500).await;
                assert_eq!(numbers(&mut inbox_two), Vec::<u64>::new(), "1 → 2 is held");
                assert_eq!(numbers(&mut inbox_one), vec![3, 4, 5], "2 → 1 is not");
                assert_eq!(network.stats().held, 6);
                assert!(network.lift_link_fault(1));
                sleep_ms(1).await;
                assert_eq!(numbers(&mut inbox_two), vec![0, 1, 2, 3, 4, 5]);
            })
        });
    }

    #[test]
    fn typed_faults_touch_only_their_kind_of_message() {
        on_network(|network| {
            Box::pin(async move {
                let (node, client) = (Address::Node(1), Address::Client(7));
                let mut inbox_node = network.register(node);
                let mut inbox_client = network.register(client);
                // Every client response is lost; requests and Raft messages go through.
                let lose_responses = rule(
                    None,
                    None,
                    vec![MessageKind::ClientResponse],
                    LinkEffect::Loss { percent: 100 },
                );
                network.add_link_fault(1, lose_responses);
                let tag = RequestTag {
                    client: 7,
                    request_id: 1,
                };
                let response = Envelope::Response {
                    tag,
                    reply: Err(node::ClientError::LeaderNotReady),
                };
                network.send(node, client, response).unwrap();
                network
                    .send(
                        Address::Node(2),
                        node,
                        numbered(RaftMessageType::MsgHeartbeat, 1),
                    )
                    .unwrap();
                sleep_ms(10).await;
                assert_eq!(
                    std::iter::from_fn(|| inbox_client.try_recv().ok()).count(),
                    0
                );
                assert_eq!(numbers(&mut inbox_node), vec![1]);
                assert_eq!(network.stats().dropped, 1);
            })
        });
    }

    #[test]
    fn delay_duplicate_and_reorder_do_what_they_say() {
        on_network(|network| {
            Box::pin(async move {
                let (one, two, three) = (Address::Node(1), Address::Node(2), Address::Node(3));
                let mut inbox_two = network.register(two);
                let mut inbox_three = network.register(three);
                network.add_link_fault(
                    1,
                    rule(
                        Some(1),
                        Some(2),
                        vec![MessageKind::Heartbeat],
                        LinkEffect::Delay {
                            latency_ms: 100,
                            jitter_ms: 0,
                        },
                    ),
                );
                network
                    .send(one, two, numbered(RaftMessageType::MsgHeartbeat, 1))
                    .unwrap();
                network
                    .send(one, two, numbered(RaftMessageType::MsgAppend, 2))
                    .unwrap();
                sleep_ms(50).await;
                // The append waits behind the delayed heartbeat: the link stays in order.
                assert_eq!(numbers(&mut inbox_two), Vec::<u64>::new());
                sleep_ms(60).await;
                assert_eq!(numbers(&mut inbox_two), vec![1, 2]);

                network.add_link_fault(
                    2,
                    rule(
                        Some(1),
                        Some(3),
                        vec![],
                        LinkEffect::Duplicate { percent: 100 },
                    ),
                );
                network
                    .send(one, three, numbered(RaftMessageType::MsgAppend, 9))
                    .unwrap();
                sleep_ms(20).await;
                assert_eq!(numbers(&mut inbox_three), vec![9, 9]);
                assert!(network.lift_link_fault(2));

                network.add_link_fault(
                    3,
                    rule(
                        Some(1),
                        Some(3),
                        vec![],
                        LinkEffect::Reorder { percent: 50 },
                    ),
                );
                for number in 0..40 {
                    network
                        .send(one, three, numbered(RaftMessageType::MsgAppend, number))
                        .unwrap();
                }
                sleep_ms(50).await;
                let arrived = numbers(&mut inbox_three);
                assert_eq!(arrived.len(), 40, "reordered, not lost");
                assert!(
                    arrived.windows(2).any(|pair| pair[0] > pair[1]),
                    "{arrived:?}"
                );
            })
        });
    }

    #[test]
    fn a_clogged_node_neither_hears_nor_is_heard_until_unclogged() {
        on_network(|network| {
            Box::pin(async move {
                let (one, two, three) = (Address::Node(1), Address::Node(2), Address::Node(3));
                let mut inbox_one = network.register(one);
                let mut inbox_two = network.register(two);
                let mut inbox_three = network.register(three);
                assert!(network.clog(2));
                network
                    .send(one, two, numbered(RaftMessageType::MsgAppend, 1))
                    .unwrap();
                network
                    .send(two, three, numbered(RaftMessageType::MsgAppend, 2))
                    .unwrap();
                network
                    .send(three, one, numbered(RaftMessageType::MsgAppend, 3))
                    .unwrap();
                sleep_ms(100).await;
                assert_eq!(numbers(&mut inbox_one), vec![3], "1 and 3 still talk");
                assert_eq!(numbers(&mut inbox_two), Vec::<u64>::new());
                assert_eq!(numbers(&mut inbox_three), Vec::<u64>::new());
                assert!(network.unclog(2));
                sleep_ms(1).await;
                assert_eq!(numbers(&mut inbox_two), vec![1]);
                assert_eq!(numbers(&mut inbox_three), vec![2]);
            })
        });
    }
}
