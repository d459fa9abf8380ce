//! `lockstep shrink REPORT_DIR`: cuts a failing run down to a small scenario that still
//! fails the same check, with the same seed or a neighbouring one.
//!
//! The report's `scenario.toml` is the run exactly (a swarm's draw written out as a
//! scripted schedule, the seed pinned). Shrinking tries smaller variants of it, one change
//! at a time, and keeps a change whenever the run still violates the same check (on the
//! same seed, or failing that on one of the next few; see [`shrink_scenario`]): drop half
//! the faults or one of them, end the safety phase after the last fault, move the faults
//! earlier, start the clients just before the faults (and at once cap their rounds), halve
//! the safety phase, keep one of several workloads, drop clients, cap each client's
//! rounds, drop a kind of KV operation, use fewer keys, snapshot sooner and keep fewer
//! entries behind a snapshot (in a scenario that snapshots more often than the default),
//! let clients think longer between operations, halve a fault's duration, use fewer
//! nodes. A run is chaotic (every change meets the faults differently), so counts are
//! tried at several neighbouring values, not only halved. It repeats until no change is
//! kept. Every trial is a deterministic run, so shrinking the same report always gives the
//! same result.

use crate::outcome::{judge, load_report_scenario, say, EXIT_BAD_INPUT};
use crate::quiet_panics::QuietSimulationPanics;
use check::CheckResult;
use scenario::{FaultAction, NodeTarget, OperationMix, Scenario, WorkloadKind};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

/// Where shrunk scenarios are written.
const REGRESSIONS_DIR: &str = "scenarios/regressions";

/// The safety phase is not shortened below this.
const MIN_DURATION_MS: u64 = 1_000;

/// Clients' think times are not lengthened past this.
const MAX_THINK_MS: u64 = 2_000;

/// A shortened safety phase still runs this long after its last fault ends.
const TAIL_AFTER_FAULTS_MS: u64 = 1_000;

/// Faults are not moved earlier than this: the cluster elects its first leader before.
const EARLIEST_FAULT_MS: u64 = 1_000;

/// How long before the first fault the clients may start, the latest first. A run is
/// sensitive to every change (the clients' random choices meet the faults differently),
/// so several nearby values are tried, not only halves.
const CLIENT_LEADS_MS: [u64; 14] = [
    0, 50, 100, 150, 200, 300, 400, 500, 750, 1_000, 1_500, 2_000, 3_000, 4_000,
];

/// How many seeds after the current one a size-cutting variant is tried with, once no
/// variant fails on the current seed.
pub const NEIGHBOUR_SEEDS: u64 = 64;

/// The first cap on each client's rounds; later trials lower it.
const FIRST_ROUNDS_CAP: u64 = 32;

/// Where one kind of KV operation's weight sits in a mix.
type WeightOf = fn(&mut OperationMix) -> &mut u64;

/// Each kind of KV operation and its weight in a mix.
const OPERATION_WEIGHTS: [(&str, WeightOf); 4] = [
    ("get", |mix| &mut mix.get),
    ("put", |mix| &mut mix.put),
    ("cas", |mix| &mut mix.cas),
    ("delete", |mix| &mut mix.delete),
];

/// Caps on each client's rounds tried together with a later start.
const WINDOW_ROUNDS: [u64; 8] = [1, 2, 3, 4, 6, 8, 12, 16];

/// How many values just above the floor [`fewer`] tries.
const NEAR_FLOOR: u64 = 4;

/// The smallest snapshot interval a scenario accepts.
const MIN_SNAPSHOT_INTERVAL_ENTRIES: u64 = 10;

/// The check `scenario` with `seed` violates first (safety or liveness), if any.
pub fn violated_check(scenario: &Scenario, seed: u64) -> Option<(String, String)> {
    let history = sim::run_on_fresh_thread(scenario, seed).history;
    judge(&history)
        .checks
        .into_iter()
        .find_map(|report| match report.result {
            CheckResult::Violation { summary, .. } => Some((report.check, summary)),
            _ => None,
        })
}

pub fn shrink(report: &Path, output_dir: Option<&Path>) -> u8 {
    let scenario_path = report.join("scenario.toml");
    let (scenario, seed) = match load_report_scenario(&scenario_path) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let Some((check, summary)) = violated_check(&scenario, seed) else {
        say!(
            "seed {seed} of {} passes every check: nothing to shrink",
            scenario_path.display()
        );
        return 0;
    };
    say!(
        "shrinking {} (seed {seed}) while `{check}` still fails: {summary}",
        scenario.name
    );
    let original = Size::of(&scenario);
    let (current, seed, trials) = shrink_scenario(scenario, seed, &check, |change| {
        say!("  kept: {change}");
    });
    let directory = output_dir.map_or_else(|| PathBuf::from(REGRESSIONS_DIR), Path::to_path_buf);
    let origin = format!("lockstep shrink {}", report.display());
    match write_regression(current, seed, &check, &origin, original, trials, &directory) {
        Ok(path) => {
            say!(
                "shrunk in {trials} trials: {original} -> {}",
                Size::of(&Scenario::load(&path).expect("just written"))
            );
            say!("wrote {}", path.display());
            say!("replay: lockstep run {}", path.display());
            0
        }
        Err(error) => {
            eprintln!("error: cannot write to {}: {error}", directory.display());
            EXIT_BAD_INPUT
        }
    }
}

/// Writes a shrunk scenario as `<directory>/<scenario>-<check>-<seed>.toml`, its comment
/// saying how it was made (`origin`) and what it shows; returns the file's path.
pub fn write_regression(
    mut shrunk: Scenario,
    seed: u64,
    check: &str,
    origin: &str,
    original: Size,
    trials: u64,
    directory: &Path,
) -> std::io::Result<PathBuf> {
    let size = Size::of(&shrunk);
    let summary = violated_check(&shrunk, seed)
        .map(|(_, summary)| summary)
        .unwrap_or_default();
    let name = format!("{}-{check}-{seed}", shrunk.name);
    shrunk.name = name.clone();
    shrunk.description =
        format!("Shrunk by `{origin}` ({original}); fails `{check}` on seed {seed}.");
    let text = format!(
        "# Shrunk by `{origin}` in {trials} trials: {original} -> {size}.\n# With seed {seed} this fails `{check}`: {summary}\n{}",
        shrunk.to_toml(Some(seed))
    );
    let path = directory.join(format!("{name}.toml"));
    std::fs::create_dir_all(directory)?;
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Shrinks `scenario` while it still fails `check`: the smallest variant found, the seed
/// it fails with, and how many runs it took. `kept` hears each change kept.
///
/// Every variant is tried with `seed` first. When none of them fails there, the variants
/// that cut what a reproducer's size counts (faults, operations, nodes) most directly are
/// tried with each of the next [`NEIGHBOUR_SEEDS`] seeds too: a bug that needs a rare timing
/// (a keep-alive just before a crash) has it on the seed found only because many clients
/// were busy, and fewer clients meet it on another seed. Shrinking then goes on with that
/// seed.
pub fn shrink_scenario(
    scenario: Scenario,
    mut seed: u64,
    check: &str,
    mut kept: impl FnMut(&str),
) -> (Scenario, u64, u64) {
    let mut trials = 0;
    let mut current = scenario;
    let _quiet = QuietSimulationPanics::new();
    let mut still_fails = |candidate: &Scenario, seed: u64| {
        trials += 1;
        // A variant must still be a valid scenario file: it is what gets written.
        let reparsed = Scenario::parse(&candidate.to_toml(Some(seed)), "shrunk", &candidate.name);
        if reparsed.is_err() {
            return false;
        }
        // A variant whose simulation panics (raft-rs refusing the state a planted bug
        // left, say) does not fail the check, so it is not kept; the shrink goes on.
        std::panic::catch_unwind(AssertUnwindSafe(|| violated_check(candidate, seed)))
            .ok()
            .flatten()
            .is_some_and(|(failed, _)| failed == check)
    };
    loop {
        let candidates = variants(&current);
        if let Some(smaller) = candidates
            .iter()
            .find(|candidate| still_fails(&candidate.scenario, seed))
        {
            kept(&smaller.change);
            current = smaller.scenario.clone();
            continue;
        }
        let elsewhere = candidates
            .iter()
            .filter(|candidate| candidate.cuts_size)
            .find_map(|candidate| {
                (1..=NEIGHBOUR_SEEDS)
                    .map(|step| seed.wrapping_add(step))
                    .find(|&other| still_fails(&candidate.scenario, other))
                    .map(|other| (candidate, other))
            });
        let Some((smaller, other)) = elsewhere else {
            return (current, seed, trials);
        };
        kept(&format!("{} (on seed {other})", smaller.change));
        current = smaller.scenario.clone();
        seed = other;
    }
}

/// How big a scenario is, for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub faults: usize,
    pub clients: u64,
    pub nodes: u64,
    pub duration_ms: u64,
}

impl Size {
    pub fn of(scenario: &Scenario) -> Size {
        Size {
            faults: scenario.faults.len(),
            clients: scenario.workload.clients,
            nodes: scenario.cluster.nodes,
            duration_ms: scenario.duration_ms,
        }
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} faults, {} clients, {} nodes, {:.1} s",
            self.faults,
            self.clients,
            self.nodes,
            self.duration_ms as f64 / 1e3
        )
    }
}

/// A smaller variant and what was changed.
struct Variant {
    scenario: Scenario,
    change: String,
    /// Whether it cuts what a reproducer's size counts (faults, operations, nodes) the
    /// most directly, and so is worth trying on other seeds: fewer faults, clients, rounds
    /// or nodes, faults earlier, clients starting later.
    cuts_size: bool,
}

/// Every one-step smaller variant of `scenario`, the biggest cuts first.
fn variants(scenario: &Scenario) -> Vec<Variant> {
    let mut variants = Vec::new();
    // Half the faults at once first, as delta debugging does: a long schedule shrinks in
    // a few trials when most of it does not matter.
    let faults = scenario.faults.len();
    if faults >= 4 {
        for (first, last) in [(0, faults / 2), (faults / 2, faults)] {
            let mut smaller = scenario.clone();
            smaller.faults.drain(first..last);
            variants.push(Variant {
                scenario: smaller,
                change: format!("dropped faults {} to {}", first + 1, last),
                cuts_size: true,
            });
        }
    }
    for index in 0..scenario.faults.len() {
        let mut smaller = scenario.clone();
        let dropped = smaller.faults.remove(index);
        variants.push(Variant {
            scenario: smaller,
            change: format!(
                "dropped fault {} ({} at {} ms)",
                index + 1,
                dropped.action.kind(),
                dropped.at_ms
            ),
            cuts_size: true,
        });
    }
    // End the safety phase soon after the last fault ends.
    let last_fault_end_ms = scenario
        .faults
        .iter()
        .map(|fault| fault.at_ms + fault.for_ms.unwrap_or(0))
        .max()
        .unwrap_or(0);
    let after_faults_ms = (last_fault_end_ms + TAIL_AFTER_FAULTS_MS).max(MIN_DURATION_MS);
    if after_faults_ms < scenario.duration_ms {
        let mut smaller = scenario.clone();
        smaller.duration_ms = after_faults_ms;
        variants.push(Variant {
            change: format!("safety phase {after_faults_ms} ms (until just after the last fault)"),
            scenario: smaller,
            cuts_size: false,
        });
    }
    // Move the faults earlier: the operations before them go.
    let first_fault_ms = scenario.faults.iter().map(|fault| fault.at_ms).min();
    // By half the time before them, a quarter, or a little: each meets the clients'
    // operations differently.
    if let Some(first_fault_ms) = first_fault_ms {
        let room_ms = first_fault_ms.saturating_sub(EARLIEST_FAULT_MS);
        let mut shifts_ms: Vec<u64> = [room_ms / 2, room_ms / 4, 200, 100]
            .into_iter()
            .map(|shift_ms| shift_ms / 100 * 100)
            .filter(|&shift_ms| {
                shift_ms > 0
                    && shift_ms <= room_ms
                    && scenario.duration_ms.saturating_sub(shift_ms) >= MIN_DURATION_MS
            })
            .collect();
        shifts_ms.dedup();
        for shift_ms in shifts_ms {
            let mut smaller = scenario.clone();
            smaller.duration_ms -= shift_ms;
            smaller.workload.start_ms = smaller.workload.start_ms.saturating_sub(shift_ms);
            for fault in &mut smaller.faults {
                fault.at_ms -= shift_ms;
            }
            variants.push(Variant {
                change: format!(
                    "faults {shift_ms} ms earlier, safety phase {} ms",
                    smaller.duration_ms
                ),
                scenario: smaller,
                cuts_size: true,
            });
        }
    }
    // Clients start later: the operations long before the faults go. Alone, or together
    // with a cap on their rounds: a run whose clients start later but keep going meets the
    // faults differently, and so may one whose clients stop early but start at 0.
    if let Some(first_fault_ms) = first_fault_ms {
        for lead_ms in CLIENT_LEADS_MS {
            let start_ms = first_fault_ms.saturating_sub(lead_ms);
            if start_ms > scenario.workload.start_ms {
                let mut smaller = scenario.clone();
                smaller.workload.start_ms = start_ms;
                variants.push(Variant {
                    change: format!("clients start at {start_ms} ms"),
                    scenario: smaller,
                    cuts_size: true,
                });
            }
        }
        for rounds in WINDOW_ROUNDS {
            if scenario
                .workload
                .rounds_per_client
                .is_some_and(|cap| cap <= rounds)
            {
                continue;
            }
            for lead_ms in CLIENT_LEADS_MS {
                let start_ms = first_fault_ms.saturating_sub(lead_ms);
                if start_ms > scenario.workload.start_ms {
                    let mut smaller = scenario.clone();
                    smaller.workload.start_ms = start_ms;
                    smaller.workload.rounds_per_client = Some(rounds);
                    variants.push(Variant {
                        change: format!(
                            "clients start at {start_ms} ms and stop after {rounds} rounds"
                        ),
                        scenario: smaller,
                        cuts_size: false,
                    });
                }
            }
        }
    }
    if scenario.duration_ms / 2 >= MIN_DURATION_MS {
        let mut smaller = scenario.clone();
        smaller.duration_ms /= 2;
        smaller
            .faults
            .retain(|fault| fault.at_ms < smaller.duration_ms);
        variants.push(Variant {
            change: format!("safety phase {} ms", smaller.duration_ms),
            scenario: smaller,
            cuts_size: false,
        });
    }
    let kinds = &scenario.workload.kinds;
    if kinds.len() > 1 {
        for kind in kinds {
            let mut smaller = scenario.clone();
            smaller.workload.kinds = vec![*kind];
            variants.push(Variant {
                change: format!("only the {} workload", kind.name()),
                scenario: smaller,
                cuts_size: false,
            });
        }
    }
    for clients in fewer(scenario.workload.clients, 1) {
        let targets_gone_client = scenario.faults.iter().any(|fault| {
            matches!(&fault.action, FaultAction::PauseClient { client: scenario::ClientTarget::Id(id) } if *id > clients)
        });
        if !targets_gone_client {
            let mut smaller = scenario.clone();
            smaller.workload.clients = clients;
            variants.push(Variant {
                change: format!("{clients} clients"),
                scenario: smaller,
                cuts_size: true,
            });
        }
    }
    // Fewer operations: each client stops after fewer rounds. The smallest caps first, and
    // several neighbouring ones: whether a run still fails is not monotonic in the cap.
    let rounds_caps = match scenario.workload.rounds_per_client {
        None => vec![FIRST_ROUNDS_CAP],
        Some(rounds) => fewer(rounds, 1),
    };
    for rounds in rounds_caps {
        let mut smaller = scenario.clone();
        smaller.workload.rounds_per_client = Some(rounds);
        variants.push(Variant {
            change: format!("each client stops after {rounds} rounds"),
            scenario: smaller,
            cuts_size: true,
        });
    }
    // Fewer kinds of operation: those the failure does not need go.
    let weight_count = OPERATION_WEIGHTS
        .iter()
        .filter(|(_, weight)| *weight(&mut scenario.workload.mix.clone()) > 0)
        .count();
    if scenario.workload.kinds.contains(&WorkloadKind::Kv) && weight_count > 1 {
        for (name, weight) in OPERATION_WEIGHTS {
            let mut smaller = scenario.clone();
            let weight = weight(&mut smaller.workload.mix);
            if *weight > 0 {
                *weight = 0;
                variants.push(Variant {
                    change: format!("no {name} operations"),
                    scenario: smaller,
                    cuts_size: false,
                });
            }
        }
    }
    // Fewer keys: the operations that matter meet on fewer keys.
    for keys in fewer(scenario.workload.keys, 1) {
        let mut smaller = scenario.clone();
        smaller.workload.keys = keys;
        variants.push(Variant {
            change: format!("{keys} keys"),
            scenario: smaller,
            cuts_size: false,
        });
    }
    // Snapshots sooner: a scenario that relies on snapshots (it takes them more often
    // than the default) reaches one with fewer operations.
    let default_cluster = scenario::ClusterConfig::default();
    if scenario.cluster.snapshot_interval_entries < default_cluster.snapshot_interval_entries {
        for entries in fewer(
            scenario.cluster.snapshot_interval_entries,
            MIN_SNAPSHOT_INTERVAL_ENTRIES,
        ) {
            let mut smaller = scenario.clone();
            smaller.cluster.snapshot_interval_entries = entries;
            variants.push(Variant {
                change: format!("a snapshot every {entries} entries"),
                scenario: smaller,
                cuts_size: false,
            });
        }
    }
    if scenario.cluster.catch_up_entries < default_cluster.catch_up_entries {
        for entries in fewer(scenario.cluster.catch_up_entries, 0) {
            let mut smaller = scenario.clone();
            smaller.cluster.catch_up_entries = entries;
            variants.push(Variant {
                change: format!("{entries} entries kept behind a snapshot"),
                scenario: smaller,
                cuts_size: false,
            });
        }
    }
    // Fewer operations: clients pause longer between them.
    if scenario.workload.think_max_ms < MAX_THINK_MS {
        let mut smaller = scenario.clone();
        smaller.workload.think_min_ms = (smaller.workload.think_min_ms * 2).max(10);
        smaller.workload.think_max_ms = (smaller.workload.think_max_ms * 2).max(20);
        variants.push(Variant {
            change: format!(
                "clients think {}..{} ms between operations",
                smaller.workload.think_min_ms, smaller.workload.think_max_ms
            ),
            scenario: smaller,
            cuts_size: false,
        });
    }
    for (index, fault) in scenario.faults.iter().enumerate() {
        if let Some(for_ms) = fault.for_ms.filter(|&for_ms| for_ms >= 200) {
            let mut smaller = scenario.clone();
            smaller.faults[index].for_ms = Some(for_ms / 2);
            variants.push(Variant {
                scenario: smaller,
                change: format!("fault {} lasts {} ms", index + 1, for_ms / 2),
                cuts_size: false,
            });
        }
    }
    if scenario.cluster.nodes > 3 && names_only_nodes_up_to(scenario, 3) {
        let mut smaller = scenario.clone();
        smaller.cluster.nodes = 3;
        variants.push(Variant {
            scenario: smaller,
            change: "3 nodes".to_string(),
            cuts_size: true,
        });
    }
    variants
}

/// Smaller values to try for a count now at `current`, none below `floor`, the smallest
/// first: the floor, a few just above it, a quarter, a half, three quarters, one less.
/// Runs are chaotic (every change meets the faults differently), so neighbouring values
/// are tried, not only halves.
fn fewer(current: u64, floor: u64) -> Vec<u64> {
    let mut values: Vec<u64> = (floor..floor + NEAR_FLOOR)
        .chain([
            current / 4,
            current / 2,
            current - current.div_ceil(4),
            current.saturating_sub(1),
        ])
        .filter(|&value| value >= floor && value < current)
        .collect();
    values.sort_unstable();
    values.dedup();
    values
}

/// Whether every node the faults name by id is at most `nodes`.
fn names_only_nodes_up_to(scenario: &Scenario, nodes: u64) -> bool {
    let fits = |target: &NodeTarget| !matches!(target, NodeTarget::Id(id) if *id > nodes);
    scenario.faults.iter().all(|fault| match &fault.action {
        FaultAction::Isolate { node }
        | FaultAction::Bridge { node }
        | FaultAction::Pause { node }
        | FaultAction::Freeze { node }
        | FaultAction::Replace { node }
        | FaultAction::SlowDisk { node, .. }
        | FaultAction::ClockJump { node, .. }
        | FaultAction::ClockRate { node, .. }
        | FaultAction::Crash { node, .. } => fits(node),
        FaultAction::Restart { node } => node.as_ref().is_none_or(fits),
        FaultAction::Cut { from, to } => fits(from) && fits(to),
        FaultAction::Link { links, .. } => {
            links.from.as_ref().is_none_or(fits) && links.to.as_ref().is_none_or(fits)
        }
        FaultAction::Partition { sides } => sides.iter().flatten().all(|&id| id <= nodes),
        FaultAction::Split
        | FaultAction::Heal
        | FaultAction::Swizzle { .. }
        | FaultAction::PauseClient { .. } => true,
    })
}
