//! The election workload: every client, with a session of its own, campaigns in one
//! election; the leader proclaims a new value every `proclaim_ms` for a while, then
//! resigns and follows who leads next (etcd's `Election.Observe`, with a watch).
//!
//! A leadership is recorded like a lock hold (on `elections/0`): from the moment the
//! campaign won to the moment the leader stopped believing it leads (it resigned, a
//! proclamation was refused, or its session ran out). The lock checks then say whether the
//! store ever had two leaders, and whether two clients ever believed they led at once.

use crate::client::Client;
use crate::mutex::{LockError, Mutex};
use crate::rounds::Rounds;
use crate::session::{Session, SessionSettings};
use history::LockHold;
use madsim::time::{sleep, Instant};
use rand::rngs::SmallRng;
use rand::Rng;
use scenario::{ElectionConfig, WorkloadConfig};
use std::time::Duration;

/// The one election the clients contend in.
const ELECTION: &str = "elections/0";

/// How many times a client that resigned asks who leads now.
const OBSERVATIONS: u64 = 3;

/// Everything one election client needs besides its connection.
pub struct ElectionClient {
    pub config: ElectionConfig,
    pub workload: WorkloadConfig,
    pub rng: SmallRng,
    /// How the client keeps its sessions; its `bugs` are the client's planted bugs.
    pub sessions: SessionSettings,
}

impl ElectionClient {
    /// Runs until `stop_at`; the last session is left to expire.
    pub async fn run(mut self, mut client: Client, stop_at: Instant) {
        let mut session: Option<Session> = None;
        let mut leases_granted = 0;
        let mut values = 0;
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
            values += 1;
            let value = format!("c{}-{values}", client.id);
            let candidate = Mutex::with_value(ELECTION, &live, value, &self.sessions.bugs);
            match candidate
                .lock(&mut client, &mut self.rng, &live, stop_at)
                .await
            {
                Ok(held) => {
                    let elected_ns = client.recorder.now_ns();
                    let serve_ms = self
                        .rng
                        .gen_range(self.config.serve_min_ms..=self.config.serve_max_ms);
                    let serve_until = Instant::now() + Duration::from_millis(serve_ms);
                    while Instant::now() < serve_until.min(stop_at) && live.is_alive() {
                        sleep(Duration::from_millis(self.config.proclaim_ms)).await;
                        values += 1;
                        let value = format!("c{}-{values}", client.id);
                        let proclaimed = candidate
                            .proclaim(&mut client, &mut self.rng, &held, &live, value, stop_at)
                            .await;
                        if !proclaimed {
                            break;
                        }
                    }
                    client.recorder.lock_hold(LockHold {
                        client: client.id,
                        lock: held.lock.clone(),
                        key: held.key.clone(),
                        lease: live.lease.0 as u64,
                        create_revision: held.create_revision,
                        observed_revision: held.observed_revision,
                        acquired_ns: elected_ns,
                        released_ns: Some(client.recorder.now_ns()),
                        fenced: false,
                    });
                    candidate
                        .unlock(&mut client, &mut self.rng, &held, stop_at)
                        .await;
                    self.observe(&mut client).await;
                    session = Some(live);
                }
                Err(LockError::SessionExpired) => live.abandon(),
                Err(LockError::Locked | LockError::Stopped) => session = Some(live),
            }
        }
        if let Some(last) = session {
            last.abandon();
        }
    }

    /// Follows who leads for a few changes (etcd's `Election.Observe`): reads the leader,
    /// then watches the election for the next change.
    async fn observe(&mut self, client: &mut Client) {
        for _ in 0..OBSERVATIONS {
            let Ok((_leader, revision)) = Mutex::leader(ELECTION, client, &mut self.rng).await
            else {
                return;
            };
            if !Mutex::changed_since(ELECTION, revision, client, &mut self.rng).await {
                return;
            }
        }
    }

    async fn think(&mut self) {
        let think_ms = crate::workload::think_ms(&mut self.rng, &self.workload);
        sleep(Duration::from_millis(think_ms)).await;
    }
}
