//! `lockstep bugs`, and reading the name `--bug` takes.

use crate::outcome::say;
use bugs::Bug;

/// Lists every plantable bug, one a line: its name, what goes wrong, where it was found.
pub fn list() -> u8 {
    let width = Bug::ALL
        .iter()
        .map(|bug| bug.name().len())
        .max()
        .unwrap_or(0);
    for bug in Bug::ALL {
        say!(
            "{:<width$}  {} [{}]",
            bug.name(),
            bug.description(),
            bug.source()
        );
    }
    0
}

/// The value of `--bug`: a bug's name. Unknown, clap reports it naming the flag and exits
/// with 2, as for any bad argument.
pub fn parse_bug(name: &str) -> Result<Bug, String> {
    Bug::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Bug::ALL.iter().map(|bug| bug.name()).collect();
        format!(
            "no such bug; expected one of {} (`lockstep bugs` describes them)",
            known.join(", ")
        )
    })
}
