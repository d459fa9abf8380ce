//! One key's revision history: what it held at every revision still readable.

use crate::lease::LeaseId;
use crate::request::KeyValue;
use crate::watch::WatchEvent;
use serde::{Deserialize, Serialize};

/// A change to one key: at `revision` the key was put (`live` is its new state) or
/// deleted (`live` is `None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    revision: u64,
    live: Option<Live>,
}

impl Event {
    /// The key (named `key`) as this event left it, or `None` if the event deleted it.
    fn key_value(&self, key: &str) -> Option<KeyValue> {
        let live = self.live.as_ref()?;
        Some(KeyValue {
            key: key.to_owned(),
            value: live.value.clone(),
            create_revision: live.create_revision,
            mod_revision: self.revision,
            version: live.version,
            lease: live.lease,
        })
    }

    /// The event as a watcher of the key (named `key`) sees it.
    fn watch_event(&self, key: &str) -> WatchEvent {
        match self.key_value(key) {
            Some(kv) => WatchEvent::put(kv),
            None => WatchEvent::delete(key, self.revision),
        }
    }
}

/// The state of an existing key, apart from its name and mod_revision (the event's revision).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Live {
    value: String,
    create_revision: u64,
    version: u64,
    /// The lease the put attached the key to; left out when `None`, so histories written
    /// before leases existed read the same and lease-less stores keep their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease: Option<LeaseId>,
}

/// The changes to one key in increasing revision order. The key's state at revision `r` is
/// the latest event at or before `r`; no event at or before `r` means the key did not exist
/// (or its history was compacted away together with its deletion).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct KeyHistory {
    events: Vec<Event>,
}

impl KeyHistory {
    /// The key (named `key`) as it was at `revision`, or `None` if it did not exist then.
    pub(crate) fn at(&self, key: &str, revision: u64) -> Option<KeyValue> {
        self.in_force(revision)?.key_value(key)
    }

    /// The changes to the key (named `key`) at `start_revision` or later, oldest first, as a
    /// watcher sees them. Complete for any `start_revision` at or above the compacted
    /// revision, since [`KeyHistory::compact`] keeps every event from that revision on.
    pub(crate) fn watch_events<'h>(
        &'h self,
        key: &'h str,
        start_revision: u64,
    ) -> impl Iterator<Item = WatchEvent> + 'h {
        let first = self.events.partition_point(|e| e.revision < start_revision);
        self.events[first..]
            .iter()
            .map(move |event| event.watch_event(key))
    }

    /// The lease the key was attached to at `revision`; `None` if it had none or did not
    /// exist then.
    pub(crate) fn lease_at(&self, revision: u64) -> Option<LeaseId> {
        self.in_force(revision)?.live.as_ref()?.lease
    }

    /// The latest event at or before `revision`.
    fn in_force(&self, revision: u64) -> Option<&Event> {
        let later = self.events.partition_point(|e| e.revision <= revision);
        self.events[..later].last()
    }

    /// The state the latest event left, if the key exists after it.
    fn latest(&self) -> Option<&Live> {
        self.events.last()?.live.as_ref()
    }

    /// The key's mod revision if it exists after its latest event.
    pub(crate) fn live_mod_revision(&self) -> Option<u64> {
        let latest = self.events.last()?;
        latest.live.as_ref().map(|_| latest.revision)
    }

    /// Records a put of `value` with `lease` at `revision`: a new version of an existing
    /// key, or a fresh creation (version 1) of a missing or deleted one.
    pub(crate) fn put(&mut self, revision: u64, value: String, lease: Option<LeaseId>) {
        let live = match self.latest() {
            Some(previous) => Live {
                value,
                create_revision: previous.create_revision,
                version: previous.version + 1,
                lease,
            },
            None => Live {
                value,
                create_revision: revision,
                version: 1,
                lease,
            },
        };
        self.events.push(Event {
            revision,
            live: Some(live),
        });
    }

    /// Records a deletion at `revision` if the key exists; returns whether it did.
    pub(crate) fn delete(&mut self, revision: u64) -> bool {
        let exists = self.latest().is_some();
        if exists {
            self.events.push(Event {
                revision,
                live: None,
            });
        }
        exists
    }

    /// Forgets every event after `revision`, undoing writes not yet committed.
    pub(crate) fn truncate_after(&mut self, revision: u64) {
        let kept = self.events.partition_point(|e| e.revision <= revision);
        self.events.truncate(kept);
    }

    /// Forgets what reads and watches from `revision` on can no longer see: every event
    /// before the one in force at `revision`, and that one too if it is a deletion before
    /// `revision` (reading "no event" means "missing" just as well). A deletion *at*
    /// `revision` stays: a watch from `revision` must report it. etcd lost such deletions
    /// until it kept them too (etcd-io/etcd#18089, fixed by #18274).
    pub(crate) fn compact(&mut self, revision: u64) {
        let later = self.events.partition_point(|e| e.revision <= revision);
        let drops_in_force = later > 0 && {
            let in_force = &self.events[later - 1];
            in_force.live.is_none() && in_force.revision < revision
        };
        let dropped = if drops_in_force {
            later
        } else {
            later.saturating_sub(1)
        };
        self.events.drain(..dropped);
        self.events.shrink_to_fit();
    }

    /// Whether no event is left, so the key can be forgotten entirely.
    pub(crate) fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(value: &str, create_revision: u64, mod_revision: u64, version: u64) -> KeyValue {
        KeyValue {
            key: "k".into(),
            value: value.into(),
            create_revision,
            mod_revision,
            version,
            lease: None,
        }
    }

    /// put a@2, put b@3, delete@4, put c@6.
    fn sample() -> KeyHistory {
        let mut history = KeyHistory::default();
        history.put(2, "a".into(), None);
        history.put(3, "b".into(), None);
        assert!(history.delete(4));
        history.put(6, "c".into(), None);
        history
    }

    #[test]
    fn reads_the_event_in_force_at_each_revision() {
        let history = sample();
        assert_eq!(history.at("k", 1), None);
        assert_eq!(history.at("k", 2), Some(kv("a", 2, 2, 1)));
        assert_eq!(history.at("k", 3), Some(kv("b", 2, 3, 2)));
        assert_eq!(history.at("k", 4), None);
        assert_eq!(history.at("k", 5), None);
        assert_eq!(history.at("k", 6), Some(kv("c", 6, 6, 1)));
        assert_eq!(history.at("k", u64::MAX), Some(kv("c", 6, 6, 1)));
    }

    #[test]
    fn each_version_remembers_its_lease() {
        let mut history = KeyHistory::default();
        history.put(2, "a".into(), Some(LeaseId(7)));
        history.put(3, "b".into(), None);
        assert!(history.delete(4));
        assert_eq!(history.at("k", 2).unwrap().lease, Some(LeaseId(7)));
        assert_eq!(history.lease_at(2), Some(LeaseId(7)));
        assert_eq!(history.lease_at(3), None);
        assert_eq!(history.lease_at(4), None);
        assert_eq!(history.lease_at(1), None);
    }

    #[test]
    fn deleting_a_missing_key_records_nothing() {
        let mut history = KeyHistory::default();
        assert!(!history.delete(2));
        assert!(history.is_empty());
        history.put(2, "a".into(), None);
        assert!(history.delete(3));
        assert!(!history.delete(4));
        assert_eq!(history.events.len(), 2);
    }

    #[test]
    fn truncate_after_undoes_later_events() {
        let mut history = sample();
        history.truncate_after(4);
        assert_eq!(history.events.len(), 3);
        assert_eq!(history.at("k", 10), None);
        history.truncate_after(1);
        assert!(history.is_empty());
    }

    #[test]
    fn compact_keeps_the_event_in_force() {
        let mut history = sample();
        history.compact(3);
        assert_eq!(history.events.len(), 3);
        assert_eq!(history.at("k", 3), Some(kv("b", 2, 3, 2)));
        assert_eq!(history.at("k", 4), None);
        assert_eq!(history.at("k", 6), Some(kv("c", 6, 6, 1)));
    }

    #[test]
    fn compact_drops_a_deletion_in_force() {
        let mut history = sample();
        history.compact(5);
        assert_eq!(history.events.len(), 1);
        assert_eq!(history.at("k", 5), None);
        assert_eq!(history.at("k", 6), Some(kv("c", 6, 6, 1)));
    }

    #[test]
    fn compact_past_a_final_deletion_empties_the_history() {
        let mut history = KeyHistory::default();
        history.put(2, "a".into(), None);
        history.delete(3);
        history.compact(4);
        assert!(history.is_empty());
    }

    #[test]
    fn compact_at_a_deletion_keeps_only_the_deletion() {
        let mut history = KeyHistory::default();
        history.put(2, "a".into(), None);
        history.delete(3);
        history.compact(3);
        assert_eq!(history.events.len(), 1);
        assert_eq!(history.at("k", 3), None);
        let events: Vec<WatchEvent> = history.watch_events("k", 3).collect();
        assert_eq!(events, vec![WatchEvent::delete("k", 3)]);
        history.compact(4);
        assert!(history.is_empty());
    }

    #[test]
    fn watch_events_start_at_the_start_revision() {
        let history = sample();
        let revisions = |start| {
            history
                .watch_events("k", start)
                .map(|event| event.revision())
                .collect::<Vec<_>>()
        };
        assert_eq!(revisions(0), [2, 3, 4, 6]);
        assert_eq!(revisions(3), [3, 4, 6]);
        assert_eq!(revisions(5), [6]);
        assert_eq!(revisions(7), Vec::<u64>::new());
        let events: Vec<WatchEvent> = history.watch_events("k", 4).collect();
        assert_eq!(
            events,
            vec![
                WatchEvent::delete("k", 4),
                WatchEvent::put(kv("c", 6, 6, 1))
            ]
        );
    }

    #[test]
    fn compact_before_the_first_event_keeps_everything() {
        let mut history = sample();
        history.compact(1);
        assert_eq!(history, sample());
    }
}
