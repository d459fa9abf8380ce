//! EDN key-value lines, as in Porcupine's kv test data: one map a line,
//! `{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}`.
//!
//! `:type` is `:invoke`, `:ok`, `:fail` (surely no effect: left out) or `:info` (no
//! answer: the call may take effect at any later time, or never); `:f` is `:get`, `:put`
//! or `:append`; a get's invocation has `:value nil`, its completion the value read
//! (`nil` reads as ""). Calls still open at the end are read like `:info`. Times are line
//! numbers; an operation's id is the position of its `:invoke` line among all of them.

use super::edn::{parse_map, Value};
use super::ImportError;
use crate::model::Operation;
use crate::models::kv_append::{KvAppendAction, KvAppendInput, KvAppendOperation, KvAppendOutput};
use std::collections::HashMap;

/// Reads EDN key-value lines into the operations to search, in order of their calls, all
/// keys together (see [`crate::models::kv_append::partition_by_key`]). Empty lines are
/// skipped.
pub fn parse_edn_kv_history(text: &str) -> Result<Vec<KvAppendOperation>, ImportError> {
    let mut open: HashMap<u64, (u64, u64, KvAppendInput)> = HashMap::new();
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
        let time = line_number as u64;
        if *kind == Value::Keyword("invoke".into()) {
            let Value::String(key) = field("key")? else {
                return Err(error("a string `:key`"));
            };
            let action = match (field("f")?, field("value")?) {
                (Value::Keyword(f), Value::Nil) if f == "get" => KvAppendAction::Get,
                (Value::Keyword(f), Value::String(value)) if f == "put" => {
                    KvAppendAction::Put(value.clone())
                }
                (Value::Keyword(f), Value::String(value)) if f == "append" => {
                    KvAppendAction::Append(value.clone())
                }
                _ => {
                    return Err(error(
                        "`:f :get` with `:value nil`, or `:f :put`/`:f :append` with a string",
                    ))
                }
            };
            let input = KvAppendInput {
                key: key.clone(),
                action,
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
        let (return_line, output) = match kind {
            Value::Keyword(kind) if kind == "ok" => {
                let output = match (&input.action, field("value")?) {
                    (KvAppendAction::Get, Value::String(value)) => {
                        KvAppendOutput::Value(value.clone())
                    }
                    (KvAppendAction::Get, Value::Nil) => KvAppendOutput::Value(String::new()),
                    (KvAppendAction::Get, _) => return Err(error("a string or nil read")),
                    _ => KvAppendOutput::Done,
                };
                (Some(time), output)
            }
            Value::Keyword(kind) if kind == "fail" => continue,
            Value::Keyword(kind) if kind == "info" => (None, KvAppendOutput::Unknown),
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
                output: KvAppendOutput::Unknown,
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
        let text = "{:process 0, :type :invoke, :f :append, :key \"0\", :value \"x 0 0 y\"}\n\
                    {:process 1, :type :invoke, :f :get, :key \"0\", :value nil}\n\
                    {:process 0, :type :ok, :f :append, :key \"0\", :value \"x 0 0 y\"}\n\
                    {:process 1, :type :ok, :f :get, :key \"0\", :value \"x 0 0 y\"}\n\
                    {:process 2, :type :invoke, :f :put, :key \"1\", :value \"z\"}\n";
        let operations = parse_edn_kv_history(text).unwrap();
        let summary: Vec<_> = operations
            .iter()
            .map(|op| (op.id, op.call_ns, op.return_ns, op.output.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, 1, Some(3), KvAppendOutput::Done),
                (1, 2, Some(4), KvAppendOutput::Value("x 0 0 y".into())),
                (2, 5, None, KvAppendOutput::Unknown),
            ]
        );
        assert_eq!(
            operations[2].input,
            KvAppendInput {
                key: "1".into(),
                action: KvAppendAction::Put("z".into())
            }
        );
    }

    #[test]
    fn garbage_and_truncated_lines_are_errors_naming_the_line() {
        let good = "{:process 0, :type :invoke, :f :get, :key \"0\", :value nil}\n";
        let cases = [
            "garbage",
            "{",
            "{:process 1, :type :invoke, :f :append, :key \"0\", :value \"x 0",
            "{:process 1, :type :invoke, :f :append, :key \"0\"}",
            "{:process x, :type :invoke, :f :get, :key \"0\", :value nil}",
            "{:process 1, :type :start, :f :get, :key \"0\", :value nil}",
            "{:process 1, :type :invoke, :f :delete, :key \"0\", :value nil}",
            "{:process 1, :type :invoke, :f :get, :key 0, :value nil}",
            "{:process 1, :type :ok, :f :get, :key \"0\", :value nil}",
            "{:process 0, :type :ok, :f :get, :key \"0\", :value 3}",
            "{:process 0, :type :invoke, :f :get, :key \"0\", :value nil}",
            "{:process 0 :type :ok} trailing",
            "{: 1}",
            "{:process 1, :type :invoke, :f :get, :key \"\\",
            "\u{0}\u{ff}ÿ",
        ];
        for case in cases {
            let error = parse_edn_kv_history(&format!("{good}{case}\n")).unwrap_err();
            assert_eq!(error.line, 2, "{case:?}: {error}");
        }
    }
}
