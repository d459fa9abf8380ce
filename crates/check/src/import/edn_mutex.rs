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

use super::edn::{parse_map, Value};
use super::ImportError;
use crate::model::Operation;
use crate::models::mutex::{MutexInput, MutexOutput};
use std::collections::HashMap;

/// Reads EDN lock lines into the operations to search, in order of their calls, for
/// [`crate::check_mutex_history`]. Empty lines are skipped.
pub fn parse_edn_mutex_history(
    text: &str,
) -> Result<Vec<Operation<MutexInput, MutexOutput>>, ImportError> {
    let mut open: HashMap<u64, (u64, u64, MutexInput)> = HashMap::new();
    let mut operations = Vec::new();
    let mut invocations = 0;
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let error = |expected: &str| ImportError::new(line_number, expected, line);
        let fields = parse_map(line).map_err(|expected| error(&expected))?;
        let field = |name: &str| {
            fields
                .get(name)
                .ok_or_else(|| error(&format!("a `:{name}` entry")))
        };
        let process = match field("process")? {
            Value::Integer(process) => *process,
            _ => return Err(error("an integer `:process`")),
        };
        let kind = field("type")?;
        let f = field("f")?;
        let time = line_number as u64;
        if *kind == Value::Keyword("invoke".into()) {
            let input = match f {
                Value::Keyword(f) if f == "acquire" => MutexInput::Acquire { client: process },
                Value::Keyword(f) if f == "release" => MutexInput::Release { client: process },
                _ => return Err(error("`:f :acquire` or `:f :release`")),
            };
            if open.insert(process, (invocations, time, input)).is_some() {
                return Err(error("no new call by a process whose call is still open"));
            }
            invocations += 1;
            continue;
        }
        let (id, call_line, input) = open
            .remove(&process)
            .ok_or_else(|| error("a completion of a call the process made"))?;
        let called = match input {
            MutexInput::Acquire { .. } => "acquire",
            MutexInput::Release { .. } => "release",
        };
        if *f != Value::Keyword(called.into()) {
            return Err(error(&format!(
                "`:f :{called}`, the function of the process's open call"
            )));
        }
        let (return_line, output) = match kind {
            Value::Keyword(kind) if kind == "ok" => (Some(time), MutexOutput::Succeeded),
            Value::Keyword(kind) if kind == "fail" => (Some(time), MutexOutput::Refused),
            Value::Keyword(kind) if kind == "info" => (None, MutexOutput::Unknown),
            _ => return Err(error("`:type` :invoke, :ok, :fail or :info")),
        };
        operations.push(Operation {
            id,
            client: process,
            call_ns: call_line,
            return_ns: return_line,
            input,
            output,
        });
    }
    operations.extend(
        open.into_iter()
            .map(|(process, (id, call_line, input))| Operation {
                id,
                client: process,
                call_ns: call_line,
                return_ns: None,
                input,
                output: MutexOutput::Unknown,
            }),
    );
    operations.sort_by_key(|operation| operation.id);
    Ok(operations)
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
