//! The plugin runtime: wasmtime components against the `questline:plugin` WIT package.
//!
//! Every policy of the bot is a plugin. [`PluginHost`] loads them (bundled in the binary, and
//! `.wasm` files from the plugin directory, which override bundled ones of the same name),
//! hot-reloads the directory, and calls them under limits: CPU time per call (checked at epoch ticks),
//! memory, tables and instances, bounded output, WASI without filesystem, network or
//! environment. A misbehaving plugin yields a typed [`PluginError`] and loses its instance;
//! one that keeps failing is quarantined by a circuit breaker. The host keeps running.
//!
//! Module map: [`config`](PluginsConfig) · `wasmtime_setup` (the wasmtime Engine and Linker, epoch ticker) · `cpu_budget` (call limits in CPU time) ·
//! `bindings` (the single `bindgen!`) · `state` (per-store state and host imports) ·
//! `kv` · `output` (stdout/stderr to tracing) · `cache` (compiled artifacts on disk) ·
//! `loader` (checks) · `capability` (declared host interfaces) · `settings` (settings schemas) · `pool` (ready instances) · `invoke` (one guarded call) · `stats` (calls, failures, durations per plugin) · `calls`
//! (typed per-kind API) · `breaker` · `registry` (atomic snapshot) · `watcher` (hot reload).

mod bindings;
mod breaker;
pub mod bundled;
mod cache;
mod calls;
mod capability;
mod config;
mod cpu_budget;
mod error;
mod host;
mod inline;
mod invoke;
mod kind;
mod kv;
mod loader;
mod output;
mod pool;
mod registry;
mod runtime;
mod settings;
mod state;
mod stats;
mod wasmtime_setup;
mod watcher;

pub use cache::{CacheOutcome, sha256_hex};
pub use calls::{MAX_INTENTS, MAX_LIST_ITEMS, MAX_SVG_BYTES, MAX_TEXT_BYTES};
pub use capability::{Capability, CapabilityUse, MAX_WHY_BYTES};
pub use config::PluginsConfig;
pub use error::PluginError;
pub use host::{PluginHost, PluginReport};
pub use inline::{calls_are_inline, calls_inline};
pub use kind::{MAX_LEVEL, PluginInfo, PluginKind, PluginSource, valid_plugin_name};
pub use kv::{KV_MAX_KEY_BYTES, KV_MAX_KEYS, KV_MAX_VALUE_BYTES, KvError, KvStore, MemoryKv};
pub use loader::{CONTRACT, LoadStats};
pub use registry::{PluginState, PluginStatus};
pub use settings::{MAX_SCHEMA_BYTES, SettingKey, SettingsProblems, SettingsSchema};
pub use state::CallContext;
pub use stats::PluginCallStats;
pub use watcher::PluginWatcher;

/// The contract's data types, generated from `wit/`, under their WIT names.
pub use bindings::achievement_check::CheckInput;
pub use bindings::quest_type::{MemberRun, ProgressOutcome, ProgressStep};
pub use bindings::types::{
    AchievementDef, AchievementTemplate, Activity, ActivityKind, CardData, CommandDetails,
    CommandInvocation, CommandOption, CommandSpec, Difficulty, Embed, EmbedField, Intent,
    MemberStats, MessageDetails, OptionKind, OptionValue, QuestCategory, QuestDef, QuestProgress,
    QuestTemplate, ReactionDetails, RefreshCycle, Reply, VoiceDetails, XpGrant,
};
pub use bindings::xp_formula::XpContext;
