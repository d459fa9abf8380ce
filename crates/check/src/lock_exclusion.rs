//! Lock mutual exclusion, in two views.
//!
//! - `lock-owner` (server truth): a client may only believe it holds a lock if the store
//!   made its key the owner: at the revision its wait ended on, the owner recorded by the
//!   store must be its key (a waiter whose key expired must not be granted the lock). And
//!   while it holds the lock, its key may only stop being the owner by its lease's end: a
//!   key deleted under its holder otherwise (a stale unlock of the same session deleting
//!   by name) is a recipe bug.
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

/// The first change of `hold`'s lock, while it was held, that took ownership from the
/// holder's key without its lease having ended: the key was deleted some other way.
fn taken_from_holder<'h>(
    history: &'h History,
    hold: &LockHold,
    held_until_ns: u64,
) -> Option<&'h LockOwnership> {
    let change = history
        .lock_owners
        .iter()
        .filter(|change| change.lock == hold.lock && change.revision > hold.observed_revision)
        .take_while(|change| change.at_ns < held_until_ns)
        .find(|change| {
            change
                .owner
                .as_ref()
                .is_none_or(|owner| owner.key != hold.key)
        })?;
    let lease_ended = history
        .lease_ends
        .iter()
        .any(|end| end.lease == hold.lease && end.revision <= change.revision);
    (!lease_ended).then_some(change)
}

fn check_owner(history: &History) -> CheckReport {
    let run_end = history.last_recorded_ns();
    let taken = history.lock_holds.iter().find_map(|hold| {
        let held_until_ns = hold.released_ns.unwrap_or(run_end);
        taken_from_holder(history, hold, held_until_ns).map(|change| (hold, change))
    });
    if let Some((hold, change)) = taken {
        return CheckReport {
            check: "lock-owner".to_string(),
            kind: CheckKind::Safety,
            result: CheckResult::Violation {
                summary: format!(
                    "client {}'s key {} stopped owning {} at revision {} ({}) while the client held it from {} and its lease {:x} was alive: the key was deleted by something other than its lease's end",
                    hold.client,
                    hold.key,
                    hold.lock,
                    change.revision,
                    seconds(change.at_ns),
                    seconds(hold.acquired_ns),
                    hold.lease
                ),
                evidence: Evidence::LockKeyTakenFromHolder {
                    hold: Box::new(hold.clone()),
                    change: Box::new(change.clone()),
                },
            },
        };
    }
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
            "{} holds, each by the key the store made owner, none taken from its holder but by its lease's end",
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

fn check_overlap(history: &History) -> CheckReport {
    let holds = &history.lock_holds;
    let run_end = history.last_recorded_ns();
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
