//! Between the history's vocabulary (get, put, delete, cas) and the store's requests.

use crate::network::ClientRequest;
use history::{CasCompare, KvInput, KvOutput};
use kv::{
    Compare, CompareResult, CompareTarget, DeleteRangeRequest, KeyRange, PutRequest, RangeRequest,
    Request, RequestOp, Response, ResponseOp, TxnRequest,
};

fn read_key(key: &str) -> RangeRequest {
    RangeRequest {
        range: KeyRange::Key(key.to_string()),
        revision: None,
        limit: None,
    }
}

/// The store request that performs `input`.
pub fn request_for(input: &KvInput) -> ClientRequest {
    match input {
        KvInput::Get { key } => ClientRequest::Read(read_key(key)),
        KvInput::Put { key, value } => ClientRequest::Write(Request::Put(PutRequest {
            key: key.clone(),
            value: value.clone(),
            prev_kv: false,
            lease: None,
        })),
        KvInput::Delete { key } => ClientRequest::Write(Request::DeleteRange(DeleteRangeRequest {
            range: KeyRange::Key(key.clone()),
            prev_kv: false,
        })),
        KvInput::Cas {
            key,
            compare,
            value,
        } => {
            let target = match compare {
                CasCompare::Value { expected } => CompareTarget::Value(expected.clone()),
                CasCompare::ModRevision { expected } => CompareTarget::ModRevision(*expected),
            };
            ClientRequest::Write(Request::Txn(TxnRequest {
                compare: vec![Compare {
                    key: key.clone(),
                    target,
                    result: CompareResult::Equal,
                }],
                success: vec![RequestOp::Put(PutRequest {
                    key: key.clone(),
                    value: value.clone(),
                    prev_kv: false,
                    lease: None,
                })],
                failure: vec![RequestOp::Range(read_key(key))],
            }))
        }
    }
}

/// What the store's answer means for `input`; `None` if the answer does not fit the
/// request (a bug in the store or the replica, reported as a failed operation).
pub fn output_for(input: &KvInput, response: &Response) -> Option<KvOutput> {
    let first_kv = |range: &kv::RangeResponse| match range.kvs.first() {
        Some(kv) => (Some(kv.value.clone()), kv.mod_revision),
        None => (None, 0),
    };
    let output = match (input, response) {
        (KvInput::Get { .. }, Response::Range(range)) => {
            let (value, mod_revision) = first_kv(range);
            KvOutput::Get {
                value,
                mod_revision,
                revision: Some(range.header.revision),
            }
        }
        (KvInput::Put { .. }, Response::Put(put)) => KvOutput::Put {
            revision: put.header.revision,
        },
        (KvInput::Delete { .. }, Response::DeleteRange(delete)) => KvOutput::Delete {
            deleted: delete.deleted,
            revision: delete.header.revision,
        },
        (KvInput::Cas { .. }, Response::Txn(txn)) if txn.succeeded => KvOutput::Cas {
            succeeded: true,
            revision: txn.header.revision,
            value: None,
            mod_revision: 0,
        },
        (KvInput::Cas { .. }, Response::Txn(txn)) => {
            let Some(ResponseOp::Range(range)) = txn.responses.first() else {
                return None;
            };
            let (value, mod_revision) = first_kv(range);
            KvOutput::Cas {
                succeeded: false,
                revision: txn.header.revision,
                value,
                mod_revision,
            }
        }
        _ => return None,
    };
    Some(output)
}
