//! The database layer: the only place SQL is issued.
//!
//! [`Db`] is a cheap-to-clone handle (an `Arc` inside) over a SeaORM connection pool to
//! PostgreSQL (production) or SQLite (the embedded, zero-setup default), with the data model's
//! five TTL caches in front of the hot reads. Submodules own one concern each:
//! - [`config`]: `[database]` settings; [`error`]: typed errors; [`retry`]: `safe_db_operation`;
//! - [`cache`]: the caches; [`schema`]: connecting and migrations;
//! - [`levels`], [`quests`], [`achievements`], [`server`], [`profile`], [`plugin_store`],
//!   [`audit`], [`batch`], [`quest_reset`], [`outbox`] (Discord effects owed by commits), `member_state` (a batch's members read for all
//!   guilds at once): the repository functions, as `impl Db` blocks;
//! - [`seasons`]: periodic leaderboards (week, month, season) and seasons' ends;
//! - [`import`] (bulk imports in one transaction), [`privacy`] (a member's data download and
//!   erasure), [`maintenance`] (consistency checks and repairs, housekeeping, backups).

pub mod achievements;
pub mod audit;
pub mod batch;
mod boosts;
mod bulk;
pub mod cache;
mod changes;
pub mod config;
pub mod directory;
pub mod entities;
pub mod error;
pub mod import;
pub mod levels;
pub mod maintenance;
mod member_state;
mod notify;
pub mod outbox;
pub mod plugin_store;
pub mod privacy;
pub mod probe;
pub mod profile;
pub mod quest_reset;
pub mod quests;
pub mod retry;
pub mod schema;
pub mod seasons;
pub mod server;
pub mod web_sessions;

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbBackend, Statement, Value};

pub use achievements::AchievementGrant;
pub use audit::{AuditPage, ManualXp, NewAuditEntry};
pub use batch::{AchievementAward, ActivityBatch, BatchOutcome, BatchPart, QuestCompletion};
pub use boosts::{MAX_BOOST, NewBoost};
pub use cache::{CacheCounters, CacheStats};
pub use changes::{LevelCurve, MemberDelta, QuestProgressUpdate, XpOutcome};
pub use config::{CacheConfig, CacheSettings, DatabaseConfig};
pub use directory::{LeaderboardRow, MemberProfile};
pub use error::{DbError, redact_url};
pub use import::{
    ImportCounts, ImportData, ImportMode, ImportedCounters, ImportedMember, ImportedRole,
};
pub use levels::{ActivityCounter, Away, LeaderboardEntry, LevelRecord, MemberRank};
pub use maintenance::{Finding, LevelMismatch, MaintenanceReport};
pub use outbox::{NewOutboxEntry, OutboxEntry, OutboxKind, OutcomeEffects, ShardFilter};
pub use plugin_store::{KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES, PluginSettings};
pub use privacy::{MemberData, MemberDeletion};
pub use probe::{CeilingReport, CounterTotals, ScratchDatabase};
pub use profile::CardSettings;
pub use quest_reset::{CycleReset, CycleResetOutcome};
pub use quests::{NewQuest, QuestResetSettings, UserQuest};
pub use retry::{RetryPolicy, safe_db_operation};
pub use schema::{CORE_TABLES, MigrationState, MigrationStatus, known_migrations};
pub use seasons::{NewSeason, Period, SeasonEffects, SeasonEnd, Standing};
pub use server::{LeaderboardVisibility, LevelUpDestination, ServerSetting};
pub use web_sessions::{PendingLogin, SessionGuild, WebSession};

use cache::Caches;

/// The repository handle. Clone it freely; clones share the pool and the caches.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    conn: DatabaseConnection,
    caches: Arc<Caches>,
    retry: RetryPolicy,
    kv_max_keys: u64,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Which backend this handle talks to.
    pub fn backend(&self) -> DbBackend {
        use sea_orm::ConnectionTrait;
        self.inner.conn.get_database_backend()
    }

    /// Hit/miss/eviction counters of every cache, as plain numbers.
    pub fn cache_stats(&self) -> CacheStats {
        self.inner.caches.stats()
    }

    /// Empties every cache of this process, so the next reads see the database as it is now
    /// (after changes made outside it); returns how many entries were dropped. Scheduled by
    /// `[database] cache_purge_every`, on demand with the console's `:purge-caches`.
    pub fn purge_caches(&self) -> u64 {
        self.inner.caches.purge_all()
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(self) -> Result<(), DbError> {
        // Queued cache announcements go out first (they need the pool), unless the database
        // is unreachable: then other processes catch up within the caches' TTL.
        if let Some(task) = self.caches().stop_announcing() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
        self.inner.conn.clone().close().await.map_err(DbError::from)
    }

    fn conn(&self) -> &DatabaseConnection {
        &self.inner.conn
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock before it
    /// reads anything, waiting for it up to `sqlite_busy_timeout_ms`, as `BEGIN IMMEDIATE`
    /// does: a transaction that read first and then writes after another connection
    /// committed fails at once with SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out,
    /// so an operator's import would fail while the bot writes. SeaORM 1.1 has no way to say
    /// `BEGIN IMMEDIATE`, so the transaction's first statement is a write that changes no row
    /// (SQLite takes the lock, and retries through the busy handler, for the first statement
    /// of a transaction exactly as for `BEGIN IMMEDIATE`). PostgreSQL needs nothing.
    async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction, DbError> {
        use sea_orm::{ConnectionTrait, TransactionTrait};
        let txn = self.conn().begin().await?;
        if self.backend() == DbBackend::Sqlite {
            txn.execute_unprepared("UPDATE seaql_migrations SET version = version WHERE 0")
                .await?;
        }
        Ok(txn)
    }

    fn caches(&self) -> &Caches {
        &self.inner.caches
    }

    /// A guild's list from `cache`, or loaded by `load` (with retries) and cached unless it
    /// was invalidated meanwhile.
    async fn cached_list<T, F, Fut>(
        &self,
        cache: &cache::TtlCache<String, Arc<Vec<T>>>,
        guild_id: &str,
        name: &str,
        load: F,
    ) -> Result<Vec<T>, DbError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, DbError>>,
    {
        if let Some(hit) = cache.get(&guild_id.to_string()) {
            return Ok((*hit).clone());
        }
        let generation = cache.generation();
        let list = self.retry(name, load).await?;
        cache.insert_if_fresh(guild_id.to_string(), Arc::new(list.clone()), generation);
        Ok(list)
    }

    /// Runs `op` through [`safe_db_operation`] with this handle's policy.
    async fn retry<T, F, Fut>(&self, name: &str, op: F) -> Result<T, DbError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, DbError>>,
    {
        safe_db_operation(name, &self.inner.retry, op).await
    }

    fn stmt(&self, sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(self.backend(), sql, values)
    }
}

/// Discord ids (snowflakes) are `u64` in this crate's API and TEXT in the schema: each
/// function converts them once, to their decimal text, before they reach SQL or the caches.
///
/// Serializes a Discord id as its decimal text (`#[serde(serialize_with = "crate::id_text")]`):
/// what the stored columns hold and what JSON consumers (reports, `--json` output) got when
/// ids were strings; JavaScript numbers cannot hold every snowflake either.
pub fn id_text<S: serde::Serializer>(id: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

/// Rejects empty or oversized Discord snowflakes/identifiers before they reach SQL.
pub(crate) fn check_id(field: &'static str, value: &str) -> Result<(), DbError> {
    if value.is_empty() || value.len() > 64 {
        return Err(DbError::invalid(field, "must be 1 to 64 characters"));
    }
    Ok(())
}
