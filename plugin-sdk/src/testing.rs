//! An in-process stand-in for the host, for plugin unit tests run natively.
//!
//! WHY: a plugin's logic should be testable with plain `cargo test`, without building a
//! component and a wasmtime host. On native targets every host call of the SDK (config, kv,
//! clock, random, log) lands here, in a per-thread state that tests set up. It mirrors the
//! host's observable contract: `{}` config by default, a kv store with the same key rules,
//! a seeded deterministic random stream. On `wasm32` this module does not exist.
//!
//! ```
//! use questline_plugin_sdk::testing;
//! testing::reset();
//! testing::set_config(r#"{"min_xp": 5}"#);
//! testing::set_now(86_400_000);
//! assert_eq!(questline_plugin_sdk::now(), 86_400_000);
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::types::{HostKvError, Level, Timestamp};

/// Longest key the test host accepts, as the real host's default.
pub const MAX_KEY_BYTES: u32 = 256;
/// Largest value the test host accepts, as the real host's default.
pub const MAX_VALUE_BYTES: u32 = 64 * 1024;

/// The state of the test host for the current thread.
#[derive(Debug, Clone)]
pub struct TestHost {
    /// What `config` returns (JSON text).
    pub config: String,
    /// What `now` returns (Unix milliseconds).
    pub now: Timestamp,
    /// The key-value store.
    pub kv: BTreeMap<String, Vec<u8>>,
    /// Every line logged, in order.
    pub logs: Vec<(Level, String)>,
    /// The splitmix64 state behind `next-u64`.
    pub rng_state: u64,
}

impl Default for TestHost {
    fn default() -> Self {
        TestHost {
            config: "{}".to_string(),
            now: 0,
            kv: BTreeMap::new(),
            logs: Vec::new(),
            rng_state: 0x5EED,
        }
    }
}

impl TestHost {
    pub(crate) fn next_u64(&mut self) -> u64 {
        // splitmix64: small, good enough, and the same stream for the same seed.
        self.rng_state = self.rng_state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn check_key(key: &str) -> Result<(), HostKvError> {
        if key.is_empty() || key.len() > MAX_KEY_BYTES as usize {
            return Err(HostKvError::BadKey(MAX_KEY_BYTES));
        }
        Ok(())
    }

    pub(crate) fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, HostKvError> {
        Self::check_key(key)?;
        Ok(self.kv.get(key).cloned())
    }

    pub(crate) fn kv_set(&mut self, key: &str, value: &[u8]) -> Result<(), HostKvError> {
        Self::check_key(key)?;
        if value.len() > MAX_VALUE_BYTES as usize {
            return Err(HostKvError::ValueTooLarge(MAX_VALUE_BYTES));
        }
        self.kv.insert(key.to_string(), value.to_vec());
        Ok(())
    }

    pub(crate) fn kv_delete(&mut self, key: &str) -> Result<(), HostKvError> {
        Self::check_key(key)?;
        self.kv.remove(key);
        Ok(())
    }
}

thread_local! {
    static HOST: RefCell<TestHost> = RefCell::new(TestHost::default());
}

/// Runs `f` with the current thread's test host.
pub fn with_host<R>(f: impl FnOnce(&mut TestHost) -> R) -> R {
    HOST.with(|h| f(&mut h.borrow_mut()))
}

/// Resets the test host: `{}` config, time 0, empty store, no logs, the default seed.
pub fn reset() {
    with_host(|h| *h = TestHost::default());
}

/// Sets the JSON the plugin's `config()` sees.
pub fn set_config(json: &str) {
    with_host(|h| h.config = json.to_string());
}

/// Sets the host clock (Unix milliseconds).
pub fn set_now(at: Timestamp) {
    with_host(|h| h.now = at);
}

/// Seeds the random stream.
pub fn seed(seed: u64) {
    with_host(|h| h.rng_state = seed);
}

/// Everything logged so far.
pub fn logs() -> Vec<(Level, String)> {
    with_host(|h| h.logs.clone())
}
