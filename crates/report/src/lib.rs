//! Run reports: what a run leaves in `reports/<scenario>/<seed>/`.
//!
//! - `scenario.toml`: the exact scenario, every default spelled out and the seed pinned,
//!   so `lockstep run reports/<scenario>/<seed>/scenario.toml` replays the run;
//! - `history.json`: every operation, fault and leader change (see the `history` crate);
//! - `verdict.json`: every check's result and evidence;
//! - `summary.md`: the same for people, with the replay command;
//! - `timeline.html`: the run as a picture, self-contained (see [`timeline`]).
//!
//! `lockstep check reports/<scenario>/<seed>` re-checks the history offline.

pub mod timeline;

use check::Verdict;
use history::{Fault, History, LinkEffect, Outcome};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Everything a run report holds.
pub struct RunReport<'a> {
    /// The scenario as TOML, seed pinned.
    pub scenario_toml: &'a str,
    pub history: &'a History,
    pub verdict: &'a Verdict,
    /// The one-line command that replays this run.
    pub replay_command: &'a str,
    /// The names of the bugs planted in the implementation for this run; empty: the
    /// correct code.
    pub planted_bugs: &'a [&'a str],
    /// The code that ran: lockstep's version and git revision.
    pub code: &'a str,
}

/// Where the report of `scenario` run with `seed` goes under `reports_root`.
pub fn run_directory(reports_root: &Path, scenario: &str, seed: u64) -> PathBuf {
    reports_root.join(scenario).join(seed.to_string())
}

impl RunReport<'_> {
    /// Writes the report's files into `directory` (created if needed).
    pub fn write(&self, directory: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(directory)?;
        std::fs::write(directory.join("scenario.toml"), self.scenario_toml)?;
        std::fs::write(directory.join("history.json"), self.history.to_json())?;
        let verdict = serde_json::to_string_pretty(self.verdict).expect("verdicts serialize");
        std::fs::write(directory.join("verdict.json"), verdict + "\n")?;
        std::fs::write(directory.join("summary.md"), self.summary_markdown())?;
        let timeline = timeline::render(self.history, self.verdict);
        std::fs::write(directory.join("timeline.html"), timeline)?;
        Ok(())
    }

    /// A short human summary: verdict, operations, faults, leaders, replay command.
    pub fn summary_markdown(&self) -> String {
        let history = self.history;
        let mut out = String::new();
        let status = if self.verdict.is_ok() {
            "passed"
        } else {
            "FAILED"
        };
        writeln!(
            out,
            "# {} — seed {} — {status}\n",
            history.scenario, history.seed
        )
        .unwrap();
        // Said before the verdict, so that nobody takes the verdict on deliberately broken
        // code for one on the real implementation.
        if !self.planted_bugs.is_empty() {
            writeln!(
                out,
                "**Planted bugs: {}.** The implementation was broken on purpose for this run; `lockstep bugs` describes each.\n",
                self.planted_bugs.join(", ")
            )
            .unwrap();
        }
        writeln!(out, "Replay: `{}`\n", self.replay_command).unwrap();
        writeln!(out, "Code: {}\n", self.code).unwrap();
        writeln!(
            out,
            "## Verdict\n\n```\n{}\n```\n",
            self.verdict.summary().trim_end()
        )
        .unwrap();

        let count =
            |f: fn(&Outcome) -> bool| history.ops.iter().filter(|op| f(&op.outcome)).count();
        writeln!(out, "## Operations\n").unwrap();
        writeln!(out, "| total | ok | failed | unknown |\n|---|---|---|---|").unwrap();
        writeln!(
            out,
            "| {} | {} | {} | {} |\n",
            history.ops.len(),
            count(|o| matches!(o, Outcome::Ok(_))),
            count(|o| matches!(o, Outcome::Failed { .. })),
            count(|o| matches!(o, Outcome::Unknown { .. })),
        )
        .unwrap();

        writeln!(out, "## Faults\n").unwrap();
        if history.faults.is_empty() {
            writeln!(out, "None.\n").unwrap();
        }
        for event in &history.faults {
            writeln!(
                out,
                "- {} {}",
                seconds(event.at_ns),
                describe_fault(&event.fault)
            )
            .unwrap();
        }
        writeln!(out, "\n## Leaders\n").unwrap();
        for change in &history.leaders {
            writeln!(
                out,
                "- {} node {} leads term {}",
                seconds(change.at_ns),
                change.node,
                change.term
            )
            .unwrap();
        }
        if let Some(probe) = &history.liveness {
            writeln!(out, "\n## Liveness\n").unwrap();
            let lasting: Vec<String> = history.lasting_faults().map(describe_fault).collect();
            if !lasting.is_empty() {
                writeln!(
                    out,
                    "Never healed (lasting through the liveness phase): {}.\n",
                    lasting.join("; ")
                )
                .unwrap();
            }
            match probe.first_write_ns {
                Some(at) => writeln!(
                    out,
                    "Healed at {}; first write served {:.3} s later.",
                    seconds(probe.healed_at_ns),
                    (at - probe.healed_at_ns) as f64 / 1e9
                ),
                None => writeln!(
                    out,
                    "Healed at {}; no write served by {}.",
                    seconds(probe.healed_at_ns),
                    seconds(probe.deadline_ns)
                ),
            }
            .unwrap();
            if let Some(steady) = &probe.steady_leader {
                let demanded_s = steady.demanded_ns as f64 / 1e9;
                match steady.since_ns {
                    Some(since_ns) => writeln!(
                        out,
                        "One leader kept term {} for {demanded_s:.3} s from {}.",
                        steady.last_term,
                        seconds(since_ns)
                    ),
                    None => writeln!(
                        out,
                        "No leader kept its term for {demanded_s:.3} s by {}: the highest term rose {} times while watched, to {}.",
                        seconds(probe.deadline_ns),
                        steady.term_changes,
                        steady.last_term
                    ),
                }
                .unwrap();
            }
        }
        out
    }
}

/// Simulated nanoseconds as `t=12.345s`.
pub fn seconds(ns: u64) -> String {
    format!("t={:.3}s", ns as f64 / 1e9)
}

/// A fault in words.
pub fn describe_fault(fault: &Fault) -> String {
    match fault {
        Fault::Partition { sides } => {
            let sides: Vec<String> = sides
                .iter()
                .map(|side| {
                    side.iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect();
            format!("partition {}", sides.join(" | "))
        }
        Fault::Cut { from, to } => format!("cut {from} → {to}"),
        Fault::Heal => "heal".to_string(),
        Fault::Crash {
            node,
            at_step: None,
        } => format!("crash node {node}"),
        Fault::Crash {
            node,
            at_step: Some(step),
        } => format!("crash node {node} at {step}"),
        Fault::Restart { node } => format!("restart node {node}"),
        Fault::Pause { node } => format!("pause node {node}"),
        Fault::Resume { node } => format!("resume node {node}"),
        Fault::ClientPause { client } => format!("pause client {client}"),
        Fault::ClientResume { client } => format!("resume client {client}"),
        Fault::Freeze { node } => format!("freeze node {node}'s raft loop"),
        Fault::Thaw { node } => format!("thaw node {node}"),
        Fault::LinkFault {
            id,
            from,
            to,
            messages,
            effect,
        } => {
            let ends = |nodes: &[u64]| match nodes {
                [] => "*".to_string(),
                nodes => nodes
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            };
            let effect = match effect {
                LinkEffect::Delay {
                    latency_ms,
                    jitter_ms,
                } => format!("delay +{latency_ms}±{jitter_ms} ms"),
                LinkEffect::Loss { percent } => format!("lose {percent}%"),
                LinkEffect::Duplicate { percent } => format!("duplicate {percent}%"),
                LinkEffect::Reorder { percent } => format!("reorder {percent}%"),
                LinkEffect::Hold => "hold".to_string(),
            };
            let messages = if messages.is_empty() {
                String::new()
            } else {
                format!(" of {}", messages.join(","))
            };
            format!("#{id} {effect}{messages} {} → {}", ends(from), ends(to))
        }
        Fault::LinkRestored { id } => format!("lift link fault #{id}"),
        Fault::Clog { node } => format!("clog node {node}"),
        Fault::Unclog { node } => format!("unclog node {node}"),
        Fault::SlowDisk { node, fsync_us } => {
            format!("node {node}: fsync takes {} ms", *fsync_us as f64 / 1e3)
        }
        Fault::DiskRestored { node } => format!("node {node}: fsync normal"),
        Fault::ClockJump { node, by_ms } => format!("node {node}'s clock jumps {by_ms:+} ms"),
        Fault::ClockRate { node, rate_percent } => {
            format!("node {node}'s clock runs at {rate_percent}%")
        }
        Fault::MemberRemoved { node } => format!("remove member {node}"),
        Fault::MemberAdded { node } => format!("add member {node}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_read_as_words() {
        let partition = Fault::Partition {
            sides: vec![vec![1], vec![2, 3]],
        };
        assert_eq!(describe_fault(&partition), "partition 1 | 2,3");
        let crash = Fault::Crash {
            node: 4,
            at_step: None,
        };
        assert_eq!(describe_fault(&crash), "crash node 4");
        let held = Fault::LinkFault {
            id: 2,
            from: vec![1],
            to: Vec::new(),
            messages: vec!["client-response".to_string()],
            effect: LinkEffect::Hold,
        };
        assert_eq!(describe_fault(&held), "#2 hold of client-response 1 → *");
        assert_eq!(describe_fault(&Fault::Cut { from: 1, to: 2 }), "cut 1 → 2");
        assert_eq!(seconds(1_500_000_000), "t=1.500s");
    }
}
