//! The one place that calls the host imports.
//!
//! WHY a seam: on `wasm32` these are the real imports; natively (plugin unit tests,
//! `cargo test`) there is no host, so the calls go to the in-process [`crate::testing`] host.
//! Everything else in the SDK goes through these five groups of functions.

use crate::types::{HostKvError, Level, Timestamp};

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::*;
    use crate::bindings::base::questline::plugin::{clock, config, kv, log, random};

    pub fn log(level: Level, message: &str) {
        log::log(level, message);
    }
    pub fn kv_get(key: &str) -> Result<Option<Vec<u8>>, HostKvError> {
        kv::get(key)
    }
    pub fn kv_set(key: &str, value: &[u8]) -> Result<(), HostKvError> {
        kv::set(key, value)
    }
    pub fn kv_delete(key: &str) -> Result<(), HostKvError> {
        kv::delete(key)
    }
    pub fn config() -> String {
        config::get()
    }
    pub fn now() -> Timestamp {
        clock::now()
    }
    pub fn next_u64() -> u64 {
        random::next_u64()
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::*;
    use crate::testing::with_host;

    pub fn log(level: Level, message: &str) {
        with_host(|h| h.logs.push((level, message.to_string())));
    }
    pub fn kv_get(key: &str) -> Result<Option<Vec<u8>>, HostKvError> {
        with_host(|h| h.kv_get(key))
    }
    pub fn kv_set(key: &str, value: &[u8]) -> Result<(), HostKvError> {
        with_host(|h| h.kv_set(key, value))
    }
    pub fn kv_delete(key: &str) -> Result<(), HostKvError> {
        with_host(|h| h.kv_delete(key))
    }
    pub fn config() -> String {
        with_host(|h| h.config.clone())
    }
    pub fn now() -> Timestamp {
        with_host(|h| h.now)
    }
    pub fn next_u64() -> u64 {
        with_host(|h| h.next_u64())
    }
}

pub(crate) use imp::*;
