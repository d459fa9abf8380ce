//! The etcd v3 key-value API as a per-key sequential specification.
//!
//! This is an independent statement of etcd's semantics, written from etcd's documented
//! behaviour; it shares no code with the store it judges. Keys are independent objects in
//! this model, so by Herlihy & Wing's locality a history is linearizable if and only if
//! every key's sub-history is, and a history is checked one key at a time
//! ([`key_histories`]). etcd's revision counter, shared by all keys, is what this leaves
//! out (see the imprecisions below).
//!
//! Per key the model tracks the value and what is known of its revision. Writes whose
//! answer never came leave the new revision unknown but bounded below
//! ([`Revision::Above`]); a later read that shows it pins it down.
//!
//! Known imprecisions (all in the direction of accepting a history; the model never
//! rejects one etcd could have produced):
//! - Revisions are checked per key only. etcd's revision counter is shared by all keys, so
//!   a history where key `a` is written at revision 9 and, strictly later, key `b` at
//!   revision 5 is not linearizable, but each key's sub-history is, and it passes.
//! - A delete that deleted nothing reports the store's revision; it is not checked.
//! - A write's revision must exceed every revision this key has shown, and an unknown
//!   write raises that bound by one, but how much other keys' writes raised it is unknown.

use crate::model::{Model, Operation};
use history::{CasCompare, History, KvInput, KvOutput, Outcome};
use std::collections::BTreeMap;

/// What the checker knows of a revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Revision {
    /// It is exactly this.
    Exact(u64),
    /// A write with no answer made it: it is unknown, but strictly greater than this.
    Above(u64),
}

impl Revision {
    /// The smallest the revision can be.
    fn least(self) -> u64 {
        match self {
            Revision::Exact(revision) => revision,
            Revision::Above(bound) => bound.saturating_add(1),
        }
    }

    /// Whether the revision can be `revision`.
    fn admits(self, revision: u64) -> bool {
        match self {
            Revision::Exact(exact) => exact == revision,
            Revision::Above(bound) => revision > bound,
        }
    }

    /// Whether a write after this revision can have been given `revision`: revisions only
    /// grow.
    fn may_precede(self, revision: u64) -> bool {
        revision > self.least()
    }

    /// What is known of the revision of a write after this one whose answer never came.
    fn unknown_successor(self) -> Revision {
        Revision::Above(self.least())
    }
}

/// One key's state in the model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyState {
    /// The value; `None` when the key does not exist.
    pub value: Option<String>,
    /// When the key exists, its mod_revision. When it does not, the revision of the delete
    /// that removed it, or `Exact(0)` if it was never written. Either way the latest
    /// revision this key has been given, which every later write of it must exceed.
    /// (What a get of a missing key shows is 0, whatever this is.)
    pub revision: Revision,
}

impl KeyState {
    /// The key as read by a get or a failed compare-and-swap showing `value` and
    /// `mod_revision`, or `None` if it cannot have shown that. Reading pins the revision.
    fn read(&self, value: &Option<String>, mod_revision: u64) -> Option<KeyState> {
        match (&self.value, value) {
            (None, None) if mod_revision == 0 => Some(self.clone()),
            (Some(current), Some(seen))
                if current == seen && self.revision.admits(mod_revision) =>
            {
                Some(KeyState {
                    value: self.value.clone(),
                    revision: Revision::Exact(mod_revision),
                })
            }
            _ => None,
        }
    }

    /// The key after a write of `value` (`None`: a delete) that was given `revision`, or
    /// `None` if revisions would not grow.
    fn write(&self, value: Option<String>, revision: u64) -> Option<KeyState> {
        self.revision.may_precede(revision).then_some(KeyState {
            value,
            revision: Revision::Exact(revision),
        })
    }

    /// The key after a write of `value` (`None`: a delete) whose revision is unknown.
    fn write_unknown_revision(&self, value: Option<String>) -> KeyState {
        KeyState {
            value,
            revision: self.revision.unknown_successor(),
        }
    }

    /// The key as it must be if `compare` held, or `None` if it cannot hold. A mod_revision
    /// compare that holds pins the revision.
    fn assume_holds(&self, compare: &CasCompare) -> Option<KeyState> {
        match (compare, &self.value) {
            (CasCompare::Value { expected }, Some(current)) => {
                (current == expected).then(|| self.clone())
            }
            (CasCompare::Value { .. }, None) => None,
            (CasCompare::ModRevision { expected }, None) => (*expected == 0).then(|| self.clone()),
            (CasCompare::ModRevision { expected }, Some(_)) => {
                self.revision.admits(*expected).then(|| KeyState {
                    value: self.value.clone(),
                    revision: Revision::Exact(*expected),
                })
            }
        }
    }
}

/// The etcd v3 model of one key.
///
/// An output of `None` means the call never returned: it may have taken effect (then its
/// result is unknown) or not. Such operations are optional in a linearization, so the
/// step only describes what happens if they did take effect, and rejects them where taking
/// effect would have changed nothing (a read, a compare-and-swap whose compare fails, a
/// delete of a missing key): there, taking effect is the same as never having happened.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvModel;

impl Model for KvModel {
    type State = KeyState;
    type Input = KvInput;
    type Output = Option<KvOutput>;

    fn init(&self) -> KeyState {
        KeyState {
            value: None,
            revision: Revision::Exact(0),
        }
    }

    fn step(
        &self,
        state: &KeyState,
        input: &KvInput,
        output: &Option<KvOutput>,
    ) -> Option<KeyState> {
        match (input, output) {
            (
                KvInput::Get { .. },
                Some(KvOutput::Get {
                    value,
                    mod_revision,
                    ..
                }),
            ) => state.read(value, *mod_revision),
            (KvInput::Get { .. }, None) => None,
            (KvInput::Put { value, .. }, Some(KvOutput::Put { revision })) => {
                state.write(Some(value.clone()), *revision)
            }
            (KvInput::Put { value, .. }, None) => {
                Some(state.write_unknown_revision(Some(value.clone())))
            }
            (KvInput::Delete { .. }, Some(KvOutput::Delete { deleted, revision })) => {
                match (*deleted, &state.value) {
                    (1, Some(_)) => state.write(None, *revision),
                    (0, None) => Some(state.clone()),
                    _ => None,
                }
            }
            (KvInput::Delete { .. }, None) => state
                .value
                .is_some()
                .then(|| state.write_unknown_revision(None)),
            (
                KvInput::Cas { compare, value, .. },
                Some(KvOutput::Cas {
                    succeeded: true,
                    revision,
                    ..
                }),
            ) => state
                .assume_holds(compare)?
                .write(Some(value.clone()), *revision),
            (
                KvInput::Cas { compare, .. },
                Some(KvOutput::Cas {
                    succeeded: false,
                    value,
                    mod_revision,
                    ..
                }),
            ) => {
                // The read pins the state exactly, so "cannot hold" means "does not hold".
                let seen = state.read(value, *mod_revision)?;
                seen.assume_holds(compare).is_none().then_some(seen)
            }
            (KvInput::Cas { compare, value, .. }, None) => Some(
                state
                    .assume_holds(compare)?
                    .write_unknown_revision(Some(value.clone())),
            ),
            // An answer of another kind than the request: no store gives that.
            (_, Some(_)) => None,
        }
    }

    fn describe_state(&self, state: &KeyState) -> String {
        let revision = match state.revision {
            Revision::Exact(revision) => revision.to_string(),
            Revision::Above(bound) => format!("unknown, > {bound}"),
        };
        match (&state.value, state.revision) {
            (Some(value), _) => format!("value {value:?}, mod_revision {revision}"),
            (None, Revision::Exact(0)) => "absent (never written)".to_string(),
            (None, _) => format!("absent (deleted at revision {revision})"),
        }
    }

    /// The value's bytes.
    fn state_heap_bytes(&self, state: &KeyState) -> usize {
        state.value.as_ref().map_or(0, String::capacity)
    }

    fn describe_operation(&self, input: &KvInput, output: &Option<KvOutput>) -> String {
        let request = match input {
            KvInput::Get { .. } => "get".to_string(),
            KvInput::Put { value, .. } => format!("put {value:?}"),
            KvInput::Delete { .. } => "delete".to_string(),
            KvInput::Cas { compare, value, .. } => {
                let condition = match compare {
                    CasCompare::Value { expected } => format!("value == {expected:?}"),
                    CasCompare::ModRevision { expected } => format!("mod_revision == {expected}"),
                };
                format!("cas if {condition} then put {value:?}")
            }
        };
        let answer = match output {
            None => "no answer".to_string(),
            Some(KvOutput::Get { value: None, .. }) => "absent".to_string(),
            Some(KvOutput::Get {
                value: Some(value),
                mod_revision,
                ..
            }) => format!("{value:?} at mod_revision {mod_revision}"),
            Some(KvOutput::Put { revision }) => format!("revision {revision}"),
            Some(KvOutput::Delete { deleted, revision }) => {
                format!("deleted {deleted} at revision {revision}")
            }
            Some(KvOutput::Cas {
                succeeded: true,
                revision,
                ..
            }) => format!("succeeded at revision {revision}"),
            Some(KvOutput::Cas {
                succeeded: false,
                value,
                mod_revision,
                ..
            }) => match value {
                Some(value) => format!("failed, key was {value:?} at mod_revision {mod_revision}"),
                None => "failed, key was absent".to_string(),
            },
        };
        format!("{request} -> {answer}")
    }
}

/// A history's operations on one key, as the KV model's checker takes them.
pub type KeyHistory = Vec<Operation<KvInput, Option<KvOutput>>>;

/// Splits a history's client operations by key, keeping only operations that bear on a
/// key's state: operations that surely failed never took effect, and a read with no answer
/// tells nothing, so both are left out. An answered operation with no recorded return time
/// is treated as returning at the end of time. The deletions lease ends made are not client
/// operations: [`crate::check_linearizable`] adds them.
pub fn key_histories(history: &History) -> BTreeMap<String, KeyHistory> {
    let mut keys: BTreeMap<String, KeyHistory> = BTreeMap::new();
    for op in &history.ops {
        let (return_ns, output) = match (&op.outcome, &op.input) {
            (Outcome::Ok(output), _) => (Some(op.return_ns.unwrap_or(u64::MAX)), Some(output)),
            (Outcome::Failed { .. }, _) | (Outcome::Unknown { .. }, KvInput::Get { .. }) => {
                continue
            }
            (Outcome::Unknown { .. }, _) => (None, None),
        };
        keys.entry(op.key().to_string())
            .or_default()
            .push(Operation {
                id: op.id,
                client: op.client,
                call_ns: op.call_ns,
                return_ns,
                input: op.input.clone(),
                output: output.cloned(),
            });
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(value: Option<&str>, revision: Revision) -> KeyState {
        KeyState {
            value: value.map(str::to_string),
            revision,
        }
    }

    fn put(value: &str) -> KvInput {
        KvInput::Put {
            key: "k".into(),
            value: value.into(),
        }
    }

    fn get_output(value: Option<&str>, mod_revision: u64) -> Option<KvOutput> {
        Some(KvOutput::Get {
            value: value.map(str::to_string),
            mod_revision,
            revision: None,
        })
    }

    const GET: KvInput = KvInput::Get { key: String::new() };

    #[test]
    fn unknown_writes_raise_the_revision_bound_by_one_each() {
        let state = key(Some("a"), Revision::Exact(5));
        let once = KvModel.step(&state, &put("b"), &None).unwrap();
        assert_eq!(once, key(Some("b"), Revision::Above(5)));
        let twice = KvModel.step(&once, &put("c"), &None).unwrap();
        assert_eq!(twice, key(Some("c"), Revision::Above(6)));
        // The two unknown writes took at least revisions 6 and 7.
        assert_eq!(
            KvModel.step(&twice, &GET, &get_output(Some("c"), 7)),
            Some(key(Some("c"), Revision::Exact(7)))
        );
        assert_eq!(KvModel.step(&twice, &GET, &get_output(Some("c"), 6)), None);
        assert_eq!(
            KvModel.step(&twice, &put("d"), &Some(KvOutput::Put { revision: 7 })),
            None
        );
        assert!(KvModel
            .step(&twice, &put("d"), &Some(KvOutput::Put { revision: 8 }))
            .is_some());
    }

    #[test]
    fn a_mod_revision_compare_on_an_unknown_revision_pins_it() {
        let state = key(Some("a"), Revision::Above(5));
        let cas = |expected| KvInput::Cas {
            key: "k".into(),
            compare: CasCompare::ModRevision { expected },
            value: "b".into(),
        };
        assert_eq!(KvModel.step(&state, &cas(5), &None), None);
        assert_eq!(
            KvModel.step(&state, &cas(9), &None),
            Some(key(Some("b"), Revision::Above(9)))
        );
        let succeeded = Some(KvOutput::Cas {
            succeeded: true,
            revision: 9,
            value: None,
            mod_revision: 0,
        });
        assert_eq!(
            KvModel.step(&state, &cas(9), &succeeded),
            None,
            "9 is not above the pinned 9"
        );
    }

    #[test]
    fn states_describe_themselves() {
        assert_eq!(
            KvModel.describe_state(&KvModel.init()),
            "absent (never written)"
        );
        assert_eq!(
            KvModel.describe_state(&key(Some("a"), Revision::Above(3))),
            "value \"a\", mod_revision unknown, > 3"
        );
        assert_eq!(
            KvModel.describe_state(&key(None, Revision::Exact(4))),
            "absent (deleted at revision 4)"
        );
        assert_eq!(
            KvModel.describe_operation(&put("a"), &None),
            "put \"a\" -> no answer"
        );
    }
}
