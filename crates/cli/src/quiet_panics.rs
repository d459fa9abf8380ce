//! Silences the panic messages of simulations whose panics are expected: a shrink tries
//! thousands of variants of a run, and raft-rs refuses some of the states a planted bug
//! leaves them in (a member whose disk was wiped is sent a commit index past its log and
//! panics, as etcd does). Such a variant simply does not fail the check; printing a panic
//! message (and, with RUST_BACKTRACE, a backtrace) for each buried the shrink's output.
//!
//! The panic hook is process-wide, so it stays installed and only keeps quiet while a
//! [`QuietSimulationPanics`] guard is alive and the panicking thread is a simulation's
//! (`seed-N`, as `sim::run_on_fresh_thread` names it). Any other panic prints as before.
//! madsim still prints one `context:` line per panicking task, which cannot be turned off.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

/// How many guards are alive.
static GUARDS: AtomicUsize = AtomicUsize::new(0);

/// Installs the filtering hook once.
static INSTALL: Once = Once::new();

/// While alive, panics on simulation threads print nothing.
pub struct QuietSimulationPanics(());

impl QuietSimulationPanics {
    pub fn new() -> QuietSimulationPanics {
        INSTALL.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let on_simulation_thread = std::thread::current()
                    .name()
                    .is_some_and(|name| name.starts_with("seed-"));
                if !(on_simulation_thread && GUARDS.load(Ordering::SeqCst) > 0) {
                    previous(info);
                }
            }));
        });
        GUARDS.fetch_add(1, Ordering::SeqCst);
        QuietSimulationPanics(())
    }
}

impl Drop for QuietSimulationPanics {
    fn drop(&mut self) {
        GUARDS.fetch_sub(1, Ordering::SeqCst);
    }
}
