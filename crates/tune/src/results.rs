//! `results.json`: every seed's numbers for every cell, so any figure of a study can be
//! recomputed, and shards of one tune can be merged into what one machine would have
//! written.
//!
//! The file holds integers and strings only (times in whole microseconds): one line per
//! run, cells in grid order, runs in seed order; `shard::results_file` lays it out, reads
//! it back and merges shards.

use crate::grid::{Grid, Setting};
use crate::metrics::RunMetrics;
use serde::{Deserialize, Serialize};
use shard::results_file::{compact_json, ShardedResults};
use shard::Shard;
use std::ops::Range;

/// The format name and version a results file starts with.
pub const FORMAT: &str = "lockstep-tune/1";

/// What a tune is, apart from its numbers: two shards merge only if these agree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuneHeader {
    pub format: String,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file, as given on the command line.
    pub scenario_file: String,
    /// The code that ran (`lockstep 0.1.0 at git …`).
    pub code: String,
    /// Bugs planted on the command line.
    pub bugs: Vec<String>,
    /// The seed range, END excluded: every cell ran every seed of it.
    pub seeds_start: u64,
    pub seeds_end: u64,
    pub grid: Grid,
}

/// One cell: its settings, and one entry per seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellResults {
    pub settings: Vec<Setting>,
    pub runs: Vec<RunMetrics>,
}

/// A results file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuneResults {
    pub header: TuneHeader,
    /// Which shard this is; absent for a whole run, and for shards merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    pub cells: Vec<CellResults>,
}

impl ShardedResults for TuneResults {
    type Header = TuneHeader;
    const FORMAT: &'static str = FORMAT;
    const KIND: &'static str = "tune";

    fn header(&self) -> &TuneHeader {
        &self.header
    }

    fn format(&self) -> &str {
        &self.header.format
    }

    fn seed_range(&self) -> Range<u64> {
        self.header.seeds_start..self.header.seeds_end
    }

    fn shard(&self) -> Option<Shard> {
        self.shard
    }

    fn set_shard(&mut self, shard: Option<Shard>) {
        self.shard = shard;
    }

    fn body_json(&self) -> String {
        let mut out = "\"cells\": [".to_string();
        for (index, cell) in self.cells.iter().enumerate() {
            out.push_str(if index == 0 { "\n" } else { ",\n" });
            out.push_str(&format!(
                "{{\"settings\": {}, \"runs\": [",
                compact_json(&cell.settings)
            ));
            for (index, run) in cell.runs.iter().enumerate() {
                out.push_str(if index == 0 { "\n" } else { ",\n" });
                out.push_str(&compact_json(run));
            }
            out.push_str("\n]}");
        }
        out.push_str("\n]");
        out
    }

    fn check_seeds(&self, seeds: &[u64]) -> Result<(), String> {
        for cell in &self.cells {
            if !cell
                .runs
                .iter()
                .map(|run| run.seed)
                .eq(seeds.iter().copied())
            {
                return Err(format!(
                    "the cell {} does not hold exactly shard {}'s seeds",
                    settings_text(&cell.settings),
                    self.shard.unwrap_or(Shard::WHOLE)
                ));
            }
        }
        Ok(())
    }

    fn absorb(&mut self, other: TuneResults) -> Result<(), String> {
        if other.cells.len() != self.cells.len() {
            return Err("shards disagree on the number of cells".to_string());
        }
        for (cell, other_cell) in self.cells.iter_mut().zip(other.cells) {
            cell.runs.extend(other_cell.runs);
        }
        Ok(())
    }

    fn sort_by_seed(&mut self) {
        for cell in &mut self.cells {
            cell.runs.sort_by_key(|run| run.seed);
        }
    }
}

/// `a=1, b=2`, or `(no settings)`.
pub fn settings_text(settings: &[Setting]) -> String {
    if settings.is_empty() {
        return "(the scenario as it is)".to_string();
    }
    settings
        .iter()
        .map(Setting::text)
        .collect::<Vec<_>>()
        .join(", ")
}
