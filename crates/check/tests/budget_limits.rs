//! The time and memory limits of a check: a history the search cannot finish ends
//! undecided, saying which limit ran out and what was explored, instead of running for
//! ever or until memory runs out.
//!
//! The hard history: 30 writes of distinct values to one register, all concurrent, then
//! reads of 0, 1 and 0 again. The reads contradict each other (0 was written once), but
//! the search only learns that after placing the writes, and every subset of them placed
//! so far, with each of its values last, is a configuration of its own: some 2^29 × 30.
//! (Key "0" of Porcupine's `c50-bad.txt`, which Porcupine did not finish in 30 s and 5 GB,
//! served here until the key-value model learned to read orders off its values: it is
//! now decided in milliseconds.)

use check::wgl::{search_within, Limit, Limits, MemoryPool, SearchOutcome};
use check::{
    check_register_history, Budget, CheckResult, RegisterInput, RegisterModel, RegisterOperation,
    RegisterOutput,
};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

const MEMORY_LIMIT: u64 = 8 << 20;
const WRITES: u64 = 30;

fn hard_history() -> Vec<RegisterOperation> {
    let writes = (0..WRITES).map(|value| RegisterOperation {
        id: value,
        client: value,
        call_ns: 0,
        return_ns: Some(100),
        input: RegisterInput::Write(value as i64),
        output: RegisterOutput::Done,
    });
    let reads = [0, 1, 0].into_iter().enumerate().map(|(nth, seen)| {
        let call_ns = 200 + 10 * nth as u64;
        RegisterOperation {
            id: WRITES + nth as u64,
            client: 0,
            call_ns,
            return_ns: Some(call_ns + 5),
            input: RegisterInput::Read,
            output: RegisterOutput::Read(Some(seen)),
        }
    });
    writes.chain(reads).collect()
}

fn undecided_why(budget: &Budget) -> String {
    match check_register_history(&hard_history(), budget).result {
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
        why.ends_with("0 of 1 partition linearizable, partition \"register\" undecided"),
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
        &RegisterModel,
        &hard_history(),
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
