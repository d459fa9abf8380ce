//! The deletions lease ends made, as operations for the linearizability check.
//!
//! When a lease ends (a client's revoke, or the leader's expiry), the store deletes every
//! key attached to it in one revision. No client called that deletion, so `history.ops`
//! does not hold it, and without it a read that finds a lease's key gone would look like a
//! violation, and one that still finds it after the end would pass. The history records
//! each end (`history.lease_ends`) with its revision and the moment the first replica
//! applied it, which is all a successful delete needs to be checked like a client's.

use crate::evidence::seconds;
use crate::model::Operation;
use crate::models::etcd_kv::KeyHistory;
use history::{History, KvInput, KvOutput};
use std::collections::{BTreeMap, BTreeSet};

/// What no client made: the search does not look at an operation's client.
const NO_CLIENT: u64 = u64::MAX;

/// Adds to `keys` (a history's client operations, per key) a delete of every key each
/// lease end deleted, and returns what each added operation stands for, by id, for the
/// evidence: `lease 00000000000f4241 ended (expired) at revision 9, applied by 5.000 s`.
///
/// Each delete succeeded, deleting 1 key, at the end's revision, and took effect between
/// the earliest moment it could have and `at_ns`, when the first replica applied it (it
/// was committed before any replica applied it). The earliest is the lease's grant, the
/// first send recorded in `history.lease_renewals` (a lease cannot end before it is
/// granted), or 0 if none is recorded. That window is wide on purpose: when in it the
/// lease ended is the lease-bounds check's question; this one asks whether every read is
/// consistent with the deletion happening somewhere in it.
///
/// The added operations' ids follow the largest recorded op id, so evidence and the order
/// found never confuse them with a client's.
///
/// A lease end deletes its keys atomically, in one revision; split per key, as the check
/// searches, that atomicity goes unchecked (a read of one key seeing it gone and of another
/// seeing it still there passes). That is weaker, never a false alarm. Keys no recorded
/// operation touches (a lock's key, attached to its session's lease) are left out: there is
/// nothing of theirs to check, and a delete alone of a key never written cannot succeed.
pub(crate) fn add_lease_end_deletions(
    history: &History,
    keys: &mut BTreeMap<String, KeyHistory>,
) -> BTreeMap<u64, String> {
    let mut granted_ns: BTreeMap<u64, u64> = BTreeMap::new();
    for renewal in &history.lease_renewals {
        granted_ns
            .entry(renewal.lease)
            .and_modify(|earliest_ns| *earliest_ns = (*earliest_ns).min(renewal.sent_ns))
            .or_insert(renewal.sent_ns);
    }
    let mut next_id = history.ops.iter().map(|op| op.id + 1).max().unwrap_or(0);
    let mut added = BTreeMap::new();
    for end in &history.lease_ends {
        // A grant sent only after the end applied is not this lease's grant: no bound.
        let window_start_ns = granted_ns
            .get(&end.lease)
            .copied()
            .filter(|&sent_ns| sent_ns <= end.at_ns)
            .unwrap_or(0);
        let name = format!(
            "lease {:016x} ended ({}) at revision {}, applied by {}",
            end.lease,
            if end.expired { "expired" } else { "revoked" },
            end.revision,
            seconds(end.at_ns)
        );
        // A key listed twice was still deleted once.
        let deleted: BTreeSet<&String> = end.keys.iter().collect();
        for key in deleted {
            let Some(operations) = keys.get_mut(key) else {
                continue;
            };
            operations.push(Operation {
                id: next_id,
                client: NO_CLIENT,
                call_ns: window_start_ns,
                return_ns: Some(end.at_ns),
                input: KvInput::Delete { key: key.clone() },
                output: Some(KvOutput::Delete {
                    deleted: 1,
                    revision: end.revision,
                }),
            });
            added.insert(next_id, name.clone());
            next_id += 1;
        }
    }
    added
}
