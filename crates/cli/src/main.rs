//! `lockstep`: deterministic simulation and chaos testing of Raft-replicated, etcd-like
//! key-value stores.

mod check_command;
mod outcome;
mod run_command;
mod seeds;
mod sweep_command;

use clap::{Parser, Subcommand};
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
        /// Where reports go: <DIR>/<scenario>/<seed>/.
        #[arg(long, default_value = "reports", value_name = "DIR")]
        reports: PathBuf,
    },
    /// Run one scenario with many seeds on all cores; report every failing seed.
    ///
    /// Prints progress, then one line per failing seed with its replay command, and
    /// writes a report for each failing seed. Exits non-zero if any seed failed.
    Sweep {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Seeds to run: START..END (END excluded), START..=END, or a single seed.
        #[arg(long, default_value = "0..100", value_name = "RANGE")]
        seeds: String,
        /// Simulations to run at once; defaults to the number of cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// Where reports of failing seeds go: <DIR>/<scenario>/<seed>/.
        #[arg(long, default_value = "reports", value_name = "DIR")]
        reports: PathBuf,
    },
    /// Check a recorded history offline: a history.json file or a report directory.
    Check {
        /// A history.json, or a report directory containing one.
        path: PathBuf,
        /// Also write the run as a self-contained HTML timeline (failing operations
        /// outlined in red) to this file.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run {
            scenario,
            seed,
            reports,
        } => run_command::run(&scenario, seed, &reports),
        Command::Sweep {
            scenario,
            seeds,
            jobs,
            reports,
        } => sweep_command::sweep(&scenario, &seeds, jobs, &reports),
        Command::Check { path, html } => check_command::check(&path, html.as_deref()),
    };
    ExitCode::from(code)
}
