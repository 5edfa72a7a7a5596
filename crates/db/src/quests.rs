//! Quest definitions (instances), members' progress, and quest rewards.
//!
//! A quest "instance" is one `quests` row. A reset marks the old rows inactive and creates new
//! ones, so progress rows (one per member and instance) never need resetting.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement,
};
use serde::Serialize;

use super::Db;
use super::batch::QuestCompletion;
use super::changes::{LevelCurve, MemberDelta, QuestProgressUpdate};
use super::entities::{quests, user_quests};
use super::error::DbError;
use super::levels::apply_earned_delta;

pub const QUEST_TYPES: [&str; 5] = ["daily", "weekly", "special", "event", "challenge"];
pub const REFRESH_CYCLES: [&str; 4] = ["daily", "weekly", "monthly", "once"];
pub const DIFFICULTIES: [&str; 3] = ["easy", "medium", "hard"];
pub const REQUIREMENT_TYPES: [&str; 4] = [
    "total_messages",
    "total_reactions",
    "voice_time_seconds",
    "commands_used",
];

/// Ends the guild's active quests among `quest_ids` and deletes their unfinished progress
/// (it can never complete; finished progress stays as history), inside the caller's
/// transaction, so no database is left with progress `questline db verify` would call stale.
/// Returns how many quests it ended. Both ways quests end (an admin's delete, a cycle's
/// reset) go through here.
pub(crate) async fn end_quests<C: ConnectionTrait>(
    c: &C,
    guild_id: &str,
    quest_ids: &[i64],
) -> Result<u64, DbError> {
    if quest_ids.is_empty() {
        return Ok(0);
    }
    let ended = quests::Entity::update_many()
        .col_expr(quests::Column::Active, false.into())
        .filter(quests::Column::GuildId.eq(guild_id))
        .filter(quests::Column::Active.eq(true))
        .filter(quests::Column::Id.is_in(quest_ids.iter().copied()))
        .exec(c)
        .await?
        .rows_affected;
    user_quests::Entity::delete_many()
        .filter(user_quests::Column::GuildId.eq(guild_id))
        .filter(user_quests::Column::Completed.eq(false))
        .filter(user_quests::Column::QuestId.is_in(quest_ids.iter().copied()))
        .exec(c)
        .await?;
    Ok(ended)
}

/// Arguments of [`Db::create_quest`] (`None` picks the column's default; see `docs/schema.md`).
#[derive(Debug, Clone)]
pub struct NewQuest {
    pub guild_id: u64,
    pub name: String,
    pub description: String,
    pub quest_type: String,
    pub requirement_type: String,
    pub requirement_value: i64,
    pub reward_xp: i64,
    /// Default 1.0.
    pub reward_multiplier: Option<f64>,
    /// Default `medium`.
    pub difficulty: Option<String>,
    /// Default: `daily`/`weekly` for those quest types, otherwise `once`.
    pub refresh_cycle: Option<String>,
    /// When the quest was created, from the caller's clock (the engine's clock, event time in
    /// a simulation) rather than the wall clock, so a seeded simulation stores the same rows
    /// every run.
    pub created_at: DateTime<Utc>,
}

/// An active quest with the member's progress on it (if any).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserQuest {
    /// Shared, not copied: a member's view is cloned on every cache hit and patched on every
    /// write-through, and the definitions (names, descriptions) are the same for everyone.
    pub quest: Arc<quests::Model>,
    pub progress: Option<user_quests::Model>,
}

/// When a guild's quests reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuestResetSettings {
    /// Hour of day, UTC (0..=23).
    pub quest_reset_hour: i32,
    /// Day of week for weekly resets (0 = Monday).
    pub quest_reset_day: i32,
}

fn one_of(field: &'static str, value: &str, allowed: &[&str]) -> Result<(), DbError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(DbError::invalid(
            field,
            format!("`{value}` is not one of {}", allowed.join(", ")),
        ))
    }
}

impl NewQuest {
    /// The row to insert, from [`Self::validate`]'s (difficulty, refresh cycle, multiplier).
    pub(crate) fn active_model(&self, validated: &(String, String, f64)) -> quests::ActiveModel {
        let (difficulty, refresh_cycle, multiplier) = validated;
        quests::ActiveModel {
            id: NotSet,
            guild_id: Set(self.guild_id.to_string()),
            name: Set(self.name.clone()),
            description: Set(self.description.clone()),
            quest_type: Set(self.quest_type.clone()),
            requirement_type: Set(self.requirement_type.clone()),
            requirement_value: Set(self.requirement_value),
            reward_xp: Set(self.reward_xp),
            reward_multiplier: Set(*multiplier),
            active: Set(true),
            refresh_cycle: Set(refresh_cycle.clone()),
            difficulty: Set(difficulty.clone()),
            created_at: Set(self.created_at),
        }
    }

    pub(crate) fn validate(&self) -> Result<(String, String, f64), DbError> {
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err(DbError::invalid("name", "must be 1 to 200 characters"));
        }
        one_of("quest_type", &self.quest_type, &QUEST_TYPES)?;
        if !self.requirement_type.starts_with("plugin:") {
            one_of(
                "requirement_type",
                &self.requirement_type,
                &REQUIREMENT_TYPES,
            )
            .map_err(|_| {
                DbError::invalid(
                    "requirement_type",
                    format!(
                        "`{}` is not one of {} (or plugin:<name>)",
                        self.requirement_type,
                        REQUIREMENT_TYPES.join(", ")
                    ),
                )
            })?;
        }
        if self.requirement_value < 0 || self.reward_xp < 0 {
            return Err(DbError::invalid(
                "requirement_value/reward_xp",
                "cannot be negative",
            ));
        }
        let multiplier = self.reward_multiplier.unwrap_or(1.0);
        if !multiplier.is_finite() || multiplier < 0.0 {
            return Err(DbError::invalid(
                "reward_multiplier",
                "must be a finite number >= 0",
            ));
        }
        let difficulty = self.difficulty.clone().unwrap_or_else(|| "medium".into());
        one_of("difficulty", &difficulty, &DIFFICULTIES)?;
        let cycle = self
            .refresh_cycle
            .clone()
            .unwrap_or_else(|| match self.quest_type.as_str() {
                "daily" => "daily".into(),
                "weekly" => "weekly".into(),
                _ => "once".into(),
            });
        one_of("refresh_cycle", &cycle, &REFRESH_CYCLES)?;
        Ok((difficulty, cycle, multiplier))
    }
}

impl Db {
    /// Creates a quest instance (active).
    pub async fn create_quest(&self, quest: NewQuest) -> Result<quests::Model, DbError> {
        let (difficulty, refresh_cycle, multiplier) = quest.validate()?;
        let created = self
            .retry("create_quest", || async {
                let model =
                    quest.active_model(&(difficulty.clone(), refresh_cycle.clone(), multiplier));
                Ok::<_, DbError>(model.insert(self.conn()).await?)
            })
            .await?;
        self.caches()
            .quests_changed(&created.guild_id, &[created.id]);
        Ok(created)
    }

    /// A quest by id (cached).
    pub async fn get_quest(&self, quest_id: i64) -> Result<Option<quests::Model>, DbError> {
        let cache = &self.caches().quest;
        if let Some(hit) = cache.get(&quest_id) {
            return Ok(Some((*hit).clone()));
        }
        let generation = cache.generation();
        let found = self
            .retry("get_quest", || async {
                Ok::<_, DbError>(
                    quests::Entity::find_by_id(quest_id)
                        .one(self.conn())
                        .await?,
                )
            })
            .await?;
        if let Some(q) = &found {
            cache.insert_if_fresh(quest_id, Arc::new(q.clone()), generation);
        }
        Ok(found)
    }

    /// The guild's active quests, optionally of one type (cached per guild).
    pub async fn get_guild_active_quests(
        &self,
        guild: u64,
        quest_type: Option<&str>,
    ) -> Result<Vec<quests::Model>, DbError> {
        let guild_id: &str = &guild.to_string();
        let all = self.active_quests(guild_id).await?;
        Ok(all
            .iter()
            .filter(|q| quest_type.is_none_or(|t| q.quest_type == t))
            .cloned()
            .collect())
    }

    pub(crate) async fn active_quests(
        &self,
        guild_id: &str,
    ) -> Result<Arc<Vec<quests::Model>>, DbError> {
        let cache = &self.caches().active_quests;
        let key = guild_id.to_string();
        if let Some(hit) = cache.get(&key) {
            return Ok(hit);
        }
        let generation = cache.generation();
        let rows = self
            .retry("get_guild_active_quests", || async {
                Ok::<_, DbError>(
                    quests::Entity::find()
                        .filter(quests::Column::GuildId.eq(guild_id))
                        .filter(quests::Column::Active.eq(true))
                        .order_by_asc(quests::Column::Id)
                        .all(self.conn())
                        .await?,
                )
            })
            .await?;
        let rows = Arc::new(rows);
        cache.insert_if_fresh(key, rows.clone(), generation);
        Ok(rows)
    }

    /// The guild's active quests with the member's progress on each (cached per member).
    pub async fn get_user_active_quests(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Vec<UserQuest>, DbError> {
        let guild_id: &str = &guild.to_string();
        let user_id: &str = &user.to_string();
        let key = (guild_id.to_string(), user_id.to_string());
        let cache = &self.caches().user_quests;
        if let Some(hit) = cache.get(&key) {
            return Ok((*hit).clone());
        }
        let generation = cache.generation();
        let active = self.active_quests(guild_id).await?;
        let ids: Vec<i64> = active.iter().map(|q| q.id).collect();
        let progress = if ids.is_empty() {
            Vec::new()
        } else {
            self.retry("get_user_active_quests", || async {
                Ok::<_, DbError>(
                    user_quests::Entity::find()
                        .filter(user_quests::Column::GuildId.eq(guild_id))
                        .filter(user_quests::Column::UserId.eq(user_id))
                        .filter(user_quests::Column::QuestId.is_in(ids.clone()))
                        .all(self.conn())
                        .await?,
                )
            })
            .await?
        };
        let view: Vec<UserQuest> = active
            .iter()
            .map(|q| UserQuest {
                quest: Arc::new(q.clone()),
                progress: progress.iter().find(|p| p.quest_id == q.id).cloned(),
            })
            .collect();
        cache.insert_if_fresh(key, Arc::new(view.clone()), generation);
        Ok(view)
    }

    /// [`Self::get_user_active_quests`] for several members of one guild at once: cache hits
    /// plus one query per 500 misses.
    pub async fn get_users_active_quests(
        &self,
        guild: u64,
        users: &[u64],
    ) -> Result<HashMap<u64, Vec<UserQuest>>, DbError> {
        let guild_id: &str = &guild.to_string();
        let cache = &self.caches().user_quests;
        let (hits, missing, generation) = cache.members(guild_id, users);
        let mut found: HashMap<u64, Vec<UserQuest>> = hits
            .into_iter()
            .map(|(user, hit)| (user, (*hit).clone()))
            .collect();
        if missing.is_empty() {
            return Ok(found);
        }
        let loaded = self
            .load_progress(&vec![(guild_id.to_string(), missing)], generation)
            .await?;
        found.extend(by_user_id(users, loaded));
        Ok(found)
    }

    /// Records a member's progress on one quest (see [`QuestProgressUpdate`]); completing it
    /// awards the quest's `reward_xp` exactly once, in the same transaction.
    pub async fn upsert_quest_progress(
        &self,
        update: &QuestProgressUpdate,
        curve: &dyn LevelCurve,
    ) -> Result<Option<QuestCompletion>, DbError> {
        update.validate()?;
        let done = self
            .retry("upsert_quest_progress", || async {
                let txn = self.begin_write().await?;
                let done = apply_progress(&txn, update, curve).await?;
                txn.commit().await?;
                Ok::<_, DbError>(done)
            })
            .await?;
        let (guild_id, user_id) = (update.guild_id.to_string(), update.user_id.to_string());
        self.caches().progress_changed(&guild_id, &user_id);
        self.caches().member_changed(&guild_id, &user_id);
        Ok(done)
    }

    /// Marks the quest completed (at `at`) for the member and awards its `reward_xp`, once: returns
    /// `None` if it was already completed. Fails with NotFound for an unknown quest.
    pub async fn award_quest_rewards(
        &self,
        guild: u64,
        user: u64,
        quest_id: i64,
        at: DateTime<Utc>,
        curve: &dyn LevelCurve,
    ) -> Result<Option<QuestCompletion>, DbError> {
        let update = QuestProgressUpdate {
            guild_id: guild,
            user_id: user,
            quest_id,
            progress: None,
            quest_specific_progress: None,
            expires_at: None,
            complete: true,
            at,
        };
        self.upsert_quest_progress(&update, curve).await
    }

    /// Deactivates the guild's active quests (of one type, or all). Returns how many.
    pub async fn mark_quests_inactive(
        &self,
        guild: u64,
        quest_type: Option<&str>,
    ) -> Result<u64, DbError> {
        let guild_id: &str = &guild.to_string();
        if let Some(t) = quest_type {
            one_of("quest_type", t, &QUEST_TYPES)?;
        }
        let affected = self.active_quests(guild_id).await?;
        let ids: Vec<i64> = affected
            .iter()
            .filter(|q| quest_type.is_none_or(|t| q.quest_type == t))
            .map(|q| q.id)
            .collect();
        let count = self
            .retry("mark_quests_inactive", || async {
                let mut update = quests::Entity::update_many()
                    .col_expr(quests::Column::Active, false.into())
                    .filter(quests::Column::GuildId.eq(guild_id))
                    .filter(quests::Column::Active.eq(true));
                if let Some(t) = quest_type {
                    update = update.filter(quests::Column::QuestType.eq(t));
                }
                Ok::<_, DbError>(update.exec(self.conn()).await?.rows_affected)
            })
            .await?;
        self.caches().quests_changed(guild_id, &ids);
        Ok(count)
    }

    /// Deactivates exactly the given quests of the guild (ids of other guilds, unknown or
    /// already inactive ones are left alone). Returns how many were deactivated.
    ///
    /// This is what a reset uses: ending one refresh cycle's quests must not end another
    /// cycle's quests that happen to share a `quest_type` (which [`Self::mark_quests_inactive`]
    /// would).
    pub async fn deactivate_quests(&self, guild: u64, ids: &[i64]) -> Result<u64, DbError> {
        let guild_id: &str = &guild.to_string();
        if ids.is_empty() {
            return Ok(0);
        }
        let count = self
            .retry("deactivate_quests", || async {
                let txn = self.begin_write().await?;
                let ended = end_quests(&txn, guild_id, ids).await?;
                txn.commit().await?;
                Ok::<_, DbError>(ended)
            })
            .await?;
        self.caches().quests_changed(guild_id, ids);
        Ok(count)
    }

    /// The guild's quest reset hour and day (defaults when never configured).
    pub async fn get_quest_reset_settings(
        &self,
        guild: u64,
    ) -> Result<QuestResetSettings, DbError> {
        let config = self.get_server_config(guild).await?;
        Ok(QuestResetSettings {
            quest_reset_hour: config.quest_reset_hour,
            quest_reset_day: config.quest_reset_day,
        })
    }
}

/// Loaded members' values keyed by the user ids asked for (`users`): the loaders key them
/// by the stored text, which is each id's decimal form.
pub(crate) fn by_user_id<V>(
    users: &[u64],
    loaded: HashMap<(String, String), V>,
) -> impl Iterator<Item = (u64, V)> {
    let ids: HashMap<String, u64> = users.iter().map(|u| (u.to_string(), *u)).collect();
    loaded
        .into_iter()
        .filter_map(move |((_, user), v)| ids.get(&user).map(|id| (*id, v)))
}

impl QuestProgressUpdate {
    pub(crate) fn validate(&self) -> Result<(), DbError> {
        if self.progress.is_some_and(|p| p < 0)
            || self.quest_specific_progress.is_some_and(|p| p < 0)
        {
            return Err(DbError::invalid("progress", "cannot be negative"));
        }
        Ok(())
    }
}

/// Applies one progress update inside the caller's transaction.
pub(crate) async fn apply_progress<C: ConnectionTrait>(
    c: &C,
    u: &QuestProgressUpdate,
    curve: &dyn LevelCurve,
) -> Result<Option<QuestCompletion>, DbError> {
    let backend = c.get_database_backend();
    // Write first (see `apply_grant`): the upsert only happens if the quest exists in this
    // guild, which also tells us whether it does.
    let written = c
        .execute(Statement::from_sql_and_values(
            backend,
            "INSERT INTO user_quests (guild_id, user_id, quest_id, progress, quest_specific_progress, completed, expires_at) \
             SELECT $1, $2, id, COALESCE($4, 0), COALESCE($5, 0), $6, $7 FROM quests WHERE id = $3 AND guild_id = $1 \
             ON CONFLICT (guild_id, user_id, quest_id) DO UPDATE SET \
               progress = COALESCE($4, user_quests.progress), \
               quest_specific_progress = COALESCE($5, user_quests.quest_specific_progress), \
               expires_at = COALESCE($7, user_quests.expires_at)",
            vec![
                u.guild_id.to_string().into(),
                u.user_id.to_string().into(),
                u.quest_id.into(),
                u.progress.into(),
                u.quest_specific_progress.into(),
                false.into(),
                u.expires_at.into(),
            ],
        ))
        .await?
        .rows_affected();
    if written == 0 {
        return Err(DbError::not_found(format!(
            "quest {} in this guild",
            u.quest_id
        )));
    }
    if !u.complete {
        return Ok(None);
    }
    let now: DateTime<Utc> = u.at;
    let flipped = c
        .execute(Statement::from_sql_and_values(
            backend,
            "UPDATE user_quests SET completed = $1, completed_at = $2 \
             WHERE guild_id = $3 AND user_id = $4 AND quest_id = $5 AND completed = $6",
            vec![
                true.into(),
                now.into(),
                u.guild_id.to_string().into(),
                u.user_id.to_string().into(),
                u.quest_id.into(),
                false.into(),
            ],
        ))
        .await?
        .rows_affected();
    if flipped == 0 {
        return Ok(None);
    }
    let quest = quests::Entity::find_by_id(u.quest_id)
        .one(c)
        .await?
        .ok_or_else(|| DbError::not_found(format!("quest {}", u.quest_id)))?;
    let reward = MemberDelta {
        xp: quest.reward_xp,
        ..MemberDelta::new(u.guild_id, u.user_id)
    };
    let xp = apply_earned_delta(c, &reward, curve, now).await?;
    Ok(Some(QuestCompletion {
        guild_id: u.guild_id,
        user_id: u.user_id,
        quest_id: u.quest_id,
        reward_xp: quest.reward_xp,
        xp,
    }))
}
