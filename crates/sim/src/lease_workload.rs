//! The lease workload: each client grants a lease, attaches keys to it, keeps it alive in
//! the background for a while, then revokes it or lets it lapse, and starts over.
//!
//! The grants and keep-alives (with their send and acknowledgement times) and the lease
//! ends the replicas apply are what the lease checks judge: no expiry before an
//! acknowledged renewal's send time + TTL, and no lapsed lease left unexpired. The puts
//! of attached keys and the reads of them (while the lease lives, right after it ends,
//! and once more a cycle later) are recorded as key-value operations, which the
//! linearizability check judges together with the deletions the lease ends made.

use crate::client::Client;
use crate::network::ClientRequest;
use crate::rounds::Rounds;
use crate::session::{Session, SessionSettings};
use history::KvInput;
use kv::{LeaseId, PutRequest, Request};
use madsim::time::{sleep, Instant};
use rand::rngs::SmallRng;
use rand::Rng;
use scenario::{LeaseConfig, WorkloadConfig};
use std::time::Duration;

/// Everything one lease client needs besides its connection.
pub struct LeaseClient {
    pub config: LeaseConfig,
    pub workload: WorkloadConfig,
    pub rng: SmallRng,
    /// How the client keeps its sessions (their TTL is `config.ttl_s`).
    pub sessions: SessionSettings,
}

impl LeaseClient {
    /// Runs until `stop_at`; the lease held then is left to expire.
    pub async fn run(mut self, mut client: Client, stop_at: Instant) {
        let mut leases_granted = 0;
        let mut previous_keys = Vec::new();
        let mut rounds = Rounds::new(stop_at, &self.workload);
        loop {
            self.think().await;
            if !rounds.another() {
                return;
            }
            self.read_back(&mut client, &std::mem::take(&mut previous_keys))
                .await;
            leases_granted += 1;
            let lease = LeaseId((client.id * 1_000_000 + leases_granted) as i64);
            let granted =
                Session::grant(&mut client, &mut self.rng, lease, &self.sessions, stop_at).await;
            let Ok(session) = granted else {
                continue;
            };
            let keys: Vec<String> = (0..self.config.keys_per_lease)
                .map(|index| format!("leases/{lease}/{index}"))
                .collect();
            for key in &keys {
                let value = format!("c{}-{leases_granted}-{key}", client.id);
                let put = ClientRequest::Write(Request::Put(PutRequest {
                    key: key.clone(),
                    value: value.clone(),
                    prev_kv: false,
                    lease: Some(lease),
                }));
                let input = KvInput::Put {
                    key: key.clone(),
                    value,
                };
                // A put refused because the lease is already gone is part of the weather.
                let _outcome = client.call_as(input, put, &mut self.rng).await;
            }
            self.read_back(&mut client, &keys).await;
            let keep_ms = self
                .rng
                .gen_range(self.config.keep_min_ms..=self.config.keep_max_ms);
            let until = (Instant::now() + Duration::from_millis(keep_ms)).min(stop_at);
            madsim::time::sleep_until(until).await;
            if Instant::now() >= stop_at {
                session.abandon();
                return;
            }
            if self.rng.gen_range(0..100) < self.config.revoke_percent {
                session.close(&mut client, &mut self.rng).await;
            } else {
                session.abandon();
            }
            self.read_back(&mut client, &keys).await;
            previous_keys = keys;
        }
    }

    /// Reads each key once, recorded.
    async fn read_back(&mut self, client: &mut Client, keys: &[String]) {
        for key in keys {
            let get = KvInput::Get { key: key.clone() };
            let _outcome = client.call(get, &mut self.rng).await;
        }
    }

    async fn think(&mut self) {
        let think_ms = crate::workload::think_ms(&mut self.rng, &self.workload);
        sleep(Duration::from_millis(think_ms)).await;
    }
}
