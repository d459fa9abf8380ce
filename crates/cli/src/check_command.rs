//! `lockstep check`: re-check a recorded history offline.

use crate::outcome::{judge, EXIT_BAD_INPUT};
use history::History;
use std::path::{Path, PathBuf};

pub fn check(path: &Path, html: Option<&Path>) -> u8 {
    let file: PathBuf = if path.is_dir() {
        path.join("history.json")
    } else {
        path.to_path_buf()
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: {}: cannot read: {error}", file.display());
            return EXIT_BAD_INPUT;
        }
    };
    let history = match History::from_json(&text) {
        Ok(history) => history,
        Err(error) => {
            eprintln!(
                "error: {}:{}:{}: {}",
                file.display(),
                error.line,
                error.column,
                error.message
            );
            return EXIT_BAD_INPUT;
        }
    };
    println!(
        "{}: {} (seed {}), {} operations",
        file.display(),
        history.scenario,
        history.seed,
        history.ops.len()
    );
    let verdict = judge(&history);
    println!("{}", verdict.summary().trim_end());
    if let Some(html) = html {
        if let Err(error) = std::fs::write(html, report::timeline::render(&history, &verdict)) {
            eprintln!("error: {}: cannot write: {error}", html.display());
            return EXIT_BAD_INPUT;
        }
        println!("timeline: {}", html.display());
    }
    verdict.exit_code() as u8
}
