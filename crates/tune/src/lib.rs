//! Tuning studies: what a cluster setting costs, measured on the same seeds across a grid
//! of settings.
//!
//! Operators pick heartbeats, election timeouts and lease TTLs by folklore. A tune runs
//! every cell of a grid of settings ([`grid`]) on the same seeds, so each cell meets the
//! same faults at the same moments and the differences between cells are the settings'
//! own. Each run's history is measured ([`metrics`]: failover, unavailability, churn, lock
//! hand-over, spurious lease expiries, safety, latency); the numbers go to `results.json`
//! ([`results`], from which shards merge exactly), a Markdown summary ([`summary`]) and
//! SVG charts ([`charts`]).

pub mod calibration;
pub mod catalog;
pub mod charts;
pub mod grid;
pub mod lease_timing;
pub mod metrics;
pub mod results;
pub mod stats;
pub mod summary;

use shard::results_file::ShardedResults;
use std::path::Path;

/// Writes `results.json` and a chart per metric into `directory`, and the summary to
/// `summary_path` (by default `directory/summary.md`), its chart links made relative to it.
pub fn write_outputs(
    directory: &Path,
    summary_path: Option<&Path>,
    results: &results::TuneResults,
    provenance: &summary::Provenance,
) -> std::io::Result<()> {
    std::fs::create_dir_all(directory)?;
    std::fs::write(directory.join("results.json"), results.to_json())?;
    let mut charted = Vec::new();
    for metric in catalog::METRICS {
        if let Some(svg) = charts::chart_svg(results, metric) {
            std::fs::write(directory.join(format!("{}.svg", metric.key)), svg)?;
            charted.push(metric.key);
        }
    }
    let default_summary = directory.join("summary.md");
    let summary_path = summary_path.unwrap_or(&default_summary);
    let summary_directory = summary_path.parent().unwrap_or(Path::new(""));
    let charts_prefix = match directory.strip_prefix(summary_directory) {
        Ok(relative) if relative.as_os_str().is_empty() => String::new(),
        Ok(relative) => format!("{}/", relative.display()),
        Err(_) => format!("{}/", directory.display()),
    };
    if let Some(parent) = summary_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let provenance = summary::Provenance {
        charts_prefix,
        ..provenance.clone()
    };
    std::fs::write(
        summary_path,
        summary::summary_markdown(results, &provenance, &charted),
    )
}
