//! Histories produced by running clients against a tiny reference store, in which every
//! operation takes effect at one instant inside its interval: such histories are
//! linearizable by construction, so the checker must accept every one of them, and must
//! reject them once a reply is falsified.

use check::{check_linearizable, Budget, CheckResult, Evidence, LinearizabilityViolation};
use history::{CasCompare, History, KvInput, KvOutput, Op, Outcome};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// An etcd-like store: one revision counter for all keys, starting at 1 as etcd's does.
struct ReferenceStore {
    revision: u64,
    /// Each key's value and mod_revision.
    keys: BTreeMap<String, (String, u64)>,
}

impl ReferenceStore {
    fn new() -> Self {
        ReferenceStore {
            revision: 1,
            keys: BTreeMap::new(),
        }
    }

    fn apply(&mut self, input: &KvInput) -> KvOutput {
        let key = input.key().to_string();
        let current = self.keys.get(&key).cloned();
        match input {
            KvInput::Get { .. } => KvOutput::Get {
                mod_revision: current.as_ref().map_or(0, |(_, revision)| *revision),
                value: current.map(|(value, _)| value),
                revision: Some(self.revision),
            },
            KvInput::Put { value, .. } => {
                self.revision += 1;
                self.keys.insert(key, (value.clone(), self.revision));
                KvOutput::Put {
                    revision: self.revision,
                }
            }
            KvInput::Delete { .. } => {
                if self.keys.remove(&key).is_some() {
                    self.revision += 1;
                }
                KvOutput::Delete {
                    deleted: u64::from(current.is_some()),
                    revision: self.revision,
                }
            }
            KvInput::Cas { compare, value, .. } => {
                let holds = match compare {
                    CasCompare::Value { expected } => {
                        current.as_ref().is_some_and(|(value, _)| value == expected)
                    }
                    CasCompare::ModRevision { expected } => {
                        current.as_ref().map_or(0, |(_, revision)| *revision) == *expected
                    }
                };
                if holds {
                    self.revision += 1;
                    self.keys.insert(key, (value.clone(), self.revision));
                    KvOutput::Cas {
                        succeeded: true,
                        revision: self.revision,
                        value: None,
                        mod_revision: 0,
                    }
                } else {
                    KvOutput::Cas {
                        succeeded: false,
                        revision: self.revision,
                        mod_revision: current.as_ref().map_or(0, |(_, revision)| *revision),
                        value: current.map(|(value, _)| value),
                    }
                }
            }
        }
    }
}

/// How a simulated call ends.
#[derive(Clone, Debug)]
enum Fate {
    /// Answered; it took effect `effect_ns` after its call (at most its duration).
    Answered { effect_ns: u64 },
    /// Refused: it never took effect.
    Failed,
    /// No answer; it took effect `effect_ns` after its call (any time, even long after
    /// the client gave up), or never.
    Unanswered { effect_ns: Option<u64> },
}

/// One simulated call.
#[derive(Clone, Debug)]
struct Call {
    client: u64,
    input: KvInput,
    /// Idle time of the client before the call.
    gap_ns: u64,
    /// From call to return (or to giving up).
    duration_ns: u64,
    fate: Fate,
}

/// Runs the calls, each client's in order, and records the history. With `sequential`,
/// all clients share one clock, so no two calls overlap.
fn simulate(calls: &[Call], sequential: bool) -> History {
    let mut free_at_ns: BTreeMap<u64, u64> = BTreeMap::new();
    let mut ops = Vec::new();
    // (when, op index): the instant each call that takes effect does so.
    let mut effects = Vec::new();
    for (index, call) in calls.iter().enumerate() {
        let clock = if sequential { 0 } else { call.client };
        let call_ns = free_at_ns.get(&clock).copied().unwrap_or(0) + call.gap_ns;
        let return_ns = call_ns + call.duration_ns;
        free_at_ns.insert(clock, return_ns);
        let effect_ns = match call.fate {
            Fate::Answered { effect_ns } => Some(effect_ns.min(call.duration_ns)),
            Fate::Failed => None,
            Fate::Unanswered { effect_ns } => effect_ns,
        };
        if let Some(effect_ns) = effect_ns {
            effects.push((call_ns + effect_ns, index));
        }
        ops.push(Op {
            id: index as u64,
            client: call.client,
            call_ns,
            return_ns: Some(return_ns),
            input: call.input.clone(),
            outcome: Outcome::Failed {
                error: "refused".into(),
            },
        });
    }
    effects.sort();
    let mut store = ReferenceStore::new();
    let mut outputs = BTreeMap::new();
    for (_, index) in effects {
        outputs.insert(index, store.apply(&calls[index].input));
    }
    for (index, (op, call)) in ops.iter_mut().zip(calls).enumerate() {
        match call.fate {
            Fate::Answered { .. } => op.outcome = Outcome::Ok(outputs.remove(&index).unwrap()),
            Fate::Failed => {}
            Fate::Unanswered { .. } => {
                op.return_ns = None;
                op.outcome = Outcome::Unknown {
                    reason: "timeout".into(),
                };
            }
        }
    }
    let mut history = History::new("simulated", 0);
    history.ops = ops;
    history.sort();
    history
}

fn check(history: &History) -> CheckResult {
    check_linearizable(history, &Budget::default()).result
}

fn expect_violation(history: &History) -> LinearizabilityViolation {
    match check(history) {
        CheckResult::Violation {
            evidence: Evidence::Linearizability(violation),
            ..
        } => violation,
        other => panic!(
            "expected a violation, got {other:#?}\n{}",
            history.to_json()
        ),
    }
}

/// Three clients, 30 calls on two keys with overlapping intervals; every reply correct.
fn realistic_history() -> History {
    let calls: Vec<Call> = (0..30u64)
        .map(|i| {
            let client = i % 3;
            let key = if i % 4 < 2 { "k1" } else { "k2" }.to_string();
            let value = format!("c{client}-{i}");
            let input = match i % 6 {
                0 | 3 | 5 => KvInput::Get { key },
                1 | 4 => KvInput::Put { key, value },
                _ => KvInput::Cas {
                    key,
                    compare: CasCompare::ModRevision { expected: i / 2 },
                    value,
                },
            };
            let duration_ns = 10 + (i * 13) % 17;
            Call {
                client,
                input,
                gap_ns: 1 + (i * 7) % 5,
                duration_ns,
                fate: Fate::Answered {
                    effect_ns: (i * 5) % (duration_ns + 1),
                },
            }
        })
        .collect();
    simulate(&calls, false)
}

/// The completed puts of `key`: the value each wrote, its revision, and the put.
fn writes<'h>(history: &'h History, key: &str) -> Vec<(String, u64, &'h Op)> {
    history
        .ops
        .iter()
        .filter_map(|op| match (&op.input, &op.outcome) {
            (
                KvInput::Put {
                    key: written,
                    value,
                },
                Outcome::Ok(KvOutput::Put { revision }),
            ) if written == key => Some((value.clone(), *revision, op)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_deliberately_wrong_reply_breaks_the_verdict() {
    let history = realistic_history();
    let concurrent = history
        .ops
        .windows(2)
        .any(|pair| pair[1].call_ns < pair[0].return_ns.unwrap());
    assert!(concurrent, "the history should have overlapping calls");
    assert!(
        matches!(check(&history), CheckResult::Ok { .. }),
        "{:#?}",
        check(&history)
    );

    // A get that returned some value, flipped to another value written to its key: its
    // mod_revision no longer matches what it says the key held.
    let (index, other_value) = history
        .ops
        .iter()
        .enumerate()
        .find_map(|(index, op)| match (&op.input, &op.outcome) {
            (
                KvInput::Get { key },
                Outcome::Ok(KvOutput::Get {
                    value: Some(seen), ..
                }),
            ) => writes(&history, key)
                .into_iter()
                .find(|(value, _, _)| value != seen)
                .map(|(value, _, _)| (index, value)),
            _ => None,
        })
        .expect("some get read a value of a key with two writes");
    let mut flipped = history.clone();
    if let Outcome::Ok(KvOutput::Get { value, .. }) = &mut flipped.ops[index].outcome {
        *value = Some(other_value);
    }
    let violation = expect_violation(&flipped);
    assert_eq!(violation.key, history.ops[index].key());
    assert!(
        violation.stuck_ops.contains(&history.ops[index].id),
        "{violation:#?}"
    );

    // A get flipped to a consistent but stale reply: a value and revision some put wrote,
    // although another write completed after that put and before the get was called.
    let (index, stale) = history
        .ops
        .iter()
        .enumerate()
        .find_map(|(index, op)| {
            let KvInput::Get { key } = &op.input else {
                return None;
            };
            let writes = writes(&history, key);
            let stale = writes.iter().find(|(_, _, old)| {
                writes.iter().any(|(_, _, newer)| {
                    old.return_ns.unwrap() < newer.call_ns && newer.return_ns.unwrap() < op.call_ns
                })
            })?;
            Some((index, (stale.0.clone(), stale.1)))
        })
        .expect("some get was called after two sequential puts on its key");
    let mut flipped = history.clone();
    flipped.ops[index].outcome = Outcome::Ok(KvOutput::Get {
        value: Some(stale.0),
        mod_revision: stale.1,
        revision: None,
    });
    let violation = expect_violation(&flipped);
    assert_eq!(violation.key, history.ops[index].key());
    assert!(
        violation.stuck_ops.contains(&history.ops[index].id),
        "{violation:#?}"
    );
}

fn input() -> impl Strategy<Value = KvInput> {
    let key = prop::sample::select(vec!["k1", "k2"]).prop_map(str::to_string);
    let value = prop::sample::select(vec!["a", "b", "c"]).prop_map(str::to_string);
    prop_oneof![
        key.clone().prop_map(|key| KvInput::Get { key }),
        (key.clone(), value.clone()).prop_map(|(key, value)| KvInput::Put { key, value }),
        key.clone().prop_map(|key| KvInput::Delete { key }),
        (key.clone(), value.clone(), value.clone()).prop_map(|(key, expected, value)| {
            KvInput::Cas {
                key,
                compare: CasCompare::Value { expected },
                value,
            }
        }),
        (key, 0..8u64, value).prop_map(|(key, expected, value)| KvInput::Cas {
            key,
            compare: CasCompare::ModRevision { expected },
            value,
        }),
    ]
}

fn call(clients: u64) -> impl Strategy<Value = Call> {
    let fate = prop_oneof![
        6 => (0..40u64).prop_map(|effect_ns| Fate::Answered { effect_ns }),
        1 => Just(Fate::Failed),
        1 => prop::option::of(0..200u64).prop_map(|effect_ns| Fate::Unanswered { effect_ns }),
    ];
    (0..clients, input(), 0..10u64, 0..30u64, fate).prop_map(
        |(client, input, gap_ns, duration_ns, fate)| Call {
            client,
            input,
            gap_ns,
            duration_ns,
            fate,
        },
    )
}

proptest! {
    #[test]
    fn sequential_histories_are_linearizable(calls in prop::collection::vec(call(3), 0..40)) {
        let history = simulate(&calls, true);
        let result = check(&history);
        prop_assert!(matches!(result, CheckResult::Ok { .. }), "{:#?}\n{}", result, history.to_json());
    }

    #[test]
    fn concurrent_histories_are_linearizable(calls in prop::collection::vec(call(3), 0..14)) {
        let history = simulate(&calls, false);
        let result = check(&history);
        prop_assert!(matches!(result, CheckResult::Ok { .. }), "{:#?}\n{}", result, history.to_json());
    }

    /// Without the bad read the history is linearizable (reads change nothing), so the
    /// evidence must point at it: it is the first operation the furthest prefix leaves
    /// unplaced.
    #[test]
    fn a_read_of_a_value_never_written_is_always_caught(
        mut calls in prop::collection::vec(call(3), 0..40),
        pick in any::<prop::sample::Index>(),
    ) {
        calls.push(Call {
            client: 0,
            input: KvInput::Get { key: "k1".into() },
            gap_ns: 0,
            duration_ns: 10,
            fate: Fate::Answered { effect_ns: 5 },
        });
        let mut history = simulate(&calls, false);
        let gets: Vec<usize> = (0..history.ops.len())
            .filter(|&index| matches!(history.ops[index].outcome, Outcome::Ok(KvOutput::Get { .. })))
            .collect();
        let index = gets[pick.index(gets.len())];
        history.ops[index].outcome = Outcome::Ok(KvOutput::Get {
            value: Some("never written".into()),
            mod_revision: 1,
            revision: None,
        });
        let violation = expect_violation(&history);
        prop_assert_eq!(violation.key.as_str(), history.ops[index].key());
        prop_assert!(violation.stuck_ops.contains(&history.ops[index].id), "{:#?}", violation);
    }
}
