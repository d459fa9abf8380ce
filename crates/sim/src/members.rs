//! The member list clients send their requests to, like the endpoints an etcd client is
//! configured with: founding members, minus removed ones, plus added ones.

use std::sync::{Arc, Mutex};

/// Shared between the cluster, which changes it, and every client.
#[derive(Clone)]
pub struct Members {
    ids: Arc<Mutex<Vec<u64>>>,
}

impl Members {
    pub fn new(ids: Vec<u64>) -> Members {
        Members {
            ids: Arc::new(Mutex::new(ids)),
        }
    }

    /// The members now, in id order.
    pub fn current(&self) -> Vec<u64> {
        self.ids.lock().expect("members lock").clone()
    }

    pub(crate) fn remove(&self, node: u64) {
        self.ids
            .lock()
            .expect("members lock")
            .retain(|&id| id != node);
    }

    pub(crate) fn add(&self, node: u64) {
        let mut ids = self.ids.lock().expect("members lock");
        if !ids.contains(&node) {
            ids.push(node);
            ids.sort_unstable();
        }
    }
}
