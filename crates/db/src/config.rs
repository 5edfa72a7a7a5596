//! `[database]` configuration: backend URL, pool, retries and cache sizing.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::redact_url;

/// `[database]` section. Every field has a default so an empty section is valid.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://data/questline.db?mode=rwc` (default, zero setup) or `postgres://...`.
    pub url: String,
    /// Pool size upper bound.
    pub max_connections: u32,
    /// Connections kept open while idle.
    pub min_connections: u32,
    /// How long to wait for the server when opening a connection.
    pub connect_timeout_secs: u64,
    /// How long a query waits for a free pooled connection before failing (transient).
    pub acquire_timeout_secs: u64,
    /// Apply pending migrations at start-up. Turn off when migrations are run separately
    /// (`questline migrate up`) by a deploy step.
    pub run_migrations: bool,
    /// Statements slower than this are logged at WARN.
    pub slow_statement_ms: u64,
    /// SQLite only: how long a writer waits for the write lock before `SQLITE_BUSY`.
    pub sqlite_busy_timeout_ms: u64,
    /// Attempts (including the first) for transient failures in [`super::safe_db_operation`].
    pub retry_attempts: u32,
    /// First backoff delay; doubles per attempt, with jitter.
    pub retry_base_delay_ms: u64,
    /// Backoff cap.
    pub retry_max_delay_ms: u64,
    /// Maximum keys per (guild, plugin) in the plugin key-value store.
    pub kv_max_keys: u64,
    /// Cache TTLs and capacities.
    pub cache: CacheConfig,
    /// The running bot empties every cache this often (`1h`, `30m`; off when unset), on top
    /// of the TTLs: a bound on how long a change made outside this process (another shard
    /// process, a manual SQL fix) can go unseen.
    pub cache_purge_every: Option<String>,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://data/questline.db?mode=rwc".to_string(),
            max_connections: 10,
            min_connections: 0,
            connect_timeout_secs: 10,
            acquire_timeout_secs: 10,
            run_migrations: true,
            slow_statement_ms: 500,
            sqlite_busy_timeout_ms: 5_000,
            retry_attempts: 4,
            retry_base_delay_ms: 50,
            retry_max_delay_ms: 2_000,
            kv_max_keys: 1_000,
            cache: CacheConfig::default(),
            cache_purge_every: None,
        }
    }
}

/// Hand-written so a password in the URL never reaches a log line.
impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .field("acquire_timeout_secs", &self.acquire_timeout_secs)
            .field("run_migrations", &self.run_migrations)
            .field("slow_statement_ms", &self.slow_statement_ms)
            .field("retry_attempts", &self.retry_attempts)
            .field("kv_max_keys", &self.kv_max_keys)
            .field("cache", &self.cache)
            .field("cache_purge_every", &self.cache_purge_every)
            .finish_non_exhaustive()
    }
}

/// One cache's sizing. TTL is in milliseconds so tests can use very short lifetimes.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// Time to live of an entry after it was loaded.
    pub ttl_ms: u64,
    /// Maximum number of entries.
    pub capacity: u64,
}

impl CacheSettings {
    pub const fn new(ttl_ms: u64, capacity: u64) -> Self {
        Self { ttl_ms, capacity }
    }

    pub fn ttl(&self) -> Duration {
        Duration::from_millis(self.ttl_ms)
    }
}

/// The data model's five caches, plus guilds' definitions (achievements, level roles). Defaults: definitions change rarely (long TTL), per-member data
/// changes constantly but is invalidated on every write through the repository anyway.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    pub quest: CacheSettings,
    pub active_quests: CacheSettings,
    pub user_quests: CacheSettings,
    pub user_stats: CacheSettings,
    pub server_config: CacheSettings,
    /// A guild's achievement definitions and level roles (read on every grant and level-up).
    pub definitions: CacheSettings,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            quest: CacheSettings::new(600_000, 10_000),
            active_quests: CacheSettings::new(300_000, 10_000),
            user_quests: CacheSettings::new(60_000, 100_000),
            user_stats: CacheSettings::new(60_000, 100_000),
            server_config: CacheSettings::new(600_000, 10_000),
            definitions: CacheSettings::new(600_000, 10_000),
        }
    }
}

impl DatabaseConfig {
    /// True for `sqlite:` URLs (the embedded default).
    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }

    /// The database file of a `sqlite:` URL, or `None` for in-memory databases and other
    /// backends. Used to create the parent directory before connecting.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        let rest = self.url.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        Some(std::path::PathBuf::from(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_partial_sections_and_rejects_unknown_fields() {
        let c: DatabaseConfig = toml::from_str(
            "url = 'postgres://bot:pw@db/questline'\nmax_connections = 20\n[cache.user_stats]\nttl_ms = 250\ncapacity = 10\n",
        )
        .expect("valid");
        assert_eq!(c.max_connections, 20);
        assert!(c.run_migrations);
        assert_eq!(c.cache.user_stats.ttl_ms, 250);
        assert_eq!(c.cache.quest.ttl_ms, CacheConfig::default().quest.ttl_ms);
        assert!(!format!("{c:?}").contains(":pw@"));
        assert!(toml::from_str::<DatabaseConfig>("uri = 'x'").is_err());
        assert_eq!(
            DatabaseConfig::default().sqlite_path(),
            Some(std::path::PathBuf::from("data/questline.db"))
        );
        let mem = DatabaseConfig {
            url: "sqlite::memory:".into(),
            ..Default::default()
        };
        assert_eq!(mem.sqlite_path(), None);
    }
}
