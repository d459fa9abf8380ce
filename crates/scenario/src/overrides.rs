//! `--set FIELD=VALUE`: a scenario field changed from the command line.
//!
//! An override is applied to the file's TOML, before anything is validated, and the result
//! goes through the same parser as a file: a value set on the command line meets exactly
//! the checks (types, ranges, cross-field rules) a value in the file meets, and the
//! scenario that runs, and is written into the report, is the changed one.
//!
//! Field names are the file's dotted names (`cluster.election_ticks`, `workload.mix.get`,
//! `swarm.for_ms`), checked against the parser's own structs. `[[faults]]` entries have no
//! such names and cannot be set. A value is read as TOML (`20`, `true`, `"text"`,
//! `[100, 900]`); a bare word that is not TOML (`lock-pause-fenced`) is taken as a string,
//! so names need no shell-escaped quotes.

use crate::parse::{check_shape, table_fields};
use crate::{Scenario, ScenarioError};
use serde::Deserialize;
use std::fmt;
use toml::{Table, Value};

/// One `--set FIELD=VALUE`, its field name checked and its value read.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// `FIELD=VALUE` as given, spaces around both trimmed: what a replay command repeats.
    text: String,
    path: Vec<String>,
    value: Value,
}

impl Override {
    /// Reads `FIELD=VALUE`. An unknown field, a field that is a table, a `faults` field or a
    /// value of the wrong type is an error naming the flag; a value out of range is found
    /// when the override is applied ([`Scenario::parse_with`]), where the other fields it
    /// is checked against are known.
    pub fn parse(text: &str) -> Result<Override, ScenarioError> {
        let Some((field, value)) = text.split_once('=') else {
            return Err(flag_error(
                text,
                "",
                "expected FIELD=VALUE, e.g. --set cluster.election_ticks=20".to_string(),
            ));
        };
        let (field, value) = (field.trim(), value.trim());
        let text = format!("{field}={value}");
        let error = |message: String| flag_error(&text, field, message);
        if field == "faults" || field.starts_with("faults.") || field.starts_with("faults[") {
            return Err(flag_error(
                &text,
                "",
                "[[faults]] entries cannot be set from the command line; edit the scenario file, or draw faults with the swarm knobs (--set swarm.faults=5)"
                    .to_string(),
            ));
        }
        let path: Vec<String> = field.split('.').map(str::to_string).collect();
        check_names(&path).map_err(|message| flag_error(&text, "", message))?;
        let value = read_value(value).map_err(error)?;
        let alone = nested(&path, value.clone());
        toml::to_string(&alone)
            .map_err(|problem| problem.to_string())
            .and_then(|source| check_shape(&source))
            .map_err(error)?;
        Ok(Override { text, path, value })
    }

    /// `FIELD=VALUE`, without the `--set`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether an error about `field` (a dotted name as [`ScenarioError::field`] gives it)
    /// is about the value this override set: the field itself or one inside it.
    fn sets(&self, field: &str) -> bool {
        let path = self.path.join(".");
        field
            .strip_prefix(&path)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--set {}", self.text)
    }
}

/// An error whose source is a `--set` flag rather than a place in a file.
fn flag_error(text: &str, field: &str, message: String) -> ScenarioError {
    ScenarioError {
        file: format!("--set {text}"),
        line: 0,
        column: 0,
        field: field.to_string(),
        message,
    }
}

/// Checks that `path` names a value (not a table) the parser knows, saying what the valid
/// names are where it goes wrong.
fn check_names(path: &[String]) -> Result<(), String> {
    let mut table = String::new();
    for (depth, name) in path.iter().enumerate() {
        let fields = table_fields(&table);
        let place = if table.is_empty() {
            "at the top level".to_string()
        } else {
            format!("in [{table}]")
        };
        if !fields.contains(&name.as_str()) {
            // `faults` is a top-level field, but no field of its entries has a dotted name.
            let settable = |n: &&str| !(table.is_empty() && *n == "faults");
            let names: Vec<&str> = fields.iter().copied().filter(settable).collect();
            return Err(format!(
                "no field `{name}` {place}; expected one of {}",
                names.join(", ")
            ));
        }
        let child = if table.is_empty() {
            name.clone()
        } else {
            format!("{table}.{name}")
        };
        let child_fields = table_fields(&child);
        let last = depth + 1 == path.len();
        match (last, child_fields.is_empty()) {
            (true, true) => {}
            (true, false) => {
                return Err(format!(
                    "[{child}] is a table, not a value; set one of its fields: {}",
                    child_fields.join(", ")
                ))
            }
            (false, true) => return Err(format!("`{child}` is a value, not a table")),
            (false, false) => table = child,
        }
    }
    Ok(())
}

/// A value as TOML; failing that, a bare word (letters, digits, `-`, `_`, `.`) as a string.
fn read_value(text: &str) -> Result<Value, String> {
    if text.is_empty() {
        return Err("expected a value after `=`".to_string());
    }
    match Value::deserialize(toml::de::ValueDeserializer::new(text)) {
        Ok(value) => Ok(value),
        Err(_)
            if text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) =>
        {
            Ok(Value::String(text.to_string()))
        }
        Err(error) => Err(format!(
            "expected a TOML value (a number, true, \"text\", [1, 2]) or a bare word, found `{text}`: {}",
            error.message().trim_end().replace('\n', "; ")
        )),
    }
}

/// A table holding only `value`, at `path`.
fn nested(path: &[String], value: Value) -> Table {
    let mut table = Table::new();
    set(&mut table, path, value);
    table
}

/// Puts `value` at `path` in `table`, creating the tables on the way that are missing.
fn set(table: &mut Table, path: &[String], value: Value) {
    let Some((name, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        table.insert(name.clone(), value);
        return;
    }
    if !table.get(name).is_some_and(Value::is_table) {
        table.insert(name.clone(), Value::Table(Table::new()));
    }
    if let Some(Value::Table(inner)) = table.get_mut(name) {
        set(inner, rest, value);
    }
}

/// What [`Scenario::parse_with`] does.
pub(crate) fn parse_with(
    source: &str,
    file: &str,
    default_name: &str,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    // The file must hold up by itself: its own mistakes are reported at their lines, which
    // the rewritten text below no longer matches.
    let scenario = crate::parse::parse(source, file, default_name)?;
    if overrides.is_empty() {
        return Ok(scenario);
    }
    let unreadable = |message: String| ScenarioError {
        file: file.to_string(),
        line: 0,
        column: 0,
        field: String::new(),
        message,
    };
    let mut table: Table = toml::from_str(source).map_err(|e| unreadable(e.to_string()))?;
    // `workload.mix` is the one table in which a weight left out is 0, not its default (a
    // mix lists the kinds it wants). A weight set into a mix the file leaves out therefore
    // joins the default mix, so `--set workload.mix.get=10` changes that weight only.
    let mix_path = ["workload".to_string(), "mix".to_string()];
    let sets_a_weight = overrides.iter().any(|o| o.path.starts_with(&mix_path));
    let file_has_mix = table
        .get("workload")
        .and_then(|workload| workload.get("mix"))
        .is_some();
    if sets_a_weight && !file_has_mix {
        let mix = scenario.workload.mix;
        let weights = [
            ("get", mix.get),
            ("put", mix.put),
            ("cas", mix.cas),
            ("delete", mix.delete),
        ]
        .map(|(kind, weight)| (kind.to_string(), Value::Integer(weight as i64)));
        set(
            &mut table,
            &mix_path,
            Value::Table(Table::from_iter(weights)),
        );
    }
    for change in overrides {
        set(&mut table, &change.path, change.value.clone());
    }
    let changed = toml::to_string(&table).map_err(|e| unreadable(e.to_string()))?;
    crate::parse::parse(&changed, file, default_name).map_err(|error| blame(error, file, overrides))
}

/// Says where a value that failed validation came from: the `--set` that set the field
/// (the last one, if several did), or else the file and the overrides together, since the
/// file alone was valid. Lines are dropped: they would be lines of the rewritten text.
fn blame(error: ScenarioError, file: &str, overrides: &[Override]) -> ScenarioError {
    let source = match overrides.iter().rev().find(|o| o.sets(&error.field)) {
        Some(culprit) => culprit.to_string(),
        None => {
            let flags: Vec<String> = overrides.iter().map(Override::to_string).collect();
            format!("{file} with {}", flags.join(" "))
        }
    };
    ScenarioError {
        file: source,
        line: 0,
        column: 0,
        ..error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "duration_ms = 9000\n\n[cluster]\nnodes = 5\n\n[[faults]]\nat_ms = 3000\nkind = \"isolate\"\nnode = 5\nfor_ms = 1000\n";

    fn parse(sets: &[&str]) -> Result<Scenario, ScenarioError> {
        let overrides = sets
            .iter()
            .map(|text| Override::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        Scenario::parse_with(FILE, "file.toml", "file", &overrides)
    }

    fn message(sets: &[&str]) -> String {
        parse(sets)
            .expect_err("the override is rejected")
            .to_string()
    }

    #[test]
    fn a_nested_field_is_set_and_the_rest_of_the_file_kept() {
        let scenario = parse(&["cluster.election_ticks=20", "workload.mix.get=7"]).unwrap();
        assert_eq!(scenario.cluster.election_ticks, 20);
        assert_eq!(scenario.cluster.nodes, 5);
        assert_eq!(scenario.workload.mix.get, 7);
        assert_eq!(scenario.faults.len(), 1);
        assert_eq!(scenario.duration_ms, 9000);
    }

    #[test]
    fn a_weight_set_into_a_mix_the_file_leaves_out_keeps_the_other_default_weights() {
        let mix = parse(&["workload.mix.get=7"]).unwrap().workload.mix;
        assert_eq!((mix.get, mix.put, mix.cas, mix.delete), (7, 30, 25, 5));
        let with_mix = "[workload]\nmix = { get = 1, put = 2 }\n";
        let overrides = [Override::parse("workload.mix.cas=3").unwrap()];
        let mix = Scenario::parse_with(with_mix, "mix.toml", "mix", &overrides)
            .unwrap()
            .workload
            .mix;
        assert_eq!((mix.get, mix.put, mix.cas, mix.delete), (1, 2, 3, 0));
    }

    #[test]
    fn a_table_the_file_omits_is_created() {
        let scenario = parse(&["liveness.timeout_ms=20000", "network.latency_max_ms=50"]).unwrap();
        assert_eq!(scenario.liveness.timeout_ms, 20000);
        assert_eq!(scenario.network.latency_max_ms, 50);
        assert_eq!(scenario.network.latency_min_ms, 1, "the default stays");
    }

    #[test]
    fn the_last_of_two_overrides_of_a_field_wins() {
        let scenario = parse(&["workload.clients=3", "workload.clients=8"]).unwrap();
        assert_eq!(scenario.workload.clients, 8);
    }

    #[test]
    fn an_unknown_field_names_the_flag_and_the_valid_fields() {
        assert_eq!(
            message(&["cluster.nodez=3"]),
            "--set cluster.nodez=3: no field `nodez` in [cluster]; expected one of nodes, tick_ms, election_ticks, heartbeat_ticks, fsync_us, snapshot_interval_entries, catch_up_entries, lease_checkpoint_ms, pre_vote, lease_expiry_check_ms"
        );
        assert_eq!(
            message(&["clients=3"]),
            "--set clients=3: no field `clients` at the top level; expected one of name, description, seed, duration_ms, bugs, cluster, network, workload, liveness, lock, lease, election, swarm"
        );
        assert_eq!(
            message(&["cluster=3"]),
            "--set cluster=3: [cluster] is a table, not a value; set one of its fields: nodes, tick_ms, election_ticks, heartbeat_ticks, fsync_us, snapshot_interval_entries, catch_up_entries, lease_checkpoint_ms, pre_vote, lease_expiry_check_ms"
        );
        assert_eq!(
            message(&["duration_ms.x=3"]),
            "--set duration_ms.x=3: `duration_ms` is a value, not a table"
        );
        assert!(
            message(&["cluster.nodes"]).starts_with("--set cluster.nodes: expected FIELD=VALUE")
        );
    }

    #[test]
    fn the_workload_kind_its_table_and_lease_checkpoints_can_be_set() {
        let scenario = parse(&[
            "workload.kind=lock",
            "lock.fencing=true",
            "cluster.lease_checkpoint_ms=1000",
        ])
        .unwrap();
        assert_eq!(scenario.workload.kinds, [crate::WorkloadKind::Lock]);
        assert!(scenario.lock.fencing);
        assert_eq!(scenario.lock.locks, crate::LockConfig::default().locks);
        assert_eq!(scenario.cluster.lease_checkpoint_ms, 1000);
        assert_eq!(scenario.faults.len(), 1, "the file's fault is kept");
        // A workload's table set without its workload is the file's kv workload clashing
        // with the flag, as the same table written into the file would.
        assert_eq!(
            message(&["lock.fencing=true"]),
            "file.toml with --set lock.fencing=true: field `lock`: [lock] is only read when workload.kind lists \"lock\", but workload.kind is \"kv\"; remove the table or add \"lock\" to workload.kind"
        );
        assert_eq!(
            message(&["workload.kind=mutex"]),
            "--set workload.kind=mutex: field `workload.kind`: expected one of kv, lock, lease, election, found \"mutex\""
        );
    }

    #[test]
    fn an_unknown_field_of_a_workload_table_names_the_valid_ones() {
        assert_eq!(
            message(&["workload.kind=lock", "lock.fence=true"]),
            "--set lock.fence=true: no field `fence` in [lock]; expected one of locks, session_ttl_s, hold_min_ms, hold_max_ms, fencing"
        );
        assert_eq!(
            message(&["lock=true"]),
            "--set lock=true: [lock] is a table, not a value; set one of its fields: locks, session_ttl_s, hold_min_ms, hold_max_ms, fencing"
        );
    }

    #[test]
    fn a_value_out_of_range_names_the_flag_not_a_line() {
        assert_eq!(
            message(&["cluster.election_ticks=20", "cluster.nodes=40"]),
            "--set cluster.nodes=40: field `cluster.nodes`: expected a node count between 1 and 9, found 40"
        );
        assert_eq!(
            message(&["swarm.for_ms=[900, 100]"]),
            "--set swarm.for_ms=[900, 100]: field `swarm.for_ms`: expected min ≤ max, found [900, 100]"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_flag() {
        assert_eq!(
            message(&["workload.clients=many"]),
            "--set workload.clients=many: field `workload.clients`: invalid type: string \"many\", expected u64"
        );
        assert_eq!(
            message(&["swarm.for_ms=soon"]),
            "--set swarm.for_ms=soon: field `swarm.for_ms`: expected a number or a range [min, max]"
        );
        assert!(
            message(&["swarm.kinds=[crash]"]).starts_with(
                "--set swarm.kinds=[crash]: field `swarm.kinds`: expected a TOML value (a number, true, \"text\", [1, 2]) or a bare word, found `[crash]`"
            ),
            "{}",
            message(&["swarm.kinds=[crash]"])
        );
    }

    #[test]
    fn a_value_that_clashes_with_the_file_names_both() {
        // The file isolates node 5; with 3 nodes there is none.
        assert_eq!(
            message(&["cluster.nodes=3"]),
            "file.toml with --set cluster.nodes=3: field `faults[0].node`: expected a node id from 1 to 3, \"leader\" or \"random\", found 5"
        );
    }

    #[test]
    fn the_file_must_be_valid_by_itself() {
        let broken = "[cluster]\nnodes = 40\n";
        let overrides = [Override::parse("cluster.nodes=3").unwrap()];
        let error = Scenario::parse_with(broken, "broken.toml", "broken", &overrides).unwrap_err();
        assert_eq!(
            error.to_string(),
            "broken.toml:2:9: field `cluster.nodes`: expected a node count between 1 and 9, found 40"
        );
    }

    #[test]
    fn faults_cannot_be_set() {
        for field in ["faults", "faults.at_ms", "faults[0].at_ms"] {
            let text = message(&[&format!("{field}=1")]);
            assert!(
                text.starts_with(&format!(
                    "--set {field}=1: [[faults]] entries cannot be set from the command line"
                )),
                "{text}"
            );
        }
    }

    #[test]
    fn swarm_knobs_take_a_range_or_a_pinned_value_and_make_a_swarm() {
        let scenario = parse(&["swarm.for_ms=[100,900]", "swarm.faults=5"]).unwrap();
        let swarm = scenario.swarm.expect("the [swarm] table was created");
        assert_eq!((swarm.for_ms.min, swarm.for_ms.max), (100, 900));
        assert_eq!((swarm.faults.min, swarm.faults.max), (5, 5));
        let kinds = parse(&[r#"swarm.kinds=["crash", "pause"]"#]).unwrap();
        assert_eq!(kinds.swarm.unwrap().kinds, ["crash", "pause"]);
    }

    #[test]
    fn bugs_are_set_as_a_list_of_names() {
        let scenario = parse(&[r#"bugs=["lock-no-recheck", "unlock-by-name"]"#]).unwrap();
        let planted: Vec<bugs::Bug> = scenario.bugs.iter().collect();
        assert_eq!(planted, [bugs::Bug::LockNoRecheck, bugs::Bug::UnlockByName]);
        assert!(parse(&["bugs=[]"]).unwrap().bugs.is_empty());
        let unknown = message(&[r#"bugs=["lock-no-recheck", "no-such-bug"]"#]);
        assert!(
            unknown.starts_with(
                r#"--set bugs=["lock-no-recheck", "no-such-bug"]: field `bugs`: expected the name of a known bug (see `lockstep bugs`), one of lock-no-recheck, "#
            ),
            "{unknown}"
        );
        assert!(unknown.ends_with(r#"found "no-such-bug""#), "{unknown}");
    }

    #[test]
    fn values_are_toml_and_bare_words_are_strings() {
        assert_eq!(
            parse(&["name=lock-pause.fenced"]).unwrap().name,
            "lock-pause.fenced"
        );
        assert_eq!(parse(&[r#"name = "quoted""#]).unwrap().name, "quoted");
        assert_eq!(
            parse(&["description=\"two words\""]).unwrap().description,
            "two words"
        );
        assert_eq!(
            message(&["name=true"]),
            "--set name=true: field `name`: invalid type: boolean `true`, expected a string"
        );
        assert_eq!(
            Override::parse(" seed = 7 ").unwrap().to_string(),
            "--set seed=7"
        );
        assert_eq!(parse(&["seed=7"]).unwrap().seed, Some(7));
    }

    #[test]
    fn rewriting_a_shipped_scenario_changes_only_the_overridden_field() {
        let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        let rename = [Override::parse("name=renamed").unwrap()];
        let mut checked = 0;
        for entry in std::fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            // Scenario files only: `bugs/` and `regressions/` hold more of them.
            if path.extension().is_none_or(|extension| extension != "toml") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let file = path.display().to_string();
            let mut expected = Scenario::parse(&source, &file, "stem").unwrap();
            expected.name = "renamed".to_string();
            let changed = Scenario::parse_with(&source, &file, "stem", &rename).unwrap();
            assert_eq!(changed, expected, "{file}");
            checked += 1;
        }
        assert!(checked > 10);
    }

    #[test]
    fn every_field_the_writer_writes_can_be_set_to_its_own_value() {
        let mut full = Scenario::parse(FILE, "file.toml", "file").unwrap();
        full.swarm = Some(crate::SwarmConfig::default());
        full.cluster.lease_checkpoint_ms = 2_000;
        full.cluster.pre_vote = false;
        full.cluster.lease_expiry_check_ms = 500;
        full.workload.retry_backoff_min_ms = 25;
        full.workload.retry_backoff_max_ms = 25;
        full.bugs = [bugs::Bug::PromoteNoExtend].into_iter().collect();
        // The lock workload, so that its table is written (and set) too.
        full.workload.kinds = vec![crate::WorkloadKind::Lock];
        full.lock = crate::LockConfig {
            locks: 2,
            session_ttl_s: 7,
            hold_min_ms: 10,
            hold_max_ms: 20,
            fencing: true,
        };
        let written: Table = toml::from_str(&full.to_toml(Some(3))).unwrap();
        let mut sets = Vec::new();
        let mut tables = vec![(String::new(), written)];
        while let Some((prefix, table)) = tables.pop() {
            for (name, value) in table {
                let field = format!("{prefix}{name}");
                match value {
                    Value::Table(inner) => tables.push((format!("{field}."), inner)),
                    _ if field == "faults" => {}
                    value => sets.push(Override::parse(&format!("{field}={value}")).unwrap()),
                }
            }
        }
        assert!(sets.len() > 30, "{sets:?}");
        let again = Scenario::parse_with(FILE, "file.toml", "file", &sets).unwrap();
        assert_eq!(again.cluster, full.cluster);
        assert_eq!(again.workload, full.workload);
        assert_eq!(again.lock, full.lock);
        assert_eq!(again.swarm, full.swarm);
        assert_eq!(again.bugs, full.bugs);
        assert_eq!(again.seed, Some(3));
    }
}
