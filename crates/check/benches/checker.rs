//! How fast the checkers are: Porcupine's corpus ([`suites::corpus`]) and large
//! synthetic lockstep histories ([`suites::synthetic`]), one criterion main with a
//! suite per file, as raft-rs lays out its benchmarks.
//!
//! Run with `cargo bench -p check --bench checker`.

use criterion::{criterion_group, criterion_main};

mod suites;

criterion_group!(benches, suites::corpus::bench, suites::synthetic::bench);
criterion_main!(benches);
