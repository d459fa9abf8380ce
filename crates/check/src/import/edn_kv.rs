//! EDN key-value lines, as in Porcupine's kv test data: one map a line,
//! `{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}`.
//!
//! `:type` is `:invoke`, `:ok`, `:fail` (surely no effect: left out) or `:info` (no
//! answer: the call may take effect at any later time, or never); `:f` is `:get`, `:put`
//! or `:append`; a get's invocation has `:value nil`, its completion the value read
//! (`nil` reads as ""). Calls still open at the end are read like `:info`. Times are line
//! numbers; an operation's id is the position of its `:invoke` line among all of them.

use super::edn::{field, read_calls, Value};
use super::ImportError;
use crate::models::kv_append::{KvAppendAction, KvAppendInput, KvAppendOperation, KvAppendOutput};

/// Reads EDN key-value lines into the operations to search, in order of their calls, all
/// keys together (see [`crate::models::kv_append::partition_by_key`]). Empty lines are
/// skipped.
pub fn parse_edn_kv_history(text: &str) -> Result<Vec<KvAppendOperation>, ImportError> {
    read_calls(
        text,
        |fields, _| {
            let Value::String(key) = field(fields, "key")? else {
                return Err("a string `:key`".to_string());
            };
            let action = match (field(fields, "f")?, field(fields, "value")?) {
                (Value::Keyword(f), Value::Nil) if f == "get" => KvAppendAction::Get,
                (Value::Keyword(f), Value::String(value)) if f == "put" => {
                    KvAppendAction::Put(value.clone())
                }
                (Value::Keyword(f), Value::String(value)) if f == "append" => {
                    KvAppendAction::Append(value.clone())
                }
                _ => {
                    return Err(
                        "`:f :get` with `:value nil`, or `:f :put`/`:f :append` with a string"
                            .to_string(),
                    )
                }
            };
            Ok(KvAppendInput {
                key: key.clone(),
                action,
            })
        },
        |fields, kind, input| {
            if kind == "fail" {
                return Ok(None);
            }
            let output = match (&input.action, field(fields, "value")?) {
                (KvAppendAction::Get, Value::String(value)) => KvAppendOutput::Value(value.clone()),
                (KvAppendAction::Get, Value::Nil) => KvAppendOutput::Value(String::new()),
                (KvAppendAction::Get, _) => return Err("a string or nil read".to_string()),
                _ => KvAppendOutput::Done,
            };
            Ok(Some(output))
        },
        KvAppendOutput::Unknown,
    )
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
