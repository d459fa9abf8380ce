//! The little of EDN that history lines use: one map a line, `{:name value, ...}`, whose
//! values are strings, keywords, integers or nil. Shared by the EDN readers ([`super::edn_kv`],
//! [`super::edn_mutex`]) and by [`super::detect_format`].

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
