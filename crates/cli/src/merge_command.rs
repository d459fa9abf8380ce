//! `lockstep merge DIR...`: the shards of one tune or one sweep, run on several machines,
//! combined into the results one machine running every seed would have written.

use crate::outcome::{invoked_command, say, EXIT_BAD_INPUT};
use crate::output_directory::merged_directory;
use crate::sweep_results::{self, SweepResults};
use serde::Deserialize;
use shard::results_file::{merge as merge_results, ShardedResults};
use std::path::{Path, PathBuf};
use tune::results::TuneResults;
use tune::summary::Provenance;

/// What kind of results a file holds: the `format` its header starts with.
#[derive(Deserialize)]
struct Peek {
    header: PeekHeader,
}

#[derive(Deserialize)]
struct PeekHeader {
    format: String,
}

pub fn merge_shards(inputs: &[PathBuf], out: Option<&Path>, reports: &Path) -> u8 {
    match merge(inputs, out, reports) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_BAD_INPUT
        }
    }
}

fn merge(inputs: &[PathBuf], out: Option<&Path>, reports: &Path) -> Result<(), String> {
    let mut files = Vec::new();
    for input in inputs {
        let file = if input.is_dir() {
            input.join("results.json")
        } else {
            input.clone()
        };
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file)
            .map_err(|error| format!("{name}: cannot read it: {error}"))?;
        let peek: Peek = serde_json::from_str(&text).map_err(|error| {
            format!(
                "{name}: line {}, column {}: {error}",
                error.line(),
                error.column()
            )
        })?;
        files.push((name, peek.header.format, text));
    }
    let (first_name, first_format, _) = &files[0];
    if let Some((name, format, _)) = files.iter().find(|(_, format, _)| format != first_format) {
        return Err(format!(
            "cannot merge results of different kinds: {first_name} is {first_format:?}, {name} is {format:?}"
        ));
    }
    match first_format.as_str() {
        tune::results::FORMAT => merge_tunes(files, out, reports),
        sweep_results::FORMAT => merge_sweeps(files, out, reports),
        other => Err(format!(
            "{first_name}: field `format`: {other:?} is neither {:?} nor {:?}, the formats this lockstep merges",
            tune::results::FORMAT,
            sweep_results::FORMAT
        )),
    }
}

/// Reads every file with `read`, naming the file in an error.
fn read_all<T>(
    files: Vec<(String, String, String)>,
    read: fn(&str) -> Result<T, String>,
) -> Result<Vec<(String, T)>, String> {
    files
        .into_iter()
        .map(|(name, _, text)| match read(&text) {
            Ok(results) => Ok((name, results)),
            Err(message) => Err(format!("{name}: {message}")),
        })
        .collect()
}

fn merge_tunes(
    files: Vec<(String, String, String)>,
    out: Option<&Path>,
    reports: &Path,
) -> Result<(), String> {
    let shards = files.len();
    let results = merge_results(read_all(files, TuneResults::from_json)?)?;
    let directory = out.map_or_else(
        || merged_directory(reports, "tune", &results.header.scenario),
        Path::to_path_buf,
    );
    let provenance = Provenance {
        command: invoked_command(),
        wall: None,
        preface: None,
        charts_prefix: String::new(),
    };
    tune::write_outputs(&directory, None, &results, &provenance)
        .map_err(|error| format!("cannot write {}: {error}", directory.display()))?;
    let runs: usize = results.cells.iter().map(|cell| cell.runs.len()).sum();
    say!(
        "merged {shards} shards: {} cells × {} seeds = {runs} runs",
        results.cells.len(),
        results.header.seeds_end - results.header.seeds_start
    );
    say!("results: {}/results.json", directory.display());
    say!("summary: {}/summary.md", directory.display());
    Ok(())
}

fn merge_sweeps(
    files: Vec<(String, String, String)>,
    out: Option<&Path>,
    reports: &Path,
) -> Result<(), String> {
    let shards = files.len();
    let results = merge_results(read_all(files, SweepResults::from_json)?)?;
    let directory = out.map_or_else(
        || merged_directory(reports, "sweep", &results.header.scenario),
        Path::to_path_buf,
    );
    crate::sweep_summary::write_outputs(&directory, &results, &invoked_command())?;
    let failed = results.failures().count();
    say!(
        "merged {shards} shards of a sweep: {} seeds, {} passed, {failed} failed",
        results.seeds.len(),
        results.seeds.len() - failed
    );
    say!("results: {}/results.json", directory.display());
    say!("summary: {}/summary.md", directory.display());
    Ok(())
}
