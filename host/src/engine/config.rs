//! `[engine]` configuration: batching, queue size, quest generation.

use serde::{Deserialize, Serialize};

/// `[engine]` section. Every field has a default so an empty section is valid.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Capacity of the activity queue; a full queue makes `submit` wait (backpressure).
    pub queue_capacity: usize,
    /// Most events in one batch. Batches grow only under load (the next one is collected
    /// while one commits), and a bigger batch costs less per event: at 8,192 the bot does
    /// about 2.6× the events per second it does at 1,024 (README, Performance).
    pub batch_max_events: usize,
    /// The latency budget of a batch, in milliseconds: its first event may wait this long,
    /// less what batches currently take to process, before the batch goes (a full batch goes
    /// at once). Batches then hold everything that arrived meanwhile, which is what keeps
    /// the CPU per event low at moderate load; 0 sends every batch as soon as the pipeline is
    /// free. Under load it changes nothing: the oldest event has waited longer already.
    pub batch_max_wait_ms: u64,
    /// How many transactions commit a batch side by side on PostgreSQL (disjoint guilds,
    /// each on its own connection); 0 = one per core of this machine, at most 4. Raise it
    /// when PostgreSQL runs on a bigger machine than the bot. SQLite always uses one.
    pub commit_lanes: usize,
    /// XP formula used when a guild has not chosen one (`server_config.xp_formula_plugin`),
    /// and for a batch whose guild's own formula has an unusable level curve.
    pub default_xp_plugin: String,
    /// The most XP one activity may earn at a guild's `xp_rate` of 1 (a higher rate scales it
    /// up), whatever the formula answers; larger answers are clamped, logged and counted
    /// (`questline_engine_xp_clamped_total`).
    pub max_xp_per_activity: i64,
    /// The most XP a quest or achievement that a plugin defines may reward (admins' own are
    /// limited by their commands); larger rewards are clamped, logged and counted.
    pub max_reward_xp: i64,
    /// How many times a batch whose commit failed is retried (after the repository's own
    /// retries) before its events are counted as failed.
    pub commit_attempts: u32,
    /// How often the QuestManager checks for due resets and running voice sessions are
    /// credited, in seconds, when no activity arrives.
    pub tick_secs: u64,
    /// How long message and reaction ids are remembered to drop replays, in seconds.
    pub dedupe_ttl_secs: u64,
    /// How many ids are remembered at most.
    pub dedupe_capacity: u64,
    /// Quests generated per reset.
    pub quests: QuestCounts,
    /// Seed of the plugins' `random` streams; `None` draws one at start-up.
    pub seed: Option<u64>,
}

/// How many quests a reset generates per cycle.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct QuestCounts {
    pub daily: usize,
    pub weekly: usize,
    pub monthly: usize,
}

impl Default for QuestCounts {
    fn default() -> Self {
        Self {
            daily: 3,
            weekly: 2,
            monthly: 1,
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 50_000,
            batch_max_events: 8_192,
            batch_max_wait_ms: 40,
            commit_lanes: 0,
            default_xp_plugin: "mee6-xp".to_string(),
            max_xp_per_activity: 10_000,
            max_reward_xp: 1_000_000,
            commit_attempts: 3,
            tick_secs: 60,
            dedupe_ttl_secs: 900,
            dedupe_capacity: 100_000,
            quests: QuestCounts::default(),
            seed: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_is_defaults_and_unknown_keys_are_refused() {
        let cfg: EngineConfig = toml::from_str("").expect("empty is valid");
        assert_eq!(cfg, EngineConfig::default());
        let cfg: EngineConfig =
            toml::from_str("batch_max_events = 8\n[quests]\ndaily = 1").expect("valid");
        assert_eq!(cfg.batch_max_events, 8);
        assert_eq!(cfg.quests.daily, 1);
        assert_eq!(cfg.quests.weekly, 2);
        assert!(toml::from_str::<EngineConfig>("batch_size = 8").is_err());
    }
}
