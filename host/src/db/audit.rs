//! The audit log of manual XP changes.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::entities::xp_audit_log;
use super::error::DbError;
use super::{Db, check_id};

/// One manual XP change to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub guild_id: String,
    /// Who made the change (a moderator's user id, or `system:<what>`).
    pub actor_id: String,
    pub target_id: String,
    pub delta: i64,
    pub reason: String,
    /// When the change was made, from the caller's clock (not the wall clock).
    pub created_at: DateTime<Utc>,
}

impl NewAuditEntry {
    pub(crate) fn validate(&self) -> Result<(), DbError> {
        check_id("guild_id", &self.guild_id)?;
        check_id("actor_id", &self.actor_id)?;
        check_id("target_id", &self.target_id)?;
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

    /// The guild's most recent entries, newest first; `before_id` pages backwards.
    pub async fn list_audit(
        &self,
        guild_id: &str,
        limit: u64,
        before_id: Option<i64>,
    ) -> Result<Vec<xp_audit_log::Model>, DbError> {
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

pub(crate) async fn apply_audit<C: ConnectionTrait>(
    c: &C,
    e: &NewAuditEntry,
) -> Result<(), DbError> {
    c.execute(Statement::from_sql_and_values(
        c.get_database_backend(),
        "INSERT INTO xp_audit_log (guild_id, actor_id, target_id, delta, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            e.guild_id.as_str().into(),
            e.actor_id.as_str().into(),
            e.target_id.as_str().into(),
            e.delta.into(),
            e.reason.as_str().into(),
            e.created_at.into(),
        ],
    ))
    .await?;
    Ok(())
}
