//! Shards: one seed range split across machines (`--shard INDEX/COUNT`), and the check
//! that the parts brought back to be merged make up the whole range exactly once.
//!
//! `sweep`, `hunt` and `tune` all split seeds this way, so a shard of one is a shard of
//! the others and `lockstep merge` judges completeness in one place.

pub mod results_file;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;

/// Which part of a seed range a process ran: seeds `start + k` with `k % count == index`.
/// Interleaving (not contiguous blocks) gives every shard the same mix of early and late
/// seeds, so shards take about the same time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    /// Counted from 0, as Kubernetes' `JOB_COMPLETION_INDEX` is.
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole range: what a run without `--shard` covers.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Reads `INDEX/COUNT` (`0/4` … `3/4`).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let error = || {
            format!(
                "--shard {text:?}: expected INDEX/COUNT with 0 <= INDEX < COUNT, e.g. --shard 0/4"
            )
        };
        let (index, count) = text.split_once('/').ok_or_else(error)?;
        let index: u64 = index.trim().parse().map_err(|_| error())?;
        let count: u64 = count.trim().parse().map_err(|_| error())?;
        if count == 0 || index >= count {
            return Err(error());
        }
        Ok(Shard { index, count })
    }

    /// Whether `seed` of the range starting at `start` is this shard's.
    pub fn owns(&self, start: u64, seed: u64) -> bool {
        (seed - start) % self.count == self.index
    }

    /// This shard's `position`-th seed of `range` (from 0), if the range reaches it: the
    /// order a hunt tries them in, without listing a billion seeds first.
    pub fn nth_seed(&self, range: &Range<u64>, position: u64) -> Option<u64> {
        position
            .checked_mul(self.count)
            .and_then(|offset| offset.checked_add(self.index))
            .and_then(|offset| range.start.checked_add(offset))
            .filter(|&seed| seed < range.end)
    }

    /// How many seeds of `range` are this shard's.
    pub fn seed_count(&self, range: &Range<u64>) -> u64 {
        let length = range.end.saturating_sub(range.start);
        if length <= self.index {
            0
        } else {
            (length - self.index).div_ceil(self.count)
        }
    }

    /// This shard's seeds of `range`, in order.
    pub fn seeds(self, range: &Range<u64>) -> impl Iterator<Item = u64> {
        let start = range.start;
        (range.clone()).filter(move |&seed| self.owns(start, seed))
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Checks that `parts` (each a file's name, for errors, and the shard it says it holds)
/// are every shard of one split exactly once, and returns the number of shards. The
/// parts' headers are compared by the caller, which knows what they hold.
pub fn check_complete<'a>(
    parts: impl IntoIterator<Item = (&'a str, Option<Shard>)>,
) -> Result<u64, String> {
    let mut parts = parts.into_iter();
    let Some((first_name, first_shard)) = parts.next() else {
        return Err("nothing to merge".to_string());
    };
    let Some(first_shard) = first_shard else {
        return Err(format!(
            "{first_name}: not a shard (it has no `shard` field): it already holds every seed"
        ));
    };
    let count = first_shard.count;
    let mut seen = vec![None::<&str>; count as usize];
    seen[first_shard.index as usize] = Some(first_name);
    for (name, shard) in parts {
        let Some(shard) = shard.filter(|shard| shard.count == count) else {
            return Err(format!(
                "{name}: expected a shard of {count} (as {first_name} is), found {}",
                shard.map_or("an unsharded run".to_string(), |shard| format!(
                    "shard {shard}"
                ))
            ));
        };
        if let Some(other) = seen[shard.index as usize] {
            return Err(format!("{name} and {other} are both shard {shard}"));
        }
        seen[shard.index as usize] = Some(name);
    }
    let missing: Vec<String> = (0..count)
        .filter(|&index| seen[index as usize].is_none())
        .map(|index| format!("{index}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!("missing shards: {}", missing.join(", ")));
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_bad_ones_are_errors() {
        assert_eq!(Shard::parse("1/4"), Ok(Shard { index: 1, count: 4 }));
        for bad in ["4/4", "0/0", "1", "a/4", "-1/4", "1/4/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_shards_of_a_range_cover_it_exactly_once() {
        for range in [0..10, 7..8, 3..3, 5..17] {
            let mut covered = Vec::new();
            for index in 0..4 {
                let shard = Shard { index, count: 4 };
                let seeds: Vec<u64> = shard.seeds(&range).collect();
                assert_eq!(seeds.len() as u64, shard.seed_count(&range), "{range:?}");
                let nth: Vec<u64> = (0..)
                    .map_while(|position| shard.nth_seed(&range, position))
                    .collect();
                assert_eq!(nth, seeds, "{range:?} {shard}");
                covered.extend(seeds);
            }
            covered.sort_unstable();
            assert_eq!(covered, range.clone().collect::<Vec<_>>());
        }
        assert_eq!(Shard::WHOLE.seed_count(&(0..1_000_000_000)), 1_000_000_000);
        assert_eq!(
            Shard { index: 3, count: 4 }.nth_seed(&(0..u64::MAX), u64::MAX),
            None
        );
    }

    #[test]
    fn incomplete_or_repeated_shards_are_named() {
        let shard = |index| Some(Shard { index, count: 3 });
        assert_eq!(
            check_complete([("a", shard(2)), ("b", shard(0)), ("c", shard(1))]),
            Ok(3)
        );
        let missing = check_complete([("a", shard(2)), ("b", shard(0))]).unwrap_err();
        assert_eq!(missing, "missing shards: 1/3");
        let twice = check_complete([("a", shard(2)), ("b", shard(2))]).unwrap_err();
        assert_eq!(twice, "b and a are both shard 2/3");
        let whole = check_complete([("a", None)]).unwrap_err();
        assert!(whole.contains("a: not a shard"), "{whole}");
        let other = check_complete([("a", shard(0)), ("b", Some(Shard { index: 0, count: 2 }))])
            .unwrap_err();
        assert!(other.contains("b: expected a shard of 3"), "{other}");
    }
}
