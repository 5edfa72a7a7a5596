//! The one wasmtime [`Engine`] and [`Linker`] of the host, and the epoch ticker whose ticks
//! are when a call's CPU-time budget is looked at ([`super::cpu_budget`]).

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig};

use super::bindings::Plugin;
use super::config::PluginsConfig;
use super::error::{PluginError, describe};
use super::state::HostState;

/// Interval between epoch ticks: how often a running call's CPU time is looked at.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(2);

fn wasmtime_config(cfg: &PluginsConfig, pooling: bool) -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config
        .wasm_component_model(true)
        // Plugins are synchronous: without concurrency support a call costs ~3.5x less.
        .concurrency_support(false)
        .epoch_interruption(true)
        .cranelift_opt_level(OptLevel::Speed)
        .parallel_compilation(true);
    if pooling {
        let instances = cfg.pool_total_instances.max(1);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(instances)
            // A Rust wasip2 component holds a few core instances (program, adapters, shims).
            .total_core_instances(instances.saturating_mul(8))
            .total_memories(instances.saturating_mul(2))
            .total_tables(instances.saturating_mul(8))
            .max_memory_size(cfg.memory_limit_bytes());
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// Builds the engine, with the pooling allocator when configured and the machine allows it
/// (it reserves virtual memory up front; a constrained container may refuse).
pub(crate) fn build_engine(cfg: &PluginsConfig) -> Result<Engine, PluginError> {
    if cfg.pooling {
        match Engine::new(&wasmtime_config(cfg, true)) {
            Ok(engine) => return Ok(engine),
            Err(err) => tracing::warn!(
                error = %describe(&err),
                "pooling allocator unavailable; falling back to on-demand allocation"
            ),
        }
    }
    Engine::new(&wasmtime_config(cfg, false)).map_err(|e| PluginError::Engine(describe(&e)))
}

/// The linker every plugin is instantiated with: the contract's imports plus WASI
/// (a plain wasip2 guest imports several WASI interfaces; the context grants nothing).
pub(crate) fn build_linker(engine: &Engine) -> Result<Linker<HostState>, PluginError> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
        .map_err(|e| PluginError::Engine(format!("linking WASI: {}", describe(&e))))?;
    Plugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
        .map_err(|e| PluginError::Engine(format!("linking host imports: {}", describe(&e))))?;
    Ok(linker)
}

/// The thread that advances the engine's epoch, ticking only while wasm runs.
///
/// WHY: a tick every [`EPOCH_TICK`] is 500 wake-ups a second; on an idle bot that was most of
/// its CPU. Everything that runs wasm holds a [`Running`] from [`EpochTicker::running`] for as
/// long as it runs (`HostState::arm` hands one out), and the thread parks while none is held.
/// The thread holds only a weak reference to the engine, so it ends by itself once the
/// engine is dropped (a parked thread looks again every [`IDLE_CHECK`]).
pub(crate) struct EpochTicker {
    running: Arc<AtomicUsize>,
    thread: std::thread::Thread,
}

/// How often a parked ticker checks whether its engine is gone.
const IDLE_CHECK: Duration = Duration::from_secs(1);

impl std::fmt::Debug for EpochTicker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpochTicker")
            .field("running", &self.running.load(Ordering::Relaxed))
            .finish()
    }
}

impl EpochTicker {
    pub(crate) fn start(engine: &Engine) -> Result<Arc<Self>, PluginError> {
        let weak = engine.weak();
        let running = Arc::new(AtomicUsize::new(0));
        let seen = running.clone();
        let handle = std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    if seen.load(Ordering::Acquire) == 0 {
                        drop(engine);
                        // `running` unparks it; an unpark that came first makes this return
                        // at once, so no start of a call is missed.
                        std::thread::park_timeout(IDLE_CHECK);
                        continue;
                    }
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .map_err(|e| PluginError::Engine(format!("starting the epoch ticker: {e}")))?;
        Ok(Arc::new(Self {
            running,
            thread: handle.thread().clone(),
        }))
    }

    /// Keeps the epoch ticking until the returned guard is dropped: hold it for as long as
    /// wasm runs, or a call that never returns is never stopped.
    pub(crate) fn running(self: &Arc<Self>) -> Running {
        if self.running.fetch_add(1, Ordering::AcqRel) == 0 {
            self.thread.unpark();
        }
        Running(self.clone())
    }

    /// Whether any wasm is running now (tests: the ticker is idle between calls).
    #[cfg(test)]
    pub(crate) fn is_ticking(&self) -> bool {
        self.running.load(Ordering::Acquire) > 0
    }
}

/// Wasm may be running: the epoch ticks while this lives.
#[must_use = "the epoch ticks only while this is held"]
pub(crate) struct Running(Arc<EpochTicker>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A short stable text for the engine's compilation settings, part of cache file names so an
/// artifact is only ever loaded by an engine that can run it.
pub(crate) fn compatibility_key(engine: &Engine) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}
