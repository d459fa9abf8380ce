//! The time and memory limits of a check: a history the search cannot finish ends
//! undecided, saying which limit ran out and what was explored, instead of running for
//! ever or until memory runs out.
//!
//! The hard history is key "0" of Porcupine's `c50-bad.txt` on its own, which Porcupine
//! did not finish in 30 s and 5 GB (see `fixtures/porcupine/README.md`).

use check::wgl::{search_within, Limit, Limits, MemoryPool, SearchOutcome};
use check::{
    check_kv_append_history, parse_edn_kv_history, partition_by_key, Budget, CheckResult,
    KvAppendModel, KvAppendOperation,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

const MEMORY_LIMIT: u64 = 8 << 20;

fn hard_key() -> BTreeMap<String, Vec<KvAppendOperation>> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/porcupine/kv/c50-bad.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let mut partitions = partition_by_key(parse_edn_kv_history(&text).unwrap());
    BTreeMap::from([("0".to_string(), partitions.remove("0").unwrap())])
}

fn undecided_why(budget: &Budget) -> String {
    match check_kv_append_history(&hard_key(), budget).result {
        CheckResult::Undecided { why } => {
            println!("{why}");
            why
        }
        other => panic!("expected undecided, got {other:#?}"),
    }
}

#[test]
fn a_search_that_cannot_finish_stops_at_the_time_limit() {
    let why = undecided_why(&Budget {
        max_steps: u64::MAX,
        time_limit: Some(Duration::from_secs(1)),
        ..Budget::default()
    });
    assert!(
        why.starts_with("the time limit of 1s ran out after "),
        "{why}"
    );
    assert!(
        why.ends_with("0 of 1 partition linearizable, partition \"0\" undecided"),
        "{why}"
    );
}

#[test]
fn a_search_that_cannot_finish_stops_at_the_memory_limit() {
    let budget = Budget {
        max_steps: u64::MAX,
        // A safety net: the memory limit must run out long before.
        time_limit: Some(Duration::from_secs(120)),
        max_memory_bytes: MEMORY_LIMIT,
    };
    let why = undecided_why(&budget);
    assert!(
        why.starts_with("the memory limit of 8.0 MiB ran out after "),
        "{why}"
    );

    let pool = MemoryPool::new(MEMORY_LIMIT);
    let search = search_within(
        &KvAppendModel,
        &hard_key()["0"],
        &Limits {
            max_steps: u64::MAX,
            deadline: Some(Instant::now() + Duration::from_secs(120)),
            memory: &pool,
            cancelled: &AtomicBool::new(false),
        },
    );
    assert_eq!(
        search.outcome,
        SearchOutcome::OutOfBudget {
            limit: Limit::Memory
        }
    );
    // The memo is checked before it grows, so the estimate never passes the limit; and it
    // got close to it (within what a few entries take) before running out.
    assert!(search.memo_bytes <= MEMORY_LIMIT, "{}", search.memo_bytes);
    assert!(pool.peak_bytes() <= MEMORY_LIMIT, "{}", pool.peak_bytes());
    assert!(
        search.memo_bytes > MEMORY_LIMIT - (64 << 10),
        "{}",
        search.memo_bytes
    );
    assert!(search.memo_entries > 0);
}

#[test]
fn a_budget_round_trips_through_json() {
    let budget = Budget {
        max_steps: 7,
        time_limit: Some(Duration::from_millis(1500)),
        max_memory_bytes: 1 << 20,
    };
    let json = serde_json::to_string(&budget).unwrap();
    assert_eq!(serde_json::from_str::<Budget>(&json).unwrap(), budget);
    assert_eq!(
        serde_json::from_str::<Budget>(&serde_json::to_string(&Budget::default()).unwrap())
            .unwrap(),
        Budget::default()
    );
}
