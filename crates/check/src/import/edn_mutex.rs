//! EDN lock lines, as Jepsen records a mutex workload: one map a line,
//! `{:process 0, :type :invoke, :f :acquire, :value nil}`.
//!
//! `:type` is `:invoke`, `:ok` (the request took effect), `:fail` (the lock service said
//! no: unlike a key-value `:fail`, a refusal is an observation the model checks, since a
//! refused acquire says the lock was held) or `:info` (no answer: the call may take effect
//! at any later time, or never); `:f` is `:acquire` or `:release`, and a completion's `:f`
//! is its call's. `:value` is not read (Jepsen writes `nil`; it may be left out). Calls
//! still open at the end are read like `:info`. Times are line numbers; an operation's id
//! is the position of its `:invoke` line among all of them; the client, both of the
//! operation and of its request, is the `:process`.

use super::edn::{field, read_calls, Value};
use super::ImportError;
use crate::model::Operation;
use crate::models::mutex::{MutexInput, MutexOutput};

/// Reads EDN lock lines into the operations to search, in order of their calls, for
/// [`crate::check_mutex_history`]. Empty lines are skipped.
pub fn parse_edn_mutex_history(
    text: &str,
) -> Result<Vec<Operation<MutexInput, MutexOutput>>, ImportError> {
    read_calls(
        text,
        |fields, process| match field(fields, "f")? {
            Value::Keyword(f) if f == "acquire" => Ok(MutexInput::Acquire { client: process }),
            Value::Keyword(f) if f == "release" => Ok(MutexInput::Release { client: process }),
            _ => Err("`:f :acquire` or `:f :release`".to_string()),
        },
        |fields, kind, input| {
            let called = match input {
                MutexInput::Acquire { .. } => "acquire",
                MutexInput::Release { .. } => "release",
            };
            if *field(fields, "f")? != Value::Keyword(called.into()) {
                return Err(format!(
                    "`:f :{called}`, the function of the process's open call"
                ));
            }
            Ok(Some(if kind == "ok" {
                MutexOutput::Succeeded
            } else {
                MutexOutput::Refused
            }))
        },
        MutexOutput::Unknown,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_calls_and_their_completions() {
        let text = "{:process 0, :type :invoke, :f :acquire, :value nil}\n\
                    {:process 1, :type :invoke, :f :acquire, :value nil}\n\
                    {:process 0, :type :ok, :f :acquire, :value nil}\n\
                    {:process 1, :type :fail, :f :acquire, :value nil}\n\
                    \n\
                    {:process 0, :type :invoke, :f :release}\n\
                    {:process 0, :type :info, :f :release}\n\
                    {:process 2, :type :invoke, :f :acquire, :value nil}\n";
        let operations = parse_edn_mutex_history(text).unwrap();
        let summary: Vec<_> = operations
            .iter()
            .map(|op| {
                (
                    op.id,
                    op.client,
                    op.call_ns,
                    op.return_ns,
                    op.input,
                    op.output,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    0,
                    0,
                    1,
                    Some(3),
                    MutexInput::Acquire { client: 0 },
                    MutexOutput::Succeeded
                ),
                (
                    1,
                    1,
                    2,
                    Some(4),
                    MutexInput::Acquire { client: 1 },
                    MutexOutput::Refused
                ),
                (
                    2,
                    0,
                    6,
                    None,
                    MutexInput::Release { client: 0 },
                    MutexOutput::Unknown
                ),
                (
                    3,
                    2,
                    8,
                    None,
                    MutexInput::Acquire { client: 2 },
                    MutexOutput::Unknown
                ),
            ]
        );
    }

    #[test]
    fn a_completion_of_another_function_is_an_error_naming_the_line() {
        let text = "{:process 0, :type :invoke, :f :acquire, :value nil}\n\
                    {:process 0, :type :ok, :f :release, :value nil}\n";
        let error = parse_edn_mutex_history(text).unwrap_err();
        assert_eq!(error.line, 2, "{error}");
        assert!(error.expected.contains(":f :acquire"), "{error}");
    }

    #[test]
    fn garbage_and_truncated_lines_are_errors_naming_the_line() {
        let good = "{:process 0, :type :invoke, :f :acquire, :value nil}\n";
        let cases = [
            "garbage",
            "{",
            "{:process 1, :type :invoke, :f :acquire, :value \"x",
            "{:process 1, :type :invoke, :value nil}",
            "{:process 1, :f :acquire, :value nil}",
            "{:type :invoke, :f :acquire, :value nil}",
            "{:process x, :type :invoke, :f :acquire, :value nil}",
            "{:process -1, :type :invoke, :f :acquire, :value nil}",
            "{:process 1, :type :start, :f :acquire, :value nil}",
            "{:process 0, :type :start, :f :acquire, :value nil}",
            "{:process 0, :type \"ok\", :f :acquire, :value nil}",
            "{:process 1, :type :invoke, :f :lock, :value nil}",
            "{:process 1, :type :invoke, :f \"acquire\", :value nil}",
            "{:process 1, :type :ok, :f :acquire, :value nil}",
            "{:process 0, :type :ok, :f :release, :value nil}",
            "{:process 0, :type :invoke, :f :acquire, :value nil}",
            "{:process 0 :type :ok} trailing",
            "{: 1}",
            "{:process 1, :type :invoke, :f :acquire, :value \"\\",
            "\u{0}\u{ff}ÿ",
        ];
        for case in cases {
            let error = parse_edn_mutex_history(&format!("{good}{case}\n")).unwrap_err();
            assert_eq!(error.line, 2, "{case:?}: {error}");
        }
    }
}
