//! `lockstep check`: check recorded histories offline — lockstep's own, Jepsen register
//! logs, EDN key-value histories and EDN lock (mutex) histories, detected per file.

use crate::outcome::{say, worse, EXIT_BAD_INPUT};
use check::{Budget, CheckResult, HistoryFormat, Verdict};
use clap::ValueEnum;
use history::History;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The model a history is checked against; each history format has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelName {
    /// etcd's key-value API, key by key, with revisions (lockstep history JSON).
    EtcdKv,
    /// One register: read, write, compare-and-swap (Jepsen log lines).
    Register,
    /// Porcupine's key-value store with append, key by key (EDN lines).
    KvAppend,
    /// A lock: acquire / release, at most one holder (EDN lines with :f :acquire/:release).
    Mutex,
}

impl ModelName {
    fn of(format: HistoryFormat) -> ModelName {
        match format {
            HistoryFormat::LockstepJson => ModelName::EtcdKv,
            HistoryFormat::JepsenLog => ModelName::Register,
            HistoryFormat::EdnKv => ModelName::KvAppend,
            HistoryFormat::EdnMutex => ModelName::Mutex,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ModelName::EtcdKv => "etcd-kv",
            ModelName::Register => "register",
            ModelName::KvAppend => "kv-append",
            ModelName::Mutex => "mutex",
        }
    }
}

/// How `lockstep check` was asked to work.
pub struct CheckOptions {
    /// Check every file against this model; a file in another model's format is an error.
    pub model: Option<ModelName>,
    /// Print one JSON document instead of text.
    pub json: bool,
    /// Write the timeline of the (single, lockstep) history here.
    pub html: Option<PathBuf>,
    /// Wall-clock limit per file's check; past it the verdict is undecided (exit 4).
    pub timeout: std::time::Duration,
}

/// The verdict on one file.
struct FileVerdict {
    file: PathBuf,
    model: ModelName,
    operations: usize,
    verdict: Verdict,
    check_ms: f64,
}

/// Files a report directory or a folder of histories holds that are not histories.
const NOT_HISTORIES: [&str; 5] = ["md", "tsv", "toml", "html", "png"];

pub fn check(paths: &[PathBuf], options: &CheckOptions) -> u8 {
    let mut files = Vec::new();
    for path in paths {
        if let Err(message) = collect_files(path, &mut files) {
            eprintln!("error: {message}");
            return EXIT_BAD_INPUT;
        }
    }
    if options.html.is_some() && files.len() != 1 {
        eprintln!(
            "error: --html draws one history; {} files were given",
            files.len()
        );
        return EXIT_BAD_INPUT;
    }
    let mut exit_code = 0;
    let mut bad_input = false;
    let mut verdicts = Vec::new();
    for file in files {
        match check_file(&file, options) {
            Ok(Some(result)) => {
                exit_code = worse(exit_code, result.verdict.exit_code() as u8);
                if !options.json {
                    say!(
                        "{}: {}, {} operations, checked in {:.1} ms",
                        result.file.display(),
                        result.model.name(),
                        result.operations,
                        result.check_ms
                    );
                    say!(
                        "  {}",
                        result.verdict.summary().trim_end().replace('\n', "\n  ")
                    );
                    if let Some(order) = order_found(&result.verdict) {
                        say!("  {order}");
                    }
                }
                verdicts.push(result);
            }
            Ok(None) => {
                if !options.json {
                    say!("{}: empty, nothing to check", file.display());
                }
            }
            Err(message) => {
                eprintln!("error: {message}");
                bad_input = true;
            }
        }
    }
    if options.json {
        let documents: Vec<String> = verdicts
            .iter()
            .map(|result| {
                format!(
                    "{{\"file\":{},\"model\":\"{}\",\"operations\":{},\"check_ms\":{:.3},\"verdict\":{}}}",
                    json_string(&result.file.display().to_string()),
                    result.model.name(),
                    result.operations,
                    result.check_ms,
                    serde_json::to_string(&result.verdict).expect("verdicts serialize")
                )
            })
            .collect();
        say!("[{}]", documents.join(",\n"));
    }
    if bad_input {
        EXIT_BAD_INPUT
    } else {
        exit_code
    }
}

/// The linearization the check found, in one line: the start of each partition's order
/// (all of it is in `--json`), e.g. `order found: "x": 0 2 1 3; "y": 4 5`.
fn order_found(verdict: &Verdict) -> Option<String> {
    const IDS_SHOWN: usize = 12;
    const PARTITIONS_SHOWN: usize = 4;
    let linearization = verdict
        .checks
        .iter()
        .find_map(|report| match &report.result {
            CheckResult::Ok { linearization, .. } if !linearization.is_empty() => {
                Some(linearization)
            }
            _ => None,
        })?;
    let mut parts: Vec<String> = linearization
        .iter()
        .take(PARTITIONS_SHOWN)
        .map(|(partition, order)| {
            let shown: Vec<String> = order.iter().take(IDS_SHOWN).map(u64::to_string).collect();
            let more = if order.len() > IDS_SHOWN {
                format!(" … ({} ops)", order.len())
            } else {
                String::new()
            };
            format!("{partition:?}: {}{more}", shown.join(" "))
        })
        .collect();
    if linearization.len() > PARTITIONS_SHOWN {
        parts.push(format!(
            "{} more partitions",
            linearization.len() - PARTITIONS_SHOWN
        ));
    }
    Some(format!(
        "order found (op ids; all of it with --json): {}",
        parts.join("; ")
    ))
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

/// The history files at `path`: the file itself; a report directory's history.json; or
/// every history in a folder and its subfolders, in name order.
fn collect_files(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_file() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    if !path.is_dir() {
        return Err(format!("{}: no such file or directory", path.display()));
    }
    let report_history = path.join("history.json");
    if report_history.is_file() {
        files.push(report_history);
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|error| format!("{}: cannot read the folder: {error}", path.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let skipped = entry
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| NOT_HISTORIES.contains(&extension));
        if entry.is_dir() {
            collect_files(&entry, files)?;
        } else if !skipped {
            files.push(entry);
        }
    }
    Ok(())
}

/// Reads, detects, imports and checks one file; `None` for an empty file.
fn check_file(file: &Path, options: &CheckOptions) -> Result<Option<FileVerdict>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| format!("{}: cannot read: {error}", file.display()))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let at = |error: check::ImportError| {
        format!(
            "{}:{}: expected {}, found {:?}",
            file.display(),
            error.line,
            error.expected,
            error.found
        )
    };
    let format = check::detect_format(&text).map_err(at)?;
    let model = ModelName::of(format);
    if let Some(wanted) = options.model.filter(|&wanted| wanted != model) {
        return Err(format!(
            "{}: --model {} was asked for, but the file holds a {} history",
            file.display(),
            wanted.name(),
            model.name()
        ));
    }
    let budget = Budget {
        time_limit: Some(options.timeout),
        ..Budget::default()
    };
    let started = Instant::now();
    let (operations, verdict) = match format {
        HistoryFormat::LockstepJson => {
            let history = History::from_json(&text).map_err(|error| {
                format!(
                    "{}:{}:{}: {}",
                    file.display(),
                    error.line,
                    error.column,
                    error.message
                )
            })?;
            let verdict = check::check_history(&history, &budget);
            write_timeline(options, || report::timeline::render(&history, &verdict))?;
            (history.ops.len(), verdict)
        }
        HistoryFormat::JepsenLog => {
            let operations = check::parse_jepsen_register_log(&text).map_err(at)?;
            let verdict = Verdict {
                checks: vec![check::check_register_history(&operations, &budget)],
            };
            write_timeline(options, || {
                report::timeline::render_imported(
                    &file.display().to_string(),
                    &check::RegisterModel,
                    &operations,
                    |_| "register".to_string(),
                    &verdict,
                )
            })?;
            (operations.len(), verdict)
        }
        HistoryFormat::EdnKv => {
            let operations = check::parse_edn_kv_history(&text).map_err(at)?;
            let partitions = check::partition_by_key(operations.clone());
            let verdict = Verdict {
                checks: vec![check::check_kv_append_history(&partitions, &budget)],
            };
            write_timeline(options, || {
                report::timeline::render_imported(
                    &file.display().to_string(),
                    &check::KvAppendModel,
                    &operations,
                    |input| input.key.clone(),
                    &verdict,
                )
            })?;
            (operations.len(), verdict)
        }
        HistoryFormat::EdnMutex => {
            let operations = check::parse_edn_mutex_history(&text).map_err(at)?;
            let verdict = Verdict {
                checks: vec![check::check_mutex_history(&operations, &budget)],
            };
            write_timeline(options, || {
                report::timeline::render_imported(
                    &file.display().to_string(),
                    &check::MutexModel,
                    &operations,
                    |_| "lock".to_string(),
                    &verdict,
                )
            })?;
            (operations.len(), verdict)
        }
    };
    Ok(Some(FileVerdict {
        file: file.to_path_buf(),
        model,
        operations,
        verdict,
        check_ms: started.elapsed().as_secs_f64() * 1e3,
    }))
}

/// Writes the timeline `render` draws where `--html` says, if it was given.
fn write_timeline(options: &CheckOptions, render: impl FnOnce() -> String) -> Result<(), String> {
    let Some(html) = &options.html else {
        return Ok(());
    };
    std::fs::write(html, render())
        .map_err(|error| format!("{}: cannot write: {error}", html.display()))?;
    if !options.json {
        say!("timeline: {}", html.display());
    }
    Ok(())
}

/// Parses a duration such as `10s`, `500ms` or `2m`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("expected a duration such as 10s, 500ms or 2m, found {text:?}"))?;
    let milliseconds = match unit {
        "ms" => number,
        "s" | "" => number * 1_000,
        "m" => number * 60_000,
        _ => {
            return Err(format!(
                "expected a duration unit ms, s or m, found {unit:?} in {text:?}"
            ))
        }
    };
    if milliseconds == 0 {
        return Err(format!("expected a duration above zero, found {text:?}"));
    }
    Ok(std::time::Duration::from_millis(milliseconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        for bad in ["", "s", "10h", "-1s", "0s", "1.5s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
