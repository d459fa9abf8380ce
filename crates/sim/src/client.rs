//! A client process: issues one operation at a time, follows leader hints, retries what
//! surely did not happen, and records every call and its outcome.
//!
//! The outcome rules are what the checker relies on:
//! - an answer from the store is `Ok`;
//! - a refusal that proves the request did nothing (not the leader, unreachable, a store
//!   error) is retried until the request timeout, then recorded as `Failed`;
//! - silence until the request timeout is `Unknown`: the write may have happened, or may
//!   still happen. Such a request is never retried, since a retry could apply it twice.

use crate::members::Members;
use crate::network::{Address, ClientRequest, Envelope, Network};
use crate::recorder::Recorder;
use crate::rounds::Rounds;
use crate::translate::{output_for, request_for};
use crate::workload::Workload;
use futures::channel::mpsc::UnboundedReceiver;
use futures::StreamExt;
use history::{KvInput, KvOutput, Op, Outcome};
use kv::Response;
use madsim::time::{sleep, sleep_until, timeout, Instant};
use node::{ClientError, RequestTag};
use rand::rngs::SmallRng;
use rand::Rng;
use std::time::Duration;

/// Why a request got no answer from the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// The store refused it (it changed nothing).
    Store(kv::KvError),
    /// Every replica tried refused (no leader) until the timeout: it surely did nothing.
    GaveUp(String),
    /// No answer in time: it may have happened, or may still happen.
    Unknown(String),
}

/// A replica to try first, or after a replica without a leader hint refused.
fn pick_node(rng: &mut SmallRng, members: &[u64]) -> u64 {
    members[rng.gen_range(0..members.len())]
}

/// How long a client waits: for an answer, and between retries of a refused request.
#[derive(Clone, Copy, Debug)]
pub struct Patience {
    pub request_timeout: Duration,
    /// The backoff after a refusal starts here and doubles up to `backoff_max_ms`; each
    /// wait is jittered up to twice its length.
    pub backoff_min_ms: u64,
    pub backoff_max_ms: u64,
}

impl Patience {
    /// The workload's timeout and retry backoff.
    pub fn of(workload: &scenario::WorkloadConfig) -> Patience {
        Patience {
            request_timeout: Duration::from_millis(workload.request_timeout_ms),
            backoff_min_ms: workload.retry_backoff_min_ms,
            backoff_max_ms: workload.retry_backoff_max_ms,
        }
    }
}

/// One client's connection to the cluster.
pub struct Client {
    pub id: u64,
    /// The members to send requests to (a removed member is left out, an added one in).
    pub members: Members,
    pub patience: Patience,
    pub network: Network,
    pub recorder: Recorder,
    /// The network address this connection receives on: the client's id, or another
    /// for a second connection of the same client (its session's keep-alives).
    address: u64,
    inbox: UnboundedReceiver<Envelope>,
    next_request_id: u64,
    /// The replica the client believes leads.
    target: Option<u64>,
}

impl Client {
    /// Connects client `id` to the network.
    pub fn connect(
        id: u64,
        members: Members,
        patience: Patience,
        network: Network,
        recorder: Recorder,
    ) -> Client {
        Client::connect_at(id, id, members, patience, network, recorder)
    }

    /// A second connection of this client, at its own network address: requests made
    /// concurrently (a session's keep-alives) need their own inbox.
    pub fn second_connection(&self, address: u64) -> Client {
        Client::connect_at(
            self.id,
            address,
            self.members.clone(),
            self.patience,
            self.network.clone(),
            self.recorder.clone(),
        )
    }

    fn connect_at(
        id: u64,
        address: u64,
        members: Members,
        patience: Patience,
        network: Network,
        recorder: Recorder,
    ) -> Client {
        let inbox = network.register(Address::Client(address));
        Client {
            id,
            address,
            members,
            patience,
            network,
            recorder,
            inbox,
            next_request_id: 0,
            target: None,
        }
    }

    /// Runs the key-value workload until `stop_at`, then returns.
    pub async fn run_workload(mut self, mut workload: Workload, stop_at: Instant) {
        let mut rounds = Rounds::new(stop_at, workload.config());
        loop {
            sleep(Duration::from_millis(workload.think_ms())).await;
            if !rounds.another() {
                return;
            }
            let input = workload.next_input();
            if let Some(output) = self.call(input.clone(), workload.rng()).await {
                workload.observe(&input, &output);
            }
        }
    }

    /// Performs one key-value operation and records it; returns its output if it
    /// succeeded.
    pub async fn call(&mut self, input: KvInput, rng: &mut SmallRng) -> Option<KvOutput> {
        let request = request_for(&input);
        self.call_as(input, request, rng).await
    }

    /// Performs `request` and records it as the key-value operation `input`: how a put
    /// bound to a lease is recorded as a plain put (the checker learns of the lease's end
    /// from the history's lease ends).
    pub async fn call_as(
        &mut self,
        input: KvInput,
        request: ClientRequest,
        rng: &mut SmallRng,
    ) -> Option<KvOutput> {
        let call_ns = self.recorder.now_ns();
        let outcome = match self.request(request, rng).await {
            Ok(response) => match output_for(&input, &response) {
                Some(output) => Outcome::Ok(output),
                None => Outcome::Failed {
                    error: format!("unexpected response {response:?}"),
                },
            },
            Err(CallError::Store(error)) => Outcome::Failed {
                error: error.to_string(),
            },
            Err(CallError::GaveUp(error)) => Outcome::Failed { error },
            Err(CallError::Unknown(reason)) => Outcome::Unknown { reason },
        };
        let return_ns = match outcome {
            Outcome::Unknown { .. } => None,
            _ => Some(self.recorder.now_ns()),
        };
        let output = match &outcome {
            Outcome::Ok(output) => Some(output.clone()),
            _ => None,
        };
        self.recorder.op(Op {
            id: 0,
            client: self.id,
            call_ns,
            return_ns,
            input,
            outcome,
        });
        output
    }

    /// Sends `request` to the leader (following hints, retrying refusals with backoff)
    /// until it is answered or the request timeout passes. `rng` picks replicas and
    /// jitters the backoff.
    pub async fn request(
        &mut self,
        request: ClientRequest,
        rng: &mut SmallRng,
    ) -> Result<Response, CallError> {
        let deadline = Instant::now() + self.patience.request_timeout;
        let mut backoff_ms = self.patience.backoff_min_ms;
        let mut last_refusal;
        loop {
            let node = match self.target {
                Some(node) => node,
                None => pick_node(rng, &self.members.current()),
            };
            self.next_request_id += 1;
            // Replicas answer the tag's client at its address: the connection's.
            let tag = RequestTag {
                client: self.address,
                request_id: self.next_request_id,
            };
            let sent = self.network.send(
                Address::Client(self.address),
                Address::Node(node),
                Envelope::Request {
                    tag,
                    request: request.clone(),
                },
            );
            match sent {
                Err(_unreachable) => {
                    last_refusal = format!("node {node} is down");
                    self.target = None;
                }
                Ok(()) => match self.await_reply(tag, deadline).await {
                    None => {
                        self.target = None;
                        return Err(CallError::Unknown(format!(
                            "no answer from node {node} in time"
                        )));
                    }
                    Some(Ok(response)) => return Ok(response),
                    Some(Err(ClientError::Kv(error))) => return Err(CallError::Store(error)),
                    Some(Err(error)) => {
                        self.target = match error {
                            ClientError::NotLeader { leader_hint } => leader_hint,
                            ClientError::LeaderNotReady | ClientError::ProposalDropped => {
                                Some(node)
                            }
                            ClientError::Kv(_) => None,
                        };
                        last_refusal = format!("node {node}: {error}");
                    }
                },
            }
            let wait = Duration::from_millis(backoff_ms + rng.gen_range(0..=backoff_ms));
            if Instant::now() + wait >= deadline {
                return Err(CallError::GaveUp(format!(
                    "gave up retrying; last refusal: {last_refusal}"
                )));
            }
            sleep(wait).await;
            backoff_ms = (backoff_ms * 2).min(self.patience.backoff_max_ms);
        }
    }

    /// Waits for the answer to `tag`, skipping late answers to abandoned requests.
    async fn await_reply(
        &mut self,
        tag: RequestTag,
        deadline: Instant,
    ) -> Option<node::ClientReply> {
        loop {
            match timeout(
                deadline.saturating_duration_since(Instant::now()),
                self.inbox.next(),
            )
            .await
            {
                Ok(Some(Envelope::Response {
                    tag: answered,
                    reply,
                })) if answered == tag => return Some(reply),
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => {
                    sleep_until(deadline).await;
                    return None;
                }
            }
        }
    }
}
