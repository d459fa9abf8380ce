//! From TOML text to a validated [`Scenario`].
//!
//! The file is first read into "raw" structs that keep the source span of every value
//! (so a bad value can be reported at its line), then each field is checked and defaults
//! are filled in.

use crate::error::line_and_column;
use crate::{
    ClusterConfig, FaultAction, LivenessConfig, NetworkConfig, NodeTarget, OperationMix, Scenario,
    ScenarioError, ScheduledFault, WorkloadConfig,
};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

type Field<T> = Option<Spanned<T>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Field<String>,
    description: Field<String>,
    seed: Field<u64>,
    duration_ms: Field<u64>,
    cluster: Option<RawCluster>,
    network: Option<RawNetwork>,
    workload: Option<RawWorkload>,
    liveness: Option<RawLiveness>,
    #[serde(default)]
    faults: Vec<RawFault>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    nodes: Field<u64>,
    tick_ms: Field<u64>,
    election_ticks: Field<u64>,
    heartbeat_ticks: Field<u64>,
    fsync_us: Field<u64>,
    snapshot_interval_entries: Field<u64>,
    catch_up_entries: Field<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    latency_min_ms: Field<u64>,
    latency_max_ms: Field<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    clients: Field<u64>,
    keys: Field<u64>,
    request_timeout_ms: Field<u64>,
    think_min_ms: Field<u64>,
    think_max_ms: Field<u64>,
    mix: Option<Spanned<RawMix>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMix {
    get: Option<u64>,
    put: Option<u64>,
    cas: Option<u64>,
    delete: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLiveness {
    timeout_ms: Field<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFault {
    at_ms: Field<u64>,
    kind: Field<String>,
    node: Field<RawTarget>,
    from: Field<RawTarget>,
    to: Field<RawTarget>,
    sides: Field<Vec<Vec<u64>>>,
    for_ms: Field<u64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawTarget {
    Id(u64),
    Name(String),
}

/// Reports problems at a place in one file.
struct Reporter<'a> {
    source: &'a str,
    file: &'a str,
}

impl Reporter<'_> {
    fn error(&self, span: Option<Range<usize>>, field: &str, message: String) -> ScenarioError {
        let (line, column) = match span {
            Some(span) => line_and_column(self.source, span.start),
            None => (0, 0),
        };
        ScenarioError {
            file: self.file.to_string(),
            line,
            column,
            field: field.to_string(),
            message,
        }
    }

    /// The field's value, or `default` if absent; an error unless `min <= value <= max`.
    fn number(
        &self,
        field: &Field<u64>,
        name: &str,
        default: u64,
        min: u64,
        max: u64,
        what: &str,
    ) -> Result<u64, ScenarioError> {
        let Some(spanned) = field else {
            return Ok(default);
        };
        let value = *spanned.get_ref();
        if value < min || value > max {
            return Err(self.error(
                Some(spanned.span()),
                name,
                format!("expected {what} between {min} and {max}, found {value}"),
            ));
        }
        Ok(value)
    }

    /// An error unless `low <= high`, reported at the `high` field.
    fn ordered(
        &self,
        low: (u64, &str),
        high: (u64, &str, &Field<u64>),
    ) -> Result<(), ScenarioError> {
        if low.0 > high.0 {
            let span = high.2.as_ref().map(|f| f.span());
            return Err(self.error(
                span,
                high.1,
                format!(
                    "expected at least `{}` ({}), found {}",
                    low.1, low.0, high.0
                ),
            ));
        }
        Ok(())
    }
}

/// One week of simulated time: a generous bound that still catches unit mistakes.
const MAX_TIME_MS: u64 = 7 * 24 * 3_600 * 1_000;

pub(crate) fn parse(
    source: &str,
    file: &str,
    default_name: &str,
) -> Result<Scenario, ScenarioError> {
    let report = Reporter { source, file };
    let raw: RawScenario = toml::from_str(source)
        .map_err(|error| report.error(error.span(), "", error.message().trim_end().to_string()))?;

    let name = match &raw.name {
        Some(name) => {
            let value = name.get_ref();
            let valid = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
            if !valid || value.starts_with('.') {
                return Err(report.error(
                    Some(name.span()),
                    "name",
                    format!(
                        "expected a name of letters, digits, '-', '_' or '.' (it names a report directory), found {value:?}"
                    ),
                ));
            }
            value.clone()
        }
        None => default_name.to_string(),
    };
    let description = raw.description.map(|d| d.into_inner()).unwrap_or_default();
    let seed = raw.seed.map(|s| s.into_inner());
    let duration_ms = report.number(
        &raw.duration_ms,
        "duration_ms",
        10_000,
        1,
        MAX_TIME_MS,
        "a duration in ms",
    )?;

    let cluster = parse_cluster(&report, raw.cluster)?;
    let network = parse_network(&report, raw.network)?;
    let workload = parse_workload(&report, raw.workload)?;
    let liveness = match raw.liveness {
        None => LivenessConfig::default(),
        Some(raw) => LivenessConfig {
            timeout_ms: report.number(
                &raw.timeout_ms,
                "liveness.timeout_ms",
                LivenessConfig::default().timeout_ms,
                1,
                MAX_TIME_MS,
                "a timeout in ms",
            )?,
        },
    };
    let faults = raw
        .faults
        .into_iter()
        .enumerate()
        .map(|(index, fault)| parse_fault(&report, index, fault, cluster.nodes, duration_ms))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Scenario {
        name,
        description,
        seed,
        duration_ms,
        cluster,
        network,
        workload,
        liveness,
        faults,
    })
}

fn parse_cluster(
    report: &Reporter,
    raw: Option<RawCluster>,
) -> Result<ClusterConfig, ScenarioError> {
    let default = ClusterConfig::default();
    let Some(raw) = raw else {
        return Ok(default);
    };
    let cluster = ClusterConfig {
        nodes: report.number(
            &raw.nodes,
            "cluster.nodes",
            default.nodes,
            1,
            9,
            "a node count",
        )?,
        tick_ms: report.number(
            &raw.tick_ms,
            "cluster.tick_ms",
            default.tick_ms,
            1,
            60_000,
            "a tick length in ms",
        )?,
        election_ticks: report.number(
            &raw.election_ticks,
            "cluster.election_ticks",
            default.election_ticks,
            2,
            10_000,
            "a tick count",
        )?,
        heartbeat_ticks: report.number(
            &raw.heartbeat_ticks,
            "cluster.heartbeat_ticks",
            default.heartbeat_ticks,
            1,
            10_000,
            "a tick count",
        )?,
        fsync_us: report.number(
            &raw.fsync_us,
            "cluster.fsync_us",
            default.fsync_us,
            0,
            10_000_000,
            "a time in µs",
        )?,
        snapshot_interval_entries: report.number(
            &raw.snapshot_interval_entries,
            "cluster.snapshot_interval_entries",
            default.snapshot_interval_entries,
            10,
            u64::from(u32::MAX),
            "an entry count",
        )?,
        catch_up_entries: report.number(
            &raw.catch_up_entries,
            "cluster.catch_up_entries",
            default.catch_up_entries,
            0,
            u64::from(u32::MAX),
            "an entry count",
        )?,
    };
    if cluster.heartbeat_ticks >= cluster.election_ticks {
        let span = raw
            .heartbeat_ticks
            .as_ref()
            .or(raw.election_ticks.as_ref())
            .map(|f| f.span());
        return Err(report.error(
            span,
            "cluster.heartbeat_ticks",
            format!(
                "expected fewer heartbeat ticks than election ticks ({}), found {} (raft requires heartbeat < election timeout)",
                cluster.election_ticks, cluster.heartbeat_ticks
            ),
        ));
    }
    Ok(cluster)
}

fn parse_network(
    report: &Reporter,
    raw: Option<RawNetwork>,
) -> Result<NetworkConfig, ScenarioError> {
    let default = NetworkConfig::default();
    let Some(raw) = raw else {
        return Ok(default);
    };
    let network = NetworkConfig {
        latency_min_ms: report.number(
            &raw.latency_min_ms,
            "network.latency_min_ms",
            default.latency_min_ms,
            0,
            60_000,
            "a latency in ms",
        )?,
        latency_max_ms: report.number(
            &raw.latency_max_ms,
            "network.latency_max_ms",
            default
                .latency_max_ms
                .max(raw.latency_min_ms.as_ref().map_or(0, |f| *f.get_ref())),
            0,
            60_000,
            "a latency in ms",
        )?,
    };
    report.ordered(
        (network.latency_min_ms, "network.latency_min_ms"),
        (
            network.latency_max_ms,
            "network.latency_max_ms",
            &raw.latency_max_ms,
        ),
    )?;
    Ok(network)
}

fn parse_workload(
    report: &Reporter,
    raw: Option<RawWorkload>,
) -> Result<WorkloadConfig, ScenarioError> {
    let default = WorkloadConfig::default();
    let Some(raw) = raw else {
        return Ok(default);
    };
    let think_min_ms = report.number(
        &raw.think_min_ms,
        "workload.think_min_ms",
        default.think_min_ms,
        0,
        MAX_TIME_MS,
        "a time in ms",
    )?;
    let workload = WorkloadConfig {
        clients: report.number(
            &raw.clients,
            "workload.clients",
            default.clients,
            0,
            1_000,
            "a client count",
        )?,
        keys: report.number(
            &raw.keys,
            "workload.keys",
            default.keys,
            1,
            100_000,
            "a key count",
        )?,
        request_timeout_ms: report.number(
            &raw.request_timeout_ms,
            "workload.request_timeout_ms",
            default.request_timeout_ms,
            1,
            MAX_TIME_MS,
            "a timeout in ms",
        )?,
        think_min_ms,
        think_max_ms: report.number(
            &raw.think_max_ms,
            "workload.think_max_ms",
            default.think_max_ms.max(think_min_ms),
            0,
            MAX_TIME_MS,
            "a time in ms",
        )?,
        mix: match raw.mix {
            None => default.mix,
            Some(mix) => {
                let span = mix.span();
                let mix = mix.into_inner();
                let mix = OperationMix {
                    get: mix.get.unwrap_or(0),
                    put: mix.put.unwrap_or(0),
                    cas: mix.cas.unwrap_or(0),
                    delete: mix.delete.unwrap_or(0),
                };
                if mix.get + mix.put + mix.cas + mix.delete == 0 {
                    return Err(report.error(
                        Some(span),
                        "workload.mix",
                        "expected at least one operation kind with a weight above 0".to_string(),
                    ));
                }
                mix
            }
        },
    };
    report.ordered(
        (workload.think_min_ms, "workload.think_min_ms"),
        (
            workload.think_max_ms,
            "workload.think_max_ms",
            &raw.think_max_ms,
        ),
    )?;
    Ok(workload)
}

fn parse_fault(
    report: &Reporter,
    index: usize,
    raw: RawFault,
    nodes: u64,
    duration_ms: u64,
) -> Result<ScheduledFault, ScenarioError> {
    let field = |name: &str| format!("faults[{index}].{name}");
    let Some(kind) = &raw.kind else {
        let span = raw.at_ms.as_ref().map(|f| f.span());
        return Err(report.error(
            span,
            &field("kind"),
            "missing; expected one of isolate, split, partition, bridge, cut, heal, crash, restart, pause".to_string(),
        ));
    };
    let Some(at) = &raw.at_ms else {
        return Err(report.error(
            Some(kind.span()),
            &field("at_ms"),
            "missing; expected the time the fault fires, in ms".to_string(),
        ));
    };
    let at_ms = *at.get_ref();
    if at_ms >= duration_ms {
        return Err(report.error(
            Some(at.span()),
            &field("at_ms"),
            format!("expected a time before the end of the safety phase (duration_ms = {duration_ms}), found {at_ms}"),
        ));
    }

    // The node a field names; `required`: a fault of this kind needs it.
    let target_in = |name: &str,
                     value: &Field<RawTarget>,
                     required: bool|
     -> Result<Option<NodeTarget>, ScenarioError> {
        let Some(node) = value else {
            if required {
                return Err(report.error(
                    Some(kind.span()),
                    &field(name),
                    format!(
                        "missing; a `{}` fault needs a node: an id, \"leader\" or \"random\"",
                        kind.get_ref()
                    ),
                ));
            }
            return Ok(None);
        };
        let target = match node.get_ref() {
            RawTarget::Id(id) if (1..=nodes).contains(id) => NodeTarget::Id(*id),
            RawTarget::Name(name) if name == "leader" => NodeTarget::Leader,
            RawTarget::Name(name) if name == "random" => NodeTarget::Random,
            other => {
                let found = match other {
                    RawTarget::Id(id) => id.to_string(),
                    RawTarget::Name(name) => format!("{name:?}"),
                };
                return Err(report.error(
                    Some(node.span()),
                    &field(name),
                    format!("expected a node id from 1 to {nodes}, \"leader\" or \"random\", found {found}"),
                ));
            }
        };
        Ok(Some(target))
    };
    let target = |required: bool| target_in("node", &raw.node, required);

    let action = match kind.get_ref().as_str() {
        "isolate" => FaultAction::Isolate {
            node: target(true)?.expect("required"),
        },
        "split" => FaultAction::Split,
        "partition" => {
            let Some(sides) = &raw.sides else {
                return Err(report.error(
                    Some(kind.span()),
                    &field("sides"),
                    "missing; a `partition` fault needs sides, e.g. sides = [[1, 2], [3, 4, 5]]"
                        .to_string(),
                ));
            };
            let mut seen = std::collections::BTreeSet::new();
            let valid_ids = sides
                .get_ref()
                .iter()
                .flatten()
                .all(|id| (1..=nodes).contains(id) && seen.insert(*id));
            if sides.get_ref().len() < 2
                || sides.get_ref().iter().any(|side| side.is_empty())
                || !valid_ids
            {
                return Err(report.error(
                    Some(sides.span()),
                    &field("sides"),
                    format!("expected two or more non-empty sides of distinct node ids from 1 to {nodes}, found {:?}", sides.get_ref()),
                ));
            }
            FaultAction::Partition {
                sides: sides.get_ref().clone(),
            }
        }
        "bridge" => FaultAction::Bridge {
            node: target(true)?.expect("required"),
        },
        "cut" => FaultAction::Cut {
            from: target_in("from", &raw.from, true)?.expect("required"),
            to: target_in("to", &raw.to, true)?.expect("required"),
        },
        "pause" => FaultAction::Pause {
            node: target(true)?.expect("required"),
        },
        "heal" => FaultAction::Heal,
        "crash" => FaultAction::Crash {
            node: target(true)?.expect("required"),
            at_step: None,
        },
        "restart" => FaultAction::Restart {
            node: target(false)?,
        },
        other => {
            return Err(report.error(
                Some(kind.span()),
                &field("kind"),
                format!(
                "expected one of isolate, split, partition, bridge, cut, heal, crash, restart, pause, found {other:?}"
            ),
            ))
        }
    };

    // A field that this kind of fault does not use is a mistake, not something to ignore.
    let is_cut = matches!(action, FaultAction::Cut { .. });
    let unused: [(&str, Option<Range<usize>>, bool); 4] = [
        (
            "node",
            raw.node.as_ref().map(|f| f.span()),
            matches!(
                action,
                FaultAction::Isolate { .. }
                    | FaultAction::Bridge { .. }
                    | FaultAction::Crash { .. }
                    | FaultAction::Restart { .. }
                    | FaultAction::Pause { .. }
            ),
        ),
        ("from", raw.from.as_ref().map(|f| f.span()), is_cut),
        ("to", raw.to.as_ref().map(|f| f.span()), is_cut),
        (
            "sides",
            raw.sides.as_ref().map(|f| f.span()),
            matches!(action, FaultAction::Partition { .. }),
        ),
    ];
    for (name, span, used) in unused {
        if span.is_some() && !used {
            return Err(report.error(
                span,
                &field(name),
                format!("not used by a `{}` fault; remove it", action.kind()),
            ));
        }
    }
    let for_ms = match &raw.for_ms {
        None => None,
        Some(for_ms) if !action.can_be_undone() => {
            return Err(report.error(
                Some(for_ms.span()),
                &field("for_ms"),
                format!(
                "not used by a `{}` fault (only isolate, split, partition, bridge, cut, crash and pause can be undone)",
                action.kind()
            ),
            ))
        }
        Some(for_ms) if *for_ms.get_ref() == 0 => {
            return Err(report.error(
                Some(for_ms.span()),
                &field("for_ms"),
                "expected a duration above 0 ms".to_string(),
            ))
        }
        Some(for_ms) => Some(*for_ms.get_ref()),
    };
    Ok(ScheduledFault {
        at_ms,
        action,
        for_ms,
    })
}
