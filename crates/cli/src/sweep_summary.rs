//! A sweep's `summary.md`: how many seeds passed, and each failing seed with the command
//! that replays it; written next to `results.json` by `sweep` and by `merge`.

use crate::outcome::{replay_command, Changes};
use crate::sweep_results::SweepResults;
use bugs::{Bug, Bugs};
use scenario::Override;
use shard::results_file::ShardedResults;
use std::collections::BTreeMap;
use std::path::Path;

/// At most this many failing seeds are listed; results.json holds every one.
const FAILURES_LISTED: usize = 100;

/// Writes `results.json` and `summary.md` into `directory`; `command` is what made them.
pub fn write_outputs(
    directory: &Path,
    results: &SweepResults,
    command: &str,
) -> Result<(), String> {
    let summary = summary_markdown(results, command)?;
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(directory)?;
        std::fs::write(directory.join("results.json"), results.to_json())?;
        std::fs::write(directory.join("summary.md"), summary)
    };
    write().map_err(|error| format!("cannot write {}: {error}", directory.display()))
}

/// The `--set` and `--bug` flags the header records, read back for replay commands.
fn recorded_changes(results: &SweepResults) -> Result<Changes, String> {
    let overrides = results
        .header
        .sets
        .iter()
        .map(|text| Override::parse(text).map_err(|error| format!("header field `sets`: {error}")))
        .collect::<Result<Vec<_>, _>>()?;
    let bugs = results
        .header
        .bugs
        .iter()
        .map(|name| {
            Bug::from_name(name).ok_or_else(|| {
                format!("header field `bugs`: no bug is named {name:?} (see `lockstep bugs`)")
            })
        })
        .collect::<Result<Bugs, _>>()?;
    Ok(Changes { overrides, bugs })
}

/// The summary's Markdown.
pub fn summary_markdown(results: &SweepResults, command: &str) -> Result<String, String> {
    let changes = recorded_changes(results)?;
    let header = &results.header;
    let scenario_file = Path::new(&header.scenario_file);
    let failed: Vec<_> = results.failures().collect();
    let ops: u64 = results.seeds.iter().map(|outcome| outcome.ops).sum();
    let simulated_us: u64 = results
        .seeds
        .iter()
        .map(|outcome| outcome.simulated_us)
        .sum();
    let exit = failed
        .iter()
        .map(|outcome| outcome.exit)
        .fold(0, crate::outcome::worse);

    let mut out = format!("# Sweep: {}\n\n", header.scenario);
    out.push_str(&format!("- command: `{command}`\n"));
    out.push_str(&format!("- code: {}\n", header.code));
    out.push_str(&format!("- scenario: `{}`\n", header.scenario_file));
    for set in &header.sets {
        out.push_str(&format!("- `--set {set}`\n"));
    }
    if !header.bugs.is_empty() {
        out.push_str(&format!(
            "- planted bugs: {} (the implementation is broken on purpose)\n",
            header.bugs.join(", ")
        ));
    }
    out.push_str(&format!(
        "- seeds {}..{}",
        header.seeds_start, header.seeds_end
    ));
    match results.shard {
        Some(shard) => out.push_str(&format!(
            ", **shard {shard} only** ({} seeds): merge every shard with `lockstep merge` for the whole sweep\n",
            results.seeds.len()
        )),
        None => out.push('\n'),
    }
    out.push_str(&format!(
        "\n**{} passed, {} failed** of {} seeds (exit code {exit}); {ops} operations checked over {:.1} simulated s.\n",
        results.seeds.len() - failed.len(),
        failed.len(),
        results.seeds.len(),
        simulated_us as f64 / 1e6
    ));
    if failed.is_empty() {
        return Ok(out);
    }

    let mut by_check: BTreeMap<&str, usize> = BTreeMap::new();
    for outcome in &failed {
        for check in &outcome.failed_checks {
            *by_check.entry(check).or_default() += 1;
        }
    }
    out.push_str("\n| check that failed | seeds |\n|---|---|\n");
    for (check, seeds) in by_check {
        out.push_str(&format!("| {check} | {seeds} |\n"));
    }

    out.push_str(
        "\n## Failing seeds\n\n| seed | exit | failed checks | replay |\n|---|---|---|---|\n",
    );
    for outcome in failed.iter().take(FAILURES_LISTED) {
        out.push_str(&format!(
            "| {} | {} | {} | `{}` |\n",
            outcome.seed,
            outcome.exit,
            outcome.failed_checks.join(", "),
            replay_command(scenario_file, &changes, outcome.seed)
        ));
    }
    if failed.len() > FAILURES_LISTED {
        out.push_str(&format!(
            "\n…and {} more failing seeds, listed in results.json.\n",
            failed.len() - FAILURES_LISTED
        ));
    }
    Ok(out)
}
