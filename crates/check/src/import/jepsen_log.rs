//! Jepsen's log of a register test, as in Porcupine's etcd histories: one event a line,
//! `INFO  jepsen.util - <process> <type> <function> <value>`, the fields separated by
//! tabs or runs of spaces.
//!
//! How each event is read:
//! - `:invoke` starts a call of `:read`, `:write n` or `:cas [a b]` by the process.
//! - `:ok` completes it; a read's value is the one read, `nil` when unset.
//! - `:fail :cas` completes a compare-and-swap whose comparison failed (checked as such).
//!   `:fail` of anything else surely had no effect, and a failed read (`:fail :read
//!   :timed-out`) has an unknown result and no effect: both are left out.
//! - `:info` means no answer: the call may take effect at any time after it was made, or
//!   never. Jepsen gives the process a new id afterwards. Calls still open at the end of
//!   the log are read the same way. Reads without an answer say nothing and are left out.
//!
//! Times are line numbers; an operation's id is the position of its `:invoke` line among
//! all `:invoke` lines (0-based), so ids have gaps where operations were left out.

use super::ImportError;
use crate::model::Operation;
use crate::models::register::{RegisterInput, RegisterOutput};
use std::collections::HashMap;

/// One operation of a register history.
pub type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

/// A call that has not been completed yet.
struct OpenCall {
    id: u64,
    process: u64,
    call_line: u64,
    input: RegisterInput,
}

/// Reads a Jepsen register log into the operations to search, in order of their calls.
/// Empty lines are skipped.
pub fn parse_jepsen_register_log(text: &str) -> Result<Vec<RegisterOperation>, ImportError> {
    let mut open: HashMap<u64, OpenCall> = HashMap::new();
    let mut operations = Vec::new();
    let mut invocations = 0;
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let event = parse_line(line, line_number)?;
        let time = line_number as u64;
        let error = |expected: &str| ImportError::new(line_number, expected, line);
        if event.kind == EventKind::Invoke {
            if open.contains_key(&event.process) {
                return Err(error("no new call by a process whose call is still open"));
            }
            let input = parse_input(event.function, event.value)
                .ok_or_else(|| error("`:read nil`, `:write <int>` or `:cas [<int> <int>]`"))?;
            open.insert(
                event.process,
                OpenCall {
                    id: invocations,
                    process: event.process,
                    call_line: time,
                    input,
                },
            );
            invocations += 1;
            continue;
        }
        let call = open
            .remove(&event.process)
            .ok_or_else(|| error("a completion of a call the process made"))?;
        if function_name(call.input) != event.function {
            return Err(error(&format!(
                "a completion of the process's open `{}` call",
                function_name(call.input)
            )));
        }
        let (return_line, output) = match (event.kind, call.input) {
            (EventKind::Ok, RegisterInput::Read) => {
                let value = parse_read_value(event.value)
                    .ok_or_else(|| error("a value read: an integer or nil"))?;
                (Some(time), RegisterOutput::Read(value))
            }
            (EventKind::Ok, _) => (Some(time), RegisterOutput::Done),
            (EventKind::Fail, RegisterInput::Cas { .. }) => (Some(time), RegisterOutput::CasFailed),
            (EventKind::Fail, _) => continue,
            (EventKind::Info, RegisterInput::Read) => continue,
            (EventKind::Info, _) => (None, RegisterOutput::Unknown),
            (EventKind::Invoke, _) => unreachable!("handled above"),
        };
        operations.push(Operation {
            id: call.id,
            client: call.process,
            call_ns: call.call_line,
            return_ns: return_line,
            input: call.input,
            output,
        });
    }
    let mut still_open: Vec<OpenCall> = open
        .into_values()
        .filter(|call| call.input != RegisterInput::Read)
        .collect();
    still_open.sort_by_key(|call| call.id);
    operations.extend(still_open.into_iter().map(|call| Operation {
        id: call.id,
        client: call.process,
        call_ns: call.call_line,
        return_ns: None,
        input: call.input,
        output: RegisterOutput::Unknown,
    }));
    operations.sort_by_key(|operation| operation.id);
    Ok(operations)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EventKind {
    Invoke,
    Ok,
    Fail,
    Info,
}

/// One log line's fields.
struct Event<'a> {
    process: u64,
    kind: EventKind,
    function: &'a str,
    /// The rest of the line, whitespace-separated words joined by one space.
    value: String,
}

fn parse_line(line: &str, line_number: usize) -> Result<Event<'_>, ImportError> {
    let error = |expected: &str| ImportError::new(line_number, expected, line);
    let (_, event) = line
        .split_once("jepsen.util - ")
        .ok_or_else(|| error("a `jepsen.util - ` log line"))?;
    let mut fields = event.split_whitespace();
    let process = fields
        .next()
        .and_then(|field| field.parse().ok())
        .ok_or_else(|| error("a process id"))?;
    let kind = match fields.next() {
        Some(":invoke") => EventKind::Invoke,
        Some(":ok") => EventKind::Ok,
        Some(":fail") => EventKind::Fail,
        Some(":info") => EventKind::Info,
        _ => return Err(error("an event type: :invoke, :ok, :fail or :info")),
    };
    let function = fields
        .next()
        .filter(|function| [":read", ":write", ":cas"].contains(function))
        .ok_or_else(|| error("a function: :read, :write or :cas"))?;
    let value = fields.collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        return Err(error("a value after the function"));
    }
    Ok(Event {
        process,
        kind,
        function,
        value,
    })
}

fn function_name(input: RegisterInput) -> &'static str {
    match input {
        RegisterInput::Read => ":read",
        RegisterInput::Write(_) => ":write",
        RegisterInput::Cas { .. } => ":cas",
    }
}

fn parse_input(function: &str, value: String) -> Option<RegisterInput> {
    match function {
        ":read" => (value == "nil").then_some(RegisterInput::Read),
        ":write" => value.parse().ok().map(RegisterInput::Write),
        ":cas" => {
            let pair = value.strip_prefix('[')?.strip_suffix(']')?;
            let (expected, new) = pair.split_once(' ')?;
            Some(RegisterInput::Cas {
                expected: expected.parse().ok()?,
                new: new.parse().ok()?,
            })
        }
        _ => None,
    }
}

/// `Some(None)` for `nil`, `Some(Some(n))` for an integer, `None` for anything else.
fn parse_read_value(value: String) -> Option<Option<i64>> {
    if value == "nil" {
        Some(None)
    } else {
        value.parse().ok().map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_kind_of_event() {
        let log = "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n\
                   INFO  jepsen.util - 1\t:invoke\t:write\t2\n\
                   INFO  jepsen.util - 2   :invoke :cas    [1 2]\n\
                   INFO  jepsen.util - 3\t:invoke\t:cas\t[2 4]\n\
                   INFO  jepsen.util - 4\t:invoke\t:read\tnil\n\
                   INFO  jepsen.util - 0\t:ok\t:read\t3\n\
                   INFO  jepsen.util - 1\t:info\t:write\t:timed-out\n\
                   INFO  jepsen.util - 2\t:fail\t:cas\t[1 2]\n\
                   INFO  jepsen.util - 4   :fail   :read   :timed-out\n\
                   \n";
        let operations = parse_jepsen_register_log(log).unwrap();
        let summary: Vec<_> = operations
            .iter()
            .map(|op| (op.id, op.call_ns, op.return_ns, op.input, op.output))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    0,
                    1,
                    Some(6),
                    RegisterInput::Read,
                    RegisterOutput::Read(Some(3))
                ),
                (1, 2, None, RegisterInput::Write(2), RegisterOutput::Unknown),
                (
                    2,
                    3,
                    Some(8),
                    RegisterInput::Cas {
                        expected: 1,
                        new: 2
                    },
                    RegisterOutput::CasFailed
                ),
                (
                    3,
                    4,
                    None,
                    RegisterInput::Cas {
                        expected: 2,
                        new: 4
                    },
                    RegisterOutput::Unknown
                ),
            ]
        );
    }

    #[test]
    fn garbage_and_truncated_lines_are_errors_naming_the_line() {
        let good = "INFO  jepsen.util - 0\t:invoke\t:write\t1\n";
        let cases = [
            "garbage",
            "INFO  jepsen.util - ",
            "INFO  jepsen.util - x\t:invoke\t:read\tnil",
            "INFO  jepsen.util - 1\t:invoke",
            "INFO  jepsen.util - 1\t:invoke\t:read",
            "INFO  jepsen.util - 1\t:launch\t:read\tnil",
            "INFO  jepsen.util - 1\t:invoke\t:delete\tnil",
            "INFO  jepsen.util - 1\t:invoke\t:write\tnil",
            "INFO  jepsen.util - 1\t:invoke\t:cas\t[1",
            "INFO  jepsen.util - 1\t:invoke\t:cas\t[1 x]",
            "INFO  jepsen.util - 1\t:ok\t:write\t1",
            "INFO  jepsen.util - 0\t:ok\t:read\t1",
            "INFO  jepsen.util - 0\t:invoke\t:write\t2",
            "\u{0}\u{ff}ÿ jepsen.util - 0 :ok :write",
        ];
        for case in cases {
            let error = parse_jepsen_register_log(&format!("{good}{case}\n")).unwrap_err();
            assert_eq!(error.line, 2, "{case:?}: {error}");
        }
        let error =
            parse_jepsen_register_log("INFO  jepsen.util - 0\t:ok\t:read\tx\n").unwrap_err();
        assert_eq!(error.line, 1);
        assert!(
            error.to_string().starts_with("line 1: expected "),
            "{error}"
        );
    }
}
