//! The grid a tune runs: `--set FIELD=V1,V2,…` flags become axes, and every combination
//! of their values a cell, run on the same seeds as every other cell.
//!
//! A field is any scenario field `--set` accepts (`cluster.election_ticks`,
//! `lock.fencing`, `network.latency_max_ms`), or one of three names in an operator's
//! units, which are what people tune etcd by:
//! - `heartbeat_ms`: etcd's `--heartbeat-interval`. It is the Raft tick
//!   (`cluster.tick_ms`, with `cluster.heartbeat_ticks = 1`); the election timeout stays
//!   what it was in milliseconds.
//! - `election_timeout_ms`: etcd's `--election-timeout`, in whole ticks
//!   (`cluster.election_ticks`).
//! - `lease_ttl_s`: the TTL of every lease the workload takes (`lease.ttl_s`,
//!   `lock.session_ttl_s`, `election.session_ttl_s`, for the workloads the scenario runs).

use scenario::{Scenario, WorkloadKind};
use serde::{Deserialize, Serialize};

/// One field's value in a cell: `field=value` as `--set` takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    pub field: String,
    pub value: String,
}

impl Setting {
    /// `field=value`.
    pub fn text(&self) -> String {
        format!("{}={}", self.field, self.value)
    }
}

/// A field the grid varies, with its values in the order given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    pub field: String,
    pub values: Vec<String>,
}

/// What `--set` flags ask for: fields with one value hold for every cell; fields with
/// several are axes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    pub fixed: Vec<Setting>,
    pub axes: Vec<Axis>,
}

const HEARTBEAT_MS: &str = "heartbeat_ms";
const ELECTION_TIMEOUT_MS: &str = "election_timeout_ms";
const LEASE_TTL_S: &str = "lease_ttl_s";

impl Grid {
    /// Reads `--set` flags (`FIELD=VALUE` or `FIELD=V1,V2,…`). A comma inside brackets or
    /// quotes (`swarm.for_ms=[100, 900]`) does not separate values.
    pub fn parse(sets: &[String]) -> Result<Grid, String> {
        let mut grid = Grid {
            fixed: Vec::new(),
            axes: Vec::new(),
        };
        for text in sets {
            let Some((field, values)) = text.split_once('=') else {
                return Err(format!(
                    "--set {text:?}: expected FIELD=VALUE or FIELD=V1,V2,…, e.g. --set election_timeout_ms=300,1000,3000"
                ));
            };
            let field = field.trim().to_string();
            let values = split_values(values);
            if field.is_empty() || values.iter().any(String::is_empty) {
                return Err(format!(
                    "--set {text:?}: a field name and non-empty values are needed"
                ));
            }
            let named = |existing: &str| existing == field;
            if grid.fixed.iter().any(|setting| named(&setting.field))
                || grid.axes.iter().any(|axis| named(&axis.field))
            {
                return Err(format!(
                    "--set {text:?}: {field} is set twice; give all its values in one flag"
                ));
            }
            let mut distinct = values.clone();
            distinct.sort();
            distinct.dedup();
            if distinct.len() != values.len() {
                return Err(format!("--set {text:?}: a value is listed twice"));
            }
            if values.len() == 1 {
                grid.fixed.push(Setting {
                    field,
                    value: values.into_iter().next().expect("one value"),
                });
            } else {
                grid.axes.push(Axis { field, values });
            }
        }
        Ok(grid)
    }

    /// Every cell's settings (the fixed ones first, then one value per axis), the last
    /// axis varying fastest.
    pub fn cells(&self) -> Vec<Vec<Setting>> {
        let mut cells: Vec<Vec<Setting>> = vec![self.fixed.clone()];
        for axis in &self.axes {
            cells = cells
                .into_iter()
                .flat_map(|cell| {
                    axis.values.iter().map(move |value| {
                        let mut cell = cell.clone();
                        cell.push(Setting {
                            field: axis.field.clone(),
                            value: value.clone(),
                        });
                        cell
                    })
                })
                .collect();
        }
        cells
    }
}

/// Splits `V1,V2,…` at the commas outside brackets, braces and quotes.
fn split_values(text: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut current = String::new();
    for character in text.chars() {
        match character {
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                values.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(character);
    }
    values.push(current.trim().to_string());
    values
}

/// The `--set FIELD=VALUE` texts a cell's `settings` come to on `base` (the scenario as
/// its file gives it), with the operator's names translated into scenario fields.
pub fn scenario_overrides(settings: &[Setting], base: &Scenario) -> Result<Vec<String>, String> {
    let value_of = |name: &str| {
        settings
            .iter()
            .find(|setting| setting.field == name)
            .map(|setting| parse_whole(name, &setting.value))
            .transpose()
    };
    let heartbeat_ms = value_of(HEARTBEAT_MS)?;
    let election_timeout_ms = value_of(ELECTION_TIMEOUT_MS)?;
    let aliased = |field: &str| match field {
        "cluster.tick_ms" | "cluster.heartbeat_ticks" | "cluster.election_ticks" => {
            heartbeat_ms.is_some() || election_timeout_ms.is_some()
        }
        _ => false,
    };
    let mut texts = Vec::new();
    for setting in settings {
        match setting.field.as_str() {
            HEARTBEAT_MS | ELECTION_TIMEOUT_MS => {}
            LEASE_TTL_S => texts.extend(ttl_overrides(&setting.value, base)?),
            field if aliased(field) => {
                return Err(format!(
                    "{field} and {HEARTBEAT_MS}/{ELECTION_TIMEOUT_MS} both set the Raft timing; use one or the other"
                ))
            }
            _ => texts.push(setting.text()),
        }
    }
    if heartbeat_ms.is_none() && election_timeout_ms.is_none() {
        return Ok(texts);
    }
    let tick_ms = heartbeat_ms.unwrap_or(base.cluster.tick_ms);
    if tick_ms == 0 {
        return Err(format!(
            "{HEARTBEAT_MS}=0: the heartbeat must be at least 1 ms"
        ));
    }
    let election_ms =
        election_timeout_ms.unwrap_or(base.cluster.election_ticks * base.cluster.tick_ms);
    if election_ms % tick_ms != 0 {
        return Err(format!(
            "{ELECTION_TIMEOUT_MS}={election_ms} is not a whole number of {tick_ms} ms heartbeats (Raft counts the election timeout in ticks)"
        ));
    }
    if heartbeat_ms.is_some() {
        texts.push(format!("cluster.tick_ms={tick_ms}"));
        texts.push("cluster.heartbeat_ticks=1".to_string());
    }
    texts.push(format!("cluster.election_ticks={}", election_ms / tick_ms));
    Ok(texts)
}

fn parse_whole(name: &str, value: &str) -> Result<u64, String> {
    value
        .parse::<u64>()
        .map_err(|_| format!("{name}={value}: expected a whole number"))
}

fn ttl_overrides(value: &str, base: &Scenario) -> Result<Vec<String>, String> {
    let ttl_s = parse_whole(LEASE_TTL_S, value)?;
    let fields: Vec<String> = [
        (WorkloadKind::Lease, "lease.ttl_s"),
        (WorkloadKind::Lock, "lock.session_ttl_s"),
        (WorkloadKind::Election, "election.session_ttl_s"),
    ]
    .into_iter()
    .filter(|(kind, _)| base.workload.lists(*kind))
    .map(|(_, field)| format!("{field}={ttl_s}"))
    .collect();
    if fields.is_empty() {
        return Err(format!(
            "{LEASE_TTL_S}: the scenario's workload takes no leases (its kind lists none of lease, lock, election)"
        ));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|text| text.to_string()).collect()
    }

    #[test]
    fn axes_multiply_and_the_last_varies_fastest() {
        let grid = Grid::parse(&sets(&["a=1,2", "b=x,y,z", "c=7"])).unwrap();
        assert_eq!(grid.fixed.len(), 1);
        let cells = grid.cells();
        assert_eq!(cells.len(), 6);
        let texts: Vec<String> = cells[1].iter().map(Setting::text).collect();
        assert_eq!(texts, ["c=7", "a=1", "b=y"]);
    }

    #[test]
    fn commas_inside_brackets_do_not_split() {
        let grid = Grid::parse(&sets(&["swarm.for_ms=[100, 900],[200, 400]"])).unwrap();
        assert_eq!(grid.axes[0].values, ["[100, 900]", "[200, 400]"]);
    }

    #[test]
    fn bad_flags_are_errors() {
        for bad in [
            &["a"][..],
            &["a="],
            &["a=1,"],
            &["a=1,1"],
            &["a=1", "a=2,3"],
        ] {
            assert!(Grid::parse(&sets(bad)).is_err(), "{bad:?}");
        }
    }

    fn base() -> Scenario {
        Scenario::parse(
            "[cluster]\ntick_ms = 100\nelection_ticks = 10\n[workload]\nkind = [\"kv\", \"lock\"]\n",
            "base.toml",
            "base",
        )
        .unwrap()
    }

    fn overrides(texts: &[&str]) -> Result<Vec<String>, String> {
        let settings: Vec<Setting> = texts
            .iter()
            .map(|text| {
                let (field, value) = text.split_once('=').unwrap();
                Setting {
                    field: field.to_string(),
                    value: value.to_string(),
                }
            })
            .collect();
        scenario_overrides(&settings, &base())
    }

    #[test]
    fn operator_names_become_scenario_fields() {
        assert_eq!(
            overrides(&["heartbeat_ms=50", "election_timeout_ms=300"]).unwrap(),
            [
                "cluster.tick_ms=50",
                "cluster.heartbeat_ticks=1",
                "cluster.election_ticks=6"
            ]
        );
        // The election timeout keeps its milliseconds when only the heartbeat changes.
        assert_eq!(
            overrides(&["heartbeat_ms=50"]).unwrap(),
            [
                "cluster.tick_ms=50",
                "cluster.heartbeat_ticks=1",
                "cluster.election_ticks=20"
            ]
        );
        assert_eq!(
            overrides(&["lease_ttl_s=5", "lock.fencing=true"]).unwrap(),
            ["lock.session_ttl_s=5", "lock.fencing=true"]
        );
    }

    #[test]
    fn impossible_settings_are_errors() {
        assert!(overrides(&["heartbeat_ms=300", "election_timeout_ms=1000"]).is_err());
        assert!(overrides(&["election_timeout_ms=1000", "cluster.tick_ms=10"]).is_err());
        assert!(overrides(&["heartbeat_ms=fast"]).is_err());
    }
}
