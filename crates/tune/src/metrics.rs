//! What one run measured, from its history alone: the numbers a tuning grid compares.
//!
//! Every number is simulated time or a count, so the same seed gives the same numbers on
//! every machine. Times are whole microseconds: results files then hold only integers,
//! which read back exactly, so merged shards reproduce an unsharded run byte for byte.

use history::{
    Fault, FaultEvent, History, KvInput, LeaderChange, LinkEffect, NodeId, Op, Outcome, SimTimeNs,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub(crate) const NS_PER_US: u64 = 1_000;

/// A stretch without a successful write (or read) counts as unavailability only when it
/// lasts longer than this, and than [`STALL_LATENCY_MULTIPLE`] times the run's median
/// latency of that kind of request. An ordinary request takes a few network round trips
/// and an fsync (tens of milliseconds on a LAN, over 100 ms with cross-zone latency); an
/// outage lasts at least an election timeout.
pub const STALL_MIN_NS: u64 = 100_000_000;

/// See [`STALL_MIN_NS`]: on a slow network a request that merely took its usual time is
/// not an outage.
pub const STALL_LATENCY_MULTIPLE: u64 = 3;

/// After a fault is undone, elections are still blamed on it for this many election
/// timeouts: a rejoining node may take that long to settle.
const FAULT_AFTERMATH_ELECTION_TIMEOUTS: u64 = 2;

/// The election timeout assumed for histories that do not record one (etcd's default).
const DEFAULT_ELECTION_TIMEOUT_NS: u64 = 1_000_000_000;

/// What one seed's run measured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunMetrics {
    pub seed: u64,
    /// The checks the run violated (empty: every check held).
    pub failed_checks: Vec<String>,
    /// Length of the safety phase: what rates are per.
    pub observed_us: u64,
    /// Per fault that made the leader unreachable (crash, pause, freeze, clog, or a
    /// partition that left it in a minority): from the fault to the first successful
    /// write that a new leader committed (or, when leadership never moved, the first
    /// write called after the fault that succeeded).
    pub failover_us: Vec<u64>,
    /// Such faults after which no write succeeded before the run ended.
    pub failovers_unfinished: u64,
    /// Per completed failover (as in `failover_us`, in the same order): the election
    /// rounds it took, counted in terms: the term of the leader at the first successful
    /// write minus the term of the leader lost. 1 is one election; 2 or more means a
    /// round failed (a split vote, or a survivor still inside check-quorum's leader lease
    /// ignored the first candidate); 0: leadership never moved. Without pre-vote every
    /// campaign takes a term; with it, failed pre-votes take none and are not counted.
    #[serde(default)]
    pub election_rounds: Vec<u64>,
    /// Total length of the stretches, longer than [`STALL_MIN_NS`] and three times the
    /// median write latency, during which a write was waiting and none succeeded.
    pub write_unavailable_us: u64,
    /// The same for linearizable reads.
    pub read_unavailable_us: u64,
    /// Leaders elected in the safety phase after the first.
    pub elections: u64,
    /// Of those, the ones no fault that stops or cuts off a node explains (none under way,
    /// none undone within two election timeouts): the leader was alive and reachable, at
    /// most slow (latency spikes, lossy links, a slow disk), and the cluster elected anew
    /// anyway. That is what too short an election timeout costs.
    pub needless_elections: u64,
    /// Per pause of a client that held a lock: from the pause to the next acquisition of
    /// that lock by another client.
    pub handover_us: Vec<u64>,
    /// Such pauses after which nobody else acquired the lock before the run ended.
    pub handovers_unfinished: u64,
    /// Leases the leader expired (not revoked by their client).
    pub lease_expiries: u64,
    /// Of those, the ones whose holder was alive and renewing: it sent a keep-alive within
    /// the lease's TTL before the expiry, which no acknowledgement answered.
    pub spurious_lease_expiries: u64,
    /// Per lease the leader expired: from the send of its last acknowledged grant or
    /// keep-alive to the expiry (the TTL a client can count on, plus what the cluster
    /// added: leader changes, the lessor's checks, the revoke's commit).
    #[serde(default)]
    pub lease_expiry_us: Vec<u64>,
    /// Per lease expired by a leader promoted after the lease's last acknowledged grant
    /// or keep-alive was sent: from that promotion to the expiry. Without checkpoints a
    /// new leader restarts every lease at its full TTL plus an election timeout, so this
    /// comes out near TTL + election timeout however much of the TTL had run.
    #[serde(default)]
    pub lease_expiry_from_promotion_us: Vec<u64>,
    /// Times a client acquired a lock.
    pub lock_acquisitions: u64,
    /// Acquisitions made while another client still believed it held the same lock.
    pub overlapping_acquisitions: u64,
    /// Updates to the lock-protected resource that were lost (overwritten by a write
    /// based on a stale read) plus writes accepted with a stale token.
    pub lost_resource_writes: u64,
    /// Latency of successful linearizable reads; `None` when there were none.
    pub read_latency_us: Option<Percentiles>,
    /// Latency of successful writes (put, delete, compare-and-swap).
    pub write_latency_us: Option<Percentiles>,
}

/// The median and 99th percentile of one run's latencies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Percentiles {
    pub p50: u64,
    pub p99: u64,
}

/// What a run's history does not say about the run.
#[derive(Clone, Copy, Debug)]
pub struct RunShape {
    /// Raft members at the start.
    pub nodes: u64,
    /// Length of the safety phase, in ns.
    pub safety_phase_ns: u64,
    /// When clients start, in ns.
    pub clients_start_ns: u64,
}

impl RunMetrics {
    /// Measures `history`; `failed_checks` is the verdict's, which the caller computed.
    pub fn measure(history: &History, shape: RunShape, failed_checks: Vec<String>) -> RunMetrics {
        let (failover_us, failovers_unfinished) = failovers(history, shape.nodes);
        let election_rounds = election_rounds(history, shape.nodes);
        let (lease_expiry_us, lease_expiry_from_promotion_us) =
            crate::lease_timing::lease_expiry_times(history);
        let (handover_us, handovers_unfinished) = handovers(history);
        let (elections, needless_elections) = elections(history, shape.safety_phase_ns);
        let (lease_expiries, spurious_lease_expiries) = lease_expiries(history);
        RunMetrics {
            seed: history.seed,
            failed_checks,
            observed_us: shape.safety_phase_ns / NS_PER_US,
            failover_us,
            failovers_unfinished,
            election_rounds,
            write_unavailable_us: unavailable_ns(history, shape, is_write) / NS_PER_US,
            read_unavailable_us: unavailable_ns(history, shape, is_read) / NS_PER_US,
            elections,
            needless_elections,
            handover_us,
            handovers_unfinished,
            lease_expiries,
            spurious_lease_expiries,
            lease_expiry_us,
            lease_expiry_from_promotion_us,
            lock_acquisitions: history.lock_holds.len() as u64,
            overlapping_acquisitions: overlapping_acquisitions(history),
            lost_resource_writes: lost_resource_writes(history),
            read_latency_us: latency(history, is_read),
            write_latency_us: latency(history, is_write),
        }
    }
}

fn is_write(op: &Op) -> bool {
    !is_read(op)
}

fn is_read(op: &Op) -> bool {
    matches!(op.input, KvInput::Get { .. })
}

fn succeeded(op: &Op) -> bool {
    matches!(op.outcome, Outcome::Ok(_))
}

/// The most recent leader election at or before `at_ns`.
fn leader_change_at(history: &History, at_ns: SimTimeNs) -> Option<&LeaderChange> {
    history
        .leaders
        .iter()
        .take_while(|change| change.at_ns <= at_ns)
        .last()
}

/// The nodes `fault` cuts off from a quorum, or stops outright.
fn unreachable_nodes(fault: &Fault, nodes: u64) -> Vec<NodeId> {
    match fault {
        Fault::Crash { node, .. }
        | Fault::Pause { node }
        | Fault::Freeze { node }
        | Fault::Clog { node } => vec![*node],
        Fault::Partition { sides } => sides
            .iter()
            .filter(|side| (side.len() as u64) * 2 <= nodes)
            .flatten()
            .copied()
            .collect(),
        _ => Vec::new(),
    }
}

fn failovers(history: &History, nodes: u64) -> (Vec<u64>, u64) {
    let mut times = Vec::new();
    let mut unfinished = 0;
    for (lost_ns, _, recovered) in leader_losses(history, nodes) {
        match recovered {
            Some(at_ns) => times.push((at_ns - lost_ns) / NS_PER_US),
            None => unfinished += 1,
        }
    }
    (times, unfinished)
}

/// Per completed failover, the terms between the leader lost and the leader at the first
/// successful write after the loss.
fn election_rounds(history: &History, nodes: u64) -> Vec<u64> {
    leader_losses(history, nodes)
        .into_iter()
        .filter_map(|(_, lost_term, recovered)| {
            let recovered_ns = recovered?;
            let term = history
                .leaders
                .iter()
                .take_while(|change| change.at_ns <= recovered_ns)
                .last()
                .map_or(lost_term, |change| change.term);
            Some(term.saturating_sub(lost_term))
        })
        .collect()
}

/// The faults that made the leader unreachable, in order: when each struck, the lost
/// leader's term, and when the first write succeeded after it (`None`: none did).
fn leader_losses(history: &History, nodes: u64) -> Vec<(SimTimeNs, u64, Option<SimTimeNs>)> {
    let mut losses = Vec::new();
    // A fault that strikes before the last loss has been recovered from is part of the
    // same outage.
    let mut recovered_ns = 0;
    for event in &history.faults {
        let Some(leader) = leader_change_at(history, event.at_ns) else {
            continue;
        };
        if event.at_ns < recovered_ns
            || !unreachable_nodes(&event.fault, nodes).contains(&leader.node)
        {
            continue;
        }
        let recovered = first_write_after_loss(history, event.at_ns);
        recovered_ns = recovered.unwrap_or(SimTimeNs::MAX);
        losses.push((event.at_ns, leader.term, recovered));
    }
    losses
}

/// When the first write succeeded after the leader was lost at `lost_ns`. A write called
/// before the loss counts only if it returned after a new leader was elected: the old
/// leader may have committed it before the fault and its answer still been on the way.
fn first_write_after_loss(history: &History, lost_ns: SimTimeNs) -> Option<SimTimeNs> {
    let next_leader_ns = history
        .leaders
        .iter()
        .map(|change| change.at_ns)
        .find(|&at_ns| at_ns > lost_ns);
    history
        .ops
        .iter()
        .filter(|op| is_write(op) && succeeded(op))
        .filter_map(|op| {
            let returned_ns = op.return_ns?;
            let counts = returned_ns > lost_ns
                && (op.call_ns >= lost_ns || next_leader_ns.is_some_and(|at| returned_ns >= at));
            counts.then_some(returned_ns)
        })
        .min()
}

/// Total time, in ns, that ops of one kind (`selects`) waited in stretches of more than
/// [`STALL_MIN_NS`] (or a multiple of their median latency) with no success: between two successes (or the clients' start and
/// the end of the safety phase), from the first moment one was waiting to the next
/// success. Clients idle between operations do not count; clients backing off after
/// errors do, since the stretch runs until something succeeds.
fn unavailable_ns(history: &History, shape: RunShape, selects: fn(&Op) -> bool) -> u64 {
    let end_ns = shape.safety_phase_ns;
    let ops: Vec<&Op> = history
        .ops
        .iter()
        .filter(|op| selects(op) && op.call_ns < end_ns)
        .collect();
    if ops.is_empty() {
        return 0;
    }
    let mut successes: Vec<SimTimeNs> = ops
        .iter()
        .filter(|op| succeeded(op))
        .filter_map(|op| op.return_ns)
        .filter(|&at| at <= end_ns)
        .collect();
    let mut latencies: Vec<u64> = ops
        .iter()
        .filter(|op| succeeded(op))
        .filter_map(|op| op.return_ns.map(|at| at - op.call_ns))
        .collect();
    latencies.sort_unstable();
    let stall_min_ns = latencies
        .get(latencies.len() / 2)
        .map_or(STALL_MIN_NS, |median| {
            STALL_MIN_NS.max(STALL_LATENCY_MULTIPLE * median)
        });
    successes.sort_unstable();
    successes.push(end_ns);
    // Calls in order, each with the latest return among it and the calls before it: a call
    // is waiting at moment `t` iff one at or before `t` returns after it.
    let mut calls: Vec<(SimTimeNs, SimTimeNs)> = ops
        .iter()
        .map(|op| (op.call_ns, op.return_ns.unwrap_or(SimTimeNs::MAX)))
        .collect();
    calls.sort_unstable();
    let mut latest_return = 0;
    for call in &mut calls {
        latest_return = latest_return.max(call.1);
        call.1 = latest_return;
    }
    let mut total = 0;
    let mut gap_start = shape.clients_start_ns;
    for &success in &successes {
        let before = calls.partition_point(|&(call, _)| call <= gap_start);
        let waiting_from = if before > 0 && calls[before - 1].1 > gap_start {
            Some(gap_start)
        } else {
            calls
                .get(before)
                .map(|&(call, _)| call)
                .filter(|&call| call < success)
        };
        if let Some(from) = waiting_from {
            let stall = success.saturating_sub(from);
            if stall > stall_min_ns {
                total += stall;
            }
        }
        gap_start = gap_start.max(success);
    }
    total
}

/// Elections after the first leader, within the safety phase, and how many of them no
/// fault that stops or cuts off a node explains.
fn elections(history: &History, safety_phase_ns: u64) -> (u64, u64) {
    let timeout_ns = history
        .election_timeout_ns
        .unwrap_or(DEFAULT_ELECTION_TIMEOUT_NS);
    let disturbed = fault_windows(&history.faults, history.last_recorded_ns());
    let aftermath_ns = FAULT_AFTERMATH_ELECTION_TIMEOUTS * timeout_ns;
    let mut all = 0;
    let mut needless = 0;
    for change in history
        .leaders
        .iter()
        .skip(1)
        .filter(|change| change.at_ns <= safety_phase_ns)
    {
        all += 1;
        let explained = disturbed
            .iter()
            .any(|&(from, to)| from <= change.at_ns && change.at_ns <= to + aftermath_ns);
        if !explained {
            needless += 1;
        }
    }
    (all, needless)
}

/// What a fault window is keyed by: the fault that opens it is closed by the next event
/// with the same key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum WindowKey {
    NodeDown(NodeId),
    NodePaused(NodeId),
    NodeFrozen(NodeId),
    NodeClogged(NodeId),
    ClockRate(NodeId),
    Link(u64),
    Network,
}

/// Intervals (from, to) during which a fault that stops a node or cuts it off was in
/// effect: crashes, pauses, freezes, clogs, partitions and cuts, links that hold or drop
/// every message, clock faults. Instant faults (a clock jump, a membership change) are
/// windows of no length; faults never undone last to `run_end_ns`. Faults that only slow
/// a node down (delays, partial loss, duplicates, reordering, a slow disk) are left out,
/// as are client pauses: an election under them is one a longer timeout would have
/// avoided.
fn fault_windows(faults: &[FaultEvent], run_end_ns: SimTimeNs) -> Vec<(SimTimeNs, SimTimeNs)> {
    let mut open: BTreeMap<WindowKey, SimTimeNs> = BTreeMap::new();
    let mut windows = Vec::new();
    let close = |open: &mut BTreeMap<WindowKey, SimTimeNs>,
                 windows: &mut Vec<(SimTimeNs, SimTimeNs)>,
                 key: WindowKey,
                 at: SimTimeNs| {
        if let Some(from) = open.remove(&key) {
            windows.push((from, at));
        }
    };
    for event in faults {
        let at = event.at_ns;
        let mut opens = |key: WindowKey| {
            open.entry(key).or_insert(at);
        };
        match &event.fault {
            Fault::Crash { node, .. } => opens(WindowKey::NodeDown(*node)),
            Fault::Pause { node } => opens(WindowKey::NodePaused(*node)),
            Fault::Freeze { node } => opens(WindowKey::NodeFrozen(*node)),
            Fault::Clog { node } => opens(WindowKey::NodeClogged(*node)),
            Fault::ClockRate { node, rate_percent } if *rate_percent != 100 => {
                opens(WindowKey::ClockRate(*node))
            }
            Fault::LinkFault { id, effect, .. } if cuts_off(effect) => opens(WindowKey::Link(*id)),
            Fault::Partition { .. } | Fault::Cut { .. } => opens(WindowKey::Network),
            Fault::ClockJump { .. } | Fault::MemberRemoved { .. } | Fault::MemberAdded { .. } => {
                windows.push((at, at))
            }
            Fault::Restart { node } => {
                close(&mut open, &mut windows, WindowKey::NodeDown(*node), at)
            }
            Fault::Resume { node } => {
                close(&mut open, &mut windows, WindowKey::NodePaused(*node), at)
            }
            Fault::Thaw { node } => {
                close(&mut open, &mut windows, WindowKey::NodeFrozen(*node), at)
            }
            Fault::Unclog { node } => {
                close(&mut open, &mut windows, WindowKey::NodeClogged(*node), at)
            }
            Fault::ClockRate { node, .. } => {
                close(&mut open, &mut windows, WindowKey::ClockRate(*node), at)
            }
            Fault::LinkRestored { id } => close(&mut open, &mut windows, WindowKey::Link(*id), at),
            Fault::Heal => {
                close(&mut open, &mut windows, WindowKey::Network, at);
                let links: Vec<WindowKey> = open
                    .keys()
                    .filter(|key| matches!(key, WindowKey::Link(_)))
                    .cloned()
                    .collect();
                for key in links {
                    close(&mut open, &mut windows, key, at);
                }
            }
            Fault::LinkFault { .. }
            | Fault::SlowDisk { .. }
            | Fault::DiskRestored { .. }
            | Fault::ClientPause { .. }
            | Fault::ClientResume { .. } => {}
        }
    }
    windows.extend(open.into_values().map(|from| (from, run_end_ns)));
    windows
}

/// Whether a link fault cuts its links off (holds or drops every message), rather than
/// only slowing them.
fn cuts_off(effect: &LinkEffect) -> bool {
    match effect {
        LinkEffect::Hold => true,
        LinkEffect::Loss { percent } => *percent >= 100,
        LinkEffect::Delay { .. } | LinkEffect::Duplicate { .. } | LinkEffect::Reorder { .. } => {
            false
        }
    }
}

/// Per pause of a lock holder, how long until another client acquired that lock.
fn handovers(history: &History) -> (Vec<u64>, u64) {
    let mut times = Vec::new();
    let mut unfinished = 0;
    for event in &history.faults {
        let Fault::ClientPause { client } = event.fault else {
            continue;
        };
        let paused_ns = event.at_ns;
        let held = history.lock_holds.iter().find(|hold| {
            hold.client == client
                && hold.acquired_ns <= paused_ns
                && hold.released_ns.is_none_or(|at| at > paused_ns)
        });
        let Some(held) = held else {
            continue;
        };
        let next = history
            .lock_holds
            .iter()
            .filter(|hold| {
                hold.lock == held.lock && hold.client != client && hold.acquired_ns > paused_ns
            })
            .map(|hold| hold.acquired_ns)
            .min();
        match next {
            Some(at_ns) => times.push((at_ns - paused_ns) / NS_PER_US),
            None => unfinished += 1,
        }
    }
    (times, unfinished)
}

fn lease_expiries(history: &History) -> (u64, u64) {
    let mut expiries = 0;
    let mut spurious = 0;
    for end in history.lease_ends.iter().filter(|end| end.expired) {
        expiries += 1;
        let renewals = || {
            history
                .lease_renewals
                .iter()
                .filter(|renewal| renewal.lease == end.lease)
        };
        let Some(ttl_s) = renewals()
            .filter_map(|renewal| renewal.acked.map(|ack| ack.ttl_s))
            .max()
        else {
            continue;
        };
        let window_start_ns = end.at_ns.saturating_sub(ttl_s * 1_000_000_000);
        if renewals()
            .any(|renewal| renewal.sent_ns > window_start_ns && renewal.sent_ns <= end.at_ns)
        {
            spurious += 1;
        }
    }
    (expiries, spurious)
}

/// Acquisitions made while another client's critical section on the same lock was still
/// open (a holder that never left it is counted as holding to the end of the run).
fn overlapping_acquisitions(history: &History) -> u64 {
    let run_end_ns = history.last_recorded_ns();
    history
        .lock_holds
        .iter()
        .filter(|hold| {
            history.lock_holds.iter().any(|other| {
                other.lock == hold.lock
                    && other.client != hold.client
                    && other.acquired_ns < hold.acquired_ns
                    && hold.acquired_ns < other.released_ns.unwrap_or(run_end_ns)
            })
        })
        .count() as u64
}

/// Replays the protected resource: each accepted write should have read what the one
/// before it wrote. Counts the elements lost to writes that did not, and writes accepted
/// with a token lower than one accepted before.
fn lost_resource_writes(history: &History) -> u64 {
    let mut value: &[u64] = &[];
    let mut highest_token = 0;
    let mut lost = 0;
    for write in history
        .resource_writes
        .iter()
        .filter(|write| write.accepted)
    {
        if write.token < highest_token {
            lost += 1;
        }
        highest_token = highest_token.max(write.token);
        lost += value
            .iter()
            .filter(|element| !write.wrote.contains(element))
            .count() as u64;
        value = &write.wrote;
    }
    lost
}

fn latency(history: &History, selects: fn(&Op) -> bool) -> Option<Percentiles> {
    let mut latencies: Vec<u64> = history
        .ops
        .iter()
        .filter(|op| selects(op) && succeeded(op))
        .filter_map(|op| op.return_ns.map(|at| (at - op.call_ns) / NS_PER_US))
        .collect();
    if latencies.is_empty() {
        return None;
    }
    latencies.sort_unstable();
    Some(Percentiles {
        p50: nearest_rank(&latencies, 50),
        p99: nearest_rank(&latencies, 99),
    })
}

/// The nearest-rank percentile of sorted, non-empty `values`.
pub fn nearest_rank(values: &[u64], percent: usize) -> u64 {
    let rank = (values.len() * percent).div_ceil(100).max(1);
    values[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use history::KvOutput;

    const MS: u64 = 1_000_000;

    fn leader(node: NodeId, term: u64, at_ms: u64) -> LeaderChange {
        LeaderChange {
            at_ns: at_ms * MS,
            node,
            term,
        }
    }

    fn fault(at_ms: u64, fault: Fault) -> FaultEvent {
        FaultEvent {
            at_ns: at_ms * MS,
            fault,
            lasting: false,
        }
    }

    fn write(id: u64, call_ms: u64, return_ms: u64) -> Op {
        Op {
            id,
            client: 1,
            call_ns: call_ms * MS,
            return_ns: Some(return_ms * MS),
            input: KvInput::Put {
                key: "k".to_string(),
                value: id.to_string(),
            },
            outcome: Outcome::Ok(KvOutput::Put { revision: id }),
        }
    }

    #[test]
    fn election_rounds_count_the_terms_a_failover_took() {
        let mut history = History::new("failover", 0);
        history.leaders = vec![
            leader(1, 1, 0),
            // Node 1 crashes at 1 s; term 2's candidate fails (a survivor still in its
            // leader lease ignores it), term 3 wins.
            leader(2, 3, 2_500),
            // Node 2 is paused at 5 s; one round.
            leader(3, 4, 6_000),
        ];
        history.faults = vec![
            fault(
                1_000,
                Fault::Crash {
                    node: 1,
                    at_step: None,
                },
            ),
            fault(5_000, Fault::Pause { node: 2 }),
            // Node 3 crashes at 8 s and no write succeeds after: unfinished, no count.
            fault(
                8_000,
                Fault::Crash {
                    node: 3,
                    at_step: None,
                },
            ),
        ];
        history.ops = vec![
            write(1, 900, 950),
            write(2, 1_100, 2_600),
            write(3, 5_500, 6_100),
        ];
        let (failover_us, unfinished) = failovers(&history, 3);
        assert_eq!(failover_us, vec![1_600_000, 1_100_000]);
        assert_eq!(unfinished, 1);
        assert_eq!(election_rounds(&history, 3), vec![2, 1]);
    }

    #[test]
    fn a_failover_without_a_new_leader_took_no_round() {
        let mut history = History::new("pause", 0);
        history.leaders = vec![leader(1, 1, 0)];
        // The leader is paused for less than an election timeout: it still leads after.
        history.faults = vec![fault(1_000, Fault::Pause { node: 1 })];
        history.ops = vec![write(1, 1_200, 1_500)];
        assert_eq!(election_rounds(&history, 3), vec![0]);
    }
}
