//! One guarded plugin call: breaker check, an instance from the pool (or a fresh one), the
//! call context and deadline, the call itself, output validation, and the bookkeeping that
//! follows (instance back to the pool on success, dropped and counted against the breaker on
//! failure).

use std::sync::Arc;
use std::time::Instant;

use wasmtime::Store;

use super::config::PluginsConfig;
use super::error::{PluginError, describe};
use super::kind::PluginKind;
use super::loader::LoadedPlugin;
use super::pool::{Exports, instantiate};
use super::runtime::Runtime;
use super::state::{CallContext, HostState};

/// CPU time a call is given per item of a batch-shaped call, on top of `call_timeout_ms`: a
/// formula answering for 1,000 activities does 1,000 times the work of one. A hostile
/// plugin is still stopped: 1,000 items add 100 ms.
pub(crate) const PER_ITEM_ALLOWANCE_US: u64 = 100;

/// The CPU-time limit of a call with `items` inputs, in milliseconds.
pub(crate) fn limit_ms(cfg: &PluginsConfig, items: usize) -> u64 {
    let extra = (items as u64).saturating_mul(PER_ITEM_ALLOWANCE_US) / 1_000;
    cfg.call_timeout_ms.saturating_add(extra)
}

/// Turns a failed wasm call into the error the caller sees.
pub(crate) fn classify(
    plugin: &str,
    cfg: &PluginsConfig,
    state: &HostState,
    err: wasmtime::Error,
) -> PluginError {
    if let Some(trap) = err.downcast_ref::<wasmtime::Trap>()
        && *trap == wasmtime::Trap::Interrupt
    {
        return PluginError::Timeout {
            plugin: plugin.to_owned(),
            limit_ms: state.cpu.limit_ms(),
        };
    }
    if state.limiter.memory_refused {
        return PluginError::MemoryLimit {
            plugin: plugin.to_owned(),
            limit_mib: cfg.memory_limit_mib,
        };
    }
    // For a trap the root cause ("wasm trap: ...") is the message; the wasm backtrace that
    // wraps it is for debugging and goes to the log instead.
    let message = match err.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => {
            tracing::debug!(plugin, error = ?err, "plugin trapped");
            trap.to_string()
        }
        None => describe(&err),
    };
    PluginError::Trap {
        plugin: plugin.to_owned(),
        message,
    }
}

/// Does `f` with an instance of `plugin`, under every limit (the deadline grows with
/// `items`, the number of inputs of a batch-shaped call). `check` validates the result
/// (sizes, shapes) before it is handed back; a rejected result counts as a plugin failure.
/// Every call is counted per plugin for `/metrics` (see [`super::stats`]).
pub(crate) fn call<R>(
    rt: &Runtime,
    plugin: &Arc<LoadedPlugin>,
    kind: Option<PluginKind>,
    ctx: &CallContext,
    items: usize,
    f: impl FnOnce(&mut Store<HostState>, &Exports) -> wasmtime::Result<R>,
    check: impl FnOnce(&R) -> Result<(), String>,
) -> Result<R, PluginError> {
    let started = Instant::now();
    let result = guarded(rt, plugin, kind, ctx, items, f, check);
    let ran = !matches!(
        result,
        Err(PluginError::MissingKind { .. } | PluginError::Quarantined { .. })
    );
    rt.stats
        .record(&plugin.name, ran.then_some(started), result.is_ok());
    result
}

fn guarded<R>(
    rt: &Runtime,
    plugin: &Arc<LoadedPlugin>,
    kind: Option<PluginKind>,
    ctx: &CallContext,
    items: usize,
    f: impl FnOnce(&mut Store<HostState>, &Exports) -> wasmtime::Result<R>,
    check: impl FnOnce(&R) -> Result<(), String>,
) -> Result<R, PluginError> {
    let name = &*plugin.name;
    if let Some(kind) = kind
        && !plugin.info.kinds.contains(&kind)
    {
        return Err(PluginError::MissingKind {
            plugin: name.to_owned(),
            kind: kind.as_str().to_owned(),
        });
    }
    if let Err(open) = plugin.breaker.check(Instant::now()) {
        return Err(PluginError::Quarantined {
            plugin: name.to_owned(),
            failures: open.failures,
            retry_in_secs: open.retry_in.as_secs().max(1),
        });
    }
    let result = run(rt, plugin, ctx, items, f).and_then(|(value, slot)| {
        match check(&value) {
            Ok(()) => {
                plugin.pool.put(slot);
                Ok(value)
            }
            // The instance itself is healthy, but a plugin that produced a bad answer once
            // will likely again; drop its state with the answer.
            Err(reason) => Err(PluginError::BadOutput {
                plugin: name.to_owned(),
                reason,
            }),
        }
    });
    match &result {
        Ok(_) => plugin.breaker.success(),
        Err(err) if err.is_plugin_fault() => {
            if plugin.breaker.failure(Instant::now()) {
                tracing::warn!(plugin = name, error = %err, "plugin quarantined after repeated failures");
            } else {
                tracing::debug!(plugin = name, error = %err, "plugin call failed");
            }
        }
        Err(_) => {}
    }
    result
}

fn run<R>(
    rt: &Runtime,
    plugin: &Arc<LoadedPlugin>,
    ctx: &CallContext,
    items: usize,
    f: impl FnOnce(&mut Store<HostState>, &Exports) -> wasmtime::Result<R>,
) -> Result<(R, super::pool::Slot), PluginError> {
    let mut slot = match plugin.pool.take() {
        Some(slot) => slot,
        None => instantiate(
            &plugin.pre,
            &plugin.indices,
            rt.new_state(plugin.name.clone()),
            rt.cfg.call_timeout_ms,
        )
        .map_err(|e| {
            let message = describe(&e);
            PluginError::Instantiate {
                plugin: plugin.name.to_string(),
                message,
            }
        })?,
    };
    slot.store.data_mut().begin_call(ctx);
    // Held while the wasm below runs (the epoch ticks only meanwhile).
    let _running = slot.store.data_mut().arm(limit_ms(&rt.cfg, items));
    slot.store.set_epoch_deadline(1);
    let result = f(&mut slot.store, &slot.exports);
    if let Some(reason) = slot.store.data_mut().store_unavailable.take() {
        // The instance is fine; its answer was made without the stored state.
        plugin.pool.put(slot);
        return Err(PluginError::HostUnavailable {
            plugin: plugin.name.to_string(),
            reason,
        });
    }
    match result {
        Ok(value) => Ok((value, slot)),
        Err(err) => Err(classify(&plugin.name, &rt.cfg, slot.store.data(), err)),
    }
}
