//! `lockstep sweep`: many seeds of one scenario on all cores; `lockstep hunt`: the same,
//! stopping at the first failure or when its time is up.

use crate::outcome::{
    bug_names, code_line, invoked_command, judge, load_scenario, planted_bugs_line, replay_command,
    say, scenario_as_run, worse, EXIT_BAD_INPUT,
};
use crate::output_directory::default_directory;
use crate::seeds::SeedRunOptions;
use crate::sweep_results::{SeedOutcome, SweepHeader, SweepResults, FORMAT};
use crate::sweep_summary::write_outputs;
use check::{CheckResult, Verdict};
use history::History;
use report::{run_directory, RunReport};
use shard::Shard;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A hunt without a terminal reports progress every this many seeds.
const HUNT_PROGRESS_EVERY_SEEDS: u64 = 100;

struct SeedResult {
    seed: u64,
    simulated_ns: u64,
    ops: usize,
    failure: Option<SeedFailure>,
}

enum SeedFailure {
    /// A check failed: the history is kept to write the seed's report.
    Check {
        verdict: Verdict,
        history: Box<History>,
    },
    /// The simulation itself panicked (a bug in lockstep, or an assertion of raft-rs
    /// tripped by what the run did): the sweep goes on, and the seed is reported.
    Panic(String),
}

/// Exit code of a sweep in which a simulation panicked: a failure, like a violation.
const EXIT_PANIC: u8 = 1;

/// When a sweep stops.
#[derive(Clone, Copy, Debug)]
pub enum Stop {
    /// After every seed of the range (`sweep`).
    AtTheEnd,
    /// At the first failing seed, or once `budget` has passed (`hunt`): seeds under way
    /// then finish, and the lowest failing seed among them is the one reported.
    AtFirstFailure { budget: Duration },
}

/// What `lockstep sweep` or `lockstep hunt` was asked to do.
pub struct SweepOptions<'a> {
    pub run: SeedRunOptions<'a>,
    pub stop: Stop,
}

pub fn sweep(options: &SweepOptions) -> u8 {
    let (path, reports_root, stop) = (options.run.scenario, options.run.reports, options.stop);
    let (scenario, changes) = match load_scenario(path, options.run.sets, options.run.planted) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let (range, shard) = match options.run.seed_plan() {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_BAD_INPUT;
        }
    };
    let part = shard.unwrap_or(Shard::WHOLE);
    let total = part.seed_count(&range);
    let jobs = options.run.job_count();
    // Progress lines name the shard, so the logs of shards run side by side tell apart.
    let shard_prefix = shard.map_or(String::new(), |shard| format!("shard {shard}: "));
    match (stop, shard) {
        (Stop::AtTheEnd, None) => say!(
            "sweeping {}: seeds {}..{} ({total} runs) on {jobs} threads",
            scenario.name,
            range.start,
            range.end
        ),
        (Stop::AtTheEnd, Some(shard)) => say!(
            "sweeping {}: shard {shard}, {} ({total} runs) on {jobs} threads",
            scenario.name,
            shard_seeds_text(shard, &range),
        ),
        (Stop::AtFirstFailure { budget }, None) => say!(
            "hunting in {}: seeds from {} on {jobs} threads, for up to {:.0} s or the first failure",
            scenario.name,
            range.start,
            budget.as_secs_f64()
        ),
        (Stop::AtFirstFailure { budget }, Some(shard)) => say!(
            "hunting in {}: shard {shard}, {} on {jobs} threads, for up to {:.0} s or the first failure",
            scenario.name,
            shard_seeds_text(shard, &range),
            budget.as_secs_f64()
        ),
    }
    say!("code: {}", code_line());
    if let Some(line) = planted_bugs_line(&scenario) {
        say!("{line}");
    }
    let planted_bugs = bug_names(&scenario);

    let started = Instant::now();
    let next_position = AtomicU64::new(0);
    let stopped = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel::<SeedResult>();
    let mut exit_code = 0;
    let mut failures: Vec<(u64, String)> = Vec::new();
    let mut outcomes: Vec<SeedOutcome> = Vec::new();
    let (mut done, mut simulated_ns, mut ops) = (0u64, 0u64, 0usize);
    let interactive = std::io::stderr().is_terminal();

    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let sender = sender.clone();
            let (scenario, next_position, range) = (&scenario, &next_position, &range);
            let stopped = &stopped;
            // Each worker runs one simulation after another, each on a fresh thread.
            scope.spawn(move || loop {
                if stopped.load(Ordering::Relaxed) {
                    return;
                }
                if let Stop::AtFirstFailure { budget } = stop {
                    if started.elapsed() >= budget {
                        return;
                    }
                }
                let position = next_position.fetch_add(1, Ordering::Relaxed);
                let Some(seed) = part.nth_seed(range, position) else {
                    return;
                };
                let run = std::panic::catch_unwind(|| sim::run_on_fresh_thread(scenario, seed));
                let result = match run {
                    Ok(output) => {
                        let verdict = judge(&output.history);
                        SeedResult {
                            seed,
                            simulated_ns: output.stats.simulated_ns,
                            ops: output.history.ops.len(),
                            failure: (!verdict.is_ok()).then_some(SeedFailure::Check {
                                verdict,
                                history: Box::new(output.history),
                            }),
                        }
                    }
                    Err(panic) => SeedResult {
                        seed,
                        simulated_ns: 0,
                        ops: 0,
                        failure: Some(SeedFailure::Panic(panic_message(panic.as_ref()))),
                    },
                };
                if sender.send(result).is_err() {
                    return;
                }
            });
        }
        drop(sender);

        for result in receiver {
            done += 1;
            if result.failure.is_some() && matches!(stop, Stop::AtFirstFailure { .. }) {
                stopped.store(true, Ordering::Relaxed);
            }
            simulated_ns += result.simulated_ns;
            ops += result.ops;
            // A hunt keeps no results: it may run for hours, and stops at its first failure.
            if let Stop::AtTheEnd = stop {
                outcomes.push(outcome(&result));
            }
            if let Some(SeedFailure::Panic(message)) = &result.failure {
                exit_code = worse(exit_code, EXIT_PANIC);
                let replay = replay_command(path, &changes, result.seed);
                if interactive {
                    eprint!("\r\x1b[K");
                }
                say!(
                    "seed {} FAILED: the simulation panicked: {message}\n  replay: {replay}",
                    result.seed
                );
                failures.push((result.seed, replay));
            }
            if let Some(SeedFailure::Check { verdict, history }) = &result.failure {
                let code = verdict.exit_code() as u8;
                exit_code = worse(exit_code, code);
                let replay = replay_command(path, &changes, result.seed);
                let directory = run_directory(reports_root, &scenario.name, result.seed);
                let scenario_toml = scenario_as_run(&scenario, result.seed);
                let report = RunReport {
                    scenario_toml: &scenario_toml,
                    code: &code_line(),
                    history,
                    verdict,
                    replay_command: &replay,
                    planted_bugs: &planted_bugs,
                };
                if let Err(error) = report.write(&directory) {
                    eprintln!("warning: could not write {}: {error}", directory.display());
                }
                let first_failure = verdict
                    .summary()
                    .lines()
                    .find(|line| !line.contains(": ok"))
                    .unwrap_or("")
                    .to_string();
                if interactive {
                    eprint!("\r\x1b[K");
                }
                say!("seed {} FAILED (exit {code}): {first_failure}\n  replay: {replay}\n  report: {}/", result.seed, directory.display());
                failures.push((result.seed, replay));
            }
            let elapsed = started.elapsed().as_secs_f64();
            let rate = done as f64 / elapsed.max(1e-9);
            let (progress, every) = match stop {
                Stop::AtTheEnd => (
                    format!(
                        "{shard_prefix}{done}/{total} seeds, {} failed, {rate:.1} seeds/s, about {:.0} s left",
                        failures.len(),
                        (total - done) as f64 / rate.max(1e-9)
                    ),
                    (total / 10).max(1),
                ),
                Stop::AtFirstFailure { budget } => (
                    format!(
                        "{shard_prefix}{done} seeds, {} failed, {rate:.1} seeds/s, {:.0} s of {:.0} s used",
                        failures.len(),
                        elapsed,
                        budget.as_secs_f64()
                    ),
                    HUNT_PROGRESS_EVERY_SEEDS,
                ),
            };
            if interactive {
                eprint!("\r\x1b[K{progress}");
                let _ = std::io::stderr().flush();
            } else if done % every == 0 || done == total {
                eprintln!("{progress}");
            }
        }
    });
    if interactive {
        eprintln!();
    }

    let wall_s = started.elapsed().as_secs_f64();
    say!(
        "{done} seeds in {wall_s:.1} s: {:.0} seeds/min, {:.0} simulated s per wall s, {ops} operations checked",
        done as f64 * 60.0 / wall_s.max(1e-9),
        simulated_ns as f64 / 1e9 / wall_s.max(1e-9),
    );
    if let Stop::AtFirstFailure { .. } = stop {
        failures.sort();
        match (failures.first(), shard) {
            (None, None) => say!(
                "no failure in {done} seeds (seeds {}..{})",
                range.start,
                range.start + done
            ),
            (None, Some(shard)) => say!(
                "no failure in {done} seeds of shard {shard} ({})",
                shard_seeds_text(
                    shard,
                    &(range.start..part.nth_seed(&range, done).unwrap_or(range.end))
                )
            ),
            (Some((seed, replay)), _) => {
                let in_shard = shard.map_or(String::new(), |shard| format!(" in shard {shard}"));
                say!(
                    "found a failure{in_shard}: seed {seed}, {} seeds after the first ({done} run in {wall_s:.1} s)",
                    (seed - range.start - part.index) / part.count + 1
                );
                say!("  replay: {replay}");
            }
        }
        return exit_code;
    }
    outcomes.sort_by_key(|outcome| outcome.seed);
    let results = SweepResults {
        header: SweepHeader {
            format: FORMAT.to_string(),
            scenario: scenario.name.clone(),
            scenario_file: path.display().to_string(),
            code: code_line(),
            bugs: changes
                .bugs
                .iter()
                .map(|bug| bug.name().to_string())
                .collect(),
            sets: changes
                .overrides
                .iter()
                .map(|change| change.as_str().to_string())
                .collect(),
            seeds_start: range.start,
            seeds_end: range.end,
        },
        shard,
        seeds: outcomes,
    };
    let directory = options.run.out.map_or_else(
        || default_directory(reports_root, "sweep", &scenario.name, shard),
        Path::to_path_buf,
    );
    if let Err(message) = write_outputs(&directory, &results, &invoked_command()) {
        eprintln!("error: {message}");
        if exit_code == 0 {
            exit_code = EXIT_BAD_INPUT;
        }
    }
    if failures.is_empty() {
        say!("all {total} seeds passed");
    } else {
        failures.sort();
        say!("{} of {total} seeds failed:", failures.len());
        for (_, replay) in &failures {
            say!("  {replay}");
        }
    }
    say!("results: {}/results.json", directory.display());
    say!("summary: {}/summary.md", directory.display());
    exit_code
}

/// A shard's seeds of `range`, e.g. `seeds 1, 5, 9, … of 0..100`.
fn shard_seeds_text(shard: Shard, range: &std::ops::Range<u64>) -> String {
    const SHOWN: u64 = 3;
    let first: Vec<String> = (0..SHOWN)
        .map_while(|position| shard.nth_seed(range, position))
        .map(|seed| seed.to_string())
        .collect();
    let more = if shard.seed_count(range) > SHOWN {
        ", …"
    } else {
        ""
    };
    format!(
        "seeds {}{more} of {}..{}",
        first.join(", "),
        range.start,
        range.end
    )
}

/// What a seed found, as its results.json line records it.
fn outcome(result: &SeedResult) -> SeedOutcome {
    let (failed_checks, exit) = match &result.failure {
        None => (Vec::new(), 0),
        Some(SeedFailure::Panic(_)) => (vec!["panic".to_string()], EXIT_PANIC),
        Some(SeedFailure::Check { verdict, .. }) => (
            verdict
                .checks
                .iter()
                .filter(|report| !matches!(report.result, CheckResult::Ok { .. }))
                .map(|report| report.check.clone())
                .collect(),
            verdict.exit_code() as u8,
        ),
    };
    SeedOutcome {
        seed: result.seed,
        failed_checks,
        exit,
        ops: result.ops as u64,
        simulated_us: result.simulated_ns / 1_000,
    }
}

/// What a panic said, when it said it with a string (as `panic!` and `expect` do).
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
        .unwrap_or_else(|| "(no message)".to_string())
}
