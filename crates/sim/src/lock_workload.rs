//! The lock workload: each client, with a session of its own, loops over lock → critical
//! section on the protected resource → unlock.
//!
//! The critical section is a read-modify-write of the [`ProtectedResource`] that takes a
//! while (`hold_min_ms..=hold_max_ms`): read, work, write back the value read plus an
//! element of the client's own. Nothing is checked between the read and the write, as in
//! most real critical sections: a holder paused in the middle writes when it resumes,
//! whatever happened to its lease meanwhile. That is the hazard the lock checks measure.

use crate::client::Client;
use crate::mutex::{LockError, Mutex};
use crate::resource::ProtectedResource;
use crate::rounds::Rounds;
use crate::session::{Session, SessionSettings};
use history::LockHold;
use madsim::time::{sleep, Instant};
use rand::rngs::SmallRng;
use rand::Rng;
use scenario::{LockConfig, WorkloadConfig};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

/// One in this many lock attempts is a TryLock.
const TRY_LOCK_ONE_IN: u32 = 5;

/// Which clients are inside a critical section now, so a fault can target "the lock
/// holder".
#[derive(Clone, Default)]
pub struct LockHolders {
    inside: Arc<StdMutex<BTreeSet<u64>>>,
}

impl LockHolders {
    fn enter(&self, client: u64) {
        self.inside.lock().expect("holders lock").insert(client);
    }

    fn leave(&self, client: u64) {
        self.inside.lock().expect("holders lock").remove(&client);
    }

    /// The lowest-numbered client inside a critical section, if any.
    pub fn any(&self) -> Option<u64> {
        self.inside.lock().expect("holders lock").first().copied()
    }
}

/// Everything one lock client needs besides its connection.
pub struct LockClient {
    pub config: LockConfig,
    pub workload: WorkloadConfig,
    pub rng: SmallRng,
    pub resource: ProtectedResource,
    pub holders: LockHolders,
    /// How the client keeps its sessions; its `bugs` are the client's planted bugs.
    pub sessions: SessionSettings,
}

impl LockClient {
    /// Runs until `stop_at`; a critical section under way then is finished first. The last
    /// session is left to expire.
    pub async fn run(mut self, mut client: Client, stop_at: Instant) {
        let mut session: Option<Session> = None;
        let mut leases_granted = 0;
        let mut elements_written = 0;
        let mut rounds = Rounds::new(stop_at, &self.workload);
        loop {
            self.think().await;
            if !rounds.another() {
                break;
            }
            let Some(live) = Session::alive_or_new(
                session.take(),
                &mut client,
                &mut self.rng,
                &self.sessions,
                stop_at,
                &mut leases_granted,
            )
            .await
            else {
                continue;
            };
            let lock = format!("locks/{}", self.rng.gen_range(0..self.config.locks));
            let mutex = Mutex::new(&lock, &live, &self.sessions.bugs);
            let attempt = if self.rng.gen_ratio(1, TRY_LOCK_ONE_IN) {
                mutex
                    .try_lock(&mut client, &mut self.rng, &live, stop_at)
                    .await
            } else {
                mutex.lock(&mut client, &mut self.rng, &live, stop_at).await
            };
            match attempt {
                Ok(held) => {
                    let acquired_ns = client.recorder.now_ns();
                    self.holders.enter(client.id);
                    elements_written += 1;
                    let element = client.id * 1_000_000 + elements_written;
                    self.critical_section(client.id, held.create_revision, element)
                        .await;
                    self.holders.leave(client.id);
                    client.recorder.lock_hold(LockHold {
                        client: client.id,
                        lock: held.lock.clone(),
                        key: held.key.clone(),
                        lease: live.lease.0 as u64,
                        create_revision: held.create_revision,
                        observed_revision: held.observed_revision,
                        acquired_ns,
                        released_ns: Some(client.recorder.now_ns()),
                        fenced: self.resource.fencing(),
                    });
                    mutex
                        .unlock(&mut client, &mut self.rng, &held, stop_at)
                        .await;
                    session = Some(live);
                }
                Err(LockError::Locked) => session = Some(live),
                Err(LockError::SessionExpired) => live.abandon(),
                Err(LockError::Stopped) => {
                    session = Some(live);
                    break;
                }
            }
        }
        if let Some(last) = session {
            last.abandon();
        }
    }

    /// Read, work, write: `element` appended to what was read, under fencing `token`.
    async fn critical_section(&mut self, client: u64, token: u64, element: u64) {
        let read = self.resource.read(token);
        let hold_ms = self
            .rng
            .gen_range(self.config.hold_min_ms..=self.config.hold_max_ms);
        sleep(Duration::from_millis(hold_ms)).await;
        if let Some(read) = read {
            self.resource.write(client, token, read, element);
        }
    }

    async fn think(&mut self) {
        let think_ms = crate::workload::think_ms(&mut self.rng, &self.workload);
        sleep(Duration::from_millis(think_ms)).await;
    }
}
