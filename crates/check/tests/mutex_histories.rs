//! Hand-written Jepsen lock histories in `fixtures/mutex/`, imported and checked against
//! the mutex model: `ok.edn` (grants in turn, a refused acquire while the lock is held, an
//! acquire without an answer) is linearizable; in `double-grant.edn` process 1 is granted
//! the lock (op 1) while process 0 still holds it, which the search cannot place.

use check::{check_mutex_history, parse_edn_mutex_history, Budget, CheckResult, Evidence};
use std::path::Path;

fn check_fixture(file: &str) -> CheckResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mutex")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let operations =
        parse_edn_mutex_history(&text).unwrap_or_else(|error| panic!("{file}: {error}"));
    check_mutex_history(&operations, &Budget::default()).result
}

#[test]
fn grants_in_turn_and_a_refusal_while_held_are_linearizable() {
    let result = check_fixture("ok.edn");
    assert!(matches!(result, CheckResult::Ok { .. }), "{result:?}");
}

#[test]
fn a_second_grant_while_the_lock_is_held_is_a_violation() {
    let result = check_fixture("double-grant.edn");
    let CheckResult::Violation {
        evidence: Evidence::Linearizability(violation),
        ..
    } = &result
    else {
        panic!("expected a linearizability violation, got {result:?}");
    };
    assert_eq!(violation.key, "mutex");
    assert!(violation.stuck_ops.contains(&1), "{violation:?}");
}
