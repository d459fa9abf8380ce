//! Which keys a range or delete request addresses.

use serde::{Deserialize, Serialize};

/// A set of keys, contiguous in key order (keys order by their UTF-8 bytes, which is `str`'s
/// `Ord`). This is etcd's `key`/`range_end` pair, spelled out so a request cannot be
/// ambiguous.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyRange {
    /// Exactly this key.
    Key(String),
    /// Every key starting with this prefix; `Prefix("")` is every key (etcd's `"\0"` range end).
    Prefix(String),
    /// Every key `k` with `start <= k < end`; empty when `end <= start`.
    Interval {
        /// The first key of the interval (included).
        start: String,
        /// The key after the interval (excluded).
        end: String,
    },
}

impl KeyRange {
    /// Whether `key` belongs to this range.
    pub fn contains(&self, key: &str) -> bool {
        match self {
            KeyRange::Key(k) => key == k,
            KeyRange::Prefix(prefix) => key.starts_with(prefix.as_str()),
            KeyRange::Interval { start, end } => start.as_str() <= key && key < end.as_str(),
        }
    }

    /// The smallest string the range can contain; every key of the range is at or after it,
    /// and the range holds it unless the range is empty. Scans start here.
    pub(crate) fn first_key(&self) -> &str {
        match self {
            KeyRange::Key(k) | KeyRange::Prefix(k) => k,
            KeyRange::Interval { start, .. } => start,
        }
    }

    /// Whether the range names the empty key, which only `Prefix("")` may.
    pub(crate) fn names_empty_key(&self) -> bool {
        match self {
            KeyRange::Key(k) | KeyRange::Interval { start: k, .. } => k.is_empty(),
            KeyRange::Prefix(_) => false,
        }
    }

    /// A string both ranges contain, or `None` when they are disjoint.
    ///
    /// Both ranges are contiguous in key order and contain their first key when not empty,
    /// so if they intersect, the later of the two first keys lies in the intersection.
    pub(crate) fn overlap<'a>(&'a self, other: &'a KeyRange) -> Option<&'a str> {
        let witness = self.first_key().max(other.first_key());
        (self.contains(witness) && other.contains(witness)).then_some(witness)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(start: &str, end: &str) -> KeyRange {
        KeyRange::Interval {
            start: start.into(),
            end: end.into(),
        }
    }

    #[test]
    fn key_contains_only_itself() {
        let range = KeyRange::Key("ab".into());
        assert!(range.contains("ab"));
        assert!(!range.contains("a"));
        assert!(!range.contains("abc"));
    }

    #[test]
    fn prefix_contains_its_extensions_and_empty_prefix_contains_all() {
        let range = KeyRange::Prefix("ab".into());
        assert!(range.contains("ab"));
        assert!(range.contains("abz"));
        assert!(!range.contains("a"));
        assert!(!range.contains("ac"));
        let all = KeyRange::Prefix(String::new());
        assert!(all.contains("a"));
        assert!(all.contains("\u{10ffff}"));
    }

    #[test]
    fn interval_is_half_open_and_empty_when_reversed() {
        let range = interval("b", "d");
        assert!(!range.contains("a"));
        assert!(range.contains("b"));
        assert!(range.contains("c\u{10ffff}"));
        assert!(!range.contains("d"));
        let reversed = interval("d", "b");
        assert!(!reversed.contains("b"));
        assert!(!reversed.contains("c"));
        assert!(!reversed.contains("d"));
    }

    #[test]
    fn empty_key_is_named_by_key_and_interval_but_not_prefix() {
        assert!(KeyRange::Key(String::new()).names_empty_key());
        assert!(interval("", "b").names_empty_key());
        assert!(!KeyRange::Prefix(String::new()).names_empty_key());
        assert!(!KeyRange::Key("a".into()).names_empty_key());
    }

    #[test]
    fn overlap_finds_a_common_key_or_none() {
        let key = |k: &str| KeyRange::Key(k.into());
        let prefix = |p: &str| KeyRange::Prefix(p.into());
        assert_eq!(key("a").overlap(&key("a")), Some("a"));
        assert_eq!(key("a").overlap(&key("b")), None);
        assert_eq!(prefix("a").overlap(&key("ab")), Some("ab"));
        assert_eq!(key("ab").overlap(&prefix("a")), Some("ab"));
        assert_eq!(prefix("a").overlap(&prefix("ab")), Some("ab"));
        assert_eq!(prefix("a").overlap(&prefix("b")), None);
        assert_eq!(interval("a", "c").overlap(&prefix("b")), Some("b"));
        assert_eq!(interval("a", "b").overlap(&prefix("b")), None);
        assert_eq!(interval("b", "a").overlap(&interval("a", "c")), None);
        assert_eq!(interval("a", "c").overlap(&interval("b", "d")), Some("b"));
        assert_eq!(prefix("").overlap(&key("z")), Some("z"));
    }
}
