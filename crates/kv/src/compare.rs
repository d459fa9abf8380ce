//! The conditions a transaction tests before choosing its branch.

use crate::request::KeyValue;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// A condition on one key's current state, e.g. "the mod_revision of `a` equals 5".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compare {
    /// The key to test; must not be empty.
    pub key: String,
    /// Which attribute of the key to test, and the value to test it against.
    pub target: CompareTarget,
    /// How the key's attribute must relate to the target value.
    pub result: CompareResult,
}

/// The attribute a [`Compare`] tests and the value it is tested against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareTarget {
    /// The value, ordered by bytes. On a missing key this compare is false, whatever the
    /// [`CompareResult`].
    Value(String),
    /// The version; a missing key has version 0.
    Version(u64),
    /// The create_revision; a missing key has 0.
    CreateRevision(u64),
    /// The mod_revision; a missing key has 0.
    ModRevision(u64),
}

/// The relation a [`Compare`] requires between the key's actual attribute and the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareResult {
    /// actual == target
    Equal,
    /// actual != target
    NotEqual,
    /// actual < target
    Less,
    /// actual > target
    Greater,
}

impl CompareResult {
    /// Whether `actual.cmp(target)` satisfies this relation.
    fn accepts(self, ordering: Ordering) -> bool {
        match self {
            CompareResult::Equal => ordering == Ordering::Equal,
            CompareResult::NotEqual => ordering != Ordering::Equal,
            CompareResult::Less => ordering == Ordering::Less,
            CompareResult::Greater => ordering == Ordering::Greater,
        }
    }
}

impl Compare {
    /// Whether the condition holds for the key's current state (`None`: the key is missing).
    pub(crate) fn holds(&self, current: Option<&KeyValue>) -> bool {
        let number = |attribute: fn(&KeyValue) -> u64| current.map_or(0, attribute);
        let ordering = match &self.target {
            CompareTarget::Value(target) => match current {
                Some(kv) => kv.value.as_bytes().cmp(target.as_bytes()),
                None => return false,
            },
            CompareTarget::Version(target) => number(|kv| kv.version).cmp(target),
            CompareTarget::CreateRevision(target) => number(|kv| kv.create_revision).cmp(target),
            CompareTarget::ModRevision(target) => number(|kv| kv.mod_revision).cmp(target),
        };
        self.result.accepts(ordering)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESULTS: [CompareResult; 4] = [
        CompareResult::Equal,
        CompareResult::NotEqual,
        CompareResult::Less,
        CompareResult::Greater,
    ];

    /// A key with value "m", created at 3, last modified at 5, version 2.
    fn existing() -> KeyValue {
        KeyValue {
            key: "k".into(),
            value: "m".into(),
            create_revision: 3,
            mod_revision: 5,
            version: 2,
            lease: None,
        }
    }

    fn holds(target: CompareTarget, result: CompareResult, current: Option<&KeyValue>) -> bool {
        Compare {
            key: "k".into(),
            target,
            result,
        }
        .holds(current)
    }

    /// Checks one target against a below/equal/above value for every operator: exactly the
    /// operator that matches the actual ordering holds.
    fn check_numeric(target: fn(u64) -> CompareTarget, actual: u64, current: Option<&KeyValue>) {
        let cases = [
            (actual + 1, CompareResult::Less),
            (actual, CompareResult::Equal),
            (actual.saturating_sub(1), CompareResult::Greater),
        ];
        for (value, expected_true) in cases {
            if actual == 0 && expected_true == CompareResult::Greater {
                continue; // nothing below zero to compare against
            }
            for result in RESULTS {
                let expected = result == expected_true
                    || (result == CompareResult::NotEqual && expected_true != CompareResult::Equal);
                assert_eq!(
                    holds(target(value), result, current),
                    expected,
                    "{:?} {result:?} against actual {actual}",
                    target(value)
                );
            }
        }
    }

    #[test]
    fn version_compares_on_an_existing_key() {
        check_numeric(CompareTarget::Version, 2, Some(&existing()));
    }

    #[test]
    fn create_revision_compares_on_an_existing_key() {
        check_numeric(CompareTarget::CreateRevision, 3, Some(&existing()));
    }

    #[test]
    fn mod_revision_compares_on_an_existing_key() {
        check_numeric(CompareTarget::ModRevision, 5, Some(&existing()));
    }

    #[test]
    fn numeric_compares_on_a_missing_key_use_zero() {
        check_numeric(CompareTarget::Version, 0, None);
        check_numeric(CompareTarget::CreateRevision, 0, None);
        check_numeric(CompareTarget::ModRevision, 0, None);
    }

    #[test]
    fn value_compares_bytewise_on_an_existing_key() {
        let kv = existing();
        let value = |v: &str| CompareTarget::Value(v.into());
        assert!(holds(value("m"), CompareResult::Equal, Some(&kv)));
        assert!(!holds(value("m"), CompareResult::NotEqual, Some(&kv)));
        assert!(!holds(value("m"), CompareResult::Less, Some(&kv)));
        assert!(!holds(value("m"), CompareResult::Greater, Some(&kv)));
        // "m" < "n" and "m" < "ma" (a prefix sorts first), "m" > "l" and "m" > "M".
        for target in ["n", "ma"] {
            assert!(holds(value(target), CompareResult::Less, Some(&kv)));
            assert!(holds(value(target), CompareResult::NotEqual, Some(&kv)));
            assert!(!holds(value(target), CompareResult::Greater, Some(&kv)));
            assert!(!holds(value(target), CompareResult::Equal, Some(&kv)));
        }
        for target in ["l", "M", ""] {
            assert!(holds(value(target), CompareResult::Greater, Some(&kv)));
            assert!(holds(value(target), CompareResult::NotEqual, Some(&kv)));
            assert!(!holds(value(target), CompareResult::Less, Some(&kv)));
            assert!(!holds(value(target), CompareResult::Equal, Some(&kv)));
        }
    }

    #[test]
    fn value_compares_by_bytes_not_by_chars_or_case() {
        let mut kv = existing();
        kv.value = "\u{e9}".into(); // é: bytes C3 A9, above every ASCII byte
        assert!(holds(
            CompareTarget::Value("z".into()),
            CompareResult::Greater,
            Some(&kv)
        ));
    }

    #[test]
    fn value_compare_on_a_missing_key_is_always_false() {
        for result in RESULTS {
            for target in ["", "a"] {
                assert!(!holds(CompareTarget::Value(target.into()), result, None));
            }
        }
    }
}
