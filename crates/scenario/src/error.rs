//! Errors in scenario files.

use std::fmt;

/// A scenario file that cannot be used, and exactly where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// Where the bad input came from: the file's path, or a flag (`--set cluster.nodes=40`)
    /// when the value was given on the command line (line 0 then).
    pub file: String,
    /// 1-based; 0 when the problem is not at a place in the file (e.g. it cannot be read).
    pub line: usize,
    pub column: usize,
    /// Dotted path of the field, e.g. `cluster.nodes` or `faults[2].node`; empty if unknown.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.field.is_empty() {
            write!(f, ": field `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Converts a byte offset in `source` into a 1-based (line, column).
pub(crate) fn line_and_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}
