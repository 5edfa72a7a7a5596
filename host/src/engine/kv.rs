//! Plugin key-value storage backed by the database.
//!
//! The runtime's [`KvStore`] trait is synchronous because plugin calls run on threads that may
//! block: tokio's blocking pool (`spawn_blocking`), or the thread a small batch is prepared
//! on, inside `block_in_place` and `Handle::block_on` ([`crate::plugins::calls_inline`]).
//! This store captures a tokio [`Handle`] at construction and blocks on the repository's
//! async kv functions: with `Handle::block_on` on a pool thread (it is not a runtime worker),
//! and on the inline thread, which is already inside `block_on`, by polling the future right
//! there (`futures::executor::block_on`, the runtime's drivers still run on its workers). It
//! keeps one source of truth (no cache to go stale across processes), and the repository
//! enforces quotas and limits in the same transaction as the write (its `kv_max_keys` is the
//! quota, default 1,000 like the runtime's `KV_MAX_KEYS`). It must not be used from inside an
//! async task.

use tokio::runtime::Handle;

use crate::db::{Db, DbError};
use crate::plugins::{KvError, KvStore};

/// [`KvStore`] over the repository's `plugin_kv` table.
#[derive(Clone)]
pub struct DbKv {
    db: Db,
    handle: Handle,
}

impl std::fmt::Debug for DbKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbKv").finish_non_exhaustive()
    }
}

impl DbKv {
    /// Must be called inside a tokio runtime (it remembers the current one).
    pub fn new(db: Db) -> Self {
        Self {
            db,
            handle: Handle::current(),
        }
    }
}

impl DbKv {
    /// Runs `work` to completion on this thread (see the module docs for which way).
    fn wait<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        if crate::plugins::calls_are_inline() {
            futures::executor::block_on(work)
        } else {
            self.handle.block_on(work)
        }
    }
}

fn to_kv_error(err: DbError) -> KvError {
    match err {
        DbError::KvKeyTooLong { max, .. } => {
            KvError::BadKey(u32::try_from(max).unwrap_or(u32::MAX))
        }
        DbError::KvValueTooLarge { max, .. } => {
            KvError::ValueTooLarge(u32::try_from(max).unwrap_or(u32::MAX))
        }
        DbError::KvQuotaExceeded { .. } => KvError::QuotaExceeded,
        other => KvError::Unavailable(other.to_string()),
    }
}

impl KvStore for DbKv {
    fn get(&self, plugin: &str, guild: u64, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.wait(self.db.kv_get(guild, plugin, key))
            .map_err(to_kv_error)
    }

    fn set(&self, plugin: &str, guild: u64, key: &str, value: Vec<u8>) -> Result<(), KvError> {
        self.wait(self.db.kv_set(guild, plugin, key, &value))
            .map_err(to_kv_error)
    }

    fn delete(&self, plugin: &str, guild: u64, key: &str) -> Result<(), KvError> {
        self.wait(self.db.kv_delete(guild, plugin, key))
            .map(drop)
            .map_err(to_kv_error)
    }
}
