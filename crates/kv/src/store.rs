//! The multi-version store: applies requests, serves reads at any uncompacted revision.

use crate::error::KvError;
use crate::history::KeyHistory;
use crate::key_range::KeyRange;
use crate::lease::{LeaseId, LeaseInfo, LeaseTtl, Leases};
use crate::request::{
    DeleteRangeRequest, DeleteRangeResponse, KeyValue, LeaseCheckpointResponse, LeaseGrantResponse,
    LeaseRevokeRequest, LeaseRevokeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse,
    Request, RequestOp, Response, ResponseHeader, ResponseOp, TxnRequest, TxnResponse,
};
use crate::validate;
use crate::watch::{self, WatchEvent, WatchRequest, WatchResponse};
use serde::{Deserialize, Serialize};
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::ops::Bound;

/// An etcd-like MVCC key-value store: the replicated state machine.
///
/// Every replica applying the same requests in the same order reaches an equal `Store`; it
/// serializes (with its whole readable history) as Raft snapshot data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// The revision of the latest write (1 before any write).
    revision: u64,
    /// Reads below this revision are refused; 0 until the first compaction.
    compacted_revision: u64,
    /// The history of every key that existed at some revision still readable.
    keys: BTreeMap<String, KeyHistory>,
    /// Every granted lease and the keys attached to it. Left out of the serialized form when
    /// there is none, so stores without leases keep the bytes (and state hashes) they had
    /// before leases existed, and such snapshots still read.
    #[serde(default, skip_serializing_if = "Leases::is_empty")]
    leases: Leases,
}

impl Default for Store {
    /// The empty store, as [`Store::new`].
    fn default() -> Store {
        Store::new()
    }
}

/// The bounds of a map scan that meets every key of `range` (and stops at its end through
/// `take_while(range.contains)`, since the range is contiguous).
fn scan_from(range: &KeyRange) -> (Bound<&str>, Bound<&str>) {
    (Bound::Included(range.first_key()), Bound::Unbounded)
}

/// The revision a read asking for `requested` sees, when `current` is the latest readable
/// revision: `None` and `Some(0)` (etcd's "latest") mean `current`.
fn read_revision(requested: Option<u64>, current: u64, compacted: u64) -> Result<u64, KvError> {
    match requested {
        None | Some(0) => Ok(current),
        Some(requested) if requested > current => {
            Err(KvError::FutureRevision { requested, current })
        }
        Some(requested) if requested < compacted => Err(KvError::Compacted {
            requested,
            compacted,
        }),
        Some(requested) => Ok(requested),
    }
}

impl Store {
    /// An empty store at revision 1; as in etcd, the first write gets revision 2.
    pub fn new() -> Store {
        Store {
            revision: 1,
            compacted_revision: 0,
            keys: BTreeMap::new(),
            leases: Leases::default(),
        }
    }

    /// The current store revision: the revision of the latest write, 1 before any.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The store with its revision recounted from the highest mod revision of its live
    /// keys (1 if none lives), as etcd restored its revision from what its backend still
    /// held (etcd #17780): revisions that deletions consumed after the last put are lost
    /// and handed out again. Only the planted bug `revision-from-max-key` calls this.
    pub fn with_revision_from_live_keys(mut self) -> Store {
        self.revision = self
            .keys
            .values()
            .filter_map(KeyHistory::live_mod_revision)
            .max()
            .unwrap_or(1);
        self
    }

    /// The revision of the latest compaction: reads below it fail with
    /// [`KvError::Compacted`]; 0 when the store was never compacted.
    pub fn compacted_revision(&self) -> u64 {
        self.compacted_revision
    }

    /// Executes any request, as a replica applies a committed log entry. Reads do not change
    /// the store; a request that fails changes nothing.
    pub fn execute(&mut self, request: &Request) -> Result<Response, KvError> {
        match request {
            Request::Range(request) => self.range(request).map(Response::Range),
            Request::Put(request) => {
                validate::put_key(&request.key)?;
                self.leases.require(request.lease)?;
                let mut batch = Batch::new(self);
                let mut response = batch.put(request);
                response.header.revision = batch.commit();
                Ok(Response::Put(response))
            }
            Request::DeleteRange(request) => {
                validate::range_keys(&request.range)?;
                let mut batch = Batch::new(self);
                let mut response = batch.delete_range(request);
                response.header.revision = batch.commit();
                Ok(Response::DeleteRange(response))
            }
            Request::Txn(request) => self.txn(request).map(Response::Txn),
            Request::LeaseGrant(request) => {
                self.leases.grant(request.id, request.ttl_s)?;
                Ok(Response::LeaseGrant(LeaseGrantResponse {
                    header: self.header(),
                    id: request.id,
                    ttl_s: request.ttl_s,
                }))
            }
            Request::LeaseRevoke(request) => self.lease_revoke(request).map(Response::LeaseRevoke),
            Request::LeaseCheckpoint(request) => {
                self.leases.checkpoint(request.id, request.remaining_ttl_s);
                Ok(Response::LeaseCheckpoint(LeaseCheckpointResponse {
                    header: self.header(),
                }))
            }
        }
    }

    /// A lease's granted TTL, checkpointed remaining TTL and attached keys, or `None` if no
    /// such lease exists: etcd's `LeaseTimeToLive`, except that the remaining TTL is the
    /// replicated one. Read-only; the leader serves it, with its own deadline for the
    /// remaining time.
    pub fn lease_time_to_live(&self, id: LeaseId) -> Option<LeaseInfo> {
        self.leases.info(id)
    }

    /// Every lease's ID, in order: etcd's `LeaseLeases`.
    pub fn leases(&self) -> Vec<LeaseId> {
        self.leases.ids()
    }

    /// Every lease's granted and remaining TTL, in ID order: what a node sets its expiry
    /// deadlines from after restoring the store, and extends when it becomes leader.
    pub fn lease_ttls(&self) -> Vec<LeaseTtl> {
        self.leases.ttls()
    }

    /// The header of a response that leaves the revision as it is.
    fn header(&self) -> ResponseHeader {
        ResponseHeader {
            revision: self.revision,
        }
    }

    /// Reads without changing anything, e.g. to serve a linearizable read after ReadIndex.
    pub fn range(&self, request: &RangeRequest) -> Result<RangeResponse, KvError> {
        validate::range_keys(&request.range)?;
        let at = read_revision(request.revision, self.revision, self.compacted_revision)?;
        Ok(self.read(request, at, self.header()))
    }

    /// Every change to the keys of the range from the start revision up to the current
    /// revision: etcd's Watch, asked as a query. Read-only, so it is no log entry: the node
    /// serves it like a linearizable range read, and the client asks again from the header
    /// revision + 1 to keep watching (see [`crate::WatchRequest`] for the start revision).
    pub fn watch_events(&self, request: &WatchRequest) -> Result<WatchResponse, KvError> {
        validate::range_keys(&request.range)?;
        let start = watch::start_revision(
            request.start_revision,
            self.revision,
            self.compacted_revision,
        )?;
        let range = &request.range;
        let mut events: Vec<WatchEvent> = self
            .keys
            .range::<str, _>(scan_from(range))
            .take_while(|(key, _)| range.contains(key))
            .flat_map(|(key, history)| history.watch_events(key, start))
            .collect();
        // The keys came in key order; a stable sort keeps that order within each revision.
        events.sort_by_key(WatchEvent::revision);
        Ok(WatchResponse {
            header: self.header(),
            events,
        })
    }

    /// Drops the history older than `revision`, as etcd's compaction: afterwards reads at
    /// revisions below `revision` fail with [`KvError::Compacted`] and reads at `revision` or
    /// later answer as before, as do watches from `revision` on. Fails with `Compacted` if `revision` is not above the current
    /// compacted revision, with `FutureRevision` if it is above the store revision.
    pub fn compact(&mut self, revision: u64) -> Result<(), KvError> {
        if revision <= self.compacted_revision {
            return Err(KvError::Compacted {
                requested: revision,
                compacted: self.compacted_revision,
            });
        }
        if revision > self.revision {
            return Err(KvError::FutureRevision {
                requested: revision,
                current: self.revision,
            });
        }
        self.keys.retain(|_, history| {
            history.compact(revision);
            !history.is_empty()
        });
        self.compacted_revision = revision;
        Ok(())
    }

    /// The keys of `request` as they were at revision `at`, under `header`.
    fn read(&self, request: &RangeRequest, at: u64, header: ResponseHeader) -> RangeResponse {
        let range = &request.range;
        let limit = request
            .limit
            .filter(|&limit| limit > 0)
            .unwrap_or(usize::MAX);
        let mut kvs = Vec::new();
        let mut count = 0;
        let matching = self
            .keys
            .range::<str, _>(scan_from(range))
            .take_while(|(key, _)| range.contains(key))
            .filter_map(|(key, history)| history.at(key, at));
        for kv in matching {
            count += 1;
            if kvs.len() < limit {
                kvs.push(kv);
            }
        }
        RangeResponse {
            header,
            more: kvs.len() < count,
            kvs,
            count,
        }
    }

    /// The key as it is now, or `None` if it does not exist.
    fn latest(&self, key: &str) -> Option<KeyValue> {
        self.keys.get(key)?.at(key, self.revision)
    }

    /// Runs a transaction: compares against the current state, then the chosen branch's
    /// operations in order, all writes at one new revision, all or nothing.
    fn txn(&mut self, request: &TxnRequest) -> Result<TxnResponse, KvError> {
        validate::txn_keys(request)?;
        let succeeded = request
            .compare
            .iter()
            .all(|compare| compare.holds(self.latest(&compare.key).as_ref()));
        let branch = if succeeded {
            &request.success
        } else {
            &request.failure
        };
        validate::branch_writes_each_key_once(branch)?;
        // As etcd, every lease the branch's puts name is checked before anything is written.
        for op in branch {
            if let RequestOp::Put(put) = op {
                self.leases.require(put.lease)?;
            }
        }
        let mut batch = Batch::new(self);
        let outcome: Result<Vec<ResponseOp>, KvError> =
            branch.iter().map(|op| batch.apply(op)).collect();
        let mut responses = match outcome {
            Ok(responses) => responses,
            Err(error) => {
                batch.roll_back();
                return Err(error);
            }
        };
        let revision = batch.commit();
        for response in &mut responses {
            response.header_mut().revision = revision;
        }
        Ok(TxnResponse {
            header: ResponseHeader { revision },
            succeeded,
            responses,
        })
    }

    /// Deletes every key attached to the lease, all at one new revision (none if no key is
    /// attached), then forgets the lease. The keys' past versions keep naming it.
    fn lease_revoke(
        &mut self,
        request: &LeaseRevokeRequest,
    ) -> Result<LeaseRevokeResponse, KvError> {
        let attached: Vec<String> = self.leases.keys(request.id)?.iter().cloned().collect();
        let mut batch = Batch::new(self);
        for key in attached {
            batch.delete_range(&DeleteRangeRequest {
                range: KeyRange::Key(key),
                prev_kv: false,
            });
        }
        let revision = batch.commit();
        self.leases.remove(request.id);
        Ok(LeaseRevokeResponse {
            header: ResponseHeader { revision },
        })
    }
}

/// The header revision of a response whose request has not finished yet; [`Batch::commit`]
/// gives the real one, which the caller stamps over it.
const UNSTAMPED: ResponseHeader = ResponseHeader { revision: 0 };

/// Writes in progress, all at the revision after the store's. Reads through the batch see
/// them; [`Batch::commit`] makes them the store's new revision (if there are any) and
/// [`Batch::roll_back`] erases them.
struct Batch<'s> {
    store: &'s mut Store,
    /// The keys written so far; each at most once (requests are validated beforehand).
    written: Vec<String>,
}

impl<'s> Batch<'s> {
    fn new(store: &'s mut Store) -> Batch<'s> {
        Batch {
            store,
            written: Vec::new(),
        }
    }

    /// The revision the batch's writes get.
    fn write_revision(&self) -> u64 {
        self.store.revision + 1
    }

    /// The latest revision a read sees: the write revision once the batch wrote something.
    fn visible_revision(&self) -> u64 {
        if self.written.is_empty() {
            self.store.revision
        } else {
            self.write_revision()
        }
    }

    /// Runs one transaction operation.
    fn apply(&mut self, op: &RequestOp) -> Result<ResponseOp, KvError> {
        Ok(match op {
            RequestOp::Range(request) => ResponseOp::Range(self.range(request)?),
            RequestOp::Put(request) => ResponseOp::Put(self.put(request)),
            RequestOp::DeleteRange(request) => ResponseOp::DeleteRange(self.delete_range(request)),
        })
    }

    /// Reads, seeing the batch's writes when reading the latest (or the write) revision.
    fn range(&self, request: &RangeRequest) -> Result<RangeResponse, KvError> {
        let at = read_revision(
            request.revision,
            self.visible_revision(),
            self.store.compacted_revision,
        )?;
        Ok(self.store.read(request, at, UNSTAMPED))
    }

    /// Puts one key (whose name is not empty).
    fn put(&mut self, request: &PutRequest) -> PutResponse {
        let revision = self.write_revision();
        let history = self.store.keys.entry(request.key.clone()).or_default();
        let prev_kv = if request.prev_kv {
            history.at(&request.key, revision)
        } else {
            None
        };
        history.put(revision, request.value.clone(), request.lease);
        self.written.push(request.key.clone());
        PutResponse {
            header: UNSTAMPED,
            prev_kv,
        }
    }

    /// Deletes every existing key of the range (which names no empty key).
    fn delete_range(&mut self, request: &DeleteRangeRequest) -> DeleteRangeResponse {
        let revision = self.write_revision();
        let range = &request.range;
        let mut deleted = 0;
        let mut prev_kvs = Vec::new();
        let matching = self
            .store
            .keys
            .range_mut::<str, _>(scan_from(range))
            .take_while(|(key, _)| range.contains(key));
        for (key, history) in matching {
            let previous = if request.prev_kv {
                history.at(key, revision)
            } else {
                None
            };
            if history.delete(revision) {
                deleted += 1;
                prev_kvs.extend(previous);
                self.written.push(key.clone());
            }
        }
        DeleteRangeResponse {
            header: UNSTAMPED,
            deleted,
            prev_kvs,
        }
    }

    /// Makes the writes the store's new revision (if there were any) and returns the store
    /// revision afterwards. Only now do written keys move between leases, so a rolled back
    /// batch never touched the lease table.
    fn commit(self) -> u64 {
        if !self.written.is_empty() {
            let (committed, revision) = (self.store.revision, self.write_revision());
            for key in &self.written {
                let history = &self.store.keys[key];
                let (before, after) = (history.lease_at(committed), history.lease_at(revision));
                if before != after {
                    self.store.leases.reattach(key, before, after);
                }
            }
            self.store.revision = revision;
        }
        self.store.revision
    }

    /// Erases the writes, leaving the store as it was before the batch.
    fn roll_back(self) {
        let committed = self.store.revision;
        for key in self.written {
            if let Entry::Occupied(mut entry) = self.store.keys.entry(key) {
                entry.get_mut().truncate_after(committed);
                if entry.get().is_empty() {
                    entry.remove();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{Compare, CompareResult, CompareTarget};

    fn kv(key: &str, value: &str, create: u64, modified: u64, version: u64) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.into(),
            create_revision: create,
            mod_revision: modified,
            version,
            lease: None,
        }
    }

    fn put_op(key: &str, value: &str) -> RequestOp {
        RequestOp::Put(PutRequest {
            key: key.into(),
            value: value.into(),
            prev_kv: true,
            lease: None,
        })
    }

    fn delete_op(range: KeyRange) -> RequestOp {
        RequestOp::DeleteRange(DeleteRangeRequest {
            range,
            prev_kv: true,
        })
    }

    fn range_op(range: KeyRange, revision: Option<u64>) -> RequestOp {
        RequestOp::Range(RangeRequest {
            range,
            revision,
            limit: None,
        })
    }

    fn key(key: &str) -> KeyRange {
        KeyRange::Key(key.into())
    }

    fn prefix(prefix: &str) -> KeyRange {
        KeyRange::Prefix(prefix.into())
    }

    fn interval(start: &str, end: &str) -> KeyRange {
        KeyRange::Interval {
            start: start.into(),
            end: end.into(),
        }
    }

    fn put(store: &mut Store, key: &str, value: &str) -> PutResponse {
        let request = Request::Put(PutRequest {
            key: key.into(),
            value: value.into(),
            prev_kv: true,
            lease: None,
        });
        match store.execute(&request) {
            Ok(Response::Put(response)) => response,
            other => panic!("put {key}: {other:?}"),
        }
    }

    fn delete(store: &mut Store, range: KeyRange) -> DeleteRangeResponse {
        let request = Request::DeleteRange(DeleteRangeRequest {
            range,
            prev_kv: true,
        });
        match store.execute(&request) {
            Ok(Response::DeleteRange(response)) => response,
            other => panic!("delete: {other:?}"),
        }
    }

    fn txn(store: &mut Store, request: TxnRequest) -> Result<TxnResponse, KvError> {
        store
            .execute(&Request::Txn(request))
            .map(|response| match response {
                Response::Txn(response) => response,
                other => panic!("txn answered {other:?}"),
            })
    }

    fn read(
        store: &Store,
        range: KeyRange,
        revision: Option<u64>,
        limit: Option<usize>,
    ) -> Result<RangeResponse, KvError> {
        store.range(&RangeRequest {
            range,
            revision,
            limit,
        })
    }

    /// The key at `revision` (`None`: latest), or `None` if it did not exist.
    fn get(store: &Store, name: &str, revision: Option<u64>) -> Option<KeyValue> {
        let response = read(store, key(name), revision, None).expect("readable revision");
        assert!(response.kvs.len() <= 1);
        response.kvs.into_iter().next()
    }

    fn values(response: &RangeResponse) -> Vec<(&str, &str)> {
        response
            .kvs
            .iter()
            .map(|kv| (kv.key.as_str(), kv.value.as_str()))
            .collect()
    }

    fn compare(key: &str, target: CompareTarget, result: CompareResult) -> Compare {
        Compare {
            key: key.into(),
            target,
            result,
        }
    }

    #[test]
    fn a_new_store_is_empty_at_revision_one() {
        let store = Store::new();
        assert_eq!(store.revision(), 1);
        assert_eq!(store.compacted_revision(), 0);
        assert_eq!(Store::default(), store);
        let all = read(&store, prefix(""), None, None).unwrap();
        assert_eq!(all.kvs, vec![]);
        assert_eq!(all.header.revision, 1);
    }

    #[test]
    fn each_put_takes_the_next_revision_and_bumps_the_version() {
        let mut store = Store::new();
        let first = put(&mut store, "a", "1");
        assert_eq!(first.header.revision, 2);
        assert_eq!(first.prev_kv, None);
        assert_eq!(get(&store, "a", None), Some(kv("a", "1", 2, 2, 1)));

        put(&mut store, "b", "x");
        let second = put(&mut store, "a", "2");
        assert_eq!(second.header.revision, 4);
        assert_eq!(second.prev_kv, Some(kv("a", "1", 2, 2, 1)));
        assert_eq!(get(&store, "a", None), Some(kv("a", "2", 2, 4, 2)));
        assert_eq!(get(&store, "b", None), Some(kv("b", "x", 3, 3, 1)));
        assert_eq!(store.revision(), 4);
    }

    #[test]
    fn put_returns_the_previous_value_only_when_asked() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        let request = Request::Put(PutRequest {
            key: "a".into(),
            value: "2".into(),
            prev_kv: false,
            lease: None,
        });
        let response = store.execute(&request).unwrap();
        assert_eq!(
            response,
            Response::Put(PutResponse {
                header: ResponseHeader { revision: 3 },
                prev_kv: None,
            })
        );
    }

    #[test]
    fn a_key_put_after_its_deletion_is_a_new_creation() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        put(&mut store, "a", "2");
        let deleted = delete(&mut store, key("a"));
        assert_eq!(deleted.deleted, 1);
        assert_eq!(deleted.header.revision, 4);
        assert_eq!(deleted.prev_kvs, vec![kv("a", "2", 2, 3, 2)]);
        assert_eq!(get(&store, "a", None), None);

        let recreated = put(&mut store, "a", "3");
        assert_eq!(recreated.prev_kv, None);
        assert_eq!(get(&store, "a", None), Some(kv("a", "3", 5, 5, 1)));
    }

    #[test]
    fn deleting_nothing_leaves_the_revision() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        let before = store.clone();
        let response = delete(&mut store, key("b"));
        assert_eq!(response.deleted, 0);
        assert_eq!(response.prev_kvs, vec![]);
        assert_eq!(response.header.revision, 2);
        delete(&mut store, key("a"));
        let again = delete(&mut store, key("a"));
        assert_eq!(again.deleted, 0);
        assert_eq!(again.header.revision, 3);
        assert_eq!(store.revision(), 3);
        assert_ne!(store, before);
    }

    #[test]
    fn one_delete_of_many_keys_shares_one_revision() {
        let mut store = Store::new();
        for name in ["a", "ab", "abc", "b"] {
            put(&mut store, name, name);
        }
        let response = delete(&mut store, prefix("ab"));
        assert_eq!(response.deleted, 2);
        assert_eq!(response.header.revision, 6);
        assert_eq!(
            response.prev_kvs,
            vec![kv("ab", "ab", 3, 3, 1), kv("abc", "abc", 4, 4, 1)]
        );
        let left = read(&store, prefix(""), None, None).unwrap();
        assert_eq!(values(&left), vec![("a", "a"), ("b", "b")]);
        // Both deletions happened at 6: at 5 both keys existed.
        let before = read(&store, prefix("ab"), Some(5), None).unwrap();
        assert_eq!(before.count, 2);
    }

    #[test]
    fn delete_without_prev_kv_returns_no_keys() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        let request = Request::DeleteRange(DeleteRangeRequest {
            range: key("a"),
            prev_kv: false,
        });
        let Response::DeleteRange(response) = store.execute(&request).unwrap() else {
            panic!("not a delete response");
        };
        assert_eq!(response.deleted, 1);
        assert_eq!(response.prev_kvs, vec![]);
    }

    #[test]
    fn prefix_and_interval_ranges_select_the_right_keys() {
        let mut store = Store::new();
        for name in ["a", "ab", "abc", "b", "ba", "c"] {
            put(&mut store, name, "v");
        }
        let keys = |range| {
            read(&store, range, None, None)
                .unwrap()
                .kvs
                .into_iter()
                .map(|kv| kv.key)
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(key("ab")), ["ab"]);
        assert_eq!(keys(key("zz")), Vec::<String>::new());
        assert_eq!(keys(prefix("ab")), ["ab", "abc"]);
        assert_eq!(keys(prefix("b")), ["b", "ba"]);
        assert_eq!(keys(prefix("")), ["a", "ab", "abc", "b", "ba", "c"]);
        assert_eq!(keys(interval("ab", "b")), ["ab", "abc"]);
        assert_eq!(keys(interval("aa", "ba")), ["ab", "abc", "b"]);
        assert_eq!(keys(interval("b", "zz")), ["b", "ba", "c"]);
        assert_eq!(keys(interval("c", "b")), Vec::<String>::new());
        assert_eq!(keys(interval("b", "b")), Vec::<String>::new());
    }

    #[test]
    fn limit_cuts_kvs_but_not_count() {
        let mut store = Store::new();
        for name in ["a", "b", "c"] {
            put(&mut store, name, "v");
        }
        let limited = read(&store, prefix(""), None, Some(2)).unwrap();
        assert_eq!(values(&limited), vec![("a", "v"), ("b", "v")]);
        assert_eq!(limited.count, 3);
        assert!(limited.more);

        let exact = read(&store, prefix(""), None, Some(3)).unwrap();
        assert_eq!(exact.kvs.len(), 3);
        assert_eq!(exact.count, 3);
        assert!(!exact.more);

        for unlimited in [None, Some(0)] {
            let all = read(&store, prefix(""), None, unlimited).unwrap();
            assert_eq!(all.kvs.len(), 3);
            assert!(!all.more);
        }
        // count and limit apply to the keys that existed at the read revision
        let past = read(&store, prefix(""), Some(3), Some(1)).unwrap();
        assert_eq!(values(&past), vec![("a", "v")]);
        assert_eq!(past.count, 2);
        assert!(past.more);
    }

    #[test]
    fn past_reads_see_each_revision_including_recreation() {
        let mut store = Store::new();
        put(&mut store, "a", "1"); // 2
        put(&mut store, "b", "x"); // 3
        put(&mut store, "a", "2"); // 4
        delete(&mut store, key("a")); // 5
        put(&mut store, "a", "3"); // 6
        delete(&mut store, prefix("")); // 7

        assert_eq!(get(&store, "a", Some(1)), None);
        assert_eq!(get(&store, "a", Some(2)), Some(kv("a", "1", 2, 2, 1)));
        assert_eq!(get(&store, "a", Some(3)), Some(kv("a", "1", 2, 2, 1)));
        assert_eq!(get(&store, "a", Some(4)), Some(kv("a", "2", 2, 4, 2)));
        assert_eq!(get(&store, "a", Some(5)), None);
        assert_eq!(get(&store, "a", Some(6)), Some(kv("a", "3", 6, 6, 1)));
        assert_eq!(get(&store, "a", Some(7)), None);
        assert_eq!(get(&store, "b", Some(2)), None);
        assert_eq!(get(&store, "b", Some(6)), Some(kv("b", "x", 3, 3, 1)));
        assert_eq!(get(&store, "b", Some(7)), None);

        let at_four = read(&store, prefix(""), Some(4), None).unwrap();
        assert_eq!(values(&at_four), vec![("a", "2"), ("b", "x")]);
        assert_eq!(
            at_four.header.revision, 7,
            "the header tells the current revision"
        );
    }

    #[test]
    fn reads_beyond_the_current_revision_fail_and_zero_means_latest() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        assert_eq!(
            read(&store, key("a"), Some(3), None),
            Err(KvError::FutureRevision {
                requested: 3,
                current: 2
            })
        );
        assert_eq!(get(&store, "a", Some(0)), Some(kv("a", "1", 2, 2, 1)));
        assert_eq!(
            store.execute(&Request::Range(RangeRequest {
                range: key("a"),
                revision: Some(9),
                limit: None,
            })),
            Err(KvError::FutureRevision {
                requested: 9,
                current: 2
            })
        );
    }

    #[test]
    fn execute_range_equals_range_and_changes_nothing() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        let before = store.clone();
        let request = RangeRequest {
            range: prefix(""),
            revision: None,
            limit: None,
        };
        let direct = store.range(&request).unwrap();
        assert_eq!(
            store.execute(&Request::Range(request)),
            Ok(Response::Range(direct))
        );
        assert_eq!(store, before);
    }

    #[test]
    fn empty_keys_are_refused_and_change_nothing() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        let before = store.clone();
        let refused = [
            Request::Put(PutRequest {
                key: String::new(),
                value: "v".into(),
                prev_kv: false,
                lease: None,
            }),
            Request::DeleteRange(DeleteRangeRequest {
                range: key(""),
                prev_kv: false,
            }),
            Request::Range(RangeRequest {
                range: interval("", "b"),
                revision: None,
                limit: None,
            }),
            Request::Txn(TxnRequest {
                compare: vec![],
                success: vec![put_op("b", "1"), put_op("", "2")],
                failure: vec![],
            }),
            Request::Txn(TxnRequest {
                compare: vec![compare("", CompareTarget::Version(0), CompareResult::Equal)],
                success: vec![put_op("b", "1")],
                failure: vec![],
            }),
        ];
        for request in &refused {
            assert_eq!(
                store.execute(request),
                Err(KvError::EmptyKey),
                "{request:?}"
            );
            assert_eq!(store, before);
        }
    }

    #[test]
    fn a_txn_writes_everything_at_one_revision() {
        let mut store = Store::new();
        put(&mut store, "a", "1"); // 2
        put(&mut store, "c", "1"); // 3
        let response = txn(
            &mut store,
            TxnRequest {
                compare: vec![],
                success: vec![put_op("a", "2"), put_op("b", "1"), delete_op(key("c"))],
                failure: vec![],
            },
        )
        .unwrap();
        assert!(response.succeeded);
        assert_eq!(response.header.revision, 4);
        assert_eq!(store.revision(), 4);
        assert_eq!(get(&store, "a", None), Some(kv("a", "2", 2, 4, 2)));
        assert_eq!(get(&store, "b", None), Some(kv("b", "1", 4, 4, 1)));
        assert_eq!(get(&store, "c", None), None);
        assert_eq!(
            response.responses,
            vec![
                ResponseOp::Put(PutResponse {
                    header: ResponseHeader { revision: 4 },
                    prev_kv: Some(kv("a", "1", 2, 2, 1)),
                }),
                ResponseOp::Put(PutResponse {
                    header: ResponseHeader { revision: 4 },
                    prev_kv: None,
                }),
                ResponseOp::DeleteRange(DeleteRangeResponse {
                    header: ResponseHeader { revision: 4 },
                    deleted: 1,
                    prev_kvs: vec![kv("c", "1", 3, 3, 1)],
                }),
            ]
        );
    }

    #[test]
    fn a_txn_that_writes_nothing_leaves_the_revision() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        let before = store.clone();
        let response = txn(
            &mut store,
            TxnRequest {
                compare: vec![],
                success: vec![range_op(key("a"), None), delete_op(key("missing"))],
                failure: vec![],
            },
        )
        .unwrap();
        assert_eq!(response.header.revision, 2);
        assert_eq!(store, before);
        let empty = txn(
            &mut store,
            TxnRequest {
                compare: vec![],
                success: vec![],
                failure: vec![],
            },
        )
        .unwrap();
        assert_eq!(empty.header.revision, 2);
        assert_eq!(empty.responses, vec![]);
        assert_eq!(store, before);
    }

    #[test]
    fn reads_in_a_txn_see_its_earlier_writes() {
        let mut store = Store::new();
        put(&mut store, "a", "1"); // 2
        put(&mut store, "b", "1"); // 3
        let response = txn(
            &mut store,
            TxnRequest {
                compare: vec![],
                success: vec![
                    range_op(prefix(""), None),
                    put_op("a", "2"),
                    range_op(prefix(""), None),
                    delete_op(key("b")),
                    range_op(prefix(""), None),
                    range_op(prefix(""), Some(4)),
                    range_op(prefix(""), Some(3)),
                ],
                failure: vec![],
            },
        )
        .unwrap();
        let reads: Vec<Vec<KeyValue>> = response
            .responses
            .iter()
            .filter_map(|op| match op {
                ResponseOp::Range(range) => Some(range.kvs.clone()),
                _ => None,
            })
            .collect();
        let old_a = kv("a", "1", 2, 2, 1);
        let new_a = kv("a", "2", 2, 4, 2);
        let b = kv("b", "1", 3, 3, 1);
        assert_eq!(
            reads,
            vec![
                vec![old_a.clone(), b.clone()],
                vec![new_a.clone(), b.clone()],
                vec![new_a.clone()],
                vec![new_a],
                vec![old_a, b],
            ]
        );
        for op in &response.responses {
            let mut op = op.clone();
            assert_eq!(op.header_mut().revision, 4);
        }
    }

    #[test]
    fn a_txn_read_of_the_write_revision_before_any_write_is_a_future_read() {
        let mut store = Store::new();
        put(&mut store, "a", "1"); // 2
        let before = store.clone();
        let request = TxnRequest {
            compare: vec![],
            success: vec![put_op("b", "1"), range_op(key("b"), Some(4))],
            failure: vec![],
        };
        // After the put, revision 3 is readable but 4 is not; the put is rolled back.
        assert_eq!(
            txn(&mut store, request),
            Err(KvError::FutureRevision {
                requested: 4,
                current: 3
            })
        );
        assert_eq!(store, before);

        let early = TxnRequest {
            compare: vec![],
            success: vec![range_op(key("b"), Some(3)), put_op("b", "1")],
            failure: vec![],
        };
        assert_eq!(
            txn(&mut store, early),
            Err(KvError::FutureRevision {
                requested: 3,
                current: 2
            })
        );
        assert_eq!(store, before);
    }

    #[test]
    fn a_failing_txn_read_rolls_back_puts_and_deletes() {
        let mut store = Store::new();
        put(&mut store, "a", "1"); // 2
        put(&mut store, "b", "1"); // 3
        put(&mut store, "b", "2"); // 4
        store.compact(4).unwrap();
        let before = store.clone();
        let request = TxnRequest {
            compare: vec![],
            success: vec![
                put_op("a", "2"),
                put_op("new", "1"),
                delete_op(key("b")),
                range_op(key("a"), Some(3)),
            ],
            failure: vec![],
        };
        assert_eq!(
            txn(&mut store, request),
            Err(KvError::Compacted {
                requested: 3,
                compacted: 4
            })
        );
        assert_eq!(store, before);
    }

    #[test]
    fn a_duplicate_key_in_the_chosen_branch_is_refused_and_changes_nothing() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        let before = store.clone();
        let cases = [
            vec![put_op("a", "2"), put_op("a", "3")],
            vec![put_op("b", "2"), delete_op(key("b"))],
            vec![delete_op(prefix("")), put_op("b", "2")],
            vec![delete_op(prefix("a")), delete_op(key("a"))],
        ];
        for success in cases {
            let result = txn(
                &mut store,
                TxnRequest {
                    compare: vec![],
                    success: success.clone(),
                    failure: vec![],
                },
            );
            assert!(
                matches!(result, Err(KvError::DuplicateKeyInTxn { .. })),
                "{success:?} gave {result:?}"
            );
            assert_eq!(store, before);
        }
    }

    #[test]
    fn a_duplicate_key_in_the_branch_not_taken_is_harmless() {
        let mut store = Store::new();
        let response = txn(
            &mut store,
            TxnRequest {
                compare: vec![compare(
                    "a",
                    CompareTarget::Version(0),
                    CompareResult::Equal,
                )],
                success: vec![put_op("a", "1")],
                failure: vec![put_op("a", "2"), put_op("a", "3")],
            },
        )
        .unwrap();
        assert!(response.succeeded);
        assert_eq!(get(&store, "a", None), Some(kv("a", "1", 2, 2, 1)));

        let refused = txn(
            &mut store,
            TxnRequest {
                compare: vec![compare(
                    "a",
                    CompareTarget::Version(0),
                    CompareResult::Equal,
                )],
                success: vec![put_op("a", "1")],
                failure: vec![put_op("a", "2"), put_op("a", "3")],
            },
        );
        assert_eq!(refused, Err(KvError::DuplicateKeyInTxn { key: "a".into() }));
    }

    /// Runs a txn whose branches each put a marker key, and reports which branch ran.
    fn branch_taken(store: &mut Store, compares: Vec<Compare>) -> bool {
        let before = store.clone();
        let response = txn(
            store,
            TxnRequest {
                compare: compares,
                success: vec![put_op("yes", "1")],
                failure: vec![put_op("no", "1")],
            },
        )
        .unwrap();
        let marker = if response.succeeded { "yes" } else { "no" };
        assert!(get(store, marker, None).is_some());
        *store = before;
        response.succeeded
    }

    #[test]
    fn compares_choose_the_branch_against_the_current_state() {
        let mut store = Store::new();
        put(&mut store, "k", "m"); // 2
        put(&mut store, "other", "x"); // 3
        put(&mut store, "k", "n"); // 4: k is value "n", create 2, mod 4, version 2
        use CompareResult::{Equal, Greater, Less, NotEqual};
        use CompareTarget::{CreateRevision, ModRevision, Value, Version};
        let cases: Vec<(CompareTarget, CompareResult, bool)> = vec![
            (Value("n".into()), Equal, true),
            (Value("m".into()), Equal, false),
            (Value("m".into()), NotEqual, true),
            (Value("o".into()), Less, true),
            (Value("m".into()), Less, false),
            (Value("m".into()), Greater, true),
            (Value("o".into()), Greater, false),
            (Version(2), Equal, true),
            (Version(1), NotEqual, true),
            (Version(3), Less, true),
            (Version(1), Greater, true),
            (Version(2), Greater, false),
            (CreateRevision(2), Equal, true),
            (CreateRevision(4), Equal, false),
            (CreateRevision(3), Less, true),
            (CreateRevision(1), Greater, true),
            (ModRevision(4), Equal, true),
            (ModRevision(2), Equal, false),
            (ModRevision(4), NotEqual, false),
            (ModRevision(5), Less, true),
            (ModRevision(3), Greater, true),
        ];
        for (target, result, expected) in cases {
            let holds = branch_taken(&mut store, vec![compare("k", target.clone(), result)]);
            assert_eq!(holds, expected, "{target:?} {result:?}");
        }
    }

    #[test]
    fn compares_on_a_missing_key() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        delete(&mut store, key("a")); // "a" is missing again
        use CompareResult::{Equal, Greater, Less, NotEqual};
        use CompareTarget::{CreateRevision, ModRevision, Value, Version};
        for name in ["a", "never"] {
            for result in [Equal, NotEqual, Less, Greater] {
                let value = compare(name, Value(String::new()), result);
                assert!(!branch_taken(&mut store, vec![value]), "{name} {result:?}");
            }
            for target in [Version(0), CreateRevision(0), ModRevision(0)] {
                let at_zero = compare(name, target.clone(), Equal);
                assert!(branch_taken(&mut store, vec![at_zero]), "{target:?}");
            }
            let below_one = compare(name, ModRevision(1), Less);
            assert!(branch_taken(&mut store, vec![below_one]));
            let above_zero = compare(name, Version(0), Greater);
            assert!(!branch_taken(&mut store, vec![above_zero]));
        }
    }

    #[test]
    fn every_compare_must_hold() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        let holds = compare("a", CompareTarget::Value("1".into()), CompareResult::Equal);
        let fails = compare("a", CompareTarget::Version(5), CompareResult::Equal);
        assert!(branch_taken(&mut store, vec![holds.clone(), holds.clone()]));
        assert!(!branch_taken(
            &mut store,
            vec![holds.clone(), fails.clone()]
        ));
        assert!(!branch_taken(&mut store, vec![fails, holds]));
        assert!(branch_taken(&mut store, vec![]));
    }

    #[test]
    fn the_failure_branch_runs_and_reports_succeeded_false() {
        let mut store = Store::new();
        put(&mut store, "a", "1"); // 2
        let response = txn(
            &mut store,
            TxnRequest {
                compare: vec![compare(
                    "a",
                    CompareTarget::ModRevision(9),
                    CompareResult::Equal,
                )],
                success: vec![put_op("a", "won")],
                failure: vec![range_op(key("a"), None)],
            },
        )
        .unwrap();
        assert!(!response.succeeded);
        assert_eq!(response.header.revision, 2);
        assert_eq!(
            response.responses,
            vec![ResponseOp::Range(RangeResponse {
                header: ResponseHeader { revision: 2 },
                kvs: vec![kv("a", "1", 2, 2, 1)],
                count: 1,
                more: false,
            })]
        );
    }

    #[test]
    fn compaction_refuses_old_and_future_revisions() {
        let mut store = Store::new();
        put(&mut store, "a", "1"); // 2
        put(&mut store, "a", "2"); // 3
        assert_eq!(
            store.compact(0),
            Err(KvError::Compacted {
                requested: 0,
                compacted: 0
            })
        );
        assert_eq!(
            store.compact(4),
            Err(KvError::FutureRevision {
                requested: 4,
                current: 3
            })
        );
        assert_eq!(store.compact(2), Ok(()));
        assert_eq!(store.compacted_revision(), 2);
        for again in [1, 2] {
            assert_eq!(
                store.compact(again),
                Err(KvError::Compacted {
                    requested: again,
                    compacted: 2
                })
            );
        }
        assert_eq!(
            store.compact(3),
            Ok(()),
            "compacting to the current revision"
        );
        assert_eq!(store.compacted_revision(), 3);
        assert_eq!(store.revision(), 3, "compaction is not a write");
    }

    #[test]
    fn compaction_keeps_reads_at_and_after_its_revision() {
        let mut store = Store::new();
        put(&mut store, "a", "1"); // 2
        put(&mut store, "b", "1"); // 3
        put(&mut store, "a", "2"); // 4
        delete(&mut store, key("b")); // 5
        put(&mut store, "a", "3"); // 6
        let expected: Vec<RangeResponse> = (4..=6)
            .map(|at| read(&store, prefix(""), Some(at), None).unwrap())
            .collect();
        store.compact(4).unwrap();
        for at in 1..4 {
            assert_eq!(
                read(&store, prefix(""), Some(at), None),
                Err(KvError::Compacted {
                    requested: at,
                    compacted: 4
                })
            );
        }
        let after: Vec<RangeResponse> = (4..=6)
            .map(|at| read(&store, prefix(""), Some(at), None).unwrap())
            .collect();
        assert_eq!(after, expected);
        // Writes and compares still see the compacted keys' full metadata.
        assert_eq!(
            put(&mut store, "a", "4").prev_kv,
            Some(kv("a", "3", 2, 6, 3))
        );
    }

    #[test]
    fn compaction_frees_history() {
        let mut store = Store::new();
        for round in 0..50 {
            put(&mut store, "kept", &format!("value {round}"));
            put(&mut store, "gone", &format!("value {round}"));
        }
        delete(&mut store, key("gone"));
        // A deletion at the compaction revision stays for watches from it; one before goes.
        put(&mut store, "kept", "value 50");
        let size = |store: &Store| serde_json::to_string(store).unwrap().len();
        let before = size(&store);
        store.compact(store.revision()).unwrap();
        let after = size(&store);
        assert!(after * 10 < before, "{before} bytes became {after}");
        assert_eq!(store.keys.len(), 1, "the deleted key is forgotten");
        assert_eq!(
            get(&store, "kept", None),
            Some(kv("kept", "value 50", 2, 103, 51))
        );

        let json = serde_json::to_string(&store).unwrap();
        assert!(json.contains("value 50"));
        assert!(!json.contains("value 49"), "older values are gone: {json}");
    }

    #[test]
    fn serde_round_trip_preserves_everything() {
        let mut store = Store::new();
        put(&mut store, "a", "1");
        put(&mut store, "b", "1");
        delete(&mut store, key("a"));
        put(&mut store, "a", "2");
        store.compact(3).unwrap();
        let json = serde_json::to_string(&store).unwrap();
        let mut restored: Store = serde_json::from_str(&json).unwrap();
        assert_eq!(restored, store);
        assert_eq!(put(&mut restored, "c", "1"), put(&mut store, "c", "1"));
        assert_eq!(
            read(&restored, prefix(""), Some(3), None),
            read(&store, prefix(""), Some(3), None)
        );
        assert_eq!(restored, store);
    }
}
