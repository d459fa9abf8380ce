//! Random request sequences against a tiny reference model: every response, error and
//! revision of the real store must equal the model's, and a store restored from its
//! serialized snapshot mid-sequence must equal the original and keep answering the same.
//!
//! The model keeps one full snapshot of the key space per revision (no history tricks, no
//! compaction of its own), so reading the past is just indexing. Its leases hold only their
//! TTLs: which keys a lease has is found by scanning the latest snapshot for keys naming it,
//! so the store's own attachment bookkeeping is checked against an independent derivation
//! (every attached key exists and names its lease; every key naming a lease is attached).

use kv::{
    Compare, CompareResult, CompareTarget, DeleteRangeRequest, DeleteRangeResponse, KeyRange,
    KeyValue, KvError, LeaseCheckpointRequest, LeaseCheckpointResponse, LeaseGrantRequest,
    LeaseGrantResponse, LeaseId, LeaseInfo, LeaseRevokeRequest, LeaseRevokeResponse, LeaseTtl,
    PutRequest, PutResponse, RangeRequest, RangeResponse, Request, RequestOp, Response,
    ResponseHeader, ResponseOp, Store, TxnRequest, TxnResponse, MAX_LEASE_TTL_S,
};
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::BTreeMap;

/// A live key in the model: (value, create_revision, mod_revision, version, lease).
type Entry = (String, u64, u64, u64, Option<LeaseId>);
/// The whole key space at one revision.
type Snapshot = BTreeMap<String, Entry>;

/// Keys the generated requests use (the empty key, rarely, to exercise `EmptyKey`).
const KEYS: [&str; 5] = ["a", "ab", "b", "ba", "c"];
const PREFIXES: [&str; 5] = ["", "a", "ab", "b", "c"];
const BOUNDS: [&str; 7] = ["", "a", "ab", "b", "bb", "c", "d"];
/// Lease IDs the generated requests use (0, rarely, to exercise `LeaseIdZero`).
const LEASES: [i64; 4] = [0, 1, 2, 3];

struct Model {
    /// `snapshots[r - 1]` is the key space at revision `r`.
    snapshots: Vec<Snapshot>,
    compacted: u64,
    /// Every granted lease: (granted TTL, remaining TTL).
    leases: BTreeMap<LeaseId, (i64, i64)>,
}

impl Model {
    fn new() -> Model {
        Model {
            snapshots: vec![Snapshot::new()],
            compacted: 0,
            leases: BTreeMap::new(),
        }
    }

    /// The keys naming `id` now, in key order.
    fn attached(&self, id: LeaseId) -> Vec<String> {
        self.latest()
            .iter()
            .filter(|(_, entry)| entry.4 == Some(id))
            .map(|(key, _)| key.clone())
            .collect()
    }

    fn lease_info(&self, id: LeaseId) -> Option<LeaseInfo> {
        let &(granted_ttl_s, remaining_ttl_s) = self.leases.get(&id)?;
        Some(LeaseInfo {
            id,
            granted_ttl_s,
            remaining_ttl_s,
            keys: self.attached(id),
        })
    }

    fn lease_ttls(&self) -> Vec<LeaseTtl> {
        self.leases
            .iter()
            .map(|(&id, &(granted_ttl_s, remaining_ttl_s))| LeaseTtl {
                id,
                granted_ttl_s,
                remaining_ttl_s,
            })
            .collect()
    }

    fn header(&self) -> ResponseHeader {
        ResponseHeader {
            revision: self.revision(),
        }
    }

    fn lease_grant(&mut self, grant: &LeaseGrantRequest) -> Result<Response, KvError> {
        let id = grant.id;
        if id.0 == 0 {
            return Err(KvError::LeaseIdZero);
        }
        if grant.ttl_s < 1 || grant.ttl_s > MAX_LEASE_TTL_S {
            return Err(KvError::LeaseTtlOutOfRange {
                id,
                ttl_s: grant.ttl_s,
            });
        }
        if self.leases.contains_key(&id) {
            return Err(KvError::LeaseExists { id });
        }
        self.leases.insert(id, (grant.ttl_s, grant.ttl_s));
        Ok(Response::LeaseGrant(LeaseGrantResponse {
            header: self.header(),
            id,
            ttl_s: grant.ttl_s,
        }))
    }

    fn lease_revoke(&mut self, revoke: &LeaseRevokeRequest) -> Result<Response, KvError> {
        let id = revoke.id;
        if self.leases.remove(&id).is_none() {
            return Err(KvError::LeaseNotFound { id });
        }
        let doomed = self.attached(id);
        if !doomed.is_empty() {
            let mut next = self.latest().clone();
            for key in &doomed {
                next.remove(key);
            }
            self.snapshots.push(next);
        }
        Ok(Response::LeaseRevoke(LeaseRevokeResponse {
            header: self.header(),
        }))
    }

    fn lease_checkpoint(&mut self, checkpoint: &LeaseCheckpointRequest) -> Response {
        if let Some((granted, remaining)) = self.leases.get_mut(&checkpoint.id) {
            *remaining = if checkpoint.remaining_ttl_s > 0 {
                checkpoint.remaining_ttl_s
            } else {
                *granted
            };
        }
        Response::LeaseCheckpoint(LeaseCheckpointResponse {
            header: self.header(),
        })
    }

    fn revision(&self) -> u64 {
        self.snapshots.len() as u64
    }

    fn snapshot(&self, revision: u64) -> &Snapshot {
        &self.snapshots[revision as usize - 1]
    }

    fn latest(&self) -> &Snapshot {
        self.snapshots.last().unwrap()
    }

    fn execute(&mut self, request: &Request) -> Result<Response, KvError> {
        match request {
            Request::Range(range) => self.range(range).map(Response::Range),
            Request::Put(put) => {
                let op = RequestOp::Put(put.clone());
                let response = self.txn(&single(op))?;
                match response.responses.into_iter().next() {
                    Some(ResponseOp::Put(put)) => Ok(Response::Put(put)),
                    other => unreachable!("{other:?}"),
                }
            }
            Request::DeleteRange(delete) => {
                let op = RequestOp::DeleteRange(delete.clone());
                let response = self.txn(&single(op))?;
                match response.responses.into_iter().next() {
                    Some(ResponseOp::DeleteRange(delete)) => Ok(Response::DeleteRange(delete)),
                    other => unreachable!("{other:?}"),
                }
            }
            Request::Txn(txn) => self.txn(txn).map(Response::Txn),
            Request::LeaseGrant(grant) => self.lease_grant(grant),
            Request::LeaseRevoke(revoke) => self.lease_revoke(revoke),
            Request::LeaseCheckpoint(checkpoint) => Ok(self.lease_checkpoint(checkpoint)),
        }
    }

    fn range(&self, request: &RangeRequest) -> Result<RangeResponse, KvError> {
        check_range(&request.range)?;
        let current = self.revision();
        let at = resolve(request.revision, current, self.compacted)?;
        Ok(read(self.snapshot(at), request, current))
    }

    fn compact(&mut self, revision: u64) -> Result<(), KvError> {
        if revision <= self.compacted {
            return Err(KvError::Compacted {
                requested: revision,
                compacted: self.compacted,
            });
        }
        if revision > self.revision() {
            return Err(KvError::FutureRevision {
                requested: revision,
                current: self.revision(),
            });
        }
        self.compacted = revision;
        Ok(())
    }

    fn txn(&mut self, txn: &TxnRequest) -> Result<TxnResponse, KvError> {
        for compare in &txn.compare {
            if compare.key.is_empty() {
                return Err(KvError::EmptyKey);
            }
        }
        for op in txn.success.iter().chain(&txn.failure) {
            match op {
                RequestOp::Put(put) if put.key.is_empty() => return Err(KvError::EmptyKey),
                RequestOp::Range(RangeRequest { range, .. })
                | RequestOp::DeleteRange(DeleteRangeRequest { range, .. }) => check_range(range)?,
                _ => {}
            }
        }
        let succeeded = txn
            .compare
            .iter()
            .all(|compare| holds(self.latest().get(&compare.key), compare));
        let branch = if succeeded {
            &txn.success
        } else {
            &txn.failure
        };
        check_duplicates(branch)?;
        for op in branch {
            match op {
                RequestOp::Put(PutRequest {
                    lease: Some(id), ..
                }) if !self.leases.contains_key(id) => {
                    return Err(KvError::LeaseNotFound { id: *id })
                }
                _ => {}
            }
        }

        let old = self.revision();
        let new = old + 1;
        let mut working = self.latest().clone();
        let mut wrote = false;
        let mut responses = Vec::new();
        for op in branch {
            responses.push(match op {
                RequestOp::Range(range) => {
                    let visible = if wrote { new } else { old };
                    let at = resolve(range.revision, visible, self.compacted)?;
                    let snapshot = if at == new {
                        &working
                    } else {
                        self.snapshot(at)
                    };
                    ResponseOp::Range(read(snapshot, range, 0))
                }
                RequestOp::Put(put) => {
                    let previous = working.get(&put.key).cloned();
                    let (create, version) = match &previous {
                        Some((_, create, _, version, _)) => (*create, version + 1),
                        None => (new, 1),
                    };
                    let entry = (put.value.clone(), create, new, version, put.lease);
                    working.insert(put.key.clone(), entry);
                    wrote = true;
                    ResponseOp::Put(PutResponse {
                        header: ResponseHeader { revision: 0 },
                        prev_kv: previous
                            .filter(|_| put.prev_kv)
                            .map(|entry| key_value(&put.key, &entry)),
                    })
                }
                RequestOp::DeleteRange(delete) => {
                    let doomed: Vec<String> = working
                        .keys()
                        .filter(|key| in_range(&delete.range, key))
                        .cloned()
                        .collect();
                    let mut prev_kvs = Vec::new();
                    for key in &doomed {
                        let entry = working.remove(key).unwrap();
                        if delete.prev_kv {
                            prev_kvs.push(key_value(key, &entry));
                        }
                    }
                    wrote |= !doomed.is_empty();
                    ResponseOp::DeleteRange(DeleteRangeResponse {
                        header: ResponseHeader { revision: 0 },
                        deleted: doomed.len() as u64,
                        prev_kvs,
                    })
                }
            });
        }
        if wrote {
            self.snapshots.push(working);
        }
        let revision = self.revision();
        for response in &mut responses {
            match response {
                ResponseOp::Range(r) => r.header.revision = revision,
                ResponseOp::Put(r) => r.header.revision = revision,
                ResponseOp::DeleteRange(r) => r.header.revision = revision,
            }
        }
        Ok(TxnResponse {
            header: ResponseHeader { revision },
            succeeded,
            responses,
        })
    }
}

fn single(op: RequestOp) -> TxnRequest {
    TxnRequest {
        compare: vec![],
        success: vec![op],
        failure: vec![],
    }
}

fn check_range(range: &KeyRange) -> Result<(), KvError> {
    match range {
        KeyRange::Key(key) | KeyRange::Interval { start: key, .. } if key.is_empty() => {
            Err(KvError::EmptyKey)
        }
        _ => Ok(()),
    }
}

fn resolve(requested: Option<u64>, current: u64, compacted: u64) -> Result<u64, KvError> {
    match requested {
        None | Some(0) => Ok(current),
        Some(r) if r > current => Err(KvError::FutureRevision {
            requested: r,
            current,
        }),
        Some(r) if r < compacted => Err(KvError::Compacted {
            requested: r,
            compacted,
        }),
        Some(r) => Ok(r),
    }
}

fn in_range(range: &KeyRange, key: &str) -> bool {
    match range {
        KeyRange::Key(k) => k == key,
        KeyRange::Prefix(prefix) => key.starts_with(prefix.as_str()),
        KeyRange::Interval { start, end } => start.as_str() <= key && key < end.as_str(),
    }
}

fn key_value(key: &str, (value, create, modified, version, lease): &Entry) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: value.clone(),
        create_revision: *create,
        mod_revision: *modified,
        version: *version,
        lease: *lease,
    }
}

fn read(snapshot: &Snapshot, request: &RangeRequest, header: u64) -> RangeResponse {
    let all: Vec<KeyValue> = snapshot
        .iter()
        .filter(|(key, _)| in_range(&request.range, key))
        .map(|(key, entry)| key_value(key, entry))
        .collect();
    let count = all.len();
    let kvs: Vec<KeyValue> = match request.limit {
        Some(limit) if limit > 0 => all.into_iter().take(limit).collect(),
        _ => all,
    };
    RangeResponse {
        header: ResponseHeader { revision: header },
        more: kvs.len() < count,
        kvs,
        count,
    }
}

fn holds(entry: Option<&Entry>, compare: &Compare) -> bool {
    use std::cmp::Ordering;
    let ordering: Ordering = match (&compare.target, entry) {
        (CompareTarget::Value(_), None) => return false,
        (CompareTarget::Value(target), Some((value, ..))) => {
            value.as_bytes().cmp(target.as_bytes())
        }
        (CompareTarget::Version(target), _) => entry.map_or(0, |e| e.3).cmp(target),
        (CompareTarget::CreateRevision(target), _) => entry.map_or(0, |e| e.1).cmp(target),
        (CompareTarget::ModRevision(target), _) => entry.map_or(0, |e| e.2).cmp(target),
    };
    match compare.result {
        CompareResult::Equal => ordering.is_eq(),
        CompareResult::NotEqual => ordering.is_ne(),
        CompareResult::Less => ordering.is_lt(),
        CompareResult::Greater => ordering.is_gt(),
    }
}

/// Every string of up to three letters from "abcd": all range bounds used here are shorter,
/// so two ranges overlap iff they share one of these, and the smallest shared one is the
/// least key of their intersection.
fn universe() -> Vec<String> {
    let mut all = vec![String::new()];
    let mut frontier = vec![String::new()];
    for _ in 0..3 {
        frontier = frontier
            .iter()
            .flat_map(|s| ['a', 'b', 'c', 'd'].map(|c| format!("{s}{c}")))
            .collect();
        all.extend(frontier.iter().cloned());
    }
    all.sort();
    all
}

/// The reference rule: overlapping deletes first (pairwise, in order), then each put in order
/// against earlier puts and all deletes.
fn check_duplicates(branch: &[RequestOp]) -> Result<(), KvError> {
    let deletes: Vec<&KeyRange> = branch
        .iter()
        .filter_map(|op| match op {
            RequestOp::DeleteRange(delete) => Some(&delete.range),
            _ => None,
        })
        .collect();
    let universe = universe();
    for i in 0..deletes.len() {
        for j in i + 1..deletes.len() {
            let shared = universe
                .iter()
                .find(|s| in_range(deletes[i], s) && in_range(deletes[j], s));
            if let Some(key) = shared {
                return Err(KvError::DuplicateKeyInTxn { key: key.clone() });
            }
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for op in branch {
        if let RequestOp::Put(put) = op {
            if seen.contains(&put.key.as_str()) || deletes.iter().any(|d| in_range(d, &put.key)) {
                return Err(KvError::DuplicateKeyInTxn {
                    key: put.key.clone(),
                });
            }
            seen.push(&put.key);
        }
    }
    Ok(())
}

/// A revision chosen relative to the store's current one when the step runs: `None` is
/// "latest", `Some(pick)` lands in `0..=current + 2` (0 = latest, past, and future).
type Pick = Option<u16>;

fn pick_revision(pick: Pick, current: u64) -> Option<u64> {
    pick.map(|p| u64::from(p) % (current + 3))
}

#[derive(Clone, Debug)]
enum OpSpec {
    Range(KeyRange, Pick, Option<usize>),
    Put(String, String, bool, Option<LeaseId>),
    Delete(KeyRange, bool),
}

#[derive(Clone, Debug)]
enum Step {
    Op(OpSpec),
    /// Compare-and-swap: if the compare holds put the value, else read the key.
    Cas {
        key: String,
        target: (u8, u16, String),
        result: CompareResult,
        value: String,
    },
    Txn {
        compare: Vec<(String, (u8, u16, String), CompareResult)>,
        success: Vec<OpSpec>,
        failure: Vec<OpSpec>,
    },
    Compact(u16),
    Grant(LeaseId, i64),
    Revoke(LeaseId),
    Checkpoint(LeaseId, i64),
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => select(KEYS.to_vec()).prop_map(String::from),
        1 => Just(String::new()),
    ]
}

fn lease_id() -> impl Strategy<Value = LeaseId> {
    prop_oneof![
        20 => select(LEASES[1..].to_vec()).prop_map(LeaseId),
        1 => Just(LeaseId(LEASES[0])),
    ]
}

/// Mostly no lease, since an unknown lease fails the whole request.
fn put_lease() -> impl Strategy<Value = Option<LeaseId>> {
    prop_oneof![3 => Just(None), 2 => lease_id().prop_map(Some)]
}

fn value() -> impl Strategy<Value = String> {
    select(vec!["x", "y", "z"]).prop_map(String::from)
}

fn key_range() -> impl Strategy<Value = KeyRange> {
    prop_oneof![
        3 => key().prop_map(KeyRange::Key),
        2 => select(PREFIXES.to_vec()).prop_map(|p| KeyRange::Prefix(p.into())),
        2 => (select(BOUNDS.to_vec()), select(BOUNDS.to_vec()))
            .prop_map(|(start, end)| KeyRange::Interval { start: start.into(), end: end.into() }),
    ]
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![Just(None), any::<u16>().prop_map(Some)]
}

fn limit() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![Just(None), (0usize..3).prop_map(Some)]
}

fn op_spec() -> impl Strategy<Value = OpSpec> {
    prop_oneof![
        (key_range(), pick(), limit()).prop_map(|(r, p, l)| OpSpec::Range(r, p, l)),
        (key(), value(), any::<bool>(), put_lease())
            .prop_map(|(k, v, p, l)| OpSpec::Put(k, v, p, l)),
        (key_range(), any::<bool>()).prop_map(|(r, p)| OpSpec::Delete(r, p)),
    ]
}

/// (kind, numeric pick, value): kind 0 = Value, 1 = Version, 2 = CreateRevision, 3 = ModRevision.
fn target() -> impl Strategy<Value = (u8, u16, String)> {
    (0u8..4, any::<u16>(), value())
}

fn compare_result() -> impl Strategy<Value = CompareResult> {
    select(vec![
        CompareResult::Equal,
        CompareResult::NotEqual,
        CompareResult::Less,
        CompareResult::Greater,
    ])
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => op_spec().prop_map(Step::Op),
        4 => (key(), target(), compare_result(), value())
            .prop_map(|(key, target, result, value)| Step::Cas { key, target, result, value }),
        3 => (
            prop::collection::vec((key(), target(), compare_result()), 0..3),
            prop::collection::vec(op_spec(), 0..4),
            prop::collection::vec(op_spec(), 0..4),
        )
            .prop_map(|(compare, success, failure)| Step::Txn { compare, success, failure }),
        1 => any::<u16>().prop_map(Step::Compact),
        3 => (lease_id(), prop_oneof![10 => 1i64..100, 1 => -1i64..=0, 1 => Just(MAX_LEASE_TTL_S + 1)])
            .prop_map(|(id, ttl_s)| Step::Grant(id, ttl_s)),
        2 => lease_id().prop_map(Step::Revoke),
        1 => (lease_id(), -1i64..100).prop_map(|(id, remaining)| Step::Checkpoint(id, remaining)),
    ]
}

fn build_op(spec: &OpSpec, current: u64) -> RequestOp {
    match spec {
        OpSpec::Range(range, pick, limit) => RequestOp::Range(RangeRequest {
            range: range.clone(),
            revision: pick_revision(*pick, current),
            limit: *limit,
        }),
        OpSpec::Put(key, value, prev_kv, lease) => RequestOp::Put(PutRequest {
            key: key.clone(),
            value: value.clone(),
            prev_kv: *prev_kv,
            lease: *lease,
        }),
        OpSpec::Delete(range, prev_kv) => RequestOp::DeleteRange(DeleteRangeRequest {
            range: range.clone(),
            prev_kv: *prev_kv,
        }),
    }
}

fn build_compare(
    key: &str,
    (kind, pick, value): &(u8, u16, String),
    result: CompareResult,
    current: u64,
) -> Compare {
    // Numeric targets land in 0..=current + 1, so equalities hit now and then.
    let number = u64::from(*pick) % (current + 2);
    let target = match kind {
        0 => CompareTarget::Value(value.clone()),
        1 => CompareTarget::Version(number % 4),
        2 => CompareTarget::CreateRevision(number),
        _ => CompareTarget::ModRevision(number),
    };
    Compare {
        key: key.to_owned(),
        target,
        result,
    }
}

/// What a step asks of the store: a request, or a compaction.
enum Action {
    Request(Request),
    Compact(u64),
}

fn build(step: &Step, current: u64) -> Action {
    let request = match step {
        Step::Op(spec) => match build_op(spec, current) {
            RequestOp::Range(range) => Request::Range(range),
            RequestOp::Put(put) => Request::Put(put),
            RequestOp::DeleteRange(delete) => Request::DeleteRange(delete),
        },
        Step::Cas {
            key,
            target,
            result,
            value,
        } => Request::Txn(TxnRequest {
            compare: vec![build_compare(key, target, *result, current)],
            success: vec![build_op(
                &OpSpec::Put(key.clone(), value.clone(), true, None),
                current,
            )],
            failure: vec![build_op(
                &OpSpec::Range(KeyRange::Key(key.clone()), None, None),
                current,
            )],
        }),
        Step::Txn {
            compare,
            success,
            failure,
        } => Request::Txn(TxnRequest {
            compare: compare
                .iter()
                .map(|(key, target, result)| build_compare(key, target, *result, current))
                .collect(),
            success: success.iter().map(|op| build_op(op, current)).collect(),
            failure: failure.iter().map(|op| build_op(op, current)).collect(),
        }),
        Step::Compact(pick) => return Action::Compact(u64::from(*pick) % (current + 2)),
        &Step::Grant(id, ttl_s) => Request::LeaseGrant(LeaseGrantRequest { id, ttl_s }),
        &Step::Revoke(id) => Request::LeaseRevoke(LeaseRevokeRequest { id }),
        &Step::Checkpoint(id, remaining_ttl_s) => {
            Request::LeaseCheckpoint(LeaseCheckpointRequest {
                id,
                remaining_ttl_s,
            })
        }
    };
    Action::Request(request)
}

/// Outcome of one step, comparable across store and model.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Response(Result<Response, KvError>),
    Compact(Result<(), KvError>),
}

fn apply_store(store: &mut Store, action: &Action) -> Outcome {
    match action {
        Action::Request(request) => Outcome::Response(store.execute(request)),
        Action::Compact(revision) => Outcome::Compact(store.compact(*revision)),
    }
}

fn apply_model(model: &mut Model, action: &Action) -> Outcome {
    match action {
        Action::Request(request) => Outcome::Response(model.execute(request)),
        Action::Compact(revision) => Outcome::Compact(model.compact(*revision)),
    }
}

fn round_trip(store: &Store) -> Store {
    let json = serde_json::to_string(store).expect("a store serializes");
    serde_json::from_str(&json).expect("a serialized store deserializes")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn store_matches_the_reference_model(
        steps in prop::collection::vec(step(), 1..40),
        split in any::<prop::sample::Index>(),
    ) {
        let split = split.index(steps.len());
        let mut store = Store::new();
        let mut model = Model::new();
        let mut restored: Option<Store> = None;
        for (index, step) in steps.iter().enumerate() {
            if index == split {
                let copy = round_trip(&store);
                prop_assert_eq!(&copy, &store);
                restored = Some(copy);
            }
            let action = build(step, store.revision());
            let expected = apply_model(&mut model, &action);
            let actual = apply_store(&mut store, &action);
            prop_assert_eq!(&actual, &expected, "step {}: {:?}", index, step);
            prop_assert_eq!(store.revision(), model.revision());
            prop_assert_eq!(store.compacted_revision(), model.compacted);
            prop_assert_eq!(store.lease_ttls(), model.lease_ttls());
            prop_assert_eq!(store.leases(), model.leases.keys().copied().collect::<Vec<_>>());
            for id in LEASES.map(LeaseId) {
                prop_assert_eq!(store.lease_time_to_live(id), model.lease_info(id), "lease {}", id);
            }
            if let Action::Request(Request::Range(range)) = &action {
                // The read-only entry point answers exactly as `execute`.
                prop_assert_eq!(Outcome::Response(store.range(range).map(Response::Range)), actual);
            }
            if let Some(replica) = restored.as_mut() {
                let replayed = apply_store(replica, &action);
                prop_assert_eq!(&replayed, &expected, "restored replica, step {}", index);
                prop_assert_eq!(&*replica, &store);
            }
        }
        prop_assert_eq!(&round_trip(&store), &store);
        // Every uncompacted past revision still reads as the model's snapshot.
        for revision in 1..=model.revision() {
            let request = RangeRequest {
                range: KeyRange::Prefix(String::new()),
                revision: Some(revision),
                limit: None,
            };
            prop_assert_eq!(store.range(&request), model.range(&request));
        }
    }
}
