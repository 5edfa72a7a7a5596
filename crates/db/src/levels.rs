//! Members' XP, levels and activity counters; leaderboards; guild export/import.
//!
//! XP and counters only change through single atomic statements or transactions that start
//! by locking the member's row (`INSERT ... ON CONFLICT DO UPDATE`), so concurrent awards
//! never lose an update on either backend. XP is clamped at 0: taking away more XP than a
//! member has leaves them at 0 rather than failing, because moderators expect "remove 500 XP"
//! to work on a member who has 300.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};

use super::changes::{LevelCurve, MemberDelta, XpOutcome};
use super::entities::levels;
use super::error::DbError;
use super::{Db, check_id};

/// The activity counters of `levels`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityCounter {
    Messages,
    VoiceTimeSeconds,
    TotalMessages,
    TotalReactions,
    CommandsUsed,
}

impl ActivityCounter {
    /// The column name (trusted: from this enum only, never from input).
    pub fn column(self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::VoiceTimeSeconds => "voice_time_seconds",
            Self::TotalMessages => "total_messages",
            Self::TotalReactions => "total_reactions",
            Self::CommandsUsed => "commands_used",
        }
    }

    /// Parses the data model's counter names (`messages`, `voice_time_seconds`, ...).
    pub fn parse(name: &str) -> Result<Self, DbError> {
        Ok(match name {
            "messages" => Self::Messages,
            "voice_time_seconds" => Self::VoiceTimeSeconds,
            "total_messages" => Self::TotalMessages,
            "total_reactions" => Self::TotalReactions,
            "commands_used" => Self::CommandsUsed,
            other => {
                return Err(DbError::invalid(
                    "counter",
                    format!(
                        "`{other}` is not a counter; use messages, voice_time_seconds, total_messages, total_reactions or commands_used"
                    ),
                ));
            }
        })
    }
}

/// One leaderboard line.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult, Serialize)]
pub struct LeaderboardEntry {
    /// 1-based; members with equal XP share a rank.
    pub rank: i64,
    pub user_id: String,
    pub xp: i64,
    pub level: i32,
}

/// A member's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MemberRank {
    pub rank: i64,
    /// Visible members of the guild.
    pub total: i64,
    pub xp: i64,
    pub level: i32,
    /// `xp` plus what season resets moved out of it.
    pub lifetime_xp: i64,
}

/// A change in whether a member is on the server, as Discord tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Away {
    /// They left (or were kicked): off the leaderboards until they return.
    Left,
    /// They were banned: off the leaderboards until unbanned.
    Banned,
    /// The ban was lifted; `must_rejoin` when the bot sees members join (the members intent),
    /// so they count as having left until they do.
    Unbanned { must_rejoin: bool },
    /// They joined again, or were active (a departure the bot missed the return of).
    Returned,
}

/// A `levels` row without its id: the export/import format of a guild.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelRecord {
    pub user_id: String,
    pub xp: i64,
    pub level: i32,
    #[serde(default)]
    pub messages: i64,
    #[serde(default)]
    pub voice_time_seconds: i64,
    #[serde(default)]
    pub total_messages: i64,
    #[serde(default)]
    pub total_reactions: i64,
    #[serde(default)]
    pub commands_used: i64,
    #[serde(default)]
    pub last_message_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub hidden: bool,
    /// XP season resets moved out of `xp` (lifetime XP is `xp + carried_xp`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub carried_xp: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl LevelRecord {
    /// The member's Discord id. `user_id` stays the stored text (this is the export format,
    /// where ids are strings); a stored id that is not a number is reported, not guessed.
    pub fn user(&self) -> Result<u64, DbError> {
        self.user_id.parse().map_err(|_| {
            DbError::invalid(
                "user_id",
                format!("stored member id `{}` is not a Discord id", self.user_id),
            )
        })
    }
}

impl Db {
    /// A member's level row, or `None` if they never earned anything (cached).
    pub async fn get_user_level(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Option<levels::Model>, DbError> {
        let guild_id: &str = &guild.to_string();
        let user_id: &str = &user.to_string();
        let key = (guild_id.to_string(), user_id.to_string());
        let cache = &self.caches().user_stats;
        if let Some(hit) = cache.get(&key) {
            return Ok(hit.map(|m| (*m).clone()));
        }
        let generation = cache.generation();
        let row = self
            .retry("get_user_level", || async {
                levels::Entity::find()
                    .filter(levels::Column::GuildId.eq(guild_id))
                    .filter(levels::Column::UserId.eq(user_id))
                    .one(self.conn())
                    .await
                    .map_err(DbError::from)
            })
            .await?;
        cache.insert_if_fresh(key, row.clone().map(Arc::new), generation);
        Ok(row)
    }

    /// Several members' rows of one guild (`None` for a member without one), from the cache
    /// where possible and with one query per 500 misses otherwise: the engine reads every
    /// member of a batch at once instead of one round trip each.
    pub async fn get_user_levels(
        &self,
        guild: u64,
        users: &[u64],
    ) -> Result<HashMap<u64, Option<levels::Model>>, DbError> {
        let guild_id: &str = &guild.to_string();
        let cache = &self.caches().user_stats;
        let (hits, missing, generation) = cache.members(guild_id, users);
        let mut found: HashMap<u64, Option<levels::Model>> = hits
            .into_iter()
            .map(|(user, hit)| (user, hit.map(|m| (*m).clone())))
            .collect();
        if !missing.is_empty() {
            let loaded = self
                .load_levels(&vec![(guild_id.to_string(), missing)], generation)
                .await?;
            found.extend(super::quests::by_user_id(users, loaded));
        }
        Ok(found)
    }

    /// Adds `xp_amount` (may be negative; the result is clamped at 0) and recomputes the
    /// level with `curve`, atomically.
    pub async fn award_xp(
        &self,
        guild: u64,
        user: u64,
        xp_amount: i64,
        curve: &dyn LevelCurve,
    ) -> Result<XpOutcome, DbError> {
        let guild_id: &str = &guild.to_string();
        let user_id: &str = &user.to_string();
        let delta = MemberDelta {
            xp: xp_amount,
            ..MemberDelta::new(guild, user)
        };
        let outcome = self
            .retry("award_xp", || async {
                let txn = self.begin_write().await?;
                let outcome = apply_earned_delta(&txn, &delta, curve, Utc::now()).await?;
                txn.commit().await?;
                Ok::<_, DbError>(outcome)
            })
            .await?;
        self.caches().member_changed(guild_id, user_id);
        Ok(outcome)
    }

    /// Adds `increment` to one counter in one atomic statement and returns the new value.
    /// A result below 0 is rejected by the schema ([`DbError::Constraint`]); nothing changes.
    pub async fn update_activity_counter(
        &self,
        guild: u64,
        user: u64,
        counter: ActivityCounter,
        increment: i64,
    ) -> Result<i64, DbError> {
        let guild_id: &str = &guild.to_string();
        let user_id: &str = &user.to_string();
        let col = counter.column();
        let sql = format!(
            "INSERT INTO levels (guild_id, user_id, {col}) VALUES ($1, $2, $3) \
             ON CONFLICT (guild_id, user_id) DO UPDATE SET {col} = levels.{col} + excluded.{col} \
             RETURNING {col}"
        );
        let value = self
            .retry("update_activity_counter", || async {
                let row = self
                    .conn()
                    .query_one(self.stmt(
                        &sql,
                        vec![guild_id.into(), user_id.into(), increment.into()],
                    ))
                    .await?
                    .ok_or_else(|| DbError::Other("upsert returned no row".into()))?;
                Ok::<_, DbError>(row.try_get::<i64>("", col)?)
            })
            .await?;
        self.caches().member_changed(guild_id, user_id);
        Ok(value)
    }

    /// Hides a member from leaderboards and ranks (privacy opt-out), or shows them again.
    pub async fn set_member_hidden(
        &self,
        guild: u64,
        user: u64,
        hidden: bool,
    ) -> Result<(), DbError> {
        let guild_id: &str = &guild.to_string();
        let user_id: &str = &user.to_string();
        self.retry("set_member_hidden", || async {
            self.conn()
                .execute(self.stmt(
                    "INSERT INTO levels (guild_id, user_id, hidden) VALUES ($1, $2, $3) \
                     ON CONFLICT (guild_id, user_id) DO UPDATE SET hidden = excluded.hidden",
                    vec![guild_id.into(), user_id.into(), hidden.into()],
                ))
                .await?;
            Ok::<_, DbError>(())
        })
        .await?;
        self.caches().member_changed(guild_id, user_id);
        Ok(())
    }

    /// Records a member leaving, being banned, being unbanned or coming back (see [`Away`]);
    /// a member with no row has nothing on a leaderboard and gets none. Returns whether a
    /// row changed.
    pub async fn mark_away(&self, guild: u64, user: u64, change: Away) -> Result<bool, DbError> {
        let guild_id: &str = &guild.to_string();
        let user_id: &str = &user.to_string();
        // (new value, the values it replaces): a ban outranks leaving; only a ban is lifted
        // by an unban; coming back clears leaving, never a ban.
        let (to, from) = match change {
            Away::Left => ("left", "away = ''"),
            Away::Banned => ("banned", "away IN ('', 'left')"),
            Away::Unbanned { must_rejoin: true } => ("left", "away = 'banned'"),
            Away::Unbanned { must_rejoin: false } => ("", "away = 'banned'"),
            Away::Returned => ("", "away = 'left'"),
        };
        let sql =
            format!("UPDATE levels SET away = $1 WHERE guild_id = $2 AND user_id = $3 AND {from}");
        let changed = self
            .retry("mark_away", || async {
                let done = self
                    .conn()
                    .execute(self.stmt(&sql, vec![to.into(), guild_id.into(), user_id.into()]))
                    .await?;
                Ok::<_, DbError>(done.rows_affected() > 0)
            })
            .await?;
        if changed {
            self.caches().member_changed(guild_id, user_id);
        }
        Ok(changed)
    }

    /// One page of the guild leaderboard (hidden members excluded), highest XP first.
    /// `page` is 0-based. The same read as the web leaderboard's
    /// ([`Db::leaderboard_rows`]), without the names.
    pub async fn leaderboard_page(
        &self,
        guild: u64,
        page: u64,
        page_size: u64,
    ) -> Result<Vec<LeaderboardEntry>, DbError> {
        Ok(self
            .leaderboard_rows(guild, page, page_size)
            .await?
            .into_iter()
            .map(|r| LeaderboardEntry {
                rank: r.rank,
                user_id: r.user_id.to_string(),
                xp: r.xp,
                level: r.level,
            })
            .collect())
    }

    /// A member's rank among visible members; `None` if unknown, hidden or away.
    pub async fn member_rank(&self, guild: u64, user: u64) -> Result<Option<MemberRank>, DbError> {
        let guild_id: &str = &guild.to_string();
        let Some(me) = self.get_user_level(guild, user).await? else {
            return Ok(None);
        };
        if me.hidden || !me.away.is_empty() {
            return Ok(None);
        }
        self.retry("member_rank", || async {
            let row = self
                .conn()
                .query_one(self.stmt(
                    "SELECT \
                       (SELECT COUNT(*) FROM levels WHERE guild_id = $1 AND hidden = $2 AND away = '' AND xp > $3) AS ahead, \
                       (SELECT COUNT(*) FROM levels WHERE guild_id = $1 AND hidden = $2 AND away = '') AS total",
                    vec![guild_id.into(), false.into(), me.xp.into()],
                ))
                .await?
                .ok_or_else(|| DbError::Other("count returned no row".into()))?;
            Ok(Some(MemberRank {
                rank: row.try_get::<i64>("", "ahead")? + 1,
                total: row.try_get::<i64>("", "total")?,
                xp: me.xp,
                level: me.level,
                lifetime_xp: me.xp.saturating_add(me.carried_xp),
            }))
        })
        .await
    }

    /// `(user, level)` of the guild's members at `min_level` or above, by user id (`/sync`
    /// walks the members a reward could concern).
    pub async fn members_at_level(
        &self,
        guild: u64,
        min_level: i32,
    ) -> Result<Vec<(u64, i32)>, DbError> {
        let guild_id: &str = &guild.to_string();
        let rows: Vec<(String, i32)> = self
            .retry("members_at_level", || async {
                Ok::<_, DbError>(
                    levels::Entity::find()
                        .select_only()
                        .column(levels::Column::UserId)
                        .column(levels::Column::Level)
                        .filter(levels::Column::GuildId.eq(guild_id))
                        .filter(levels::Column::Level.gte(min_level))
                        .order_by_asc(levels::Column::UserId)
                        .into_tuple()
                        .all(self.conn())
                        .await?,
                )
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(u, l)| Some((u.parse().ok()?, l)))
            .collect())
    }

    /// Every `levels` row of a guild (for backups and moving between backends).
    pub async fn export_guild_levels(&self, guild: u64) -> Result<Vec<LevelRecord>, DbError> {
        let guild_id: &str = &guild.to_string();
        let rows = self
            .retry("export_guild_levels", || async {
                Ok::<_, DbError>(
                    levels::Entity::find()
                        .filter(levels::Column::GuildId.eq(guild_id))
                        .order_by_asc(levels::Column::UserId)
                        .all(self.conn())
                        .await?,
                )
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|m| LevelRecord {
                user_id: m.user_id,
                xp: m.xp,
                level: m.level,
                messages: m.messages,
                voice_time_seconds: m.voice_time_seconds,
                total_messages: m.total_messages,
                total_reactions: m.total_reactions,
                commands_used: m.commands_used,
                last_message_time: m.last_message_time,
                hidden: m.hidden,
                carried_xp: m.carried_xp,
            })
            .collect())
    }

    /// Upserts `records` into the guild in one transaction: either all rows are written
    /// (replacing existing values) or none. Returns the number of rows written.
    pub async fn import_guild_levels(
        &self,
        guild: u64,
        records: &[LevelRecord],
    ) -> Result<u64, DbError> {
        let guild_id: &str = &guild.to_string();
        for r in records {
            check_id("user_id", &r.user_id)?;
            if r.xp < 0 || r.level < 0 || r.carried_xp < 0 {
                return Err(DbError::invalid(
                    "levels",
                    format!("member {} has negative xp or level", r.user_id),
                ));
            }
        }
        let written = self
            .retry("import_guild_levels", || async {
                let txn = self.begin_write().await?;
                for r in records {
                    txn.execute(Statement::from_sql_and_values(
                        txn.get_database_backend(),
                        "INSERT INTO levels (guild_id, user_id, xp, level, messages, voice_time_seconds, \
                           total_messages, total_reactions, commands_used, last_message_time, hidden, carried_xp) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                         ON CONFLICT (guild_id, user_id) DO UPDATE SET xp = excluded.xp, level = excluded.level, \
                           messages = excluded.messages, voice_time_seconds = excluded.voice_time_seconds, \
                           total_messages = excluded.total_messages, total_reactions = excluded.total_reactions, \
                           commands_used = excluded.commands_used, last_message_time = excluded.last_message_time, \
                           hidden = excluded.hidden, carried_xp = excluded.carried_xp",
                        vec![
                            guild_id.into(),
                            r.user_id.as_str().into(),
                            r.xp.into(),
                            r.level.into(),
                            r.messages.into(),
                            r.voice_time_seconds.into(),
                            r.total_messages.into(),
                            r.total_reactions.into(),
                            r.commands_used.into(),
                            r.last_message_time.into(),
                            r.hidden.into(),
                            r.carried_xp.into(),
                        ],
                    ))
                    .await?;
                }
                txn.commit().await?;
                Ok::<_, DbError>(records.len() as u64)
            })
            .await?;
        self.caches().all_changed();
        Ok(written)
    }
}

/// [`apply_member_delta`] for XP a member earned at `at` (a reward, an award): the change
/// also counts in their week, month and season totals.
pub(crate) async fn apply_earned_delta<C: ConnectionTrait>(
    c: &C,
    delta: &MemberDelta,
    curve: &dyn LevelCurve,
    at: DateTime<Utc>,
) -> Result<XpOutcome, DbError> {
    let outcome = apply_member_delta(c, delta, curve).await?;
    let change = outcome.new_xp.saturating_sub(outcome.old_xp);
    super::bulk::period_change(c, delta.guild_id, delta.user_id, change, at).await?;
    Ok(outcome)
}

/// Applies one member's counter and XP deltas inside the caller's transaction.
///
/// The first statement upserts the counters with the XP gain ([`super::bulk::folded_xp`])
/// and returns the row's XP and level while holding its row lock (PostgreSQL) or the write
/// lock (SQLite), so the read-modify-write below cannot interleave with another transaction
/// on the same member. The second runs only if the level (or an XP loss) changes the row.
pub(crate) async fn apply_member_delta<C: ConnectionTrait>(
    c: &C,
    d: &MemberDelta,
    curve: &dyn LevelCurve,
) -> Result<XpOutcome, DbError> {
    let backend: DbBackend = c.get_database_backend();
    let row = c
        .query_one(Statement::from_sql_and_values(
            backend,
            super::bulk::counter_upsert("VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", "xp, level"),
            super::bulk::counter_values(d),
        ))
        .await?
        .ok_or_else(|| DbError::Other("upsert returned no row".into()))?;
    let stored_xp: i64 = row.try_get("", "xp")?;
    let old_level: i32 = row.try_get("", "level")?;
    let (old_xp, new_xp) = super::bulk::xp_change(stored_xp, d.xp, super::bulk::folded_xp(d.xp));
    if d.xp == 0 {
        return Ok(XpOutcome {
            old_xp,
            new_xp,
            old_level,
            new_level: old_level,
        });
    }
    let new_level = curve.level_for_xp(new_xp).max(0);
    if (new_xp, new_level) != (stored_xp, old_level) {
        c.execute(Statement::from_sql_and_values(
            backend,
            "UPDATE levels SET xp = $1, level = $2 WHERE guild_id = $3 AND user_id = $4",
            vec![
                new_xp.into(),
                new_level.into(),
                d.guild_id.to_string().into(),
                d.user_id.to_string().into(),
            ],
        ))
        .await?;
    }
    Ok(XpOutcome {
        old_xp,
        new_xp,
        old_level,
        new_level,
    })
}
