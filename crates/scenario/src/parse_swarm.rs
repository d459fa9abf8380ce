//! Reading the `[swarm]` table: every knob a single value (pinned) or `[min, max]`.

use crate::parse::{kind_names, Field, Reporter, MAX_TIME_MS};
use crate::swarm::{Knob, SwarmConfig};
use crate::ScenarioError;
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSwarm {
    kinds: Field<Vec<Spanned<String>>>,
    kinds_on: Field<RawKnob<u64>>,
    faults: Field<RawKnob<u64>>,
    start_ms: Field<u64>,
    for_ms: Field<RawKnob<u64>>,
    percent: Field<RawKnob<u64>>,
    latency_ms: Field<RawKnob<u64>>,
    jitter_ms: Field<RawKnob<u64>>,
    typed_percent: Field<u64>,
    rate_percent: Field<RawKnob<u64>>,
    jump_ms: Field<RawKnob<i64>>,
    fsync_us: Field<RawKnob<u64>>,
    step_ms: Field<RawKnob<u64>>,
}

/// `5` pins a knob; `[1, 9]` lets each run draw it.
#[derive(Deserialize)]
#[serde(untagged, expecting = "expected a number or a range [min, max]")]
enum RawKnob<T> {
    Pinned(T),
    Range(Vec<T>),
}

/// Checks one knob: a value or a `[min, max]` pair within `[low, high]`, min ≤ max.
fn knob<T>(
    report: &Reporter,
    field: &Field<RawKnob<T>>,
    name: &str,
    default: Knob<T>,
    (low, high): (T, T),
    what: &str,
) -> Result<Knob<T>, ScenarioError>
where
    T: Copy + PartialOrd + std::fmt::Display + std::fmt::Debug,
{
    let Some(spanned) = field else {
        return Ok(default);
    };
    let name = format!("swarm.{name}");
    let error = |message: String| report.error(Some(spanned.span()), &name, message);
    let knob = match spanned.get_ref() {
        RawKnob::Pinned(value) => Knob {
            min: *value,
            max: *value,
        },
        RawKnob::Range(pair) => match pair.as_slice() {
            [min, max] => Knob {
                min: *min,
                max: *max,
            },
            other => {
                return Err(error(format!(
                    "expected {what} or a range [min, max] of it, found a list of {}: {other:?}",
                    other.len()
                )))
            }
        },
    };
    if knob.min < low || knob.max > high {
        return Err(error(format!(
            "expected {what} between {low} and {high}, found [{}, {}]",
            knob.min, knob.max
        )));
    }
    if knob.min > knob.max {
        return Err(error(format!(
            "expected min ≤ max, found [{}, {}]",
            knob.min, knob.max
        )));
    }
    Ok(knob)
}

pub(crate) fn parse_swarm(
    report: &Reporter,
    raw: RawSwarm,
    duration_ms: u64,
    clients: u64,
) -> Result<SwarmConfig, ScenarioError> {
    let default = SwarmConfig::default();
    let kinds = match &raw.kinds {
        None => default.kinds.clone(),
        Some(kinds) => {
            let known = kind_names(|_| true);
            let drawable = crate::swarm::swarm_kinds();
            let mut chosen: Vec<&'static str> = Vec::new();
            for (index, name) in kinds.get_ref().iter().enumerate() {
                let field = format!("swarm.kinds[{index}]");
                let error = |message| report.error(Some(name.span()), &field, message);
                let Some(kind) = drawable.iter().find(|kind| **kind == name.get_ref()) else {
                    return Err(error(if known.contains(&name.get_ref().as_str()) {
                        format!(
                            "a swarm cannot draw `{}` faults; expected one of {}",
                            name.get_ref(),
                            drawable.join(", ")
                        )
                    } else {
                        format!(
                            "expected one of {}, found {:?}",
                            drawable.join(", "),
                            name.get_ref()
                        )
                    }));
                };
                if chosen.contains(kind) {
                    return Err(error(format!("`{kind}` is listed twice")));
                }
                chosen.push(kind);
            }
            if chosen.contains(&"pause-client") && clients == 0 {
                return Err(report.error(
                    Some(kinds.span()),
                    "swarm.kinds",
                    "a swarm drawing `pause-client` faults needs a client to pause, but workload.clients = 0".to_string(),
                ));
            }
            if chosen.is_empty() {
                return Err(report.error(
                    Some(kinds.span()),
                    "swarm.kinds",
                    "expected at least one kind of fault".to_string(),
                ));
            }
            chosen
        }
    };
    let kind_count = kinds.len() as u64;
    let start_ms = report.number(
        &raw.start_ms,
        "swarm.start_ms",
        default.start_ms.min(duration_ms - 1),
        0,
        duration_ms - 1,
        "a time before the end of the safety phase, in ms",
    )?;
    Ok(SwarmConfig {
        kinds,
        kinds_on: knob(
            report,
            &raw.kinds_on,
            "kinds_on",
            Knob::new(1, kind_count),
            (1, kind_count),
            "a number of kinds",
        )?,
        faults: knob(
            report,
            &raw.faults,
            "faults",
            default.faults,
            (0, 10_000),
            "a fault count",
        )?,
        start_ms,
        for_ms: knob(
            report,
            &raw.for_ms,
            "for_ms",
            default.for_ms,
            (1, MAX_TIME_MS),
            "a duration in ms",
        )?,
        percent: knob(
            report,
            &raw.percent,
            "percent",
            default.percent,
            (1, 100),
            "a percentage",
        )?,
        latency_ms: knob(
            report,
            &raw.latency_ms,
            "latency_ms",
            default.latency_ms,
            (0, 60_000),
            "a latency in ms",
        )?,
        jitter_ms: knob(
            report,
            &raw.jitter_ms,
            "jitter_ms",
            default.jitter_ms,
            (0, 60_000),
            "a jitter in ms",
        )?,
        typed_percent: report.number(
            &raw.typed_percent,
            "swarm.typed_percent",
            default.typed_percent,
            0,
            100,
            "a percentage",
        )?,
        rate_percent: knob(
            report,
            &raw.rate_percent,
            "rate_percent",
            default.rate_percent,
            (1, 1_000),
            "a clock rate in percent",
        )?,
        jump_ms: knob(
            report,
            &raw.jump_ms,
            "jump_ms",
            default.jump_ms,
            (-(MAX_TIME_MS as i64), MAX_TIME_MS as i64),
            "a clock jump in ms",
        )?,
        fsync_us: knob(
            report,
            &raw.fsync_us,
            "fsync_us",
            default.fsync_us,
            (1, 10_000_000),
            "an fsync time in µs",
        )?,
        step_ms: knob(
            report,
            &raw.step_ms,
            "step_ms",
            default.step_ms,
            (1, MAX_TIME_MS),
            "a swizzle step in ms",
        )?,
    })
}
