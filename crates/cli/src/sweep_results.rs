//! A sweep's `results.json`: which seeds ran, under which code and settings, and what each
//! found; the file `lockstep merge` combines the shards of one sweep from.
//!
//! Integers and strings only (simulated time in whole microseconds), one line per seed in
//! seed order; `shard::results_file` lays it out, reads it back and merges shards.

use serde::{Deserialize, Serialize};
use shard::results_file::{compact_json, ShardedResults};
use shard::Shard;
use std::ops::Range;

/// The format name and version a sweep's results file starts with.
pub const FORMAT: &str = "lockstep-sweep/1";

/// What a sweep is, apart from what its seeds found: two shards merge only if these agree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepHeader {
    pub format: String,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file, as given on the command line.
    pub scenario_file: String,
    /// The code that ran (`lockstep 0.1.0 at git …`).
    pub code: String,
    /// Bugs planted with `--bug`, by name.
    pub bugs: Vec<String>,
    /// The `--set` overrides, `FIELD=VALUE`, in the order given.
    pub sets: Vec<String>,
    /// The seed range, END excluded.
    pub seeds_start: u64,
    pub seeds_end: u64,
}

/// What one seed found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedOutcome {
    pub seed: u64,
    /// The checks that did not hold (violated or undecided), in the order they ran;
    /// `panic` when the simulation itself panicked. Empty: the seed passed.
    pub failed_checks: Vec<String>,
    /// The exit code `lockstep run` gives this seed: 0, 1, 3 or 4.
    pub exit: u8,
    /// Operations the clients called.
    pub ops: u64,
    /// How long the run lasted in simulated time.
    pub simulated_us: u64,
}

/// A sweep's results file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepResults {
    pub header: SweepHeader,
    /// Which shard this is; absent for a whole sweep, and for shards merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    pub seeds: Vec<SeedOutcome>,
}

impl SweepResults {
    /// The seeds that failed.
    pub fn failures(&self) -> impl Iterator<Item = &SeedOutcome> {
        self.seeds
            .iter()
            .filter(|outcome| !outcome.failed_checks.is_empty())
    }
}

impl ShardedResults for SweepResults {
    type Header = SweepHeader;
    const FORMAT: &'static str = FORMAT;
    const KIND: &'static str = "sweep";

    fn header(&self) -> &SweepHeader {
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
        let mut out = "\"seeds\": [".to_string();
        for (index, outcome) in self.seeds.iter().enumerate() {
            out.push_str(if index == 0 { "\n" } else { ",\n" });
            out.push_str(&compact_json(outcome));
        }
        out.push_str("\n]");
        out
    }

    fn check_seeds(&self, seeds: &[u64]) -> Result<(), String> {
        if self
            .seeds
            .iter()
            .map(|outcome| outcome.seed)
            .eq(seeds.iter().copied())
        {
            return Ok(());
        }
        Err(format!(
            "does not hold exactly shard {}'s seeds",
            self.shard.unwrap_or(Shard::WHOLE)
        ))
    }

    fn absorb(&mut self, other: SweepResults) -> Result<(), String> {
        self.seeds.extend(other.seeds);
        Ok(())
    }

    fn sort_by_seed(&mut self) {
        self.seeds.sort_by_key(|outcome| outcome.seed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shard::results_file::merge;

    fn sweep(shard: Option<Shard>) -> SweepResults {
        let header = SweepHeader {
            format: FORMAT.to_string(),
            scenario: "smoke".to_string(),
            scenario_file: "scenarios/smoke.toml".to_string(),
            code: "lockstep test".to_string(),
            bugs: vec!["lock-no-recheck".to_string()],
            sets: vec!["workload.clients=2".to_string()],
            seeds_start: 3,
            seeds_end: 8,
        };
        let seeds = shard
            .unwrap_or(Shard::WHOLE)
            .seeds(&(3..8))
            .map(|seed| SeedOutcome {
                seed,
                failed_checks: if seed == 5 {
                    vec!["lock-holders-overlap".to_string()]
                } else {
                    Vec::new()
                },
                exit: if seed == 5 { 1 } else { 0 },
                ops: seed * 10,
                simulated_us: 1_000_000 + seed,
            })
            .collect();
        SweepResults {
            header,
            shard,
            seeds,
        }
    }

    #[test]
    fn a_results_file_reads_back_to_the_same_bytes() {
        let text = sweep(Some(Shard { index: 1, count: 2 })).to_json();
        assert_eq!(SweepResults::from_json(&text).unwrap().to_json(), text);
        assert_eq!(sweep(None).failures().count(), 1);
    }

    #[test]
    fn shards_merge_into_the_whole_sweep() {
        let parts = (0..3)
            .rev()
            .map(|index| {
                let shard = Shard { index, count: 3 };
                (format!("shard-{index}"), sweep(Some(shard)))
            })
            .collect();
        assert_eq!(merge(parts).unwrap().to_json(), sweep(None).to_json());
    }

    #[test]
    fn shards_of_different_sweeps_or_cut_short_do_not_merge() {
        let shard = |index| Some(Shard { index, count: 2 });
        let mut other = sweep(shard(1));
        other.header.sets.clear();
        let error = merge(vec![
            ("a".to_string(), sweep(shard(0))),
            ("b".to_string(), other),
        ])
        .unwrap_err();
        assert!(error.contains("their `sets` differs"), "{error}");

        let mut short = sweep(shard(1));
        short.seeds.pop();
        let error = merge(vec![
            ("a".to_string(), sweep(shard(0))),
            ("b".to_string(), short),
        ])
        .unwrap_err();
        assert!(
            error.contains("b: does not hold exactly shard 1/2's seeds"),
            "{error}"
        );

        let mut renamed = sweep(None).to_json();
        renamed = renamed.replace(FORMAT, "lockstep-sweep/9");
        let error = SweepResults::from_json(&renamed).unwrap_err();
        assert!(error.contains("lockstep-sweep/9"), "{error}");
    }
}
