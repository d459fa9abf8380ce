//! The read side of Watch: which events a watch from a revision returns for puts, deletes,
//! transactions, delete ranges and lease revokes; key, prefix and interval ranges; the start
//! revision's edge cases and compaction; and, over random request sequences, that clients
//! resuming from the header revision + 1 see every change of a reference model exactly once.

use kv::{
    Compare, CompareResult, CompareTarget, DeleteRangeRequest, KeyRange, KeyValue, KvError,
    LeaseGrantRequest, LeaseId, LeaseRevokeRequest, PutRequest, Request, RequestOp, Response,
    ResponseHeader, Store, TxnRequest, WatchEvent, WatchEventKind, WatchRequest, WatchResponse,
};
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::BTreeMap;

const LEASE: LeaseId = LeaseId(7);

fn key(name: &str) -> KeyRange {
    KeyRange::Key(name.into())
}

fn prefix(name: &str) -> KeyRange {
    KeyRange::Prefix(name.into())
}

fn put_request(key: &str, value: &str, lease: Option<LeaseId>) -> PutRequest {
    PutRequest {
        key: key.into(),
        value: value.into(),
        prev_kv: false,
        lease,
    }
}

/// Runs a request that must succeed and returns the store revision after it.
fn execute(store: &mut Store, request: Request) -> u64 {
    match store.execute(&request) {
        Ok(Response::Put(response)) => response.header.revision,
        Ok(Response::DeleteRange(response)) => response.header.revision,
        Ok(Response::Txn(response)) => response.header.revision,
        Ok(Response::LeaseGrant(response)) => response.header.revision,
        Ok(Response::LeaseRevoke(response)) => response.header.revision,
        other => panic!("{request:?} answered {other:?}"),
    }
}

fn put(store: &mut Store, key: &str, value: &str) -> u64 {
    execute(store, Request::Put(put_request(key, value, None)))
}

fn delete(store: &mut Store, range: KeyRange) -> u64 {
    let request = DeleteRangeRequest {
        range,
        prev_kv: false,
    };
    execute(store, Request::DeleteRange(request))
}

fn watch(store: &Store, range: KeyRange, start_revision: u64) -> Result<WatchResponse, KvError> {
    store.watch_events(&WatchRequest {
        range,
        start_revision,
    })
}

/// The events of a watch that must succeed.
fn events(store: &Store, range: KeyRange, start_revision: u64) -> Vec<WatchEvent> {
    watch(store, range, start_revision)
        .expect("watchable revision")
        .events
}

fn put_event(key: &str, value: &str, create: u64, modified: u64, version: u64) -> WatchEvent {
    WatchEvent {
        kind: WatchEventKind::Put,
        kv: KeyValue {
            key: key.into(),
            value: value.into(),
            create_revision: create,
            mod_revision: modified,
            version,
            lease: None,
        },
    }
}

fn delete_event(key: &str, revision: u64) -> WatchEvent {
    WatchEvent {
        kind: WatchEventKind::Delete,
        kv: KeyValue {
            key: key.into(),
            value: String::new(),
            create_revision: 0,
            mod_revision: revision,
            version: 0,
            lease: None,
        },
    }
}

/// (kind, key, revision) of each event, for tests about order rather than contents.
fn summary(events: &[WatchEvent]) -> Vec<(WatchEventKind, &str, u64)> {
    events
        .iter()
        .map(|event| (event.kind, event.kv.key.as_str(), event.revision()))
        .collect()
}

#[test]
fn puts_and_deletes_of_a_key_arrive_in_order() {
    let mut store = Store::new();
    put(&mut store, "a", "1"); // 2
    put(&mut store, "b", "1"); // 3
    put(&mut store, "a", "2"); // 4
    delete(&mut store, key("a")); // 5
    delete(&mut store, key("a")); // deletes nothing: no revision, no event
    put(&mut store, "a", "3"); // 6
    let response = watch(&store, key("a"), 1).unwrap();
    assert_eq!(response.header, ResponseHeader { revision: 6 });
    assert_eq!(
        response.events,
        vec![
            put_event("a", "1", 2, 2, 1),
            put_event("a", "2", 2, 4, 2),
            delete_event("a", 5),
            put_event("a", "3", 6, 6, 1),
        ]
    );
    assert_eq!(events(&store, key("a"), 5), response.events[2..]);
    assert_eq!(events(&store, key("a"), 6), response.events[3..]);
}

#[test]
fn a_multi_key_txn_gives_its_events_one_revision_in_key_order() {
    let mut store = Store::new();
    put(&mut store, "c", "old"); // 2
    let txn = TxnRequest {
        compare: vec![Compare {
            key: "c".into(),
            target: CompareTarget::Version(1),
            result: CompareResult::Equal,
        }],
        // Written out of key order, reported in key order.
        success: vec![
            RequestOp::Put(put_request("d", "1", None)),
            RequestOp::DeleteRange(DeleteRangeRequest {
                range: key("c"),
                prev_kv: false,
            }),
            RequestOp::Put(put_request("a", "1", None)),
        ],
        failure: vec![],
    };
    assert_eq!(execute(&mut store, Request::Txn(txn)), 3);
    put(&mut store, "b", "1"); // 4
    assert_eq!(
        events(&store, prefix(""), 3),
        vec![
            put_event("a", "1", 3, 3, 1),
            delete_event("c", 3),
            put_event("d", "1", 3, 3, 1),
            put_event("b", "1", 4, 4, 1),
        ]
    );
}

#[test]
fn a_prefix_delete_range_deletes_each_key_at_one_revision() {
    let mut store = Store::new();
    for name in ["p/2", "q", "p/1", "p"] {
        put(&mut store, name, "v"); // 2..=5
    }
    assert_eq!(delete(&mut store, prefix("p/")), 6);
    assert_eq!(
        summary(&events(&store, prefix("p/"), 1)),
        vec![
            (WatchEventKind::Put, "p/2", 2),
            (WatchEventKind::Put, "p/1", 4),
            (WatchEventKind::Delete, "p/1", 6),
            (WatchEventKind::Delete, "p/2", 6),
        ]
    );
    assert_eq!(
        events(&store, prefix("p/"), 6),
        vec![delete_event("p/1", 6), delete_event("p/2", 6)]
    );
    assert_eq!(
        events(&store, key("q"), 1),
        vec![put_event("q", "v", 3, 3, 1)]
    );
}

#[test]
fn a_lease_revoke_deletes_its_keys_at_its_revision() {
    let mut store = Store::new();
    let grant = LeaseGrantRequest {
        id: LEASE,
        ttl_s: 10,
    };
    execute(&mut store, Request::LeaseGrant(grant));
    execute(
        &mut store,
        Request::Put(put_request("s/b", "1", Some(LEASE))),
    ); // 2
    execute(
        &mut store,
        Request::Put(put_request("s/a", "1", Some(LEASE))),
    ); // 3
    put(&mut store, "s/c", "1"); // 4
    let revoke = Request::LeaseRevoke(LeaseRevokeRequest { id: LEASE });
    assert_eq!(execute(&mut store, revoke), 5);
    let all = events(&store, prefix("s/"), 2);
    assert_eq!(all[0].kv.lease, Some(LEASE), "a put event names its lease");
    assert_eq!(
        summary(&all),
        vec![
            (WatchEventKind::Put, "s/b", 2),
            (WatchEventKind::Put, "s/a", 3),
            (WatchEventKind::Put, "s/c", 4),
            (WatchEventKind::Delete, "s/a", 5),
            (WatchEventKind::Delete, "s/b", 5),
        ]
    );
    assert_eq!(
        events(&store, prefix("s/"), 5),
        vec![delete_event("s/a", 5), delete_event("s/b", 5)]
    );
}

#[test]
fn key_prefix_and_interval_ranges_select_their_keys() {
    let mut store = Store::new();
    for name in ["a", "ab", "abc", "b", "ba"] {
        put(&mut store, name, "v");
    }
    let keys = |range| {
        events(&store, range, 1)
            .into_iter()
            .map(|event| event.kv.key)
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(key("ab")), ["ab"]);
    assert_eq!(keys(key("zz")), Vec::<String>::new());
    assert_eq!(keys(prefix("ab")), ["ab", "abc"]);
    assert_eq!(keys(prefix("b")), ["b", "ba"]);
    assert_eq!(keys(prefix("")), ["a", "ab", "abc", "b", "ba"]);
    let interval = KeyRange::Interval {
        start: "ab".into(),
        end: "b".into(),
    };
    assert_eq!(keys(interval), ["ab", "abc"]);
}

#[test]
fn start_zero_and_future_starts_return_nothing_yet() {
    let mut store = Store::new();
    put(&mut store, "a", "1"); // 2
    for start in [0, 3, 4, u64::MAX] {
        let response = watch(&store, prefix(""), start).unwrap();
        assert_eq!(response.header.revision, 2);
        assert_eq!(response.events, vec![], "from {start}");
    }
    put(&mut store, "a", "2"); // 3
    assert_eq!(events(&store, prefix(""), 0), vec![]);
    assert_eq!(
        events(&store, prefix(""), 3),
        vec![put_event("a", "2", 2, 3, 2)]
    );
    assert_eq!(events(&store, prefix(""), 4), vec![]);
}

#[test]
fn resuming_after_the_header_revision_sees_each_change_once() {
    let mut store = Store::new();
    let mut seen = Vec::new();
    let mut next = 1;
    let mut poll = |store: &Store| {
        let response = watch(store, prefix(""), next).unwrap();
        next = response.header.revision + 1;
        seen.extend(response.events);
    };
    put(&mut store, "a", "1");
    poll(&store);
    poll(&store);
    put(&mut store, "b", "1");
    delete(&mut store, prefix(""));
    poll(&store);
    put(&mut store, "a", "2");
    poll(&store);
    assert_eq!(seen, events(&store, prefix(""), 1));
    assert_eq!(seen.len(), 5);
}

#[test]
fn an_empty_key_is_refused() {
    let store = Store::new();
    assert_eq!(watch(&store, key(""), 1), Err(KvError::EmptyKey));
    assert_eq!(events(&store, prefix(""), 1), vec![]);
}

#[test]
fn compaction_refuses_earlier_starts_and_keeps_later_events() {
    let mut store = Store::new();
    put(&mut store, "a", "1"); // 2
    put(&mut store, "b", "1"); // 3
    delete(&mut store, key("a")); // 4
    put(&mut store, "b", "2"); // 5
    let from_four = events(&store, prefix(""), 4);
    // Compacting at the deletion: a watch from 4 must still report it (etcd-io/etcd#18089).
    store.compact(4).unwrap();
    for start in 1..4 {
        assert_eq!(
            watch(&store, prefix(""), start),
            Err(KvError::Compacted {
                requested: start,
                compacted: 4
            })
        );
    }
    assert_eq!(events(&store, prefix(""), 4), from_four);
    assert_eq!(
        from_four,
        vec![delete_event("a", 4), put_event("b", "2", 3, 5, 2)]
    );
    // The snapshot a follower restores keeps the deletion too.
    let json = serde_json::to_string(&store).unwrap();
    let restored: Store = serde_json::from_str(&json).unwrap();
    assert_eq!(events(&restored, prefix(""), 4), from_four);
    // A later compaction forgets it, and watches from 5 never needed it.
    store.compact(5).unwrap();
    assert_eq!(
        watch(&store, prefix(""), 4),
        Err(KvError::Compacted {
            requested: 4,
            compacted: 5
        })
    );
    assert_eq!(events(&store, prefix(""), 5), from_four[1..]);
    assert_eq!(events(&store, prefix(""), 0), vec![]);
}

#[test]
fn requests_and_responses_survive_serde() {
    let mut store = Store::new();
    put(&mut store, "a", "1");
    delete(&mut store, key("a"));
    let request = WatchRequest {
        range: prefix(""),
        start_revision: 2,
    };
    let response = store.watch_events(&request).unwrap();
    let json = serde_json::to_string(&(&request, &response)).unwrap();
    let back: (WatchRequest, WatchResponse) = serde_json::from_str(&json).unwrap();
    assert_eq!(back, (request, response));
}

// ---------------------------------------------------------------------------------------
// Random request sequences against a reference model of the changes.

/// The keys, prefixes and interval bounds the generated requests use.
const KEYS: [&str; 5] = ["a", "ab", "b", "ba", "c"];
const PREFIXES: [&str; 5] = ["", "a", "ab", "b", "c"];
const BOUNDS: [&str; 6] = ["a", "ab", "b", "bb", "c", "d"];
/// Lease IDs the generated requests use; puts may name one not granted (and fail).
const LEASES: [i64; 3] = [1, 2, 3];
/// How many resuming watchers follow each sequence.
const WATCHERS: usize = 3;

/// The reference: the live keys and every change ever made, oldest first and in key order
/// within a revision, derived from the requests alone (no history, no compaction). It is
/// told only which requests the store accepted, since refusals change nothing; `model.rs`
/// checks that the store refuses exactly the right requests.
struct Model {
    revision: u64,
    live: BTreeMap<String, KeyValue>,
    changes: Vec<WatchEvent>,
}

/// One write of a batch that takes one revision.
#[derive(Clone, Debug)]
enum Write {
    Put(String, String, Option<LeaseId>),
    Delete(KeyRange),
}

impl Model {
    fn new() -> Model {
        Model {
            revision: 1,
            live: BTreeMap::new(),
            changes: Vec::new(),
        }
    }

    fn version(&self, key: &str) -> u64 {
        self.live.get(key).map_or(0, |kv| kv.version)
    }

    /// Applies the writes at the next revision, which they take only if they change a key.
    fn apply(&mut self, writes: &[Write]) {
        let revision = self.revision + 1;
        let mut changed: BTreeMap<String, WatchEvent> = BTreeMap::new();
        for write in writes {
            match write {
                Write::Put(key, value, lease) => {
                    let previous = self.live.get(key);
                    let kv = KeyValue {
                        key: key.clone(),
                        value: value.clone(),
                        create_revision: previous.map_or(revision, |kv| kv.create_revision),
                        mod_revision: revision,
                        version: previous.map_or(1, |kv| kv.version + 1),
                        lease: *lease,
                    };
                    self.live.insert(key.clone(), kv.clone());
                    changed.insert(
                        key.clone(),
                        WatchEvent {
                            kind: WatchEventKind::Put,
                            kv,
                        },
                    );
                }
                Write::Delete(range) => {
                    let doomed: Vec<String> = self
                        .live
                        .keys()
                        .filter(|key| range.contains(key))
                        .cloned()
                        .collect();
                    for key in doomed {
                        self.live.remove(&key);
                        changed.insert(key.clone(), delete_event(&key, revision));
                    }
                }
            }
        }
        if !changed.is_empty() {
            self.revision = revision;
            self.changes.extend(changed.into_values());
        }
    }

    /// The changes to `range` at `start` or later.
    fn changes_from(&self, range: &KeyRange, start: u64) -> Vec<WatchEvent> {
        self.changes
            .iter()
            .filter(|event| event.revision() >= start && range.contains(&event.kv.key))
            .cloned()
            .collect()
    }
}

#[derive(Clone, Debug)]
enum Step {
    Write(Write),
    /// A transaction whose compare is "`key` has version `version`".
    Txn {
        key: String,
        version: u64,
        success: Vec<Write>,
        failure: Vec<Write>,
    },
    Grant(LeaseId),
    Revoke(LeaseId),
    /// Compacts to a revision every watcher can still resume from (see `compaction_target`).
    Compact(u16),
    /// One watcher asks for what happened since its last answer.
    Poll(prop::sample::Index),
    /// A one-off watch from a revision in `0..=current + 2`.
    Probe(KeyRange, u16),
}

/// A client that keeps watching `range`, starting from `start` (0 or 1).
#[derive(Debug)]
struct Watcher {
    range: KeyRange,
    /// The start revision of its next request.
    next: u64,
    /// The first revision it must see; set by its first answer when it started from 0.
    from: Option<u64>,
    seen: Vec<WatchEvent>,
}

impl Watcher {
    fn poll(&mut self, store: &Store) -> Result<(), TestCaseError> {
        let request = WatchRequest {
            range: self.range.clone(),
            start_revision: self.next,
        };
        let response = store
            .watch_events(&request)
            .map_err(|error| TestCaseError::fail(format!("{request:?}: {error}")))?;
        prop_assert_eq!(response.header.revision, store.revision());
        self.from.get_or_insert(if self.next == 0 {
            store.revision() + 1
        } else {
            self.next
        });
        self.next = response.header.revision + 1;
        self.seen.extend(response.events);
        Ok(())
    }
}

fn key_name() -> impl Strategy<Value = String> {
    select(KEYS.to_vec()).prop_map(String::from)
}

fn key_range() -> impl Strategy<Value = KeyRange> {
    prop_oneof![
        3 => key_name().prop_map(KeyRange::Key),
        2 => select(PREFIXES.to_vec()).prop_map(|p| KeyRange::Prefix(p.into())),
        2 => (select(BOUNDS.to_vec()), select(BOUNDS.to_vec()))
            .prop_map(|(start, end)| KeyRange::Interval { start: start.into(), end: end.into() }),
    ]
}

fn lease_id() -> impl Strategy<Value = LeaseId> {
    select(LEASES.to_vec()).prop_map(LeaseId)
}

fn write() -> impl Strategy<Value = Write> {
    let lease = prop_oneof![3 => Just(None), 1 => lease_id().prop_map(Some)];
    prop_oneof![
        3 => (key_name(), select(vec!["x", "y"]), lease)
            .prop_map(|(key, value, lease)| Write::Put(key, value.into(), lease)),
        1 => key_range().prop_map(Write::Delete),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => write().prop_map(Step::Write),
        3 => (
            key_name(),
            0u64..3,
            prop::collection::vec(write(), 0..4),
            prop::collection::vec(write(), 0..3),
        )
            .prop_map(|(key, version, success, failure)| Step::Txn { key, version, success, failure }),
        2 => lease_id().prop_map(Step::Grant),
        2 => lease_id().prop_map(Step::Revoke),
        1 => any::<u16>().prop_map(Step::Compact),
        5 => any::<prop::sample::Index>().prop_map(Step::Poll),
        2 => (key_range(), any::<u16>()).prop_map(|(range, pick)| Step::Probe(range, pick)),
    ]
}

fn watcher() -> impl Strategy<Value = Watcher> {
    (key_range(), 0u64..2).prop_map(|(range, next)| Watcher {
        range,
        next,
        from: None,
        seen: Vec::new(),
    })
}

fn request_op(write: &Write) -> RequestOp {
    match write {
        Write::Put(key, value, lease) => RequestOp::Put(put_request(key, value, *lease)),
        Write::Delete(range) => RequestOp::DeleteRange(DeleteRangeRequest {
            range: range.clone(),
            prev_kv: false,
        }),
    }
}

/// The compaction revision `pick` chooses: above the compacted revision, at most the current
/// one, and not above any watcher's next start (a watcher that has not asked yet and starts
/// from 0 will start after the current revision), so no watcher is compacted away. `None`
/// when there is no such revision.
fn compaction_target(pick: u16, store: &Store, watchers: &[Watcher]) -> Option<u64> {
    let lowest = store.compacted_revision() + 1;
    let highest = watchers
        .iter()
        .filter(|watcher| watcher.next > 0)
        .map(|watcher| watcher.next)
        .fold(store.revision(), u64::min);
    (lowest <= highest).then(|| lowest + u64::from(pick) % (highest - lowest + 1))
}

/// Runs one step on the store and, if the store accepted it, on the model.
fn run(
    step: &Step,
    store: &mut Store,
    model: &mut Model,
    watchers: &mut [Watcher],
) -> Result<(), TestCaseError> {
    match step {
        Step::Write(write) => {
            let request = match request_op(write) {
                RequestOp::Put(put) => Request::Put(put),
                RequestOp::DeleteRange(delete) => Request::DeleteRange(delete),
                RequestOp::Range(_) => unreachable!("writes only"),
            };
            if store.execute(&request).is_ok() {
                model.apply(std::slice::from_ref(write));
            }
        }
        Step::Txn {
            key,
            version,
            success,
            failure,
        } => {
            let request = Request::Txn(TxnRequest {
                compare: vec![Compare {
                    key: key.clone(),
                    target: CompareTarget::Version(*version),
                    result: CompareResult::Equal,
                }],
                success: success.iter().map(request_op).collect(),
                failure: failure.iter().map(request_op).collect(),
            });
            if let Ok(Response::Txn(response)) = store.execute(&request) {
                let succeeded = model.version(key) == *version;
                prop_assert_eq!(response.succeeded, succeeded);
                model.apply(if succeeded { success } else { failure });
            }
        }
        &Step::Grant(id) => {
            // Refused when the lease exists; either way no key changes.
            let _ = store.execute(&Request::LeaseGrant(LeaseGrantRequest { id, ttl_s: 10 }));
        }
        &Step::Revoke(id) => {
            if store
                .execute(&Request::LeaseRevoke(LeaseRevokeRequest { id }))
                .is_ok()
            {
                let attached: Vec<Write> = model
                    .live
                    .values()
                    .filter(|kv| kv.lease == Some(id))
                    .map(|kv| Write::Delete(KeyRange::Key(kv.key.clone())))
                    .collect();
                model.apply(&attached);
            }
        }
        &Step::Compact(pick) => {
            if let Some(revision) = compaction_target(pick, store, watchers) {
                prop_assert_eq!(store.compact(revision), Ok(()));
            }
        }
        Step::Poll(index) => {
            let watcher = index.index(watchers.len());
            watchers[watcher].poll(store)?;
        }
        &Step::Probe(ref range, pick) => {
            let start = u64::from(pick) % (store.revision() + 3);
            check_watch(store, model, range, start)?;
        }
    }
    prop_assert_eq!(store.revision(), model.revision);
    Ok(())
}

/// A one-off watch from `start` answers as the model says.
fn check_watch(
    store: &Store,
    model: &Model,
    range: &KeyRange,
    start: u64,
) -> Result<(), TestCaseError> {
    let compacted = store.compacted_revision();
    let expected = match start {
        0 => Ok(vec![]),
        start if start < compacted => Err(KvError::Compacted {
            requested: start,
            compacted,
        }),
        start => Ok(model.changes_from(range, start)),
    };
    let request = WatchRequest {
        range: range.clone(),
        start_revision: start,
    };
    let actual = store.watch_events(&request).map(|response| {
        assert_eq!(response.header.revision, store.revision());
        response.events
    });
    prop_assert_eq!(actual, expected, "{:?}", request);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn resuming_watchers_see_every_change_exactly_once(
        steps in prop::collection::vec(step(), 1..60),
        mut watchers in prop::collection::vec(watcher(), WATCHERS),
    ) {
        let mut store = Store::new();
        let mut model = Model::new();
        for watcher in &mut watchers {
            // A watcher from 1 asks before anything happens; one from 0 asks when it polls.
            if watcher.next == 1 {
                watcher.poll(&store)?;
            }
        }
        for step in &steps {
            run(step, &mut store, &mut model, &mut watchers)?;
        }
        for watcher in &mut watchers {
            watcher.poll(&store)?;
            let from = watcher.from.expect("every watcher has asked");
            prop_assert_eq!(
                &watcher.seen,
                &model.changes_from(&watcher.range, from),
                "{:?}",
                watcher.range
            );
        }
        // Every start, for every range, answers as the model, before and after a snapshot.
        let restored: Store = serde_json::from_str(&serde_json::to_string(&store).unwrap()).unwrap();
        let ranges = KEYS
            .iter()
            .map(|&k| key(k))
            .chain(PREFIXES.iter().map(|&p| prefix(p)));
        for range in ranges {
            for start in 0..=store.revision() + 1 {
                check_watch(&store, &model, &range, start)?;
                check_watch(&restored, &model, &range, start)?;
            }
        }
    }
}
