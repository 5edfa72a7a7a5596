//! Achievement definitions and grants. Granting is idempotent: the unique
//! (guild_id, user_id, achievement_id) constraint plus `ON CONFLICT DO NOTHING` means a grant
//! racing another grant of the same achievement awards its XP exactly once.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement,
};
use serde::Serialize;

use super::Db;
use super::changes::{LevelCurve, MemberDelta, XpOutcome};
use super::entities::{achievements, user_achievements};
use super::error::DbError;
use super::levels::apply_earned_delta;

/// A newly granted achievement and the XP its reward gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AchievementGrant {
    #[serde(serialize_with = "crate::id_text")]
    pub guild_id: u64,
    #[serde(serialize_with = "crate::id_text")]
    pub user_id: u64,
    pub achievement_id: i64,
    pub reward_xp: i64,
    pub xp: XpOutcome,
}

impl Db {
    /// Creates an achievement definition; `created_at` comes from the caller's clock.
    // The definition's columns plus the caller's time; a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_achievement(
        &self,
        guild: u64,
        name: &str,
        description: &str,
        requirement_type: &str,
        requirement_value: i64,
        reward_xp: i64,
        created_at: DateTime<Utc>,
    ) -> Result<achievements::Model, DbError> {
        let guild_id: &str = &guild.to_string();
        if name.trim().is_empty() || name.len() > 200 {
            return Err(DbError::invalid("name", "must be 1 to 200 characters"));
        }
        if requirement_type.trim().is_empty() {
            return Err(DbError::invalid("requirement_type", "cannot be empty"));
        }
        if requirement_value < 0 || reward_xp < 0 {
            return Err(DbError::invalid(
                "requirement_value/reward_xp",
                "cannot be negative",
            ));
        }
        let created = self
            .retry("create_achievement", || async {
                let model = achievements::ActiveModel {
                    id: NotSet,
                    guild_id: Set(guild_id.to_string()),
                    name: Set(name.to_string()),
                    description: Set(description.to_string()),
                    requirement_type: Set(requirement_type.to_string()),
                    requirement_value: Set(requirement_value),
                    reward_xp: Set(reward_xp),
                    badge_url: Set(None),
                    created_at: Set(created_at),
                };
                Ok::<_, DbError>(model.insert(self.conn()).await?)
            })
            .await;
        self.caches().definitions_changed(guild_id);
        created
    }

    /// Sets (or with `None` clears) the badge image of achievement `id` of the guild;
    /// `false` when the guild has no such achievement. The caller checks the URL.
    pub async fn set_achievement_badge(
        &self,
        guild: u64,
        id: i64,
        badge_url: Option<&str>,
    ) -> Result<bool, DbError> {
        use sea_orm::sea_query::Expr;
        if badge_url.is_some_and(|u| u.len() > 2_000) {
            return Err(DbError::invalid("badge_url", "at most 2000 bytes"));
        }
        let guild_id: &str = &guild.to_string();
        let done = self
            .retry("set_achievement_badge", || async {
                Ok::<_, DbError>(
                    achievements::Entity::update_many()
                        .col_expr(
                            achievements::Column::BadgeUrl,
                            Expr::value(badge_url.map(str::to_string)),
                        )
                        .filter(achievements::Column::GuildId.eq(guild_id))
                        .filter(achievements::Column::Id.eq(id))
                        .exec(self.conn())
                        .await?
                        .rows_affected,
                )
            })
            .await?;
        if done > 0 {
            self.caches().definitions_changed(guild_id);
        }
        Ok(done > 0)
    }

    /// The guild's achievement definitions.
    pub async fn list_achievements(&self, guild: u64) -> Result<Vec<achievements::Model>, DbError> {
        let guild_id: &str = &guild.to_string();
        self.cached_list(
            &self.caches().achievements,
            guild_id,
            "list_achievements",
            || async {
                Ok(achievements::Entity::find()
                    .filter(achievements::Column::GuildId.eq(guild_id))
                    .order_by_asc(achievements::Column::Id)
                    .all(self.conn())
                    .await?)
            },
        )
        .await
    }

    /// Deletes achievement `achievement_id` of the guild and every member's record of having
    /// earned it, in one transaction (no member keeps a grant of an achievement that no
    /// longer exists, and a failure leaves both in place). XP already rewarded is kept: it
    /// was earned. Returns how many members had it, or `None` when the guild has no such
    /// achievement.
    pub async fn delete_achievement(
        &self,
        guild: u64,
        achievement_id: i64,
    ) -> Result<Option<u64>, DbError> {
        let guild_id: &str = &guild.to_string();
        let deleted = self
            .retry("delete_achievement", || async {
                let txn = self.begin_write().await?;
                // Members' records first (the foreign key cascades on PostgreSQL but SQLite may
                // run without foreign keys, and the count is the answer), limited to an
                // achievement of this guild; then the definition, whose count says whether it
                // existed. Both are writes, so SQLite takes its write lock at once.
                let earned = txn
                    .execute(Statement::from_sql_and_values(
                        txn.get_database_backend(),
                        "DELETE FROM user_achievements WHERE guild_id = $1 AND achievement_id IN \
                     (SELECT id FROM achievements WHERE id = $2 AND guild_id = $1)",
                        vec![guild_id.into(), achievement_id.into()],
                    ))
                    .await?
                    .rows_affected();
                let removed = achievements::Entity::delete_many()
                    .filter(achievements::Column::Id.eq(achievement_id))
                    .filter(achievements::Column::GuildId.eq(guild_id))
                    .exec(&txn)
                    .await?
                    .rows_affected;
                if removed == 0 {
                    txn.rollback().await?;
                    return Ok::<_, DbError>(None);
                }
                txn.commit().await?;
                Ok(Some(earned))
            })
            .await;
        self.caches().definitions_changed(guild_id);
        deleted
    }

    /// The achievement ids each of `users` holds in the guild, in one query per 500
    /// members (the engine asks for every member of a batch at once instead of once each).
    pub async fn earned_achievement_ids(
        &self,
        guild: u64,
        users: &[u64],
    ) -> Result<std::collections::HashMap<u64, Vec<i64>>, DbError> {
        let guild_id: &str = &guild.to_string();
        let cache = &self.caches().held_achievements;
        let (hits, missing, generation) = cache.members(guild_id, users);
        let mut out: std::collections::HashMap<u64, Vec<i64>> = hits
            .into_iter()
            .filter(|(_, held)| !held.is_empty())
            .map(|(user, held)| (user, (*held).clone()))
            .collect();
        if !missing.is_empty() {
            let loaded = self
                .load_held(&vec![(guild_id.to_string(), missing)], generation)
                .await?;
            out.extend(
                super::quests::by_user_id(users, loaded).filter(|(_, held)| !held.is_empty()),
            );
        }
        Ok(out)
    }

    /// Achievements the member earned, with when, oldest first.
    pub async fn get_user_achievements(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Vec<(user_achievements::Model, achievements::Model)>, DbError> {
        let guild_id: &str = &guild.to_string();
        let user_id: &str = &user.to_string();
        let rows = self
            .retry("get_user_achievements", || async {
                Ok::<_, DbError>(
                    user_achievements::Entity::find()
                        .filter(user_achievements::Column::GuildId.eq(guild_id))
                        .filter(user_achievements::Column::UserId.eq(user_id))
                        .order_by_asc(user_achievements::Column::EarnedAt)
                        .find_also_related(achievements::Entity)
                        .all(self.conn())
                        .await?,
                )
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(ua, a)| a.map(|a| (ua, a)))
            .collect())
    }

    /// Grants an achievement (earned at `at`) and its `reward_xp`. `None` if the member
    /// already had it.
    pub async fn grant_achievement(
        &self,
        guild: u64,
        user: u64,
        achievement_id: i64,
        at: DateTime<Utc>,
        curve: &dyn LevelCurve,
    ) -> Result<Option<AchievementGrant>, DbError> {
        let guild_id: &str = &guild.to_string();
        let user_id: &str = &user.to_string();
        let grant = self
            .retry("grant_achievement", || async {
                let txn = self.begin_write().await?;
                let grant = apply_grant(&txn, guild, user, achievement_id, at, curve).await?;
                txn.commit().await?;
                Ok::<_, DbError>(grant)
            })
            .await?;
        self.caches().member_changed(guild_id, user_id);
        Ok(grant)
    }
}

/// Grants inside the caller's transaction.
pub(crate) async fn apply_grant<C: ConnectionTrait>(
    c: &C,
    guild: u64,
    user: u64,
    achievement_id: i64,
    at: DateTime<Utc>,
    curve: &dyn LevelCurve,
) -> Result<Option<AchievementGrant>, DbError> {
    let (guild_id, user_id) = (guild.to_string(), user.to_string());
    let Some(reward_xp) = insert_grant(c, &guild_id, &user_id, achievement_id, at).await? else {
        return Ok(None);
    };
    let reward = MemberDelta {
        xp: reward_xp,
        ..MemberDelta::new(guild, user)
    };
    let xp = apply_earned_delta(c, &reward, curve, at).await?;
    Ok(Some(AchievementGrant {
        guild_id: guild,
        user_id: user,
        achievement_id,
        reward_xp,
        xp,
    }))
}

/// Records the grant unless the member already holds it, and returns the achievement's
/// `reward_xp` if this call granted it. The XP is the caller's to apply (a batch applies all
/// its rewards in one statement).
pub(crate) async fn insert_grant<C: ConnectionTrait>(
    c: &C,
    guild_id: &str,
    user_id: &str,
    achievement_id: i64,
    at: DateTime<Utc>,
) -> Result<Option<i64>, DbError> {
    // The write comes first so that, on SQLite, the transaction takes the write lock at
    // once instead of upgrading a read lock later (which fails with SQLITE_BUSY under
    // concurrency rather than waiting).
    let inserted = c
        .execute(Statement::from_sql_and_values(
            c.get_database_backend(),
            "INSERT INTO user_achievements (guild_id, user_id, achievement_id, earned_at) \
             SELECT $1, $2, id, $4 FROM achievements WHERE id = $3 AND guild_id = $1 \
             ON CONFLICT (guild_id, user_id, achievement_id) DO NOTHING",
            vec![
                guild_id.into(),
                user_id.into(),
                achievement_id.into(),
                at.into(),
            ],
        ))
        .await?
        .rows_affected();
    let achievement = achievements::Entity::find_by_id(achievement_id)
        .one(c)
        .await?
        .filter(|a| a.guild_id == guild_id)
        .ok_or_else(|| DbError::not_found(format!("achievement {achievement_id} in this guild")))?;
    Ok((inserted > 0).then_some(achievement.reward_xp))
}
