//! The one wasmtime [`Engine`] and [`Linker`] of the host, and the epoch ticker whose ticks
//! are when a call's CPU-time budget is looked at ([`super::cpu_budget`]).

use std::hash::{Hash, Hasher};
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

/// Starts the thread that advances the engine's epoch. It holds only a weak reference, so it
/// ends by itself once the engine is dropped.
pub(crate) fn start_epoch_ticker(engine: &Engine) -> Result<(), PluginError> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("plugin-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(|_| ())
        .map_err(|e| PluginError::Engine(format!("starting the epoch ticker: {e}")))
}

/// A short stable text for the engine's compilation settings, part of cache file names so an
/// artifact is only ever loaded by an engine that can run it.
pub(crate) fn compatibility_key(engine: &Engine) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}
