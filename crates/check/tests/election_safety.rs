//! Election safety: two replicas leading one term is a violation, one leader a term holds.

use check::{check_election_safety, CheckKind, CheckResult, Evidence};
use history::{History, LeaderChange};

fn history(leaders: &[(u64, u64, u64)]) -> History {
    let mut history = History::new("elections", 1);
    history.leaders = leaders
        .iter()
        .map(|&(at_ns, node, term)| LeaderChange { at_ns, node, term })
        .collect();
    history
}

#[test]
fn one_leader_a_term_holds() {
    let report = check_election_safety(&history(&[(10, 1, 2), (50, 3, 3), (90, 1, 5)]));
    assert_eq!(report.check, "one-leader-per-term");
    assert_eq!(report.kind, CheckKind::Safety);
    assert_eq!(
        report.result,
        CheckResult::ok("3 terms with a leader, one each")
    );
}

#[test]
fn two_leaders_in_one_term_are_a_violation() {
    // Node 2 wins term 4 while node 5, which forgot its vote, also does.
    let report = check_election_safety(&history(&[
        (10, 1, 2),
        (4_000_000_000, 2, 4),
        (4_250_000_000, 5, 4),
        (9_000_000_000, 2, 6),
    ]));
    let CheckResult::Violation { summary, evidence } = report.result else {
        panic!("expected a violation, got {:?}", report.result);
    };
    assert_eq!(
        summary,
        "term 4 had 2 leaders: node 2 at 4.000 s and node 5 at 4.250 s"
    );
    assert_eq!(
        evidence,
        Evidence::ElectionSafety {
            term: 4,
            elected: vec![(2, 4_000_000_000), (5, 4_250_000_000)],
        }
    );
}
