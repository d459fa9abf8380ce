//! Large lockstep histories made up in the bench, linearizable by construction: a
//! simulated etcd-like store serves simulated clients, and every operation takes effect
//! at one instant strictly inside its `[call, return]` interval, in the order of those
//! instants, with one global revision counter. Calls that get no answer (`Unknown`, no
//! return time) take effect at some later instant, or never.
//!
//! Deterministic: everything comes from a seeded [`SmallRng`].

use check::{check_history, Budget};
use criterion::{Criterion, Throughput};
use history::{CasCompare, History, KvInput, KvOutput, Op, Outcome};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hint::black_box;
use std::time::Instant;

/// The shape of a synthetic history.
struct Workload {
    seed: u64,
    operations: usize,
    keys: usize,
    clients: u64,
    /// The fraction of calls that get no answer.
    unknown_rate: f64,
}

/// One key in the simulated store: its value and mod_revision.
struct Entry {
    value: String,
    mod_revision: u64,
}

/// What happens next in the simulation, ordered by time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// An operation takes effect on the store (index into the ops).
    Effect(usize),
    /// A client sends its next call.
    Call(u64),
}

/// Calls take 50 µs to 2 ms; a call without an answer is given up after 5 ms, and may
/// still take effect up to 10 ms after it was sent.
const MIN_LATENCY_NS: u64 = 50_000;
const MAX_LATENCY_NS: u64 = 2_000_000;
const TIMEOUT_NS: u64 = 5_000_000;
const MAX_LATE_EFFECT_NS: u64 = 10_000_000;
const MAX_THINK_NS: u64 = 200_000;

fn generate(workload: &Workload) -> History {
    let mut rng = SmallRng::seed_from_u64(workload.seed);
    let key_names: Vec<String> = (0..workload.keys).map(|key| format!("k{key:04}")).collect();
    let mut store: HashMap<usize, Entry> = HashMap::new();
    let mut revision = 0u64;
    let mut ops: Vec<(Op, usize)> = Vec::with_capacity(workload.operations);
    let mut events = BinaryHeap::new();
    for client in 0..workload.clients {
        events.push(Reverse((
            rng.gen_range(0..MAX_THINK_NS),
            Event::Call(client),
        )));
    }
    let mut values_written = 0u64;
    while let Some(Reverse((now, event))) = events.pop() {
        match event {
            Event::Call(client) => {
                if ops.len() == workload.operations {
                    continue;
                }
                // Half the calls go to a tenth of the keys: some contention on hot keys.
                let key = if workload.keys > 10 && rng.gen_bool(0.5) {
                    rng.gen_range(0..workload.keys / 10)
                } else {
                    rng.gen_range(0..workload.keys)
                };
                let name = key_names[key].clone();
                values_written += 1;
                let new_value = format!("v{values_written}");
                // A cas compares against what the key holds when the call is sent (it may
                // change before the cas takes effect), now and then against a stale guess.
                let input = match rng.gen_range(0..10) {
                    0..=3 => KvInput::Get { key: name },
                    4..=6 => KvInput::Put {
                        key: name,
                        value: new_value,
                    },
                    _ => {
                        let current = store.get(&key);
                        let compare = if rng.gen_bool(0.5) {
                            let mut expected = current.map_or(0, |entry| entry.mod_revision);
                            if rng.gen_bool(0.1) {
                                expected = expected.saturating_sub(1);
                            }
                            CasCompare::ModRevision { expected }
                        } else {
                            let expected = match current {
                                Some(entry) if rng.gen_bool(0.9) => entry.value.clone(),
                                _ => format!("v{}", rng.gen_range(1..=values_written)),
                            };
                            CasCompare::Value { expected }
                        };
                        KvInput::Cas {
                            key: name,
                            compare,
                            value: new_value,
                        }
                    }
                };
                let index = ops.len();
                let unknown = rng.gen_bool(workload.unknown_rate);
                let (return_ns, next_call_ns) = if unknown {
                    // It takes effect at some instant after the call, or never.
                    if rng.gen_bool(0.5) {
                        let effect = now + rng.gen_range(1..=MAX_LATE_EFFECT_NS);
                        events.push(Reverse((effect, Event::Effect(index))));
                    }
                    (None, now + TIMEOUT_NS)
                } else {
                    let return_ns = now + rng.gen_range(MIN_LATENCY_NS..=MAX_LATENCY_NS);
                    let effect = rng.gen_range(now + 1..return_ns);
                    events.push(Reverse((effect, Event::Effect(index))));
                    (Some(return_ns), return_ns)
                };
                let outcome = Outcome::Unknown {
                    reason: "no answer in time".to_string(),
                };
                ops.push((
                    Op {
                        id: 0,
                        client,
                        call_ns: now,
                        return_ns,
                        input,
                        outcome,
                    },
                    key,
                ));
                let think = rng.gen_range(1..=MAX_THINK_NS);
                events.push(Reverse((next_call_ns + think, Event::Call(client))));
            }
            Event::Effect(index) => {
                let (op, key) = &mut ops[index];
                let output = apply(&mut store, &mut revision, *key, &op.input);
                if op.return_ns.is_some() {
                    op.outcome = Outcome::Ok(output);
                }
            }
        }
    }
    let mut history = History::new("synthetic", workload.seed);
    history.ops = ops.into_iter().map(|(op, _)| op).collect();
    history.sort();
    for (id, op) in history.ops.iter_mut().enumerate() {
        op.id = id as u64;
    }
    history
}

/// Applies `input` to the store as etcd would, and returns its answer.
fn apply(
    store: &mut HashMap<usize, Entry>,
    revision: &mut u64,
    key: usize,
    input: &KvInput,
) -> KvOutput {
    match input {
        KvInput::Get { .. } => {
            let entry = store.get(&key);
            KvOutput::Get {
                value: entry.map(|entry| entry.value.clone()),
                mod_revision: entry.map_or(0, |entry| entry.mod_revision),
                revision: Some(*revision),
            }
        }
        KvInput::Put { value, .. } => {
            *revision += 1;
            store.insert(
                key,
                Entry {
                    value: value.clone(),
                    mod_revision: *revision,
                },
            );
            KvOutput::Put {
                revision: *revision,
            }
        }
        KvInput::Delete { .. } => {
            let deleted = store.remove(&key).is_some();
            if deleted {
                *revision += 1;
            }
            KvOutput::Delete {
                deleted: u64::from(deleted),
                revision: *revision,
            }
        }
        KvInput::Cas {
            compare,
            value: new_value,
            ..
        } => {
            let entry = store.get(&key);
            let holds = match compare {
                CasCompare::Value { expected } => entry.is_some_and(|e| &e.value == expected),
                CasCompare::ModRevision { expected } => {
                    entry.map_or(0, |e| e.mod_revision) == *expected
                }
            };
            if holds {
                *revision += 1;
                store.insert(
                    key,
                    Entry {
                        value: new_value.clone(),
                        mod_revision: *revision,
                    },
                );
                KvOutput::Cas {
                    succeeded: true,
                    revision: *revision,
                    value: None,
                    mod_revision: 0,
                }
            } else {
                KvOutput::Cas {
                    succeeded: false,
                    revision: *revision,
                    value: entry.map(|e| e.value.clone()),
                    mod_revision: entry.map_or(0, |e| e.mod_revision),
                }
            }
        }
    }
}

/// Enough for both histories; a check that ran out would fail the assertion below.
const BUDGET: Budget = Budget {
    max_steps: 200_000_000,
    time_limit: None,
    max_memory_bytes: 2 << 30,
};

pub fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("synthetic");
    for (name, workload) in [
        (
            "100k_ops_1000_keys_10_clients",
            Workload {
                seed: 1,
                operations: 100_000,
                keys: 1_000,
                clients: 10,
                unknown_rate: 0.03,
            },
        ),
        (
            "10k_ops_1_key_8_clients",
            Workload {
                seed: 2,
                operations: 10_000,
                keys: 1,
                clients: 8,
                unknown_rate: 0.0,
            },
        ),
    ] {
        let history = generate(&workload);
        assert_eq!(history.ops.len(), workload.operations);
        let unknown = history
            .ops
            .iter()
            .filter(|op| op.return_ns.is_none())
            .count();
        let started = Instant::now();
        let verdict = check_history(&history, &BUDGET);
        group.sample_size(super::corpus::sample_size(started.elapsed()));
        assert!(
            verdict.is_ok(),
            "{name}: the generator made a history not judged linearizable:\n{}",
            verdict.summary()
        );
        eprintln!(
            "{name}: {unknown} ops without answer; {}",
            verdict.summary().replace('\n', "; ")
        );
        group.throughput(Throughput::Elements(history.ops.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| check_history(black_box(&history), &BUDGET))
        });
    }
    group.finish();
}
