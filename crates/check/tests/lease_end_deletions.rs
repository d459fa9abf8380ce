//! The linearizability check on hand-built lease histories: the keys a lease end deleted
//! are gone for every read after it, although no client called that deletion.
//!
//! One lease (granted at 0.5 s) with its key put at 1 s (revision 2) and ended at revision
//! 4, applied by the first replica at 5 s; reads of the key around that.

use check::{check_linearizable, Budget, CheckResult, Evidence, LinearizabilityViolation};
use history::{History, KvInput, KvOutput, LeaseAck, LeaseEnd, LeaseRenewal, Op, Outcome};
use std::collections::BTreeMap;

const S: u64 = 1_000_000_000;
const LEASE: u64 = 0xf4241;
const KEY: &str = "leases/00000000000f4241/0";
const VALUE: &str = "c1-1-leases/00000000000f4241/0";

fn op(id: u64, call_ns: u64, input: KvInput, output: KvOutput) -> Op {
    Op {
        id,
        client: 1,
        call_ns,
        return_ns: Some(call_ns + S / 10),
        input,
        outcome: Outcome::Ok(output),
    }
}

fn put(id: u64, call_ns: u64, key: &str, revision: u64) -> Op {
    let input = KvInput::Put {
        key: key.into(),
        value: VALUE.into(),
    };
    op(id, call_ns, input, KvOutput::Put { revision })
}

fn get(id: u64, call_ns: u64, key: &str, value: Option<&str>, mod_revision: u64) -> Op {
    let output = KvOutput::Get {
        value: value.map(str::to_string),
        mod_revision,
        revision: None,
    };
    op(id, call_ns, KvInput::Get { key: key.into() }, output)
}

/// The lease granted at 0.5 s, its key put at 1 s and the lease expired at 5 s, then
/// `reads`.
fn lease_history(reads: Vec<Op>) -> History {
    let mut history = History::new("leases", 1);
    history.lease_renewals.push(LeaseRenewal {
        client: 1,
        lease: LEASE,
        sent_ns: S / 2,
        acked: Some(LeaseAck {
            at_ns: S / 2 + S / 100,
            ttl_s: 2,
        }),
        believed_until_ns: None,
    });
    history.ops.push(put(0, S, KEY, 2));
    history.ops.extend(reads);
    history.lease_ends.push(LeaseEnd {
        lease: LEASE,
        revision: 4,
        at_ns: 5 * S,
        expired: true,
        keys: vec![KEY.to_string()],
        expired_by: Some(1),
    });
    history.sort();
    history
}

fn ok(history: &History) -> (String, BTreeMap<String, Vec<u64>>) {
    match check_linearizable(history, &Budget::default()).result {
        CheckResult::Ok {
            summary,
            linearization,
        } => (summary, linearization),
        other => panic!("expected linearizable, got {other:#?}"),
    }
}

fn violation(history: &History) -> (String, LinearizabilityViolation) {
    match check_linearizable(history, &Budget::default()).result {
        CheckResult::Violation {
            summary,
            evidence: Evidence::Linearizability(violation),
        } => (summary, violation),
        other => panic!("expected a violation, got {other:#?}"),
    }
}

#[test]
fn a_read_after_the_lease_end_finds_the_key_gone() {
    let history = lease_history(vec![get(1, 6 * S, KEY, None, 0)]);
    let (summary, linearization) = ok(&history);
    assert_eq!(summary, "2 ops, 1 key, 1 lease-end deletion");
    // The deletion has the first id above the recorded ones, and goes between the two.
    assert_eq!(
        linearization,
        BTreeMap::from([(KEY.to_string(), vec![0, 2, 1])])
    );
}

#[test]
fn a_read_after_the_lease_end_that_still_sees_the_value_is_stale() {
    let history = lease_history(vec![get(1, 6 * S, KEY, Some(VALUE), 2)]);
    let (summary, violation) = violation(&history);
    assert_eq!(violation.key, KEY);
    assert_eq!(violation.linearized_prefix, vec![0, 2]);
    assert_eq!(violation.stuck_ops, vec![1]);
    assert_eq!(violation.model_state, "absent (deleted at revision 4)");
    // The deletion is named as the lease's end, not as some client's delete.
    assert_eq!(
        violation.explanation,
        "no order of its 3 ops respects both real time and etcd's semantics. No client \
         called op 2 (lease 00000000000f4241 ended (expired) at revision 4, applied by \
         5.000 s). The furthest the search got is 2 ops (placing every op that returned \
         before the first of those due next), after which the state is: absent (deleted at \
         revision 4); none of the ops due next fits: op 1 (get -> \
         \"c1-1-leases/00000000000f4241/0\" at mod_revision 2)"
    );
    assert!(summary.contains(&violation.explanation), "{summary}");
}

#[test]
fn the_deletion_may_have_happened_before_the_first_replica_applied_it() {
    // A read at 2 s, after the put, may come after the deletion: it was committed before
    // any replica applied it at 5 s.
    let history = lease_history(vec![get(1, 2 * S, KEY, None, 0)]);
    ok(&history);
    // But once a read saw the key gone, no later read sees it back: the lease's end
    // deleted it once, for good.
    let history = lease_history(vec![
        get(1, 2 * S, KEY, None, 0),
        get(2, 3 * S, KEY, Some(VALUE), 2),
    ]);
    let (_, violation) = violation(&history);
    assert_eq!(violation.linearized_prefix, vec![0, 3, 1]);
    assert_eq!(violation.stuck_ops, vec![2]);
}

#[test]
fn without_a_recorded_grant_the_deletion_may_have_happened_any_time() {
    let mut history = lease_history(vec![get(1, 6 * S, KEY, None, 0)]);
    history.lease_renewals.clear();
    ok(&history);
}

#[test]
fn a_revoked_lease_is_named_revoked() {
    let mut history = lease_history(vec![get(1, 6 * S, KEY, Some(VALUE), 2)]);
    history.lease_ends[0].expired = false;
    history.lease_ends[0].expired_by = None;
    let (_, violation) = violation(&history);
    assert!(
        violation
            .explanation
            .contains("lease 00000000000f4241 ended (revoked) at revision 4"),
        "{}",
        violation.explanation
    );
}

#[test]
fn every_key_of_the_lease_is_deleted_and_unrecorded_keys_are_left_alone() {
    let other = "leases/00000000000f4241/1";
    let mut history = lease_history(vec![
        put(1, S + S / 5, other, 3),
        get(2, 6 * S, KEY, None, 0),
        get(3, 6 * S + S / 5, other, None, 0),
    ]);
    // A key no client operation touched (a lock's key, say) has nothing to check.
    history.lease_ends[0].keys = vec![KEY.into(), other.into(), "locks/jobs/f4241".into()];
    let (summary, linearization) = ok(&history);
    assert_eq!(summary, "4 ops, 2 keys, 2 lease-end deletions");
    assert_eq!(
        linearization,
        BTreeMap::from([
            (KEY.to_string(), vec![0, 4, 2]),
            (other.to_string(), vec![1, 5, 3]),
        ])
    );
}

#[test]
fn a_put_without_answer_took_effect_if_its_lease_end_deleted_the_key() {
    let mut history = lease_history(vec![get(1, 6 * S, KEY, None, 0)]);
    history.ops[0].return_ns = None;
    history.ops[0].outcome = Outcome::Unknown {
        reason: "timeout".into(),
    };
    let (summary, linearization) = ok(&history);
    assert_eq!(
        summary,
        "2 ops, 1 key, 1 lease-end deletion, 1 without answer"
    );
    assert_eq!(
        linearization,
        BTreeMap::from([(KEY.to_string(), vec![0, 2, 1])])
    );
}
