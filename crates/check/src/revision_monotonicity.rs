//! Revisions never go back: an operation called after another one returned observes a
//! store revision no smaller than that one did.
//!
//! Every answer carries the store revision it was served at (etcd's response header
//! revision: a write's new revision, a failed compare-and-swap's or a read's current one).
//! etcd's operations are linearizable, so the store an operation sees already holds every
//! operation that returned before it was called. This covers one client's operations in
//! the order they completed (a client has one in flight at a time), across crashes,
//! restarts and leader changes, and also operations of different clients ordered in real
//! time. It catches what the per-key linearizability check cannot: a read served from a
//! store that is behind on other keys' writes.
//!
//! Gets in histories recorded before reads reported their revision show only the key's
//! mod_revision, a lower bound of the store revision they saw: such a get still bounds the
//! operations after it from below but is not checked itself.

use crate::evidence::count;
use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::{ClientId, History, KvOutput, Op, Outcome};
use std::collections::BTreeMap;

/// What an answered operation shows of the store revision it was served at.
struct Observed<'h> {
    op: &'h Op,
    return_ns: u64,
    /// The revision, when the answer carries it.
    exact: Option<u64>,
    /// The revision is at least this.
    at_least: u64,
}

fn observed(op: &Op) -> Option<Observed<'_>> {
    let (Outcome::Ok(output), Some(return_ns)) = (&op.outcome, op.return_ns) else {
        return None;
    };
    let exact = match output {
        KvOutput::Get { revision, .. } => *revision,
        KvOutput::Put { revision }
        | KvOutput::Delete { revision, .. }
        | KvOutput::Cas { revision, .. } => Some(*revision),
    };
    let at_least = match output {
        KvOutput::Get {
            revision: None,
            mod_revision,
            ..
        } => *mod_revision,
        _ => exact.unwrap_or_default(),
    };
    Some(Observed {
        op,
        return_ns,
        exact,
        at_least,
    })
}

/// Checks that no operation observed a revision below one that an operation which returned
/// before it was called, or an earlier operation of the same client, had observed.
pub fn check_revision_monotonicity(history: &History) -> CheckReport {
    let mut by_return: Vec<Observed> = history.ops.iter().filter_map(observed).collect();
    by_return.sort_by_key(|seen| (seen.return_ns, seen.op.id));
    let mut by_call: Vec<&Observed> = by_return.iter().collect();
    by_call.sort_by_key(|seen| (seen.op.call_ns, seen.op.id));
    // Sweep in call order, keeping the highest revision shown by the operations that
    // returned before the current call, and by each client's operations so far: those
    // came before its next one even when it was called in the nanosecond they returned.
    let mut returned = by_return.iter().peekable();
    let mut highest_returned: Option<&Observed> = None;
    let mut highest_of_client: BTreeMap<ClientId, &Observed> = BTreeMap::new();
    let mut checked = 0;
    let mut went_back = None;
    for &later in &by_call {
        while let Some(earlier) = returned.next_if(|seen| seen.return_ns < later.op.call_ns) {
            highest_returned = Some(higher(highest_returned, earlier));
        }
        let own = highest_of_client.get(&later.op.client).copied();
        if let Some(later_revision) = later.exact {
            checked += 1;
            let bound = own.map_or(highest_returned, |own| Some(higher(highest_returned, own)));
            if let Some(earlier) = bound.filter(|earlier| later_revision < earlier.at_least) {
                went_back = Some((earlier, later, later_revision));
                break;
            }
        }
        highest_of_client.insert(later.op.client, higher(own, later));
    }
    let result = match went_back {
        None => CheckResult::ok(format!(
            "{} with a revision, none below one shown before it was called",
            count(checked, "answer")
        )),
        Some((earlier, later, later_revision)) => {
            let same_client = earlier.op.client == later.op.client;
            let earlier_name = if same_client {
                format!("its op {}", earlier.op.id)
            } else {
                format!("client {}'s op {}", earlier.op.client, earlier.op.id)
            };
            CheckResult::Violation {
                summary: format!(
                    "client {}'s op {} ({} {:?}, called at {:.3} s) observed revision \
                     {later_revision}, below revision {} that {earlier_name} ({} {:?}) \
                     observed, returning at {:.3} s",
                    later.op.client,
                    later.op.id,
                    verb(later.op),
                    later.op.key(),
                    later.op.call_ns as f64 / 1e9,
                    earlier.at_least,
                    verb(earlier.op),
                    earlier.op.key(),
                    earlier.return_ns as f64 / 1e9
                ),
                evidence: Evidence::RevisionWentBack {
                    earlier_client: earlier.op.client,
                    earlier_op: earlier.op.id,
                    earlier_revision: earlier.at_least,
                    later_client: later.op.client,
                    later_op: later.op.id,
                    later_revision,
                },
            }
        }
    };
    CheckReport {
        check: "revisions-never-go-back".to_string(),
        kind: CheckKind::Safety,
        result,
    }
}

/// Whichever shows the higher revision; `first` on a tie.
fn higher<'o>(first: Option<&'o Observed<'o>>, second: &'o Observed<'o>) -> &'o Observed<'o> {
    match first {
        Some(first) if first.at_least >= second.at_least => first,
        _ => second,
    }
}

/// "get", "put", "delete", "cas".
fn verb(op: &Op) -> &'static str {
    match op.input {
        history::KvInput::Get { .. } => "get",
        history::KvInput::Put { .. } => "put",
        history::KvInput::Delete { .. } => "delete",
        history::KvInput::Cas { .. } => "cas",
    }
}
