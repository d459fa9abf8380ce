//! How fast the simulator runs: the default 5-node scenario (no faults) and the shipped
//! fault scenarios, one whole seeded run per iteration.
//!
//! Throughput is counted in simulated milliseconds, so criterion's "Kelem/s" reads as
//! simulated seconds per wall second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scenario::Scenario;
use std::path::Path;

fn load(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(format!("{name}.toml"));
    Scenario::load(&path).unwrap_or_else(|error| panic!("{error}"))
}

fn simulation_speed(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulated_seconds_per_wall_second");
    group.sample_size(20);
    let default = Scenario::parse("", "default", "default").expect("the empty scenario is valid");
    for (name, scenario) in [
        ("default_5_nodes", default),
        ("partitions", load("partitions")),
        ("crashes", load("crashes")),
    ] {
        // The simulated length of a run is fixed by its seed; measure it once.
        let simulated_ms = sim::run_on_fresh_thread(&scenario, 1).stats.simulated_ns / 1_000_000;
        group.throughput(Throughput::Elements(simulated_ms));
        group.bench_function(name, |b| b.iter(|| sim::run_on_fresh_thread(&scenario, 1)));
    }
    group.finish();
}

criterion_group!(benches, simulation_speed);
criterion_main!(benches);
