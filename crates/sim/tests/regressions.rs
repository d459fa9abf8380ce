//! The shrunk reproducers of the planted bugs (`scenarios/regressions/`, written by
//! `lockstep zoo` or `lockstep shrink`): each must fail with its bug planted and pass
//! without it, on its pinned seed; and every bug that has a detection scenario has one.

use bugs::{Bug, Bugs};
use check::Budget;
use scenario::Scenario;
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_regression_fails_with_its_bug_and_passes_without_it() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/regressions");
    let mut files: Vec<_> = std::fs::read_dir(&directory)
        .expect("scenarios/regressions exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "toml")
        })
        .collect();
    files.sort();
    let mut covered = BTreeSet::new();
    for path in &files {
        let mut scenario = Scenario::load(path).unwrap_or_else(|error| panic!("{error}"));
        let seed = scenario.seed.expect("a regression pins its seed");
        assert!(
            !scenario.bugs.is_empty(),
            "{}: plants no bug",
            path.display()
        );
        covered.extend(scenario.bugs.iter());
        let history = sim::run_on_fresh_thread(&scenario, seed).history;
        let verdict = check::check_history(&history, &Budget::default());
        assert!(!verdict.is_ok(), "{}: passes with its bug", path.display());
        scenario.bugs = Bugs::none();
        let history = sim::run_on_fresh_thread(&scenario, seed).history;
        let verdict = check::check_history(&history, &Budget::default());
        assert!(
            verdict.is_ok(),
            "{}: fails without its bug:\n{}",
            path.display(),
            verdict.summary()
        );
    }
    let every_bug: BTreeSet<Bug> = Bug::ALL.into_iter().collect();
    let missing: Vec<_> = every_bug.difference(&covered).collect();
    assert!(missing.is_empty(), "no regression scenario for {missing:?}");
}
