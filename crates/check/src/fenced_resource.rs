//! The resource a lock protects, judged on its own: a register outside the cluster that
//! holders read, extend with an element of their own, and write back.
//!
//! Two things must hold when holders fence their writes (and are exactly what breaks when
//! two clients believe they hold the lock and nothing fences them):
//! - no write with a stale token is accepted: each accepted token is at least the largest
//!   accepted before it;
//! - no update is lost: each accepted write read the value the resource held just before
//!   it (its read-modify-write was not interleaved with another holder's write). This is
//!   what linearizability of the register's read-modify-write comes to.

use crate::verdict::{CheckKind, CheckReport, CheckResult, Evidence};
use history::History;

/// Checks the protected resource; `None` when the history has no writes to it.
pub fn check_fenced_resource(history: &History) -> Option<CheckReport> {
    if history.resource_writes.is_empty() {
        return None;
    }
    let mut value: Vec<u64> = Vec::new();
    let mut highest_token = 0;
    let mut accepted = 0;
    let mut violation = None;
    for (index, write) in history.resource_writes.iter().enumerate() {
        if !write.accepted {
            continue;
        }
        accepted += 1;
        if write.token < highest_token {
            violation = Some(CheckResult::Violation {
                summary: format!(
                    "client {} wrote with token {} after token {} was accepted",
                    write.client, write.token, highest_token
                ),
                evidence: Evidence::StaleTokenAccepted {
                    write: Box::new(write.clone()),
                    highest_token,
                },
            });
            break;
        }
        if write.read != value {
            let lost: Vec<u64> = value
                .iter()
                .filter(|element| !write.wrote.contains(element))
                .copied()
                .collect();
            violation = Some(CheckResult::Violation {
                summary: format!(
                    "client {}'s write (token {}) was based on a stale read: it lost {:?}",
                    write.client, write.token, lost
                ),
                evidence: Evidence::LostUpdate {
                    write_index: index as u64,
                    write: Box::new(write.clone()),
                    overwritten: value.clone(),
                    lost,
                },
            });
            break;
        }
        highest_token = write.token;
        value = write.wrote.clone();
    }
    let refused = history.resource_writes.len() - accepted;
    Some(CheckReport {
        check: "fenced-resource".to_string(),
        kind: CheckKind::Safety,
        result: violation.unwrap_or_else(|| {
            CheckResult::ok(format!(
                "{accepted} writes accepted in token order, none lost; {refused} stale writes refused"
            ))
        }),
    })
}
