//! Checks that refuse malformed requests before they touch the store, so a refused request
//! changes nothing.

use crate::error::KvError;
use crate::key_range::KeyRange;
use crate::request::{RequestOp, TxnRequest};
use std::collections::BTreeSet;

/// Refuses a range naming the empty key.
pub(crate) fn range_keys(range: &KeyRange) -> Result<(), KvError> {
    if range.names_empty_key() {
        return Err(KvError::EmptyKey);
    }
    Ok(())
}

/// Refuses an empty key given to a put.
pub(crate) fn put_key(key: &str) -> Result<(), KvError> {
    if key.is_empty() {
        return Err(KvError::EmptyKey);
    }
    Ok(())
}

/// Refuses an empty key anywhere in a transaction: in a compare or in either branch, since a
/// malformed request is malformed whichever branch would run.
pub(crate) fn txn_keys(txn: &TxnRequest) -> Result<(), KvError> {
    for compare in &txn.compare {
        put_key(&compare.key)?;
    }
    for op in txn.success.iter().chain(&txn.failure) {
        match op {
            RequestOp::Range(request) => range_keys(&request.range)?,
            RequestOp::Put(request) => put_key(&request.key)?,
            RequestOp::DeleteRange(request) => range_keys(&request.range)?,
        }
    }
    Ok(())
}

/// Refuses a transaction branch that would write some key twice: the same key put twice, a
/// put of a key one of the branch's deletes covers, or two deletes whose ranges overlap.
/// All writes of a transaction share one revision, at which each key can change only once.
/// The check looks at the ranges, not at which keys exist, so it does not depend on the state.
pub(crate) fn branch_writes_each_key_once(branch: &[RequestOp]) -> Result<(), KvError> {
    let duplicate = |key: &str| KvError::DuplicateKeyInTxn {
        key: key.to_owned(),
    };
    let deletes: Vec<&KeyRange> = branch
        .iter()
        .filter_map(|op| match op {
            RequestOp::DeleteRange(request) => Some(&request.range),
            _ => None,
        })
        .collect();
    for (index, first) in deletes.iter().enumerate() {
        for second in &deletes[index + 1..] {
            if let Some(key) = first.overlap(second) {
                return Err(duplicate(key));
            }
        }
    }
    let mut puts = BTreeSet::new();
    for op in branch {
        if let RequestOp::Put(request) = op {
            let key = request.key.as_str();
            if !puts.insert(key) || deletes.iter().any(|range| range.contains(key)) {
                return Err(duplicate(key));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{Compare, CompareResult, CompareTarget};
    use crate::request::{DeleteRangeRequest, PutRequest, RangeRequest};

    fn put(key: &str) -> RequestOp {
        RequestOp::Put(PutRequest {
            key: key.into(),
            value: "v".into(),
            prev_kv: false,
            lease: None,
        })
    }

    fn delete(range: KeyRange) -> RequestOp {
        RequestOp::DeleteRange(DeleteRangeRequest {
            range,
            prev_kv: false,
        })
    }

    fn read(range: KeyRange) -> RequestOp {
        RequestOp::Range(RangeRequest {
            range,
            revision: None,
            limit: None,
        })
    }

    fn duplicate(key: &str) -> Result<(), KvError> {
        Err(KvError::DuplicateKeyInTxn { key: key.into() })
    }

    #[test]
    fn distinct_writes_and_any_reads_pass() {
        let branch = [
            put("a"),
            read(KeyRange::Key("a".into())),
            put("b"),
            read(KeyRange::Prefix(String::new())),
            delete(KeyRange::Prefix("c".into())),
            delete(KeyRange::Key("d".into())),
        ];
        assert_eq!(branch_writes_each_key_once(&branch), Ok(()));
    }

    #[test]
    fn a_key_put_twice_is_a_duplicate() {
        assert_eq!(
            branch_writes_each_key_once(&[put("a"), put("b"), put("a")]),
            duplicate("a")
        );
    }

    #[test]
    fn a_put_covered_by_a_delete_is_a_duplicate_in_either_order() {
        let covering = || delete(KeyRange::Prefix("a".into()));
        assert_eq!(
            branch_writes_each_key_once(&[put("ab"), covering()]),
            duplicate("ab")
        );
        assert_eq!(
            branch_writes_each_key_once(&[covering(), put("ab")]),
            duplicate("ab")
        );
        assert_eq!(branch_writes_each_key_once(&[put("b"), covering()]), Ok(()));
    }

    #[test]
    fn overlapping_deletes_are_duplicates() {
        let branch = [
            delete(KeyRange::Interval {
                start: "a".into(),
                end: "c".into(),
            }),
            delete(KeyRange::Key("b".into())),
        ];
        assert_eq!(branch_writes_each_key_once(&branch), duplicate("b"));
        let disjoint = [
            delete(KeyRange::Prefix("a".into())),
            delete(KeyRange::Key("b".into())),
        ];
        assert_eq!(branch_writes_each_key_once(&disjoint), Ok(()));
    }

    #[test]
    fn empty_keys_are_refused_anywhere_in_a_txn() {
        let ok = TxnRequest {
            compare: vec![Compare {
                key: "a".into(),
                target: CompareTarget::Version(0),
                result: CompareResult::Equal,
            }],
            success: vec![put("a"), read(KeyRange::Prefix(String::new()))],
            failure: vec![delete(KeyRange::Key("a".into()))],
        };
        assert_eq!(txn_keys(&ok), Ok(()));

        let mut bad_compare = ok.clone();
        bad_compare.compare[0].key.clear();
        assert_eq!(txn_keys(&bad_compare), Err(KvError::EmptyKey));

        let mut bad_put = ok.clone();
        bad_put.success.push(put(""));
        assert_eq!(txn_keys(&bad_put), Err(KvError::EmptyKey));

        let mut bad_failure_delete = ok.clone();
        bad_failure_delete
            .failure
            .push(delete(KeyRange::Key(String::new())));
        assert_eq!(txn_keys(&bad_failure_delete), Err(KvError::EmptyKey));

        let mut bad_read = ok;
        bad_read.success.push(read(KeyRange::Interval {
            start: String::new(),
            end: "b".into(),
        }));
        assert_eq!(txn_keys(&bad_read), Err(KvError::EmptyKey));
    }
}
