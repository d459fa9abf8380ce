//! Porcupine's key-value store: per key a string, initially empty, with get, put and
//! append. Keys are independent, so a history is checked key by key
//! ([`partition_by_key`]); the model also accepts a whole history as one object, which is
//! what checking it without partitioning means.

use crate::model::{Model, Operation};
use std::collections::BTreeMap;

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

/// The values of the keys written so far; a key not in the map is "".
pub type KvAppendState = BTreeMap<String, String>;

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
        BTreeMap::new()
    }

    fn step(
        &self,
        state: &KvAppendState,
        input: &KvAppendInput,
        output: &KvAppendOutput,
    ) -> Option<KvAppendState> {
        let current = state.get(&input.key).map_or("", String::as_str);
        let written = match (&input.action, output) {
            (KvAppendAction::Get, KvAppendOutput::Value(seen)) => {
                return (seen == current).then(|| state.clone());
            }
            (KvAppendAction::Get, KvAppendOutput::Unknown) => return Some(state.clone()),
            (KvAppendAction::Get, KvAppendOutput::Done) => return None,
            (KvAppendAction::Put(value), KvAppendOutput::Done | KvAppendOutput::Unknown) => {
                value.clone()
            }
            (KvAppendAction::Append(suffix), KvAppendOutput::Done | KvAppendOutput::Unknown) => {
                format!("{current}{suffix}")
            }
            (_, KvAppendOutput::Value(_)) => return None,
        };
        let mut next = state.clone();
        next.insert(input.key.clone(), written);
        Some(next)
    }

    fn describe_state(&self, state: &KvAppendState) -> String {
        if state.is_empty() {
            return "every key \"\"".to_string();
        }
        state
            .iter()
            .map(|(key, value)| format!("{key:?} = {value:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The keys' and values' bytes, and the map's B-tree nodes. std's nodes hold up to 11
    /// entries whether full or not (so even a one-key map has a whole ~540-byte node), and
    /// all but the root are at least half full: at most 1 + len / 5 nodes.
    fn state_heap_bytes(&self, state: &KvAppendState) -> usize {
        const NODE_BYTES: usize = 11 * std::mem::size_of::<(String, String)>() + 16;
        let strings: usize = state
            .iter()
            .map(|(key, value)| key.capacity() + value.capacity())
            .sum();
        let nodes = if state.is_empty() {
            0
        } else {
            1 + state.len() / 5
        };
        strings + nodes * NODE_BYTES
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
