//! What clients ask: random get / put / delete / compare-and-swap over a small key set.
//!
//! Every put writes a value no one wrote before (`c<client>-<n>`), so a read says exactly
//! which write it saw: that is what gives the linearizability checker its power.
//! Compare-and-swap compares against what this client last saw of the key, so that a fair
//! share of them succeed.

use history::{CasCompare, KvInput, KvOutput};
use rand::rngs::SmallRng;
use rand::Rng;
use scenario::WorkloadConfig;
use std::collections::BTreeMap;

/// One client's workload generator and memory of what it has seen.
pub struct Workload {
    client: u64,
    config: WorkloadConfig,
    rng: SmallRng,
    writes: u64,
    /// The last value and mod_revision this client observed per key.
    seen: BTreeMap<String, (Option<String>, u64)>,
}

impl Workload {
    pub fn new(client: u64, config: WorkloadConfig, rng: SmallRng) -> Workload {
        Workload {
            client,
            config,
            rng,
            writes: 0,
            seen: BTreeMap::new(),
        }
    }

    pub fn config(&self) -> &WorkloadConfig {
        &self.config
    }

    /// A pause before the next operation.
    pub fn think_ms(&mut self) -> u64 {
        think_ms(&mut self.rng, &self.config)
    }

    /// The client's random stream, for its requests' choices of replica and backoff.
    pub fn rng(&mut self) -> &mut SmallRng {
        &mut self.rng
    }

    fn fresh_value(&mut self) -> String {
        self.writes += 1;
        format!("c{}-{}", self.client, self.writes)
    }

    /// The next operation.
    pub fn next_input(&mut self) -> KvInput {
        let key = format!("k{}", self.rng.gen_range(0..self.config.keys));
        let mix = self.config.mix;
        let total = mix.get + mix.put + mix.cas + mix.delete;
        let mut pick = self.rng.gen_range(0..total);
        if pick < mix.get {
            return KvInput::Get { key };
        }
        pick -= mix.get;
        if pick < mix.put {
            let value = self.fresh_value();
            return KvInput::Put { key, value };
        }
        pick -= mix.put;
        if pick < mix.cas {
            let (seen_value, seen_revision) = self.seen.get(&key).cloned().unwrap_or((None, 0));
            let compare = match seen_value {
                Some(expected) if self.rng.gen_bool(0.5) => CasCompare::Value { expected },
                _ => CasCompare::ModRevision {
                    expected: seen_revision,
                },
            };
            let value = self.fresh_value();
            return KvInput::Cas {
                key,
                compare,
                value,
            };
        }
        KvInput::Delete { key }
    }

    /// Remembers what an answer revealed about its key.
    pub fn observe(&mut self, input: &KvInput, output: &KvOutput) {
        let key = input.key().to_string();
        let seen = match (input, output) {
            (
                _,
                KvOutput::Get {
                    value,
                    mod_revision,
                    ..
                },
            ) => (value.clone(), *mod_revision),
            (KvInput::Put { value, .. }, KvOutput::Put { revision }) => {
                (Some(value.clone()), *revision)
            }
            (_, KvOutput::Delete { .. }) => (None, 0),
            (
                KvInput::Cas { value, .. },
                KvOutput::Cas {
                    succeeded: true,
                    revision,
                    ..
                },
            ) => (Some(value.clone()), *revision),
            (
                _,
                KvOutput::Cas {
                    value,
                    mod_revision,
                    ..
                },
            ) => (value.clone(), *mod_revision),
            _ => return,
        };
        self.seen.insert(key, seen);
    }
}

/// A client's pause before its next operation, drawn from the workload's think range.
pub fn think_ms(rng: &mut SmallRng, config: &WorkloadConfig) -> u64 {
    rng.gen_range(config.think_min_ms..=config.think_max_ms)
}
