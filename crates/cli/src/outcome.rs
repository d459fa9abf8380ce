//! What the commands share: exit codes, loading scenarios, judging a run, replay commands.

use bugs::{Bug, Bugs};
use check::{Budget, Verdict};
use scenario::{Override, Scenario};
use std::path::Path;

/// Prints one line to standard output. When the reader has gone away (`lockstep check
/// … | head`), the process ends quietly with the status a shell gives a program killed by
/// SIGPIPE, instead of panicking as `println!` does.
macro_rules! say {
    ($($arguments:tt)*) => {
        $crate::outcome::write_line(format_args!($($arguments)*))
    };
}
pub(crate) use say;

/// What [`say!`] does.
pub fn write_line(arguments: std::fmt::Arguments) {
    use std::io::Write;
    if let Err(error) = writeln!(std::io::stdout().lock(), "{arguments}") {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("error: cannot write to standard output: {error}");
        std::process::exit(i32::from(EXIT_BAD_INPUT));
    }
}

/// The git revision this binary was built from (see build.rs): with the seed, the scenario
/// and the replay command, what a failure's output needs to be reproduced.
pub const GIT_REVISION: &str = env!("LOCKSTEP_GIT_REVISION");

/// "lockstep 0.1.0 at git 1a2b3c4d5e6f": the code a run ran.
pub fn code_line() -> String {
    format!(
        "lockstep {} at git {GIT_REVISION}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Exit code for bad input or usage.
pub const EXIT_BAD_INPUT: u8 = 2;

/// What the command line changed in the scenario file: what a replay command repeats.
pub struct Changes {
    /// The `--set` flags, in order.
    pub overrides: Vec<Override>,
    /// The `--bug` flags: planted on top of the bugs the file (and `--set bugs=…`) plants.
    pub bugs: Bugs,
}

/// Loads a scenario with its `--set` overrides and `--bug` plants (returned too, for
/// replay commands), or prints why not.
pub fn load_scenario(
    path: &Path,
    sets: &[String],
    planted: &[Bug],
) -> Result<(Scenario, Changes), u8> {
    let loaded = sets
        .iter()
        .map(|text| Override::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .and_then(|overrides| Ok((Scenario::load_with(path, &overrides)?, overrides)));
    let (mut scenario, overrides) = loaded.map_err(|error| {
        eprintln!("error: {error}");
        EXIT_BAD_INPUT
    })?;
    let bugs: Bugs = planted.iter().copied().collect();
    for bug in bugs.iter() {
        scenario.bugs.insert(bug);
    }
    Ok((scenario, Changes { overrides, bugs }))
}

/// A report's `scenario.toml` (`path`) and the seed it pins, or prints why not: what
/// `replay` and `shrink` rerun.
pub fn load_report_scenario(path: &Path) -> Result<(Scenario, u64), u8> {
    let scenario = Scenario::load(path).map_err(|error| {
        eprintln!("error: {error}");
        EXIT_BAD_INPUT
    })?;
    let seed = scenario.seed.ok_or_else(|| {
        eprintln!(
            "error: {}: field `seed`: a report's scenario pins its seed; this one has none",
            path.display()
        );
        EXIT_BAD_INPUT
    })?;
    Ok((scenario, seed))
}

/// The names of the bugs planted in `scenario`, in [`Bug`] order.
pub fn bug_names(scenario: &Scenario) -> Vec<&'static str> {
    scenario.bugs.iter().map(Bug::name).collect()
}

/// "planted bugs: …", for a run's header; `None` when the code is the correct one. A line
/// of its own, so that nobody reading a run's output takes a failure of deliberately
/// broken code for a bug in the real one, or its pass for a pass of the real one.
pub fn planted_bugs_line(scenario: &Scenario) -> Option<String> {
    (!scenario.bugs.is_empty()).then(|| {
        format!(
            "planted bugs: {} (the implementation is broken on purpose; see `lockstep bugs`)",
            bug_names(scenario).join(", ")
        )
    })
}

/// Runs every check on a history.
pub fn judge(history: &history::History) -> Verdict {
    check::check_history(history, &Budget::default())
}

/// The worse of two exit codes: safety (1) over liveness (3) over undecided (4) over ok.
pub fn worse(a: u8, b: u8) -> u8 {
    let rank = |code: u8| match code {
        1 => 3,
        3 => 2,
        4 => 1,
        _ => 0,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// The one-line command that replays `scenario` with `seed` and the same `--set` and
/// `--bug` flags, in the form the user ran lockstep: through `cargo run` or the binary
/// itself. Arguments are quoted for a POSIX shell where they need it (`--set
/// 'swarm.for_ms=[100, 900]'`).
pub fn replay_command(scenario: &Path, changes: &Changes, seed: u64) -> String {
    let program = if std::env::var_os("CARGO").is_some() {
        "cargo run --release --".to_string()
    } else {
        std::env::args()
            .next()
            .unwrap_or_else(|| "lockstep".to_string())
    };
    let mut command = format!(
        "{program} run {} --seed {seed}",
        shell_word(&scenario.display().to_string())
    );
    for change in &changes.overrides {
        command += &format!(" --set {}", shell_word(change.as_str()));
    }
    for bug in changes.bugs.iter() {
        command += &format!(" --bug {}", shell_word(bug.name()));
    }
    command
}

/// The command line this process was started with, as `lockstep ARGS…` with each
/// argument quoted for a shell where needed: what a generated report says made it.
pub fn invoked_command() -> String {
    let mut command = "lockstep".to_string();
    for argument in std::env::args().skip(1) {
        command += " ";
        command += &shell_word(&argument);
    }
    command
}

/// `text` as one word for a POSIX shell: as it is if no character in it means anything to
/// the shell, else in single quotes.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.,/:=@%+".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The scenario file a report keeps: what the run with `seed` really ran, seed pinned. For
/// a swarm scenario that is the schedule the seed drew, written as a scripted scenario.
pub fn scenario_as_run(scenario: &Scenario, seed: u64) -> String {
    let concrete = sim::concrete_scenario(scenario, seed).to_toml(Some(seed));
    if scenario.swarm.is_some() {
        format!(
            "# The faults swarm scenario `{}` drew for seed {seed}, written as a scripted\n# scenario: running this file replays the same run.\n{concrete}",
            scenario.name
        )
    } else {
        concrete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_commands_quote_what_the_shell_would_read() {
        assert_eq!(shell_word("workload.clients=2"), "workload.clients=2");
        assert_eq!(
            shell_word("swarm.for_ms=[100, 900]"),
            "'swarm.for_ms=[100, 900]'"
        );
        assert_eq!(shell_word(r#"name="it's""#), r#"'name="it'\''s"'"#);
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn safety_outranks_liveness_outranks_undecided() {
        assert_eq!(worse(0, 4), 4);
        assert_eq!(worse(4, 3), 3);
        assert_eq!(worse(3, 1), 1);
        assert_eq!(worse(1, 3), 1);
        assert_eq!(worse(0, 0), 0);
    }
}
