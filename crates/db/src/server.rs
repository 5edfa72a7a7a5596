//! Per-guild server configuration (cached).

use std::sync::Arc;

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Statement};

use super::Db;
use super::entities::server_config::{self, Column};
use super::error::DbError;

/// One setting and its new value (`update_server_config(guild, setting, value)`,
/// typed so a value can only go to a column of its type).
#[derive(Debug, Clone, PartialEq)]
pub enum ServerSetting {
    XpRate(f64),
    LevelUpMessage(Option<String>),
    LevelUpChannel(Option<String>),
    QuestChannel(Option<String>),
    AchievementChannel(Option<String>),
    QuestResetHour(i32),
    QuestResetDay(i32),
    /// The stored `cooldowns` object, carried by exports and imports. Not a command
    /// setting (not in [`ServerSetting::NAMES`]): cooldowns are the XP formula plugin's
    /// settings (mee6-xp's `cooldown_seconds`), which apply them.
    Cooldowns(Option<serde_json::Value>),
    XpFormulaPlugin(Option<String>),
    CardStyle(Option<String>),
    DemoteOnXpLoss(bool),
    AfkChannel(Option<String>),
    ResetOnLeave(bool),
    LeaderboardVisibility(LeaderboardVisibility),
    LeaderboardIndexable(bool),
    LevelUpDestination(LevelUpDestination),
    LevelUpPing(bool),
    RoleRewardMessage(Option<String>),
}

/// Where a guild's level-up messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LevelUpDestination {
    /// `level_up_channel`, or where the member spoke when none is set (the default).
    Channel,
    /// A direct message to the member.
    Dm,
    /// Nowhere (roles are still given).
    Off,
}

impl LevelUpDestination {
    pub const ALL: [Self; 3] = [Self::Channel, Self::Dm, Self::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Dm => "dm",
            Self::Off => "off",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(value.trim()))
    }

    /// A stored value that is not a known name (written by hand) counts as the default.
    pub fn of(model: &server_config::Model) -> Self {
        Self::parse(&model.level_up_destination).unwrap_or(Self::Channel)
    }
}

/// Who may see a guild's web leaderboard (pages and JSON API alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LeaderboardVisibility {
    /// Anyone with the link, logged in or not.
    Public,
    /// Members of the guild, logged in with Discord (the default).
    Members,
    /// Members with Manage Server or Administrator only.
    Managers,
    /// Nobody: the guild has no web leaderboard.
    Off,
}

impl LeaderboardVisibility {
    pub const ALL: [Self; 4] = [Self::Public, Self::Members, Self::Managers, Self::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Members => "members",
            Self::Managers => "managers",
            Self::Off => "off",
        }
    }

    /// The stored or typed name; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(value.trim()))
    }

    /// A stored value that is not a known name (written by hand) counts as the most
    /// private one that still works for the guild's managers.
    pub fn of(model: &server_config::Model) -> Self {
        Self::parse(&model.leaderboard_visibility).unwrap_or(Self::Managers)
    }
}

impl std::fmt::Display for LeaderboardVisibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Discord id: 1 to 20 digits.
fn is_snowflake(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 20
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u64>().is_ok()
}

fn parse_bool(field: &'static str, value: &str) -> Result<bool, DbError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(DbError::invalid(
            field,
            format!("`{value}` is not on/off; use true or false"),
        )),
    }
}

impl ServerSetting {
    /// Every setting's name, as `parse` accepts it.
    pub const NAMES: &'static [&'static str] = &[
        "xp_rate",
        "level_up_message",
        "level_up_channel",
        "level_up_destination",
        "level_up_ping",
        "role_reward_message",
        "quest_channel",
        "achievement_channel",
        "quest_reset_hour",
        "quest_reset_day",
        "xp_formula_plugin",
        "card_style",
        "demote_on_xp_loss",
        "afk_channel",
        "reset_on_leave",
        "leaderboard_visibility",
        "leaderboard_indexable",
    ];

    /// Parses the string form admins type, e.g. `("xp_rate", "1.5")`; empty text clears optional
    /// settings.
    pub fn parse(setting: &str, value: &str) -> Result<Self, DbError> {
        let opt = || (!value.is_empty()).then(|| value.to_string());
        // `<#123>` (how Discord shows a channel mention) means channel 123.
        let channel = || {
            let v = value
                .strip_prefix("<#")
                .and_then(|v| v.strip_suffix('>'))
                .unwrap_or(value);
            (!v.is_empty()).then(|| v.to_string())
        };
        let int = |field: &'static str| {
            value
                .parse::<i32>()
                .map_err(|_| DbError::invalid(field, format!("`{value}` is not a whole number")))
        };
        Ok(match setting {
            "xp_rate" => {
                Self::XpRate(value.parse::<f64>().map_err(|_| {
                    DbError::invalid("xp_rate", format!("`{value}` is not a number"))
                })?)
            }
            "level_up_message" => Self::LevelUpMessage(opt()),
            "level_up_channel" => Self::LevelUpChannel(channel()),
            "quest_channel" => Self::QuestChannel(channel()),
            "achievement_channel" => Self::AchievementChannel(channel()),
            "quest_reset_hour" => Self::QuestResetHour(int("quest_reset_hour")?),
            "quest_reset_day" => Self::QuestResetDay(int("quest_reset_day")?),
            "xp_formula_plugin" => Self::XpFormulaPlugin(opt()),
            "card_style" => Self::CardStyle(opt()),
            "demote_on_xp_loss" => Self::DemoteOnXpLoss(parse_bool("demote_on_xp_loss", value)?),
            "afk_channel" => Self::AfkChannel(channel()),
            "reset_on_leave" => Self::ResetOnLeave(parse_bool("reset_on_leave", value)?),
            "leaderboard_visibility" => Self::LeaderboardVisibility(
                LeaderboardVisibility::parse(value).ok_or_else(|| {
                    DbError::invalid(
                        "leaderboard_visibility",
                        format!(
                            "`{value}` is not a visibility; use public, members, managers or off"
                        ),
                    )
                })?,
            ),
            "leaderboard_indexable" => {
                Self::LeaderboardIndexable(parse_bool("leaderboard_indexable", value)?)
            }
            "level_up_destination" => {
                Self::LevelUpDestination(LevelUpDestination::parse(value).ok_or_else(|| {
                    DbError::invalid(
                        "level_up_destination",
                        format!("`{value}` is not a destination; use channel, dm or off"),
                    )
                })?)
            }
            "level_up_ping" => Self::LevelUpPing(parse_bool("level_up_ping", value)?),
            "role_reward_message" => Self::RoleRewardMessage(opt()),
            other => {
                return Err(DbError::invalid(
                    "setting",
                    format!(
                        "`{other}` is not a server setting; the settings are {}",
                        Self::NAMES.join(", ")
                    ),
                ));
            }
        })
    }

    fn validate(&self) -> Result<(), DbError> {
        match self {
            Self::XpRate(r) if !r.is_finite() || *r < 0.0 => {
                Err(DbError::invalid("xp_rate", "must be a finite number >= 0"))
            }
            Self::QuestResetHour(h) if !(0..=23).contains(h) => {
                Err(DbError::invalid("quest_reset_hour", "must be 0..=23 (UTC)"))
            }
            Self::QuestResetDay(d) if !(0..=6).contains(d) => Err(DbError::invalid(
                "quest_reset_day",
                "must be 0..=6 (0 = Monday)",
            )),
            Self::LevelUpChannel(Some(c))
            | Self::QuestChannel(Some(c))
            | Self::AchievementChannel(Some(c))
            | Self::AfkChannel(Some(c))
                if !is_snowflake(c) =>
            {
                Err(DbError::invalid(
                    "channel",
                    format!(
                        "`{c}` is not a channel id; give the channel's numeric id (or mention it)"
                    ),
                ))
            }
            Self::LevelUpMessage(Some(m)) if m.len() > 2_000 => Err(DbError::invalid(
                "level_up_message",
                "at most 2000 bytes (Discord's limit)",
            )),
            Self::RoleRewardMessage(Some(m)) if m.len() > 2_000 => Err(DbError::invalid(
                "role_reward_message",
                "at most 2000 bytes (Discord's limit)",
            )),
            _ => Ok(()),
        }
    }

    fn column_value(&self) -> (Column, SimpleExpr) {
        match self.clone() {
            Self::XpRate(v) => (Column::XpRate, Expr::value(v)),
            Self::LevelUpMessage(v) => (Column::LevelUpMessage, Expr::value(v)),
            Self::LevelUpChannel(v) => (Column::LevelUpChannel, Expr::value(v)),
            Self::QuestChannel(v) => (Column::QuestChannel, Expr::value(v)),
            Self::AchievementChannel(v) => (Column::AchievementChannel, Expr::value(v)),
            Self::QuestResetHour(v) => (Column::QuestResetHour, Expr::value(v)),
            Self::QuestResetDay(v) => (Column::QuestResetDay, Expr::value(v)),
            Self::Cooldowns(v) => (Column::Cooldowns, Expr::value(v)),
            Self::XpFormulaPlugin(v) => (Column::XpFormulaPlugin, Expr::value(v)),
            Self::CardStyle(v) => (Column::CardStyle, Expr::value(v)),
            Self::DemoteOnXpLoss(v) => (Column::DemoteOnXpLoss, Expr::value(v)),
            Self::AfkChannel(v) => (Column::AfkChannel, Expr::value(v)),
            Self::ResetOnLeave(v) => (Column::ResetOnLeave, Expr::value(v)),
            Self::LeaderboardVisibility(v) => {
                (Column::LeaderboardVisibility, Expr::value(v.as_str()))
            }
            Self::LeaderboardIndexable(v) => (Column::LeaderboardIndexable, Expr::value(v)),
            Self::LevelUpDestination(v) => (Column::LevelUpDestination, Expr::value(v.as_str())),
            Self::LevelUpPing(v) => (Column::LevelUpPing, Expr::value(v)),
            Self::RoleRewardMessage(v) => (Column::RoleRewardMessage, Expr::value(v)),
        }
    }
}

impl Db {
    /// The guild's configuration; defaults if it never changed a setting (cached).
    pub async fn get_server_config(&self, guild: u64) -> Result<server_config::Model, DbError> {
        let guild_id: &str = &guild.to_string();
        let cache = &self.caches().server_config;
        let key = guild_id.to_string();
        if let Some(hit) = cache.get(&key) {
            return Ok((*hit).clone());
        }
        let generation = cache.generation();
        let row = self
            .retry("get_server_config", || async {
                Ok::<_, DbError>(
                    server_config::Entity::find()
                        .filter(Column::GuildId.eq(guild_id))
                        .one(self.conn())
                        .await?,
                )
            })
            .await?
            .unwrap_or_else(|| server_config::Model::defaults(guild_id));
        cache.insert_if_fresh(key, Arc::new(row.clone()), generation);
        Ok(row)
    }

    /// Changes one setting (creating the guild's row with defaults first if needed).
    pub async fn update_server_config(
        &self,
        guild: u64,
        setting: ServerSetting,
    ) -> Result<server_config::Model, DbError> {
        let guild_id: &str = &guild.to_string();
        setting.validate()?;
        let (column, value) = setting.column_value();
        let row = self
            .retry("update_server_config", || async {
                let txn = self.begin_write().await?;
                txn.execute(Statement::from_sql_and_values(
                    txn.get_database_backend(),
                    "INSERT INTO server_config (guild_id) VALUES ($1) ON CONFLICT (guild_id) DO NOTHING",
                    vec![guild_id.into()],
                ))
                .await?;
                server_config::Entity::update_many()
                    .col_expr(column, value.clone())
                    .filter(Column::GuildId.eq(guild_id))
                    .exec(&txn)
                    .await?;
                let row = server_config::Entity::find_by_id(guild_id.to_string())
                    .one(&txn)
                    .await?
                    .ok_or_else(|| DbError::not_found("server_config row"))?;
                txn.commit().await?;
                Ok::<_, DbError>(row)
            })
            .await?;
        self.caches().config_changed(guild_id);
        Ok(row)
    }

    /// Sets (or with `None` removes) the level-up message for `level`; the guild's other
    /// per-level messages stay. Returns the guild's row after the change.
    pub async fn set_level_message(
        &self,
        guild: u64,
        level: u32,
        message: Option<&str>,
    ) -> Result<server_config::Model, DbError> {
        if message.is_some_and(|m| m.len() > 2_000) {
            return Err(DbError::invalid(
                "message",
                "at most 2000 bytes (Discord's limit)",
            ));
        }
        let guild_id: &str = &guild.to_string();
        let row = self
            .retry("set_level_message", || async {
                let txn = self.begin_write().await?;
                txn.execute(Statement::from_sql_and_values(
                    txn.get_database_backend(),
                    "INSERT INTO server_config (guild_id) VALUES ($1) ON CONFLICT (guild_id) DO NOTHING",
                    vec![guild_id.into()],
                ))
                .await?;
                let current = server_config::Entity::find_by_id(guild_id.to_string())
                    .one(&txn)
                    .await?
                    .ok_or_else(|| DbError::not_found("server_config row"))?;
                let mut map = match current.level_messages {
                    Some(serde_json::Value::Object(m)) => m,
                    _ => serde_json::Map::new(),
                };
                match message {
                    Some(m) => map.insert(level.to_string(), m.into()),
                    None => map.remove(&level.to_string()),
                };
                let value = (!map.is_empty()).then_some(serde_json::Value::Object(map));
                server_config::Entity::update_many()
                    .col_expr(Column::LevelMessages, Expr::value(value))
                    .filter(Column::GuildId.eq(guild_id))
                    .exec(&txn)
                    .await?;
                let row = server_config::Entity::find_by_id(guild_id.to_string())
                    .one(&txn)
                    .await?
                    .ok_or_else(|| DbError::not_found("server_config row"))?;
                txn.commit().await?;
                Ok::<_, DbError>(row)
            })
            .await?;
        self.caches().config_changed(guild_id);
        Ok(row)
    }

    /// Every guild the database knows (a config row, a quest or a member), sorted by the
    /// stored text: what start-up walks to apply quest resets missed while the bot was down.
    /// A stored id that is not a number is left out: it cannot be a Discord guild.
    pub async fn list_guilds(&self) -> Result<Vec<u64>, DbError> {
        #[derive(FromQueryResult)]
        struct Row {
            guild_id: String,
        }
        self.retry("list_guilds", || async {
            let rows = Row::find_by_statement(Statement::from_string(
                self.conn().get_database_backend(),
                "SELECT guild_id FROM server_config UNION SELECT guild_id FROM quests \
                 UNION SELECT guild_id FROM levels ORDER BY guild_id",
            ))
            .all(self.conn())
            .await?;
            Ok::<_, DbError>(
                rows.into_iter()
                    .filter_map(|r| r.guild_id.parse().ok())
                    .collect(),
            )
        })
        .await
    }

    /// Channel for level-up announcements (`None`: announce where the member spoke).
    pub async fn get_level_up_channel(&self, guild: u64) -> Result<Option<String>, DbError> {
        Ok(self.get_server_config(guild).await?.level_up_channel)
    }

    /// Channel for quest notifications.
    pub async fn get_quest_channel(&self, guild: u64) -> Result<Option<String>, DbError> {
        Ok(self.get_server_config(guild).await?.quest_channel)
    }
}
