//! Sequential specifications ([`crate::Model`]s), one file each: the etcd KV API that
//! lockstep's own histories are checked against, and the objects of third-party
//! histories (Jepsen's register, Porcupine's append-only KV store, a mutex).

mod append_order;
pub mod etcd_kv;
pub mod kv_append;
pub mod mutex;
pub mod register;
