//! `lockstep explain REPORT_DIR`: a short account of a failure, in simulated time: what
//! failed, then every fault, election and piece of evidence around it, with who led then.

use crate::outcome::{judge, say, EXIT_BAD_INPUT};
use check::{CheckResult, Evidence};
use history::{History, LockHold, Op};
use report::{describe_fault, seconds};
use std::path::Path;

/// The account starts this long before the first piece of evidence.
const LEAD_IN_NS: u64 = 1_000_000_000;
/// And ends this long after the last.
const LEAD_OUT_NS: u64 = 500_000_000;

const NS_PER_S: u64 = 1_000_000_000;

pub fn explain(report: &Path) -> u8 {
    let history_path = report.join("history.json");
    let text = match std::fs::read_to_string(&history_path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: {}: cannot read: {error}", history_path.display());
            return EXIT_BAD_INPUT;
        }
    };
    let history = match History::from_json(&text) {
        Ok(history) => history,
        Err(error) => {
            eprintln!("error: {}: {error}", history_path.display());
            return EXIT_BAD_INPUT;
        }
    };
    let verdict = judge(&history);
    say!("{} seed {}", history.scenario, history.seed);
    let failed = verdict
        .checks
        .iter()
        .find_map(|report| match &report.result {
            CheckResult::Violation { summary, evidence } => Some((report, summary, evidence)),
            _ => None,
        });
    let Some((failed, summary, evidence)) = failed else {
        say!("{}", verdict.summary().trim_end());
        say!("nothing to explain: no check found a violation");
        return verdict.exit_code() as u8;
    };
    say!("what failed: {}: {summary}", failed.check);
    let mut moments = evidence_moments(&history, evidence);
    // The ends of the leases the evidence is about belong to the story, even when they
    // came a while before it (a holder's lease expiring during its pause).
    let (leases, keys) = leases_and_keys(evidence);
    for end in history
        .lease_ends
        .iter()
        .filter(|end| leases.contains(&end.lease))
    {
        let how = match end.expired_by {
            Some(node) => format!("expired by node {node}'s lessor"),
            None => "revoked by its client".to_string(),
        };
        moments.push((
            end.at_ns,
            format!("lease {:x} ends, {how}, deleting {:?}", end.lease, end.keys),
        ));
    }
    let (Some(first_ns), Some(last_ns)) = (
        moments.iter().map(|(at_ns, _)| *at_ns).min(),
        moments.iter().map(|(at_ns, _)| *at_ns).max(),
    ) else {
        return verdict.exit_code() as u8;
    };
    let (from_ns, to_ns) = (first_ns.saturating_sub(LEAD_IN_NS), last_ns + LEAD_OUT_NS);
    match history
        .leaders
        .iter()
        .filter(|change| change.at_ns < from_ns)
        .max_by_key(|change| (change.term, change.at_ns))
    {
        Some(change) => say!(
            "at {}: node {} leads (term {}, since {})",
            seconds(from_ns),
            change.node,
            change.term,
            seconds(change.at_ns)
        ),
        None => say!("at {}: no leader elected yet", seconds(from_ns)),
    }
    let within = |at_ns: u64| (from_ns..=to_ns).contains(&at_ns);
    for event in history.faults.iter().filter(|event| within(event.at_ns)) {
        moments.push((
            event.at_ns,
            format!("fault: {}", describe_fault(&event.fault)),
        ));
    }
    // The store's hand-overs to the keys the evidence is about.
    for change in history
        .lock_owners
        .iter()
        .filter(|change| within(change.at_ns))
    {
        if let Some(owner) = change
            .owner
            .as_ref()
            .filter(|owner| keys.contains(&owner.key))
        {
            moments.push((
                change.at_ns,
                format!(
                    "the store gives {} to key {} (revision {})",
                    change.lock, owner.key, change.revision
                ),
            ));
        }
    }
    for change in history.leaders.iter().filter(|change| within(change.at_ns)) {
        moments.push((
            change.at_ns,
            format!("node {} became leader of term {}", change.node, change.term),
        ));
    }
    moments.sort();
    moments.dedup();
    for (at_ns, what) in moments {
        say!("  {:>10}  {what}", seconds(at_ns));
    }
    verdict.exit_code() as u8
}

/// The leases and lock keys the evidence is about, to follow their ends and ownership.
fn leases_and_keys(evidence: &Evidence) -> (Vec<u64>, Vec<String>) {
    let holds: Vec<&LockHold> = match evidence {
        Evidence::LockHeldWithoutOwnership { hold, .. }
        | Evidence::LockKeyTakenFromHolder { hold, .. } => vec![hold],
        Evidence::LockHoldersOverlap { first, second, .. } => vec![first, second],
        _ => Vec::new(),
    };
    let mut leases: Vec<u64> = holds.iter().map(|hold| hold.lease).collect();
    match evidence {
        Evidence::LeaseExpiredEarly { end, .. } | Evidence::LeaseBelievedTooLong { end, .. } => {
            leases.push(end.lease);
        }
        Evidence::LeaseExpiredLate { lease, .. } => leases.push(*lease),
        _ => {}
    }
    let keys = holds.iter().map(|hold| hold.key.clone()).collect();
    (leases, keys)
}

fn op_moments(moments: &mut Vec<(u64, String)>, op: &Op) {
    let input = serde_json::to_string(&op.input).unwrap_or_default();
    moments.push((
        op.call_ns,
        format!("client {} calls op {}: {input}", op.client, op.id),
    ));
    if let Some(return_ns) = op.return_ns {
        let outcome = serde_json::to_string(&op.outcome).unwrap_or_default();
        moments.push((return_ns, format!("op {} returns {outcome}", op.id)));
    }
}

fn hold_moments(moments: &mut Vec<(u64, String)>, hold: &LockHold) {
    moments.push((
        hold.acquired_ns,
        format!(
            "client {} takes {} (key {}, token {}, lease {:x})",
            hold.client, hold.lock, hold.key, hold.create_revision, hold.lease
        ),
    ));
    if let Some(released_ns) = hold.released_ns {
        moments.push((
            released_ns,
            format!(
                "client {} leaves its critical section on {}",
                hold.client, hold.lock
            ),
        ));
    }
}

/// The moments the evidence names, in words.
fn evidence_moments(history: &History, evidence: &Evidence) -> Vec<(u64, String)> {
    let mut moments = Vec::new();
    let op = |id: u64| history.ops.iter().find(|op| op.id == id);
    match evidence {
        Evidence::Linearizability(violation) => {
            let recent = violation.linearized_prefix.iter().rev().take(3);
            for id in violation.stuck_ops.iter().chain(recent) {
                if let Some(op) = op(*id) {
                    op_moments(&mut moments, op);
                }
            }
        }
        Evidence::RevisionWentBack {
            earlier_op,
            later_op,
            ..
        } => {
            for id in [earlier_op, later_op] {
                if let Some(op) = op(*id) {
                    op_moments(&mut moments, op);
                }
            }
        }
        Evidence::ElectionSafety { term, elected } => {
            for (node, at_ns) in elected {
                moments.push((*at_ns, format!("node {node} elected in term {term}")));
            }
        }
        Evidence::LockHeldWithoutOwnership { hold, .. } => hold_moments(&mut moments, hold),
        Evidence::LockKeyTakenFromHolder { hold, change } => {
            hold_moments(&mut moments, hold);
            moments.push((
                change.at_ns,
                format!(
                    "the store's owner of {} changes away from the holder's key",
                    change.lock
                ),
            ));
        }
        Evidence::LockHoldersOverlap { first, second, .. } => {
            hold_moments(&mut moments, first);
            hold_moments(&mut moments, second);
        }
        Evidence::StaleTokenAccepted { write, .. } | Evidence::LostUpdate { write, .. } => {
            moments.push((
                write.at_ns,
                format!(
                    "client {} writes the resource with token {}",
                    write.client, write.token
                ),
            ));
        }
        Evidence::LeaseExpiredEarly { renewal, .. }
        | Evidence::LeaseBelievedTooLong { renewal, .. } => {
            moments.push((
                renewal.sent_ns,
                format!(
                    "client {} sends a keep-alive of lease {:x}",
                    renewal.client, renewal.lease
                ),
            ));
            if let Some(ack) = renewal.acked {
                moments.push((
                    ack.at_ns,
                    format!("the keep-alive is answered: a {} s TTL", ack.ttl_s),
                ));
                moments.push((
                    renewal.sent_ns + ack.ttl_s * NS_PER_S,
                    "the TTL counted from the send runs out".to_string(),
                ));
            }
            if let Some(believed_until_ns) = renewal.believed_until_ns {
                moments.push((
                    believed_until_ns,
                    format!("client {} stops believing its lease alive", renewal.client),
                ));
            }
        }
        Evidence::LeaseExpiredLate {
            lease,
            last_renewal,
            deadline_ns,
            ..
        } => {
            moments.push((
                last_renewal.sent_ns,
                format!("last renewal of lease {lease:x}"),
            ));
            moments.push((*deadline_ns, format!("lease {lease:x} due to have ended")));
        }
        Evidence::CommittedEntriesChanged { checkpoints, .. }
        | Evidence::ReplicasDiverged { checkpoints, .. } => {
            for checkpoint in checkpoints {
                moments.push((
                    checkpoint.at_ns,
                    format!(
                        "node {} at index {}: log digest {:x}, state {:x}",
                        checkpoint.node,
                        checkpoint.applied_index,
                        checkpoint.log_digest,
                        checkpoint.state_hash
                    ),
                ));
            }
        }
        Evidence::Liveness { .. } => {
            if let Some(probe) = &history.liveness {
                let healed = match history.lasting_faults().count() {
                    0 => "every fault healed".to_string(),
                    lasting => format!("every fault healed but {lasting} lasting"),
                };
                moments.push((probe.healed_at_ns, healed));
                moments.push((probe.deadline_ns, "liveness deadline".to_string()));
            }
        }
    }
    moments
}
