//! The checker against a brute-force oracle on tiny single-key histories with random
//! replies, right or wrong.
//!
//! The oracle is written independently of the model: it tries every order of the
//! operations that respects real time, every choice of which unanswered calls took effect,
//! and every concrete revision an unanswered write could have been given, and runs each
//! against a plain key (value, mod_revision, latest revision). The checker must agree with
//! it on every history: no false violations, no missed ones.

mod brute_force;

use check::{check_linearizable, Budget, CheckResult};
use history::{CasCompare, History, KvInput, KvOutput, Op, Outcome};
use proptest::prelude::*;

/// Revisions an unanswered write may be given: above every revision the generator uses,
/// with room for two such writes in a row.
const MAX_REVISION: u64 = 10;

#[derive(Clone, Debug, Default)]
struct Key {
    value: Option<String>,
    mod_revision: u64,
    /// The latest revision of any write of this key, deletes included.
    latest_revision: u64,
}

impl Key {
    fn compare_holds(&self, compare: &CasCompare) -> bool {
        match compare {
            CasCompare::Value { expected } => self.value.as_deref() == Some(expected.as_str()),
            CasCompare::ModRevision { expected } => self.mod_revision == *expected,
        }
    }

    fn written(&self, value: Option<&String>, revision: u64) -> Key {
        Key {
            value: value.cloned(),
            mod_revision: if value.is_some() { revision } else { 0 },
            latest_revision: revision,
        }
    }

    fn shows(&self, value: &Option<String>, mod_revision: u64) -> bool {
        *value == self.value && mod_revision == self.mod_revision
    }

    /// Every key the operation can leave behind, given what it answered.
    fn after(&self, op: &Op) -> Vec<Key> {
        let fresh = self.latest_revision + 1..=MAX_REVISION;
        match (&op.input, &op.outcome) {
            (
                KvInput::Get { .. },
                Outcome::Ok(KvOutput::Get {
                    value,
                    mod_revision,
                    ..
                }),
            ) => {
                if self.shows(value, *mod_revision) {
                    vec![self.clone()]
                } else {
                    vec![]
                }
            }
            (KvInput::Put { value, .. }, Outcome::Ok(KvOutput::Put { revision })) => {
                if *revision > self.latest_revision {
                    vec![self.written(Some(value), *revision)]
                } else {
                    vec![]
                }
            }
            (KvInput::Put { value, .. }, Outcome::Unknown { .. }) => fresh
                .map(|revision| self.written(Some(value), revision))
                .collect(),
            (KvInput::Delete { .. }, Outcome::Ok(KvOutput::Delete { deleted, revision })) => {
                match (self.value.is_some(), *deleted) {
                    (true, 1) if *revision > self.latest_revision => {
                        vec![self.written(None, *revision)]
                    }
                    (false, 0) => vec![self.clone()],
                    _ => vec![],
                }
            }
            (KvInput::Delete { .. }, Outcome::Unknown { .. }) => {
                if self.value.is_some() {
                    fresh.map(|revision| self.written(None, revision)).collect()
                } else {
                    vec![self.clone()]
                }
            }
            (
                KvInput::Cas { compare, value, .. },
                Outcome::Ok(KvOutput::Cas {
                    succeeded,
                    revision,
                    value: seen,
                    mod_revision,
                }),
            ) => {
                let holds = self.compare_holds(compare);
                match succeeded {
                    true if holds && *revision > self.latest_revision => {
                        vec![self.written(Some(value), *revision)]
                    }
                    false if !holds && self.shows(seen, *mod_revision) => vec![self.clone()],
                    _ => vec![],
                }
            }
            (KvInput::Cas { compare, value, .. }, Outcome::Unknown { .. }) => {
                if self.compare_holds(compare) {
                    fresh
                        .map(|revision| self.written(Some(value), revision))
                        .collect()
                } else {
                    vec![self.clone()]
                }
            }
            _ => vec![],
        }
    }
}

fn oracle_says_linearizable(history: &History) -> bool {
    let ops: Vec<Op> = history
        .ops
        .iter()
        .filter(|op| {
            !matches!(
                (&op.outcome, &op.input),
                (Outcome::Failed { .. }, _) | (Outcome::Unknown { .. }, KvInput::Get { .. })
            )
        })
        .cloned()
        .collect();
    let times: Vec<(u64, Option<u64>)> = ops.iter().map(|op| (op.call_ns, op.return_ns)).collect();
    brute_force::some_order_works(&times, Key::default(), |index, key| key.after(&ops[index]))
}

fn value() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b"]).prop_map(str::to_string)
}

fn seen() -> impl Strategy<Value = (Option<String>, u64)> {
    prop_oneof![
        Just((None, 0)),
        (value(), 1..6u64).prop_map(|(v, r)| (Some(v), r))
    ]
}

/// A request and a reply of its kind, each drawn from small domains so that right and
/// wrong replies both come up often.
fn request_and_reply() -> impl Strategy<Value = (KvInput, KvOutput)> {
    let key = || "k".to_string();
    prop_oneof![
        seen().prop_map(move |(value, mod_revision)| (
            KvInput::Get { key: key() },
            KvOutput::Get {
                value,
                mod_revision,
                revision: None,
            }
        )),
        (value(), 1..6u64).prop_map(move |(value, revision)| (
            KvInput::Put { key: key(), value },
            KvOutput::Put { revision }
        )),
        (0..2u64, 1..6u64).prop_map(move |(deleted, revision)| (
            KvInput::Delete { key: key() },
            KvOutput::Delete { deleted, revision }
        )),
        (
            prop_oneof![
                value().prop_map(|expected| CasCompare::Value { expected }),
                (0..4u64).prop_map(|expected| CasCompare::ModRevision { expected }),
            ],
            value(),
            any::<bool>(),
            1..6u64,
            seen()
        )
            .prop_map(
                move |(compare, value, succeeded, revision, (seen, mod_revision))| (
                    KvInput::Cas {
                        key: key(),
                        compare,
                        value
                    },
                    if succeeded {
                        KvOutput::Cas {
                            succeeded,
                            revision,
                            value: None,
                            mod_revision: 0,
                        }
                    } else {
                        KvOutput::Cas {
                            succeeded,
                            revision: 0,
                            value: seen,
                            mod_revision,
                        }
                    }
                )
            ),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    (request_and_reply(), 0..20u64, 0..8u64, 0..10u8).prop_map(
        |((input, output), call_ns, duration_ns, fate)| Op {
            id: 0,
            client: 0,
            call_ns,
            return_ns: (fate >= 2).then_some(call_ns + duration_ns),
            input,
            outcome: match fate {
                0 | 1 => Outcome::Unknown {
                    reason: "timeout".into(),
                },
                2 => Outcome::Failed {
                    error: "refused".into(),
                },
                _ => Outcome::Ok(output),
            },
        },
    )
}

fn history(ops: Vec<Op>) -> History {
    let mut history = History::new("random", 0);
    history.ops = ops;
    for (id, op) in history.ops.iter_mut().enumerate() {
        op.id = id as u64;
    }
    history
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_checker_agrees_with_brute_force(ops in prop::collection::vec(op(), 0..7)) {
        let history = history(ops);
        let expected = oracle_says_linearizable(&history);
        let result = check_linearizable(&history, &Budget::default()).result;
        let linearizable = match &result {
            CheckResult::Ok { .. } => true,
            CheckResult::Violation { .. } => false,
            CheckResult::Undecided { .. } => panic!("tiny histories fit any budget"),
        };
        prop_assert_eq!(linearizable, expected, "{:#?}\n{}", result, history.to_json());
    }
}
