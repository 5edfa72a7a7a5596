//! The audit log of manual XP changes, and the manual changes themselves.
//!
//! A moderator's `/xp add|remove|set|reset` is applied and recorded in ONE transaction, so
//! the log never claims a change the member does not have (or misses one they do).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::batch::BatchOutcome;
use super::bulk::period_change;
use super::changes::{LevelCurve, MemberDelta, XpOutcome};
use super::entities::xp_audit_log;
use super::error::DbError;
use super::levels::apply_member_delta;
use super::outbox::{OutcomeEffects, insert_entries};
use super::{Db, check_id};

/// A manual change to a member's total XP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualXp {
    /// Add (positive) or take away (negative) this much; the result is clamped at 0.
    Delta(i64),
    /// Make the member's total exactly this (>= 0).
    Set(i64),
}

/// One manual XP change to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub guild_id: u64,
    /// Who made the change (a moderator's user id, or `system:<what>`): text, not a
    /// snowflake, since plugins and the system act too.
    pub actor_id: String,
    pub target_id: u64,
    pub delta: i64,
    pub reason: String,
    /// When the change was made, from the caller's clock (not the wall clock).
    pub created_at: DateTime<Utc>,
}

impl NewAuditEntry {
    pub(crate) fn validate(&self) -> Result<(), DbError> {
        check_id("actor_id", &self.actor_id)?;
        if self.reason.len() > 1_000 {
            return Err(DbError::invalid("reason", "at most 1000 bytes"));
        }
        Ok(())
    }
}

impl Db {
    /// Appends an entry (use [`super::ActivityBatch::audit`] to record it atomically with
    /// the XP change itself).
    pub async fn append_audit(&self, entry: &NewAuditEntry) -> Result<(), DbError> {
        entry.validate()?;
        self.retry("append_audit", || async {
            apply_audit(self.conn(), entry).await
        })
        .await
    }

    /// Applies a moderator's XP change and records it in the audit log, atomically. The
    /// log's `delta` is what really changed (after clamping), so summing a member's entries
    /// explains their manual XP exactly. `entry.delta` is ignored (computed here).
    ///
    /// `effects` (when the caller keeps an outbox) builds the Discord effects of the outcome,
    /// stored in the same transaction.
    pub async fn apply_manual_xp(
        &self,
        change: ManualXp,
        entry: &NewAuditEntry,
        curve: &dyn LevelCurve,
        effects: Option<&dyn OutcomeEffects>,
    ) -> Result<XpOutcome, DbError> {
        entry.validate()?;
        if let ManualXp::Set(v) = change
            && v < 0
        {
            return Err(DbError::invalid(
                "xp",
                "a member's XP cannot be set below 0",
            ));
        }
        let outcome = self
            .retry("apply_manual_xp", || async {
                let txn = self.begin_write().await?;
                let delta = match change {
                    ManualXp::Delta(d) => d,
                    ManualXp::Set(target) => {
                        // A zero delta locks the member's row and reads their XP, so the
                        // difference below cannot race a concurrent award.
                        let now = apply_member_delta(
                            &txn,
                            &MemberDelta::new(entry.guild_id, entry.target_id),
                            curve,
                        )
                        .await?;
                        target.saturating_sub(now.new_xp)
                    }
                };
                let outcome = apply_member_delta(
                    &txn,
                    &MemberDelta {
                        xp: delta,
                        ..MemberDelta::new(entry.guild_id, entry.target_id)
                    },
                    curve,
                )
                .await?;
                let logged = NewAuditEntry {
                    delta: outcome.new_xp - outcome.old_xp,
                    ..entry.clone()
                };
                // Added and removed XP count in the current periods; a set only as a loss.
                let (g, u, at) = (entry.guild_id, entry.target_id, entry.created_at);
                if matches!(change, ManualXp::Delta(_)) || logged.delta < 0 {
                    period_change(&txn, g, u, logged.delta, at).await?;
                }
                apply_audit(&txn, &logged).await?;
                if let Some(effects) = effects {
                    let done = BatchOutcome {
                        members: vec![(entry.guild_id, entry.target_id, outcome)],
                        ..BatchOutcome::default()
                    };
                    insert_entries(&txn, &effects.outbox(&done), chrono::Utc::now()).await?;
                }
                txn.commit().await?;
                Ok::<_, DbError>(outcome)
            })
            .await?;
        self.caches()
            .member_changed(&entry.guild_id.to_string(), &entry.target_id.to_string());
        Ok(outcome)
    }

    /// The guild's most recent entries, newest first; `before_id` pages backwards.
    pub async fn list_audit(
        &self,
        guild: u64,
        limit: u64,
        before_id: Option<i64>,
    ) -> Result<Vec<xp_audit_log::Model>, DbError> {
        let guild_id: &str = &guild.to_string();
        self.retry("list_audit", || async {
            let mut q =
                xp_audit_log::Entity::find().filter(xp_audit_log::Column::GuildId.eq(guild_id));
            if let Some(b) = before_id {
                q = q.filter(xp_audit_log::Column::Id.lt(b));
            }
            Ok::<_, DbError>(
                q.order_by_desc(xp_audit_log::Column::Id)
                    .limit(limit.min(1_000))
                    .all(self.conn())
                    .await?,
            )
        })
        .await
    }
}

/// A page of a guild's audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<xp_audit_log::Model>,
    /// Entries matching in all.
    pub total: u64,
}

impl Db {
    /// Page `page` (0-based) of `per_page` entries of the guild's log, newest first, of
    /// changes made to `target` only when given (`ix_xp_audit_log_guild_target` serves both).
    pub async fn audit_page(
        &self,
        guild: u64,
        target: Option<u64>,
        page: u64,
        per_page: u64,
    ) -> Result<AuditPage, DbError> {
        use sea_orm::PaginatorTrait;
        let guild_id: &str = &guild.to_string();
        let target_id = target.map(|t| t.to_string());
        let per_page = per_page.clamp(1, 100);
        self.retry("audit_page", || async {
            let mut q =
                xp_audit_log::Entity::find().filter(xp_audit_log::Column::GuildId.eq(guild_id));
            if let Some(t) = &target_id {
                q = q.filter(xp_audit_log::Column::TargetId.eq(t.as_str()));
            }
            let total = q.clone().count(self.conn()).await?;
            let entries = q
                .order_by_desc(xp_audit_log::Column::Id)
                .offset(page.saturating_mul(per_page))
                .limit(per_page)
                .all(self.conn())
                .await?;
            Ok::<_, DbError>(AuditPage { entries, total })
        })
        .await
    }
}

pub(crate) async fn apply_audit<C: ConnectionTrait>(
    c: &C,
    e: &NewAuditEntry,
) -> Result<(), DbError> {
    c.execute(Statement::from_sql_and_values(
        c.get_database_backend(),
        "INSERT INTO xp_audit_log (guild_id, actor_id, target_id, delta, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            e.guild_id.to_string().into(),
            e.actor_id.as_str().into(),
            e.target_id.to_string().into(),
            e.delta.into(),
            e.reason.as_str().into(),
            e.created_at.into(),
        ],
    ))
    .await?;
    Ok(())
}
