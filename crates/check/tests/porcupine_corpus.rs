//! Porcupine's test histories, whose verdicts are known (see
//! `fixtures/porcupine/README.md`): every row of `MANIFEST.tsv` is imported and checked,
//! and the verdict must be the expected one. Run with `--nocapture` for a table of
//! verdicts and times.
//!
//! Rows: `etcd` (Jepsen register logs, one partition), `kv` (EDN key-value lines,
//! partitioned by key) and `kv-nopart` (the same files as a single object, which is what
//! makes them hard); `etcd_095.log` is empty and has no verdict: it must import to no
//! operations and check as linearizable.

use check::{
    check_kv_append_history, check_partitions, check_register_history, parse_edn_kv_history,
    parse_jepsen_register_log, partition_by_key, Budget, CheckReport, CheckResult, KvAppendModel,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// Generous enough for every history in the corpus; the search stops long before on all
/// of them.
const BUDGET: Budget = Budget {
    max_steps: 200_000_000,
    time_limit: None,
    max_memory_bytes: 2 << 30,
};

/// Imports and checks one file as `model` says: the check's report and how many
/// operations were searched (fewer than the manifest's count when some, like reads
/// without an answer, say nothing and are left out).
fn check_file(model: &str, text: &str, file: &str) -> (CheckReport, usize) {
    match model {
        "etcd" => {
            let operations =
                parse_jepsen_register_log(text).unwrap_or_else(|error| panic!("{file}: {error}"));
            (
                check_register_history(&operations, &BUDGET),
                operations.len(),
            )
        }
        "kv" | "kv-nopart" => {
            let operations =
                parse_edn_kv_history(text).unwrap_or_else(|error| panic!("{file}: {error}"));
            let count = operations.len();
            let report = if model == "kv" {
                check_kv_append_history(&partition_by_key(operations), &BUDGET)
            } else {
                let whole = BTreeMap::from([("all keys".to_string(), operations)]);
                check_partitions(&KvAppendModel, &whole, &BUDGET)
            };
            (report, count)
        }
        other => panic!("{file}: unknown model {other}"),
    }
}

#[test]
fn every_manifest_row_gets_porcupines_verdict() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/porcupine");
    let manifest = std::fs::read_to_string(fixtures.join("MANIFEST.tsv")).unwrap();
    let mut rows = manifest.lines();
    let header: Vec<&str> = rows.next().unwrap().split('\t').collect();
    let column = |name: &str| header.iter().position(|field| *field == name).unwrap();
    let (file_column, model_column, expected_column) = (
        column("file"),
        column("model"),
        column("expected_linearizable"),
    );

    println!(
        "{:<24} {:<10} {:>6} {:<9} {:<9} {:>9}",
        "file", "model", "ops", "expected", "got", "ms"
    );
    let mut mismatches = Vec::new();
    let mut with_verdict = 0;
    for row in rows {
        let fields: Vec<&str> = row.split('\t').collect();
        let (file, model) = (fields[file_column], fields[model_column]);
        let expected = fields[expected_column];
        let text = std::fs::read_to_string(fixtures.join(file)).unwrap();
        let started = Instant::now();
        let (report, operations) = check_file(model, &text, file);
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        let got = match report.result {
            CheckResult::Ok { .. } => "true",
            CheckResult::Violation { .. } => "false",
            CheckResult::Undecided { .. } => "undecided",
        };
        println!("{file:<24} {model:<10} {operations:>6} {expected:<9} {got:<9} {elapsed_ms:>9.1}");
        let expected = if expected == "none" {
            // No verdict: an empty history, which is trivially linearizable.
            assert_eq!(operations, 0, "{file}");
            "true"
        } else {
            with_verdict += 1;
            expected
        };
        if got != expected {
            mismatches.push(format!("{file} ({model}): expected {expected}, got {got}"));
        }
    }
    println!(
        "{with_verdict} rows with a verdict, {} mismatches",
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert_eq!(
        with_verdict, 112,
        "rows with a verdict (102 etcd, 6 kv, 4 kv-nopart)"
    );
}
