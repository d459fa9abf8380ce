//! Checkers for lockstep histories, and the verdict they return.
//!
//! A [`history::History`] is all a checker reads, so a history recorded elsewhere, or
//! edited by hand, gets the same verdict offline. [`check_history`] runs every check:
//!
//! - `linearizable` ([`check_linearizable`]): the KV operations, key by key, against an
//!   independent model of etcd's semantics ([`KvModel`]), with Wing & Gong's search and
//!   Lowe's memoization ([`wgl`]). Calls that never got an answer may have taken effect at
//!   any later time, or never.
//! - `one-leader-per-term` ([`check_election_safety`]): Raft's election safety, from the
//!   leader changes the replicas recorded.
//! - `replica-agreement` ([`check_replica_agreement`]): replicas' checkpoints at the same
//!   applied index agree, on the entries applied and on the state they led to.
//! - `revisions-never-go-back` ([`check_revision_monotonicity`]): no answer shows a store
//!   revision below one shown before it was called, by the same client or any other.
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
pub mod import;
mod linearizability;
mod liveness;
mod model;
pub mod models;
mod partitioned;
mod replica_agreement;
mod revision_monotonicity;
mod verdict;
pub mod wgl;

pub use election_safety::check_election_safety;
pub use import::edn_kv::parse_edn_kv_history;
pub use import::edn_mutex::parse_edn_mutex_history;
pub use import::jepsen_log::{parse_jepsen_register_log, RegisterOperation};
pub use import::{detect_format, HistoryFormat, ImportError};
pub use linearizability::check_linearizable;
pub use liveness::check_liveness;
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
/// revision monotonicity, then liveness.
pub fn check_history(history: &history::History, budget: &Budget) -> Verdict {
    Verdict {
        checks: vec![
            check_linearizable(history, budget),
            check_election_safety(history),
            check_replica_agreement(history),
            check_revision_monotonicity(history),
            check_liveness(history),
        ],
    }
}
