//! `server_config`: per-guild settings. A guild without a row uses [`Model::defaults`].
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "server_config")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub guild_id: String,
    pub xp_rate: f64,
    pub level_up_message: Option<String>,
    pub level_up_channel: Option<String>,
    pub quest_channel: Option<String>,
    pub achievement_channel: Option<String>,
    /// 0..=23, UTC.
    pub quest_reset_hour: i32,
    /// 0..=6, 0 = Monday.
    pub quest_reset_day: i32,
    /// JSONB on PostgreSQL, JSON text on SQLite.
    pub cooldowns: Option<Json>,
    pub xp_formula_plugin: Option<String>,
    pub card_style: Option<String>,
    pub demote_on_xp_loss: bool,
    /// Voice time in this channel never earns anything (Discord's AFK channel, usually).
    pub afk_channel: Option<String>,
    /// Forget a member's XP when they leave the guild (needs the privileged members intent).
    pub reset_on_leave: bool,
    /// Who sees the web leaderboard: `public`, `members`, `managers` or `off`
    /// ([`crate::server::LeaderboardVisibility`]).
    pub leaderboard_visibility: String,
    /// A public leaderboard may be indexed by search engines (otherwise `noindex`).
    pub leaderboard_indexable: bool,
    /// Where level-up messages go: `channel` (`level_up_channel`, or where the member
    /// spoke), `dm` or `off` ([`crate::server::LevelUpDestination`]).
    pub level_up_destination: String,
    /// Whether level-up messages ping the member they name.
    pub level_up_ping: bool,
    /// Sent with a level-up that gives a reward role (`{role}` names it); none when unset.
    pub role_reward_message: Option<String>,
    /// Level-up messages for particular levels: a JSON object of level → template (JSONB on
    /// PostgreSQL, JSON text on SQLite).
    pub level_messages: Option<Json>,
}

impl Model {
    /// The template for a level-up to `level`: its own message if the guild set one, else
    /// the guild's `level_up_message` (`None`: the default).
    pub fn level_up_template(&self, level: u32) -> Option<&str> {
        self.level_messages
            .as_ref()
            .and_then(|m| m.get(level.to_string()))
            .and_then(|v| v.as_str())
            .or(self.level_up_message.as_deref())
    }

    /// The configuration of a guild that never changed a setting (matches column defaults).
    pub fn defaults(guild_id: &str) -> Self {
        Self {
            guild_id: guild_id.to_string(),
            xp_rate: 1.0,
            level_up_message: None,
            level_up_channel: None,
            quest_channel: None,
            achievement_channel: None,
            quest_reset_hour: 0,
            quest_reset_day: 0,
            cooldowns: None,
            xp_formula_plugin: None,
            card_style: None,
            demote_on_xp_loss: false,
            afk_channel: None,
            reset_on_leave: false,
            leaderboard_visibility: "members".to_string(),
            leaderboard_indexable: false,
            level_up_destination: "channel".to_string(),
            level_up_ping: true,
            role_reward_message: None,
            level_messages: None,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
