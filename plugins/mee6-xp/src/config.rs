//! The plugin's per-guild configuration (every field optional).

use std::collections::HashMap;

use questline_plugin_sdk::{JsonSchema, Snowflake, ids};
use serde::{Deserialize, Serialize};

/// How channel and role multipliers combine (as Polaris).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Stacking {
    /// channel × role.
    #[default]
    Multiply,
    /// 1 + (channel − 1) + (role − 1).
    Add,
    /// The larger of the two.
    Largest,
    /// The channel's when it has one, else the role's.
    Channel,
    /// The role's when the member has one, else the channel's.
    Role,
}

/// Configuration, e.g.
/// `{"min_xp": 15, "max_xp": 25, "role_multipliers": {"123": 2.0}, "stacking": "largest"}`.
///
/// The same type gives the plugin's settings schema, so what the host accepts is what this
/// parses; unknown keys are refused by the host (the parse itself stays lenient, so settings
/// stored before a key was renamed still load).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields, title = "mee6-xp settings")]
pub struct Config {
    /// Least XP per message.
    #[schemars(range(min = 0, max = 1_000_000))]
    pub min_xp: i64,
    /// Most XP per message (at least min_xp).
    #[schemars(range(min = 0, max = 1_000_000))]
    pub max_xp: i64,
    /// Seconds between two message awards.
    #[schemars(range(min = 0, max = 86_400))]
    pub cooldown_seconds: i64,
    /// Channels (or their parents) where nothing earns XP: ids as numbers or strings.
    #[serde(deserialize_with = "ids::deserialize_ids")]
    #[schemars(schema_with = "ids::ids_schema")]
    pub no_xp_channels: Vec<Snowflake>,
    /// Members with any of these roles earn nothing: ids as numbers or strings.
    #[serde(deserialize_with = "ids::deserialize_ids")]
    #[schemars(schema_with = "ids::ids_schema")]
    pub no_xp_roles: Vec<Snowflake>,
    /// Role id → multiplier; the member's largest applies; 0 bans XP.
    pub role_multipliers: HashMap<Snowflake, f64>,
    /// Channel id → multiplier, looked up for the channel then its parent; 0 bans XP.
    pub channel_multipliers: HashMap<Snowflake, f64>,
    /// How the channel and role multipliers combine.
    #[serde(alias = "stacking_mode")]
    pub stacking: Stacking,
    /// XP per minute of eligible voice time (0 = off).
    #[schemars(range(min = 0))]
    pub voice_xp_per_minute: f64,
    /// XP per reaction added (0 = off).
    #[schemars(range(min = 0))]
    pub reaction_xp: i64,
    /// XP per slash command used (0 = off).
    #[schemars(range(min = 0))]
    pub command_xp: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_xp: 15,
            max_xp: 25,
            cooldown_seconds: 60,
            no_xp_channels: Vec::new(),
            no_xp_roles: Vec::new(),
            role_multipliers: HashMap::new(),
            channel_multipliers: HashMap::new(),
            stacking: Stacking::Multiply,
            voice_xp_per_minute: 0.0,
            reaction_xp: 0,
            command_xp: 0,
        }
    }
}
