//! `lockstep calibrate`: runs the cells a calibration file names (see
//! `tune::calibration`) on the same seeds and writes the sim-vs-real comparison.

use crate::outcome::{code_line, invoked_command, say, EXIT_BAD_INPUT};
use crate::seeds::{job_count, parse_seed_range};
use crate::tune_command::measure;
use scenario::{Override, Scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use tune::calibration::{report_markdown, CalibrationPlan, CalibrationProvenance, CellSpec};
use tune::grid::{scenario_overrides, Grid, Setting};
use tune::metrics::RunMetrics;

/// What `lockstep calibrate` was asked to do.
pub struct CalibrateOptions<'a> {
    pub plan: &'a Path,
    pub seeds: &'a str,
    pub jobs: Option<usize>,
    pub out: &'a Path,
}

pub fn calibrate(options: &CalibrateOptions) -> u8 {
    let prepared = load_plan(options.plan).and_then(|(plan, cells)| {
        let range = parse_seed_range(options.seeds)?;
        Ok((plan, cells, range))
    });
    let (plan, cells, range) = match prepared {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_BAD_INPUT;
        }
    };
    let seeds: Vec<u64> = range.collect();
    let jobs = job_count(options.jobs);
    say!(
        "calibrating {}: {} cells × {} seeds on {jobs} threads",
        options.plan.display(),
        cells.len(),
        seeds.len()
    );
    let started = Instant::now();
    let runs = run_cells(&cells, &seeds, jobs);
    let wall_s = started.elapsed().as_secs_f64();
    let command = invoked_command();
    let code = code_line();
    let provenance = CalibrationProvenance {
        command: &command,
        code: &code,
        seeds: options.seeds,
        wall: Some((wall_s, jobs)),
    };
    let report = report_markdown(&plan, &runs, &provenance);
    if let Some(directory) = options.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Err(error) = std::fs::create_dir_all(directory) {
            eprintln!("error: cannot create {}: {error}", directory.display());
            return EXIT_BAD_INPUT;
        }
    }
    if let Err(error) = std::fs::write(options.out, report) {
        eprintln!("error: cannot write {}: {error}", options.out.display());
        return EXIT_BAD_INPUT;
    }
    say!(
        "{} runs in {wall_s:.1} s; report: {}",
        cells.len() * seeds.len(),
        options.out.display()
    );
    0
}

/// Reads a calibration file and every cell's scenario (a scenario path is relative to
/// the file), with its settings applied.
pub fn load_plan(path: &Path) -> Result<(CalibrationPlan, Vec<(CellSpec, Scenario)>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("{}: cannot read the file: {error}", path.display()))?;
    let plan = CalibrationPlan::parse(&text, &path.display().to_string())?;
    let base = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    let cells = plan
        .cells()
        .into_iter()
        .map(|cell| {
            let scenario = cell_scenario(&base.join(&cell.scenario), &cell.set)
                .map_err(|message| format!("{}: {message}", path.display()))?;
            Ok((cell, scenario))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((plan, cells))
}

/// The scenario at `file` with `sets` (one value each, in the grid's words:
/// `heartbeat_ms=100`) applied.
fn cell_scenario(file: &Path, sets: &[String]) -> Result<Scenario, String> {
    let grid = Grid::parse(sets)?;
    if let Some(axis) = grid.axes.first() {
        return Err(format!(
            "{} is given several values; a calibration cell takes one",
            axis.field
        ));
    }
    let base = Scenario::load(file).map_err(|error| error.to_string())?;
    let settings: Vec<Setting> = grid.fixed;
    let overrides = scenario_overrides(&settings, &base)?
        .iter()
        .map(|text| Override::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| error.to_string())?;
    Scenario::load_with(file, &overrides).map_err(|error| error.to_string())
}

/// Every seed of every cell, measured, on `jobs` threads; each cell's runs in seed order.
pub fn run_cells(
    cells: &[(CellSpec, Scenario)],
    seeds: &[u64],
    jobs: usize,
) -> BTreeMap<CellSpec, Vec<RunMetrics>> {
    let total = cells.len() * seeds.len();
    let next_run = AtomicUsize::new(0);
    let measured: Mutex<Vec<(usize, RunMetrics)>> = Mutex::new(Vec::with_capacity(total));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let index = next_run.fetch_add(1, Ordering::Relaxed);
                if index >= total {
                    return;
                }
                let (cell, seed) = (index / seeds.len(), seeds[index % seeds.len()]);
                let metrics = measure(&cells[cell].1, seed);
                measured
                    .lock()
                    .expect("no run panics while holding the lock")
                    .push((cell, metrics));
            });
        }
    });
    let mut runs: BTreeMap<CellSpec, Vec<RunMetrics>> = BTreeMap::new();
    let mut measured = measured.into_inner().expect("every run finished");
    measured.sort_by_key(|(cell, metrics)| (*cell, metrics.seed));
    for (cell, metrics) in measured {
        runs.entry(cells[cell].0.clone()).or_default().push(metrics);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use tune::calibration::Expectation;

    /// The qualitative facts of the etcd 3.4 calibration hold in simulation: every paused
    /// lock holder's critical section is overlapped, a new leader restarts a lease at its
    /// full TTL (plus an election timeout), a second election round happens at short
    /// election timeouts and never at 3000 ms. Deterministic: simulated time only, a few
    /// seeds.
    #[test]
    fn the_etcd34_calibration_facts_hold_in_simulation() {
        let plan_path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scenarios/calibration/etcd34-real.toml");
        let (plan, cells) = load_plan(&plan_path).unwrap();
        // The facts of issue 7, as the file must state them for this test to mean them.
        let states = |metric: &str, expect: Expectation| {
            plan.facts
                .iter()
                .any(|fact| fact.metric == metric && fact.expect == expect)
        };
        assert!(states("overlapping_acquisitions", Expectation::All));
        assert!(states("lease_expiry_from_promotion_s", Expectation::All));
        assert!(states("lease_expiry_s", Expectation::All));
        assert!(states("second_round_share", Expectation::Some));
        assert!(states("second_round_share", Expectation::Rare));
        let fact_cells: Vec<(CellSpec, Scenario)> = cells
            .into_iter()
            .filter(|(cell, _)| plan.facts.iter().any(|fact| &fact.cell == cell))
            .collect();
        let seeds: Vec<u64> = (0..12).collect();
        let runs = run_cells(&fact_cells, &seeds, 2);
        for fact in &plan.facts {
            let outcome = fact.outcome(&runs[&fact.cell]);
            assert!(
                outcome.holds,
                "{}: expected {:?} of `{}` ≥ {}, got {} of {} values",
                fact.name, fact.expect, fact.metric, fact.at_least, outcome.reached, outcome.values
            );
        }
    }
}
