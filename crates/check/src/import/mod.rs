//! Readers for third-party history formats, so that histories recorded by other tools get
//! the same search as lockstep's own: Jepsen's register logs ([`jepsen_log`]), the EDN
//! key-value lines of Porcupine's test data ([`edn_kv`]) and Jepsen's EDN lock lines
//! ([`edn_mutex`]). Each reports the first line it cannot read as an [`ImportError`] and
//! never panics.

pub(crate) mod edn;
pub mod edn_kv;
pub mod edn_mutex;
pub mod jepsen_log;

use std::fmt;

/// A line an importer could not read: which line (1-based), what it expected there and
/// what it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    pub line: usize,
    pub expected: String,
    pub found: String,
}

impl ImportError {
    pub(crate) fn new(line: usize, expected: impl Into<String>, found: impl Into<String>) -> Self {
        ImportError {
            line,
            expected: expected.into(),
            found: found.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "line {}: expected {}, found {:?}",
            self.line, self.expected, self.found
        )
    }
}

impl std::error::Error for ImportError {}

/// The formats a history file can be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryFormat {
    /// lockstep's own history JSON (`{"format":"lockstep-history/...`).
    LockstepJson,
    /// Jepsen register log lines (`INFO  jepsen.util - 0 :invoke :read nil`).
    JepsenLog,
    /// EDN key-value lines (`{:process 0, :type :invoke, :f :get, ...}`).
    EdnKv,
    /// EDN lock lines (`{:process 0, :type :invoke, :f :acquire, ...}`).
    EdnMutex,
}

/// Says which format `text` is in, from its start, or an error naming line 1. An EDN first
/// line whose `:f` is `:acquire` or `:release` starts a lock history; any other EDN first
/// line, even one that cannot be read, a key-value history (whose reader then names it).
pub fn detect_format(text: &str) -> Result<HistoryFormat, ImportError> {
    let first_line = text.lines().next().unwrap_or("");
    if text.starts_with("{\"format\":\"lockstep-history/") {
        Ok(HistoryFormat::LockstepJson)
    } else if first_line.starts_with("{:") {
        let f = edn::parse_map(first_line)
            .ok()
            .and_then(|mut fields| fields.remove("f"));
        Ok(match f {
            Some(edn::Value::Keyword(f)) if f == "acquire" || f == "release" => {
                HistoryFormat::EdnMutex
            }
            _ => HistoryFormat::EdnKv,
        })
    } else if first_line.contains("jepsen.util - ") {
        Ok(HistoryFormat::JepsenLog)
    } else {
        Err(ImportError::new(
            1,
            "a lockstep history (`{\"format\":\"lockstep-history/`), a Jepsen log line \
             (`INFO  jepsen.util - ...`) or an EDN kv or lock line (`{:process ...`)",
            first_line,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_and_names_line_1_otherwise() {
        assert_eq!(
            detect_format("{\"format\":\"lockstep-history/1\",\"ops\":[]}"),
            Ok(HistoryFormat::LockstepJson)
        );
        assert_eq!(
            detect_format("INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"),
            Ok(HistoryFormat::JepsenLog)
        );
        assert_eq!(
            detect_format("{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n"),
            Ok(HistoryFormat::EdnKv)
        );
        assert_eq!(
            detect_format("{:process 0, :type :invoke, :f :acquire, :value nil}\n"),
            Ok(HistoryFormat::EdnMutex)
        );
        assert_eq!(
            detect_format("{:process 3, :type :invoke, :f :release}\n"),
            Ok(HistoryFormat::EdnMutex)
        );
        assert_eq!(detect_format("{:process 0, :f"), Ok(HistoryFormat::EdnKv));
        for unknown in ["", "hello\n{:process 0}", "[1, 2]"] {
            assert_eq!(detect_format(unknown).unwrap_err().line, 1);
        }
    }
}
