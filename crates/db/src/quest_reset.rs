//! A quest cycle's reset as ONE transaction that only one writer can win.
//!
//! The engine stores which period a guild's daily/weekly/monthly quests belong to in its own
//! `plugin_kv` namespace. A reset is a compare-and-set on that period: the transaction first
//! claims the period key (an `UPDATE ... WHERE value = <the period the caller saw>`, or an
//! `INSERT ... ON CONFLICT DO NOTHING` when none was stored), and only the writer whose claim
//! changed a row goes on to deactivate the old quests and create the new ones. So:
//! - two processes on one PostgreSQL database (shard ranges), or two tasks in one, never both
//!   reset a guild: the loser's claim waits on the winner's row lock, then matches nothing;
//! - a crash in the middle leaves nothing half-done (no new quests without the period, or
//!   the reverse), and the next start redoes the reset once.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseTransaction, Statement};

use super::Db;
use super::entities::quests;
use super::error::DbError;
use super::quests::{NewQuest, end_quests};

/// One refresh cycle's reset, as the quest manager planned it.
#[derive(Debug, Clone)]
pub struct CycleReset {
    pub guild_id: u64,
    /// The `plugin_kv` namespace and keys where the cycle's state lives.
    pub namespace: String,
    pub period_key: String,
    /// Ids of the quests the plugins generated for the period (admin quests are not listed,
    /// so they come back at every reset).
    pub generated_key: String,
    /// The period value the caller read; the reset happens only if it is still stored.
    pub expected_period: Option<Vec<u8>>,
    pub new_period: Vec<u8>,
    /// Quests of the ending period to deactivate.
    pub deactivate: Vec<i64>,
    /// Admin-created quests coming back for the new period.
    pub recreate: Vec<NewQuest>,
    /// The plugins' picks for the new period.
    pub generate: Vec<NewQuest>,
    /// The caller's clock (stored as the keys' `updated_at`).
    pub at: DateTime<Utc>,
}

/// What [`Db::reset_quest_cycle`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum CycleResetOutcome {
    Applied {
        deactivated: u64,
        /// Recreated admin quests first, then generated ones.
        created: Vec<quests::Model>,
    },
    /// Another writer reset this cycle first (the stored period was not the expected one).
    AlreadyDone,
}

impl Db {
    /// Applies `reset` atomically if this writer wins the claim on the period; see the module.
    pub async fn reset_quest_cycle(
        &self,
        reset: &CycleReset,
    ) -> Result<CycleResetOutcome, DbError> {
        let mut validated = Vec::new();
        for q in reset.recreate.iter().chain(&reset.generate) {
            if q.guild_id != reset.guild_id {
                return Err(DbError::invalid(
                    "guild_id",
                    "a reset creates quests of its own guild only",
                ));
            }
            validated.push(q.validate()?);
        }
        let outcome = self
            .retry("reset_quest_cycle", || async {
                let txn = self.begin_write().await?;
                if !claim(&txn, reset).await? {
                    txn.rollback().await?;
                    return Ok::<_, DbError>(CycleResetOutcome::AlreadyDone);
                }
                let deactivated =
                    end_quests(&txn, &reset.guild_id.to_string(), &reset.deactivate).await?;
                let mut created = Vec::new();
                let mut generated_ids = Vec::new();
                let all = reset.recreate.iter().chain(&reset.generate);
                for (i, (q, v)) in all.zip(&validated).enumerate() {
                    let model = q.active_model(v).insert(&txn).await?;
                    if i >= reset.recreate.len() {
                        generated_ids.push(model.id);
                    }
                    created.push(model);
                }
                let ids = serde_json::to_vec(&generated_ids)
                    .map_err(|e| DbError::invalid("generated ids", e.to_string()))?;
                put(&txn, reset, &reset.generated_key, ids).await?;
                txn.commit().await?;
                Ok(CycleResetOutcome::Applied {
                    deactivated,
                    created,
                })
            })
            .await?;
        let mut touched = reset.deactivate.clone();
        if let CycleResetOutcome::Applied { created, .. } = &outcome {
            touched.extend(created.iter().map(|q| q.id));
        }
        self.caches()
            .quests_changed(&reset.guild_id.to_string(), &touched);
        Ok(outcome)
    }
}

/// Moves the period from `expected_period` to `new_period`; false if it was not expected.
async fn claim(txn: &DatabaseTransaction, r: &CycleReset) -> Result<bool, DbError> {
    let backend = txn.get_database_backend();
    let res = match &r.expected_period {
        Some(old) => {
            txn.execute(Statement::from_sql_and_values(
                backend,
                "UPDATE plugin_kv SET value = $1, updated_at = $2 \
                 WHERE guild_id = $3 AND plugin = $4 AND key = $5 AND value = $6",
                vec![
                    r.new_period.clone().into(),
                    r.at.into(),
                    r.guild_id.to_string().into(),
                    r.namespace.as_str().into(),
                    r.period_key.as_str().into(),
                    old.clone().into(),
                ],
            ))
            .await?
        }
        None => {
            txn.execute(Statement::from_sql_and_values(
                backend,
                "INSERT INTO plugin_kv (guild_id, plugin, key, value, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (guild_id, plugin, key) DO NOTHING",
                vec![
                    r.guild_id.to_string().into(),
                    r.namespace.as_str().into(),
                    r.period_key.as_str().into(),
                    r.new_period.clone().into(),
                    r.at.into(),
                ],
            ))
            .await?
        }
    };
    Ok(res.rows_affected() == 1)
}

async fn put(
    txn: &DatabaseTransaction,
    r: &CycleReset,
    key: &str,
    value: Vec<u8>,
) -> Result<(), DbError> {
    txn.execute(Statement::from_sql_and_values(
        txn.get_database_backend(),
        "INSERT INTO plugin_kv (guild_id, plugin, key, value, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (guild_id, plugin, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        vec![
            r.guild_id.to_string().into(),
            r.namespace.as_str().into(),
            key.into(),
            value.into(),
            r.at.into(),
        ],
    ))
    .await?;
    Ok(())
}
