//! The history file format: JSON, one operation, fault, leader change or checkpoint per
//! line, so that two histories can be compared with `diff` and byte-identical runs give
//! identical files.
//!
//! ```text
//! {"format":"lockstep-history/1","scenario":"smoke","seed":7,
//! "ops":[
//! {"id":0,"client":1,"call_ns":1000000,"return_ns":3500000,"input":{"op":"put","key":"k1","value":"c1-0"},"outcome":{"ok":{"op":"put","revision":2}}},
//! ...
//! ],
//! "faults":[
//! {"at_ns":2000000000,"fault":{"kind":"crash","node":3}},
//! ...
//! ],
//! "leaders":[
//! {"at_ns":1200000000,"node":2,"term":2},
//! ...
//! ],
//! "replicas":[
//! {"at_ns":1900000000,"node":2,"applied_index":50,"log_digest":"5f0e6b1e2d3c4a59","state_hash":"a1b2c3d4e5f60718"},
//! ...
//! ],
//! "liveness":{"healed_at_ns":20000000000,"deadline_ns":30000000000,"first_write_ns":20450000000,"first_read_ns":20470000000}}
//! ```
//!
//! `replicas` is left out when there are none (histories recorded before replicas reported
//! checkpoints), so such files read and write unchanged; so is `first_read_ns` (histories
//! recorded before the liveness phase demanded a read).

use crate::History;
use serde::Serialize;
use std::fmt;

/// The format tag every history file carries.
pub const FORMAT: &str = "lockstep-history/1";

/// A history file that could not be read.
#[derive(Debug)]
pub struct HistoryFileError {
    /// 1-based line of the problem, when known.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for HistoryFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for HistoryFileError {}

impl History {
    /// The history as JSON text in the canonical line-per-record layout.
    pub fn to_json(&self) -> String {
        fn list<T: Serialize>(out: &mut String, name: &str, items: &[T], last: bool) {
            out.push_str(&format!("\"{name}\":["));
            for (i, item) in items.iter().enumerate() {
                out.push('\n');
                out.push_str(&serde_json::to_string(item).expect("history records serialize"));
                if i + 1 < items.len() {
                    out.push(',');
                }
            }
            if !items.is_empty() {
                out.push('\n');
            }
            out.push(']');
            out.push_str(if last { "}\n" } else { ",\n" });
        }
        let mut out = format!(
            "{{\"format\":{},\"scenario\":{},\"seed\":{},\n",
            serde_json::to_string(&self.format).expect("string serializes"),
            serde_json::to_string(&self.scenario).expect("string serializes"),
            self.seed
        );
        list(&mut out, "ops", &self.ops, false);
        list(&mut out, "faults", &self.faults, false);
        list(&mut out, "leaders", &self.leaders, false);
        if !self.replicas.is_empty() {
            list(&mut out, "replicas", &self.replicas, false);
        }
        // Lock and lease records only appear in runs of lock and lease workloads.
        if !self.lock_holds.is_empty() {
            list(&mut out, "lock_holds", &self.lock_holds, false);
        }
        if !self.lock_owners.is_empty() {
            list(&mut out, "lock_owners", &self.lock_owners, false);
        }
        if !self.resource_writes.is_empty() {
            list(&mut out, "resource_writes", &self.resource_writes, false);
        }
        if !self.lease_renewals.is_empty() {
            list(&mut out, "lease_renewals", &self.lease_renewals, false);
        }
        if !self.lease_ends.is_empty() {
            list(&mut out, "lease_ends", &self.lease_ends, false);
        }
        if let Some(election_timeout_ns) = self.election_timeout_ns {
            out.push_str(&format!("\"election_timeout_ns\":{election_timeout_ns},\n"));
        }
        out.push_str(&format!(
            "\"liveness\":{}}}\n",
            serde_json::to_string(&self.liveness).expect("liveness serializes")
        ));
        out
    }

    /// Parses a history file, rejecting unknown fields and other format versions.
    pub fn from_json(text: &str) -> Result<History, HistoryFileError> {
        let history: History = serde_json::from_str(text).map_err(|error| HistoryFileError {
            line: error.line(),
            column: error.column(),
            message: error.to_string(),
        })?;
        if history.format != crate::FORMAT {
            return Err(HistoryFileError {
                line: 1,
                column: 1,
                message: format!(
                    "field `format`: expected \"{}\", found {:?}",
                    crate::FORMAT,
                    history.format
                ),
            });
        }
        Ok(history)
    }
}

#[cfg(test)]
mod tests {
    use crate::*;

    fn sample() -> History {
        let mut history = History::new("smoke", 7);
        history.ops.push(Op {
            id: 0,
            client: 1,
            call_ns: 1_000,
            return_ns: Some(2_000),
            input: KvInput::Cas {
                key: "k1".into(),
                compare: CasCompare::ModRevision { expected: 0 },
                value: "c1-0".into(),
            },
            outcome: Outcome::Ok(KvOutput::Cas {
                succeeded: true,
                revision: 2,
                value: None,
                mod_revision: 0,
            }),
        });
        history.ops.push(Op {
            id: 1,
            client: 2,
            call_ns: 1_500,
            return_ns: None,
            input: KvInput::Get { key: "k1".into() },
            outcome: Outcome::Unknown {
                reason: "timeout".into(),
            },
        });
        history.faults.push(FaultEvent {
            at_ns: 1_200,
            fault: Fault::Partition {
                sides: vec![vec![1], vec![2, 3]],
            },
            lasting: false,
        });
        history.leaders.push(LeaderChange {
            at_ns: 900,
            node: 2,
            term: 2,
        });
        history.replicas.push(ReplicaCheckpoint {
            at_ns: 2_500,
            node: 3,
            applied_index: 50,
            log_digest: 0x0123_4567_89ab_cdef,
            state_hash: 0xfedc_ba98_7654_3210,
        });
        history.liveness = Some(LivenessProbe {
            healed_at_ns: 3_000,
            deadline_ns: 9_000,
            first_write_ns: Some(3_500),
            first_read_ns: Some(Some(3_600)),
            steady_leader: None,
        });
        history
    }

    #[test]
    fn a_lasting_fault_and_a_watched_leader_round_trip_and_are_left_out_when_absent() {
        let mut history = sample();
        assert!(!history.to_json().contains("lasting"));
        assert!(!history.to_json().contains("steady_leader"));
        history.faults[0].lasting = true;
        if let Some(probe) = &mut history.liveness {
            probe.steady_leader = Some(SteadyLeader {
                demanded_ns: 3_000,
                since_ns: None,
                term_changes: 4,
                last_term: 9,
            });
        }
        let text = history.to_json();
        assert!(text.contains("\"lasting\":true"), "{text}");
        assert_eq!(History::from_json(&text).unwrap(), history);
        assert_eq!(history.lasting_faults().count(), 1);
    }

    #[test]
    fn round_trips_through_json() {
        let history = sample();
        let text = history.to_json();
        assert_eq!(History::from_json(&text).unwrap(), history);
        assert_eq!(text.lines().count(), 15, "one record per line:\n{text}");
    }

    #[test]
    fn a_probe_that_read_nothing_says_so() {
        let mut history = sample();
        let probe = history.liveness.as_mut().unwrap();
        probe.first_read_ns = Some(None);
        let text = history.to_json();
        assert!(text.contains("\"first_read_ns\":null"), "{text}");
        assert_eq!(History::from_json(&text).unwrap(), history);
    }

    /// Files from before checkpoints and probe reads have neither field: they must read
    /// (as no checkpoints, no read demanded) and write back byte for byte.
    #[test]
    fn histories_without_checkpoints_or_probe_reads_are_unchanged() {
        let mut history = sample();
        history.replicas.clear();
        history.liveness.as_mut().unwrap().first_read_ns = None;
        let text = history.to_json();
        assert!(
            !text.contains("replicas") && !text.contains("first_read_ns"),
            "{text}"
        );
        let read = History::from_json(&text).unwrap();
        assert_eq!(read, history);
        assert_eq!(read.to_json(), text);
    }

    #[test]
    fn lock_and_lease_records_round_trip() {
        let mut history = sample();
        history.lock_holds = vec![crate::LockHold {
            client: 1,
            lock: "jobs".to_string(),
            key: "jobs/7".to_string(),
            lease: 7,
            create_revision: 10,
            observed_revision: 12,
            acquired_ns: 5,
            released_ns: None,
            fenced: true,
        }];
        history.lock_owners = vec![crate::LockOwnership {
            lock: "jobs".to_string(),
            revision: 12,
            at_ns: 4,
            owner: None,
        }];
        history.resource_writes = vec![crate::ResourceWrite {
            client: 1,
            token: 10,
            read: vec![],
            wrote: vec![1],
            at_ns: 6,
            accepted: true,
        }];
        history.lease_renewals = vec![crate::LeaseRenewal {
            client: 1,
            lease: 7,
            sent_ns: 1,
            acked: Some(crate::LeaseAck { at_ns: 2, ttl_s: 2 }),
            believed_until_ns: None,
        }];
        history.lease_ends = vec![crate::LeaseEnd {
            lease: 7,
            revision: 13,
            at_ns: 9,
            expired: true,
            keys: vec!["jobs/7".to_string()],
            expired_by: Some(3),
        }];
        history.election_timeout_ns = Some(1_000_000_000);
        let text = history.to_json();
        assert!(text.contains("\"lease_ends\":["), "{text}");
        assert_eq!(History::from_json(&text).unwrap(), history);
    }

    #[test]
    fn empty_lists_round_trip() {
        let history = History::new("empty", 0);
        assert_eq!(History::from_json(&history.to_json()).unwrap(), history);
    }

    #[test]
    fn unknown_field_is_an_error_with_a_line() {
        let text = sample()
            .to_json()
            .replace("\"call_ns\":1500", "\"call_ns\":1500,\"colour\":1");
        let error = History::from_json(&text).unwrap_err();
        assert!(error.message.contains("colour"), "{error}");
        assert_eq!(error.line, 4, "{error}");
    }

    #[test]
    fn other_format_version_is_rejected() {
        let text = sample().to_json().replace(FORMAT, "lockstep-history/99");
        let error = History::from_json(&text).unwrap_err();
        assert!(error.message.contains("format"), "{error}");
    }
}
