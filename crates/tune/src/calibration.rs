//! Calibration: the simulator's numbers next to a real cluster's, measurement by
//! measurement.
//!
//! A tuning table is only worth trusting where the simulator matches reality where
//! reality can be measured. A calibration file (TOML, e.g.
//! `scenarios/calibration/etcd34-real.toml`) lists what a real cluster gave: per
//! measurement, the scenario and grid cell that re-enact it, the tune metric that measures
//! it, and the real min / median / max; per qualitative fact, a metric, a threshold and
//! whether every, some or no value must reach it. `lockstep calibrate` runs those cells and
//! writes the comparison ([`report_markdown`]); a test checks the facts on a few seeds
//! ([`Fact::outcome`]). The real numbers are read, never typed into the report.

use crate::catalog::{Metric, METRICS};
use crate::metrics::RunMetrics;
use crate::stats::Summary;
use crate::summary::number;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A median is "matched" when the simulated one lies within this share of the real one.
pub const MEDIAN_TOLERANCE: f64 = 0.20;

/// A calibration file, read and checked.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationPlan {
    /// The report's title.
    pub title: String,
    /// Where the real numbers come from: the cluster, its version and settings, the
    /// machine.
    pub source: String,
    /// Numbers with a min / median / max.
    #[serde(default, rename = "measurement")]
    pub measurements: Vec<Measurement>,
    /// Facts that hold in every trial, in some, or in none.
    #[serde(default, rename = "fact")]
    pub facts: Vec<Fact>,
}

/// One real measurement and where the simulator re-enacts it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    pub name: String,
    #[serde(flatten)]
    pub cell: CellSpec,
    /// The key of the tune metric (see [`METRICS`]) that measures it.
    pub metric: String,
    /// The real cluster's min, median and max, in the metric's unit.
    pub real: [f64; 3],
    /// Why the simulated numbers differ from the real ones, where they do.
    pub note: String,
}

/// A scenario file (relative to the calibration file) and the `--set` settings of the
/// cell that re-enacts a measurement.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellSpec {
    pub scenario: String,
    #[serde(default)]
    pub set: Vec<String>,
}

/// A qualitative fact: of the metric's values over the runs, all, some, none, or fewer
/// than a share reach `at_least`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    pub name: String,
    #[serde(flatten)]
    pub cell: CellSpec,
    pub metric: String,
    pub at_least: f64,
    pub expect: Expectation,
    /// With `expect = "rare"`: the share of values that reach `at_least` must be below
    /// this.
    pub rare_below: Option<f64>,
    /// What the real cluster showed, in words ("10 of 10 trials").
    pub real: String,
    pub note: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expectation {
    /// Every value reaches the threshold (and there is at least one).
    All,
    /// At least one value does.
    Some,
    /// No value does.
    None,
    /// Fewer than `rare_below` of the values do: what a real sample of a handful of
    /// trials reports as "none" when the event is rare but possible.
    Rare,
}

/// How a fact came out in simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FactOutcome {
    /// Values that reached the threshold.
    pub reached: usize,
    /// Values in all.
    pub values: usize,
    pub holds: bool,
}

impl CalibrationPlan {
    /// Parses a calibration file; `file` names it in errors, which say the line and what
    /// is wrong (an unknown metric names the valid ones).
    pub fn parse(text: &str, file: &str) -> Result<CalibrationPlan, String> {
        let plan: CalibrationPlan = toml::from_str(text).map_err(|error| {
            let line = error
                .span()
                .map(|span| text[..span.start].matches('\n').count() + 1);
            let at = line.map_or(String::new(), |line| format!(":{line}"));
            format!("{file}{at}: {}", error.message())
        })?;
        let metric_names = || {
            METRICS
                .iter()
                .map(|metric| metric.key)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let named = plan
            .measurements
            .iter()
            .map(|m| (&m.name, &m.metric))
            .chain(plan.facts.iter().map(|f| (&f.name, &f.metric)));
        for (name, metric) in named {
            if metric_by_key(metric).is_none() {
                return Err(format!(
                    "{file}: {name:?}: no metric {metric:?}; expected one of {}",
                    metric_names()
                ));
            }
        }
        for fact in &plan.facts {
            let rare = fact.expect == Expectation::Rare;
            if rare != fact.rare_below.is_some() {
                return Err(format!(
                    "{file}: {:?}: rare_below is {} with expect = \"rare\" (the share that must not be reached), and only then",
                    fact.name,
                    if rare { "needed" } else { "given" }
                ));
            }
        }
        for measurement in &plan.measurements {
            let [min, median, max] = measurement.real;
            if !(min <= median && median <= max) {
                return Err(format!(
                    "{file}: {:?}: real = [{min}, {median}, {max}] must be min, median, max in order",
                    measurement.name
                ));
            }
        }
        Ok(plan)
    }

    /// Every cell the plan needs, each once, in order.
    pub fn cells(&self) -> Vec<CellSpec> {
        let mut cells: Vec<CellSpec> = self
            .measurements
            .iter()
            .map(|m| m.cell.clone())
            .chain(self.facts.iter().map(|f| f.cell.clone()))
            .collect();
        cells.sort();
        cells.dedup();
        cells
    }
}

fn metric_by_key(key: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|metric| metric.key == key)
}

/// The metric's values over `runs`, pooled.
fn values(metric_key: &str, runs: &[RunMetrics]) -> Vec<f64> {
    let metric = metric_by_key(metric_key).expect("metric keys are checked when parsed");
    runs.iter().flat_map(metric.values).collect()
}

impl Fact {
    /// Whether the fact holds over `runs`.
    pub fn outcome(&self, runs: &[RunMetrics]) -> FactOutcome {
        let values = values(&self.metric, runs);
        let reached = values
            .iter()
            .filter(|&&value| value >= self.at_least)
            .count();
        let holds = match self.expect {
            Expectation::All => !values.is_empty() && reached == values.len(),
            Expectation::Some => reached > 0,
            Expectation::None => reached == 0,
            Expectation::Rare => {
                let below = self.rare_below.unwrap_or(0.0);
                !values.is_empty() && (reached as f64) < below * values.len() as f64
            }
        };
        FactOutcome {
            reached,
            values: values.len(),
            holds,
        }
    }
}

/// The sample's min, median and max, and its size.
fn min_median_max(values: &[f64]) -> Option<(f64, f64, f64, usize)> {
    let summary = Summary::of(values)?;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((min, summary.median, max, summary.n))
}

/// What produced the report, for its header.
pub struct CalibrationProvenance<'a> {
    pub command: &'a str,
    pub code: &'a str,
    pub seeds: &'a str,
    /// Wall time in seconds and threads; `None` leaves it out.
    pub wall: Option<(f64, usize)>,
}

/// The comparison, as Markdown: a table of measurements (real and simulated min / median
/// / max, whether the medians are within [`MEDIAN_TOLERANCE`], the note) and one of facts.
/// `runs` holds each cell's runs, keyed as [`CalibrationPlan::cells`] gives them.
pub fn report_markdown(
    plan: &CalibrationPlan,
    runs: &BTreeMap<CellSpec, Vec<RunMetrics>>,
    provenance: &CalibrationProvenance,
) -> String {
    let mut out = String::new();
    writeln!(out, "# {}\n", plan.title).unwrap();
    writeln!(out, "- command: `{}`", provenance.command).unwrap();
    writeln!(out, "- code: {}", provenance.code).unwrap();
    writeln!(out, "- real cluster: {}", plan.source).unwrap();
    writeln!(out, "- simulated: seeds {} in every cell", provenance.seeds).unwrap();
    if let Some((wall_s, jobs)) = provenance.wall {
        writeln!(out, "- wall time: {wall_s:.1} s on {jobs} threads").unwrap();
    }
    writeln!(
        out,
        "\nBoth columns are min / median / max. The real ones are a handful of trials each; the simulated ones pool every seed (n values), so their min and max spread wider. A median matches when the simulated one is within ±{:.0}% of the real one.\n",
        MEDIAN_TOLERANCE * 100.0
    )
    .unwrap();
    writeln!(out, "## Measurements\n").unwrap();
    writeln!(
        out,
        "| measurement | scenario, cell | real | sim (n) | sim median vs real | within ±{:.0}%? | why they differ |",
        MEDIAN_TOLERANCE * 100.0
    )
    .unwrap();
    writeln!(out, "|---|---|---|---|---|---|---|").unwrap();
    let mut matched = 0;
    for measurement in &plan.measurements {
        let unit = metric_by_key(&measurement.metric).map_or("", |metric| metric.unit);
        let [real_min, real_median, real_max] = measurement.real;
        let sample = runs
            .get(&measurement.cell)
            .map(|runs| values(&measurement.metric, runs))
            .unwrap_or_default();
        let (sim, versus, within) = match min_median_max(&sample) {
            Some((min, median, max, n)) => {
                let off = median / real_median - 1.0;
                let within = off.abs() <= MEDIAN_TOLERANCE;
                matched += usize::from(within);
                (
                    format!(
                        "{} / **{}** / {} ({n})",
                        number(min),
                        number(median),
                        number(max)
                    ),
                    format!("{:+.0}%", off * 100.0),
                    if within { "yes" } else { "**no**" },
                )
            }
            None => ("no values".to_string(), "—".to_string(), "**no**"),
        };
        writeln!(
            out,
            "| {} ({unit}) | {} | {} / **{}** / {} | {sim} | {versus} | {within} | {} |",
            measurement.name,
            cell_text(&measurement.cell),
            number(real_min),
            number(real_median),
            number(real_max),
            measurement.note
        )
        .unwrap();
    }
    writeln!(
        out,
        "\n{matched} of {} medians within ±{:.0}%.\n",
        plan.measurements.len(),
        MEDIAN_TOLERANCE * 100.0
    )
    .unwrap();
    writeln!(out, "## Facts\n").unwrap();
    writeln!(
        out,
        "| fact | scenario, cell | real | expected in simulation | sim | holds? | note |"
    )
    .unwrap();
    writeln!(out, "|---|---|---|---|---|---|---|").unwrap();
    let mut held = 0;
    for fact in &plan.facts {
        let outcome = runs
            .get(&fact.cell)
            .map(|runs| fact.outcome(runs))
            .unwrap_or(FactOutcome {
                reached: 0,
                values: 0,
                holds: false,
            });
        held += usize::from(outcome.holds);
        let expected = match fact.expect {
            Expectation::All => "all".to_string(),
            Expectation::Some => "some".to_string(),
            Expectation::None => "no".to_string(),
            Expectation::Rare => format!("under {:.0}% of", fact.rare_below.unwrap_or(0.0) * 100.0),
        };
        writeln!(
            out,
            "| {} | {} | {} | {expected} `{}` values ≥ {} | {} of {} | {} | {} |",
            fact.name,
            cell_text(&fact.cell),
            fact.real,
            fact.metric,
            number(fact.at_least),
            outcome.reached,
            outcome.values,
            if outcome.holds { "yes" } else { "**no**" },
            fact.note
        )
        .unwrap();
    }
    writeln!(out, "\n{held} of {} facts hold.", plan.facts.len()).unwrap();
    out
}

fn cell_text(cell: &CellSpec) -> String {
    if cell.set.is_empty() {
        return format!("`{}`", cell.scenario);
    }
    format!("`{}` {}", cell.scenario, cell.set.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"
title = "t"
source = "s"

[[measurement]]
name = "failover"
scenario = "a.toml"
set = ["heartbeat_ms=100"]
metric = "failover_s"
real = [1.0, 1.3, 2.4]
note = "n"

[[fact]]
name = "second rounds"
scenario = "a.toml"
set = ["heartbeat_ms=100"]
metric = "second_round_share"
at_least = 1
expect = "some"
real = "1 in 6"
note = "n"
"#;

    fn run(seed: u64, failover_us: Vec<u64>, election_rounds: Vec<u64>) -> RunMetrics {
        let mut run = RunMetrics::measure(
            &history::History::new("a", seed),
            crate::metrics::RunShape {
                nodes: 3,
                safety_phase_ns: 1_000_000_000,
                clients_start_ns: 0,
            },
            Vec::new(),
        );
        run.failover_us = failover_us;
        run.election_rounds = election_rounds;
        run
    }

    #[test]
    fn a_plan_names_each_cell_once() {
        let plan = CalibrationPlan::parse(PLAN, "plan.toml").unwrap();
        assert_eq!(
            plan.cells(),
            vec![CellSpec {
                scenario: "a.toml".to_string(),
                set: vec!["heartbeat_ms=100".to_string()],
            }]
        );
    }

    #[test]
    fn a_bad_plan_names_the_file_the_line_or_the_metric() {
        let unknown = PLAN.replace("\"failover_s\"", "\"failover\"");
        let error = CalibrationPlan::parse(&unknown, "plan.toml").unwrap_err();
        assert!(
            error.starts_with(
                "plan.toml: \"failover\": no metric \"failover\"; expected one of failover_s,"
            ),
            "{error}"
        );
        let typo = PLAN.replace(
            "note = \"n\"\n\n[[fact]]",
            "note = \"n\"\nnotes = 1\n\n[[fact]]",
        );
        let error = CalibrationPlan::parse(&typo, "plan.toml").unwrap_err();
        // The line of the `[[measurement]]` holding it (the entry's fields are read
        // together, so the field's own line is not known).
        assert!(
            error.starts_with("plan.toml:5: unknown field `notes`"),
            "{error}"
        );
        let rare = PLAN.replace("expect = \"some\"", "expect = \"rare\"");
        let error = CalibrationPlan::parse(&rare, "plan.toml").unwrap_err();
        assert!(error.contains("rare_below is needed"), "{error}");
        let unordered = PLAN.replace("[1.0, 1.3, 2.4]", "[1.3, 1.0, 2.4]");
        let error = CalibrationPlan::parse(&unordered, "plan.toml").unwrap_err();
        assert!(
            error.contains("must be min, median, max in order"),
            "{error}"
        );
    }

    #[test]
    fn the_report_compares_medians_and_checks_facts() {
        let plan = CalibrationPlan::parse(PLAN, "plan.toml").unwrap();
        let cell = plan.cells()[0].clone();
        let runs = BTreeMap::from([(
            cell,
            vec![
                run(0, vec![1_200_000, 1_400_000], vec![1, 1]),
                run(1, vec![1_500_000], vec![2]),
            ],
        )]);
        let provenance = CalibrationProvenance {
            command: "lockstep calibrate plan.toml",
            code: "test",
            seeds: "0..2",
            wall: None,
        };
        let report = report_markdown(&plan, &runs, &provenance);
        assert!(
            report.contains("| 1.00 / **1.30** / 2.40 | 1.20 / **1.40** / 1.50 (3) | +8% | yes |"),
            "{report}"
        );
        assert!(report.contains("| 1 of 3 | yes |"), "{report}");
        assert!(report.contains("1 of 1 medians within ±20%."), "{report}");

        let mut rare = plan.facts[0].clone();
        rare.expect = Expectation::Rare;
        rare.rare_below = Some(0.5);
        let cell_runs = &runs.values().next().unwrap()[..];
        assert!(rare.outcome(cell_runs).holds, "1 of 3 is under half");
        rare.rare_below = Some(0.3);
        assert!(!rare.outcome(cell_runs).holds, "1 of 3 is not under 30%");

        let mut none = plan.facts[0].clone();
        none.expect = Expectation::None;
        let runs = &runs.values().next().unwrap()[..];
        assert_eq!(
            none.outcome(runs),
            FactOutcome {
                reached: 1,
                values: 3,
                holds: false
            }
        );
    }
}
