//! What the checkers concluded about a history: written as `verdict.json` next to the
//! history, shown on the terminal, and turned into the process exit code.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Every check's report on one history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub checks: Vec<CheckReport>,
}

impl Verdict {
    /// The process exit code: 0 all hold, 1 a safety violation, 3 a liveness failure (and
    /// no safety violation), 4 undecided (no violation or liveness failure, but some check
    /// ran out of budget).
    pub fn exit_code(&self) -> i32 {
        let failed = |kind: CheckKind| {
            self.checks.iter().any(|report| {
                report.kind == kind && matches!(report.result, CheckResult::Violation { .. })
            })
        };
        if failed(CheckKind::Safety) {
            1
        } else if failed(CheckKind::Liveness) {
            3
        } else if self
            .checks
            .iter()
            .any(|report| matches!(report.result, CheckResult::Undecided { .. }))
        {
            4
        } else {
            0
        }
    }

    /// Whether every check holds.
    pub fn is_ok(&self) -> bool {
        self.exit_code() == 0
    }

    /// One line per check, e.g. `linearizable: ok (812 ops, 5 keys)` or
    /// `linearizable: VIOLATION on key "k2": ...`, for terminals.
    pub fn summary(&self) -> String {
        self.checks
            .iter()
            .map(|report| match &report.result {
                CheckResult::Ok { summary, .. } => format!("{}: ok ({summary})", report.check),
                CheckResult::Violation { summary, .. } => {
                    format!("{}: VIOLATION {summary}", report.check)
                }
                CheckResult::Undecided { why } => format!("{}: UNDECIDED ({why})", report.check),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// One check's conclusion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    /// The check's name, e.g. `linearizable`, `liveness`.
    pub check: String,
    pub kind: CheckKind,
    pub result: CheckResult,
}

/// Which exit code a violation of the check leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// Something bad happened (exit code 1).
    Safety,
    /// Something good failed to happen in time (exit code 3).
    Liveness,
}

/// Whether the property held, with the evidence when it did not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CheckResult {
    /// The property holds; `summary` says what was checked.
    Ok {
        summary: String,
        /// For the linearizability check, the order found: per partition (a key), the ids
        /// of its operations in an order that respects real time and the model. A call
        /// without an answer that is not listed took no effect. Ids above every recorded
        /// op's are the deletions lease ends made, which no client called. Empty for other
        /// checks.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        linearization: BTreeMap<String, Vec<u64>>,
    },
    /// The property does not hold: `summary` in one line, `evidence` in detail.
    Violation { summary: String, evidence: Evidence },
    /// The check ran out of budget before it could decide.
    Undecided { why: String },
}

impl CheckResult {
    /// The property holds, with nothing to show but `summary`.
    pub fn ok(summary: impl Into<String>) -> Self {
        CheckResult::Ok {
            summary: summary.into(),
            linearization: BTreeMap::new(),
        }
    }
}

/// What a violation consists of, per kind of check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    Linearizability(LinearizabilityViolation),
    Liveness {
        detail: String,
    },
    /// Two or more replicas led the same term: `(node, when it became leader, in ns)`.
    ElectionSafety {
        term: u64,
        elected: Vec<(u64, u64)>,
    },
    /// Checkpoints at `applied_index` carry different log digests: the entries committed up
    /// to there are not the same on every replica (or on one replica across a restart).
    /// `checkpoints`: every checkpoint at that index.
    CommittedEntriesChanged {
        applied_index: u64,
        checkpoints: Vec<history::ReplicaCheckpoint>,
    },
    /// Checkpoints at `applied_index` agree on the log but not on the state it led to.
    ReplicasDiverged {
        applied_index: u64,
        checkpoints: Vec<history::ReplicaCheckpoint>,
    },
    /// A client believed it held a lock although, at the revision its wait ended on, the
    /// store's owner (`owner`; `None`: no record) was not its key.
    LockHeldWithoutOwnership {
        hold: Box<history::LockHold>,
        owner: Option<Box<history::LockOwnership>>,
    },
    /// While `hold` lasted, the store's owner of its lock changed away from its key
    /// (`change`) although the holder's lease had not ended: the key was deleted otherwise.
    LockKeyTakenFromHolder {
        hold: Box<history::LockHold>,
        change: Box<history::LockOwnership>,
    },
    /// Two clients' critical sections overlapped for `overlap_ns`, not both fenced;
    /// `owners`: who the store made owner meanwhile.
    LockHoldersOverlap {
        first: Box<history::LockHold>,
        second: Box<history::LockHold>,
        overlap_ns: u64,
        owners: Vec<history::LockOwnership>,
    },
    /// The protected resource accepted `write` although a larger token was accepted before.
    StaleTokenAccepted {
        write: Box<history::ResourceWrite>,
        highest_token: u64,
    },
    /// The protected resource accepted `write` (the `write_index`th), which read a value
    /// other than the one it replaced (`overwritten`): the elements `lost` are gone.
    LostUpdate {
        write_index: u64,
        write: Box<history::ResourceWrite>,
        overwritten: Vec<u64>,
        lost: Vec<u64>,
    },
    /// A lease expired before the TTL of the acknowledged `renewal` had elapsed, from its
    /// send time, on the monotonic clock of the leader that expired it (`end.expired_by`;
    /// real time when that is unknown): only `elapsed_local_ns` had, `early_ns` short of
    /// the TTL. In real time the lease ended `early_real_ns` before the TTL ran out
    /// (negative: after it, by a clock that ran slow).
    LeaseExpiredEarly {
        end: Box<history::LeaseEnd>,
        renewal: Box<history::LeaseRenewal>,
        early_ns: u64,
        elapsed_local_ns: u64,
        early_real_ns: i64,
    },
    /// A client believed its lease alive past `renewal`'s send time + TTL (it counted
    /// from the answer's arrival) while the lease had already ended with `end`.
    LeaseBelievedTooLong {
        renewal: Box<history::LeaseRenewal>,
        end: Box<history::LeaseEnd>,
    },
    /// A lease outlived the deadline by which a healthy cluster must expire it:
    /// `last_renewal` may have renewed it by `ttl_s`, so it was due by `deadline_ns`; it
    /// ended only with `end`, or (`None`) had not ended by `observed_until_ns`, the last
    /// moment the history records.
    LeaseExpiredLate {
        lease: u64,
        last_renewal: Box<history::LeaseRenewal>,
        ttl_s: u64,
        deadline_ns: u64,
        end: Option<Box<history::LeaseEnd>>,
        observed_until_ns: u64,
    },
    /// Op `later_op` was called after op `earlier_op` returned (or, of the same client,
    /// after it) but observed a lower store revision.
    RevisionWentBack {
        earlier_client: u64,
        earlier_op: u64,
        earlier_revision: u64,
        later_client: u64,
        later_op: u64,
        later_revision: u64,
    },
}

/// Where the search for a linearization of one key's operations got stuck.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinearizabilityViolation {
    /// The key whose operations are not linearizable.
    pub key: String,
    /// Op ids of the longest linearizable prefix found, in order.
    pub linearized_prefix: Vec<u64>,
    /// Op ids that could not be placed next after that prefix: the offending operations.
    /// Here and in the prefix, ids above every recorded op's are the deletions lease ends
    /// made, which no client called; `explanation` says which lease each stands for.
    pub stuck_ops: Vec<u64>,
    /// The model state after the prefix, in words.
    pub model_state: String,
    /// A sentence or two a person can read.
    pub explanation: String,
}

/// How much work a check may do before it answers "undecided"; a limit on everything.
/// Whichever limit runs out first ends the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Search steps per check (deterministic: the same history always gets the same verdict).
    pub max_steps: u64,
    /// Wall-clock limit per check; None = no limit. Only for checking histories offline: a
    /// time limit makes the verdict depend on the machine.
    pub time_limit: Option<std::time::Duration>,
    /// Upper bound on the memory the search's memo tables may use, in bytes, all partitions together.
    pub max_memory_bytes: u64,
}

impl Default for Budget {
    /// 20 million steps: a few seconds of search on the hardest histories (a failing key
    /// of thousands of operations with dozens of unanswered calls), with a memo of a few
    /// hundred megabytes at most; no time limit; 2 GiB of memo tables.
    fn default() -> Self {
        Budget {
            max_steps: 20_000_000,
            time_limit: None,
            max_memory_bytes: 2 << 30,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(check: &str, kind: CheckKind, result: CheckResult) -> CheckReport {
        CheckReport {
            check: check.to_string(),
            kind,
            result,
        }
    }

    fn ok() -> CheckResult {
        CheckResult::Ok {
            summary: "fine".into(),
            linearization: BTreeMap::new(),
        }
    }

    fn violation() -> CheckResult {
        CheckResult::Violation {
            summary: "on key \"k\": bad".into(),
            evidence: Evidence::Liveness {
                detail: "late".into(),
            },
        }
    }

    fn undecided() -> CheckResult {
        CheckResult::Undecided {
            why: "budget".into(),
        }
    }

    fn verdict(checks: Vec<CheckReport>) -> Verdict {
        Verdict { checks }
    }

    #[test]
    fn exit_code_ranks_safety_over_liveness_over_undecided() {
        use CheckKind::{Liveness, Safety};
        assert_eq!(verdict(vec![]).exit_code(), 0);
        assert_eq!(
            verdict(vec![report("a", Safety, ok()), report("b", Liveness, ok())]).exit_code(),
            0
        );
        assert_eq!(
            verdict(vec![
                report("a", Safety, undecided()),
                report("b", Liveness, violation())
            ])
            .exit_code(),
            3
        );
        assert_eq!(
            verdict(vec![
                report("b", Liveness, violation()),
                report("a", Safety, violation())
            ])
            .exit_code(),
            1
        );
        assert_eq!(
            verdict(vec![
                report("a", Safety, undecided()),
                report("b", Liveness, ok())
            ])
            .exit_code(),
            4
        );
        assert!(verdict(vec![report("a", Safety, ok())]).is_ok());
        assert!(!verdict(vec![report("a", Safety, undecided())]).is_ok());
    }

    #[test]
    fn summary_has_one_line_per_check() {
        let verdict = verdict(vec![
            report("linearizable", CheckKind::Safety, violation()),
            report("liveness", CheckKind::Liveness, ok()),
            report("other", CheckKind::Safety, undecided()),
        ]);
        assert_eq!(
            verdict.summary(),
            "linearizable: VIOLATION on key \"k\": bad\nliveness: ok (fine)\nother: UNDECIDED (budget)"
        );
    }
}
