//! The madsim world of one lockstep run.
//!
//! [`run`] takes a scenario and a seed and returns the run's [`History`]: it builds the
//! cluster (each replica a madsim node with its own simulated disk), the network, the
//! clients and the nemesis, all on madsim's simulated clock and scheduler, so one seed
//! always gives the same run, byte for byte.
//!
//! A run has two phases:
//! 1. **Safety** (`duration_ms`): clients run the workload while the nemesis applies the
//!    fault schedule.
//! 2. **Liveness**: every partition is healed (but those the scenario marks
//!    `through_liveness`), every crashed replica restarted, every frozen one thawed, slow
//!    disks and clock rates back to normal (a clock keeps the jumps it made), and a probe
//!    client writes until one write succeeds, then reads until one linearizable read
//!    succeeds; with `liveness.steady_leader_ms`, the run then watches for one leader to
//!    keep one term that long. The history records when (or that none did within
//!    `liveness.timeout_ms`).

mod client;
mod client_processes;
mod clock;
mod cluster;
mod election_workload;
mod lease_workload;
mod link_faults;
mod lock_workload;
mod members;
mod mutex;
mod nemesis;
mod network;
mod node_clock;
mod recorder;
mod resource;
mod rounds;
mod server;
mod session;
mod streams;
mod translate;
mod workload;

pub use network::NetworkStats;

use client::{Client, Patience};
use client_processes::ClientProcesses;
use clock::RunClock;
use cluster::Cluster;
use election_workload::ElectionClient;
use history::{History, KvInput, LivenessProbe, SteadyLeader};
use lease_workload::LeaseClient;
use lock_workload::{LockClient, LockHolders};
use madsim::runtime::{Handle, Runtime};
use madsim::time::Instant;
use nemesis::Nemesis;
use network::Network;
use recorder::Recorder;
use resource::ProtectedResource;
use scenario::{Scenario, WorkloadKind};
use session::SessionSettings;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use workload::Workload;

/// What one run produced.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub history: History,
    pub stats: RunStats,
}

/// Figures about a run, for summaries and benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunStats {
    /// Simulated time the run lasted.
    pub simulated_ns: u64,
    pub network: NetworkStats,
    /// Disk writes lost to crashes (queued but not yet synced).
    pub disk_writes_lost: u64,
}

/// Runs `scenario` with `seed` to the end.
///
/// Creates a madsim runtime on the calling thread. For the run to be deterministic the
/// thread must not have created a `HashMap` before (madsim seeds their hashers only if its
/// runtime exists first): call this on a fresh thread, e.g. through [`run_on_fresh_thread`].
pub fn run(scenario: &Scenario, seed: u64) -> RunOutput {
    let runtime = Runtime::with_seed_and_config(seed, madsim::Config::default());
    runtime.block_on(simulate(Arc::new(scenario.clone()), seed))
}

/// [`run`] on a new OS thread, so the determinism rule above always holds. The thread only
/// hosts the simulation; nothing inside the simulation uses OS threads or real time.
pub fn run_on_fresh_thread(scenario: &Scenario, seed: u64) -> RunOutput {
    let scenario = scenario.clone();
    std::thread::Builder::new()
        .name(format!("seed-{seed}"))
        .spawn(move || run(&scenario, seed))
        .expect("an OS thread for the simulation")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The scenario a run with `seed` really runs: a swarm scenario's faults drawn (from a
/// stream of the seed no other part of the run uses), as a plain scripted scenario. Written
/// back with [`Scenario::to_toml`], it replays the same run byte for byte.
pub fn concrete_scenario(scenario: &Scenario, seed: u64) -> Scenario {
    scenario.draw_swarm(&mut streams::stream(seed, "swarm", 0))
}

/// The whole run as one future, for use inside an existing madsim runtime (e.g.
/// `Runtime::check_determinism`).
pub async fn simulate(scenario: Arc<Scenario>, seed: u64) -> RunOutput {
    let scenario = Arc::new(concrete_scenario(&scenario, seed));
    let handle = Handle::current();
    let clock = RunClock::start();
    let recorder = Recorder::new(&scenario.name, seed, clock);
    let carrier = handle.create_node().name("network").build();
    let carrier_id = carrier.id();
    let network = Network::new(
        carrier,
        streams::stream(seed, "network", 0),
        scenario.network.latency_min_ms,
        scenario.network.latency_max_ms,
    );
    let cluster = Cluster::start(
        &scenario.cluster,
        &scenario.bugs,
        seed,
        clock,
        network.clone(),
        recorder.clone(),
    );
    let patience = Patience::of(&scenario.workload);
    let safety_end = clock.at_ms(scenario.duration_ms);
    let election_timeout_ms = scenario.cluster.tick_ms * scenario.cluster.election_ticks;
    recorder.election_timeout_ns(election_timeout_ms * 1_000_000);
    let workload = &scenario.workload;
    if workload.lists(WorkloadKind::Lock) || workload.lists(WorkloadKind::Election) {
        recorder.track_lock_owners();
    }

    let holders = LockHolders::default();
    let resource = ProtectedResource::new(scenario.lock.fencing, recorder.clone());
    let mut clients = Vec::new();
    let mut processes = BTreeMap::new();
    for id in 1..=scenario.workload.clients {
        let process = handle.create_node().name(format!("client-{id}")).build();
        processes.insert(id, process.id());
        let client = Client::connect(
            id,
            cluster.members(),
            patience,
            network.clone(),
            recorder.clone(),
        );
        let rng = streams::stream(seed, "workload", id);
        let sessions = |ttl_s| SessionSettings {
            ttl_s,
            keep_alive_address: KEEP_ALIVE_ADDRESSES_FROM + id,
            bugs: scenario.bugs.clone(),
        };
        let run: Pin<Box<dyn Future<Output = ()> + Send>> = match workload.kind_of(id) {
            WorkloadKind::Kv => {
                let workload = Workload::new(id, scenario.workload.clone(), rng);
                Box::pin(client.run_workload(workload, safety_end))
            }
            WorkloadKind::Lock => {
                let lock_client = LockClient {
                    config: scenario.lock.clone(),
                    workload: scenario.workload.clone(),
                    rng,
                    resource: resource.clone(),
                    holders: holders.clone(),
                    sessions: sessions(scenario.lock.session_ttl_s),
                };
                Box::pin(lock_client.run(client, safety_end))
            }
            WorkloadKind::Lease => {
                let lease_client = LeaseClient {
                    config: scenario.lease.clone(),
                    workload: scenario.workload.clone(),
                    rng,
                    sessions: sessions(scenario.lease.ttl_s),
                };
                Box::pin(lease_client.run(client, safety_end))
            }
            WorkloadKind::Election => {
                let election_client = ElectionClient {
                    config: scenario.election.clone(),
                    workload: scenario.workload.clone(),
                    rng,
                    sessions: sessions(scenario.election.session_ttl_s),
                };
                Box::pin(election_client.run(client, safety_end))
            }
        };
        // Clients start their first round at `workload.start_ms` (a shrunk reproducer
        // skips the operations before its faults).
        let start_at = (workload.start_ms > 0).then(|| clock.at_ms(workload.start_ms));
        let task = process.spawn(async move {
            if let Some(start_at) = start_at {
                madsim::time::sleep_until(start_at).await;
            }
            run.await
        });
        clients.push(task);
    }
    let client_processes = ClientProcesses::new(processes, holders, recorder.clone());

    let nemesis = Nemesis::new(
        &scenario.faults,
        streams::stream(seed, "nemesis", 0),
        scenario.duration_ms,
    );
    nemesis.run(&cluster, &client_processes, clock).await;
    madsim::time::sleep_until(safety_end).await;

    // Liveness phase: stop the weather, then demand service.
    cluster.heal_network();
    for node in cluster.paused_nodes() {
        cluster.resume(node);
    }
    for node in cluster.crashed_nodes() {
        cluster.restart(node);
    }
    for node in cluster.frozen_nodes() {
        cluster.thaw(node);
    }
    for node in cluster.slow_disks() {
        cluster.restore_disk(node);
    }
    for node in cluster.skewed_clocks() {
        cluster.set_clock_rate(node, 100);
    }
    for client in client_processes.paused() {
        client_processes.resume(client);
    }
    let healed_at_ns = clock.now_ns();
    let deadline = Instant::now() + Duration::from_millis(scenario.liveness.timeout_ms);
    let probe_id = scenario.workload.clients + 1;
    let probe_process = handle.create_node().name("liveness-probe").build();
    let probe = Client::connect(
        probe_id,
        cluster.members(),
        patience,
        network.clone(),
        recorder.clone(),
    );
    let mut probe_workload = Workload::new(
        probe_id,
        scenario.workload.clone(),
        streams::stream(seed, "liveness", 0),
    );
    let (first_write_ns, first_read_ns) = probe_process
        .spawn(async move { probe_until_served(probe, &mut probe_workload, deadline).await })
        .await
        .expect("the probe task is never killed");
    let steady_leader = match scenario.liveness.steady_leader_ms {
        0 => None,
        steady_leader_ms => {
            let watch = SteadyLeaderWatch {
                demanded: Duration::from_millis(steady_leader_ms),
                poll: Duration::from_millis(scenario.cluster.tick_ms),
                deadline,
            };
            Some(watch.run(&cluster, clock, first_read_ns.is_some()).await)
        }
    };
    recorder.liveness(LivenessProbe {
        healed_at_ns,
        deadline_ns: healed_at_ns + scenario.liveness.timeout_ms * 1_000_000,
        first_write_ns,
        first_read_ns: Some(first_read_ns),
        steady_leader,
    });
    for client in clients {
        client.await.expect("client tasks are never killed");
    }
    if let Some(ttl_s) = lease_ttl_s(&scenario) {
        // Give the leases the clients left behind time to lapse, so the history shows
        // whether they expired in time (see the lease-expiry-liveness check).
        let lapse_ms = ttl_s * 1_000 + LAPSE_ELECTION_TIMEOUTS * election_timeout_ms;
        madsim::time::sleep(Duration::from_millis(lapse_ms)).await;
    }

    let output = RunOutput {
        history: recorder.finish(),
        stats: RunStats {
            simulated_ns: clock.now_ns(),
            network: network.stats(),
            disk_writes_lost: cluster.writes_lost(),
        },
    };
    // The history is taken: stop every process, or madsim keeps their tasks (and all they
    // hold) alive after the runtime is gone (madsim #242).
    cluster.kill_all();
    client_processes.kill_all();
    handle.kill(probe_process.id());
    handle.kill(carrier_id);
    output
}

/// The liveness phase's last demand (`liveness.steady_leader_ms`): one leader keeps one
/// term for `demanded`, before `deadline`.
struct SteadyLeaderWatch {
    demanded: Duration,
    /// How often the replicas' reports are read: a tick, so no term goes unseen for long.
    poll: Duration,
    deadline: Instant,
}

impl SteadyLeaderWatch {
    /// Watches the replicas' highest term and its leader until they held still, with a
    /// leader, for `demanded`, or the deadline; `served`: the probe's write and read
    /// succeeded (if not, the cluster is not live anyway and nothing is watched).
    async fn run(&self, cluster: &Cluster, clock: RunClock, served: bool) -> SteadyLeader {
        let mut seen = cluster.leadership();
        let mut since = Instant::now();
        let mut since_ns = clock.now_ns();
        let mut term_changes = 0;
        let steady_since_ns = loop {
            let now = Instant::now();
            if served && seen.1.is_some() && now - since >= self.demanded {
                break Some(since_ns);
            }
            // The check holds a steadiness reached past the deadline (by up to a poll)
            // against it.
            if !served || now >= self.deadline {
                break None;
            }
            madsim::time::sleep(self.poll).await;
            let now_seen = cluster.leadership();
            if now_seen != seen {
                term_changes += u64::from(now_seen.0 > seen.0);
                seen = now_seen;
                since = Instant::now();
                since_ns = clock.now_ns();
            }
        };
        SteadyLeader {
            demanded_ns: self.demanded.as_nanos() as u64,
            since_ns: steady_since_ns,
            term_changes,
            last_term: seen.0,
        }
    }
}

/// Keep-alive connections get network addresses from here on (plus the client id), apart
/// from every client's own.
const KEEP_ALIVE_ADDRESSES_FROM: u64 = 1 << 32;

/// After the clients stop, a run with leases goes on for their TTL plus this many election
/// timeouts: the lease checks allow a lapsed lease three (a promotion extension, a revoke
/// retry, the commit), and one more leaves a margin to see a late expiry as late.
const LAPSE_ELECTION_TIMEOUTS: u64 = 4;

/// The longest lease TTL the run's workloads use, if any uses leases.
fn lease_ttl_s(scenario: &Scenario) -> Option<u64> {
    let workload = &scenario.workload;
    (1..=workload.clients)
        .filter_map(|id| match workload.kind_of(id) {
            WorkloadKind::Kv => None,
            WorkloadKind::Lock => Some(scenario.lock.session_ttl_s),
            WorkloadKind::Lease => Some(scenario.lease.ttl_s),
            WorkloadKind::Election => Some(scenario.election.session_ttl_s),
        })
        .max()
}

/// Writes to the `liveness` key until a write succeeds, then reads it until a
/// (linearizable) read succeeds, both before `deadline`: a cluster that commits but cannot
/// confirm its leadership for ReadIndex serves no reads. Returns when the first write and
/// the first read after it succeeded.
async fn probe_until_served(
    mut probe: Client,
    workload: &mut Workload,
    deadline: Instant,
) -> (Option<u64>, Option<u64>) {
    let key = || "liveness".to_string();
    let write = |attempt| KvInput::Put {
        key: key(),
        value: format!("probe-{attempt}"),
    };
    let Some(first_write_ns) = probe_until_ok(&mut probe, workload, deadline, write).await else {
        return (None, None);
    };
    let read = |_| KvInput::Get { key: key() };
    let first_read_ns = probe_until_ok(&mut probe, workload, deadline, read).await;
    (Some(first_write_ns), first_read_ns)
}

/// Calls `input(attempt)` (attempts count from 1) until one succeeds (returns when) or
/// `deadline`.
async fn probe_until_ok(
    probe: &mut Client,
    workload: &mut Workload,
    deadline: Instant,
    input: impl Fn(u64) -> KvInput,
) -> Option<u64> {
    let mut attempt = 0;
    while Instant::now() < deadline {
        attempt += 1;
        if probe.call(input(attempt), workload.rng()).await.is_some() {
            return Some(probe.recorder.now_ns());
        }
        madsim::time::sleep(Duration::from_millis(50)).await;
    }
    None
}
