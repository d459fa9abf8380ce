//! A mutual-exclusion lock held by at most one client at a time: acquire succeeds only
//! while it is free, release only by the holder.

use crate::model::Model;

/// A request, naming the client that makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutexInput {
    Acquire { client: u64 },
    Release { client: u64 },
}

/// What the client saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutexOutput {
    /// The request took effect.
    Succeeded,
    /// The request was refused and changed nothing.
    Refused,
    /// No answer came: the request may have taken effect, or not.
    Unknown,
}

/// The lock's sequential specification; the state is the holder, if any.
#[derive(Clone, Copy, Debug, Default)]
pub struct MutexModel;

impl Model for MutexModel {
    type State = Option<u64>;
    type Input = MutexInput;
    type Output = MutexOutput;

    fn init(&self) -> Option<u64> {
        None
    }

    fn step(
        &self,
        holder: &Option<u64>,
        input: &MutexInput,
        output: &MutexOutput,
    ) -> Option<Option<u64>> {
        // What the request would do, if it were allowed: the holder after it.
        let (allowed, holder_after) = match *input {
            MutexInput::Acquire { client } => (holder.is_none(), Some(client)),
            MutexInput::Release { client } => (*holder == Some(client), None),
        };
        match output {
            MutexOutput::Succeeded => allowed.then_some(holder_after),
            MutexOutput::Refused => (!allowed).then_some(*holder),
            MutexOutput::Unknown => Some(if allowed { holder_after } else { *holder }),
        }
    }

    fn describe_state(&self, holder: &Option<u64>) -> String {
        match holder {
            Some(client) => format!("held by client {client}"),
            None => "free".to_string(),
        }
    }

    fn describe_operation(&self, input: &MutexInput, output: &MutexOutput) -> String {
        let request = match input {
            MutexInput::Acquire { client } => format!("client {client} acquire"),
            MutexInput::Release { client } => format!("client {client} release"),
        };
        let answer = match output {
            MutexOutput::Succeeded => "ok",
            MutexOutput::Refused => "refused",
            MutexOutput::Unknown => "no answer",
        };
        format!("{request} -> {answer}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Operation;
    use crate::wgl::{search, SearchOutcome};

    fn op(
        id: u64,
        call_ns: u64,
        return_ns: u64,
        input: MutexInput,
        output: MutexOutput,
    ) -> Operation<MutexInput, MutexOutput> {
        Operation {
            id,
            client: id,
            call_ns,
            return_ns: Some(return_ns),
            input,
            output,
        }
    }

    fn is_linearizable(operations: &[Operation<MutexInput, MutexOutput>]) -> bool {
        match search(&MutexModel, operations, 1_000_000).outcome {
            SearchOutcome::Linearizable { .. } => true,
            SearchOutcome::NotLinearizable { .. } => false,
            SearchOutcome::OutOfBudget { .. } | SearchOutcome::Cancelled => {
                panic!("a tiny history ran out of budget")
            }
        }
    }

    #[test]
    fn only_the_holder_releases_and_only_a_free_lock_is_acquired() {
        let model = MutexModel;
        let acquire = |client| MutexInput::Acquire { client };
        let release = |client| MutexInput::Release { client };
        assert_eq!(
            model.step(&None, &acquire(1), &MutexOutput::Succeeded),
            Some(Some(1))
        );
        assert_eq!(
            model.step(&Some(2), &acquire(1), &MutexOutput::Succeeded),
            None
        );
        assert_eq!(
            model.step(&Some(2), &acquire(1), &MutexOutput::Refused),
            Some(Some(2))
        );
        assert_eq!(
            model.step(&Some(2), &release(1), &MutexOutput::Succeeded),
            None
        );
        assert_eq!(
            model.step(&Some(1), &release(1), &MutexOutput::Succeeded),
            Some(None)
        );
        assert_eq!(
            model.step(&None, &acquire(3), &MutexOutput::Unknown),
            Some(Some(3))
        );
    }

    #[test]
    fn overlapping_acquires_succeed_in_turn_when_a_release_lies_between() {
        let operations = [
            op(
                0,
                0,
                10,
                MutexInput::Acquire { client: 1 },
                MutexOutput::Succeeded,
            ),
            op(
                1,
                5,
                30,
                MutexInput::Acquire { client: 2 },
                MutexOutput::Succeeded,
            ),
            op(
                2,
                12,
                20,
                MutexInput::Release { client: 1 },
                MutexOutput::Succeeded,
            ),
        ];
        assert!(is_linearizable(&operations));
    }

    #[test]
    fn two_overlapping_acquires_cannot_both_succeed() {
        let operations = [
            op(
                0,
                0,
                10,
                MutexInput::Acquire { client: 1 },
                MutexOutput::Succeeded,
            ),
            op(
                1,
                5,
                15,
                MutexInput::Acquire { client: 2 },
                MutexOutput::Succeeded,
            ),
        ];
        assert!(!is_linearizable(&operations));
    }
}
