//! Seeds on the command line: the range, the shard of it, and what every command that
//! runs a scenario over many seeds (`sweep`, `hunt`, `tune`) is told.

use bugs::Bug;
use shard::Shard;
use std::ops::Range;
use std::path::Path;

/// The options `sweep`, `hunt` and `tune` share: a scenario, changed and planted with
/// bugs, run over a range of seeds (or one shard of it) on several threads.
pub struct SeedRunOptions<'a> {
    pub scenario: &'a Path,
    /// `--set`: FIELD=VALUE (for `tune`, also FIELD=V1,V2,… axes).
    pub sets: &'a [String],
    pub planted: &'a [Bug],
    /// `--seeds`, as typed.
    pub seeds: &'a str,
    /// `--shard INDEX/COUNT`, as typed: run only that shard's seeds.
    pub shard: Option<&'a str>,
    pub jobs: Option<usize>,
    /// Where reports go (and, without `out`, the results directory).
    pub reports: &'a Path,
    /// Where results.json and summary.md go.
    pub out: Option<&'a Path>,
}

impl SeedRunOptions<'_> {
    /// The seed range and the shard of it to run; an error (bad input) if either does not
    /// parse or the shard gets no seed.
    pub fn seed_plan(&self) -> Result<(Range<u64>, Option<Shard>), String> {
        let range = parse_seed_range(self.seeds)?;
        let shard = self.shard.map(Shard::parse).transpose()?;
        let part = shard.unwrap_or(Shard::WHOLE);
        if part.seed_count(&range) == 0 {
            return Err(format!(
                "--shard {part}: no seed of {}..{} falls to this shard",
                range.start, range.end
            ));
        }
        Ok((range, shard))
    }

    /// How many simulations to run at once.
    pub fn job_count(&self) -> usize {
        job_count(self.jobs)
    }
}

/// `--jobs`, or else one simulation per core.
pub fn job_count(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// Parses `START..END` (END excluded), `START..=END`, or a single seed.
pub fn parse_seed_range(text: &str) -> Result<Range<u64>, String> {
    let number = |part: &str| {
        part.trim()
            .parse::<u64>()
            .map_err(|_| format!("--seeds {text:?}: expected START..END, START..=END or a seed; {part:?} is not a number"))
    };
    let range = if let Some((start, end)) = text.split_once("..=") {
        let end = number(end)?;
        number(start)?
            ..end
                .checked_add(1)
                .ok_or_else(|| format!("--seeds {text:?}: END is too large"))?
    } else if let Some((start, end)) = text.split_once("..") {
        number(start)?..number(end)?
    } else {
        let seed = number(text)?;
        seed..seed + 1
    };
    if range.is_empty() {
        return Err(format!("--seeds {text:?}: the range is empty"));
    }
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse() {
        assert_eq!(parse_seed_range("0..1000"), Ok(0..1000));
        assert_eq!(parse_seed_range("5..=7"), Ok(5..8));
        assert_eq!(parse_seed_range("42"), Ok(42..43));
    }

    #[test]
    fn bad_ranges_are_errors() {
        for bad in ["", "a..b", "5..5", "9..1", "1..2..3", "-1..4"] {
            assert!(parse_seed_range(bad).is_err(), "{bad}");
        }
    }
}
