//! Crashes at a chosen step of the Ready loop.
//!
//! Whether a crash loses data depends on where in the Ready loop it strikes: before the
//! fsync the round's writes are lost, after it they survive but the messages that promise
//! them were never sent, and so on. A crash scheduled at a moment of simulated time rarely
//! hits the narrow window it means to; a trap armed at a step strikes exactly there.

use std::sync::{Arc, Mutex};

/// A point of a round of the Ready loop at which a crash can strike. A round reaches a
/// step only if it has something at stake there: writes to sync, messages to send,
/// entries to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadyStep {
    /// Entries and hard state are written to the disk's unsynced queue; no fsync yet.
    BeforeSync,
    /// The round's writes are durable; no message has been sent.
    AfterSync,
    /// Messages are sent; committed entries are not applied.
    AfterSend,
    /// Committed entries are applied; the commit index is not persisted yet.
    AfterApply,
}

type OnReached = Box<dyn FnOnce() + Send>;

/// A crash armed at a step, shared by the simulator (which arms it and kills the process
/// when it springs) and the replica (which passes every step through it). It lives outside
/// the process, like the disk: a restarted replica meets a trap that is still armed.
#[derive(Clone, Default)]
pub struct CrashTrap {
    armed: Arc<Mutex<Option<(ReadyStep, OnReached)>>>,
}

impl std::fmt::Debug for CrashTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let step = self.lock().as_ref().map(|(step, _)| *step);
        f.debug_struct("CrashTrap")
            .field("armed_at", &step)
            .finish()
    }
}

impl CrashTrap {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(ReadyStep, OnReached)>> {
        self.armed.lock().expect("trap lock is never poisoned")
    }

    /// Arms the trap at `step` (replacing any trap armed before): the next time the
    /// replica reaches `step`, `on_reached` runs, and the replica stops right there; the
    /// caller is expected to kill its process in the same simulated instant.
    pub fn arm(&self, step: ReadyStep, on_reached: impl FnOnce() + Send + 'static) {
        *self.lock() = Some((step, Box::new(on_reached)));
    }

    /// Takes the trap away if it has not sprung; returns whether it was armed.
    pub fn disarm(&self) -> bool {
        self.lock().take().is_some()
    }

    /// The replica reached `step`. If the trap is armed there it springs, and this never
    /// returns: nothing after the step runs, since the process is killed meanwhile.
    pub async fn reach(&self, step: ReadyStep) {
        let sprung = {
            let mut armed = self.lock();
            match armed.as_ref() {
                Some((armed_at, _)) if *armed_at == step => armed.take(),
                _ => None,
            }
        };
        if let Some((_, on_reached)) = sprung {
            on_reached();
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::task::{Context, Poll, Waker};

    fn poll_once(future: impl Future<Output = ()>) -> Poll<()> {
        let mut context = Context::from_waker(Waker::noop());
        std::pin::pin!(future).poll(&mut context)
    }

    #[test]
    fn a_trap_springs_once_at_its_step_and_never_returns() {
        let trap = CrashTrap::default();
        let sprung = Arc::new(AtomicU64::new(0));
        let counter = sprung.clone();
        trap.arm(ReadyStep::AfterSend, move || {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(
            poll_once(trap.reach(ReadyStep::BeforeSync)),
            Poll::Ready(())
        );
        assert_eq!(poll_once(trap.reach(ReadyStep::AfterSync)), Poll::Ready(()));
        assert_eq!(sprung.load(Ordering::Relaxed), 0);
        assert_eq!(poll_once(trap.reach(ReadyStep::AfterSend)), Poll::Pending);
        assert_eq!(sprung.load(Ordering::Relaxed), 1);
        // Sprung traps are gone: a restarted replica passes the step.
        assert_eq!(poll_once(trap.reach(ReadyStep::AfterSend)), Poll::Ready(()));
        assert!(!trap.disarm());
    }

    #[test]
    fn a_disarmed_trap_does_nothing() {
        let trap = CrashTrap::default();
        trap.arm(ReadyStep::BeforeSync, || {
            panic!("disarmed traps do not spring")
        });
        assert!(trap.disarm());
        assert_eq!(
            poll_once(trap.reach(ReadyStep::BeforeSync)),
            Poll::Ready(())
        );
    }
}
