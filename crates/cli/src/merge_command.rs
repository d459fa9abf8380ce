//! `lockstep merge DIR...`: the shards of one tune, run on several machines, combined into
//! the results one machine running every seed would have written.

use crate::outcome::{invoked_command, say, EXIT_BAD_INPUT};
use crate::tune_command::utc_timestamp;
use std::path::{Path, PathBuf};
use tune::results::{merge, TuneResults};
use tune::summary::Provenance;

pub fn merge_shards(inputs: &[PathBuf], out: Option<&Path>, reports: &Path) -> u8 {
    let mut parts = Vec::new();
    for input in inputs {
        let file = if input.is_dir() {
            input.join("results.json")
        } else {
            input.clone()
        };
        let name = file.display().to_string();
        let read = std::fs::read_to_string(&file)
            .map_err(|error| format!("cannot read it: {error}"))
            .and_then(|text| TuneResults::from_json(&text));
        match read {
            Ok(results) => parts.push((name, results)),
            Err(message) => {
                eprintln!("error: {name}: {message}");
                return EXIT_BAD_INPUT;
            }
        }
    }
    let results = match merge(parts) {
        Ok(results) => results,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_BAD_INPUT;
        }
    };
    let directory = out.map_or_else(
        || {
            reports
                .join("tune")
                .join(&results.header.scenario)
                .join(format!("{}-merged", utc_timestamp()))
        },
        Path::to_path_buf,
    );
    let provenance = Provenance {
        command: invoked_command(),
        wall: None,
        preface: None,
        charts_prefix: String::new(),
    };
    if let Err(error) = tune::write_outputs(&directory, None, &results, &provenance) {
        eprintln!("error: cannot write {}: {error}", directory.display());
        return EXIT_BAD_INPUT;
    }
    let runs: usize = results.cells.iter().map(|cell| cell.runs.len()).sum();
    say!(
        "merged {} shards: {} cells × {} seeds = {runs} runs",
        inputs.len(),
        results.cells.len(),
        results.header.seeds_end - results.header.seeds_start
    );
    say!("results: {}/results.json", directory.display());
    say!("summary: {}/summary.md", directory.display());
    0
}
