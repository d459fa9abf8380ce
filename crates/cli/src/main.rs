//! `lockstep`: deterministic simulation and chaos testing of Raft-replicated, etcd-like
//! key-value stores.

mod bugs_command;
mod calibrate_command;
mod check_command;
mod explain_command;
mod merge_command;
mod outcome;
mod output_directory;
mod progress;
mod quiet_panics;
mod replay_command;
mod run_command;
mod seeds;
mod shrink_command;
mod sweep_command;
mod sweep_results;
mod sweep_summary;
mod tune_command;
mod zoo_command;

use bugs::Bug;
use clap::{Parser, Subcommand};
use seeds::SeedRunOptions;
use std::path::PathBuf;
use std::process::ExitCode;

/// Deterministic simulation and chaos testing of a Raft-replicated, etcd-like key-value
/// store. One seed is one exact, replayable run: real raft-rs consensus, an MVCC store,
/// clients, and a nemesis that partitions and crashes nodes, all on a simulated clock.
///
/// Exit codes: 0 every check holds, 1 a safety violation, 2 bad input or usage,
/// 3 a liveness failure, 4 undecided (a checker ran out of budget).
#[derive(Parser)]
#[command(name = "lockstep", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario with one seed, check the history, write a report.
    ///
    /// Prints the seed first, then the verdict and where the report is. On a failure it
    /// prints the one-line command that replays the identical run.
    Run {
        /// The scenario file (TOML), e.g. scenarios/partitions.toml.
        scenario: PathBuf,
        /// The seed; defaults to the scenario's `seed`, else a random one (printed).
        #[arg(long)]
        seed: Option<u64>,
        /// Change a scenario field for this run, e.g. --set cluster.election_ticks=20;
        /// repeatable.
        ///
        /// FIELD is the dotted name in the scenario file (workload.clients, workload.mix.get,
        /// liveness.timeout_ms, swarm.faults; not [[faults]] entries). VALUE is TOML: 20, true,
        /// '"text"', '[100, 900]'; a bare word such as lock-pause-fenced is a string. The
        /// changed value meets the file's checks, lands in the report's scenario.toml, and
        /// the replay command repeats the flag.
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        /// Plant a known bug in the implementation, e.g. --bug lock-no-recheck; repeatable.
        ///
        /// `lockstep bugs` lists the bugs. It joins the scenario's `bugs` (after any --set
        /// bugs=…), is announced on its own line in the output and in the report, lands in
        /// the report's scenario.toml, and the replay command repeats the flag.
        #[arg(long = "bug", value_name = "NAME", value_parser = bugs_command::parse_bug)]
        bug: Vec<Bug>,
        /// Where reports go: <DIR>/<scenario>/<seed>/.
        #[arg(long, default_value = "reports", value_name = "DIR")]
        reports: PathBuf,
    },
    /// Run one scenario with many seeds on all cores; report every failing seed.
    ///
    /// Prints progress, then one line per failing seed with its replay command, and
    /// writes a report for each failing seed. Writes results.json (one line per seed: the
    /// checks that failed, operations, simulated time) and summary.md (passed and failed
    /// counts, each failing seed's replay command) to --out, by default
    /// reports/sweep/<scenario>/<UTC time>/. Exits non-zero if any seed failed.
    Sweep {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Seeds to run: START..END (END excluded), START..=END, or a single seed.
        #[arg(long, default_value = "0..100", value_name = "RANGE")]
        seeds: String,
        /// Run only shard INDEX of COUNT (0/4 … 3/4): seeds START+k with k % COUNT ==
        /// INDEX. Merge the shards' results directories with `lockstep merge`.
        #[arg(long, value_name = "INDEX/COUNT")]
        shard: Option<String>,
        /// Simulations to run at once; defaults to the number of cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// Change a scenario field for this run, e.g. --set cluster.election_ticks=20;
        /// repeatable.
        ///
        /// FIELD is the dotted name in the scenario file (workload.clients, workload.mix.get,
        /// liveness.timeout_ms, swarm.faults; not [[faults]] entries). VALUE is TOML: 20, true,
        /// '"text"', '[100, 900]'; a bare word such as lock-pause-fenced is a string. The
        /// changed value meets the file's checks, lands in the report's scenario.toml, and
        /// the replay command repeats the flag.
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        /// Plant a known bug in the implementation, e.g. --bug lock-no-recheck; repeatable.
        ///
        /// `lockstep bugs` lists the bugs. It joins the scenario's `bugs` (after any --set
        /// bugs=…), is announced on its own line in the output and in the report, lands in
        /// the report's scenario.toml, and the replay command repeats the flag.
        #[arg(long = "bug", value_name = "NAME", value_parser = bugs_command::parse_bug)]
        bug: Vec<Bug>,
        /// Where reports of failing seeds go: <DIR>/<scenario>/<seed>/.
        #[arg(long, default_value = "reports", value_name = "DIR")]
        reports: PathBuf,
        /// Where to write results.json and summary.md; without it,
        /// <reports>/sweep/<scenario>/<UTC time>[-shard-I-of-N]/.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Hunt for a failing seed: run seeds on all cores until the first failure or until
    /// the time is up.
    ///
    /// Prints the failing seed (the lowest among the seeds under way when the first one
    /// failed), the check it violated, the one-line replay command, and writes its report.
    /// Exits like `run` with that seed, or 0 if no seed failed in time.
    Hunt {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Seeds to try, in order: START..END, START..=END.
        #[arg(long, default_value = "0..1000000000", value_name = "RANGE")]
        seeds: String,
        /// Hunt only shard INDEX of COUNT (0/4 … 3/4): seeds START+k with k % COUNT ==
        /// INDEX, in order; reports the lowest failing seed of its shard.
        #[arg(long, value_name = "INDEX/COUNT")]
        shard: Option<String>,
        /// Give up after this long (e.g. 60s, 5m, 500ms).
        #[arg(long, default_value = "60s", value_parser = check_command::parse_duration)]
        time: std::time::Duration,
        /// Simulations to run at once; defaults to the number of cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// Change a scenario field, as for `run`; repeatable.
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        /// Plant a known bug (see `lockstep bugs`), as for `run`; repeatable.
        #[arg(long = "bug", value_name = "NAME", value_parser = bugs_command::parse_bug)]
        bug: Vec<Bug>,
        /// Where the failing seed's report goes: <DIR>/<scenario>/<seed>/.
        #[arg(long, default_value = "reports", value_name = "DIR")]
        reports: PathBuf,
    },
    /// Compare settings: run every cell of a grid on the same seeds and measure what each
    /// costs.
    ///
    /// Each --set FIELD=V1,V2,… is an axis of the grid (one value: fixed for every cell).
    /// FIELD is any scenario field, or an operator's name: heartbeat_ms (etcd's
    /// --heartbeat-interval: the Raft tick), election_timeout_ms (etcd's
    /// --election-timeout, a whole number of heartbeats), lease_ttl_s (the TTL of every
    /// lease, lock session and election session the workload takes).
    ///
    /// Every cell runs the same seeds, so each meets the same faults at the same moments:
    /// a paired comparison. Per cell it measures failover time, write and read
    /// unavailability, leader churn (and needless elections), lock hand-over latency,
    /// spurious lease expiries, lock overlaps and lost fenced writes per 1,000
    /// acquisitions, and read and write latency, each as median, p99 and a 95% confidence
    /// interval of the median. Writes results.json (every run's numbers), summary.md (a
    /// table per metric) and an SVG chart per metric (the first axis across, a line per
    /// value of the others) to --out, by default reports/tune/<scenario>/<UTC time>/.
    ///
    /// A progress bar (cells, runs, runs/s, time left) is drawn when standard error is a
    /// terminal. Runs that fail a check are counted in the summary and their replay
    /// commands printed; the exit code is 0 unless the input is bad (2).
    Tune {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// An axis (FIELD=V1,V2,…) or a fixed setting (FIELD=VALUE); repeatable.
        #[arg(long = "set", value_name = "FIELD=V1,V2,…")]
        set: Vec<String>,
        /// Seeds every cell runs: START..END (END excluded), START..=END.
        #[arg(long, default_value = "0..100", value_name = "RANGE")]
        seeds: String,
        /// Run only shard INDEX of COUNT (0/4 … 3/4): seeds START+k with k % COUNT ==
        /// INDEX. Merge the shards' directories with `lockstep merge`.
        #[arg(long, value_name = "INDEX/COUNT")]
        shard: Option<String>,
        /// Simulations to run at once; defaults to the number of cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// Plant a known bug (see `lockstep bugs`) in every cell; repeatable.
        #[arg(long = "bug", value_name = "NAME", value_parser = bugs_command::parse_bug)]
        bug: Vec<Bug>,
        /// Where to write results.json, summary.md and the charts.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Without --out, output goes to <DIR>/tune/<scenario>/<UTC time>/.
        #[arg(long, default_value = "reports", value_name = "DIR")]
        reports: PathBuf,
        /// Write summary.md here instead of into the output directory (its chart links
        /// point into the output directory): a study's document.
        #[arg(long, value_name = "FILE")]
        summary: Option<PathBuf>,
        /// Open the summary with this Markdown file's text: a study's title and its
        /// reading of the tables, kept beside the numbers the tool writes.
        #[arg(long, value_name = "FILE")]
        preface: Option<PathBuf>,
    },
    /// Compare the simulator with a real cluster: run the cells a calibration file names
    /// and write a table of real vs simulated min / median / max per measurement, and
    /// whether each qualitative fact holds.
    ///
    /// The calibration file (TOML; see scenarios/calibration/etcd34-real.toml) lists the
    /// real numbers, each with its scenario (relative to the file), its cell's settings
    /// (`heartbeat_ms=100`, as `tune --set` takes them, one value each) and the tune metric
    /// that measures it. Exit code 0 unless the input is bad (2).
    Calibrate {
        /// The calibration file (TOML).
        plan: PathBuf,
        /// Seeds every cell runs: START..END (END excluded), START..=END.
        #[arg(long, default_value = "0..100", value_name = "RANGE")]
        seeds: String,
        /// Simulations to run at once; defaults to the number of cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// Where to write the Markdown report.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Merge the shards of one tune or one sweep (run with --shard I/N on several
    /// machines) into the results and summary (and a tune's charts) one unsharded run
    /// gives.
    ///
    /// Each argument is a shard's output directory (or its results.json); whether they
    /// hold a tune or a sweep is read from their results. Every shard must be there
    /// exactly once, from the same scenario, settings, seeds and code; the merged
    /// results.json is byte for byte the one an unsharded run writes.
    Merge {
        /// The shards' output directories.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Where to write the merged output.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Without --out, output goes to <DIR>/tune/<scenario>/<UTC time>-merged/ (or
        /// <DIR>/sweep/…).
        #[arg(long, default_value = "reports", value_name = "DIR")]
        reports: PathBuf,
    },
    /// Rerun the run a report recorded (its scenario.toml, seed pinned) and confirm that
    /// the history is byte for byte the recorded history.json.
    ///
    /// Says "identical" and prints the verdict (exiting with its code), or shows the first
    /// line where the histories differ (exit 1: the run was not deterministic).
    Replay {
        /// A report directory, e.g. reports/partitions/7/.
        report: PathBuf,
    },
    /// Shrink a failing run to a small scenario that fails the same check: fewer faults,
    /// shorter faults, fewer clients, a shorter run, fewer nodes.
    ///
    /// Every smaller variant is tried with the run's seed first; once none fails there,
    /// those with fewer faults, clients, rounds or nodes are tried on the next 64 seeds,
    /// and shrinking goes on with the seed that failed. The file pins the seed it fails on.
    ///
    /// Writes the result as a scripted scenario, with a comment saying what it shows, to
    /// scenarios/regressions/<scenario>-<check>-<seed>.toml (or --out DIR). Deterministic:
    /// the same report always shrinks to the same file.
    Shrink {
        /// A failing run's report directory, e.g. reports/lock-pause/4/.
        report: PathBuf,
        /// Where to write the shrunk scenario.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Measure the bug zoo: hunt each planted bug on its detection scenario from disjoint
    /// seed ranges, shrink its first failure, and write the table as Markdown.
    ///
    /// The table (seeds to first detection, median and max; the check that caught it; the
    /// shrunk reproducer's size and the shrink time) starts with the command that made it.
    /// The shrunk scenarios go to --regressions.
    Zoo {
        /// Independent hunts per bug.
        #[arg(long, default_value_t = 20)]
        hunts: u64,
        /// A hunt gives up after this many seeds.
        #[arg(long, default_value_t = 200)]
        max_seeds: u64,
        /// Simulations to run at once; defaults to the number of cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// The Markdown table.
        #[arg(long, default_value = "reports/bug-zoo.md", value_name = "FILE")]
        out: PathBuf,
        /// Where the shrunk reproducers go.
        #[arg(long, default_value = "scenarios/regressions", value_name = "DIR")]
        regressions: PathBuf,
    },
    /// Explain a failure: what failed, then the faults, elections and evidence around it
    /// in simulated time, with the node that led just before.
    Explain {
        /// A report directory, e.g. reports/partitions/7/.
        report: PathBuf,
    },
    /// Check recorded histories offline: lockstep's own, Jepsen register logs, EDN kv and
    /// lock histories.
    ///
    /// Each PATH may be a history file, a report directory (its history.json) or a folder
    /// of histories (checked in name order, subfolders included). The format of each file
    /// is detected: lockstep history JSON is checked against etcd's key-value semantics
    /// (plus liveness), Jepsen log lines against a register, EDN lines against Porcupine's
    /// key-value-with-append store, or against a lock (mutex) when their :f is :acquire or
    /// :release. Exits with the worst verdict, or 2 if a file could not
    /// be read (naming its line and what was expected).
    Check {
        /// History files, report directories or folders of histories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Require this model; a file in another model's format is an error.
        #[arg(long, value_enum)]
        model: Option<check_command::ModelName>,
        /// Print the verdicts as one JSON document (file, model, operations, check_ms, verdict).
        #[arg(long)]
        json: bool,
        /// Give up on a file after this long (e.g. 10s, 500ms, 2m): its verdict is then
        /// undecided (exit 4), saying how far the search got.
        #[arg(long, default_value = "10s", value_parser = check_command::parse_duration)]
        timeout: std::time::Duration,
        /// Also write the run as a self-contained HTML timeline (failing operations
        /// outlined in red) to this file; one lockstep history only.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// List the bugs that can be planted (--bug NAME, or `bugs = ["NAME"]` in a scenario):
    /// name, what goes wrong, where it was reported.
    ///
    /// Each is a real failure of etcd, its Raft library or its client recipes, reproduced
    /// in lockstep's own implementation, so a check can be shown to catch it while the
    /// correct code passes the very same seeds.
    Bugs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run {
            scenario,
            seed,
            set,
            bug,
            reports,
        } => run_command::run(&scenario, &set, &bug, seed, &reports),
        Command::Sweep {
            scenario,
            seeds,
            shard,
            jobs,
            set,
            bug,
            reports,
            out,
        } => sweep_command::sweep(&sweep_command::SweepOptions {
            run: SeedRunOptions {
                scenario: &scenario,
                sets: &set,
                planted: &bug,
                seeds: &seeds,
                shard: shard.as_deref(),
                jobs,
                reports: &reports,
                out: out.as_deref(),
            },
            stop: sweep_command::Stop::AtTheEnd,
        }),
        Command::Hunt {
            scenario,
            seeds,
            shard,
            time,
            jobs,
            set,
            bug,
            reports,
        } => sweep_command::sweep(&sweep_command::SweepOptions {
            run: SeedRunOptions {
                scenario: &scenario,
                sets: &set,
                planted: &bug,
                seeds: &seeds,
                shard: shard.as_deref(),
                jobs,
                reports: &reports,
                out: None,
            },
            stop: sweep_command::Stop::AtFirstFailure { budget: time },
        }),
        Command::Check {
            paths,
            model,
            json,
            timeout,
            html,
        } => {
            let options = check_command::CheckOptions {
                model,
                json,
                html,
                timeout,
            };
            check_command::check(&paths, &options)
        }
        Command::Tune {
            scenario,
            set,
            seeds,
            shard,
            jobs,
            bug,
            out,
            reports,
            summary,
            preface,
        } => tune_command::tune(&tune_command::TuneOptions {
            run: SeedRunOptions {
                scenario: &scenario,
                sets: &set,
                planted: &bug,
                seeds: &seeds,
                shard: shard.as_deref(),
                jobs,
                reports: &reports,
                out: out.as_deref(),
            },
            summary: summary.as_deref(),
            preface: preface.as_deref(),
        }),
        Command::Calibrate {
            plan,
            seeds,
            jobs,
            out,
        } => calibrate_command::calibrate(&calibrate_command::CalibrateOptions {
            plan: &plan,
            seeds: &seeds,
            jobs,
            out: &out,
        }),
        Command::Merge {
            shards,
            out,
            reports,
        } => merge_command::merge_shards(&shards, out.as_deref(), &reports),
        Command::Replay { report } => replay_command::replay(&report),
        Command::Explain { report } => explain_command::explain(&report),
        Command::Zoo {
            hunts,
            max_seeds,
            jobs,
            out,
            regressions,
        } => zoo_command::zoo(&zoo_command::ZooOptions {
            hunts,
            max_seeds,
            jobs: seeds::job_count(jobs),
            table: &out,
            regressions: &regressions,
        }),
        Command::Shrink { report, out } => shrink_command::shrink(&report, out.as_deref()),
        Command::Bugs => bugs_command::list(),
    };
    ExitCode::from(code)
}
