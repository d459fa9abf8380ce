//! `lockstep replay REPORT_DIR`: reruns the run a report recorded and confirms that the
//! history comes out byte for byte the same.

use crate::outcome::{judge, load_report_scenario, planted_bugs_line, say, EXIT_BAD_INPUT};
use std::path::Path;

/// Exit code when the rerun's history differs from the recorded one: determinism broke.
const EXIT_DIFFERENT: u8 = 1;

pub fn replay(report: &Path) -> u8 {
    let scenario_path = report.join("scenario.toml");
    let history_path = report.join("history.json");
    let (scenario, seed) = match load_report_scenario(&scenario_path) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let recorded = match std::fs::read_to_string(&history_path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: {}: cannot read: {error}", history_path.display());
            return EXIT_BAD_INPUT;
        }
    };
    say!("replaying {} with seed {seed}", scenario_path.display());
    if let Some(line) = planted_bugs_line(&scenario) {
        say!("{line}");
    }
    let history = sim::run_on_fresh_thread(&scenario, seed).history;
    let rerun = history.to_json();
    let verdict = judge(&history);
    match first_difference(&recorded, &rerun) {
        None => {
            say!(
                "identical: the rerun's history is byte for byte the recorded one ({} bytes)",
                rerun.len()
            );
            say!("{}", verdict.summary().trim_end());
            verdict.exit_code() as u8
        }
        Some((line, recorded_line, rerun_line)) => {
            say!(
                "DIFFERENT: the histories first differ at line {line} of {}:",
                history_path.display()
            );
            say!("  recorded: {recorded_line}");
            say!("  rerun:    {rerun_line}");
            EXIT_DIFFERENT
        }
    }
}

/// The first line (1-based) where `a` and `b` differ, with both lines (empty past the end
/// of the shorter); `None` if they are equal.
fn first_difference(a: &str, b: &str) -> Option<(usize, String, String)> {
    if a == b {
        return None;
    }
    let (mut a_lines, mut b_lines) = (a.lines(), b.lines());
    for line in 1.. {
        let (left, right) = (a_lines.next(), b_lines.next());
        if left != right || (left.is_none() && right.is_none()) {
            return Some((
                line,
                left.unwrap_or("").to_string(),
                right.unwrap_or("").to_string(),
            ));
        }
    }
    unreachable!("two different texts differ at some line")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_differing_line_is_named_with_both_versions() {
        assert_eq!(first_difference("a\nb\n", "a\nb\n"), None);
        assert_eq!(
            first_difference("a\nb\nc", "a\nB\nc"),
            Some((2, "b".to_string(), "B".to_string()))
        );
        assert_eq!(
            first_difference("a\n", "a\nextra\n"),
            Some((2, String::new(), "extra".to_string()))
        );
    }
}
