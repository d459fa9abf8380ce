//! Porcupine's key-value store: per key a string, initially empty, with get, put and
//! append. Keys are independent, so a history is checked key by key
//! ([`partition_by_key`]); the model also accepts a whole history as one object, which is
//! what checking it without partitioning means.

use crate::model::{ImpliedOrder, Model, Operation};
use crate::models::append_order;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A request to one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvAppendInput {
    pub key: String,
    pub action: KvAppendAction,
}

/// What a request does to its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvAppendAction {
    Get,
    Put(String),
    /// Concatenates the string to the value.
    Append(String),
}

/// What the client saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvAppendOutput {
    /// A get's answer (an absent key reads as "").
    Value(String),
    /// A put or append that took effect.
    Done,
    /// No answer came: the call may have taken effect, or not.
    Unknown,
}

/// The store's state: the value of every key written so far, sorted by key.
///
/// Values are shared (`Arc<str>`), so the search's many copies of a state cost a few
/// reference counts rather than copies of every string: reads, which leave the state as
/// it is, copy no string at all. (A `BTreeMap` here cost a ~540-byte node per state.)
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvAppendState {
    entries: Vec<(Arc<str>, Arc<str>)>,
}

impl KvAppendState {
    /// The key's value; an absent key reads as "".
    pub fn get(&self, key: &str) -> &str {
        self.position(key)
            .ok()
            .map_or("", |index| &self.entries[index].1)
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(entry_key, _)| (**entry_key).cmp(key))
    }

    /// The state with `key` set to `value`.
    fn with(&self, key: &str, value: Arc<str>) -> KvAppendState {
        let mut next = self.clone();
        match next.position(key) {
            Ok(index) => next.entries[index].1 = value,
            Err(index) => next.entries.insert(index, (Arc::from(key), value)),
        }
        next
    }
}

/// One key-value history operation, as imported.
pub type KvAppendOperation = Operation<KvAppendInput, KvAppendOutput>;

/// The store's sequential specification.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvAppendModel;

impl Model for KvAppendModel {
    type State = KvAppendState;
    type Input = KvAppendInput;
    type Output = KvAppendOutput;

    fn init(&self) -> KvAppendState {
        KvAppendState::default()
    }

    fn step(
        &self,
        state: &KvAppendState,
        input: &KvAppendInput,
        output: &KvAppendOutput,
    ) -> Option<KvAppendState> {
        let current = state.get(&input.key);
        let written = match (&input.action, output) {
            (KvAppendAction::Get, KvAppendOutput::Value(seen)) => {
                return (seen == current).then(|| state.clone());
            }
            (KvAppendAction::Get, KvAppendOutput::Unknown) => return Some(state.clone()),
            (KvAppendAction::Get, KvAppendOutput::Done) => return None,
            (KvAppendAction::Put(value), KvAppendOutput::Done | KvAppendOutput::Unknown) => {
                Arc::from(value.as_str())
            }
            (KvAppendAction::Append(suffix), KvAppendOutput::Done | KvAppendOutput::Unknown) => {
                Arc::from(format!("{current}{suffix}"))
            }
            (_, KvAppendOutput::Value(_)) => return None,
        };
        Some(state.with(&input.key, written))
    }

    fn describe_state(&self, state: &KvAppendState) -> String {
        if state.entries.is_empty() {
            return "every key \"\"".to_string();
        }
        state
            .entries
            .iter()
            .map(|(key, value)| format!("{key:?} = {value:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The entry list, and every key and value as if this state alone held it (shared
    /// strings are counted once per state that holds them: an overestimate, on the safe
    /// side). An `Arc<str>` allocation carries two reference counts before its bytes.
    fn state_heap_bytes(&self, state: &KvAppendState) -> usize {
        const ARC_HEADER_BYTES: usize = 16;
        let list = state.entries.capacity() * std::mem::size_of::<(Arc<str>, Arc<str>)>();
        let strings: usize = state
            .entries
            .iter()
            .map(|(key, value)| key.len() + value.len() + 2 * ARC_HEADER_BYTES)
            .sum();
        list + strings
    }

    /// What the values of gets show about the order of writes: see `append_order`.
    fn implied_order(&self, operations: &[KvAppendOperation]) -> Vec<ImpliedOrder> {
        append_order::implied_order(operations)
    }

    fn describe_operation(&self, input: &KvAppendInput, output: &KvAppendOutput) -> String {
        let key = &input.key;
        let request = match &input.action {
            KvAppendAction::Get => format!("get {key:?}"),
            KvAppendAction::Put(value) => format!("put {key:?} {value:?}"),
            KvAppendAction::Append(suffix) => format!("append {key:?} {suffix:?}"),
        };
        match output {
            KvAppendOutput::Value(value) => format!("{request} -> {value:?}"),
            KvAppendOutput::Done => format!("{request} -> ok"),
            KvAppendOutput::Unknown => format!("{request} -> no answer"),
        }
    }
}

/// Splits a history into one history per key, each in the original order.
pub fn partition_by_key(
    operations: Vec<KvAppendOperation>,
) -> BTreeMap<String, Vec<KvAppendOperation>> {
    let mut partitions: BTreeMap<String, Vec<KvAppendOperation>> = BTreeMap::new();
    for operation in operations {
        partitions
            .entry(operation.input.key.clone())
            .or_default()
            .push(operation);
    }
    partitions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(key: &str, action: KvAppendAction) -> KvAppendInput {
        KvAppendInput {
            key: key.to_string(),
            action,
        }
    }

    #[test]
    fn append_concatenates_per_key_and_get_sees_it() {
        let model = KvAppendModel;
        let state = model.init();
        let append = input("a", KvAppendAction::Append("x".into()));
        let state = model.step(&state, &append, &KvAppendOutput::Done).unwrap();
        let state = model.step(&state, &append, &KvAppendOutput::Done).unwrap();
        let get_a = input("a", KvAppendAction::Get);
        let get_b = input("b", KvAppendAction::Get);
        assert!(model
            .step(&state, &get_a, &KvAppendOutput::Value("xx".into()))
            .is_some());
        assert!(model
            .step(&state, &get_a, &KvAppendOutput::Value("x".into()))
            .is_none());
        assert!(model
            .step(&state, &get_b, &KvAppendOutput::Value(String::new()))
            .is_some());
        let put = input("a", KvAppendAction::Put("y".into()));
        let state = model.step(&state, &put, &KvAppendOutput::Done).unwrap();
        assert_eq!(model.describe_state(&state), "\"a\" = \"y\"");
    }
}
