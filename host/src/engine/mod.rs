//! The leveling engine: activities in; XP, levels, roles, quest progress and achievements out.
//!
//! Flow: a front ([`Engine::submit`]) → bounded queue → batching task ([`runner`]) →
//! [`Pipeline`] (dedupe, voice seconds, per-guild computation with the plugins, ONE
//! transaction per batch for all its guilds through the repository's batch API) → after the commit,
//! [`Effect`]s to an [`EffectSink`]. The [`QuestManager`] generates and resets quests on the
//! engine's [`Clock`]. Pure building blocks: [`curve`], [`dedupe`], [`schedule`],
//! [`template`], [`voice`].

pub mod activity;
pub mod announce;
pub mod boosts;
pub mod boot;
mod ceiling;
pub mod clock;
pub mod config;
pub mod curve;
mod cycle;
pub mod dedupe;
pub mod effects;
pub mod error;
mod guild_batch;
pub mod kv;
pub mod manual_xp;
pub mod metrics;
pub mod pipeline;
pub mod plugin_cache;
pub mod plugin_commands;
pub mod quests;
pub mod role_sync;
pub mod runner;
pub mod schedule;
pub mod seasons;
pub mod template;
pub mod voice;
pub mod wit;

pub use activity::{Activity, ActivityKind};
pub use clock::{Clock, ManualClock, OffsetClock, SystemClock};
pub use config::{EngineConfig, QuestCounts};
pub use effects::{CollectingSink, Effect, EffectSink, NullSink};
pub use error::EngineError;
pub use kv::DbKv;
pub use manual_xp::{MAX_MANUAL_XP, XpAdjusted, XpChange};
pub use metrics::{CounterSnapshot, EngineCounters};
pub use pipeline::{BatchReport, EngineDeps, Pipeline};
pub use plugin_commands::{CommandCall, CommandOutcome, MAX_PLUGIN_GRANT, PluginCommand};
pub use quests::{ForcedReset, QuestManager, ResetReport};
pub use runner::Engine;
pub use voice::VoiceChange;
