//! What every load and call shares: the engine, the linker, the configuration, the
//! key-value store and the compile cache.

use std::sync::Arc;

use wasmtime::Engine;
use wasmtime::component::Linker;

use super::cache::CompileCache;
use super::config::PluginsConfig;
use super::error::PluginError;
use super::kv::KvStore;
use super::state::HostState;
use super::stats::CallStats;
use super::wasmtime_setup;

pub(crate) struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<HostState>,
    pub(crate) cfg: PluginsConfig,
    pub(crate) kv: Arc<dyn KvStore>,
    pub(crate) cache: CompileCache,
    /// Calls, failures and durations per plugin (`/metrics`).
    pub(crate) stats: CallStats,
    pub(crate) ticker: Arc<wasmtime_setup::EpochTicker>,
}

impl Runtime {
    pub(crate) fn new(cfg: &PluginsConfig, kv: Arc<dyn KvStore>) -> Result<Self, PluginError> {
        let engine = wasmtime_setup::build_engine(cfg)?;
        let linker = wasmtime_setup::build_linker(&engine)?;
        let ticker = wasmtime_setup::EpochTicker::start(&engine)?;
        let cache = CompileCache::new(
            cfg.cache_dir.clone(),
            wasmtime_setup::compatibility_key(&engine),
        );
        Ok(Self {
            engine,
            linker,
            cfg: cfg.clone(),
            kv,
            cache,
            stats: CallStats::default(),
            ticker,
        })
    }

    pub(crate) fn new_state(&self, plugin: Arc<str>) -> HostState {
        HostState::new(plugin, &self.cfg, self.kv.clone(), self.ticker.clone())
    }
}
