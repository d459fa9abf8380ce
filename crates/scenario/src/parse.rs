//! From TOML text to a validated [`Scenario`].
//!
//! The file is first read into "raw" structs that keep the source span of every value
//! (so a bad value can be reported at its line), then each field is checked and defaults
//! are filled in.

use crate::error::line_and_column;
use crate::parse_swarm::{parse_swarm, RawSwarm};
use crate::{
    ClientTarget, ClusterConfig, ElectionConfig, FaultAction, LeaseConfig, LinkEffect,
    LinkSelector, LivenessConfig, LockConfig, MessageKind, NetworkConfig, NodeTarget, OperationMix,
    PersistStep, Scenario, ScenarioError, ScheduledFault, WorkloadConfig, WorkloadKind,
};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

pub(crate) type Field<T> = Option<Spanned<T>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Field<String>,
    description: Field<String>,
    seed: Field<u64>,
    duration_ms: Field<u64>,
    bugs: Field<Vec<Spanned<String>>>,
    cluster: Option<RawCluster>,
    network: Option<RawNetwork>,
    workload: Option<RawWorkload>,
    liveness: Option<RawLiveness>,
    lock: Option<Spanned<RawLock>>,
    lease: Option<Spanned<RawLease>>,
    election: Option<Spanned<RawElection>>,
    #[serde(default)]
    faults: Vec<RawFault>,
    swarm: Option<RawSwarm>,
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
    lease_checkpoint_ms: Field<u64>,
    pre_vote: Field<bool>,
    lease_expiry_check_ms: Field<u64>,
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
    kind: Field<RawKinds>,
    clients: Field<u64>,
    keys: Field<u64>,
    request_timeout_ms: Field<u64>,
    retry_backoff_min_ms: Field<u64>,
    retry_backoff_max_ms: Field<u64>,
    think_min_ms: Field<u64>,
    think_max_ms: Field<u64>,
    rounds_per_client: Field<u64>,
    start_ms: Field<u64>,
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
    steady_leader_ms: Field<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLock {
    locks: Field<u64>,
    session_ttl_s: Field<u64>,
    hold_min_ms: Field<u64>,
    hold_max_ms: Field<u64>,
    fencing: Field<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLease {
    ttl_s: Field<u64>,
    keep_min_ms: Field<u64>,
    keep_max_ms: Field<u64>,
    revoke_percent: Field<u64>,
    keys_per_lease: Field<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElection {
    session_ttl_s: Field<u64>,
    serve_min_ms: Field<u64>,
    serve_max_ms: Field<u64>,
    proclaim_ms: Field<u64>,
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
    messages: Field<Vec<Spanned<String>>>,
    latency_ms: Field<u64>,
    jitter_ms: Field<u64>,
    percent: Field<u64>,
    nodes: Field<u64>,
    step_ms: Field<u64>,
    at_step: Field<String>,
    fsync_us: Field<u64>,
    by_ms: Field<i64>,
    rate_percent: Field<u64>,
    client: Field<RawTarget>,
    for_ms: Field<u64>,
    through_liveness: Field<bool>,
}

/// `workload.kind`: one workload for every client, or a list dealt to the clients in turn.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "expected a workload kind (\"kv\") or a list of them ([\"kv\", \"lock\"])"
)]
enum RawKinds {
    One(String),
    Each(Vec<String>),
}

/// A node or a client: an id, or a name that stands for one (`"leader"`, `"lock-holder"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum RawTarget {
    Id(u64),
    Name(String),
}

/// The fields of the table at dotted `path` (`""` is the top level), as the parser's structs
/// declare them; empty if `path` names no table. `--set` checks names against these, so a
/// field added to a struct can be set from the command line with no second list to update.
pub(crate) fn table_fields(path: &str) -> &'static [&'static str] {
    match path {
        "" => field_names::<RawScenario>(),
        "cluster" => field_names::<RawCluster>(),
        "network" => field_names::<RawNetwork>(),
        "workload" => field_names::<RawWorkload>(),
        "workload.mix" => field_names::<RawMix>(),
        "liveness" => field_names::<RawLiveness>(),
        "lock" => field_names::<RawLock>(),
        "lease" => field_names::<RawLease>(),
        "election" => field_names::<RawElection>(),
        "swarm" => field_names::<crate::parse_swarm::RawSwarm>(),
        _ => &[],
    }
}

/// Whether `source` has the shape of a scenario (known fields, values of the right types),
/// without checking a single value: how one `--set` is checked away from the file, so a
/// type error is blamed on it alone. Returns serde's message.
pub(crate) fn check_shape(source: &str) -> Result<(), String> {
    toml::from_str::<RawScenario>(source)
        .map(drop)
        .map_err(|error| error.message().trim_end().to_string())
}

/// The field names of a derived `Deserialize` struct: serde's derive hands this list to
/// `deserialize_struct`, and `deny_unknown_fields` accepts exactly it.
fn field_names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    T::deserialize(FieldNameProbe)
        .err()
        .map_or(&[], |names| names.0)
}

/// A deserializer that reads nothing: asked for a struct, it fails, carrying the struct's
/// field names out in its error.
struct FieldNameProbe;

#[derive(Debug)]
struct FieldNames(&'static [&'static str]);

impl std::fmt::Display for FieldNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fields {:?}", self.0)
    }
}

impl std::error::Error for FieldNames {}

impl serde::de::Error for FieldNames {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        FieldNames(&[])
    }
}

impl<'de> serde::Deserializer<'de> for FieldNameProbe {
    type Error = FieldNames;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, FieldNames> {
        Err(FieldNames(&[]))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, FieldNames> {
        Err(FieldNames(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Reports problems at a place in one file.
pub(crate) struct Reporter<'a> {
    source: &'a str,
    file: &'a str,
}

impl Reporter<'_> {
    pub(crate) fn error(
        &self,
        span: Option<Range<usize>>,
        field: &str,
        message: String,
    ) -> ScenarioError {
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
    pub(crate) fn number(
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
pub(crate) const MAX_TIME_MS: u64 = 7 * 24 * 3_600 * 1_000;

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

    let bugs = parse_bugs(&report, raw.bugs)?;
    let cluster = parse_cluster(&report, raw.cluster)?;
    let network = parse_network(&report, raw.network)?;
    let workload = parse_workload(&report, raw.workload, duration_ms)?;
    let liveness = match raw.liveness {
        None => LivenessConfig::default(),
        Some(raw) => {
            let timeout_ms = report.number(
                &raw.timeout_ms,
                "liveness.timeout_ms",
                LivenessConfig::default().timeout_ms,
                1,
                MAX_TIME_MS,
                "a timeout in ms",
            )?;
            LivenessConfig {
                timeout_ms,
                // Held after the probe's read, within the timeout: a longer demand could
                // never be met.
                steady_leader_ms: report.number(
                    &raw.steady_leader_ms,
                    "liveness.steady_leader_ms",
                    LivenessConfig::default().steady_leader_ms,
                    0,
                    timeout_ms - 1,
                    "a time in ms, shorter than liveness.timeout_ms (0: not demanded),",
                )?,
            }
        }
    };
    let lock = match raw.lock {
        None => LockConfig::default(),
        Some(table) => {
            workload_uses(&report, &table, "lock", WorkloadKind::Lock, &workload)?;
            parse_lock(&report, table.into_inner())?
        }
    };
    let lease = match raw.lease {
        None => LeaseConfig::default(),
        Some(table) => {
            workload_uses(&report, &table, "lease", WorkloadKind::Lease, &workload)?;
            parse_lease(&report, table.into_inner())?
        }
    };
    let election = match raw.election {
        None => ElectionConfig::default(),
        Some(table) => {
            workload_uses(
                &report,
                &table,
                "election",
                WorkloadKind::Election,
                &workload,
            )?;
            parse_election(&report, table.into_inner())?
        }
    };
    let faults = raw
        .faults
        .into_iter()
        .enumerate()
        .map(|(index, fault)| {
            parse_fault(&report, index, fault, cluster.nodes, &workload, duration_ms)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let swarm = raw
        .swarm
        .map(|swarm| parse_swarm(&report, swarm, duration_ms, workload.clients))
        .transpose()?;

    Ok(Scenario {
        name,
        description,
        seed,
        duration_ms,
        cluster,
        network,
        workload,
        liveness,
        lock,
        lease,
        election,
        faults,
        swarm,
        bugs,
    })
}

/// The bugs to plant, by name; a name given twice plants its bug once. An unknown name is
/// an error at that name: a misspelt bug left out would run the correct code, and its pass
/// would read as a check missing the bug.
fn parse_bugs(
    report: &Reporter,
    raw: Field<Vec<Spanned<String>>>,
) -> Result<bugs::Bugs, ScenarioError> {
    raw.map(Spanned::into_inner)
        .unwrap_or_default()
        .into_iter()
        .map(|name| {
            bugs::Bug::from_name(name.get_ref()).ok_or_else(|| {
                let known: Vec<&str> = bugs::Bug::ALL.iter().map(|bug| bug.name()).collect();
                report.error(
                    Some(name.span()),
                    "bugs",
                    format!(
                        "expected the name of a known bug (see `lockstep bugs`), one of {}, found {:?}",
                        known.join(", "),
                        name.get_ref()
                    ),
                )
            })
        })
        .collect()
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
        lease_checkpoint_ms: match &raw.lease_checkpoint_ms {
            None => default.lease_checkpoint_ms,
            Some(interval) => {
                let value = *interval.get_ref();
                if value != 0 && !LEASE_CHECKPOINT_MS.contains(&value) {
                    return Err(report.error(
                        Some(interval.span()),
                        "cluster.lease_checkpoint_ms",
                        format!(
                            "expected 0 (off) or a checkpoint interval in ms between {} and {}, found {value}",
                            LEASE_CHECKPOINT_MS.start(),
                            LEASE_CHECKPOINT_MS.end()
                        ),
                    ));
                }
                value
            }
        },
        pre_vote: raw.pre_vote.map_or(default.pre_vote, Spanned::into_inner),
        lease_expiry_check_ms: match &raw.lease_expiry_check_ms {
            None => default.lease_expiry_check_ms,
            Some(interval) => {
                let value = *interval.get_ref();
                if value != 0 && !LEASE_EXPIRY_CHECK_MS.contains(&value) {
                    return Err(report.error(
                        Some(interval.span()),
                        "cluster.lease_expiry_check_ms",
                        format!(
                            "expected 0 (every tick) or a check interval in ms between {} and {}, found {value}",
                            LEASE_EXPIRY_CHECK_MS.start(),
                            LEASE_EXPIRY_CHECK_MS.end()
                        ),
                    ));
                }
                value
            }
        },
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

/// The lease checkpoint intervals a scenario may switch on (0 switches checkpointing off).
/// A run lasts seconds to minutes, so an hour is the longest interval that can matter;
/// below 100 ms (one default tick) the leader would propose a checkpoint on every tick.
const LEASE_CHECKPOINT_MS: std::ops::RangeInclusive<u64> = 100..=3_600_000;

/// The lease expiry check intervals a scenario may set (0: every tick). A check more often
/// than every millisecond is every tick anyway; one rarer than a minute would leave lapsed
/// leases standing longer than any lease TTL a scenario uses.
const LEASE_EXPIRY_CHECK_MS: std::ops::RangeInclusive<u64> = 1..=60_000;

/// The longest retry backoff a scenario may set: a client waiting longer than a minute
/// between tries has given up in all but name.
const MAX_RETRY_BACKOFF_MS: u64 = 60_000;

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
    duration_ms: u64,
) -> Result<WorkloadConfig, ScenarioError> {
    let default = WorkloadConfig::default();
    let Some(raw) = raw else {
        return Ok(default);
    };
    let retry_backoff_min_ms = report.number(
        &raw.retry_backoff_min_ms,
        "workload.retry_backoff_min_ms",
        default.retry_backoff_min_ms,
        1,
        MAX_RETRY_BACKOFF_MS,
        "a backoff in ms",
    )?;
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
        retry_backoff_min_ms,
        retry_backoff_max_ms: report.number(
            &raw.retry_backoff_max_ms,
            "workload.retry_backoff_max_ms",
            default.retry_backoff_max_ms.max(retry_backoff_min_ms),
            1,
            MAX_RETRY_BACKOFF_MS,
            "a backoff in ms",
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
        rounds_per_client: match &raw.rounds_per_client {
            None => None,
            Some(_) => Some(report.number(
                &raw.rounds_per_client,
                "workload.rounds_per_client",
                0,
                1,
                MAX_ROUNDS_PER_CLIENT,
                "a round count",
            )?),
        },
        start_ms: report.number(
            &raw.start_ms,
            "workload.start_ms",
            default.start_ms,
            0,
            duration_ms - 1,
            "a time in ms before the end of the safety phase (duration_ms)",
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
        kinds: match &raw.kind {
            None => default.kinds,
            Some(kinds) => parse_kinds(report, kinds)?,
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
    report.ordered(
        (
            workload.retry_backoff_min_ms,
            "workload.retry_backoff_min_ms",
        ),
        (
            workload.retry_backoff_max_ms,
            "workload.retry_backoff_max_ms",
            &raw.retry_backoff_max_ms,
        ),
    )?;
    Ok(workload)
}

/// The workloads `kind` names: each a known kind, at least one. A kind may be listed more
/// than once, to deal it to more of the clients.
fn parse_kinds(
    report: &Reporter,
    kinds: &Spanned<RawKinds>,
) -> Result<Vec<WorkloadKind>, ScenarioError> {
    let error = |message: String| report.error(Some(kinds.span()), "workload.kind", message);
    let names = match kinds.get_ref() {
        RawKinds::One(name) => std::slice::from_ref(name),
        RawKinds::Each(names) => names.as_slice(),
    };
    if names.is_empty() {
        return Err(error(
            "expected at least one workload kind, found an empty list".to_string(),
        ));
    }
    let mut parsed = Vec::new();
    for name in names {
        let kind = WorkloadKind::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = WorkloadKind::ALL.iter().map(|(_, name)| *name).collect();
            error(format!(
                "expected one of {}, found {name:?}",
                known.join(", ")
            ))
        })?;
        parsed.push(kind);
    }
    Ok(parsed)
}

/// The most rounds `workload.rounds_per_client` may ask of each client.
const MAX_ROUNDS_PER_CLIENT: u64 = 1_000_000;

/// A workload's own table (`[lock]`, `[lease]`, `[election]`) is read only for that
/// workload: given for another, it is an error at the table, not input silently ignored.
fn workload_uses<T>(
    report: &Reporter,
    table: &Spanned<T>,
    name: &str,
    reader: WorkloadKind,
    workload: &WorkloadConfig,
) -> Result<(), ScenarioError> {
    if workload.lists(reader) {
        return Ok(());
    }
    Err(report.error(
        Some(table.span()),
        name,
        format!(
            "[{name}] is only read when workload.kind lists {:?}, but workload.kind is {}; remove the table or add {:?} to workload.kind",
            reader.name(),
            workload.kinds_toml(),
            reader.name()
        ),
    ))
}

/// The longest a lock, lease or election client holds a lock, keeps a lease alive, serves
/// as leader or waits between proclamations: ten minutes.
const MAX_WORKLOAD_WAIT_MS: u64 = 600_000;

/// The longest session or lease TTL a workload grants, in seconds: an hour.
const MAX_TTL_S: u64 = 3_600;

fn parse_lock(report: &Reporter, raw: RawLock) -> Result<LockConfig, ScenarioError> {
    let default = LockConfig::default();
    let hold_min_ms = report.number(
        &raw.hold_min_ms,
        "lock.hold_min_ms",
        default.hold_min_ms,
        0,
        MAX_WORKLOAD_WAIT_MS,
        "a hold time in ms",
    )?;
    let lock = LockConfig {
        locks: report.number(
            &raw.locks,
            "lock.locks",
            default.locks,
            1,
            100,
            "a lock count",
        )?,
        session_ttl_s: report.number(
            &raw.session_ttl_s,
            "lock.session_ttl_s",
            default.session_ttl_s,
            1,
            MAX_TTL_S,
            "a TTL in seconds",
        )?,
        hold_min_ms,
        hold_max_ms: report.number(
            &raw.hold_max_ms,
            "lock.hold_max_ms",
            default.hold_max_ms.max(hold_min_ms),
            0,
            MAX_WORKLOAD_WAIT_MS,
            "a hold time in ms",
        )?,
        fencing: raw.fencing.map_or(default.fencing, Spanned::into_inner),
    };
    report.ordered(
        (lock.hold_min_ms, "lock.hold_min_ms"),
        (lock.hold_max_ms, "lock.hold_max_ms", &raw.hold_max_ms),
    )?;
    Ok(lock)
}

fn parse_lease(report: &Reporter, raw: RawLease) -> Result<LeaseConfig, ScenarioError> {
    let default = LeaseConfig::default();
    let keep_min_ms = report.number(
        &raw.keep_min_ms,
        "lease.keep_min_ms",
        default.keep_min_ms,
        0,
        MAX_WORKLOAD_WAIT_MS,
        "a keep-alive time in ms",
    )?;
    let lease = LeaseConfig {
        ttl_s: report.number(
            &raw.ttl_s,
            "lease.ttl_s",
            default.ttl_s,
            1,
            MAX_TTL_S,
            "a TTL in seconds",
        )?,
        keep_min_ms,
        keep_max_ms: report.number(
            &raw.keep_max_ms,
            "lease.keep_max_ms",
            default.keep_max_ms.max(keep_min_ms),
            0,
            MAX_WORKLOAD_WAIT_MS,
            "a keep-alive time in ms",
        )?,
        revoke_percent: report.number(
            &raw.revoke_percent,
            "lease.revoke_percent",
            default.revoke_percent,
            0,
            100,
            "a percentage",
        )?,
        keys_per_lease: report.number(
            &raw.keys_per_lease,
            "lease.keys_per_lease",
            default.keys_per_lease,
            0,
            100,
            "a key count",
        )?,
    };
    report.ordered(
        (lease.keep_min_ms, "lease.keep_min_ms"),
        (lease.keep_max_ms, "lease.keep_max_ms", &raw.keep_max_ms),
    )?;
    Ok(lease)
}

fn parse_election(report: &Reporter, raw: RawElection) -> Result<ElectionConfig, ScenarioError> {
    let default = ElectionConfig::default();
    let serve_min_ms = report.number(
        &raw.serve_min_ms,
        "election.serve_min_ms",
        default.serve_min_ms,
        0,
        MAX_WORKLOAD_WAIT_MS,
        "a time in ms",
    )?;
    let election = ElectionConfig {
        session_ttl_s: report.number(
            &raw.session_ttl_s,
            "election.session_ttl_s",
            default.session_ttl_s,
            1,
            MAX_TTL_S,
            "a TTL in seconds",
        )?,
        serve_min_ms,
        serve_max_ms: report.number(
            &raw.serve_max_ms,
            "election.serve_max_ms",
            default.serve_max_ms.max(serve_min_ms),
            0,
            MAX_WORKLOAD_WAIT_MS,
            "a time in ms",
        )?,
        proclaim_ms: report.number(
            &raw.proclaim_ms,
            "election.proclaim_ms",
            default.proclaim_ms,
            1,
            MAX_WORKLOAD_WAIT_MS,
            "an interval in ms",
        )?,
    };
    report.ordered(
        (election.serve_min_ms, "election.serve_min_ms"),
        (
            election.serve_max_ms,
            "election.serve_max_ms",
            &raw.serve_max_ms,
        ),
    )?;
    Ok(election)
}

/// One action of every kind a scenario file can name, in the order error messages list
/// them: the list of kinds, and of those `for_ms` can undo, come from `kind()` and
/// `can_be_undone()` on these rather than being written out again beside them.
const EVERY_KIND: [FaultAction; 21] = [
    FaultAction::Isolate {
        node: NodeTarget::Leader,
    },
    FaultAction::Split,
    FaultAction::Partition { sides: Vec::new() },
    FaultAction::Bridge {
        node: NodeTarget::Leader,
    },
    FaultAction::Cut {
        from: NodeTarget::Leader,
        to: NodeTarget::Leader,
    },
    FaultAction::Heal,
    FaultAction::Crash {
        node: NodeTarget::Leader,
        at_step: None,
    },
    FaultAction::Restart { node: None },
    FaultAction::Pause {
        node: NodeTarget::Leader,
    },
    FaultAction::Freeze {
        node: NodeTarget::Leader,
    },
    every_link(LinkEffect::Delay {
        latency_ms: 0,
        jitter_ms: 0,
    }),
    every_link(LinkEffect::Loss { percent: 0 }),
    every_link(LinkEffect::Duplicate { percent: 0 }),
    every_link(LinkEffect::Reorder { percent: 0 }),
    every_link(LinkEffect::Hold),
    FaultAction::Swizzle {
        nodes: 0,
        step_ms: 0,
    },
    FaultAction::SlowDisk {
        node: NodeTarget::Leader,
        fsync_us: 0,
    },
    FaultAction::ClockJump {
        node: NodeTarget::Leader,
        by_ms: 0,
    },
    FaultAction::ClockRate {
        node: NodeTarget::Leader,
        rate_percent: 0,
    },
    FaultAction::Replace {
        node: NodeTarget::Leader,
    },
    FaultAction::PauseClient {
        client: ClientTarget::LockHolder,
    },
];

const fn every_link(effect: LinkEffect) -> FaultAction {
    FaultAction::Link {
        links: LinkSelector {
            from: None,
            to: None,
        },
        messages: Vec::new(),
        effect,
    }
}

/// The kinds of [`EVERY_KIND`] that `keep` keeps, for an error message.
pub(crate) fn kind_names(keep: fn(&FaultAction) -> bool) -> Vec<&'static str> {
    EVERY_KIND
        .iter()
        .filter(|action| keep(action))
        .map(FaultAction::kind)
        .collect()
}

/// Reads the fields of one `[[faults]]` entry, naming the entry and its kind in errors.
struct FaultReader<'a> {
    report: &'a Reporter<'a>,
    index: usize,
    kind: &'a Spanned<String>,
    cluster_nodes: u64,
    /// What a client fault may name: the clients there are, and whether one holds locks.
    workload: &'a WorkloadConfig,
}

impl FaultReader<'_> {
    fn field(&self, name: &str) -> String {
        format!("faults[{}].{name}", self.index)
    }

    /// A field this kind needs is absent: reported at the entry's `kind`, which is what
    /// makes the field necessary.
    fn missing(&self, name: &str, what: &str) -> ScenarioError {
        self.report.error(
            Some(self.kind.span()),
            &self.field(name),
            format!("missing; a `{}` fault needs {what}", self.kind.get_ref()),
        )
    }

    fn target(
        &self,
        name: &str,
        value: &Field<RawTarget>,
    ) -> Result<Option<NodeTarget>, ScenarioError> {
        let Some(node) = value else {
            return Ok(None);
        };
        let nodes = self.cluster_nodes;
        let target = match node.get_ref() {
            RawTarget::Id(id) if (1..=nodes).contains(id) => NodeTarget::Id(*id),
            RawTarget::Name(name) if name == "leader" => NodeTarget::Leader,
            RawTarget::Name(name) if name == "random" => NodeTarget::Random,
            other => {
                let found = match other {
                    RawTarget::Id(id) => id.to_string(),
                    RawTarget::Name(name) => format!("{name:?}"),
                };
                return Err(self.report.error(
                    Some(node.span()),
                    &self.field(name),
                    format!("expected a node id from 1 to {nodes}, \"leader\" or \"random\", found {found}"),
                ));
            }
        };
        Ok(Some(target))
    }

    fn required_target(
        &self,
        name: &str,
        value: &Field<RawTarget>,
    ) -> Result<NodeTarget, ScenarioError> {
        self.target(name, value)?
            .ok_or_else(|| self.missing(name, "a node: an id, \"leader\" or \"random\""))
    }

    /// The client of a client fault: an id from 1 to `workload.clients`, or the lock holder
    /// when the clients take locks (there is none to wait for otherwise).
    fn client(&self, value: &Field<RawTarget>) -> Result<ClientTarget, ScenarioError> {
        let clients = self.workload.clients;
        let takes_locks = self.workload.lists(WorkloadKind::Lock);
        let expected = if takes_locks {
            format!("a client id from 1 to {clients} (workload.clients) or \"lock-holder\"")
        } else {
            format!("a client id from 1 to {clients} (workload.clients)")
        };
        let Some(client) = value else {
            return Err(self.missing("client", &expected));
        };
        let error = |message: String| {
            self.report
                .error(Some(client.span()), &self.field("client"), message)
        };
        if clients == 0 {
            return Err(error(format!(
                "a `{}` fault needs a client to strike, but workload.clients = 0",
                self.kind.get_ref()
            )));
        }
        match client.get_ref() {
            RawTarget::Id(id) if (1..=clients).contains(id) => Ok(ClientTarget::Id(*id)),
            RawTarget::Name(name) if name == "lock-holder" && takes_locks => {
                Ok(ClientTarget::LockHolder)
            }
            RawTarget::Name(name) if name == "lock-holder" => Err(error(format!(
                "\"lock-holder\" is only valid when workload.kind lists \"lock\", but workload.kind is {}; expected {expected}",
                self.workload.kinds_toml()
            ))),
            RawTarget::Id(id) => Err(error(format!("expected {expected}, found {id}"))),
            RawTarget::Name(name) => Err(error(format!("expected {expected}, found {name:?}"))),
        }
    }

    fn required_number(
        &self,
        name: &str,
        value: &Field<u64>,
        min: u64,
        max: u64,
        what: &str,
    ) -> Result<u64, ScenarioError> {
        if value.is_none() {
            return Err(self.missing(name, &format!("`{name}`, {what} between {min} and {max}")));
        }
        // The value is present, so the default (`min`) is never used.
        self.report
            .number(value, &self.field(name), min, min, max, what)
    }

    /// The effect of a link fault of this kind; `None` if the kind is no link fault.
    fn link_effect(&self, raw: &mut RawFault) -> Result<Option<LinkEffect>, ScenarioError> {
        let percent = |raw: &mut RawFault| {
            self.required_number("percent", &raw.percent.take(), 1, 100, "a percentage")
        };
        Ok(Some(match self.kind.get_ref().as_str() {
            "delay" => {
                let latency = raw.latency_ms.take();
                let latency_ms =
                    self.required_number("latency_ms", &latency, 0, 60_000, "a latency in ms")?;
                let jitter_ms = self.report.number(
                    &raw.jitter_ms.take(),
                    &self.field("jitter_ms"),
                    0,
                    0,
                    60_000,
                    "a jitter in ms",
                )?;
                if latency_ms == 0 && jitter_ms == 0 {
                    return Err(self.report.error(
                        latency.map(|f| f.span()),
                        &self.field("latency_ms"),
                        "expected `latency_ms` or `jitter_ms` above 0 (a delay of 0 ms does nothing), found both 0"
                            .to_string(),
                    ));
                }
                LinkEffect::Delay {
                    latency_ms,
                    jitter_ms,
                }
            }
            "loss" => LinkEffect::Loss {
                percent: percent(raw)?,
            },
            "duplicate" => LinkEffect::Duplicate {
                percent: percent(raw)?,
            },
            "reorder" => LinkEffect::Reorder {
                percent: percent(raw)?,
            },
            "hold" => LinkEffect::Hold,
            _ => return Ok(None),
        }))
    }

    /// The message kinds a link fault is limited to, in file order; none is every kind.
    fn messages(
        &self,
        value: Field<Vec<Spanned<String>>>,
    ) -> Result<Vec<MessageKind>, ScenarioError> {
        let mut kinds = Vec::new();
        for (index, name) in value
            .map(Spanned::into_inner)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let error = |message: String| {
                self.report.error(
                    Some(name.span()),
                    &self.field(&format!("messages[{index}]")),
                    message,
                )
            };
            let Some(kind) = MessageKind::from_name(name.get_ref()) else {
                let known: Vec<&str> = MessageKind::ALL.iter().map(|(_, name)| *name).collect();
                return Err(error(format!(
                    "expected a message kind, one of {}, found {:?}",
                    known.join(", "),
                    name.get_ref()
                )));
            };
            if kinds.contains(&kind) {
                return Err(error(format!(
                    "expected each message kind once, found {:?} again",
                    name.get_ref()
                )));
            }
            kinds.push(kind);
        }
        Ok(kinds)
    }

    fn at_step(&self, value: &Field<String>) -> Result<Option<PersistStep>, ScenarioError> {
        let Some(step) = value else {
            return Ok(None);
        };
        match PersistStep::from_name(step.get_ref()) {
            Some(step) => Ok(Some(step)),
            None => {
                let known: Vec<&str> = PersistStep::ALL.iter().map(|(_, name)| *name).collect();
                Err(self.report.error(
                    Some(step.span()),
                    &self.field("at_step"),
                    format!(
                        "expected one of {}, found {:?}",
                        known.join(", "),
                        step.get_ref()
                    ),
                ))
            }
        }
    }

    fn clock_jump(&self, value: &Field<i64>) -> Result<i64, ScenarioError> {
        let what = format!(
            "a nonzero jump in ms between -{MAX_TIME_MS} and {MAX_TIME_MS} (negative: backwards)"
        );
        let Some(by) = value else {
            return Err(self.missing("by_ms", &format!("`by_ms`, {what}")));
        };
        let by_ms = *by.get_ref();
        if by_ms == 0 || by_ms.unsigned_abs() > MAX_TIME_MS {
            return Err(self.report.error(
                Some(by.span()),
                &self.field("by_ms"),
                format!("expected {what}, found {by_ms}"),
            ));
        }
        Ok(by_ms)
    }
}

fn parse_fault(
    report: &Reporter,
    index: usize,
    mut raw: RawFault,
    nodes: u64,
    workload: &WorkloadConfig,
    duration_ms: u64,
) -> Result<ScheduledFault, ScenarioError> {
    let Some(kind) = raw.kind.take() else {
        let span = raw.at_ms.as_ref().map(|f| f.span());
        return Err(report.error(
            span,
            &format!("faults[{index}].kind"),
            format!(
                "missing; expected one of {}",
                kind_names(|_| true).join(", ")
            ),
        ));
    };
    let r = FaultReader {
        report,
        index,
        kind: &kind,
        cluster_nodes: nodes,
        workload,
    };
    let Some(at) = raw.at_ms.take() else {
        return Err(report.error(
            Some(kind.span()),
            &r.field("at_ms"),
            "missing; expected the time the fault fires, in ms".to_string(),
        ));
    };
    let at_ms = *at.get_ref();
    if at_ms >= duration_ms {
        return Err(report.error(
            Some(at.span()),
            &r.field("at_ms"),
            format!("expected a time before the end of the safety phase (duration_ms = {duration_ms}), found {at_ms}"),
        ));
    }

    // Each kind takes the fields it reads out of `raw`; what is left is checked below.
    let action = match kind.get_ref().as_str() {
        "isolate" => FaultAction::Isolate {
            node: r.required_target("node", &raw.node.take())?,
        },
        "split" => FaultAction::Split,
        "partition" => {
            let Some(sides) = raw.sides.take() else {
                return Err(r.missing("sides", "sides, e.g. sides = [[1, 2], [3, 4, 5]]"));
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
                    &r.field("sides"),
                    format!("expected two or more non-empty sides of distinct node ids from 1 to {nodes}, found {:?}", sides.get_ref()),
                ));
            }
            FaultAction::Partition {
                sides: sides.into_inner(),
            }
        }
        "bridge" => FaultAction::Bridge {
            node: r.required_target("node", &raw.node.take())?,
        },
        "cut" => FaultAction::Cut {
            from: r.required_target("from", &raw.from.take())?,
            to: r.required_target("to", &raw.to.take())?,
        },
        "pause" => FaultAction::Pause {
            node: r.required_target("node", &raw.node.take())?,
        },
        "freeze" => FaultAction::Freeze {
            node: r.required_target("node", &raw.node.take())?,
        },
        "heal" => FaultAction::Heal,
        "crash" => FaultAction::Crash {
            node: r.required_target("node", &raw.node.take())?,
            at_step: r.at_step(&raw.at_step.take())?,
        },
        "restart" => FaultAction::Restart {
            node: r.target("node", &raw.node.take())?,
        },
        "swizzle" => FaultAction::Swizzle {
            nodes: r.required_number("nodes", &raw.nodes.take(), 1, nodes, "a node count")?,
            step_ms: r.required_number(
                "step_ms",
                &raw.step_ms.take(),
                1,
                MAX_TIME_MS,
                "a time in ms",
            )?,
        },
        "slow-disk" => FaultAction::SlowDisk {
            node: r.required_target("node", &raw.node.take())?,
            fsync_us: r.required_number(
                "fsync_us",
                &raw.fsync_us.take(),
                1,
                10_000_000,
                "an fsync time in µs",
            )?,
        },
        "clock-jump" => FaultAction::ClockJump {
            node: r.required_target("node", &raw.node.take())?,
            by_ms: r.clock_jump(&raw.by_ms.take())?,
        },
        "clock-rate" => FaultAction::ClockRate {
            node: r.required_target("node", &raw.node.take())?,
            rate_percent: r.required_number(
                "rate_percent",
                &raw.rate_percent.take(),
                1,
                1_000,
                "a clock rate in percent of real speed",
            )?,
        },
        "replace" => FaultAction::Replace {
            node: r.required_target("node", &raw.node.take())?,
        },
        "pause-client" => FaultAction::PauseClient {
            client: r.client(&raw.client.take())?,
        },
        other => match r.link_effect(&mut raw)? {
            Some(effect) => FaultAction::Link {
                links: LinkSelector {
                    from: r.target("from", &raw.from.take())?,
                    to: r.target("to", &raw.to.take())?,
                },
                messages: r.messages(raw.messages.take())?,
                effect,
            },
            None => {
                return Err(report.error(
                    Some(kind.span()),
                    &r.field("kind"),
                    format!(
                        "expected one of {}, found {other:?}",
                        kind_names(|_| true).join(", ")
                    ),
                ))
            }
        },
    };

    // A field that this kind of fault does not read is a mistake, not something to ignore;
    // the first one in the file is reported. Listing every field by name here makes a new
    // field a compile error until it is checked.
    let RawFault {
        at_ms: _,
        kind: _,
        node,
        from,
        to,
        sides,
        messages,
        latency_ms,
        jitter_ms,
        percent,
        nodes: swizzle_nodes,
        step_ms,
        at_step,
        fsync_us,
        by_ms,
        rate_percent,
        client,
        for_ms,
        through_liveness,
    } = raw;
    let unused = [
        ("node", node.map(|f| f.span())),
        ("from", from.map(|f| f.span())),
        ("to", to.map(|f| f.span())),
        ("sides", sides.map(|f| f.span())),
        ("messages", messages.map(|f| f.span())),
        ("latency_ms", latency_ms.map(|f| f.span())),
        ("jitter_ms", jitter_ms.map(|f| f.span())),
        ("percent", percent.map(|f| f.span())),
        ("nodes", swizzle_nodes.map(|f| f.span())),
        ("step_ms", step_ms.map(|f| f.span())),
        ("at_step", at_step.map(|f| f.span())),
        ("fsync_us", fsync_us.map(|f| f.span())),
        ("by_ms", by_ms.map(|f| f.span())),
        ("rate_percent", rate_percent.map(|f| f.span())),
        ("client", client.map(|f| f.span())),
    ]
    .into_iter()
    .filter_map(|(name, span)| Some((name, span?)))
    .min_by_key(|(_, span)| span.start);
    if let Some((name, span)) = unused {
        return Err(report.error(
            Some(span),
            &r.field(name),
            format!("not used by a `{}` fault; remove it", action.kind()),
        ));
    }
    let for_ms = match for_ms {
        None => None,
        Some(for_ms) if !action.can_be_undone() => {
            let undoable = kind_names(FaultAction::can_be_undone);
            let (last, rest) = undoable.split_last().expect("some kinds can be undone");
            return Err(report.error(
                Some(for_ms.span()),
                &r.field("for_ms"),
                format!(
                    "not used by a `{}` fault (only {} and {last} can be undone)",
                    action.kind(),
                    rest.join(", ")
                ),
            ));
        }
        Some(for_ms) if *for_ms.get_ref() == 0 => {
            return Err(report.error(
                Some(for_ms.span()),
                &r.field("for_ms"),
                "expected a duration above 0 ms".to_string(),
            ))
        }
        Some(for_ms) => Some(for_ms.into_inner()),
    };
    let through_liveness = match through_liveness {
        None => false,
        Some(flag) if !*flag.get_ref() => false,
        Some(flag) if !action.can_last_through_liveness() => {
            let lasting = kind_names(FaultAction::can_last_through_liveness);
            let (last, rest) = lasting.split_last().expect("some kinds can last");
            return Err(report.error(
                Some(flag.span()),
                &r.field("through_liveness"),
                format!(
                    "not used by a `{}` fault (only {} and {last} can last through the liveness phase)",
                    action.kind(),
                    rest.join(", ")
                ),
            ));
        }
        Some(flag) if for_ms.is_some() => {
            return Err(report.error(
                Some(flag.span()),
                &r.field("through_liveness"),
                "a fault that lasts through the liveness phase is never undone; remove `for_ms` or `through_liveness`".to_string(),
            ));
        }
        Some(_) => true,
    };
    Ok(ScheduledFault {
        at_ms,
        action,
        for_ms,
        through_liveness,
    })
}
