//! The resource a lock protects: a register outside the cluster (a file, a database row, a
//! cloud API) that lock holders read, extend with an element of their own, and write back.
//!
//! Access is instant and never fails: the resource stands for something the cluster does
//! not control. With fencing on, every access carries the holder's fencing token (its lock
//! key's create revision) and the resource refuses any access with a token older than the
//! newest it has seen, reads included: a holder whose lease expired during a pause may
//! still believe it holds the lock, but once the next holder has touched the resource, the
//! old holder's read-modify-write is refused instead of overwriting the new one.

use crate::recorder::Recorder;
use history::ResourceWrite;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct Register {
    value: Vec<u64>,
    newest_token: u64,
}

/// Shared by every lock client of a run.
#[derive(Clone)]
pub struct ProtectedResource {
    register: Arc<Mutex<Register>>,
    fencing: bool,
    recorder: Recorder,
}

impl ProtectedResource {
    pub fn new(fencing: bool, recorder: Recorder) -> ProtectedResource {
        ProtectedResource {
            register: Arc::new(Mutex::new(Register::default())),
            fencing,
            recorder,
        }
    }

    pub fn fencing(&self) -> bool {
        self.fencing
    }

    /// Whether a token is refused: only with fencing, when it is older than the newest seen.
    fn admits(&self, register: &mut Register, token: u64) -> bool {
        if !self.fencing {
            return true;
        }
        if token < register.newest_token {
            return false;
        }
        register.newest_token = token;
        true
    }

    /// Reads the register; `None` if the token is refused.
    pub fn read(&self, token: u64) -> Option<Vec<u64>> {
        let mut register = self.register.lock().expect("resource lock");
        self.admits(&mut register, token)
            .then(|| register.value.clone())
    }

    /// Writes `read` extended with `element`; whether the write was accepted. Every
    /// attempt is recorded, refused ones too.
    pub fn write(&self, client: u64, token: u64, read: Vec<u64>, element: u64) -> bool {
        let mut register = self.register.lock().expect("resource lock");
        let accepted = self.admits(&mut register, token);
        let mut wrote = read.clone();
        wrote.push(element);
        if accepted {
            register.value = wrote.clone();
        }
        self.recorder.resource_write(ResourceWrite {
            client,
            token,
            read,
            wrote,
            at_ns: self.recorder.now_ns(),
            accepted,
        });
        accepted
    }
}
