//! Lock mutual exclusion, in two views.
//!
//! - `lock-owner` (server truth): a client may only believe it holds a lock if the store
//!   made its key the owner: at the revision its wait ended on, the owner recorded by the
//!   store must be its key. A recipe bug (granting a waiter whose key expired, deleting a
//!   newer key of the same session) breaks this.
//! - `lock-holders-overlap` (client view): two clients' critical sections must not overlap
//!   in simulated time. A holder paused past its lease's TTL still believes it holds the
//!   lock while the store has moved on, so with etcd's recipe this can happen even when the
//!   store is right: it is unsafe by design, and a violation unless both holders fenced
//!   their writes (then the protected resource, not the lock, decides; see
//!   [`crate::check_fenced_resource`]).

use crate::evidence::seconds;
use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::{History, LockHold, LockOwnership};

/// Checks both views; empty when the history has no lock holds.
pub fn check_lock_exclusion(history: &History) -> Vec<CheckReport> {
    if history.lock_holds.is_empty() {
        return Vec::new();
    }
    vec![check_owner(history), check_overlap(history)]
}

/// The owner the store recorded for `lock` as of `revision`.
fn owner_at<'h>(history: &'h History, lock: &str, revision: u64) -> Option<&'h LockOwnership> {
    history
        .lock_owners
        .iter()
        .filter(|change| change.lock == lock && change.revision <= revision)
        .max_by_key(|change| change.revision)
}

fn check_owner(history: &History) -> CheckReport {
    let wrongly_held = history.lock_holds.iter().find_map(|hold| {
        let owner = owner_at(history, &hold.lock, hold.observed_revision);
        let owned = owner
            .and_then(|change| change.owner.as_ref())
            .is_some_and(|owner| {
                owner.key == hold.key && owner.create_revision == hold.create_revision
            });
        (!owned).then(|| (hold.clone(), owner.cloned()))
    });
    let result = match wrongly_held {
        None => CheckResult::ok(format!(
            "{} holds, each by the key the store made owner",
            history.lock_holds.len()
        )),
        Some((hold, owner)) => {
            let owner_words = match owner.as_ref().and_then(|change| change.owner.as_ref()) {
                Some(owner) => format!(
                    "the store's owner was {} (lease {:x}, create revision {})",
                    owner.key, owner.lease, owner.create_revision
                ),
                None => "the store had no owner".to_string(),
            };
            CheckResult::Violation {
                summary: format!(
                    "client {} held {} with key {} from {}, but at revision {} {owner_words}",
                    hold.client,
                    hold.lock,
                    hold.key,
                    seconds(hold.acquired_ns),
                    hold.observed_revision
                ),
                evidence: Evidence::LockHeldWithoutOwnership {
                    hold: Box::new(hold),
                    owner: owner.map(Box::new),
                },
            }
        }
    };
    CheckReport {
        check: "lock-owner".to_string(),
        kind: CheckKind::Safety,
        result,
    }
}

/// The last moment the history knows of: a hold never released lasts until then.
fn run_end_ns(history: &History) -> u64 {
    let ops = history
        .ops
        .iter()
        .map(|op| op.return_ns.unwrap_or(op.call_ns));
    let holds = history
        .lock_holds
        .iter()
        .map(|hold| hold.released_ns.unwrap_or(hold.acquired_ns));
    ops.chain(holds)
        .chain(history.faults.iter().map(|event| event.at_ns))
        .max()
        .unwrap_or(0)
}

fn check_overlap(history: &History) -> CheckReport {
    let holds = &history.lock_holds;
    let run_end = run_end_ns(history);
    let end_ns = |hold: &LockHold| hold.released_ns.unwrap_or(run_end);
    let overlap_ns = |first: &LockHold, second: &LockHold| {
        end_ns(first)
            .min(end_ns(second))
            .saturating_sub(first.acquired_ns.max(second.acquired_ns))
    };
    let mut overlapping = 0;
    let mut unfenced_pairs = 0;
    // The unfenced pair that overlapped longest: the one a person should look at first.
    let mut unfenced: Option<(&LockHold, &LockHold)> = None;
    for (index, first) in holds.iter().enumerate() {
        for second in &holds[index + 1..] {
            let overlaps = first.lock == second.lock
                && first.client != second.client
                && first.acquired_ns < end_ns(second)
                && second.acquired_ns < end_ns(first);
            if !overlaps {
                continue;
            }
            overlapping += 1;
            if first.fenced && second.fenced {
                continue;
            }
            unfenced_pairs += 1;
            let longer = unfenced.is_none_or(|(longest_first, longest_second)| {
                overlap_ns(first, second) > overlap_ns(longest_first, longest_second)
            });
            if longer {
                unfenced = Some((first, second));
            }
        }
    }
    let result = match unfenced {
        None if overlapping == 0 => CheckResult::ok(format!(
            "{} holds, no two at once",
            history.lock_holds.len()
        )),
        None => CheckResult::ok(format!(
            "{overlapping} pairs of holds overlapped, all fenced: the protected resource decides"
        )),
        Some((first, second)) => {
            let overlap_ns = overlap_ns(first, second);
            let owners: Vec<LockOwnership> = history
                .lock_owners
                .iter()
                .filter(|change| {
                    change.lock == first.lock
                        && change.at_ns < end_ns(first).min(end_ns(second))
                        && change.at_ns >= first.acquired_ns.min(second.acquired_ns)
                })
                .cloned()
                .collect();
            CheckResult::Violation {
                summary: format!(
                    "client {} held {} from {} to {} (key {}, lease {:x}) while client {} held it from {} to {} (key {}, lease {:x}): {:.3} s at once{}",
                    first.client,
                    first.lock,
                    seconds(first.acquired_ns),
                    seconds(end_ns(first)),
                    first.key,
                    first.lease,
                    second.client,
                    seconds(second.acquired_ns),
                    seconds(end_ns(second)),
                    second.key,
                    second.lease,
                    overlap_ns as f64 / 1e9,
                    if unfenced_pairs > 1 {
                        format!("; the longest of {unfenced_pairs} unfenced overlapping pairs")
                    } else {
                        String::new()
                    }
                ),
                evidence: Evidence::LockHoldersOverlap {
                    first: Box::new(first.clone()),
                    second: Box::new(second.clone()),
                    overlap_ns,
                    owners,
                },
            }
        }
    };
    CheckReport {
        check: "lock-holders-overlap".to_string(),
        kind: CheckKind::Safety,
        result,
    }
}
