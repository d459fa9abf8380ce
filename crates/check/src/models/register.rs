//! One integer register, as Jepsen's etcd tests used it: initially unset (`nil`), with
//! read, write and compare-and-swap.

use crate::model::Model;

/// The register's state: its value, `None` while unset.
pub type RegisterState = Option<i64>;

/// A request to the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterInput {
    Read,
    Write(i64),
    /// Sets `new` if the value is `expected`.
    Cas {
        expected: i64,
        new: i64,
    },
}

/// What the client saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterOutput {
    /// A read's answer; `None`: the register was unset.
    Read(Option<i64>),
    /// A write or compare-and-swap that took effect.
    Done,
    /// A compare-and-swap whose comparison failed: the value was not `expected`, and
    /// nothing changed. Porcupine checks this condition too, rather than dropping the call.
    CasFailed,
    /// No answer came (Jepsen's `:info`): the call may have taken effect, or not.
    Unknown,
}

/// The register's sequential specification.
#[derive(Clone, Copy, Debug, Default)]
pub struct RegisterModel;

impl Model for RegisterModel {
    type State = RegisterState;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn init(&self) -> RegisterState {
        None
    }

    fn step(
        &self,
        state: &RegisterState,
        input: &RegisterInput,
        output: &RegisterOutput,
    ) -> Option<RegisterState> {
        match (input, output) {
            (RegisterInput::Read, RegisterOutput::Read(seen)) => (seen == state).then_some(*state),
            (RegisterInput::Read, RegisterOutput::Unknown) => Some(*state),
            (RegisterInput::Write(value), RegisterOutput::Done | RegisterOutput::Unknown) => {
                Some(Some(*value))
            }
            (RegisterInput::Cas { expected, new }, RegisterOutput::Done) => {
                (*state == Some(*expected)).then_some(Some(*new))
            }
            (RegisterInput::Cas { expected, .. }, RegisterOutput::CasFailed) => {
                (*state != Some(*expected)).then_some(*state)
            }
            (RegisterInput::Cas { expected, new }, RegisterOutput::Unknown) => {
                Some(if *state == Some(*expected) {
                    Some(*new)
                } else {
                    *state
                })
            }
            _ => None,
        }
    }

    fn describe_state(&self, state: &RegisterState) -> String {
        match state {
            Some(value) => format!("register = {value}"),
            None => "register unset".to_string(),
        }
    }

    fn describe_operation(&self, input: &RegisterInput, output: &RegisterOutput) -> String {
        let request = match input {
            RegisterInput::Read => "read".to_string(),
            RegisterInput::Write(value) => format!("write {value}"),
            RegisterInput::Cas { expected, new } => format!("cas {expected} -> {new}"),
        };
        let answer = match output {
            RegisterOutput::Read(Some(value)) => format!("{value}"),
            RegisterOutput::Read(None) => "nil".to_string(),
            RegisterOutput::Done => "ok".to_string(),
            RegisterOutput::CasFailed => "failed".to_string(),
            RegisterOutput::Unknown => "no answer".to_string(),
        };
        format!("{request} -> {answer}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cas_applies_only_when_the_value_matches() {
        let cas = RegisterInput::Cas {
            expected: 1,
            new: 2,
        };
        let model = RegisterModel;
        assert_eq!(
            model.step(&Some(1), &cas, &RegisterOutput::Done),
            Some(Some(2))
        );
        assert_eq!(model.step(&Some(3), &cas, &RegisterOutput::Done), None);
        assert_eq!(
            model.step(&None, &cas, &RegisterOutput::CasFailed),
            Some(None)
        );
        assert_eq!(model.step(&Some(1), &cas, &RegisterOutput::CasFailed), None);
        assert_eq!(
            model.step(&Some(3), &cas, &RegisterOutput::Unknown),
            Some(Some(3))
        );
        assert_eq!(
            model.step(&Some(1), &cas, &RegisterOutput::Unknown),
            Some(Some(2))
        );
    }

    #[test]
    fn a_read_sees_the_value_or_nil_when_unset() {
        let model = RegisterModel;
        let read = RegisterInput::Read;
        assert_eq!(
            model.step(&None, &read, &RegisterOutput::Read(None)),
            Some(None)
        );
        assert_eq!(
            model.step(&Some(0), &read, &RegisterOutput::Read(None)),
            None
        );
        assert_eq!(
            model.step(&Some(4), &read, &RegisterOutput::Read(Some(4))),
            Some(Some(4))
        );
    }
}
