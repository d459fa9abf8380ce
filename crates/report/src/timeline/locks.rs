//! Lock, lease and election runs on the timeline.
//!
//! A lock fails when two clients believe they hold it at once, or when one believes it
//! holds it while the store says otherwise. Both views are drawn side by side so that a
//! person sees the failure rather than reads about it: on each client's row its holds
//! (outlined in the client's colour), its writes to the protected resource and the ends of
//! its leases; on one row per lock, `lock <name> (store)`, the owner the store made, filled
//! in the owning client's colour. Two outlines over one filled bar is the overlap.
//! What the verdict names (holds, writes, lease ends) is drawn in red and listed with the
//! evidence, as blamed operations are.

use super::escape;
use crate::seconds;
use check::{CheckResult, Evidence, Verdict};
use history::{History, LeaseEnd, LockHold, LockOwnership, ResourceWrite};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Styles for what this module draws, added to the page only when there is something to
/// draw, so pages of key-value runs stay as they were.
pub(super) const STYLE: &str = r#"#chart { margin-left: 180px; width: calc(var(--zoom, 1) * (100% - 180px)); }
.name { left: -180px; width: 176px; top: 8px; white-space: nowrap; }
.row { height: 32px; }
.hold, .owner { position: absolute; box-sizing: border-box; overflow: hidden; white-space: nowrap; font-size: 10px; padding-left: 3px; z-index: 0; }
.hold::before, .owner::before { content: ""; position: absolute; inset: 0; background: var(--c); z-index: -1; }
.hold { top: 1px; height: 30px; padding-top: 17px; line-height: 10px; border: 2px solid var(--c); border-radius: 3px; }
.hold::before { opacity: 0.12; }
.hold.open { border-right-style: dashed; }
.hold.stuck { border-color: #d00; outline: 1px solid #d00; z-index: 1; }
.hold.stuck::before { background: #d00; opacity: 0.25; }
.owner { top: 3px; height: 26px; line-height: 26px; border-left: 2px solid var(--c); }
.owner::before { opacity: 0.3; }
.write { position: absolute; top: 0; width: 3px; height: 10px; margin-left: -1px; box-sizing: border-box; z-index: 2; }
.write.accepted { background: #1a7f37; }
.write.refused { background: #fff; border: 1px solid #d00; }
.write.stuck { background: #d00; top: -3px; width: 5px; height: 14px; margin-left: -2px; outline: 2px solid #fdd; }
.lease-end { position: absolute; top: 5px; width: 9px; height: 9px; margin-left: -5px; transform: rotate(45deg); box-sizing: border-box; z-index: 2; }
.lease-end.expired { background: #e36209; }
.lease-end.revoked { background: #fff; border: 2px solid #555; }
.lease-end.stuck { background: #d00; outline: 2px solid #fdd; }
.hold.flash, .write.flash, .lease-end.flash { outline: 3px solid #00f; }
"#;

/// What the legend says about the marks `history` gets, after the operations' legend.
fn legend(history: &History) -> String {
    let mut legend = String::new();
    if !(history.lock_holds.is_empty() && history.lock_owners.is_empty()) {
        legend.push_str(" Lock holds are outlined in their client's colour (dashed end: never released); each lock's row shows the owner the store made, filled in the owner's colour, so two outlines over one filled bar are two clients believing they hold the lock.");
    }
    if !history.resource_writes.is_empty() {
        legend.push_str(
            " Ticks are writes to the protected resource (filled accepted, hollow refused).",
        );
    }
    if !history.lease_ends.is_empty() {
        legend.push_str(" Diamonds are lease ends (filled expired, hollow revoked).");
    }
    legend
}

/// Colours told apart at a glance, none of them the red of blame.
const PALETTE: [&str; 8] = [
    "#1f6feb", "#8250df", "#0a7d8c", "#9a6700", "#bf3989", "#4d7c0f", "#3b4cc0", "#57606a",
];
/// For an owner or lease no client is known to have.
const UNKNOWN_COLOUR: &str = "#999";

/// What lock records add to a page.
pub(super) struct LockView {
    /// The legend's words for what is drawn; empty when nothing is, and then the page
    /// needs none of this module's styles.
    pub legend: String,
    /// A row per lock with its owner by the store, named `lock <name> (store)`.
    pub store_rows: Vec<String>,
    /// Clients named by lock records: a lock or election client records no key-value
    /// operation, yet needs a row.
    pub clients: BTreeSet<u64>,
    /// `leases`, for lease ends whose client no record names; empty if there are none.
    pub lease_rows: Vec<String>,
    /// Per row, the HTML of what is drawn on it.
    pub marks: BTreeMap<String, String>,
    /// The items the verdict names, as list entries linking to them.
    pub blamed: Vec<String>,
}

/// Draws the lock records of `history` on a timeline that ends at `end_ns`, what `verdict`
/// names in red.
pub(super) fn draw(history: &History, verdict: &Verdict, end_ns: u64) -> LockView {
    let x = |ns: u64| ns as f64 * 100.0 / end_ns as f64;
    let width = |from: u64, to: u64| (x(to) - x(from)).max(0.05);
    let blame = Blame::of(history, verdict);
    let mut clients: BTreeSet<u64> = history.lock_holds.iter().map(|hold| hold.client).collect();
    clients.extend(history.resource_writes.iter().map(|write| write.client));
    clients.extend(history.lease_renewals.iter().map(|renewal| renewal.client));
    let colours: BTreeMap<u64, &str> = clients
        .iter()
        .zip(PALETTE.iter().cycle())
        .map(|(client, colour)| (*client, *colour))
        .collect();
    // Whose lease is whose: a lease's keep-alives say, and so does a hold with it.
    let mut lease_clients: BTreeMap<u64, u64> = BTreeMap::new();
    for renewal in &history.lease_renewals {
        lease_clients.entry(renewal.lease).or_insert(renewal.client);
    }
    for hold in &history.lock_holds {
        lease_clients.entry(hold.lease).or_insert(hold.client);
    }
    let colour_of_lease = |lease: u64| {
        lease_clients
            .get(&lease)
            .and_then(|client| colours.get(client))
            .copied()
            .unwrap_or(UNKNOWN_COLOUR)
    };

    let mut marks: BTreeMap<String, String> = BTreeMap::new();
    let mut blamed = Vec::new();
    let locks: BTreeSet<&str> = history
        .lock_owners
        .iter()
        .map(|change| change.lock.as_str())
        .chain(history.lock_holds.iter().map(|hold| hold.lock.as_str()))
        .collect();
    let store_rows: Vec<String> = locks.iter().map(|lock| store_row(lock)).collect();

    for (index, change) in history.lock_owners.iter().enumerate() {
        let Some(owner) = &change.owner else {
            continue;
        };
        let until_ns = history.lock_owners[index + 1..]
            .iter()
            .find(|next| next.lock == change.lock)
            .map_or(end_ns, |next| next.at_ns);
        let client = lease_clients.get(&owner.lease);
        let label = match client {
            Some(client) => format!(
                "client {client}: lease {:x}, token {}",
                owner.lease, owner.create_revision
            ),
            None => format!("lease {:x}, token {}", owner.lease, owner.create_revision),
        };
        write!(
            marks.entry(store_row(&change.lock)).or_default(),
            r#"<div class="owner" style="left:{left:.4}%;width:{width:.4}%;--c:{colour}" title="{title}">{label}</div>"#,
            left = x(change.at_ns),
            width = width(change.at_ns, until_ns),
            colour = colour_of_lease(owner.lease),
            title = escape(&describe_owner(change, client.copied(), until_ns)),
            label = escape(&label),
        )
        .unwrap();
    }

    for (index, hold) in history.lock_holds.iter().enumerate() {
        let id = format!("hold{index}");
        let stuck = blame.holds.contains(&index);
        let drawn_to = hold.released_ns.unwrap_or(end_ns);
        let description = describe_hold(hold);
        write!(
            marks.entry(client_row(hold.client)).or_default(),
            r#"<div id="{id}" class="hold{open}{stuck}" style="left:{left:.4}%;width:{width:.4}%;--c:{colour}" title="{title}">{label}</div>"#,
            open = if hold.released_ns.is_none() { " open" } else { "" },
            stuck = if stuck { " stuck" } else { "" },
            left = x(hold.acquired_ns),
            width = width(hold.acquired_ns, drawn_to),
            colour = colours[&hold.client],
            title = escape(&description),
            label = escape(&format!(
                "{} token {} lease {:x}",
                hold.lock, hold.create_revision, hold.lease
            )),
        )
        .unwrap();
        if stuck {
            blamed.push(blamed_item(&id, "hold", hold.acquired_ns, &description));
        }
    }

    for (index, write) in history.resource_writes.iter().enumerate() {
        let id = format!("write{index}");
        let stuck = blame.writes.contains(&index);
        let description = describe_write(write);
        write!(
            marks.entry(client_row(write.client)).or_default(),
            r#"<div id="{id}" class="write {outcome}{stuck}" style="left:{left:.4}%" title="{title}"></div>"#,
            outcome = if write.accepted { "accepted" } else { "refused" },
            stuck = if stuck { " stuck" } else { "" },
            left = x(write.at_ns),
            title = escape(&description),
        )
        .unwrap();
        if stuck {
            blamed.push(blamed_item(&id, "write", write.at_ns, &description));
        }
    }

    let mut lease_rows = Vec::new();
    for (index, end) in history.lease_ends.iter().enumerate() {
        let id = format!("lease-end{index}");
        let stuck = blame.lease_ends.contains(&index);
        let client = lease_clients.get(&end.lease).copied();
        let row = match client {
            Some(client) => client_row(client),
            None => {
                if lease_rows.is_empty() {
                    lease_rows.push("leases".to_string());
                }
                "leases".to_string()
            }
        };
        let description = describe_lease_end(end, client);
        write!(
            marks.entry(row).or_default(),
            r#"<div id="{id}" class="lease-end {how}{stuck}" style="left:{left:.4}%" title="{title}"></div>"#,
            how = if end.expired { "expired" } else { "revoked" },
            stuck = if stuck { " stuck" } else { "" },
            left = x(end.at_ns),
            title = escape(&description),
        )
        .unwrap();
        if stuck {
            blamed.push(blamed_item(&id, "lease end", end.at_ns, &description));
        }
    }

    LockView {
        legend: legend(history),
        store_rows,
        clients,
        lease_rows,
        marks,
        blamed,
    }
}

fn store_row(lock: &str) -> String {
    format!("lock {lock} (store)")
}

fn client_row(client: u64) -> String {
    format!("client {client}")
}

/// A list entry for the evidence, linking to the item with id `id`.
fn blamed_item(id: &str, what: &str, at_ns: u64, description: &str) -> String {
    format!(
        r##"<li><a href="#{id}" data-op="{id}">{what}</a> {at}: {description}</li>"##,
        at = seconds(at_ns),
        description = escape(description)
    )
}

/// Positions (in the history's lists) of the holds, resource writes and lease ends that
/// the verdict's evidence names.
struct Blame {
    holds: BTreeSet<usize>,
    writes: BTreeSet<usize>,
    lease_ends: BTreeSet<usize>,
}

impl Blame {
    fn of(history: &History, verdict: &Verdict) -> Self {
        let hold_position = |hold: &LockHold| {
            history
                .lock_holds
                .iter()
                .position(|recorded| recorded == hold)
        };
        let mut blame = Blame {
            holds: BTreeSet::new(),
            writes: BTreeSet::new(),
            lease_ends: BTreeSet::new(),
        };
        for report in &verdict.checks {
            let CheckResult::Violation { evidence, .. } = &report.result else {
                continue;
            };
            match evidence {
                Evidence::LockHeldWithoutOwnership { hold, .. }
                | Evidence::LockKeyTakenFromHolder { hold, .. } => {
                    blame.holds.extend(hold_position(hold));
                }
                Evidence::LockHoldersOverlap { first, second, .. } => {
                    blame.holds.extend(hold_position(first));
                    blame.holds.extend(hold_position(second));
                }
                Evidence::StaleTokenAccepted { write, .. } => {
                    blame.writes.extend(write_position(history, write, None));
                }
                Evidence::LostUpdate {
                    write, write_index, ..
                } => {
                    blame
                        .writes
                        .extend(write_position(history, write, Some(*write_index)));
                }
                Evidence::LeaseExpiredEarly { end, .. }
                | Evidence::LeaseBelievedTooLong { end, .. }
                | Evidence::LeaseExpiredLate { end: Some(end), .. } => {
                    blame.lease_ends.extend(
                        history
                            .lease_ends
                            .iter()
                            .position(|recorded| recorded == end.as_ref()),
                    );
                }
                _ => {}
            }
        }
        blame
    }
}

/// Where `write` is among the history's resource writes: at `index` if the evidence gives
/// one and it holds that write, else its first equal.
fn write_position(history: &History, write: &ResourceWrite, index: Option<u64>) -> Option<usize> {
    let writes = &history.resource_writes;
    index
        .and_then(|index| usize::try_from(index).ok())
        .filter(|&index| writes.get(index) == Some(write))
        .or_else(|| writes.iter().position(|recorded| recorded == write))
}

/// A hold in words, e.g. `client 1 held locks/0 with key locks/0/f4242 (lease f4242,
/// token 16, its wait ended at revision 20), unfenced, from t=2.917s to t=7.000s`.
fn describe_hold(hold: &LockHold) -> String {
    let until = match hold.released_ns {
        Some(at) => format!("to {}", seconds(at)),
        None => "and never released".to_string(),
    };
    format!(
        "client {} held {} with key {} (lease {:x}, token {}, its wait ended at revision {}), {}, from {} {until}",
        hold.client,
        hold.lock,
        hold.key,
        hold.lease,
        hold.create_revision,
        hold.observed_revision,
        if hold.fenced { "fenced" } else { "unfenced" },
        seconds(hold.acquired_ns),
    )
}

/// An owner by the store in words, from its change to `until_ns`.
fn describe_owner(change: &LockOwnership, client: Option<u64>, until_ns: u64) -> String {
    let owner = change
        .owner
        .as_ref()
        .expect("only owned stretches are drawn");
    let client = client.map_or(String::new(), |client| format!(", client {client}"));
    format!(
        "store: {} owned by key {} (lease {:x}, token {}{client}) from revision {}, {} to {}",
        change.lock,
        owner.key,
        owner.lease,
        owner.create_revision,
        change.revision,
        seconds(change.at_ns),
        seconds(until_ns)
    )
}

/// A write to the protected resource in words. Values grow with every write, so only how
/// long the read was and what the write appended are said.
fn describe_write(write: &ResourceWrite) -> String {
    let appended: Vec<String> = write
        .wrote
        .iter()
        .skip(write.read.len())
        .map(u64::to_string)
        .collect();
    let read_last = write
        .read
        .last()
        .map_or(String::new(), |last| format!(", last {last}"));
    format!(
        "client {} wrote with token {} at {}: {}; it read {} elements{read_last} and appended {}",
        write.client,
        write.token,
        seconds(write.at_ns),
        if write.accepted {
            "accepted"
        } else {
            "refused (stale token)"
        },
        write.read.len(),
        if appended.is_empty() {
            "nothing".to_string()
        } else {
            appended.join(", ")
        }
    )
}

/// A lease end in words, with the keys it deleted.
fn describe_lease_end(end: &LeaseEnd, client: Option<u64>) -> String {
    let whose = client.map_or(String::new(), |client| format!(" (client {client})"));
    let how = match (end.expired, end.expired_by) {
        (true, Some(node)) => format!("expired by node {node}'s lessor"),
        (true, None) => "expired".to_string(),
        (false, _) => "revoked".to_string(),
    };
    let keys = if end.keys.is_empty() {
        "no keys".to_string()
    } else {
        format!("keys {}", end.keys.join(", "))
    };
    format!(
        "lease {:x}{whose} {how} at {}, revision {}; deleted {keys}",
        end.lease,
        seconds(end.at_ns),
        end.revision
    )
}
