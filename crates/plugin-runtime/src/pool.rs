//! Ready plugin instances, reused across calls. An instance is taken out for a call (no lock
//! is held while wasm runs) and put back only if the call succeeded; an instance that trapped
//! or hit a limit is dropped, since a component instance is poisoned after a trap.

use std::sync::Mutex;

use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre};

use super::bindings::{achievement_check, card_style, commands, metadata, quest_type, xp_formula};
use super::cpu_budget::on_epoch_tick;
use super::state::HostState;

/// Export indices resolved once per component; `None` when the kind is not exported.
pub(crate) struct KindIndices {
    pub(crate) metadata: metadata::GuestIndices,
    pub(crate) xp_formula: Option<xp_formula::GuestIndices>,
    pub(crate) quest_type: Option<quest_type::GuestIndices>,
    pub(crate) achievement_check: Option<achievement_check::GuestIndices>,
    pub(crate) card_style: Option<card_style::GuestIndices>,
    pub(crate) commands: Option<commands::GuestIndices>,
}

/// The typed exports of one instance.
pub(crate) struct Exports {
    pub(crate) metadata: metadata::Guest,
    pub(crate) xp_formula: Option<xp_formula::Guest>,
    pub(crate) quest_type: Option<quest_type::Guest>,
    pub(crate) achievement_check: Option<achievement_check::Guest>,
    pub(crate) card_style: Option<card_style::Guest>,
    pub(crate) commands: Option<commands::Guest>,
}

impl KindIndices {
    pub(crate) fn load(
        &self,
        store: &mut Store<HostState>,
        instance: &Instance,
    ) -> wasmtime::Result<Exports> {
        Ok(Exports {
            metadata: self.metadata.load(&mut *store, instance)?,
            xp_formula: self
                .xp_formula
                .as_ref()
                .map(|i| i.load(&mut *store, instance))
                .transpose()?,
            quest_type: self
                .quest_type
                .as_ref()
                .map(|i| i.load(&mut *store, instance))
                .transpose()?,
            achievement_check: self
                .achievement_check
                .as_ref()
                .map(|i| i.load(&mut *store, instance))
                .transpose()?,
            card_style: self
                .card_style
                .as_ref()
                .map(|i| i.load(&mut *store, instance))
                .transpose()?,
            commands: self
                .commands
                .as_ref()
                .map(|i| i.load(&mut *store, instance))
                .transpose()?,
        })
    }
}

/// One ready instance and its store.
pub(crate) struct Slot {
    pub(crate) store: Store<HostState>,
    pub(crate) exports: Exports,
}

/// Instantiates a fresh slot from the pre-instantiated component; its start-up runs under a
/// budget of `limit_ms` milliseconds of CPU time, like a call.
pub(crate) fn instantiate(
    pre: &InstancePre<HostState>,
    indices: &KindIndices,
    state: HostState,
    limit_ms: u64,
) -> wasmtime::Result<Slot> {
    let mut store = Store::new(pre.engine(), state);
    store.limiter(|s| &mut s.limiter);
    store.epoch_deadline_callback(on_epoch_tick);
    // Held while the wasm below runs (the epoch ticks only meanwhile).
    let _running = store.data_mut().arm(limit_ms);
    store.set_epoch_deadline(1);
    let instance = pre.instantiate(&mut store)?;
    let exports = indices.load(&mut store, &instance)?;
    Ok(Slot { store, exports })
}

/// The idle instances of one plugin.
pub(crate) struct Pool {
    idle: Mutex<Vec<Slot>>,
    capacity: usize,
}

impl Pool {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            idle: Mutex::new(Vec::with_capacity(capacity)),
            capacity,
        }
    }

    /// An idle instance, if any.
    pub(crate) fn take(&self) -> Option<Slot> {
        self.idle.lock().ok()?.pop()
    }

    /// Returns a healthy instance; it is dropped when the pool is full.
    pub(crate) fn put(&self, slot: Slot) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.capacity
        {
            idle.push(slot);
        }
    }
}
