//! The run as a picture: a self-contained HTML timeline.
//!
//! One file with inline CSS and a few lines of JavaScript, no network access needed to
//! open it. Clients are rows and their operations bars (green ok, grey failed, orange and
//! open-ended when the outcome is unknown); replicas are rows too, showing when each was
//! down and when it became leader; a network row shows the partitions. Operations the
//! linearizability check could not place are outlined in red and listed with the evidence.
//! Lock, lease and election runs add their holds, the store's lock owners, writes to the
//! protected resource and lease ends (see [`locks`]). Every string taken from the history
//! is escaped.
//!
//! Histories imported from other tools ([`render_imported`]) are drawn the same way, a row
//! per process, with the file's line numbers for time.

mod locks;

use crate::{describe_fault, seconds};
use check::{CheckResult, Evidence, Model, Operation, Verdict};
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
            ..
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

/// Faults as bands: on the network row what is degraded (partitions and one-way cuts add
/// up until a heal, lasting ones to the end; link faults and clogs last until lifted or healed), on a node's row
/// when it was down, paused, frozen, slow to sync, on a skewed clock or removed; each
/// lasts until it is undone, or the end. A clock jump and a member's addition are short
/// bands of their own.
fn fault_bands(history: &History, end_ns: u64) -> Vec<Band> {
    let mut bands = Vec::new();
    // What the network suffers, in words, keyed by what lifts it, since when.
    let mut network: Vec<(NetworkFaultKey, String)> = Vec::new();
    let mut network_since_ns = 0;
    // Per (row, what), since when and in which words.
    let mut node_since: BTreeMap<(String, &str), (u64, String)> = BTreeMap::new();
    for event in &history.faults {
        let at_ns = event.at_ns;
        let described = describe_fault(&event.fault);
        let network_change = match &event.fault {
            Fault::Partition { .. } | Fault::Cut { .. } if event.lasting => Some((
                Some((NetworkFaultKey::Lasting, format!("{described} (lasting)"))),
                None,
            )),
            Fault::Partition { .. } | Fault::Cut { .. } => {
                Some((Some((NetworkFaultKey::UntilHeal, described.clone())), None))
            }
            Fault::LinkFault { id, .. } => {
                Some((Some((NetworkFaultKey::Link(*id), described.clone())), None))
            }
            Fault::Clog { node } => Some((
                Some((NetworkFaultKey::Clog(*node), described.clone())),
                None,
            )),
            Fault::LinkRestored { id } => Some((None, Some(NetworkFaultKey::Link(*id)))),
            Fault::Unclog { node } => Some((None, Some(NetworkFaultKey::Clog(*node)))),
            Fault::Heal => Some((None, None)),
            _ => None,
        };
        if let Some((added, lifted)) = network_change {
            if !network.is_empty() {
                bands.push(Band {
                    row: "network".into(),
                    from_ns: network_since_ns,
                    to_ns: at_ns,
                    label: network
                        .iter()
                        .map(|(_, words)| words.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
            match (added, lifted) {
                (Some(added), _) => network.push(added),
                (None, Some(lifted)) => network.retain(|(key, _)| *key != lifted),
                // A heal ends partitions and cuts; link faults and clogs end on their own.
                (None, None) => network.retain(|(key, _)| *key != NetworkFaultKey::UntilHeal),
            }
            network_since_ns = at_ns;
            continue;
        }
        let (row, what, starts) = match &event.fault {
            Fault::Crash { node, .. } => (node_row(*node), "down", true),
            Fault::Restart { node } => (node_row(*node), "down", false),
            Fault::Pause { node } => (node_row(*node), "paused", true),
            Fault::Resume { node } => (node_row(*node), "paused", false),
            Fault::Freeze { node } => (node_row(*node), "frozen", true),
            Fault::Thaw { node } => (node_row(*node), "frozen", false),
            Fault::SlowDisk { node, .. } => (node_row(*node), "disk", true),
            Fault::DiskRestored { node } => (node_row(*node), "disk", false),
            Fault::ClockRate { node, rate_percent } => {
                (node_row(*node), "clock", *rate_percent != 100)
            }
            Fault::MemberRemoved { node } => (node_row(*node), "removed", true),
            Fault::ClientPause { client } => (format!("client {client}"), "paused", true),
            Fault::ClientResume { client } => (format!("client {client}"), "paused", false),
            Fault::ClockJump { node, .. } => {
                // A moment, drawn as a sliver a hundredth of the run wide.
                bands.push(row_band(
                    node_row(*node),
                    &described,
                    at_ns,
                    at_ns + end_ns / 100,
                ));
                continue;
            }
            Fault::MemberAdded { node } => {
                bands.push(row_band(
                    node_row(*node),
                    "added",
                    at_ns,
                    at_ns + end_ns / 100,
                ));
                continue;
            }
            Fault::Partition { .. }
            | Fault::Cut { .. }
            | Fault::LinkFault { .. }
            | Fault::LinkRestored { .. }
            | Fault::Clog { .. }
            | Fault::Unclog { .. }
            | Fault::Heal => unreachable!("network faults are handled above"),
        };
        // A new start of the same thing (a clock set to another rate) ends the last one.
        if let Some((from_ns, label)) = node_since.remove(&(row.clone(), what)) {
            bands.push(row_band(row.clone(), &label, from_ns, at_ns));
        }
        if starts {
            let label = match what {
                "down" | "paused" | "frozen" | "removed" => what.to_string(),
                _ => described,
            };
            node_since.insert((row, what), (at_ns, label));
        }
    }
    if !network.is_empty() {
        bands.push(Band {
            row: "network".into(),
            from_ns: network_since_ns,
            to_ns: end_ns,
            label: network
                .iter()
                .map(|(_, words)| words.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    for ((row, _), (from_ns, label)) in node_since {
        bands.push(row_band(row, &label, from_ns, end_ns));
    }
    bands
}

/// What lifts a network fault: only a heal, or its own end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NetworkFaultKey {
    UntilHeal,
    /// A partition or cut no heal lifts: it lasts to the end of the run.
    Lasting,
    Link(u64),
    Clog(u64),
}

fn node_row(node: u64) -> String {
    format!("node {node}")
}

fn row_band(row: String, label: &str, from_ns: u64, to_ns: u64) -> Band {
    Band {
        row,
        from_ns,
        to_ns,
        label: label.to_string(),
    }
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

/// What the time axis counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Clock {
    /// Simulated nanoseconds, shown in seconds.
    Nanoseconds,
    /// Line numbers of the history file (imported histories record no times).
    Lines,
}

impl Clock {
    fn label(self, at: u64) -> String {
        match self {
            Clock::Nanoseconds => seconds(at),
            Clock::Lines => format!("line {at}"),
        }
    }
}

/// An operation as a bar on its client's row.
struct Bar {
    id: u64,
    row: String,
    call: u64,
    /// Where the bar ends: the return, or for an unknown outcome where the client moved on.
    drawn_to: u64,
    returned: Option<u64>,
    /// `ok`, `failed` or `unknown`.
    class: &'static str,
    key: String,
    /// What the bar says on it.
    label: String,
    description: String,
}

/// A timeline, whatever the history came from.
struct Chart {
    /// The page's title and heading.
    title: String,
    clock: Clock,
    end: u64,
    /// Row names, top to bottom.
    rows: Vec<String>,
    /// Per row, the HTML of what it shows besides operations (faults, leadership, locks).
    marks: BTreeMap<String, String>,
    bars: Vec<Bar>,
    /// The styles, legend and blamed list that lock records' marks (in `marks`) need.
    extras: Extras,
}

/// What a page adds for lock records: nothing for other histories, whose pages stay as
/// they were.
#[derive(Default)]
struct Extras {
    /// CSS for the extra marks.
    style: &'static str,
    /// The legend's words for them, after the operations'.
    legend: String,
    /// Marks the verdict names, as list entries linking to them.
    blamed: Vec<String>,
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
        .chain(history.lock_and_lease_times())
        .max()
        .unwrap_or(0)
        .max(1);
    let x = |ns: u64| ns as f64 * 100.0 / end_ns as f64;

    let mut marks: BTreeMap<String, String> = BTreeMap::new();
    let mut rows: Vec<String> = vec!["network".to_string()];
    let mut nodes: BTreeSet<u64> = history.leaders.iter().map(|change| change.node).collect();
    for event in &history.faults {
        match &event.fault {
            Fault::Crash { node, .. }
            | Fault::Restart { node }
            | Fault::Pause { node }
            | Fault::Resume { node }
            | Fault::Freeze { node }
            | Fault::Thaw { node }
            | Fault::Clog { node }
            | Fault::Unclog { node }
            | Fault::SlowDisk { node, .. }
            | Fault::DiskRestored { node }
            | Fault::ClockJump { node, .. }
            | Fault::ClockRate { node, .. }
            | Fault::MemberRemoved { node }
            | Fault::MemberAdded { node } => {
                nodes.insert(*node);
            }
            Fault::Cut { from, to } => {
                nodes.extend([*from, *to]);
            }
            Fault::LinkFault { from, to, .. } => {
                nodes.extend(from.iter().chain(to));
            }
            Fault::Partition { .. }
            | Fault::LinkRestored { .. }
            | Fault::Heal
            | Fault::ClientPause { .. }
            | Fault::ClientResume { .. } => {}
        }
    }
    rows.extend(nodes.iter().map(|node| format!("node {node}")));
    let lock_view = locks::draw(history, verdict, end_ns);
    // The store's lock owners just above the clients' holds, to compare the two.
    rows.extend(lock_view.store_rows);
    let paused_clients = history.faults.iter().filter_map(|event| match event.fault {
        Fault::ClientPause { client } => Some(client),
        _ => None,
    });
    let clients: BTreeSet<u64> = history
        .ops
        .iter()
        .map(|op| op.client)
        .chain(paused_clients)
        .chain(lock_view.clients)
        .collect();
    rows.extend(clients.iter().map(|client| format!("client {client}")));
    rows.extend(lock_view.lease_rows);

    for band in fault_bands(history, end_ns) {
        let cell = marks.entry(band.row).or_default();
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
        let cell = marks.entry(format!("node {}", change.node)).or_default();
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
    for (row, html) in lock_view.marks {
        marks.entry(row).or_default().push_str(&html);
    }
    let timings: Vec<(u64, u64, Option<u64>)> = history
        .ops
        .iter()
        .map(|op| (op.client, op.call_ns, op.return_ns))
        .collect();
    let bars = history
        .ops
        .iter()
        .zip(moved_on(&timings, end_ns))
        .map(|(op, moved_on_ns)| {
            let class = match op.outcome {
                Outcome::Ok(_) => "ok",
                Outcome::Failed { .. } => "failed",
                Outcome::Unknown { .. } => "unknown",
            };
            Bar {
                id: op.id,
                row: format!("client {}", op.client),
                call: op.call_ns,
                drawn_to: match op.outcome {
                    Outcome::Unknown { .. } => moved_on_ns,
                    _ => op.return_ns.unwrap_or(end_ns),
                },
                returned: op.return_ns,
                class,
                key: op.key().to_string(),
                label: op.key().to_string(),
                description: describe_op(op),
            }
        })
        .collect();
    let chart = Chart {
        title: format!("{} — seed {}", history.scenario, history.seed),
        clock: Clock::Nanoseconds,
        end: end_ns,
        rows,
        marks,
        bars,
        extras: if lock_view.legend.is_empty() {
            Extras::default()
        } else {
            Extras {
                style: locks::STYLE,
                legend: lock_view.legend,
                blamed: lock_view.blamed,
            }
        },
    };
    render_chart(&chart, verdict)
}

/// Renders the timeline of a history imported from another tool (a Jepsen log, EDN
/// lines), judged by `verdict`, as one HTML document: a row per process, times in lines
/// of the file. `key_of` names the object an operation is on (for the key filter).
/// Calls that definitely failed are not drawn: importing leaves them out, as they never
/// took effect.
pub fn render_imported<M: Model>(
    title: &str,
    model: &M,
    operations: &[Operation<M::Input, M::Output>],
    key_of: impl Fn(&M::Input) -> String,
    verdict: &Verdict,
) -> String {
    let end = operations
        .iter()
        .map(|operation| operation.return_ns.unwrap_or(operation.call_ns))
        .max()
        .unwrap_or(0)
        .max(1);
    let processes: BTreeSet<u64> = operations
        .iter()
        .map(|operation| operation.client)
        .collect();
    let timings: Vec<(u64, u64, Option<u64>)> = operations
        .iter()
        .map(|operation| (operation.client, operation.call_ns, operation.return_ns))
        .collect();
    let bars = operations
        .iter()
        .zip(moved_on(&timings, end))
        .map(|(operation, moved_on)| Bar {
            id: operation.id,
            row: format!("process {}", operation.client),
            call: operation.call_ns,
            drawn_to: operation.return_ns.unwrap_or(moved_on),
            returned: operation.return_ns,
            class: if operation.return_ns.is_some() {
                "ok"
            } else {
                "unknown"
            },
            key: key_of(&operation.input),
            // Third-party histories have few keys: what the operation did says more.
            label: model.describe_operation(&operation.input, &operation.output),
            description: model.describe_operation(&operation.input, &operation.output),
        })
        .collect();
    let chart = Chart {
        title: title.to_string(),
        clock: Clock::Lines,
        end,
        rows: processes
            .iter()
            .map(|process| format!("process {process}"))
            .collect(),
        marks: BTreeMap::new(),
        bars,
        extras: Extras::default(),
    };
    render_chart(&chart, verdict)
}

/// Per operation (given as client, call, return), where its client moved on: its next
/// call, or `end`. An unknown outcome may take effect at any later time, but a bar to the
/// end would hide the client's later operations, so it is drawn up to there.
fn moved_on(timings: &[(u64, u64, Option<u64>)], end: u64) -> Vec<u64> {
    let mut next_call: BTreeMap<u64, u64> = BTreeMap::new();
    let mut moved_on = vec![end; timings.len()];
    for (index, &(client, call, _)) in timings.iter().enumerate().rev() {
        if let Some(&next) = next_call.get(&client) {
            moved_on[index] = next;
        }
        next_call.insert(client, call);
    }
    moved_on
}

/// The page for `chart` judged by `verdict`.
fn render_chart(chart: &Chart, verdict: &Verdict) -> String {
    let clock = chart.clock;
    let x = |at: u64| at as f64 * 100.0 / chart.end as f64;
    let (blamed_ids, evidence) = blamed(verdict);
    let mut cells = chart.marks.clone();
    for bar in &chart.bars {
        let blame = if blamed_ids.contains(&bar.id) {
            " stuck"
        } else {
            ""
        };
        let returned = bar
            .returned
            .map_or("never".to_string(), |at| clock.label(at));
        let cell = cells.entry(bar.row.clone()).or_default();
        write!(
            cell,
            r##"<div id="op{id}" class="op {class}{blame}" data-key="{key}" style="left:{left:.4}%;width:{width:.4}%" title="#{id} {row}: {title} (called {called}, returned {returned})">{label}</div>"##,
            id = bar.id,
            class = bar.class,
            key = escape(&bar.key),
            left = x(bar.call),
            width = (x(bar.drawn_to) - x(bar.call)).max(0.05),
            row = escape(&bar.row),
            title = escape(&bar.description),
            called = clock.label(bar.call),
            label = escape(&bar.label),
        )
        .unwrap();
    }

    let mut body = String::new();
    for row in &chart.rows {
        write!(
            body,
            r#"<div class="row"><div class="name">{}</div><div class="lane">{}</div></div>"#,
            escape(row),
            cells.get(row).map_or("", String::as_str)
        )
        .unwrap();
        body.push('\n');
    }
    let mut ticks = String::new();
    let step = tick_step(chart.end);
    for tick in (0..=chart.end).step_by(step as usize) {
        write!(
            ticks,
            r#"<div class="tick" style="left:{:.4}%">{}</div>"#,
            x(tick),
            clock.label(tick)
        )
        .unwrap();
    }
    let mut blamed_list = String::new();
    for bar in chart.bars.iter().filter(|bar| blamed_ids.contains(&bar.id)) {
        write!(
            blamed_list,
            r##"<li><a href="#op{id}" data-op="op{id}">#{id}</a> {row}, {called}: {description}</li>"##,
            id = bar.id,
            row = escape(&bar.row),
            called = clock.label(bar.call),
            description = escape(&bar.description)
        )
        .unwrap();
    }
    let status = if verdict.is_ok() { "passed" } else { "FAILED" };
    let evidence_html = if evidence.is_empty() {
        format!("<p>Every check holds.</p>{}", order_found(verdict))
    } else {
        let items: String = evidence
            .iter()
            .map(|line| format!("<p>{}</p>", escape(line)))
            .collect();
        let marks = if chart.extras.blamed.is_empty() {
            String::new()
        } else {
            format!(
                "<p>Lock holds, resource writes and lease ends the evidence names (in red):</p><ul>{}</ul>",
                chart.extras.blamed.concat()
            )
        };
        // A lock failure blames no operation: an empty list of them would only puzzle.
        let operations = if blamed_list.is_empty() && !marks.is_empty() {
            String::new()
        } else {
            format!("<p>Operations that cannot be placed next (outlined in red):</p><ul>{blamed_list}</ul>")
        };
        format!("{items}{marks}{operations}")
    };
    let time_note = match clock {
        Clock::Nanoseconds => "",
        Clock::Lines => " Times are line numbers of the history file.",
    };

    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} — lockstep timeline</title>
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
{extra_style}</style></head>
<body>
<h1>{title} — {status}</h1>
<div class="verdict"><pre>{summary}</pre></div>
<div class="controls">
<label>zoom <input id="zoom" type="range" min="1" max="50" value="1"></label>
<label>show key <select id="key"><option value="">all</option>{key_options}</select></label>
Hover a bar for the operation; green ok, grey failed, striped unknown (drawn until the client moved on; it may take effect any time after its call).{extra_legend}{time_note}
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
        title = escape(&chart.title),
        extra_style = chart.extras.style,
        extra_legend = &chart.extras.legend,
        summary = escape(verdict.summary().trim_end()),
        key_options = chart
            .bars
            .iter()
            .map(|bar| bar.key.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|key| format!(r#"<option value="{0}">{0}</option>"#, escape(key)))
            .collect::<String>(),
    )
}

/// The linearization the verdict found, as lists of links to the operations in order.
fn order_found(verdict: &Verdict) -> String {
    let mut html = String::new();
    for report in &verdict.checks {
        let CheckResult::Ok { linearization, .. } = &report.result else {
            continue;
        };
        for (partition, order) in linearization {
            let links: Vec<String> = order
                .iter()
                .map(|id| format!(r##"<a href="#op{id}" data-op="op{id}">{id}</a>"##))
                .collect();
            write!(
                html,
                "<details><summary>{}: the order found for {} ({} ops)</summary><p>{}</p></details>",
                escape(&report.check),
                escape(partition),
                order.len(),
                links.join(" → ")
            )
            .unwrap();
        }
    }
    html
}

/// A round step for axis ticks: about ten ticks over the chart.
fn tick_step(end: u64) -> u64 {
    let rough = (end / 10).max(1);
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
    use history::{
        FaultEvent, LeaseEnd, LeaseRenewal, LockHold, LockOwner, LockOwnership, ResourceWrite,
    };

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
            fault: Fault::Crash {
                node: 3,
                at_step: None,
            },
            lasting: false,
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
    fn an_imported_history_is_drawn_a_row_per_process_and_escaped() {
        let append = |id: u64, process: u64, key: &str| check::KvAppendOperation {
            id,
            client: process,
            call_ns: 2 * id + 1,
            return_ns: Some(2 * id + 2),
            input: check::KvAppendInput {
                key: key.into(),
                action: check::KvAppendAction::Append("<i>".into()),
            },
            output: check::KvAppendOutput::Done,
        };
        let operations = [append(0, 3, "<b>"), append(1, 8, "k")];
        let html = render_imported(
            "a & b",
            &check::KvAppendModel,
            &operations,
            |input| input.key.clone(),
            &failing_verdict(1),
        );
        assert!(html.contains("process 3") && html.contains("process 8"));
        assert!(html.contains(r#"id="op1" class="op ok stuck""#));
        assert!(html.contains("a &amp; b") && html.contains("line 1"));
        assert!(!html.contains("<b>") && !html.contains("<i>"), "unescaped");
        assert!(html.contains("&lt;b&gt;"));
    }

    /// Client 1 takes `locks/0` and is paused past its lease; the store hands the lock to
    /// client 2 while client 1 still believes it holds it.
    fn overlapping_holds() -> History {
        let hold = |client: u64, lease: u64, token: u64, from_ms: u64, to_ms: u64| LockHold {
            client,
            lock: "locks/0".into(),
            key: format!("locks/0/{lease:016x}"),
            lease,
            create_revision: token,
            observed_revision: token,
            acquired_ns: from_ms * 1_000_000,
            released_ns: Some(to_ms * 1_000_000),
            fenced: false,
        };
        let owner = |revision: u64, at_ms: u64, lease: u64, token: u64| LockOwnership {
            lock: "locks/0".into(),
            revision,
            at_ns: at_ms * 1_000_000,
            owner: Some(LockOwner {
                key: format!("locks/0/{lease:016x}"),
                lease,
                create_revision: token,
            }),
        };
        let write = |client: u64, token: u64, at_ms: u64, accepted: bool| ResourceWrite {
            client,
            token,
            read: vec![],
            wrote: vec![token],
            at_ns: at_ms * 1_000_000,
            accepted,
        };
        let mut history = History::new("lock-pause", 1);
        history.lock_holds = vec![hold(1, 0xa1, 2, 100, 900), hold(2, 0xb2, 3, 500, 700)];
        history.lock_owners = vec![owner(2, 90, 0xa1, 2), owner(4, 450, 0xb2, 3)];
        history.resource_writes = vec![write(2, 3, 700, true), write(1, 2, 900, false)];
        history.lease_renewals = vec![LeaseRenewal {
            client: 1,
            lease: 0xa1,
            sent_ns: 50_000_000,
            acked: None,
            believed_until_ns: None,
        }];
        history.lease_ends = vec![
            LeaseEnd {
                lease: 0xa1,
                revision: 4,
                at_ns: 450_000_000,
                expired: true,
                keys: vec!["locks/0/00000000000000a1".into()],
                expired_by: Some(2),
            },
            LeaseEnd {
                lease: 0xc3,
                revision: 5,
                at_ns: 1_000_000_000,
                expired: false,
                keys: vec![],
                expired_by: None,
            },
        ];
        history
    }

    #[test]
    fn lock_holds_are_drawn_beside_the_store_s_owner() {
        let history = overlapping_holds();
        let html = render(&history, &Verdict { checks: vec![] });
        let names: Vec<&str> = html
            .split(r#"<div class="name">"#)
            .skip(1)
            .map(|row| row.split('<').next().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "network",
                "lock locks/0 (store)",
                "client 1",
                "client 2",
                "leases"
            ],
            "the store's row just above the holders' rows; a lease no client is known to have on a row of its own"
        );
        assert!(html.contains(r#"id="hold0" class="hold" style="left:10.0000%;width:80.0000%;"#));
        assert!(html.contains(r#"id="hold1" class="hold" style="left:50.0000%;width:20.0000%;"#));
        assert!(html.contains(">locks/0 token 2 lease a1</div>"));
        assert!(html.contains(">locks/0 token 3 lease b2</div>"));
        // The run ends at 1 s. The store's owner changes at 450 ms: client 1's stretch
        // ends there, client 2's lasts to the end.
        assert!(html.contains(
            r#"class="owner" style="left:9.0000%;width:36.0000%;--c:#1f6feb" title="store: locks/0 owned by key locks/0/00000000000000a1 (lease a1, token 2, client 1) from revision 2, t=0.090s to t=0.450s">client 1: lease a1, token 2</div>"#
        ));
        assert!(html.contains(">client 2: lease b2, token 3</div>"));
        assert!(html.contains(r#"id="write0" class="write accepted""#));
        assert!(html.contains(r#"id="write1" class="write refused""#));
        assert!(html.contains(r#"id="lease-end0" class="lease-end expired""#));
        assert!(html.contains(r#"id="lease-end1" class="lease-end revoked""#));
        assert!(html.contains(
            "lease a1 (client 1) expired by node 2&#39;s lessor at t=0.450s, revision 4; deleted keys locks/0/00000000000000a1"
        ));
        assert!(
            !html.contains(" stuck"),
            "nothing is blamed by a passing verdict"
        );

        let mut unreleased = history.clone();
        unreleased.lock_holds[0].released_ns = None;
        let html = render(&unreleased, &Verdict { checks: vec![] });
        assert!(
            html.contains(r#"id="hold0" class="hold open" style="left:10.0000%;width:90.0000%;"#),
            "a hold never released lasts to the end, its end dashed"
        );
    }

    #[test]
    fn the_holds_a_lock_violation_names_are_red_and_listed() {
        let history = overlapping_holds();
        let verdict = Verdict {
            checks: vec![
                CheckReport {
                    check: "lock-holders-overlap".into(),
                    kind: CheckKind::Safety,
                    result: CheckResult::Violation {
                        summary: "clients 1 and 2 both held locks/0".into(),
                        evidence: Evidence::LockHoldersOverlap {
                            first: Box::new(history.lock_holds[0].clone()),
                            second: Box::new(history.lock_holds[1].clone()),
                            overlap_ns: 200_000_000,
                            owners: vec![history.lock_owners[1].clone()],
                        },
                    },
                },
                CheckReport {
                    check: "fenced-resource".into(),
                    kind: CheckKind::Safety,
                    result: CheckResult::Violation {
                        summary: "lost".into(),
                        evidence: Evidence::LostUpdate {
                            write_index: 0,
                            write: Box::new(history.resource_writes[0].clone()),
                            overwritten: vec![2],
                            lost: vec![2],
                        },
                    },
                },
            ],
        };
        let html = render(&history, &verdict);
        assert!(html.contains(r#"id="hold0" class="hold stuck""#));
        assert!(html.contains(r#"id="hold1" class="hold stuck""#));
        assert!(html.contains(r#"id="write0" class="write accepted stuck""#));
        assert!(html.contains(r#"id="write1" class="write refused""#));
        for id in ["hold0", "hold1", "write0"] {
            assert!(
                html.contains(&format!(r##"<a href="#{id}" data-op="{id}">"##)),
                "the evidence links to {id}"
            );
        }
        assert!(
            !html.contains("Operations that cannot be placed next"),
            "no empty list of operations"
        );
    }

    #[test]
    fn key_value_pages_have_no_lock_styles() {
        let mut history = History::new("t", 1);
        history.ops.push(op(
            0,
            1,
            "a",
            "1",
            Outcome::Ok(KvOutput::Put { revision: 2 }),
        ));
        let html = render(&history, &failing_verdict(0));
        assert!(!html.contains(".hold") && !html.contains("Lock holds"));
        assert!(html.contains(".controls { margin: 8px 0; }\n</style>"));
        assert!(html.contains("Operations that cannot be placed next"));
    }

    #[test]
    fn tick_steps_are_round() {
        assert_eq!(tick_step(16_000_000_000), 2_000_000_000);
        assert_eq!(tick_step(9_000_000), 1_000_000);
        assert_eq!(tick_step(1), 1);
    }
}
