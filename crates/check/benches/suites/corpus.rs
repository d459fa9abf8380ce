//! Porcupine's test histories (`tests/fixtures/porcupine/`, see its README): the whole
//! etcd corpus, its hardest single files, and the 50-client key-value histories. Files are
//! read and parsed once, outside the timed loop; an iteration is the check alone.

use check::{
    check_kv_append_history, check_register_history, parse_edn_kv_history,
    parse_jepsen_register_log, partition_by_key, Budget, CheckReport, CheckResult,
    KvAppendOperation, RegisterOperation,
};
use criterion::{Criterion, Throughput};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Generous enough for every history in the corpus, as in `tests/porcupine_corpus.rs`.
const BUDGET: Budget = Budget {
    max_steps: 200_000_000,
    time_limit: None,
    max_memory_bytes: 2 << 30,
};

/// For c50-bad key by key: no step limit that could end a hard key early, but at most
/// 2 s per key, so that a key the search could not decide (as Porcupine could not decide
/// key "0" in 30 s) shows as 2 s in the figures instead of hanging the benchmark.
const PER_KEY_BUDGET: Budget = Budget {
    max_steps: u64::MAX,
    time_limit: Some(Duration::from_secs(2)),
    max_memory_bytes: 2 << 30,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/porcupine")
}

fn read(file: &str) -> String {
    let path = fixtures().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn etcd(file: &str) -> Vec<RegisterOperation> {
    parse_jepsen_register_log(&read(file)).unwrap_or_else(|error| panic!("{file}: {error}"))
}

fn kv(file: &str) -> BTreeMap<String, Vec<KvAppendOperation>> {
    partition_by_key(
        parse_edn_kv_history(&read(file)).unwrap_or_else(|error| panic!("{file}: {error}")),
    )
}

/// The expected verdict of every file, from `MANIFEST.tsv` (`None`: no verdict).
fn expected_verdicts() -> BTreeMap<String, Option<bool>> {
    let manifest = read("MANIFEST.tsv");
    let mut rows = manifest.lines();
    let header: Vec<&str> = rows.next().expect("a header").split('\t').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|field| *field == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (file, expected) = (column("file"), column("expected_linearizable"));
    rows.map(|row| {
        let fields: Vec<&str> = row.split('\t').collect();
        (fields[file].to_string(), fields[expected].parse().ok())
    })
    .collect()
}

/// Whether the report is a decided verdict matching `expected` (`None`: anything decided).
fn assert_verdict(file: &str, report: &CheckReport, expected: Option<bool>) {
    let linearizable = match &report.result {
        CheckResult::Ok { .. } => true,
        CheckResult::Violation { .. } => false,
        CheckResult::Undecided { why } => panic!("{file}: undecided: {why}"),
    };
    if let Some(expected) = expected {
        assert_eq!(linearizable, expected, "{file}: wrong verdict: {report:?}");
    }
}

/// c50-bad as the issue asks: one check per key, keys in sorted order, stopping at the
/// first key found not linearizable. Returns the keys checked and the failing key.
fn check_keys_in_order(
    keys: &[BTreeMap<String, Vec<KvAppendOperation>>],
) -> (Vec<(String, CheckResult, Duration)>, Option<String>) {
    let mut checked = Vec::new();
    for key in keys {
        let started = Instant::now();
        let report = check_kv_append_history(key, &PER_KEY_BUDGET);
        let name = key.keys().next().expect("one key").clone();
        let failed = matches!(report.result, CheckResult::Violation { .. });
        checked.push((name.clone(), report.result, started.elapsed()));
        if failed {
            return (checked, Some(name));
        }
    }
    (checked, None)
}

pub fn bench(c: &mut Criterion) {
    let expected = expected_verdicts();
    let mut group = c.benchmark_group("porcupine");

    // The whole etcd corpus: every Jepsen log, checked in turn.
    let mut corpus: Vec<(String, Vec<RegisterOperation>)> = expected
        .keys()
        .filter(|file| file.starts_with("jepsen/etcd_"))
        .map(|file| (file.clone(), etcd(file)))
        .collect();
    corpus.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(corpus.len(), 103, "the etcd corpus has 103 files");
    for (file, operations) in &corpus {
        assert_verdict(
            file,
            &check_register_history(operations, &BUDGET),
            expected[file],
        );
    }
    group.sample_size(10);
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function("etcd_corpus_103_files", |b| {
        b.iter(|| {
            for (_, operations) in &corpus {
                black_box(check_register_history(black_box(operations), &BUDGET));
            }
        })
    });

    // The hardest single etcd files.
    group.throughput(Throughput::Elements(1));
    for number in ["002", "007", "057", "099"] {
        let file = format!("jepsen/etcd_{number}.log");
        let operations = etcd(&file);
        let started = Instant::now();
        let report = check_register_history(&operations, &BUDGET);
        group.sample_size(sample_size(started.elapsed()));
        assert_verdict(&file, &report, expected[&file]);
        group.bench_function(format!("etcd_{number}"), |b| {
            b.iter(|| check_register_history(black_box(&operations), &BUDGET))
        });
    }

    // c50-ok: all keys at once, as check_kv_append_history does (in parallel).
    let c50_ok = kv("kv/c50-ok.txt");
    let started = Instant::now();
    let report = check_kv_append_history(&c50_ok, &BUDGET);
    group.sample_size(sample_size(started.elapsed()));
    assert_verdict("kv/c50-ok.txt", &report, Some(true));
    group.bench_function("kv_c50_ok", |b| {
        b.iter(|| check_kv_append_history(black_box(&c50_ok), &BUDGET))
    });

    // c50-bad: all keys at once, in parallel, stopping at the first failing one.
    let c50_bad_at_once = kv("kv/c50-bad.txt");
    let report = check_kv_append_history(&c50_bad_at_once, &BUDGET);
    assert_verdict("kv/c50-bad.txt", &report, Some(false));
    group.bench_function("kv_c50_bad", |b| {
        b.iter(|| check_kv_append_history(black_box(&c50_bad_at_once), &BUDGET))
    });

    // c50-bad key by key, in key order, up to the first failing key.
    let c50_bad: Vec<BTreeMap<String, Vec<KvAppendOperation>>> = kv("kv/c50-bad.txt")
        .into_iter()
        .map(|(key, operations)| BTreeMap::from([(key, operations)]))
        .collect();
    let started = Instant::now();
    let (checked, failing) = check_keys_in_order(&c50_bad);
    eprintln!(
        "kv_c50_bad_keys_in_order: {:.2?} once; keys checked: {}; first failing key: {failing:?}",
        started.elapsed(),
        checked
            .iter()
            .map(|(key, result, took)| format!("{key:?} {} in {took:.2?}", verdict_word(result)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(
        failing.is_some(),
        "kv/c50-bad.txt: no key found not linearizable"
    );
    group.bench_function("kv_c50_bad_keys_in_order", |b| {
        b.iter(|| check_keys_in_order(black_box(&c50_bad)))
    });
    group.finish();
}

/// criterion's default of 100 samples for quick checks, 10 for those slower than 100 ms
/// (`once`: how long one check took, measured before benchmarking).
pub fn sample_size(once: Duration) -> usize {
    if once > Duration::from_millis(100) {
        10
    } else {
        100
    }
}

fn verdict_word(result: &CheckResult) -> &'static str {
    match result {
        CheckResult::Ok { .. } => "ok",
        CheckResult::Violation { .. } => "violation",
        CheckResult::Undecided { .. } => "undecided",
    }
}
