//! `summary.md`: a table per metric, one row per cell, for people to read (and for a
//! study to quote: every number in it comes out of `results.json`).

use crate::catalog::{Metric, METRICS};
use crate::results::{settings_text, CellResults, TuneResults};
use std::collections::BTreeMap;

/// What the summary says about how the results were made, beyond the results themselves.
#[derive(Clone)]
pub struct Provenance {
    /// The command that produced the results (or merged them).
    pub command: String,
    /// Wall-clock time and threads, when this process ran the seeds.
    pub wall: Option<(f64, usize)>,
    /// Markdown placed first: a study's title and reading of the tables below it.
    pub preface: Option<String>,
    /// What chart links are prefixed with: the chart directory relative to the summary's
    /// (empty when they are side by side).
    pub charts_prefix: String,
}

/// The summary's Markdown; `charts` names the chart files written beside it, by metric key.
pub fn summary_markdown(results: &TuneResults, provenance: &Provenance, charts: &[&str]) -> String {
    let header = &results.header;
    let seeds = header.seeds_end - header.seeds_start;
    let mut out = match &provenance.preface {
        Some(preface) => format!(
            "{}\n\n## How these numbers were made\n\n",
            preface.trim_end()
        ),
        None => format!("# Tune: {}\n\n", header.scenario),
    };
    out.push_str(&format!("- command: `{}`\n", provenance.command));
    out.push_str(&format!("- code: {}\n", header.code));
    out.push_str(&format!(
        "- scenario: `{}`{}\n",
        header.scenario_file,
        if header.bugs.is_empty() {
            String::new()
        } else {
            format!(", planted bugs: {}", header.bugs.join(", "))
        }
    ));
    out.push_str(&format!(
        "- seeds {}..{} in every cell ({seeds} runs per cell, {} cells): each cell met the same faults at the same moments, so differences between rows are the settings' doing\n",
        header.seeds_start,
        header.seeds_end,
        results.cells.len()
    ));
    if !header.grid.fixed.is_empty() {
        out.push_str(&format!(
            "- every cell: {}\n",
            settings_text(&header.grid.fixed)
        ));
    }
    for axis in &header.grid.axes {
        out.push_str(&format!("- {}: {}\n", axis.field, axis.values.join(", ")));
    }
    if let Some(shard) = results.shard {
        out.push_str(&format!(
            "- **shard {shard} only**: merge every shard with `lockstep merge` for the whole tune\n"
        ));
    }
    if let Some((wall_s, threads)) = provenance.wall {
        out.push_str(&format!(
            "- wall time: {wall_s:.1} s on {threads} threads\n"
        ));
    }
    out.push_str(
        "\nTimes are simulated. Each metric's table gives, per cell, the sample size n, the median with its 95% confidence interval (distribution-free, from order statistics), the 99th percentile and the mean. Lower is better everywhere.\n",
    );
    out.push_str(&safety_table(results));
    for metric in METRICS {
        let chart = charts
            .contains(&metric.key)
            .then(|| format!("{}{}.svg", provenance.charts_prefix, metric.key));
        out.push_str(&metric_table(results, metric, chart.as_deref()));
    }
    out
}

/// The axes' values of a cell, as table cells.
fn axis_cells(results: &TuneResults, cell: &CellResults) -> String {
    results
        .header
        .grid
        .axes
        .iter()
        .map(|axis| {
            cell.settings
                .iter()
                .find(|setting| setting.field == axis.field)
                .map_or(String::new(), |setting| setting.value.clone())
        })
        .map(|value| format!(" {value} |"))
        .collect()
}

fn table_head(results: &TuneResults, columns: &[&str]) -> String {
    let axes = &results.header.grid.axes;
    let mut names: Vec<&str> = axes.iter().map(|axis| axis.field.as_str()).collect();
    if names.is_empty() {
        names.push("cell");
    }
    names.extend_from_slice(columns);
    let rule: Vec<&str> = names.iter().map(|_| "---").collect();
    format!("| {} |\n|{}|\n", names.join(" | "), rule.join("|"))
}

fn row_start(results: &TuneResults, cell: &CellResults) -> String {
    if results.header.grid.axes.is_empty() {
        return "| all |".to_string();
    }
    format!("|{}", axis_cells(results, cell))
}

fn safety_table(results: &TuneResults) -> String {
    let mut out = String::from(
        "\n## Safety\n\nLock acquisitions that overlapped another client's critical section, and updates to the lock-protected resource that were lost, per 1,000 acquisitions; lease expiries; runs in which a check failed. Without fencing, overlaps under pauses are etcd's lock recipe working as designed; with fencing, a lost write is a bug.\n\n",
    );
    out.push_str(&table_head(
        results,
        &[
            "lock acquisitions",
            "overlapping / 1,000",
            "lost writes / 1,000",
            "lease expiries (spurious)",
            "failovers / hand-overs never completed",
            "runs failing a check",
        ],
    ));
    for cell in &results.cells {
        let sum = |value: fn(&crate::metrics::RunMetrics) -> u64| -> u64 {
            cell.runs.iter().map(value).sum()
        };
        let acquisitions = sum(|run| run.lock_acquisitions);
        let per_thousand = |count: u64| {
            if acquisitions == 0 {
                "—".to_string()
            } else {
                format!("{:.1}", count as f64 * 1000.0 / acquisitions as f64)
            }
        };
        let mut failed: BTreeMap<&str, u64> = BTreeMap::new();
        for run in &cell.runs {
            for check in &run.failed_checks {
                *failed.entry(check.as_str()).or_default() += 1;
            }
        }
        let failing_runs = cell
            .runs
            .iter()
            .filter(|run| !run.failed_checks.is_empty())
            .count();
        let failing = if failing_runs == 0 {
            "0".to_string()
        } else {
            let checks: Vec<String> = failed
                .iter()
                .map(|(check, count)| format!("{check} ×{count}"))
                .collect();
            format!("**{failing_runs}** ({})", checks.join(", "))
        };
        out.push_str(&format!(
            "{} {acquisitions} | {} | {} | {} ({}) | {} / {} | {failing} |\n",
            row_start(results, cell),
            per_thousand(sum(|run| run.overlapping_acquisitions)),
            per_thousand(sum(|run| run.lost_resource_writes)),
            sum(|run| run.lease_expiries),
            sum(|run| run.spurious_lease_expiries),
            sum(|run| run.failovers_unfinished),
            sum(|run| run.handovers_unfinished),
        ));
    }
    out
}

fn metric_table(results: &TuneResults, metric: &Metric, chart: Option<&str>) -> String {
    let mut out = format!(
        "\n## {} ({})\n\n{}.\n\n",
        metric.title, metric.unit, metric.explanation
    );
    if let Some(chart) = chart {
        out.push_str(&format!("![{}]({chart})\n\n", metric.title));
    }
    out.push_str(&table_head(
        results,
        &["n", "median", "95% CI of median", "p99", "mean"],
    ));
    for cell in &results.cells {
        let row = match metric.summarize(cell) {
            None => " 0 | — | — | — | — |".to_string(),
            Some(summary) => format!(
                " {} | {} | {} | {} | {} |",
                summary.n,
                number(summary.median),
                summary.median_ci95.map_or("—".to_string(), |(low, high)| {
                    format!("{} – {}", number(low), number(high))
                }),
                number(summary.p99),
                number(summary.mean)
            ),
        };
        out.push_str(&format!("{}{row}\n", row_start(results, cell)));
    }
    out
}

/// A number with as many decimals as its size warrants (three significant digits, at
/// least; none after the point from 100 up).
pub fn number(value: f64) -> String {
    let magnitude = value.abs();
    let decimals = if magnitude >= 100.0 || magnitude == 0.0 {
        0
    } else if magnitude >= 10.0 {
        1
    } else if magnitude >= 1.0 {
        2
    } else {
        3
    };
    format!("{value:.decimals$}")
}
