//! Leases as etcd applies them: grants, keys attached by puts, revokes that delete every
//! attached key in one revision, checkpoints of the remaining TTL, and all of it surviving
//! compaction and a snapshot round trip. (`model.rs` checks random sequences of the same
//! requests against a reference model.)

use kv::{
    CompareResult, CompareTarget, DeleteRangeRequest, KeyRange, KeyValue, KvError,
    LeaseCheckpointRequest, LeaseGrantRequest, LeaseId, LeaseInfo, LeaseRevokeRequest, LeaseTtl,
    PutRequest, RangeRequest, Request, RequestOp, Response, ResponseHeader, Store, TxnRequest,
};

const A: LeaseId = LeaseId(0xa);
const B: LeaseId = LeaseId(0xb);
const UNKNOWN: LeaseId = LeaseId(0x404);

fn put_request(key: &str, value: &str, lease: Option<LeaseId>) -> PutRequest {
    PutRequest {
        key: key.into(),
        value: value.into(),
        prev_kv: true,
        lease,
    }
}

/// Puts and returns the new revision.
fn put(store: &mut Store, key: &str, value: &str, lease: Option<LeaseId>) -> u64 {
    match store.execute(&Request::Put(put_request(key, value, lease))) {
        Ok(Response::Put(response)) => response.header.revision,
        other => panic!("put {key}: {other:?}"),
    }
}

fn grant(store: &mut Store, id: LeaseId, ttl_s: i64) -> Result<Response, KvError> {
    store.execute(&Request::LeaseGrant(LeaseGrantRequest { id, ttl_s }))
}

fn revoke(store: &mut Store, id: LeaseId) -> Result<Response, KvError> {
    store.execute(&Request::LeaseRevoke(LeaseRevokeRequest { id }))
}

fn checkpoint(store: &mut Store, id: LeaseId, remaining_ttl_s: i64) -> Result<Response, KvError> {
    store.execute(&Request::LeaseCheckpoint(LeaseCheckpointRequest {
        id,
        remaining_ttl_s,
    }))
}

/// The header revision of a lease response.
fn revision_of(response: Result<Response, KvError>) -> u64 {
    match response {
        Ok(Response::LeaseGrant(response)) => response.header.revision,
        Ok(Response::LeaseRevoke(response)) => response.header.revision,
        Ok(Response::LeaseCheckpoint(response)) => response.header.revision,
        other => panic!("not a lease response: {other:?}"),
    }
}

fn get(store: &Store, key: &str, revision: Option<u64>) -> Option<KeyValue> {
    let response = store
        .range(&RangeRequest {
            range: KeyRange::Key(key.into()),
            revision,
            limit: None,
        })
        .expect("readable revision");
    response.kvs.into_iter().next()
}

fn keys_of(store: &Store, id: LeaseId) -> Vec<String> {
    store.lease_time_to_live(id).expect("lease exists").keys
}

fn txn(store: &mut Store, success: Vec<RequestOp>) -> Result<Response, KvError> {
    store.execute(&Request::Txn(TxnRequest {
        compare: vec![],
        success,
        failure: vec![],
    }))
}

#[test]
fn a_grant_writes_no_revision_and_is_listed() {
    let mut store = Store::new();
    put(&mut store, "x", "1", None); // 2
    let response = grant(&mut store, A, 10);
    assert_eq!(
        response,
        Ok(Response::LeaseGrant(kv::LeaseGrantResponse {
            header: ResponseHeader { revision: 2 },
            id: A,
            ttl_s: 10,
        }))
    );
    assert_eq!(store.revision(), 2);
    grant(&mut store, B, 3600).unwrap();
    assert_eq!(store.leases(), vec![A, B]);
    assert_eq!(
        store.lease_time_to_live(A),
        Some(LeaseInfo {
            id: A,
            granted_ttl_s: 10,
            remaining_ttl_s: 10,
            keys: vec![],
        })
    );
    assert_eq!(store.lease_time_to_live(UNKNOWN), None);
}

#[test]
fn grant_refuses_id_zero_a_used_id_and_a_ttl_below_one_second() {
    let mut store = Store::new();
    grant(&mut store, A, 10).unwrap();
    let before = store.clone();
    assert_eq!(grant(&mut store, LeaseId(0), 10), Err(KvError::LeaseIdZero));
    assert_eq!(grant(&mut store, A, 5), Err(KvError::LeaseExists { id: A }));
    for ttl_s in [0, -5] {
        assert_eq!(
            grant(&mut store, B, ttl_s),
            Err(KvError::LeaseTtlOutOfRange { id: B, ttl_s })
        );
    }
    assert_eq!(store, before);
    assert_eq!(keys_of(&store, A), Vec::<String>::new());
}

#[test]
fn revoke_deletes_every_attached_key_in_one_revision_and_the_past_keeps_them() {
    let mut store = Store::new();
    grant(&mut store, A, 10).unwrap();
    grant(&mut store, B, 10).unwrap();
    put(&mut store, "lock/1", "me", Some(A)); // 2
    put(&mut store, "other", "x", None); // 3
    put(&mut store, "lock/2", "me", Some(A)); // 4
    put(&mut store, "b", "y", Some(B)); // 5
    assert_eq!(keys_of(&store, A), vec!["lock/1", "lock/2"]);

    assert_eq!(revision_of(revoke(&mut store, A)), 6);
    assert_eq!(store.revision(), 6, "one revision for both deletions");
    assert_eq!(get(&store, "lock/1", None), None);
    assert_eq!(get(&store, "lock/2", None), None);
    assert_eq!(get(&store, "other", None).unwrap().value, "x");
    assert_eq!(get(&store, "b", None).unwrap().lease, Some(B));
    assert_eq!(store.leases(), vec![B]);
    assert_eq!(store.lease_time_to_live(A), None);

    // Reads of the past still see the keys, with the lease they had.
    let old = get(&store, "lock/2", Some(5)).unwrap();
    assert_eq!(
        old,
        KeyValue {
            key: "lock/2".into(),
            value: "me".into(),
            create_revision: 4,
            mod_revision: 4,
            version: 1,
            lease: Some(A),
        }
    );
    assert_eq!(get(&store, "lock/1", Some(2)).unwrap().lease, Some(A));
    assert_eq!(get(&store, "lock/1", Some(6)), None);
}

#[test]
fn revoking_a_lease_without_keys_keeps_the_revision() {
    let mut store = Store::new();
    put(&mut store, "x", "1", None); // 2
    grant(&mut store, A, 10).unwrap();
    assert_eq!(revision_of(revoke(&mut store, A)), 2);
    assert_eq!(store.revision(), 2);
    assert_eq!(store.leases(), vec![]);
}

#[test]
fn revoking_an_unknown_or_revoked_lease_is_lease_not_found() {
    let mut store = Store::new();
    assert_eq!(
        revoke(&mut store, UNKNOWN),
        Err(KvError::LeaseNotFound { id: UNKNOWN })
    );
    grant(&mut store, A, 10).unwrap();
    put(&mut store, "k", "v", Some(A));
    revoke(&mut store, A).unwrap();
    let before = store.clone();
    assert_eq!(revoke(&mut store, A), Err(KvError::LeaseNotFound { id: A }));
    assert_eq!(store, before);
    assert_eq!(
        KvError::LeaseNotFound { id: A }.to_string(),
        "lease not found: 000000000000000a"
    );
}

#[test]
fn a_put_with_an_unknown_lease_writes_nothing() {
    let mut store = Store::new();
    put(&mut store, "k", "old", None); // 2
    grant(&mut store, A, 10).unwrap();
    put(&mut store, "k", "v", Some(A)); // 3
    revoke(&mut store, A).unwrap(); // 4
    let before = store.clone();
    for lease in [UNKNOWN, A, LeaseId(0)] {
        let result = store.execute(&Request::Put(put_request("k", "new", Some(lease))));
        assert_eq!(result, Err(KvError::LeaseNotFound { id: lease }));
        assert_eq!(store, before);
        assert_eq!(store.revision(), 4);
    }
    // An empty key is refused first, as etcd validates it before applying.
    let empty = store.execute(&Request::Put(put_request("", "v", Some(UNKNOWN))));
    assert_eq!(empty, Err(KvError::EmptyKey));
}

#[test]
fn a_re_put_moves_the_key_between_leases_and_a_put_without_one_detaches_it() {
    let mut store = Store::new();
    grant(&mut store, A, 10).unwrap();
    grant(&mut store, B, 10).unwrap();
    put(&mut store, "k", "1", Some(A)); // 2
    put(&mut store, "k", "2", Some(B)); // 3
    assert_eq!(keys_of(&store, A), Vec::<String>::new());
    assert_eq!(keys_of(&store, B), vec!["k"]);
    let current = get(&store, "k", None).unwrap();
    assert_eq!((current.lease, current.version), (Some(B), 2));

    // Revoking the old lease leaves the key alone.
    assert_eq!(revision_of(revoke(&mut store, A)), 3);
    assert_eq!(get(&store, "k", None).unwrap().value, "2");

    put(&mut store, "k", "3", None); // 4
    assert_eq!(keys_of(&store, B), Vec::<String>::new());
    assert_eq!(get(&store, "k", None).unwrap().lease, None);
    assert_eq!(revision_of(revoke(&mut store, B)), 4);
    assert_eq!(get(&store, "k", None).unwrap().value, "3");
}

#[test]
fn a_put_returns_the_previous_lease_in_prev_kv() {
    let mut store = Store::new();
    grant(&mut store, A, 10).unwrap();
    put(&mut store, "k", "1", Some(A));
    match store.execute(&Request::Put(put_request("k", "2", None))) {
        Ok(Response::Put(response)) => assert_eq!(response.prev_kv.unwrap().lease, Some(A)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn deleting_a_key_detaches_it() {
    let mut store = Store::new();
    grant(&mut store, A, 10).unwrap();
    put(&mut store, "k", "1", Some(A)); // 2
    put(&mut store, "kept", "1", Some(A)); // 3
    let deleted = store.execute(&Request::DeleteRange(DeleteRangeRequest {
        range: KeyRange::Key("k".into()),
        prev_kv: true,
    }));
    match deleted {
        Ok(Response::DeleteRange(response)) => {
            assert_eq!(response.header.revision, 4);
            assert_eq!(response.prev_kvs[0].lease, Some(A));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(keys_of(&store, A), vec!["kept"]);
    // A key created again after its deletion is not attached unless its put says so.
    put(&mut store, "k", "2", None); // 5
    assert_eq!(keys_of(&store, A), vec!["kept"]);
    assert_eq!(revision_of(revoke(&mut store, A)), 6);
    assert_eq!(get(&store, "k", None).unwrap().value, "2");
}

#[test]
fn a_txn_naming_an_unknown_lease_writes_nothing() {
    let mut store = Store::new();
    grant(&mut store, A, 10).unwrap();
    put(&mut store, "a", "1", Some(A)); // 2
    let before = store.clone();
    let result = txn(
        &mut store,
        vec![
            RequestOp::DeleteRange(DeleteRangeRequest {
                range: KeyRange::Key("a".into()),
                prev_kv: false,
            }),
            RequestOp::Put(put_request("b", "1", Some(A))),
            RequestOp::Put(put_request("c", "1", Some(UNKNOWN))),
        ],
    );
    assert_eq!(result, Err(KvError::LeaseNotFound { id: UNKNOWN }));
    assert_eq!(store, before);
    assert_eq!(keys_of(&store, A), vec!["a"]);
}

#[test]
fn an_unknown_lease_in_the_branch_not_taken_is_harmless() {
    let mut store = Store::new();
    grant(&mut store, A, 10).unwrap();
    let request = Request::Txn(TxnRequest {
        compare: vec![kv::Compare {
            key: "a".into(),
            target: CompareTarget::Version(0),
            result: CompareResult::Equal,
        }],
        success: vec![RequestOp::Put(put_request("a", "1", Some(A)))],
        failure: vec![RequestOp::Put(put_request("a", "2", Some(UNKNOWN)))],
    });
    match store.execute(&request) {
        Ok(Response::Txn(response)) => assert!(response.succeeded),
        other => panic!("{other:?}"),
    }
    assert_eq!(keys_of(&store, A), vec!["a"]);
    assert_eq!(
        store.execute(&request),
        Err(KvError::LeaseNotFound { id: UNKNOWN }),
        "now the failure branch runs, and its lease is checked"
    );
}

#[test]
fn a_txn_attaches_and_moves_keys_atomically_and_a_rolled_back_one_attaches_nothing() {
    let mut store = Store::new();
    grant(&mut store, A, 10).unwrap();
    grant(&mut store, B, 10).unwrap();
    put(&mut store, "a", "1", Some(A)); // 2
    let moved = txn(
        &mut store,
        vec![
            RequestOp::Put(put_request("a", "2", Some(B))),
            RequestOp::Put(put_request("b", "1", Some(B))),
        ],
    );
    assert!(matches!(moved, Ok(Response::Txn(_))));
    assert_eq!(store.revision(), 3);
    assert_eq!(keys_of(&store, A), Vec::<String>::new());
    assert_eq!(keys_of(&store, B), vec!["a", "b"]);

    // The read of a future revision fails after the puts ran: all of it is undone.
    let before = store.clone();
    let failed = txn(
        &mut store,
        vec![
            RequestOp::Put(put_request("a", "3", Some(A))),
            RequestOp::Put(put_request("c", "1", Some(A))),
            RequestOp::Range(RangeRequest {
                range: KeyRange::Key("a".into()),
                revision: Some(9),
                limit: None,
            }),
        ],
    );
    assert!(matches!(failed, Err(KvError::FutureRevision { .. })));
    assert_eq!(store, before);
}

#[test]
fn a_checkpoint_sets_the_remaining_ttl_without_a_revision() {
    let mut store = Store::new();
    put(&mut store, "x", "1", None); // 2
    grant(&mut store, A, 3600).unwrap();
    assert_eq!(revision_of(checkpoint(&mut store, A, 1200)), 2);
    assert_eq!(store.revision(), 2);
    let info = store.lease_time_to_live(A).unwrap();
    assert_eq!((info.granted_ttl_s, info.remaining_ttl_s), (3600, 1200));
    assert_eq!(
        store.lease_ttls(),
        vec![LeaseTtl {
            id: A,
            granted_ttl_s: 3600,
            remaining_ttl_s: 1200
        }]
    );
    checkpoint(&mut store, A, 900).unwrap();
    assert_eq!(store.lease_time_to_live(A).unwrap().remaining_ttl_s, 900);

    // A checkpoint of 0 (after a keep-alive renewed the lease) clears it.
    checkpoint(&mut store, A, 0).unwrap();
    assert_eq!(store.lease_time_to_live(A).unwrap().remaining_ttl_s, 3600);

    // One for a lease revoked meanwhile is ignored, as etcd does.
    let before = store.clone();
    assert_eq!(revision_of(checkpoint(&mut store, UNKNOWN, 5)), 2);
    assert_eq!(store, before);
}

#[test]
fn leases_and_their_keys_survive_compaction() {
    let mut store = Store::new();
    grant(&mut store, A, 10).unwrap();
    put(&mut store, "k", "1", Some(A)); // 2
    put(&mut store, "k", "2", Some(A)); // 3
    put(&mut store, "x", "1", None); // 4
    store.compact(4).unwrap();
    assert_eq!(keys_of(&store, A), vec!["k"]);
    assert_eq!(get(&store, "k", Some(4)).unwrap().lease, Some(A));
    assert_eq!(revision_of(revoke(&mut store, A)), 5);
    assert_eq!(get(&store, "k", None), None);
    assert_eq!(get(&store, "k", Some(4)).unwrap().value, "2");
}

#[test]
fn a_store_with_leases_survives_a_serde_round_trip() {
    let mut store = Store::new();
    grant(&mut store, A, 10).unwrap();
    grant(&mut store, B, 3600).unwrap();
    checkpoint(&mut store, B, 1800).unwrap();
    put(&mut store, "a", "1", Some(A));
    put(&mut store, "b", "1", Some(B));
    put(&mut store, "a", "2", Some(B));
    put(&mut store, "c", "1", None);
    store.compact(3).unwrap();
    let json = serde_json::to_string(&store).unwrap();
    let mut restored: Store = serde_json::from_str(&json).unwrap();
    assert_eq!(restored, store);
    assert_eq!(restored.lease_ttls(), store.lease_ttls());
    assert_eq!(revoke(&mut restored, B), revoke(&mut store, B));
    assert_eq!(restored, store);
    assert_eq!(keys_of(&restored, A), Vec::<String>::new());
}

#[test]
fn data_without_leases_keeps_its_serialized_form() {
    // A lease-less store, and a lease-less put as a log entry carries it, serialize as they
    // did before leases existed, so snapshots, log entries and their hashes are unchanged.
    let mut store = Store::new();
    put(&mut store, "a", "1", None);
    let json = serde_json::to_string(&store).unwrap();
    assert_eq!(
        json,
        r#"{"revision":2,"compacted_revision":0,"keys":{"a":[{"revision":2,"live":{"value":"1","create_revision":2,"version":1}}]}}"#
    );
    assert_eq!(serde_json::from_str::<Store>(&json).unwrap(), store);
    let entry = serde_json::to_string(&Request::Put(put_request("a", "1", None))).unwrap();
    assert_eq!(entry, r#"{"Put":{"key":"a","value":"1","prev_kv":true}}"#);
    let with_lease = serde_json::to_string(&Request::Put(put_request("a", "1", Some(A)))).unwrap();
    assert_eq!(
        with_lease,
        r#"{"Put":{"key":"a","value":"1","prev_kv":true,"lease":10}}"#
    );
}
