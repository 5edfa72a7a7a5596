//! XP boost events (`xp_boosts`): started, listed, stopped, and their ends announced once.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::Expr,
};

use super::Db;
use super::entities::xp_boosts;
use super::error::DbError;

/// A boost to start.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBoost {
    pub guild_id: u64,
    pub multiplier: f64,
    pub role_id: Option<u64>,
    pub channel_id: Option<u64>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: u64,
    pub announce_channel: Option<u64>,
}

/// The largest multiplier a boost may have.
pub const MAX_BOOST: f64 = 10.0;

impl Db {
    /// Starts a boost; refused unless its multiplier is above 0 and at most [`MAX_BOOST`]
    /// and it ends after it starts.
    pub async fn start_boost(&self, b: &NewBoost) -> Result<xp_boosts::Model, DbError> {
        if !(b.multiplier.is_finite() && b.multiplier > 0.0 && b.multiplier <= MAX_BOOST) {
            return Err(DbError::invalid(
                "multiplier",
                format!("must be above 0 and at most {MAX_BOOST}"),
            ));
        }
        if b.ends_at <= b.starts_at {
            return Err(DbError::invalid("ends_at", "must be after the start"));
        }
        let guild_id = b.guild_id.to_string();
        let row = self
            .retry("start_boost", || async {
                Ok::<_, DbError>(
                    xp_boosts::ActiveModel {
                        guild_id: Set(guild_id.clone()),
                        multiplier: Set(b.multiplier),
                        role_id: Set(b.role_id.map(|r| r.to_string())),
                        channel_id: Set(b.channel_id.map(|c| c.to_string())),
                        starts_at: Set(b.starts_at),
                        ends_at: Set(b.ends_at),
                        created_by: Set(b.created_by.to_string()),
                        announce_channel: Set(b.announce_channel.map(|c| c.to_string())),
                        end_announced: Set(false),
                        ..Default::default()
                    }
                    .insert(self.conn())
                    .await?,
                )
            })
            .await?;
        self.caches().boosts_changed(&guild_id);
        Ok(row)
    }

    /// The guild's boosts whose end was not announced yet (running, upcoming, or just
    /// ended), by start (cached: every batch of the guild reads it).
    pub async fn guild_boosts(&self, guild: u64) -> Result<Vec<xp_boosts::Model>, DbError> {
        let guild_id: &str = &guild.to_string();
        self.cached_list(&self.caches().boosts, guild_id, "guild_boosts", || async {
            Ok::<_, DbError>(
                xp_boosts::Entity::find()
                    .filter(xp_boosts::Column::GuildId.eq(guild_id))
                    .filter(xp_boosts::Column::EndAnnounced.eq(false))
                    .order_by_asc(xp_boosts::Column::StartsAt)
                    .order_by_asc(xp_boosts::Column::Id)
                    .all(self.conn())
                    .await?,
            )
        })
        .await
    }

    /// Ends boost `id` of the guild at `now` (its end is then announced like any other; one
    /// that had not started yet is ended before it began); `false` when the guild has no
    /// such running or upcoming boost.
    pub async fn stop_boost(
        &self,
        guild: u64,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let guild_id = guild.to_string();
        let changed = self
            .retry("stop_boost", || async {
                let Some(row) = xp_boosts::Entity::find_by_id(id)
                    .filter(xp_boosts::Column::GuildId.eq(guild_id.as_str()))
                    .filter(xp_boosts::Column::EndsAt.gt(now))
                    .one(self.conn())
                    .await?
                else {
                    return Ok::<_, DbError>(false);
                };
                let starts_at = row.starts_at.min(now - chrono::Duration::milliseconds(1));
                let mut active: xp_boosts::ActiveModel = row.into();
                active.ends_at = Set(now);
                active.starts_at = Set(starts_at);
                active.update(self.conn()).await?;
                Ok(true)
            })
            .await?;
        if changed {
            self.caches().boosts_changed(&guild_id);
        }
        Ok(changed)
    }

    /// Boosts of every guild that ended by `now` and whose end was not announced, each
    /// claimed for announcement once: the caller (whichever process) announces what it got.
    pub async fn claim_ended_boosts(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<xp_boosts::Model>, DbError> {
        let ended = self
            .retry("ended_boosts", || async {
                Ok::<_, DbError>(
                    xp_boosts::Entity::find()
                        .filter(xp_boosts::Column::EndAnnounced.eq(false))
                        .filter(xp_boosts::Column::EndsAt.lte(now))
                        .order_by_asc(xp_boosts::Column::Id)
                        .all(self.conn())
                        .await?,
                )
            })
            .await?;
        let mut claimed = Vec::with_capacity(ended.len());
        for b in ended {
            let won = self
                .retry("claim_ended_boost", || async {
                    let done = xp_boosts::Entity::update_many()
                        .col_expr(xp_boosts::Column::EndAnnounced, Expr::value(true))
                        .filter(xp_boosts::Column::Id.eq(b.id))
                        .filter(xp_boosts::Column::EndAnnounced.eq(false))
                        .exec(self.conn())
                        .await?;
                    Ok::<_, DbError>(done.rows_affected == 1)
                })
                .await?;
            if won {
                self.caches().boosts_changed(&b.guild_id);
                claimed.push(b);
            }
        }
        Ok(claimed)
    }
}
