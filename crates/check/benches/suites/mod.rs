//! The benchmark suites, one per file. They live in a subdirectory so that cargo does not
//! take each file for a bench target of its own.

pub mod corpus;
pub mod synthetic;
