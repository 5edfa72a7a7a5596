//! The outbox: effects on Discord (reward role changes, level-up, quest and achievement
//! notices) that a committed change still owes. Entries are written in the transaction of
//! the change that caused them ([`OutcomeEffects`], through the batch API) and deleted once
//! Discord accepted them or refused them for good, so neither a rate limit nor a crash
//! between the commit and the request loses a member's reward: the sender (the Discord front)
//! retries after the limit's reset, and the next start sends what is left.
//!
//! Times that the sender compares (`not_before`, `expires_at`) are milliseconds since the Unix
//! epoch: integers compare the same on both backends, where SQLite compares timestamps as
//! text.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Value};

use super::Db;
use super::batch::BatchOutcome;
use super::error::DbError;

/// What an entry asks of Discord.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxKind {
    RoleAdd,
    RoleRemove,
    /// A message (level-up, quest or achievement notice); expires.
    Notice,
}

impl OutboxKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::RoleAdd => "role_add",
            Self::RoleRemove => "role_remove",
            Self::Notice => "notice",
        }
    }

    fn parse(s: &str) -> Result<Self, DbError> {
        match s {
            "role_add" => Ok(Self::RoleAdd),
            "role_remove" => Ok(Self::RoleRemove),
            "notice" => Ok(Self::Notice),
            other => Err(DbError::Other(format!(
                "outbox entry of unknown kind `{other}` (written by a newer version?)"
            ))),
        }
    }
}

/// An effect to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxEntry {
    pub guild_id: u64,
    pub user_id: u64,
    pub kind: OutboxKind,
    /// What to send, as the sender's own JSON (opaque here).
    pub payload: String,
    /// Notices: dropped unsent after this time.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A stored effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub guild_id: u64,
    pub user_id: u64,
    pub kind: OutboxKind,
    pub payload: String,
    pub created_at: DateTime<Utc>,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// The guilds whose entries a process sends: those of its shards (Discord puts guild `g` on
/// shard `(g >> 22) % total`), so shard processes sharing one database never send the same
/// entry twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardFilter {
    pub first: u32,
    /// Inclusive.
    pub last: u32,
    pub total: u32,
}

/// Builds, inside a batch's transaction, the Discord effects that the batch's outcome causes,
/// so they are committed with it or not at all. Must be a pure function of the outcome: the
/// transaction may be retried.
pub trait OutcomeEffects: Sync {
    fn outbox(&self, outcome: &BatchOutcome) -> Vec<NewOutboxEntry>;
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Inserts `entries`, due now, inside the caller's transaction.
pub(crate) async fn insert_entries<C: ConnectionTrait>(
    c: &C,
    entries: &[NewOutboxEntry],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for e in entries {
        c.execute(sea_orm::Statement::from_sql_and_values(
            c.get_database_backend(),
            "INSERT INTO outbox (guild_id, user_id, kind, payload, created_at, not_before, expires_at, attempts) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
            vec![
                e.guild_id.to_string().into(),
                e.user_id.to_string().into(),
                e.kind.as_str().into(),
                e.payload.as_str().into(),
                now.into(),
                ms(now).into(),
                e.expires_at.map(ms).into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// `AND <the guild is on one of these shards>`, with its values numbered from `next`.
fn shard_clause(shards: Option<ShardFilter>, next: usize) -> (String, Vec<Value>) {
    match shards {
        Some(s) => (
            format!(
                " AND ((CAST(guild_id AS BIGINT) >> 22) % ${}) BETWEEN ${} AND ${}",
                next,
                next + 1,
                next + 2
            ),
            vec![
                i64::from(s.total.max(1)).into(),
                i64::from(s.first).into(),
                i64::from(s.last).into(),
            ],
        ),
        None => (String::new(), Vec::new()),
    }
}

fn id_list(ids: &[i64], first: usize) -> String {
    (0..ids.len())
        .map(|i| format!("${}", first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Db {
    /// Stores effects outside a batch (a moderator's XP change, a test), due now.
    pub async fn enqueue_effects(&self, entries: &[NewOutboxEntry]) -> Result<(), DbError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.retry("enqueue_effects", || async {
            let txn = self.begin_write().await?;
            insert_entries(&txn, entries, Utc::now()).await?;
            txn.commit().await?;
            Ok(())
        })
        .await
    }

    /// Up to `limit` entries due at `now`, oldest first. A guild's role changes come in the
    /// order they were made: one put off (a rate limit, a failure) holds back the guild's
    /// later ones, so a member's reward is never removed before it was given.
    pub async fn due_effects(
        &self,
        now: DateTime<Utc>,
        shards: Option<ShardFilter>,
        limit: u64,
    ) -> Result<Vec<OutboxEntry>, DbError> {
        let (clause, mut values) = shard_clause(shards, 3);
        let sql = format!(
            "SELECT id, guild_id, user_id, kind, payload, created_at, attempts FROM outbox \
             WHERE not_before <= $1{clause} \
             AND NOT (kind <> 'notice' AND EXISTS (SELECT 1 FROM outbox AS earlier \
                 WHERE earlier.guild_id = outbox.guild_id AND earlier.kind <> 'notice' \
                 AND earlier.id < outbox.id AND earlier.not_before > $1)) \
             ORDER BY id LIMIT $2"
        );
        let mut all: Vec<Value> = vec![
            ms(now).into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ];
        all.append(&mut values);
        self.retry("due_effects", || async {
            let rows = self.conn().query_all(self.stmt(&sql, all.clone())).await?;
            rows.into_iter()
                .map(|r| {
                    let id_of = |col: &str| -> Result<u64, DbError> {
                        let text: String = r.try_get("", col)?;
                        text.parse().map_err(|_| {
                            DbError::Other(format!("outbox {col} `{text}` is not an id"))
                        })
                    };
                    Ok(OutboxEntry {
                        id: r.try_get("", "id")?,
                        guild_id: id_of("guild_id")?,
                        user_id: id_of("user_id")?,
                        kind: OutboxKind::parse(&r.try_get::<String>("", "kind")?)?,
                        payload: r.try_get("", "payload")?,
                        created_at: r.try_get("", "created_at")?,
                        attempts: u32::try_from(r.try_get::<i32>("", "attempts")?).unwrap_or(0),
                    })
                })
                .collect()
        })
        .await
    }

    /// When the next entry not yet due at `now` is due.
    pub async fn next_effect_due(
        &self,
        now: DateTime<Utc>,
        shards: Option<ShardFilter>,
    ) -> Result<Option<DateTime<Utc>>, DbError> {
        let (clause, mut values) = shard_clause(shards, 2);
        let sql = format!("SELECT MIN(not_before) AS t FROM outbox WHERE not_before > $1{clause}");
        let mut all: Vec<Value> = vec![ms(now).into()];
        all.append(&mut values);
        self.retry("next_effect_due", || async {
            let row = self.conn().query_one(self.stmt(&sql, all.clone())).await?;
            let t: Option<i64> = match row {
                Some(r) => r.try_get("", "t")?,
                None => None,
            };
            Ok(t.and_then(DateTime::<Utc>::from_timestamp_millis))
        })
        .await
    }

    /// Deletes entries that were sent (or refused for good).
    pub async fn finish_effects(&self, ids: &[i64]) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!("DELETE FROM outbox WHERE id IN ({})", id_list(ids, 1));
        let values: Vec<Value> = ids.iter().map(|&i| i.into()).collect();
        self.retry("finish_effects", || async {
            self.conn().execute(self.stmt(&sql, values.clone())).await?;
            Ok(())
        })
        .await
    }

    /// Puts entries off until `until` (a rate limit's reset, a retry's backoff), counting the
    /// attempt and keeping its error for `db verify` and operators.
    pub async fn postpone_effects(
        &self,
        ids: &[i64],
        until: DateTime<Utc>,
        error: &str,
    ) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE outbox SET not_before = $1, attempts = attempts + 1, last_error = $2 WHERE id IN ({})",
            id_list(ids, 3)
        );
        let mut values: Vec<Value> = vec![ms(until).into(), error.into()];
        values.extend(ids.iter().map(|&i| Value::from(i)));
        self.retry("postpone_effects", || async {
            self.conn().execute(self.stmt(&sql, values.clone())).await?;
            Ok(())
        })
        .await
    }

    /// Deletes notices that expired unsent; returns how many.
    pub async fn expire_notices(
        &self,
        now: DateTime<Utc>,
        shards: Option<ShardFilter>,
    ) -> Result<u64, DbError> {
        let (clause, mut values) = shard_clause(shards, 2);
        let sql = format!(
            "DELETE FROM outbox WHERE kind = 'notice' AND expires_at IS NOT NULL AND expires_at < $1{clause}"
        );
        let mut all: Vec<Value> = vec![ms(now).into()];
        all.append(&mut values);
        self.retry("expire_notices", || async {
            Ok(self
                .conn()
                .execute(self.stmt(&sql, all.clone()))
                .await?
                .rows_affected())
        })
        .await
    }

    /// Keeps only the `keep` newest notices waiting (at least 1), deleting older ones; returns
    /// how many were deleted. Role changes are never trimmed: they are the rewards themselves.
    pub async fn trim_notices(
        &self,
        keep: u64,
        shards: Option<ShardFilter>,
    ) -> Result<u64, DbError> {
        let (clause, mut values) = shard_clause(shards, 2);
        let sql = format!(
            "DELETE FROM outbox WHERE kind = 'notice'{clause} AND id <= \
             (SELECT id FROM outbox WHERE kind = 'notice'{clause} ORDER BY id DESC LIMIT 1 OFFSET $1)"
        );
        let mut all: Vec<Value> = vec![i64::try_from(keep.max(1)).unwrap_or(i64::MAX).into()];
        all.append(&mut values);
        self.retry("trim_notices", || async {
            Ok(self
                .conn()
                .execute(self.stmt(&sql, all.clone()))
                .await?
                .rows_affected())
        })
        .await
    }

    /// Entries waiting (due or not), of every guild.
    pub async fn pending_effects(&self) -> Result<u64, DbError> {
        self.retry("pending_effects", || async {
            let row = self
                .conn()
                .query_one(self.stmt("SELECT COUNT(*) AS n FROM outbox", vec![]))
                .await?;
            let n: i64 = match row {
                Some(r) => r.try_get("", "n")?,
                None => 0,
            };
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}
