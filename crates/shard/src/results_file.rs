//! The results file a sharded command (`sweep`, `tune`) writes, and the merge of its
//! shards: one module, so both kinds lay out, read back and merge their files alike.
//!
//! The file holds integers and strings only, laid out by hand in a fixed order: the
//! header pretty-printed, the shard (when it is one), then one line per run in seed order.
//! Reading it back and writing it again gives the same bytes, which is what makes the
//! merge of shards byte for byte the file one unsharded run writes.

use crate::{check_complete, Shard};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::ops::Range;

/// A results file of one kind: what the shared layout, reading and merging need from it.
pub trait ShardedResults: Sized + DeserializeOwned {
    /// What a run is, apart from its numbers: two shards merge only if these agree.
    type Header: PartialEq + Serialize;
    /// The format name and version the header starts with (`lockstep-sweep/1`).
    const FORMAT: &'static str;
    /// What errors call one such run: `sweep`, `tune`.
    const KIND: &'static str;

    fn header(&self) -> &Self::Header;
    /// The header's `format` field, as read.
    fn format(&self) -> &str;
    /// The seed range, END excluded, that the whole run covers.
    fn seed_range(&self) -> Range<u64>;
    /// Which shard this is; `None` for a whole run, and for shards merged.
    fn shard(&self) -> Option<Shard>;
    fn set_shard(&mut self, shard: Option<Shard>);
    /// The body after the header and shard, as `"name": [` … `]` with one run per line.
    fn body_json(&self) -> String;
    /// Whether every group of runs (a sweep's seeds, each cell of a tune) holds exactly
    /// `seeds`; the error says which does not.
    fn check_seeds(&self, seeds: &[u64]) -> Result<(), String>;
    /// Takes another shard's runs in (its header is known to be equal).
    fn absorb(&mut self, other: Self) -> Result<(), String>;
    /// Puts every group's runs in seed order.
    fn sort_by_seed(&mut self);

    /// The file's text.
    fn to_json(&self) -> String {
        let header = serde_json::to_string_pretty(self.header()).expect("plain data serializes");
        let mut out = format!("{{\n\"header\": {header},\n");
        if let Some(shard) = self.shard() {
            out.push_str(&format!("\"shard\": {},\n", compact_json(&shard)));
        }
        out.push_str(&self.body_json());
        out.push_str("\n}\n");
        out
    }

    /// Reads a results file's text; an error names the line and column, or the format
    /// found.
    fn from_json(text: &str) -> Result<Self, String> {
        let results: Self = serde_json::from_str(text).map_err(|error| {
            format!("line {}, column {}: {error}", error.line(), error.column())
        })?;
        if results.format() != Self::FORMAT {
            return Err(format!(
                "field `format`: {:?} is not {:?}, the format this lockstep reads",
                results.format(),
                Self::FORMAT
            ));
        }
        Ok(results)
    }

    /// The seeds every group of runs should hold, in order.
    fn expected_seeds(&self) -> Vec<u64> {
        self.shard()
            .unwrap_or(Shard::WHOLE)
            .seeds(&self.seed_range())
            .collect()
    }
}

/// One value as compact JSON: a line of the hand-laid-out file.
pub fn compact_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serializes")
}

/// Combines the shards of one run (`parts`, each named by its file for errors) into the
/// results one unsharded run gives: every shard of the same run exactly once, none cut
/// short.
pub fn merge<R: ShardedResults>(parts: Vec<(String, R)>) -> Result<R, String> {
    let Some((first_name, first)) = parts.first() else {
        return Err("nothing to merge".to_string());
    };
    for (name, part) in &parts {
        if part.header() != first.header() {
            return Err(format!(
                "{name} is not a shard of the same {} as {first_name}: {}",
                R::KIND,
                header_difference(part.header(), first.header())
            ));
        }
    }
    check_complete(
        parts
            .iter()
            .map(|(name, part)| (name.as_str(), part.shard())),
    )?;
    for (name, part) in &parts {
        part.check_seeds(&part.expected_seeds())
            .map_err(|error| format!("{name}: {error} (an interrupted run?)"))?;
    }
    let mut parts = parts.into_iter().map(|(_, part)| part);
    let mut merged = parts.next().expect("checked above: there is a first part");
    for part in parts {
        merged.absorb(part)?;
    }
    merged.set_shard(None);
    merged.sort_by_seed();
    Ok(merged)
}

/// Names the first header field (in alphabetical order) where two headers differ.
fn header_difference<H: Serialize>(a: &H, b: &H) -> String {
    let (serde_json::Value::Object(a), serde_json::Value::Object(b)) = (
        serde_json::to_value(a).expect("plain data serializes"),
        serde_json::to_value(b).expect("plain data serializes"),
    ) else {
        return "the headers differ".to_string();
    };
    a.iter()
        .find(|(field, value)| b.get(field.as_str()) != Some(value))
        .map_or("the headers differ".to_string(), |(field, _)| {
            format!("their `{field}` differs")
        })
}
