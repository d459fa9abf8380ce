//! `lockstep tune`: every cell of a grid of settings on the same seeds, on all cores;
//! measures each run and writes results.json, summary.md and SVG charts.

use crate::outcome::{
    code_line, invoked_command, judge, replay_command, say, Changes, EXIT_BAD_INPUT,
};
use crate::output_directory::default_directory;
use crate::progress::Progress;
use crate::seeds::SeedRunOptions;
use bugs::Bugs;
use check::CheckResult;
use scenario::{Override, Scenario};
use shard::Shard;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;
use tune::grid::{scenario_overrides, Grid, Setting};
use tune::metrics::{RunMetrics, RunShape};
use tune::results::{settings_text, CellResults, TuneHeader, TuneResults, FORMAT};
use tune::summary::Provenance;

/// At most this many replay commands of runs that failed a check are printed.
const REPLAYS_SHOWN: usize = 5;

/// What `lockstep tune` was asked to do.
pub struct TuneOptions<'a> {
    /// Its `sets` are the grid's axes and fixed settings.
    pub run: SeedRunOptions<'a>,
    /// Where summary.md goes instead of the output directory.
    pub summary: Option<&'a Path>,
    /// A Markdown file whose text opens the summary.
    pub preface: Option<&'a Path>,
}

/// One cell, ready to run.
struct Cell {
    settings: Vec<Setting>,
    scenario: Scenario,
    changes: Changes,
}

pub fn tune(options: &TuneOptions) -> u8 {
    let preface = match options.preface.map(std::fs::read_to_string).transpose() {
        Ok(preface) => preface,
        Err(error) => {
            eprintln!(
                "error: --preface {}: cannot read it: {error}",
                options
                    .preface
                    .map_or(String::new(), |path| path.display().to_string())
            );
            return EXIT_BAD_INPUT;
        }
    };
    match prepare(options) {
        Ok((cells, header, shard)) => run_grid(options, cells, header, shard, preface),
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_BAD_INPUT
        }
    }
}

/// Reads the grid and every cell's scenario before anything runs: a cell that cannot run
/// is found at once, not an hour in.
fn prepare(options: &TuneOptions) -> Result<(Vec<Cell>, TuneHeader, Option<Shard>), String> {
    let grid = Grid::parse(options.run.sets)?;
    let base = Scenario::load(options.run.scenario).map_err(|error| error.to_string())?;
    let (range, shard) = options.run.seed_plan()?;
    let bugs: Bugs = options.run.planted.iter().copied().collect();
    let mut cells = Vec::new();
    for settings in grid.cells() {
        let in_cell =
            |message: String| format!("in the cell {}: {message}", settings_text(&settings));
        let overrides = scenario_overrides(&settings, &base)
            .map_err(in_cell)?
            .iter()
            .map(|text| Override::parse(text))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| in_cell(error.to_string()))?;
        let mut scenario = Scenario::load_with(options.run.scenario, &overrides)
            .map_err(|error| in_cell(error.to_string()))?;
        for bug in bugs.iter() {
            scenario.bugs.insert(bug);
        }
        cells.push(Cell {
            settings,
            scenario,
            changes: Changes {
                overrides,
                bugs: bugs.clone(),
            },
        });
    }
    let header = TuneHeader {
        format: FORMAT.to_string(),
        scenario: base.name.clone(),
        scenario_file: options.run.scenario.display().to_string(),
        code: code_line(),
        bugs: bugs.iter().map(|bug| bug.name().to_string()).collect(),
        seeds_start: range.start,
        seeds_end: range.end,
        grid,
    };
    Ok((cells, header, shard))
}

/// A run's numbers, or why it could not give any.
struct Measured {
    cell: usize,
    metrics: RunMetrics,
}

fn run_grid(
    options: &TuneOptions,
    cells: Vec<Cell>,
    header: TuneHeader,
    shard: Option<Shard>,
    preface: Option<String>,
) -> u8 {
    let seeds: Vec<u64> = shard
        .unwrap_or(Shard::WHOLE)
        .seeds(&(header.seeds_start..header.seeds_end))
        .collect();
    let jobs = options.run.job_count();
    let total = cells.len() * seeds.len();
    say!(
        "tuning {}: {} cells × {} seeds{} = {total} runs on {jobs} threads",
        header.scenario,
        cells.len(),
        seeds.len(),
        shard.map_or(String::new(), |shard| format!(" (shard {shard})")),
    );
    say!("code: {}", header.code);
    for axis in &header.grid.axes {
        say!("  {}: {}", axis.field, axis.values.join(", "));
    }

    let started = Instant::now();
    let next_run = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel::<Measured>();
    let mut runs: Vec<Vec<RunMetrics>> = cells.iter().map(|_| Vec::new()).collect();
    let mut progress = Progress::new(total, cells.len(), seeds.len());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let sender = sender.clone();
            let (cells, seeds, next_run) = (&cells, &seeds, &next_run);
            // Cell by cell, so cells finish one after another and progress says so.
            scope.spawn(move || loop {
                let index = next_run.fetch_add(1, Ordering::Relaxed);
                if index >= total {
                    return;
                }
                let (cell, seed) = (index / seeds.len(), seeds[index % seeds.len()]);
                let metrics = measure(&cells[cell].scenario, seed);
                if sender.send(Measured { cell, metrics }).is_err() {
                    return;
                }
            });
        }
        drop(sender);
        for measured in receiver {
            runs[measured.cell].push(measured.metrics);
            progress.one_done(measured.cell, started.elapsed());
        }
    });
    progress.finish();
    let wall_s = started.elapsed().as_secs_f64();

    let cells_results: Vec<CellResults> = cells
        .iter()
        .zip(runs)
        .map(|(cell, mut runs)| {
            runs.sort_by_key(|run| run.seed);
            CellResults {
                settings: cell.settings.clone(),
                runs,
            }
        })
        .collect();
    let failing: Vec<String> = cells
        .iter()
        .zip(&cells_results)
        .flat_map(|(cell, results)| {
            results
                .runs
                .iter()
                .filter(|run| !run.failed_checks.is_empty())
                .map(|run| {
                    format!(
                        "{} ({}): {}",
                        run.failed_checks.join(", "),
                        settings_text(&cell.settings),
                        replay_command(options.run.scenario, &cell.changes, run.seed)
                    )
                })
        })
        .collect();
    let results = TuneResults {
        header,
        shard,
        cells: cells_results,
    };
    let directory = options.run.out.map_or_else(
        || default_directory(options.run.reports, "tune", &results.header.scenario, shard),
        Path::to_path_buf,
    );
    let provenance = Provenance {
        command: invoked_command(),
        wall: Some((wall_s, jobs)),
        preface,
        charts_prefix: String::new(),
    };
    if let Err(error) = tune::write_outputs(&directory, options.summary, &results, &provenance) {
        eprintln!("error: cannot write {}: {error}", directory.display());
        return EXIT_BAD_INPUT;
    }
    say!(
        "{total} runs in {wall_s:.1} s ({:.1} runs/s)",
        total as f64 / wall_s.max(1e-9)
    );
    if !failing.is_empty() {
        say!(
            "{} runs failed a check (counted in the summary's Safety table); the first:",
            failing.len()
        );
        for line in failing.iter().take(REPLAYS_SHOWN) {
            say!("  {line}");
        }
    }
    say!("results: {}/results.json", directory.display());
    say!(
        "summary: {}",
        options.summary.map_or_else(
            || directory.join("summary.md").display().to_string(),
            |path| path.display().to_string()
        )
    );
    0
}

/// Runs one seed of a cell and measures it. A run that panics (a bug in lockstep, or an
/// assertion of raft-rs) is kept as a run that failed the check `panic`, with no numbers.
pub(crate) fn measure(scenario: &Scenario, seed: u64) -> RunMetrics {
    let shape = RunShape {
        nodes: scenario.cluster.nodes,
        safety_phase_ns: scenario.duration_ms * 1_000_000,
        clients_start_ns: scenario.workload.start_ms * 1_000_000,
    };
    match std::panic::catch_unwind(|| sim::run_on_fresh_thread(scenario, seed)) {
        Ok(output) => {
            let failed: Vec<String> = judge(&output.history)
                .checks
                .into_iter()
                .filter(|report| matches!(report.result, CheckResult::Violation { .. }))
                .map(|report| report.check)
                .collect();
            RunMetrics::measure(&output.history, shape, failed)
        }
        Err(_) => {
            let history = history::History::new(scenario.name.clone(), seed);
            RunMetrics::measure(&history, shape, vec!["panic".to_string()])
        }
    }
}
