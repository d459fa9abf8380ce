//! The key-value-with-append checker against a brute-force oracle, on thousands of tiny
//! single-key histories.
//!
//! The checker prunes its search with orders it reads off the values of gets
//! (`Model::implied_order`), a shortcut that is only sound if it never draws a conclusion
//! some linearization contradicts. So the histories here are made to stress it: they come
//! from a real sequential run (so that many are linearizable and the inference has
//! something to infer), then some replies are corrupted. A third of them append unique
//! suffixes (where the inference applies), a third suffixes of which some repeat (whose
//! appends are interchangeable in a value), a third suffixes from a tiny alphabet with ""
//! and overlaps ("a", "b", "ab": values that can be built in several ways, where it must
//! hold back); some calls get no answer.
//!
//! The oracle is written independently of the model: every order that respects real
//! time, every choice of which unanswered calls took effect, run against a plain string.

mod brute_force;

use check::{
    check_kv_append_history, Budget, CheckResult, KvAppendAction, KvAppendInput, KvAppendOperation,
    KvAppendOutput, Operation,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Whether some order of the operations works, by brute force.
fn oracle(ops: &[KvAppendOperation]) -> bool {
    let times: Vec<(u64, Option<u64>)> = ops.iter().map(|op| (op.call_ns, op.return_ns)).collect();
    brute_force::some_order_works(&times, String::new(), |index, value: &String| {
        let after = match (&ops[index].input.action, &ops[index].output) {
            (KvAppendAction::Get, KvAppendOutput::Value(seen)) if seen == value => value.clone(),
            (KvAppendAction::Get, KvAppendOutput::Unknown) => value.clone(),
            (KvAppendAction::Put(new), KvAppendOutput::Done | KvAppendOutput::Unknown) => {
                new.clone()
            }
            (KvAppendAction::Append(suffix), KvAppendOutput::Done | KvAppendOutput::Unknown) => {
                format!("{value}{suffix}")
            }
            _ => return vec![],
        };
        vec![after]
    })
}

/// One operation as drawn: what it does, when it takes effect in the sequential run, how
/// far its call and return lie from that point, whether it gets an answer (and if not,
/// whether it took effect), and which wrong value a get may report instead of the right
/// one.
#[derive(Clone, Debug)]
struct Drawn {
    kind: u8,
    piece: u8,
    effect_ns: u64,
    before_ns: u64,
    after_ns: u64,
    answered: bool,
    took_effect: bool,
    corrupt: Option<u8>,
}

fn drawn() -> impl Strategy<Value = Drawn> {
    (
        (0..3u8, 0..4u8, 0..30u64, 0..10u64, 0..10u64),
        (0..6u8, any::<bool>(), prop::option::weighted(0.3, 0..6u8)),
    )
        .prop_map(
            |((kind, piece, effect_ns, before_ns, after_ns), (fate, took_effect, corrupt))| Drawn {
                kind,
                piece,
                effect_ns,
                before_ns,
                after_ns,
                answered: fate > 0,
                took_effect,
                corrupt,
            },
        )
}

/// What appends append.
#[derive(Clone, Copy, Debug)]
enum Suffixes {
    Unique,
    SomeRepeated,
    Overlapping,
}

/// The history the drawn operations make: run in order of effect, then given intervals
/// around their effect (so the run is one of the history's linearizations) and possibly
/// corrupted replies.
fn history(drawn: &[Drawn], suffixes: Suffixes) -> Vec<KvAppendOperation> {
    const PIECES: [&str; 4] = ["a", "b", "ab", ""];
    const WRONG: [&str; 6] = ["", "a", "b", "ab", "ba", "x0x1"];
    let mut order: Vec<usize> = (0..drawn.len()).collect();
    order.sort_by_key(|&index| (drawn[index].effect_ns, index));
    let mut value = String::new();
    let mut earlier: Vec<String> = Vec::new();
    let mut operations: Vec<Option<KvAppendOperation>> = vec![None; drawn.len()];
    for index in order {
        let op = &drawn[index];
        let piece = match suffixes {
            Suffixes::Unique => format!("x{index}"),
            Suffixes::SomeRepeated => format!("x{}", op.piece),
            Suffixes::Overlapping => PIECES[usize::from(op.piece)].to_string(),
        };
        let (action, output) = match op.kind {
            0 => {
                // A wrong value is an older one (a stale read) or a made-up one.
                let seen = match op.corrupt {
                    Some(wrong) if usize::from(wrong) < earlier.len() => {
                        earlier[earlier.len() - 1 - usize::from(wrong)].clone()
                    }
                    Some(wrong) => WRONG[usize::from(wrong)].to_string(),
                    None => value.clone(),
                };
                (KvAppendAction::Get, KvAppendOutput::Value(seen))
            }
            1 => (KvAppendAction::Put(piece), KvAppendOutput::Done),
            _ => (KvAppendAction::Append(piece), KvAppendOutput::Done),
        };
        let takes_effect = op.answered || op.took_effect;
        match (&action, takes_effect) {
            (KvAppendAction::Put(new), true) => {
                earlier.push(std::mem::replace(&mut value, new.clone()));
            }
            (KvAppendAction::Append(suffix), true) => {
                earlier.push(value.clone());
                value.push_str(suffix);
            }
            _ => {}
        }
        let output = if op.answered {
            output
        } else {
            KvAppendOutput::Unknown
        };
        operations[index] = Some(Operation {
            id: index as u64,
            client: index as u64,
            call_ns: op.effect_ns.saturating_sub(op.before_ns),
            return_ns: op.answered.then_some(op.effect_ns + op.after_ns),
            input: KvAppendInput {
                key: "k".to_string(),
                action,
            },
            output,
        });
    }
    operations.into_iter().map(Option::unwrap).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6_000))]

    #[test]
    fn the_checker_agrees_with_brute_force(
        drawn in prop::collection::vec(drawn(), 0..8),
        suffixes in prop::sample::select(vec![
            Suffixes::Unique,
            Suffixes::SomeRepeated,
            Suffixes::Overlapping,
        ]),
    ) {
        let operations = history(&drawn, suffixes);
        let expected = oracle(&operations);
        let partitions = BTreeMap::from([("k".to_string(), operations.clone())]);
        let result = check_kv_append_history(&partitions, &Budget::default()).result;
        let linearizable = match &result {
            CheckResult::Ok { .. } => true,
            CheckResult::Violation { .. } => false,
            CheckResult::Undecided { .. } => panic!("tiny histories fit any budget"),
        };
        prop_assert_eq!(linearizable, expected, "{:#?}\n{:#?}", result, operations);
    }
}
