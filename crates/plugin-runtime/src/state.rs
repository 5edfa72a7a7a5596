//! The per-store state of a plugin instance and the host imports it sees. Everything a call
//! may observe (guild, config, time, randomness) comes from the [`CallContext`] set before the
//! call, so a simulation with a fixed seed and clock replays byte for byte.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxView, WasiView};

use super::bindings::{clock, config, kv as wit_kv, log, random, types};
use super::config::PluginsConfig;
use super::cpu_budget::CpuBudget;
use super::kv::{self, KvError, KvStore};
use super::output::{OutputBudget, TracingOutput};
use super::wasmtime_setup::{EpochTicker, Running};

/// What the host tells a plugin about the call it is making.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallContext {
    /// The guild the call is for (namespaces `kv`, selects `config`).
    pub guild: u64,
    /// The plugin's configuration for the guild, as JSON text (`{}` when unset).
    pub config_json: String,
    /// What `clock.now` answers, in Unix milliseconds.
    pub now_ms: i64,
    /// Seed of the call's `random` stream.
    pub seed: u64,
}

impl CallContext {
    /// A context for `guild` at `now_ms` with an empty configuration.
    pub fn new(guild: u64, now_ms: i64, seed: u64) -> Self {
        Self {
            guild,
            config_json: "{}".to_owned(),
            now_ms,
            seed,
        }
    }
}

/// Longest log line kept; the rest is cut so one line cannot flood the logs.
const MAX_LOG_LINE: usize = 4 * 1024;

/// Store limits that remember when a memory request was refused, so a trap can be reported
/// as a memory-limit hit rather than a generic crash.
pub(crate) struct Limiter {
    inner: StoreLimits,
    pub(crate) memory_refused: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let result = self.inner.memory_growing(current, desired, maximum);
        if !matches!(result, Ok(true)) {
            self.memory_refused = true;
        }
        result
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// Data of one plugin store.
pub(crate) struct HostState {
    pub(crate) plugin: Arc<str>,
    pub(crate) limiter: Limiter,
    wasi: WasiCtx,
    table: ResourceTable,
    kv: Arc<dyn KvStore>,
    call: CallContext,
    rng: StdRng,
    output: Arc<OutputBudget>,
    log_lines_left: u32,
    max_log_lines: u32,
    /// The current call's CPU-time budget, read by the epoch callback.
    pub(crate) cpu: CpuBudget,
    /// Keeps the epoch ticking while this store runs wasm ([`HostState::arm`]).
    ticker: Arc<EpochTicker>,
    /// Why the key-value store could not be reached during this call, if it could not: the
    /// plugin then answered without its stored state, so the answer is not used (see
    /// `PluginError::HostUnavailable`).
    pub(crate) store_unavailable: Option<String>,
}

impl HostState {
    pub(crate) fn new(
        plugin: Arc<str>,
        cfg: &PluginsConfig,
        kv: Arc<dyn KvStore>,
        ticker: Arc<EpochTicker>,
    ) -> Self {
        let limits = StoreLimitsBuilder::new()
            .memory_size(cfg.memory_limit_bytes())
            .table_elements(usize::try_from(cfg.max_table_elements).unwrap_or(usize::MAX))
            .instances(usize::try_from(cfg.max_instances).unwrap_or(usize::MAX))
            .tables(usize::try_from(cfg.max_instances).unwrap_or(usize::MAX))
            .memories(usize::try_from(cfg.max_instances).unwrap_or(usize::MAX))
            .trap_on_grow_failure(true)
            .build();
        let output = OutputBudget::new(cfg.max_output_bytes);
        // No preopens, environment, arguments or network: the builder's defaults, with
        // sockets also switched off explicitly so a future default change cannot open them.
        let wasi = WasiCtx::builder()
            .stdout(TracingOutput::new(plugin.clone(), "stdout", output.clone()))
            .stderr(TracingOutput::new(plugin.clone(), "stderr", output.clone()))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .build();
        Self {
            plugin,
            limiter: Limiter {
                inner: limits,
                memory_refused: false,
            },
            wasi,
            table: ResourceTable::new(),
            kv,
            call: CallContext::default(),
            rng: StdRng::seed_from_u64(0),
            output,
            log_lines_left: cfg.max_log_lines,
            max_log_lines: cfg.max_log_lines,
            cpu: CpuBudget::start(cfg.call_timeout_ms),
            ticker,
            store_unavailable: None,
        }
    }

    /// Starts a budget of `limit_ms` milliseconds of CPU time for what runs next on this
    /// thread (a call, or an instance's start-up). Hold the returned guard until the wasm has
    /// returned: the budget is only looked at on epoch ticks, which stop when none is held.
    pub(crate) fn arm(&mut self, limit_ms: u64) -> Running {
        self.cpu = CpuBudget::start(limit_ms);
        self.ticker.running()
    }

    /// Prepares the store for a call: its context, a fresh random stream and fresh budgets.
    pub(crate) fn begin_call(&mut self, call: &CallContext) {
        self.rng = StdRng::seed_from_u64(call.seed);
        self.call.clone_from(call);
        self.output.refill();
        self.log_lines_left = self.max_log_lines;
        self.limiter.memory_refused = false;
        self.store_unavailable = None;
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for HostState {}

impl log::Host for HostState {
    fn log(&mut self, level: log::Level, message: String) {
        if self.log_lines_left == 0 {
            return;
        }
        self.log_lines_left -= 1;
        let mut message = message;
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str(" [truncated]");
        }
        let plugin = &*self.plugin;
        let guild = self.call.guild;
        match level {
            log::Level::Trace => tracing::trace!(plugin, guild, "{message}"),
            log::Level::Debug => tracing::debug!(plugin, guild, "{message}"),
            log::Level::Info => tracing::info!(plugin, guild, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, guild, "{message}"),
            log::Level::Error => tracing::error!(plugin, guild, "{message}"),
        }
    }
}

fn to_wit(err: KvError) -> wit_kv::KvError {
    match err {
        KvError::ValueTooLarge(n) => wit_kv::KvError::ValueTooLarge(n),
        KvError::BadKey(n) => wit_kv::KvError::BadKey(n),
        KvError::QuotaExceeded => wit_kv::KvError::QuotaExceeded,
        KvError::Unavailable(m) => wit_kv::KvError::Unavailable(m),
    }
}

impl HostState {
    /// `err` as the plugin sees it; an unreachable store is also remembered for the call.
    fn store_error(&mut self, err: KvError) -> wit_kv::KvError {
        if let KvError::Unavailable(reason) = &err {
            self.store_unavailable = Some(reason.clone());
        }
        to_wit(err)
    }
}

impl wit_kv::Host for HostState {
    fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, wit_kv::KvError> {
        kv::check_key(&key).map_err(to_wit)?;
        self.kv
            .get(&self.plugin, self.call.guild, &key)
            .map_err(|e| self.store_error(e))
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), wit_kv::KvError> {
        kv::check_key(&key).map_err(to_wit)?;
        kv::check_value(&value).map_err(to_wit)?;
        self.kv
            .set(&self.plugin, self.call.guild, &key, value)
            .map_err(|e| self.store_error(e))
    }

    fn delete(&mut self, key: String) -> Result<(), wit_kv::KvError> {
        kv::check_key(&key).map_err(to_wit)?;
        self.kv
            .delete(&self.plugin, self.call.guild, &key)
            .map_err(|e| self.store_error(e))
    }
}

impl config::Host for HostState {
    fn get(&mut self) -> String {
        if self.call.config_json.is_empty() {
            "{}".to_owned()
        } else {
            self.call.config_json.clone()
        }
    }
}

impl clock::Host for HostState {
    fn now(&mut self) -> i64 {
        self.call.now_ms
    }
}

impl random::Host for HostState {
    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::kv::Host as _;
    use crate::kv::MemoryKv;

    fn state() -> HostState {
        let engine = wasmtime::Engine::default();
        HostState::new(
            Arc::from("p"),
            &PluginsConfig::default(),
            Arc::new(MemoryKv::new()),
            EpochTicker::start(&engine).expect("ticker"),
        )
    }

    #[test]
    fn the_epoch_ticks_only_while_an_armed_call_is_held() {
        let mut s = state();
        assert!(!s.ticker.is_ticking(), "nothing runs yet");
        let first = s.arm(10);
        let second = s.arm(10);
        assert!(s.ticker.is_ticking());
        drop(first);
        assert!(s.ticker.is_ticking(), "one call still runs");
        drop(second);
        assert!(
            !s.ticker.is_ticking(),
            "idle again once every call returned"
        );
    }

    #[test]
    fn imports_answer_from_the_call_context() {
        let mut s = state();
        let call = CallContext {
            guild: 9,
            config_json: r#"{"rate":2}"#.into(),
            now_ms: 1234,
            seed: 5,
        };
        s.begin_call(&call);
        assert_eq!(config::Host::get(&mut s), r#"{"rate":2}"#);
        assert_eq!(clock::Host::now(&mut s), 1234);
        let first: Vec<u64> = (0..4).map(|_| random::Host::next_u64(&mut s)).collect();
        // The same seed replays the same stream; another seed does not.
        s.begin_call(&call);
        let again: Vec<u64> = (0..4).map(|_| random::Host::next_u64(&mut s)).collect();
        assert_eq!(first, again);
        s.begin_call(&CallContext {
            seed: 6,
            ..call.clone()
        });
        assert_ne!(first[0], random::Host::next_u64(&mut s));
        s.begin_call(&CallContext::default());
        assert_eq!(config::Host::get(&mut s), "{}");
    }

    #[test]
    fn kv_is_namespaced_by_guild_and_limited() {
        let mut s = state();
        s.begin_call(&CallContext::new(1, 0, 0));
        s.set("streak".into(), b"3".to_vec()).unwrap();
        assert_eq!(s.get("streak".into()).unwrap(), Some(b"3".to_vec()));
        s.begin_call(&CallContext::new(2, 0, 0));
        assert_eq!(s.get("streak".into()).unwrap(), None);
        assert!(matches!(
            s.set("k".into(), vec![0; kv::KV_MAX_VALUE_BYTES + 1]),
            Err(wit_kv::KvError::ValueTooLarge(_))
        ));
        assert!(matches!(
            s.get(String::new()),
            Err(wit_kv::KvError::BadKey(128))
        ));
    }
}
