//! `lockstep run`: one scenario, one seed, one report.

use crate::outcome::{
    bug_names, code_line, judge, load_scenario, planted_bugs_line, replay_command, say,
    scenario_as_run,
};
use bugs::Bug;
use history::{History, Outcome};
use report::{run_directory, RunReport};
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::time::Instant;

pub fn run(
    path: &Path,
    sets: &[String],
    planted: &[Bug],
    seed: Option<u64>,
    reports_root: &Path,
) -> u8 {
    let (scenario, changes) = match load_scenario(path, sets, planted) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let seed = seed.or(scenario.seed).unwrap_or_else(fresh_seed);
    say!("seed: {seed}");
    say!("code: {}", code_line());
    say!(
        "running {}: {} nodes, {} clients, {} scheduled faults, {:.1} s simulated (+ up to {:.1} s liveness phase)",
        scenario.name,
        scenario.cluster.nodes,
        scenario.workload.clients,
        scenario.faults.len(),
        scenario.duration_ms as f64 / 1e3,
        scenario.liveness.timeout_ms as f64 / 1e3,
    );
    if let Some(line) = planted_bugs_line(&scenario) {
        say!("{line}");
    }

    let started = Instant::now();
    let output = sim::run_on_fresh_thread(&scenario, seed);
    let wall_s = started.elapsed().as_secs_f64();
    let history = &output.history;
    let verdict = judge(history);
    say!("{}", operations_line(history));
    say!(
        "simulated {:.1} s in {:.2} s wall ({:.0}× real time)",
        output.stats.simulated_ns as f64 / 1e9,
        wall_s,
        output.stats.simulated_ns as f64 / 1e9 / wall_s.max(1e-9)
    );
    let network = output.stats.network;
    say!(
        "network: {} messages, {} cut by partitions, {} lost to down nodes, {} snapshots sent; disk: {} unsynced writes lost in crashes",
        network.sent, network.cut, network.lost, network.snapshots_delivered, output.stats.disk_writes_lost
    );
    if network.dropped + network.duplicated + network.reordered + network.held > 0 {
        say!(
            "link faults: {} messages dropped, {} duplicated, {} reordered, {} held",
            network.dropped,
            network.duplicated,
            network.reordered,
            network.held
        );
    }
    say!("{}", verdict.summary().trim_end());

    let replay = replay_command(path, &changes, seed);
    let directory = run_directory(reports_root, &scenario.name, seed);
    let scenario_toml = scenario_as_run(&scenario, seed);
    let report = RunReport {
        scenario_toml: &scenario_toml,
        code: &code_line(),
        history,
        verdict: &verdict,
        replay_command: &replay,
        planted_bugs: &bug_names(&scenario),
    };
    match report.write(&directory) {
        Ok(()) => say!("report: {}/", directory.display()),
        Err(error) => eprintln!(
            "warning: could not write the report to {}: {error}",
            directory.display()
        ),
    }
    let code = verdict.exit_code() as u8;
    if code != 0 {
        say!("replay: {replay}");
    }
    code
}

/// A seed nobody chose: from the OS's randomness (std's hasher keys), outside any
/// simulation.
fn fresh_seed() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(std::process::id().into());
    hasher.finish() % 1_000_000_000
}

/// "812 operations: 790 ok, 12 failed, 10 unknown; 6 faults; 3 leader elections".
pub fn operations_line(history: &History) -> String {
    let count = |f: fn(&Outcome) -> bool| history.ops.iter().filter(|op| f(&op.outcome)).count();
    format!(
        "{} operations: {} ok, {} failed, {} unknown; {} faults; {} leader elections",
        history.ops.len(),
        count(|o| matches!(o, Outcome::Ok(_))),
        count(|o| matches!(o, Outcome::Failed { .. })),
        count(|o| matches!(o, Outcome::Unknown { .. })),
        history.faults.len(),
        history.leaders.len()
    )
}
