//! Checkers for lockstep histories, and the verdict they return.
//!
//! A [`history::History`] is all a checker reads, so a history recorded elsewhere, or
//! edited by hand, gets the same verdict offline. [`check_history`] runs every check:
//!
//! - `linearizable` ([`check_linearizable`]): the KV operations, key by key, against an
//!   independent model of etcd's semantics ([`KvModel`]), with Wing & Gong's search and
//!   Lowe's memoization ([`wgl`]). Calls that never got an answer may have taken effect at
//!   any later time, or never. The keys a lease's end deleted are deleted in the checked
//!   history too, between the lease's grant and the end's first application.
//! - `one-leader-per-term` ([`check_election_safety`]): Raft's election safety, from the
//!   leader changes the replicas recorded.
//! - `replica-agreement` ([`check_replica_agreement`]): replicas' checkpoints at the same
//!   applied index agree, on the entries applied and on the state they led to.
//! - `revisions-never-go-back` ([`check_revision_monotonicity`]): no answer shows a store
//!   revision below one shown before it was called, by the same client or any other.
//! - `lock-owner` and `lock-holders-overlap` ([`check_lock_exclusion`]): lock mutual
//!   exclusion, by the store's truth and as clients believed it.
//! - `fenced-resource` ([`check_fenced_resource`]): the lock-protected register accepted no
//!   stale token and lost no update.
//! - `lease-bounds` ([`check_lease_bounds`]): no lease expired before the TTL of an
//!   acknowledged renewal had elapsed, from its send time, on the clock of the leader that
//!   expired it ([`local_elapsed_ns`]).
//! - `lease-belief` ([`check_lease_belief`]): no client believed its lease alive past an
//!   acknowledged renewal's send time + TTL while the lease had already ended.
//! - `lease-expiry-liveness` ([`check_lease_expiry_liveness`]): after the faults stopped,
//!   every lapsed lease expired within its TTL plus three election timeouts.
//! - `liveness` ([`check_liveness`]): after the faults stopped, a write and then a read
//!   succeeded in time.
//!
//! Histories from other tools are checked the same way: [`import`] reads Jepsen register
//! logs, Porcupine's EDN key-value lines and Jepsen's EDN lock lines, [`models`] holds their
//! specifications, and [`check_register_history`] / [`check_kv_append_history`] /
//! [`check_mutex_history`] check them partition by partition ([`check_partitions`]).
//!
//! The pieces follow Porcupine and stateright: a sequential specification ([`Model`]), the
//! search, and the checks that turn search results into a [`Verdict`] with evidence.

mod election_safety;
mod evidence;
mod fenced_resource;
pub mod import;
mod lease_belief;
mod lease_bounds;
mod lease_end_deletions;
mod lease_expiry_liveness;
mod linearizability;
mod liveness;
mod local_clock;
mod lock_exclusion;
mod model;
pub mod models;
mod partitioned;
mod replica_agreement;
mod revision_monotonicity;
mod verdict;
pub mod wgl;

pub use election_safety::check_election_safety;
pub use fenced_resource::check_fenced_resource;
pub use import::edn_kv::parse_edn_kv_history;
pub use import::edn_mutex::parse_edn_mutex_history;
pub use import::jepsen_log::{parse_jepsen_register_log, RegisterOperation};
pub use import::{detect_format, HistoryFormat, ImportError};
pub use lease_belief::check_lease_belief;
pub use lease_bounds::check_lease_bounds;
pub use lease_expiry_liveness::check_lease_expiry_liveness;
pub use linearizability::check_linearizable;
pub use liveness::check_liveness;
pub use local_clock::local_elapsed_ns;
pub use lock_exclusion::check_lock_exclusion;
pub use model::{ImpliedOrder, Model, Operation};
pub use models::etcd_kv::{key_histories, KeyHistory, KeyState, KvModel, Revision};
pub use models::kv_append::{
    partition_by_key, KvAppendAction, KvAppendInput, KvAppendModel, KvAppendOperation,
    KvAppendOutput,
};
pub use models::mutex::{MutexInput, MutexModel, MutexOutput};
pub use models::register::{RegisterInput, RegisterModel, RegisterOutput};
pub use partitioned::{
    check_kv_append_history, check_mutex_history, check_partitions, check_register_history,
    ModelOperation, Partitions,
};
pub use replica_agreement::check_replica_agreement;
pub use revision_monotonicity::check_revision_monotonicity;
pub use verdict::{
    Budget, CheckKind, CheckReport, CheckResult, Evidence, LinearizabilityViolation, Verdict,
};

/// Runs every check on the history: linearizability, election safety, replica agreement,
/// revision monotonicity, the lock, resource and lease checks (lease bounds and lease
/// expiry liveness) when the history has lock holds, resource writes or lease renewals,
/// then liveness.
pub fn check_history(history: &history::History, budget: &Budget) -> Verdict {
    let mut checks = vec![
        check_linearizable(history, budget),
        check_election_safety(history),
        check_replica_agreement(history),
        check_revision_monotonicity(history),
    ];
    checks.extend(check_lock_exclusion(history));
    checks.extend(check_fenced_resource(history));
    checks.extend(check_lease_bounds(history));
    checks.extend(check_lease_belief(history));
    checks.extend(check_lease_expiry_liveness(history));
    checks.push(check_liveness(history));
    Verdict { checks }
}
