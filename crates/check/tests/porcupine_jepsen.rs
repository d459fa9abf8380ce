//! The search ([`check::wgl`]) on Jepsen's etcd register histories from Porcupine's test
//! data, whose verdicts are known (see `fixtures/porcupine-jepsen/README.md`).
//!
//! These histories have no revisions, so they are checked against a plain register model
//! written here rather than the KV model; what they test is the search: real-time order,
//! operations that never answered, and the size of the search on histories where
//! Porcupine itself takes a while.

use check::wgl::{search, SearchOutcome};
use check::{Model, Operation};
use std::collections::BTreeMap;
use std::path::Path;

/// A register holding an integer, initially unset, as Jepsen's etcd test used it.
struct Register;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    Read,
    Write(i64),
    /// If the value is the first, set the second.
    Cas(i64, i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reply {
    /// A read's answer; `None`: unset.
    Read(Option<i64>),
    /// A write or compare-and-swap that succeeded.
    Done,
    /// No answer came: the call may have taken effect, or not.
    NoAnswer,
}

impl Model for Register {
    type State = Option<i64>;
    type Input = Request;
    type Output = Reply;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(&self, state: &Option<i64>, input: &Request, output: &Reply) -> Option<Option<i64>> {
        match (input, output) {
            (Request::Read, Reply::Read(seen)) => (seen == state).then_some(*state),
            (Request::Write(value), Reply::Done | Reply::NoAnswer) => Some(Some(*value)),
            (Request::Cas(expected, value), Reply::Done | Reply::NoAnswer) => {
                (*state == Some(*expected)).then_some(Some(*value))
            }
            _ => None,
        }
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        format!("{state:?}")
    }

    fn describe_operation(&self, input: &Request, output: &Reply) -> String {
        format!("{input:?} -> {output:?}")
    }
}

fn parse_value(text: &str) -> Option<i64> {
    (text != "nil").then(|| text.parse().expect("an integer or nil"))
}

/// Reads a Jepsen log into operations: line numbers are the times; a definite failure
/// (`:fail`) never took effect and is left out, as are reads without an answer; other
/// calls without an answer (`:info`, or none at all) may take effect at any later time.
fn parse(log: &str) -> Vec<Operation<Request, Reply>> {
    let mut pending: BTreeMap<&str, (u64, Request)> = BTreeMap::new();
    let mut operations = Vec::new();
    let mut push = |call_ns: u64, return_ns: Option<u64>, input: Request, output: Reply| {
        if input != Request::Read || output != Reply::NoAnswer {
            let id = operations.len() as u64;
            operations.push(Operation {
                id,
                call_ns,
                return_ns,
                input,
                output,
            });
        }
    };
    for (line_number, line) in log.lines().enumerate() {
        let time = line_number as u64;
        let (_, event) = line.split_once(" - ").expect("a jepsen.util line");
        let fields: Vec<&str> = event.split_whitespace().collect();
        let (process, kind, function, value) =
            (fields[0], fields[1], fields[2], fields[3..].join(" "));
        match kind {
            ":invoke" => {
                let request = match function {
                    ":read" => Request::Read,
                    ":write" => Request::Write(value.parse().expect("a written integer")),
                    ":cas" => {
                        let pair = value.trim_matches(|c| c == '[' || c == ']');
                        let (expected, new) = pair.split_once(' ').expect("[expected new]");
                        Request::Cas(expected.parse().unwrap(), new.parse().unwrap())
                    }
                    other => panic!("unknown function {other}"),
                };
                pending.insert(process, (time, request));
            }
            ":ok" => {
                let (call, request) = pending.remove(process).expect("a call to complete");
                let reply = match request {
                    Request::Read => Reply::Read(parse_value(&value)),
                    _ => Reply::Done,
                };
                push(call, Some(time), request, reply);
            }
            ":fail" => {
                pending.remove(process).expect("a call to fail");
            }
            ":info" => {
                let (call, request) = pending.remove(process).expect("a call to time out");
                push(call, None, request, Reply::NoAnswer);
            }
            other => panic!("unknown event {other}"),
        }
    }
    for (call, request) in pending.into_values() {
        push(call, None, request, Reply::NoAnswer);
    }
    operations
}

#[test]
fn verdicts_match_porcupine_on_jepsen_etcd_histories() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/porcupine-jepsen");
    let manifest = std::fs::read_to_string(fixtures.join("MANIFEST.tsv")).unwrap();
    let mut checked = 0;
    for row in manifest.lines().skip(1) {
        let (file, expected) = row.split_once('\t').unwrap();
        let expected_linearizable: bool = expected.parse().unwrap();
        let log = std::fs::read_to_string(fixtures.join(file)).unwrap();
        let operations = parse(&log);
        let search = search(&Register, &operations, 10_000_000);
        match (search.outcome, expected_linearizable) {
            (SearchOutcome::Linearizable { order }, true) => {
                // The order it found is a witness: it respects real time, and the model
                // accepts it.
                let mut state = Register.init();
                for (position, &id) in order.iter().enumerate() {
                    let operation = &operations[id as usize];
                    for &later in &order[position + 1..] {
                        let later = &operations[later as usize];
                        assert!(later.return_ns.is_none_or(|ret| ret >= operation.call_ns), "{file}: op {} placed before op {id}", later.id);
                    }
                    state = Register.step(&state, &operation.input, &operation.output).unwrap();
                }
                let answered = operations.iter().filter(|op| op.return_ns.is_some());
                assert!(answered.clone().all(|op| order.contains(&op.id)), "{file}: an answered op is missing");
            }
            (SearchOutcome::NotLinearizable { stuck, .. }, false) => assert!(!stuck.is_empty()),
            (outcome, _) => panic!("{file}: expected linearizable {expected_linearizable}, got {outcome:?} after {} steps", search.steps),
        }
        checked += 1;
    }
    assert_eq!(checked, 18, "fixtures checked");
}
