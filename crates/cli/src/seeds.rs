//! Seed ranges on the command line.

use std::ops::Range;

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
