//! What the whole-run tests share: the shipped scenarios.

use scenario::Scenario;
use std::path::Path;

/// The scenario shipped as `scenarios/<name>.toml`.
pub fn shipped(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(format!("{name}.toml"));
    Scenario::load(&path).unwrap_or_else(|error| panic!("{error}"))
}

/// One run of a shipped scenario.
#[allow(dead_code)] // not every test file runs shipped scenarios whole
pub fn run_shipped(name: &str, seed: u64) -> sim::RunOutput {
    sim::run_on_fresh_thread(&shipped(name), seed)
}
