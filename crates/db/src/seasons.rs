//! Periodic leaderboards and seasons.
//!
//! Every XP gain is also added, in the transaction that makes it, to the member's totals
//! for the current ISO week, the current month (both UTC) and the guild's running season
//! (`period_xp`, see `bulk::add_period_xp`). A period's board is then one walk of
//! `ix_period_xp_board` in its own order, never a scan of a ledger. A season ends (by
//! `/season end` or at its `ends_at`) in one transaction that archives its top members in
//! `season_standings`, optionally resets everyone's level XP (moved to `carried_xp`, so
//! lifetime XP is kept), and stores the Discord effects of the end (season role,
//! announcement) in the outbox with it.
//!
//! What counts in a period: XP members earn (activity, quest and achievement rewards) and
//! moderators' `/xp add` and `/xp remove`. Setting XP (`/xp set`, `/level set`, imports)
//! moves a member's level, not their standing in a period, except that a loss is taken off
//! the current periods too.

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};
use serde::Serialize;

use super::Db;
use super::changes::LevelCurve;
use super::entities::seasons;
use super::error::DbError;
use super::levels::LeaderboardEntry;
use super::outbox::{NewOutboxEntry, insert_entries};

/// The `period_xp` key of the ISO week (Monday to Sunday, UTC) holding `at`: `week:2026-W49`.
pub fn week_key(at: DateTime<Utc>) -> String {
    let w = at.iso_week();
    format!("week:{}-W{:02}", w.year(), w.week())
}

/// The `period_xp` key of the month (UTC) holding `at`: `month:2026-12`.
pub fn month_key(at: DateTime<Utc>) -> String {
    format!("month:{}-{:02}", at.year(), at.month())
}

/// The `period_xp` key of season `id`.
pub fn season_key(id: i64) -> String {
    format!("season:{id}")
}

/// The longest a season's name may be (it appears in messages and embeds).
pub const MAX_SEASON_NAME: usize = 80;

/// A board other than the all-time one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The ISO week (UTC) holding the time given.
    Week,
    /// The month (UTC) holding the time given.
    Month,
    /// The guild's running season.
    Season,
}

/// A season to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSeason {
    pub guild_id: u64,
    pub name: String,
    pub started_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    /// 1..=100.
    pub top_n: i32,
    pub role_id: Option<u64>,
    pub reset_xp: bool,
    pub started_by: u64,
    pub announce_channel: Option<u64>,
}

/// One archived place of an ended season.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct Standing {
    /// 1-based; equal XP shares a rank.
    pub rank: i32,
    pub user_id: String,
    /// XP gained during the season.
    pub xp: i64,
}

/// What ending a season did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeasonEnd {
    /// The season, with `ended_at` set.
    pub season: seasons::Model,
    /// Its archived top members, best first.
    pub standings: Vec<Standing>,
    /// Top members of the previous season with the same role who did not place again:
    /// the role moves from them to this season's top.
    pub role_leaves: Vec<String>,
    /// Members whose level XP the reset moved to lifetime XP (0 without a reset).
    pub reset_members: u64,
}

/// Builds, inside the transaction that ends a season, the Discord effects of the end. Must
/// be a pure function of its argument: the transaction may be retried.
pub trait SeasonEffects: Sync {
    fn outbox(&self, end: &SeasonEnd) -> Vec<NewOutboxEntry>;
}

/// A period board's page rows, as read.
#[derive(Debug, FromQueryResult)]
struct PeriodRow {
    user_id: String,
    xp: i64,
    level: i32,
}

/// Members on a period's board: gained XP in it, not hidden, not away.
const PERIOD_FILTER: &str = "FROM period_xp p JOIN levels l ON l.guild_id = p.guild_id AND l.user_id = p.user_id \
     WHERE p.guild_id = $1 AND p.period = $2 AND p.xp > 0 AND l.hidden = $3 AND l.away = ''";

impl Db {
    /// The period key `period` means at `at` for the guild: `None` for [`Period::Season`]
    /// when no season runs.
    pub async fn period_key(
        &self,
        guild: u64,
        period: Period,
        at: DateTime<Utc>,
    ) -> Result<Option<String>, DbError> {
        Ok(match period {
            Period::Week => Some(week_key(at)),
            Period::Month => Some(month_key(at)),
            Period::Season => self.running_season(guild).await?.map(|s| season_key(s.id)),
        })
    }

    /// Page `page` (0-based) of a period's board (`key` from [`Db::period_key`]): members
    /// by XP gained in it, highest first, hidden and away members left out; `xp` is the
    /// period's, `level` the member's level now.
    pub async fn period_board(
        &self,
        guild: u64,
        key: &str,
        page: u64,
        page_size: u64,
    ) -> Result<Vec<LeaderboardEntry>, DbError> {
        let offset = super::directory::page_offset(page, page_size)?;
        let guild_id = guild.to_string();
        let (rows, ahead) = self
            .retry("period_board", || async {
                let rows = PeriodRow::find_by_statement(self.stmt(
                    &format!(
                        "SELECT p.user_id, p.xp, l.level {PERIOD_FILTER} \
                         ORDER BY p.xp DESC, p.user_id ASC LIMIT $4 OFFSET $5"
                    ),
                    vec![
                        guild_id.clone().into(),
                        key.into(),
                        false.into(),
                        (page_size as i64).into(),
                        offset.into(),
                    ],
                ))
                .all(self.conn())
                .await?;
                let ahead = match rows.first() {
                    None => 0,
                    Some(top) => self
                        .conn()
                        .query_one(self.stmt(
                            &format!("SELECT COUNT(*) AS n {PERIOD_FILTER} AND p.xp > $4"),
                            vec![
                                guild_id.clone().into(),
                                key.into(),
                                false.into(),
                                top.xp.into(),
                            ],
                        ))
                        .await?
                        .ok_or_else(|| DbError::Other("count returned no row".into()))?
                        .try_get::<i64>("", "n")?,
                };
                Ok::<_, DbError>((rows, ahead))
            })
            .await?;
        let ranks = super::directory::page_ranks(
            &rows.iter().map(|r| r.xp).collect::<Vec<_>>(),
            offset,
            ahead,
        );
        Ok(rows
            .into_iter()
            .zip(ranks)
            .map(|(r, rank)| LeaderboardEntry {
                rank,
                user_id: r.user_id,
                xp: r.xp,
                level: r.level,
            })
            .collect())
    }

    /// The database's plan for a period board's page (as [`Db::leaderboard_plan`]): the
    /// tests check it walks `ix_period_xp_board`.
    pub async fn period_board_plan(&self, guild: u64, key: &str) -> Result<Vec<String>, DbError> {
        let postgres = self.backend() == sea_orm::DatabaseBackend::Postgres;
        let sql = format!(
            "{} SELECT p.user_id, p.xp, l.level {PERIOD_FILTER} \
             ORDER BY p.xp DESC, p.user_id ASC LIMIT $4 OFFSET $5",
            if postgres {
                "EXPLAIN"
            } else {
                "EXPLAIN QUERY PLAN"
            }
        );
        let rows = self
            .conn()
            .query_all(self.stmt(
                &sql,
                vec![
                    guild.to_string().into(),
                    key.into(),
                    false.into(),
                    10i64.into(),
                    0i64.into(),
                ],
            ))
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                r.try_get::<String>("", if postgres { "QUERY PLAN" } else { "detail" })
                    .ok()
            })
            .collect())
    }

    /// The guild's running season, if any.
    pub async fn running_season(&self, guild: u64) -> Result<Option<seasons::Model>, DbError> {
        let guild_id = guild.to_string();
        self.retry("running_season", || async {
            Ok::<_, DbError>(
                seasons::Entity::find()
                    .filter(seasons::Column::GuildId.eq(guild_id.as_str()))
                    .filter(seasons::Column::EndedAt.is_null())
                    .one(self.conn())
                    .await?,
            )
        })
        .await
    }

    /// Starts a season; refused while another one runs, with a name that is empty or
    /// longer than [`MAX_SEASON_NAME`], with `top_n` outside 1..=100, or an end not after
    /// its start.
    pub async fn start_season(&self, s: &NewSeason) -> Result<seasons::Model, DbError> {
        let name = s.name.trim();
        if name.is_empty() || name.chars().count() > MAX_SEASON_NAME {
            return Err(DbError::invalid(
                "name",
                format!("give the season a name of 1 to {MAX_SEASON_NAME} characters"),
            ));
        }
        if !(1..=100).contains(&s.top_n) {
            return Err(DbError::invalid("top", "must be 1 to 100"));
        }
        if s.ends_at.is_some_and(|e| e <= s.started_at) {
            return Err(DbError::invalid("ends", "must be after the start"));
        }
        let guild_id = s.guild_id.to_string();
        self.retry("start_season", || async {
            let txn = self.begin_write().await?;
            if let Some(running) = seasons::Entity::find()
                .filter(seasons::Column::GuildId.eq(guild_id.as_str()))
                .filter(seasons::Column::EndedAt.is_null())
                .one(&txn)
                .await?
            {
                return Err(DbError::invalid(
                    "season",
                    format!(
                        "season “{}” is still running; end it with `/season end` first",
                        running.name
                    ),
                ));
            }
            let row = seasons::ActiveModel {
                guild_id: Set(guild_id.clone()),
                name: Set(name.to_string()),
                started_at: Set(s.started_at),
                ends_at: Set(s.ends_at),
                ended_at: Set(None),
                top_n: Set(s.top_n),
                role_id: Set(s.role_id.map(|r| r.to_string())),
                reset_xp: Set(s.reset_xp),
                started_by: Set(s.started_by.to_string()),
                announce_channel: Set(s.announce_channel.map(|c| c.to_string())),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            txn.commit().await?;
            Ok(row)
        })
        .await
    }

    /// Running seasons of every guild whose `ends_at` has come (the scheduler ends them).
    pub async fn due_seasons(&self, now: DateTime<Utc>) -> Result<Vec<seasons::Model>, DbError> {
        self.retry("due_seasons", || async {
            Ok::<_, DbError>(
                seasons::Entity::find()
                    .filter(seasons::Column::EndedAt.is_null())
                    .filter(seasons::Column::EndsAt.lte(now))
                    .order_by_asc(seasons::Column::Id)
                    .all(self.conn())
                    .await?,
            )
        })
        .await
    }

    /// The guild's ended seasons, newest first (at most `limit`).
    pub async fn ended_seasons(
        &self,
        guild: u64,
        limit: u64,
    ) -> Result<Vec<seasons::Model>, DbError> {
        let guild_id = guild.to_string();
        self.retry("ended_seasons", || async {
            Ok::<_, DbError>(
                seasons::Entity::find()
                    .filter(seasons::Column::GuildId.eq(guild_id.as_str()))
                    .filter(seasons::Column::EndedAt.is_not_null())
                    .order_by_desc(seasons::Column::StartedAt)
                    .order_by_desc(seasons::Column::Id)
                    .limit(limit)
                    .all(self.conn())
                    .await?,
            )
        })
        .await
    }

    /// An ended season's archived standings, best first.
    pub async fn season_standings(&self, season_id: i64) -> Result<Vec<Standing>, DbError> {
        self.retry("season_standings", || async {
            Ok::<_, DbError>(
                Standing::find_by_statement(self.stmt(
                    "SELECT rank, user_id, xp FROM season_standings WHERE season_id = $1 \
                     ORDER BY rank ASC, user_id ASC",
                    vec![season_id.into()],
                ))
                .all(self.conn())
                .await?,
            )
        })
        .await
    }

    /// Ends season `id` of the guild at `now`, in one transaction: archives its top
    /// members, resets level XP when the season says so (`curve` gives the level at 0 XP),
    /// drops its period rows, and stores `effects`' entries. `None` when the guild has no
    /// such running season (another process may have ended it first).
    pub async fn end_season(
        &self,
        guild: u64,
        id: i64,
        now: DateTime<Utc>,
        curve: &dyn LevelCurve,
        effects: Option<&dyn SeasonEffects>,
    ) -> Result<Option<SeasonEnd>, DbError> {
        let guild_id = guild.to_string();
        let end = self
            .retry("end_season", || async {
                let txn = self.begin_write().await?;
                let claimed = txn
                    .execute(self.stmt(
                        "UPDATE seasons SET ended_at = $1 WHERE id = $2 AND guild_id = $3 AND ended_at IS NULL",
                        vec![now.into(), id.into(), guild_id.clone().into()],
                    ))
                    .await?
                    .rows_affected();
                if claimed != 1 {
                    return Ok::<_, DbError>(None);
                }
                let season = seasons::Entity::find_by_id(id)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| DbError::not_found(format!("season {id}")))?;
                let end = archive(&txn, &season, curve).await?;
                if let Some(effects) = effects {
                    insert_entries(&txn, &effects.outbox(&end), now).await?;
                }
                txn.commit().await?;
                Ok(Some(end))
            })
            .await?;
        if end.as_ref().is_some_and(|e| e.reset_members > 0) {
            self.caches().guild_members_changed(&guild_id);
        }
        Ok(end)
    }
}

/// Week totals kept (the current week and the ones before it).
pub const KEEP_WEEKS: i64 = 12;
/// Month totals kept.
pub const KEEP_MONTHS: i64 = 24;

impl Db {
    /// Deletes week totals older than [`KEEP_WEEKS`], month totals older than
    /// [`KEEP_MONTHS`], and totals of seasons that no longer run (gains that raced the
    /// season's end); returns the rows deleted.
    pub async fn prune_period_xp(&self, now: DateTime<Utc>) -> Result<u64, DbError> {
        let oldest_week = week_key(now - chrono::TimeDelta::weeks(KEEP_WEEKS - 1));
        let months_back = u32::try_from(KEEP_MONTHS - 1).unwrap_or(0);
        let oldest_month = now
            .date_naive()
            .with_day(1)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(months_back)))
            .map(|d| format!("month:{}-{:02}", d.year(), d.month()))
            .unwrap_or_default();
        self.retry("prune_period_xp", || async {
            Ok::<_, DbError>(
                self.conn()
                    .execute(self.stmt(
                        "DELETE FROM period_xp WHERE \
                           (period LIKE 'week:%' AND period < $1) \
                           OR (period LIKE 'month:%' AND period < $2) \
                           OR (period LIKE 'season:%' AND period NOT IN \
                             (SELECT 'season:' || CAST(id AS TEXT) FROM seasons WHERE ended_at IS NULL))",
                        vec![oldest_week.clone().into(), oldest_month.clone().into()],
                    ))
                    .await?
                    .rows_affected(),
            )
        })
        .await
    }
}

/// The archive, reset and clean-up of a season whose end was just claimed.
async fn archive<C: ConnectionTrait>(
    c: &C,
    season: &seasons::Model,
    curve: &dyn LevelCurve,
) -> Result<SeasonEnd, DbError> {
    let backend = c.get_database_backend();
    let stmt = |sql: &str, values: Vec<sea_orm::Value>| {
        Statement::from_sql_and_values(backend, sql, values)
    };
    let key = season_key(season.id);
    let top = PeriodRow::find_by_statement(stmt(
        &format!(
            "SELECT p.user_id, p.xp, l.level {PERIOD_FILTER} ORDER BY p.xp DESC, p.user_id ASC LIMIT $4"
        ),
        vec![
            season.guild_id.clone().into(),
            key.clone().into(),
            false.into(),
            i64::from(season.top_n).into(),
        ],
    ))
    .all(c)
    .await?;
    let ranks = super::directory::page_ranks(&top.iter().map(|r| r.xp).collect::<Vec<_>>(), 0, 0);
    let standings: Vec<Standing> = top
        .into_iter()
        .zip(ranks)
        .map(|(r, rank)| Standing {
            rank: i32::try_from(rank).unwrap_or(i32::MAX),
            user_id: r.user_id,
            xp: r.xp,
        })
        .collect();
    for s in &standings {
        c.execute(stmt(
            "INSERT INTO season_standings (season_id, user_id, rank, xp) VALUES ($1, $2, $3, $4)",
            vec![
                season.id.into(),
                s.user_id.clone().into(),
                s.rank.into(),
                s.xp.into(),
            ],
        ))
        .await?;
    }

    // The role moves from the last season with the same role's top to this one's.
    let mut role_leaves = Vec::new();
    if let Some(role) = &season.role_id {
        let previous = seasons::Entity::find()
            .filter(seasons::Column::GuildId.eq(season.guild_id.as_str()))
            .filter(seasons::Column::RoleId.eq(role.as_str()))
            .filter(seasons::Column::EndedAt.is_not_null())
            .filter(seasons::Column::Id.ne(season.id))
            .order_by_desc(seasons::Column::EndedAt)
            .order_by_desc(seasons::Column::Id)
            .one(c)
            .await?;
        if let Some(previous) = previous {
            let placed: std::collections::HashSet<&str> =
                standings.iter().map(|s| s.user_id.as_str()).collect();
            role_leaves = Standing::find_by_statement(stmt(
                "SELECT rank, user_id, xp FROM season_standings WHERE season_id = $1 ORDER BY rank, user_id",
                vec![previous.id.into()],
            ))
            .all(c)
            .await?
            .into_iter()
            .map(|s| s.user_id)
            .filter(|u| !placed.contains(u.as_str()))
            .collect();
        }
    }

    let reset_members = if season.reset_xp {
        c.execute(stmt(
            "UPDATE levels SET \
               carried_xp = CASE WHEN xp > 9223372036854775807 - carried_xp \
                 THEN 9223372036854775807 ELSE carried_xp + xp END, \
               xp = 0, level = $2 \
             WHERE guild_id = $1 AND (xp > 0 OR level <> $2)",
            vec![
                season.guild_id.clone().into(),
                curve.level_for_xp(0).max(0).into(),
            ],
        ))
        .await?
        .rows_affected()
    } else {
        0
    };
    c.execute(stmt(
        "DELETE FROM period_xp WHERE guild_id = $1 AND period = $2",
        vec![season.guild_id.clone().into(), key.into()],
    ))
    .await?;
    Ok(SeasonEnd {
        season: season.clone(),
        standings,
        role_leaves,
        reset_members,
    })
}
