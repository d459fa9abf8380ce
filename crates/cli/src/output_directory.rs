//! Where `tune`, `sweep` and `merge` write their results when not told (`--out`): a fresh
//! directory per run, named by the wall-clock time it started, so runs never overwrite
//! one another and shards of one split sort together.

use shard::Shard;
use std::path::{Path, PathBuf};

/// `<reports>/<command>/<scenario>/<UTC time>[-shard-I-of-N]`.
pub fn default_directory(
    reports: &Path,
    command: &str,
    scenario: &str,
    shard: Option<Shard>,
) -> PathBuf {
    let mut name = utc_timestamp();
    if let Some(shard) = shard {
        name += &format!("-shard-{}-of-{}", shard.index, shard.count);
    }
    reports.join(command).join(scenario).join(name)
}

/// `<reports>/<command>/<scenario>/<UTC time>-merged`: where `lockstep merge` writes.
pub fn merged_directory(reports: &Path, command: &str, scenario: &str) -> PathBuf {
    reports
        .join(command)
        .join(scenario)
        .join(format!("{}-merged", utc_timestamp()))
}

/// The wall-clock time now, UTC, as `20261123T114512Z`: names output directories only,
/// never enters a result.
fn utc_timestamp() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_date(days as i64);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u64;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u64;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(20_415), (2025, 11, 23));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
    }

    #[test]
    fn shards_are_named_in_their_directory() {
        let directory = default_directory(
            Path::new("reports"),
            "sweep",
            "smoke",
            Some(Shard { index: 2, count: 4 }),
        );
        let name = directory.file_name().unwrap().to_str().unwrap();
        assert!(name.ends_with("Z-shard-2-of-4"), "{name}");
        assert!(directory.starts_with("reports/sweep/smoke"));
    }
}
