//! The little of EDN that history lines use: one map a line, `{:name value, ...}`, whose
//! values are strings, keywords, integers or nil. Shared by the EDN readers ([`super::edn_kv`],
//! [`super::edn_mutex`]) and by [`super::detect_format`].

use super::ImportError;
use crate::model::Operation;
use std::collections::HashMap;

/// An EDN value, as far as these lines use them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Nil,
    Integer(u64),
    /// Without the leading colon.
    Keyword(String),
    String(String),
}

/// Reads `{:name value, ...}`: the values by name, or what was expected where it failed.
pub(crate) fn parse_map(line: &str) -> Result<HashMap<String, Value>, String> {
    let mut rest = line
        .trim()
        .strip_prefix('{')
        .ok_or("a map starting with `{`")?;
    let mut fields = HashMap::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if let Some(after) = rest.strip_prefix('}') {
            return if after.trim().is_empty() {
                Ok(fields)
            } else {
                Err("nothing after the closing `}`".to_string())
            };
        }
        let after_colon = rest
            .strip_prefix(':')
            .ok_or("a `:name` or the closing `}`")?;
        let (name, after_name) = split_token(after_colon);
        if name.is_empty() {
            return Err("a `:name`".to_string());
        }
        let (value, after_value) = parse_value(after_name.trim_start())?;
        fields.insert(name.to_string(), value);
        rest = after_value;
    }
}

/// The text up to the next whitespace, `,` or `}`, and what follows.
fn split_token(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| c.is_whitespace() || c == ',' || c == '}')
        .unwrap_or(text.len());
    text.split_at(end)
}

fn parse_value(text: &str) -> Result<(Value, &str), String> {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut value = String::new();
        let mut characters = quoted.char_indices();
        while let Some((position, character)) = characters.next() {
            match character {
                '"' => return Ok((Value::String(value), &quoted[position + 1..])),
                '\\' => match characters.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 't')) => value.push('\t'),
                    Some((_, escaped)) => value.push(escaped),
                    None => break,
                },
                _ => value.push(character),
            }
        }
        return Err("a closing `\"`".to_string());
    }
    let (token, rest) = split_token(text);
    let value = if token == "nil" {
        Value::Nil
    } else if let Some(keyword) = token.strip_prefix(':').filter(|word| !word.is_empty()) {
        Value::Keyword(keyword.to_string())
    } else if let Ok(integer) = token.parse() {
        Value::Integer(integer)
    } else {
        return Err("a value: a string, keyword, integer or nil".to_string());
    };
    Ok((value, rest))
}

/// A line's fields by name.
pub(crate) type Fields = HashMap<String, Value>;

/// The field `name` of a line, or what was expected.
pub(crate) fn field<'a>(fields: &'a Fields, name: &str) -> Result<&'a Value, String> {
    fields.get(name).ok_or_else(|| format!("a `:{name}` entry"))
}

/// Reads EDN lines of calls and their completions into operations, in order of their
/// calls: a process's `:invoke` opens a call, its next line completes it. `invoke` reads
/// a call's request from its line (and the process); `complete` reads an `:ok` or `:fail`
/// line (its `:type` keyword, the request) into the output, or `None` when the call is to
/// be left out. `:info`, and calls still open at the end, have no return and the output
/// `unknown`. Times are line numbers; an operation's id is the position of its `:invoke`
/// line among all of them; its client is the process. Empty lines are skipped; the first
/// line that cannot be read is the error.
pub(crate) fn read_calls<I, O: Clone>(
    text: &str,
    mut invoke: impl FnMut(&Fields, u64) -> Result<I, String>,
    mut complete: impl FnMut(&Fields, &str, &I) -> Result<Option<O>, String>,
    unknown: O,
) -> Result<Vec<Operation<I, O>>, ImportError> {
    let mut open: HashMap<u64, (u64, u64, I)> = HashMap::new();
    let mut operations = Vec::new();
    let mut invocations = 0;
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let error = |expected: String| ImportError::new(line_number, expected, line);
        let fields = parse_map(line).map_err(error)?;
        let process = match field(&fields, "process").map_err(error)? {
            Value::Integer(process) => *process,
            _ => return Err(error("an integer `:process`".to_string())),
        };
        let time = line_number as u64;
        let kind = match field(&fields, "type").map_err(error)? {
            Value::Keyword(kind) => kind.as_str(),
            _ => return Err(error("`:type` :invoke, :ok, :fail or :info".to_string())),
        };
        if kind == "invoke" {
            let input = invoke(&fields, process).map_err(error)?;
            if open.insert(process, (invocations, time, input)).is_some() {
                return Err(error(
                    "no new call by a process whose call is still open".to_string(),
                ));
            }
            invocations += 1;
            continue;
        }
        let (id, call_line, input) = open
            .remove(&process)
            .ok_or_else(|| error("a completion of a call the process made".to_string()))?;
        let (return_line, output) = match kind {
            "ok" | "fail" => match complete(&fields, kind, &input).map_err(error)? {
                Some(output) => (Some(time), output),
                None => continue,
            },
            "info" => (None, unknown.clone()),
            _ => return Err(error("`:type` :invoke, :ok, :fail or :info".to_string())),
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
                output: unknown.clone(),
            }),
    );
    operations.sort_by_key(|operation| operation.id);
    Ok(operations)
}
