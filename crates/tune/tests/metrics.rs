//! Each metric on a hand-made history whose right answer is known, including the cases a
//! metric must leave out (a fault that did not touch the leader, an idle client, a lease
//! its holder let go).

use history::{
    Fault, FaultEvent, History, KvInput, KvOutput, LeaderChange, LeaseAck, LeaseEnd, LeaseRenewal,
    LinkEffect, LockHold, Op, Outcome, ResourceWrite,
};
use tune::metrics::{RunMetrics, RunShape};

const MS: u64 = 1_000_000;

fn shape() -> RunShape {
    RunShape {
        nodes: 3,
        safety_phase_ns: 30_000 * MS,
        clients_start_ns: 0,
    }
}

fn measure(history: &History) -> RunMetrics {
    RunMetrics::measure(history, shape(), Vec::new())
}

fn put(history: &mut History, call_ms: u64, return_ms: Option<u64>, ok: bool) {
    let id = history.ops.len() as u64;
    history.ops.push(Op {
        id,
        client: 1,
        call_ns: call_ms * MS,
        return_ns: return_ms.map(|ms| ms * MS),
        input: KvInput::Put {
            key: "k".to_string(),
            value: id.to_string(),
        },
        outcome: if ok {
            Outcome::Ok(KvOutput::Put { revision: id + 2 })
        } else if return_ms.is_some() {
            Outcome::Failed {
                error: "no leader".to_string(),
            }
        } else {
            Outcome::Unknown {
                reason: "timeout".to_string(),
            }
        },
    });
}

fn fault(history: &mut History, at_ms: u64, fault: Fault) {
    history.faults.push(FaultEvent {
        at_ns: at_ms * MS,
        fault,
        lasting: false,
    });
}

fn leader(history: &mut History, at_ms: u64, node: u64, term: u64) {
    history.leaders.push(LeaderChange {
        at_ns: at_ms * MS,
        node,
        term,
    });
}

#[test]
fn failover_runs_from_losing_the_leader_to_a_write_a_new_leader_committed() {
    let mut history = History::new("t", 1);
    leader(&mut history, 1_000, 1, 2);
    // Called before the crash, answered just after it: the old leader committed it.
    put(&mut history, 4_990, Some(5_004), true);
    fault(
        &mut history,
        5_000,
        Fault::Crash {
            node: 1,
            at_step: None,
        },
    );
    put(&mut history, 5_100, Some(5_600), false);
    leader(&mut history, 6_200, 2, 3);
    put(&mut history, 6_000, Some(6_300), true);
    // A crash of a follower is no failover.
    fault(
        &mut history,
        8_000,
        Fault::Crash {
            node: 3,
            at_step: None,
        },
    );
    put(&mut history, 8_100, Some(8_120), true);
    // The new leader isolated in a minority, and no write succeeds again.
    fault(
        &mut history,
        10_000,
        Fault::Partition {
            sides: vec![vec![2], vec![1, 3]],
        },
    );
    put(&mut history, 10_100, None, false);
    let metrics = measure(&history);
    assert_eq!(metrics.failover_us, [1_300_000]);
    assert_eq!(metrics.failovers_unfinished, 1);
}

#[test]
fn unavailability_counts_waiting_without_success_but_not_idle_clients() {
    let mut history = History::new("t", 1);
    leader(&mut history, 100, 1, 2);
    for call_ms in (0..2_000).step_by(50) {
        put(&mut history, call_ms, Some(call_ms + 20), true);
    }
    // Waiting a whole second for an answer: unavailable from its call to its success.
    put(&mut history, 2_000, Some(3_000), true);
    // Idle from 3.02 s to 5 s: nobody waited, so nothing was unavailable.
    put(&mut history, 3_000, Some(3_020), true);
    // Errors, backing off and retrying from 5 s until a success at 5.5 s: unavailable
    // from the first call to the success, pauses between retries included.
    put(&mut history, 5_000, Some(5_040), false);
    put(&mut history, 5_200, Some(5_240), false);
    put(&mut history, 5_400, Some(5_500), true);
    // An ordinary slow request (80 ms) is not an outage.
    put(&mut history, 6_000, Some(6_080), true);
    let metrics = RunMetrics::measure(
        &history,
        RunShape {
            safety_phase_ns: 6_100 * MS,
            ..shape()
        },
        Vec::new(),
    );
    assert_eq!(metrics.write_unavailable_us, 1_000_000 + 500_000);
    assert_eq!(metrics.read_unavailable_us, 0);
    assert_eq!(metrics.write_latency_us.unwrap().p50, 20_000);
    assert_eq!(metrics.write_latency_us.unwrap().p99, 1_000_000);
}

#[test]
fn elections_no_fault_explains_are_needless() {
    let mut history = History::new("t", 1);
    leader(&mut history, 1_000, 1, 2);
    fault(&mut history, 5_000, Fault::Pause { node: 1 });
    leader(&mut history, 6_000, 2, 3);
    fault(&mut history, 7_000, Fault::Resume { node: 1 });
    // Within two election timeouts (default 1 s) of the resume: the fault's aftermath.
    leader(&mut history, 8_500, 1, 4);
    // Long after: nothing explains it.
    leader(&mut history, 20_000, 3, 5);
    // Slow links do not excuse an election: the leader was alive and reachable.
    let link = |id, effect| Fault::LinkFault {
        id,
        from: Vec::new(),
        to: Vec::new(),
        messages: Vec::new(),
        effect,
    };
    let delay = LinkEffect::Delay {
        latency_ms: 400,
        jitter_ms: 50,
    };
    fault(&mut history, 24_000, link(1, delay));
    leader(&mut history, 24_500, 1, 6);
    fault(&mut history, 25_000, Fault::LinkRestored { id: 1 });
    // Links that hold every message cut the leader off: that election is explained.
    fault(&mut history, 27_000, link(2, LinkEffect::Hold));
    leader(&mut history, 27_500, 2, 7);
    fault(&mut history, 28_000, Fault::LinkRestored { id: 2 });
    let metrics = measure(&history);
    assert_eq!(metrics.elections, 5);
    assert_eq!(metrics.needless_elections, 2);
}

fn hold(client: u64, acquired_ms: u64, released_ms: Option<u64>) -> LockHold {
    LockHold {
        client,
        lock: "locks/0".to_string(),
        key: format!("locks/0/{client}"),
        lease: client,
        create_revision: client + 10,
        observed_revision: client + 10,
        acquired_ns: acquired_ms * MS,
        released_ns: released_ms.map(|ms| ms * MS),
        fenced: true,
    }
}

#[test]
fn a_paused_holder_hands_over_after_its_lease_and_overlaps_the_next() {
    let mut history = History::new("t", 1);
    history.lock_holds.push(hold(1, 1_000, Some(7_000)));
    fault(&mut history, 2_000, Fault::ClientPause { client: 1 });
    history.lock_holds.push(hold(2, 4_500, Some(5_000)));
    fault(&mut history, 6_000, Fault::ClientResume { client: 1 });
    // A pause of a client holding nothing hands nothing over.
    fault(&mut history, 9_000, Fault::ClientPause { client: 2 });
    let metrics = measure(&history);
    assert_eq!(metrics.handover_us, [2_500_000]);
    assert_eq!(metrics.handovers_unfinished, 0);
    assert_eq!(metrics.lock_acquisitions, 2);
    assert_eq!(metrics.overlapping_acquisitions, 1);
}

fn renewal(lease: u64, sent_ms: u64, acked: bool) -> LeaseRenewal {
    LeaseRenewal {
        client: lease,
        lease,
        sent_ns: sent_ms * MS,
        acked: acked.then_some(LeaseAck {
            at_ns: (sent_ms + 10) * MS,
            ttl_s: 2,
        }),
        believed_until_ns: None,
    }
}

fn expiry(lease: u64, at_ms: u64) -> LeaseEnd {
    LeaseEnd {
        lease,
        revision: lease + 100,
        at_ns: at_ms * MS,
        expired: true,
        keys: Vec::new(),
        expired_by: Some(1),
    }
}

#[test]
fn an_expiry_is_spurious_only_if_its_holder_was_still_renewing() {
    let mut history = History::new("t", 1);
    // Lease 7's holder kept trying: its keep-alive at 2.5 s went unanswered.
    history.lease_renewals.push(renewal(7, 1_000, true));
    history.lease_renewals.push(renewal(7, 2_500, false));
    history.lease_ends.push(expiry(7, 3_200));
    // Lease 8's holder went quiet after 1 s: its expiry is the lease doing its job.
    history.lease_renewals.push(renewal(8, 1_000, true));
    history.lease_ends.push(expiry(8, 3_100));
    // A revoke is no expiry.
    history.lease_renewals.push(renewal(9, 1_000, true));
    history.lease_ends.push(LeaseEnd {
        expired: false,
        expired_by: None,
        ..expiry(9, 1_500)
    });
    let metrics = measure(&history);
    assert_eq!(metrics.lease_expiries, 2);
    assert_eq!(metrics.spurious_lease_expiries, 1);
}

fn write(token: u64, read: &[u64], wrote: &[u64], accepted: bool) -> ResourceWrite {
    ResourceWrite {
        client: token,
        token,
        read: read.to_vec(),
        wrote: wrote.to_vec(),
        at_ns: token * MS,
        accepted,
    }
}

#[test]
fn lost_resource_writes_count_overwritten_updates_and_stale_tokens() {
    let mut history = History::new("t", 1);
    history.resource_writes.push(write(5, &[], &[5], true));
    history.resource_writes.push(write(6, &[5], &[5, 6], true));
    // Read before token 6 wrote: 6's element is lost.
    history.resource_writes.push(write(7, &[5], &[5, 7], true));
    // Refused writes change nothing.
    history.resource_writes.push(write(3, &[], &[3], false));
    // Accepted with a token below 7: stale.
    history
        .resource_writes
        .push(write(4, &[5, 7], &[5, 7, 4], true));
    assert_eq!(measure(&history).lost_resource_writes, 2);
    history.resource_writes.truncate(2);
    assert_eq!(measure(&history).lost_resource_writes, 0);
}
