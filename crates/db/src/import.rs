//! Importing a guild's members, level roles and settings in ONE transaction: either the
//! whole import is stored or nothing is (a file that fails half-way changes nothing).
//!
//! The caller (the `import` module: MEE6, Polaris, Experienced and Questline's own export)
//! has parsed and validated the rows; this module computes each member's final XP from the
//! stored row and the mode, recomputes the level with the guild's curve, and writes rows in
//! multi-row upserts of `CHUNK` members.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Statement,
    Value,
};
use serde::Serialize;

use super::Db;
use super::changes::LevelCurve;
use super::entities::{levels, server_config};
use super::error::DbError;

/// Members written per statement.
const CHUNK: usize = 400;

/// How imported XP meets XP already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// The file's XP (and counters, when it has them) replace the stored values.
    Overwrite,
    /// The file's XP (and counters) are added to the stored values.
    Add,
}

/// The activity counters a Questline export carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportedCounters {
    pub messages: i64,
    pub voice_time_seconds: i64,
    pub total_messages: i64,
    pub total_reactions: i64,
    pub commands_used: i64,
}

/// One member to import. Only total XP is required; the level is always recomputed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedMember {
    #[serde(serialize_with = "crate::id_text")]
    pub user_id: u64,
    pub xp: i64,
    pub counters: Option<ImportedCounters>,
    pub last_message_time: Option<DateTime<Utc>>,
    pub hidden: Option<bool>,
}

/// A level role (MEE6 role rewards, Questline exports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedRole {
    #[serde(serialize_with = "crate::id_text")]
    pub role_id: u64,
    pub level: i32,
    pub is_stacked: bool,
}

/// Everything one import writes.
#[derive(Debug, Clone, Copy)]
pub struct ImportData<'a> {
    pub members: &'a [ImportedMember],
    pub roles: &'a [ImportedRole],
    /// A whole `server_config` row to restore (Questline exports).
    pub server_config: Option<&'a server_config::Model>,
}

/// What an import stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Members that had no row before.
    pub created: u64,
    /// Members whose row was updated.
    pub updated: u64,
    pub roles: u64,
    pub server_config: bool,
    /// Total XP of the imported members after the import.
    pub total_xp: i64,
    /// Members whose stored level changed.
    pub levels_changed: u64,
}

impl Db {
    /// Imports `data` into `guild` in one transaction. `progress` is called with the
    /// number of members written so far after every chunk.
    pub async fn import_guild(
        &self,
        guild: u64,
        data: ImportData<'_>,
        mode: ImportMode,
        curve: &dyn LevelCurve,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportCounts, DbError> {
        let guild: &str = &guild.to_string();
        for m in data.members {
            if m.xp < 0 {
                return Err(DbError::invalid(
                    "xp",
                    format!("member {} has negative XP ({})", m.user_id, m.xp),
                ));
            }
        }
        if let Some(cfg) = data.server_config
            && cfg.guild_id != guild
        {
            return Err(DbError::invalid(
                "server_config",
                "belongs to another guild; the importer must rewrite guild_id",
            ));
        }
        let counts = self
            .retry("import_guild", || async {
                let txn = self.begin_write().await?;
                let counts = import_in(&txn, guild, data, mode, curve, progress).await?;
                txn.commit().await?;
                Ok::<_, DbError>(counts)
            })
            .await?;
        self.invalidate_all_caches();
        Ok(counts)
    }

    /// Drops every cached entry (after bulk writes that touch many keys).
    pub(crate) fn invalidate_all_caches(&self) {
        self.caches().all_changed();
    }

    /// Members of the guild with XP: whom an import would overwrite or add to (a member
    /// who only used a command has a row but nothing to lose).
    pub async fn count_guild_members_with_xp(&self, guild: u64) -> Result<u64, DbError> {
        let guild: &str = &guild.to_string();
        self.retry("count_guild_members_with_xp", || async {
            let row = self
                .conn()
                .query_one(self.stmt(
                    "SELECT COUNT(*) AS n FROM levels WHERE guild_id = $1 AND xp > 0",
                    vec![guild.into()],
                ))
                .await?
                .ok_or_else(|| DbError::Other("count returned no row".into()))?;
            Ok::<_, DbError>(row.try_get::<i64>("", "n")?.max(0) as u64)
        })
        .await
    }

    /// How many members the guild has stored.
    pub async fn count_guild_members(&self, guild: u64) -> Result<u64, DbError> {
        let guild: &str = &guild.to_string();
        self.retry("count_guild_members", || async {
            let row = self
                .conn()
                .query_one(self.stmt(
                    "SELECT COUNT(*) AS n FROM levels WHERE guild_id = $1",
                    vec![guild.into()],
                ))
                .await?
                .ok_or_else(|| DbError::Other("count returned no row".into()))?;
            Ok::<_, DbError>(row.try_get::<i64>("", "n")?.max(0) as u64)
        })
        .await
    }
}

async fn import_in<C: ConnectionTrait>(
    c: &C,
    guild: &str,
    data: ImportData<'_>,
    mode: ImportMode,
    curve: &dyn LevelCurve,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<ImportCounts, DbError> {
    let backend = c.get_database_backend();
    let mut query = levels::Entity::find().filter(levels::Column::GuildId.eq(guild));
    if backend == DbBackend::Postgres {
        // Members are read, combined and written back: hold them against the running bot.
        query = query.lock_exclusive();
    }
    let existing: HashMap<String, levels::Model> = query
        .all(c)
        .await?
        .into_iter()
        .map(|m| (m.user_id.clone(), m))
        .collect();

    let mut counts = ImportCounts::default();
    let mut written = 0u64;
    for chunk in data.members.chunks(CHUNK) {
        let mut sql = String::from(
            "INSERT INTO levels (guild_id, user_id, xp, level, messages, voice_time_seconds, \
             total_messages, total_reactions, commands_used, last_message_time, hidden) VALUES ",
        );
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 11);
        for (i, m) in chunk.iter().enumerate() {
            let old = existing.get(&m.user_id.to_string());
            let row = combine(guild, old, m, mode, curve);
            match old {
                None => counts.created += 1,
                Some(o) => {
                    counts.updated += 1;
                    if o.level != row.level {
                        counts.levels_changed += 1;
                    }
                }
            }
            if old.is_none() && row.level != 0 {
                counts.levels_changed += 1;
            }
            counts.total_xp = counts.total_xp.saturating_add(row.xp);
            if i > 0 {
                sql.push_str(", ");
            }
            let base = values.len();
            sql.push('(');
            for k in 1..=11 {
                if k > 1 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", base + k));
            }
            sql.push(')');
            values.extend([
                row.guild_id.into(),
                row.user_id.into(),
                row.xp.into(),
                row.level.into(),
                row.messages.into(),
                row.voice_time_seconds.into(),
                row.total_messages.into(),
                row.total_reactions.into(),
                row.commands_used.into(),
                row.last_message_time.into(),
                row.hidden.into(),
            ]);
        }
        sql.push_str(
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET xp = excluded.xp, level = excluded.level, \
             messages = excluded.messages, voice_time_seconds = excluded.voice_time_seconds, \
             total_messages = excluded.total_messages, total_reactions = excluded.total_reactions, \
             commands_used = excluded.commands_used, last_message_time = excluded.last_message_time, \
             hidden = excluded.hidden",
        );
        c.execute(Statement::from_sql_and_values(backend, &sql, values))
            .await?;
        written += chunk.len() as u64;
        progress(written);
    }

    for r in data.roles {
        c.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO roles (guild_id, role_id, level, is_stacked) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (guild_id, role_id) DO UPDATE SET level = excluded.level, is_stacked = excluded.is_stacked",
            vec![
                guild.into(),
                r.role_id.to_string().into(),
                r.level.into(),
                r.is_stacked.into(),
            ],
        ))
        .await?;
        counts.roles += 1;
    }

    if let Some(cfg) = data.server_config {
        c.execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO server_config (guild_id, xp_rate, level_up_message, level_up_channel, quest_channel, \
               achievement_channel, quest_reset_hour, quest_reset_day, cooldowns, xp_formula_plugin, card_style, \
               demote_on_xp_loss, afk_channel, reset_on_leave, leaderboard_visibility, leaderboard_indexable, \
               level_up_destination, level_up_ping, role_reward_message, level_messages) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
             ON CONFLICT (guild_id) DO UPDATE SET xp_rate = excluded.xp_rate, \
               level_up_message = excluded.level_up_message, level_up_channel = excluded.level_up_channel, \
               quest_channel = excluded.quest_channel, achievement_channel = excluded.achievement_channel, \
               quest_reset_hour = excluded.quest_reset_hour, quest_reset_day = excluded.quest_reset_day, \
               cooldowns = excluded.cooldowns, xp_formula_plugin = excluded.xp_formula_plugin, \
               card_style = excluded.card_style, demote_on_xp_loss = excluded.demote_on_xp_loss, \
               afk_channel = excluded.afk_channel, reset_on_leave = excluded.reset_on_leave, \
               leaderboard_visibility = excluded.leaderboard_visibility, \
               leaderboard_indexable = excluded.leaderboard_indexable, \
               level_up_destination = excluded.level_up_destination, level_up_ping = excluded.level_up_ping, \
               role_reward_message = excluded.role_reward_message, level_messages = excluded.level_messages",
            vec![
                guild.into(),
                cfg.xp_rate.into(),
                cfg.level_up_message.clone().into(),
                cfg.level_up_channel.clone().into(),
                cfg.quest_channel.clone().into(),
                cfg.achievement_channel.clone().into(),
                cfg.quest_reset_hour.into(),
                cfg.quest_reset_day.into(),
                cfg.cooldowns.clone().into(),
                cfg.xp_formula_plugin.clone().into(),
                cfg.card_style.clone().into(),
                cfg.demote_on_xp_loss.into(),
                cfg.afk_channel.clone().into(),
                cfg.reset_on_leave.into(),
                cfg.leaderboard_visibility.clone().into(),
                cfg.leaderboard_indexable.into(),
                cfg.level_up_destination.clone().into(),
                cfg.level_up_ping.into(),
                cfg.role_reward_message.clone().into(),
                cfg.level_messages.clone().into(),
            ],
        ))
        .await?;
        counts.server_config = true;
    }
    Ok(counts)
}

/// The row a member ends up with.
fn combine(
    guild: &str,
    old: Option<&levels::Model>,
    m: &ImportedMember,
    mode: ImportMode,
    curve: &dyn LevelCurve,
) -> levels::Model {
    let base = old.cloned().unwrap_or(levels::Model {
        id: 0,
        guild_id: guild.to_string(),
        user_id: m.user_id.to_string(),
        xp: 0,
        level: 0,
        messages: 0,
        voice_time_seconds: 0,
        total_messages: 0,
        total_reactions: 0,
        commands_used: 0,
        last_message_time: None,
        hidden: false,
        away: String::new(),
        carried_xp: 0,
    });
    let add = mode == ImportMode::Add;
    let pick = |old: i64, new: i64| {
        if add { old.saturating_add(new) } else { new }
    };
    let xp = pick(base.xp, m.xp).max(0);
    let (messages, voice, total_messages, reactions, commands) = match m.counters {
        Some(c) => (
            pick(base.messages, c.messages),
            pick(base.voice_time_seconds, c.voice_time_seconds),
            pick(base.total_messages, c.total_messages),
            pick(base.total_reactions, c.total_reactions),
            pick(base.commands_used, c.commands_used),
        ),
        None => (
            base.messages,
            base.voice_time_seconds,
            base.total_messages,
            base.total_reactions,
            base.commands_used,
        ),
    };
    let last_message_time = match (base.last_message_time, m.last_message_time) {
        (a, None) => a,
        (None, b) => b,
        (Some(a), Some(b)) => Some(if add { a.max(b) } else { b }),
    };
    levels::Model {
        xp,
        level: curve.level_for_xp(xp).max(0),
        messages: messages.max(0),
        voice_time_seconds: voice.max(0),
        total_messages: total_messages.max(0),
        total_reactions: reactions.max(0),
        commands_used: commands.max(0),
        last_message_time,
        hidden: m.hidden.unwrap_or(base.hidden),
        ..base
    }
}
