//! `results.json`: every seed's numbers for every cell, so any figure of a study can be
//! recomputed, and shards of one tune can be merged into what one machine would have
//! written.
//!
//! The file holds integers and strings only (times in whole microseconds), laid out in a
//! fixed order: one line per run, cells in grid order, runs in seed order. Reading it back
//! and writing it again gives the same bytes, which is what makes merging exact.

use crate::grid::{Grid, Setting};
use crate::metrics::RunMetrics;
use serde::{Deserialize, Serialize};
use shard::Shard;

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

impl TuneResults {
    /// The file's text.
    pub fn to_json(&self) -> String {
        let header = serde_json::to_string_pretty(&self.header).expect("plain data serializes");
        let mut out = format!("{{\n\"header\": {header},\n");
        if let Some(shard) = &self.shard {
            out.push_str(&format!("\"shard\": {},\n", json(shard)));
        }
        out.push_str("\"cells\": [");
        for (index, cell) in self.cells.iter().enumerate() {
            out.push_str(if index == 0 { "\n" } else { ",\n" });
            out.push_str(&format!(
                "{{\"settings\": {}, \"runs\": [",
                json(&cell.settings)
            ));
            for (index, run) in cell.runs.iter().enumerate() {
                out.push_str(if index == 0 { "\n" } else { ",\n" });
                out.push_str(&json(run));
            }
            out.push_str("\n]}");
        }
        out.push_str("\n]\n}\n");
        out
    }

    /// Reads a results file's text; an error names the line and column.
    pub fn from_json(text: &str) -> Result<TuneResults, String> {
        let results: TuneResults = serde_json::from_str(text).map_err(|error| {
            format!("line {}, column {}: {error}", error.line(), error.column())
        })?;
        if results.header.format != FORMAT {
            return Err(format!(
                "field `format`: {:?} is not {FORMAT:?}, the format this lockstep reads",
                results.header.format
            ));
        }
        Ok(results)
    }

    /// The seeds this file should have in every cell.
    pub fn expected_seeds(&self) -> Vec<u64> {
        self.shard
            .unwrap_or(Shard::WHOLE)
            .seeds(&(self.header.seeds_start..self.header.seeds_end))
            .collect()
    }
}

/// One value as compact JSON, for the hand-laid-out file.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serializes")
}

/// Combines the shards of one tune (`parts`, each named by its file for errors) into the
/// results one unsharded run gives: every shard of the same tune exactly once.
pub fn merge(parts: Vec<(String, TuneResults)>) -> Result<TuneResults, String> {
    let Some((first_name, first)) = parts.first() else {
        return Err("nothing to merge".to_string());
    };
    for (name, part) in &parts {
        if part.header != first.header {
            return Err(format!(
                "{name} is not a shard of the same tune as {first_name}: {}",
                header_difference(&part.header, &first.header)
            ));
        }
    }
    shard::check_complete(parts.iter().map(|(name, part)| (name.as_str(), part.shard)))?;
    for (name, part) in &parts {
        let expected = part.expected_seeds();
        for cell in &part.cells {
            let seeds: Vec<u64> = cell.runs.iter().map(|run| run.seed).collect();
            if seeds != expected {
                return Err(format!(
                    "{name}: the cell {} does not hold exactly shard {}'s seeds (an interrupted run?)",
                    settings_text(&cell.settings),
                    part.shard.unwrap_or(Shard::WHOLE)
                ));
            }
        }
    }
    let header = first.header.clone();
    let mut cells = first.cells.clone();
    for cell in &mut cells {
        cell.runs.clear();
    }
    for (_, part) in parts {
        if part.cells.len() != cells.len() {
            return Err("shards disagree on the number of cells".to_string());
        }
        for (cell, part_cell) in cells.iter_mut().zip(part.cells) {
            cell.runs.extend(part_cell.runs);
        }
    }
    for cell in &mut cells {
        cell.runs.sort_by_key(|run| run.seed);
    }
    Ok(TuneResults {
        header,
        shard: None,
        cells,
    })
}

/// The first header field two shards disagree on.
fn header_difference(a: &TuneHeader, b: &TuneHeader) -> String {
    let fields = [
        ("scenario", a.scenario != b.scenario),
        ("scenario_file", a.scenario_file != b.scenario_file),
        ("code", a.code != b.code),
        ("bugs", a.bugs != b.bugs),
        (
            "seeds",
            (a.seeds_start, a.seeds_end) != (b.seeds_start, b.seeds_end),
        ),
        ("grid", a.grid != b.grid),
    ];
    fields
        .iter()
        .find(|(_, differs)| *differs)
        .map_or("the headers differ".to_string(), |(name, _)| {
            format!("their `{name}` differs")
        })
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
