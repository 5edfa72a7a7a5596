//! A member's data for privacy requests: everything stored about one member of one guild,
//! as one document (download), and its erasure (delete), in one transaction.
//!
//! Covered: `levels`, `user_quests`, `user_achievements`, `cards`, `period_xp` (week, month
//! and season totals), `season_standings` (places in ended seasons), and `xp_audit_log` rows
//! that target the member, and the member's directory profile (name and avatar). Audit rows where the member was the *moderator* are kept (they
//! are the guild's record of who changed whose XP) but their `actor_id` is replaced by
//! `deleted-user` on deletion. Plugin key-value data is keyed by plugins, not by member, so
//! it is outside what the host can attribute.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Statement,
};
use serde::Serialize;

use super::Db;
use super::entities::{
    achievements, cards, levels, quests, user_achievements, user_quests, xp_audit_log,
};
use super::error::DbError;

/// Everything stored about one member of one guild.
#[derive(Debug, Clone, Serialize)]
pub struct MemberData {
    pub guild_id: String,
    pub user_id: String,
    pub levels: Option<levels::Model>,
    /// Quest progress with the quest's name.
    pub quests: Vec<(user_quests::Model, Option<String>)>,
    /// Achievements with their name.
    pub achievements: Vec<(user_achievements::Model, Option<String>)>,
    pub card: Option<cards::Model>,
    /// The name and avatar the web pages show.
    pub profile: Option<super::MemberProfile>,
    /// XP gained per period (`week:2026-W49`, `month:2026-12`, `season:<id>`).
    pub period_xp: Vec<PeriodTotal>,
    /// Places in ended seasons' archived standings.
    pub season_places: Vec<SeasonPlace>,
    /// Manual XP changes made to this member.
    pub xp_changes_received: Vec<xp_audit_log::Model>,
    /// Manual XP changes this member made as a moderator.
    pub xp_changes_made: Vec<xp_audit_log::Model>,
}

/// A member's XP in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct PeriodTotal {
    pub period: String,
    pub xp: i64,
}

/// A member's place in an ended season.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct SeasonPlace {
    pub season: String,
    pub rank: i32,
    pub xp: i64,
}

/// Rows removed (or anonymised) by [`Db::delete_member_data`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemberDeletion {
    pub levels: u64,
    pub user_quests: u64,
    pub user_achievements: u64,
    pub cards: u64,
    pub audit_received: u64,
    pub audit_made_anonymised: u64,
    /// Notices and role changes still owed to Discord about the member (not sent after
    /// the erasure: a notice would name them again).
    pub outbox: u64,
    /// The member directory's profile (name and avatar).
    pub profile: u64,
    /// Week, month and season totals.
    pub period_xp: u64,
    /// Places in ended seasons' standings.
    pub season_standings: u64,
}

impl MemberDeletion {
    pub fn total(&self) -> u64 {
        self.levels
            + self.user_quests
            + self.user_achievements
            + self.cards
            + self.audit_received
            + self.audit_made_anonymised
            + self.outbox
            + self.profile
            + self.period_xp
            + self.season_standings
    }
}

impl Db {
    /// The member's data (a privacy "download" request).
    pub async fn member_data(&self, guild: u64, user: u64) -> Result<MemberData, DbError> {
        // Read first, on its own (it has its own retries).
        let profile = self.member_profile(guild, user).await?;
        let guild: &str = &guild.to_string();
        let user: &str = &user.to_string();
        self.retry("member_data", || async {
            let c = self.conn();
            let levels = levels::Entity::find()
                .filter(levels::Column::GuildId.eq(guild))
                .filter(levels::Column::UserId.eq(user))
                .one(c)
                .await?;
            let quests = user_quests::Entity::find()
                .filter(user_quests::Column::GuildId.eq(guild))
                .filter(user_quests::Column::UserId.eq(user))
                .order_by_asc(user_quests::Column::Id)
                .find_also_related(quests::Entity)
                .all(c)
                .await?
                .into_iter()
                .map(|(p, q)| (p, q.map(|q| q.name)))
                .collect();
            let achievements = user_achievements::Entity::find()
                .filter(user_achievements::Column::GuildId.eq(guild))
                .filter(user_achievements::Column::UserId.eq(user))
                .order_by_asc(user_achievements::Column::Id)
                .find_also_related(achievements::Entity)
                .all(c)
                .await?
                .into_iter()
                .map(|(g, a)| (g, a.map(|a| a.name)))
                .collect();
            let card = cards::Entity::find_by_id((guild.to_string(), user.to_string()))
                .one(c)
                .await?;
            let audit = |col: xp_audit_log::Column| {
                xp_audit_log::Entity::find()
                    .filter(xp_audit_log::Column::GuildId.eq(guild))
                    .filter(col.eq(user))
                    .order_by_asc(xp_audit_log::Column::Id)
                    .all(c)
            };
            let received = audit(xp_audit_log::Column::TargetId).await?;
            let made = audit(xp_audit_log::Column::ActorId).await?;
            let member = |sql: &str| {
                Statement::from_sql_and_values(
                    c.get_database_backend(),
                    sql,
                    vec![guild.into(), user.into()],
                )
            };
            let period_xp = PeriodTotal::find_by_statement(member(
                "SELECT period, xp FROM period_xp WHERE guild_id = $1 AND user_id = $2 ORDER BY period",
            ))
            .all(c)
            .await?;
            let season_places = SeasonPlace::find_by_statement(member(
                "SELECT s.name AS season, st.rank, st.xp FROM season_standings st \
                 JOIN seasons s ON s.id = st.season_id \
                 WHERE s.guild_id = $1 AND st.user_id = $2 ORDER BY s.started_at, s.id",
            ))
            .all(c)
            .await?;
            Ok::<_, DbError>(MemberData {
                guild_id: guild.to_string(),
                user_id: user.to_string(),
                levels,
                quests,
                achievements,
                card,
                profile: profile.clone(),
                period_xp,
                season_places,
                xp_changes_received: received,
                xp_changes_made: made,
            })
        })
        .await
    }

    /// Erases the member's data in the guild (a privacy "delete" request), in one
    /// transaction.
    pub async fn delete_member_data(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<MemberDeletion, DbError> {
        let guild: &str = &guild.to_string();
        let user: &str = &user.to_string();
        let deleted = self
            .retry("delete_member_data", || async {
                let txn = self.begin_write().await?;
                let run = |sql: &'static str| exec_member(&txn, sql, guild, user);
                let out = MemberDeletion {
                    user_quests: run("DELETE FROM user_quests WHERE guild_id = $1 AND user_id = $2")
                        .await?,
                    user_achievements: run(
                        "DELETE FROM user_achievements WHERE guild_id = $1 AND user_id = $2",
                    )
                    .await?,
                    cards: run("DELETE FROM cards WHERE guild_id = $1 AND user_id = $2").await?,
                    audit_received: run(
                        "DELETE FROM xp_audit_log WHERE guild_id = $1 AND target_id = $2",
                    )
                    .await?,
                    audit_made_anonymised: run(
                        "UPDATE xp_audit_log SET actor_id = 'deleted-user' WHERE guild_id = $1 AND actor_id = $2",
                    )
                    .await?,
                    levels: run("DELETE FROM levels WHERE guild_id = $1 AND user_id = $2").await?,
                    outbox: run("DELETE FROM outbox WHERE guild_id = $1 AND user_id = $2").await?,
                    profile: run(
                        "DELETE FROM member_profiles WHERE guild_id = $1 AND user_id = $2",
                    )
                    .await?,
                    period_xp: run("DELETE FROM period_xp WHERE guild_id = $1 AND user_id = $2")
                        .await?,
                    season_standings: run(
                        "DELETE FROM season_standings WHERE user_id = $2 \
                         AND season_id IN (SELECT id FROM seasons WHERE guild_id = $1)",
                    )
                    .await?,
                };
                txn.commit().await?;
                Ok::<_, DbError>(out)
            })
            .await?;
        let caches = self.caches();
        caches.member_changed(guild, user);
        caches.progress_changed(guild, user);
        Ok(deleted)
    }
}

/// Runs a statement whose two parameters are the guild and the member.
async fn exec_member<C: ConnectionTrait>(
    c: &C,
    sql: &str,
    guild: &str,
    user: &str,
) -> Result<u64, DbError> {
    Ok(c.execute(Statement::from_sql_and_values(
        c.get_database_backend(),
        sql,
        vec![guild.into(), user.into()],
    ))
    .await?
    .rows_affected())
}
