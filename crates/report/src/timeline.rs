//! The run as a picture: a self-contained HTML timeline.
//!
//! One file with inline CSS and a few lines of JavaScript, no network access needed to
//! open it. Clients are rows and their operations bars (green ok, grey failed, orange and
//! open-ended when the outcome is unknown); replicas are rows too, showing when each was
//! down and when it became leader; a network row shows the partitions. Operations the
//! linearizability check could not place are outlined in red and listed with the evidence.
//! Every string taken from the history is escaped.

use crate::{describe_fault, seconds};
use check::{CheckResult, Evidence, Verdict};
use history::{Fault, History, KvInput, KvOutput, Op, Outcome};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An operation in words, e.g. `put k1 = "c1-3" → ok, revision 17`.
pub fn describe_op(op: &Op) -> String {
    let input = match &op.input {
        KvInput::Get { key } => format!("get {key}"),
        KvInput::Put { key, value } => format!("put {key} = {value:?}"),
        KvInput::Delete { key } => format!("delete {key}"),
        KvInput::Cas {
            key,
            compare,
            value,
        } => match compare {
            history::CasCompare::Value { expected } => {
                format!("cas {key}: if value = {expected:?} put {value:?}")
            }
            history::CasCompare::ModRevision { expected } => {
                format!("cas {key}: if mod_revision = {expected} put {value:?}")
            }
        },
    };
    let outcome = match &op.outcome {
        Outcome::Ok(KvOutput::Get {
            value: Some(value),
            mod_revision,
        }) => {
            format!("ok {value:?} at mod_revision {mod_revision}")
        }
        Outcome::Ok(KvOutput::Get { value: None, .. }) => "ok, absent".to_string(),
        Outcome::Ok(KvOutput::Put { revision }) => format!("ok, revision {revision}"),
        Outcome::Ok(KvOutput::Delete { deleted, revision }) => {
            format!("ok, deleted {deleted}, revision {revision}")
        }
        Outcome::Ok(KvOutput::Cas {
            succeeded: true,
            revision,
            ..
        }) => format!("succeeded, revision {revision}"),
        Outcome::Ok(KvOutput::Cas {
            succeeded: false,
            value,
            mod_revision,
            ..
        }) => {
            format!("compare failed; key was {value:?} at mod_revision {mod_revision}")
        }
        Outcome::Failed { error } => format!("failed: {error}"),
        Outcome::Unknown { reason } => format!("unknown: {reason}"),
    };
    format!("{input} → {outcome}")
}

/// A stretch of time on a row: a partition, a node being down.
struct Band {
    row: String,
    from_ns: u64,
    to_ns: u64,
    label: String,
}

/// Partitions and crashes as bands, each lasting until its heal or restart (or the end).
fn fault_bands(history: &History, end_ns: u64) -> Vec<Band> {
    let mut bands = Vec::new();
    let mut partition: Option<(u64, String)> = None;
    let mut down_since: BTreeMap<u64, u64> = BTreeMap::new();
    for event in &history.faults {
        match &event.fault {
            Fault::Partition { .. } => {
                if let Some((from_ns, label)) = partition.take() {
                    bands.push(Band {
                        row: "network".into(),
                        from_ns,
                        to_ns: event.at_ns,
                        label,
                    });
                }
                partition = Some((event.at_ns, describe_fault(&event.fault)));
            }
            Fault::Heal => {
                if let Some((from_ns, label)) = partition.take() {
                    bands.push(Band {
                        row: "network".into(),
                        from_ns,
                        to_ns: event.at_ns,
                        label,
                    });
                }
            }
            Fault::Crash { node } => {
                down_since.insert(*node, event.at_ns);
            }
            Fault::Restart { node } => {
                if let Some(from_ns) = down_since.remove(node) {
                    bands.push(Band {
                        row: format!("node {node}"),
                        from_ns,
                        to_ns: event.at_ns,
                        label: "down".into(),
                    });
                }
            }
        }
    }
    if let Some((from_ns, label)) = partition {
        bands.push(Band {
            row: "network".into(),
            from_ns,
            to_ns: end_ns,
            label,
        });
    }
    for (node, from_ns) in down_since {
        bands.push(Band {
            row: format!("node {node}"),
            from_ns,
            to_ns: end_ns,
            label: "down".into(),
        });
    }
    bands
}

/// The ids of the operations the verdict blames, and the evidence in words.
fn blamed(verdict: &Verdict) -> (BTreeSet<u64>, Vec<String>) {
    let mut ids = BTreeSet::new();
    let mut lines = Vec::new();
    for report in &verdict.checks {
        if let CheckResult::Violation { summary, evidence } = &report.result {
            lines.push(format!("{}: {summary}", report.check));
            if let Evidence::Linearizability(violation) = evidence {
                ids.extend(violation.stuck_ops.iter().copied());
            }
        }
    }
    (ids, lines)
}

/// Renders the timeline of `history` judged by `verdict` as one HTML document.
pub fn render(history: &History, verdict: &Verdict) -> String {
    let end_ns = history
        .ops
        .iter()
        .map(|op| op.return_ns.unwrap_or(op.call_ns))
        .chain(history.faults.iter().map(|event| event.at_ns))
        .chain(
            history
                .liveness
                .iter()
                .map(|probe| probe.first_write_ns.unwrap_or(probe.deadline_ns)),
        )
        .max()
        .unwrap_or(0)
        .max(1);
    let x = |ns: u64| ns as f64 * 100.0 / end_ns as f64;
    let (blamed_ids, evidence) = blamed(verdict);

    let mut rows: BTreeMap<String, String> = BTreeMap::new();
    let mut row_order: Vec<String> = vec!["network".to_string()];
    let mut nodes: BTreeSet<u64> = history.leaders.iter().map(|change| change.node).collect();
    for event in &history.faults {
        if let Fault::Crash { node } | Fault::Restart { node } = event.fault {
            nodes.insert(node);
        }
    }
    row_order.extend(nodes.iter().map(|node| format!("node {node}")));
    let clients: BTreeSet<u64> = history.ops.iter().map(|op| op.client).collect();
    row_order.extend(clients.iter().map(|client| format!("client {client}")));

    for band in fault_bands(history, end_ns) {
        let cell = rows.entry(band.row).or_default();
        write!(
            cell,
            r#"<div class="band" style="left:{:.4}%;width:{:.4}%" title="{} from {} to {}">{}</div>"#,
            x(band.from_ns),
            (x(band.to_ns) - x(band.from_ns)).max(0.05),
            escape(&band.label),
            seconds(band.from_ns),
            seconds(band.to_ns),
            escape(&band.label)
        )
        .unwrap();
    }
    for change in &history.leaders {
        let cell = rows.entry(format!("node {}", change.node)).or_default();
        write!(
            cell,
            r#"<div class="leader" style="left:{:.4}%" title="node {} leads term {} from {}">L{}</div>"#,
            x(change.at_ns),
            change.node,
            change.term,
            seconds(change.at_ns),
            change.term
        )
        .unwrap();
    }
    // An unknown outcome may take effect at any later time, but a bar to the end of the
    // run would hide the client's later operations: it ends where the client moved on.
    let mut next_call_ns: BTreeMap<u64, u64> = BTreeMap::new();
    let mut moved_on_ns = vec![end_ns; history.ops.len()];
    for (index, op) in history.ops.iter().enumerate().rev() {
        if let Some(&next) = next_call_ns.get(&op.client) {
            moved_on_ns[index] = next;
        }
        next_call_ns.insert(op.client, op.call_ns);
    }
    for (op, moved_on_ns) in history.ops.iter().zip(moved_on_ns) {
        let (class, to_ns) = match op.outcome {
            Outcome::Ok(_) | Outcome::Failed { .. } => {
                let class = if matches!(op.outcome, Outcome::Ok(_)) {
                    "ok"
                } else {
                    "failed"
                };
                (class, op.return_ns.unwrap_or(end_ns))
            }
            Outcome::Unknown { .. } => ("unknown", moved_on_ns),
        };
        let blame = if blamed_ids.contains(&op.id) {
            " stuck"
        } else {
            ""
        };
        let description = describe_op(op);
        let returned = op.return_ns.map_or("never".to_string(), seconds);
        let cell = rows.entry(format!("client {}", op.client)).or_default();
        write!(
            cell,
            r##"<div id="op{id}" class="op {class}{blame}" data-key="{key}" style="left:{left:.4}%;width:{width:.4}%" title="#{id} client {client}: {title} (called {called}, returned {returned})">{label}</div>"##,
            id = op.id,
            key = escape(op.key()),
            left = x(op.call_ns),
            width = (x(to_ns) - x(op.call_ns)).max(0.05),
            client = op.client,
            title = escape(&description),
            called = seconds(op.call_ns),
            label = escape(op.key()),
        )
        .unwrap();
    }

    let mut body = String::new();
    for row in &row_order {
        write!(
            body,
            r#"<div class="row"><div class="name">{}</div><div class="lane">{}</div></div>"#,
            escape(row),
            rows.get(row).map_or("", String::as_str)
        )
        .unwrap();
        body.push('\n');
    }
    let mut ticks = String::new();
    let step_ns = tick_step_ns(end_ns);
    for tick in (0..=end_ns).step_by(step_ns as usize) {
        write!(
            ticks,
            r#"<div class="tick" style="left:{:.4}%">{}</div>"#,
            x(tick),
            seconds(tick)
        )
        .unwrap();
    }
    let mut blamed_list = String::new();
    for op in history.ops.iter().filter(|op| blamed_ids.contains(&op.id)) {
        write!(
            blamed_list,
            r##"<li><a href="#op{id}" data-op="op{id}">#{id}</a> client {client}, {called}: {description}</li>"##,
            id = op.id,
            client = op.client,
            called = seconds(op.call_ns),
            description = escape(&describe_op(op))
        )
        .unwrap();
    }
    let status = if verdict.is_ok() { "passed" } else { "FAILED" };
    let evidence_html = if evidence.is_empty() {
        "<p>Every check holds.</p>".to_string()
    } else {
        let items: String = evidence
            .iter()
            .map(|line| format!("<p>{}</p>", escape(line)))
            .collect();
        format!("{items}<p>Operations that cannot be placed next (outlined in red):</p><ul>{blamed_list}</ul>")
    };

    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{scenario} seed {seed} — lockstep timeline</title>
<style>
body {{ font: 13px system-ui, sans-serif; margin: 16px; color: #222; }}
h1 {{ font-size: 18px; margin: 0 0 8px; }}
.verdict pre {{ background: #f6f6f6; padding: 8px; white-space: pre-wrap; }}
#chart {{ position: relative; width: calc(var(--zoom, 1) * (100% - 90px)); margin-left: 90px; }}
.row {{ position: relative; height: 22px; border-bottom: 1px solid #eee; }}
.name {{ position: absolute; left: -90px; width: 86px; top: 3px; text-align: right; color: #555; }}
.lane {{ position: absolute; left: 0; right: 0; top: 0; bottom: 0; }}
.op, .band {{ position: absolute; top: 3px; height: 15px; overflow: hidden; font-size: 10px; line-height: 15px; white-space: nowrap; box-sizing: border-box; border-radius: 2px; }}
.op.ok {{ background: #8fd19e; }}
.op.failed {{ background: #ccc; }}
.op.unknown {{ background: repeating-linear-gradient(45deg, #f7c873, #f7c873 4px, #fbe3b3 4px, #fbe3b3 8px); }}
.op.stuck {{ outline: 2px solid #d00; background: #f4a3a3; z-index: 2; }}
.op.dim {{ opacity: 0.15; }}
.op.flash {{ outline: 3px solid #00f; }}
.band {{ background: #cfd8f7; color: #334; padding-left: 2px; }}
.leader {{ position: absolute; top: 2px; font-size: 10px; font-weight: bold; color: #a60; border-left: 2px solid #a60; padding-left: 2px; height: 17px; }}
.axis {{ position: relative; height: 18px; color: #777; font-size: 10px; }}
.tick {{ position: absolute; border-left: 1px solid #ccc; padding-left: 2px; height: 18px; }}
.controls {{ margin: 8px 0; }}
</style></head>
<body>
<h1>{scenario} — seed {seed} — {status}</h1>
<div class="verdict"><pre>{summary}</pre></div>
<div class="controls">
<label>zoom <input id="zoom" type="range" min="1" max="50" value="1"></label>
<label>show key <select id="key"><option value="">all</option>{key_options}</select></label>
Hover a bar for the operation; green ok, grey failed, striped unknown (drawn until the client moved on; it may take effect any time after its call).
</div>
<div id="chart"><div class="axis">{ticks}</div>
{body}</div>
<section id="evidence"><h2>Evidence</h2>{evidence_html}</section>
<script>
const chart = document.getElementById('chart');
document.getElementById('zoom').addEventListener('input', e => chart.style.setProperty('--zoom', e.target.value));
document.getElementById('key').addEventListener('change', e => {{
  for (const op of document.querySelectorAll('.op')) op.classList.toggle('dim', e.target.value !== '' && op.dataset.key !== e.target.value);
}});
for (const link of document.querySelectorAll('a[data-op]')) link.addEventListener('click', () => {{
  const op = document.getElementById(link.dataset.op);
  op.classList.add('flash'); setTimeout(() => op.classList.remove('flash'), 1500);
}});
</script>
</body></html>
"#,
        scenario = escape(&history.scenario),
        seed = history.seed,
        summary = escape(verdict.summary().trim_end()),
        key_options = history
            .ops
            .iter()
            .map(|op| op.key())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|key| format!(r#"<option value="{0}">{0}</option>"#, escape(key)))
            .collect::<String>(),
    )
}

/// A round step for axis ticks: about ten ticks over the run.
fn tick_step_ns(end_ns: u64) -> u64 {
    let rough = (end_ns / 10).max(1);
    let magnitude = 10u64.pow(rough.ilog10());
    [1, 2, 5, 10]
        .iter()
        .map(|m| m * magnitude)
        .find(|&step| step >= rough)
        .unwrap_or(rough)
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::{CheckKind, CheckReport, LinearizabilityViolation};
    use history::FaultEvent;

    fn op(id: u64, client: u64, key: &str, value: &str, outcome: Outcome) -> Op {
        Op {
            id,
            client,
            call_ns: 1_000_000 * (id + 1),
            return_ns: match outcome {
                Outcome::Unknown { .. } => None,
                _ => Some(1_000_000 * (id + 1) + 500_000),
            },
            input: KvInput::Put {
                key: key.into(),
                value: value.into(),
            },
            outcome,
        }
    }

    fn failing_verdict(stuck: u64) -> Verdict {
        Verdict {
            checks: vec![CheckReport {
                check: "linearizable".into(),
                kind: CheckKind::Safety,
                result: CheckResult::Violation {
                    summary: "on key <k>".into(),
                    evidence: Evidence::Linearizability(LinearizabilityViolation {
                        key: "k".into(),
                        linearized_prefix: vec![0],
                        stuck_ops: vec![stuck],
                        model_state: "s".into(),
                        explanation: "e".into(),
                    }),
                },
            }],
        }
    }

    #[test]
    fn strings_from_the_history_are_escaped() {
        let mut history = History::new("x<y", 1);
        history.ops.push(op(
            0,
            1,
            "<script>alert(1)</script>",
            "\"'&",
            Outcome::Ok(KvOutput::Put { revision: 2 }),
        ));
        let html = render(&history, &failing_verdict(0));
        assert!(!html.contains("<script>alert"), "unescaped key");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("x&lt;y"));
        // The value "'& appears in the operation's description as "\"'&", escaped.
        assert!(
            html.contains("&quot;\\&quot;&#39;&amp;&quot;"),
            "value escaped"
        );
        assert!(html.contains("on key &lt;k&gt;"));
    }

    #[test]
    fn every_operation_is_a_bar_and_the_blamed_one_is_marked() {
        let mut history = History::new("t", 1);
        history.ops.push(op(
            0,
            1,
            "a",
            "1",
            Outcome::Ok(KvOutput::Put { revision: 2 }),
        ));
        history.ops.push(op(
            1,
            2,
            "a",
            "2",
            Outcome::Unknown {
                reason: "timeout".into(),
            },
        ));
        history.ops.push(op(
            2,
            1,
            "b",
            "3",
            Outcome::Failed {
                error: "no leader".into(),
            },
        ));
        history.faults.push(FaultEvent {
            at_ns: 500_000,
            fault: Fault::Crash { node: 3 },
        });
        let html = render(&history, &failing_verdict(1));
        assert!(html.contains(r#"id="op0" class="op ok""#));
        assert!(html.contains(r#"id="op1" class="op unknown stuck""#));
        assert!(html.contains(r#"id="op2" class="op failed""#));
        assert!(
            html.contains(r##"href="#op1""##),
            "the evidence links to the blamed op"
        );
        assert!(html.contains("node 3"), "a row for the crashed node");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "self-contained"
        );
    }

    #[test]
    fn tick_steps_are_round() {
        assert_eq!(tick_step_ns(16_000_000_000), 2_000_000_000);
        assert_eq!(tick_step_ns(9_000_000), 1_000_000);
        assert_eq!(tick_step_ns(1), 1);
    }
}
