//! Checkers for lockstep histories, and the verdict they return.
//!
//! A [`history::History`] is all a checker reads, so a history recorded elsewhere, or
//! edited by hand, gets the same verdict offline. [`check_history`] runs every check:
//!
//! - `linearizable` ([`check_linearizable`]): the KV operations, key by key, against an
//!   independent model of etcd's semantics ([`KvModel`]), with Wing & Gong's search and
//!   Lowe's memoization ([`wgl`]). Calls that never got an answer may have taken effect at
//!   any later time, or never.
//! - `liveness` ([`check_liveness`]): after the faults stopped, a write succeeded in time.
//!
//! The pieces follow Porcupine and stateright: a sequential specification ([`Model`]), the
//! search, and the checks that turn search results into a [`Verdict`] with evidence.

mod kv_model;
mod linearizability;
mod liveness;
mod model;
mod verdict;
pub mod wgl;

pub use kv_model::{key_histories, KeyHistory, KeyState, KvModel, Revision};
pub use linearizability::check_linearizable;
pub use liveness::check_liveness;
pub use model::{Model, Operation};
pub use verdict::{
    Budget, CheckKind, CheckReport, CheckResult, Evidence, LinearizabilityViolation, Verdict,
};

/// Runs every check on the history: linearizability, then liveness.
pub fn check_history(history: &history::History, budget: &Budget) -> Verdict {
    Verdict {
        checks: vec![check_linearizable(history, budget), check_liveness(history)],
    }
}
