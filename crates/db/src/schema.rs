//! Connecting, the schema-version guard and migrations (`questline migrate ...` uses these).

use std::sync::Arc;
use std::time::Duration;

use questline_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use super::cache::Caches;
use super::config::DatabaseConfig;
use super::error::{DbError, redact_url, scrub};
use super::retry::RetryPolicy;
use super::{Db, Inner};

/// One migration and whether it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub name: String,
    pub applied: bool,
}

/// The schema state: known migrations (in order) and applied names this binary does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub migrations: Vec<MigrationStatus>,
    pub unknown_applied: Vec<String>,
}

impl Db {
    /// Opens the pool, refuses a schema newer than this binary, and applies pending
    /// migrations unless `run_migrations = false`. Creates the SQLite file's directory.
    pub async fn connect(config: &DatabaseConfig) -> Result<Db, DbError> {
        let conn = open(config).await?;
        let state = migration_state(&conn).await?;
        if !state.unknown_applied.is_empty() {
            return Err(DbError::SchemaTooNew {
                unknown: state.unknown_applied,
            });
        }
        let pending = state.migrations.iter().filter(|m| !m.applied).count();
        if pending > 0 {
            if config.run_migrations {
                tracing::info!(pending, "applying database migrations");
                Migrator::up(&conn, None).await.map_err(migration_error)?;
            } else {
                tracing::warn!(
                    pending,
                    "database has pending migrations and run_migrations = false; run `questline migrate up`"
                );
            }
        }
        Ok(Db::from_connection(conn, config))
    }

    /// Opens the pool without touching the schema (for `questline migrate`).
    pub async fn connect_without_migrations(config: &DatabaseConfig) -> Result<Db, DbError> {
        let conn = open(config).await?;
        Ok(Db::from_connection(conn, config))
    }

    fn from_connection(conn: DatabaseConnection, config: &DatabaseConfig) -> Db {
        let caches = Arc::new(Caches::new(&config.cache));
        super::notify::start(&conn, &caches);
        Db {
            inner: Arc::new(Inner {
                conn,
                caches,
                retry: RetryPolicy {
                    attempts: config.retry_attempts.max(1),
                    base_delay: Duration::from_millis(config.retry_base_delay_ms),
                    max_delay: Duration::from_millis(config.retry_max_delay_ms),
                },
                kv_max_keys: config.kv_max_keys,
            }),
        }
    }

    /// Applied and pending migrations.
    pub async fn migration_status(&self) -> Result<MigrationState, DbError> {
        migration_state(self.conn()).await
    }

    /// Applies `steps` pending migrations (all when `None`).
    pub async fn migrate_up(&self, steps: Option<u32>) -> Result<(), DbError> {
        self.refuse_newer().await?;
        let result = Migrator::up(self.conn(), steps).await;
        self.forget_cached();
        result.map_err(migration_error)
    }

    /// Reverts `steps` applied migrations (all when `None`).
    pub async fn migrate_down(&self, steps: Option<u32>) -> Result<(), DbError> {
        self.refuse_newer().await?;
        let result = Migrator::down(self.conn(), steps).await;
        self.forget_cached();
        result.map_err(migration_error)
    }

    /// Drops every table and applies all migrations: ALL DATA IS LOST.
    pub async fn migrate_fresh(&self) -> Result<(), DbError> {
        let result = Migrator::fresh(self.conn()).await;
        self.forget_cached();
        result.map_err(migration_error)
    }

    async fn refuse_newer(&self) -> Result<(), DbError> {
        let state = migration_state(self.conn()).await?;
        if state.unknown_applied.is_empty() {
            Ok(())
        } else {
            Err(DbError::SchemaTooNew {
                unknown: state.unknown_applied,
            })
        }
    }

    fn forget_cached(&self) {
        self.caches().all_changed();
    }
}

fn migration_error(err: sea_orm::DbErr) -> DbError {
    match DbError::from(err) {
        DbError::Other(m) => DbError::Migration(m),
        other => other,
    }
}

async fn open(config: &DatabaseConfig) -> Result<DatabaseConnection, DbError> {
    if let Some(path) = config.sqlite_path()
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| DbError::Unavailable {
            reason: format!(
                "cannot create the directory {} for the SQLite database: {e}",
                dir.display()
            ),
        })?;
    }
    let mut options = ConnectOptions::new(config.url.clone());
    options
        .max_connections(config.max_connections.max(1))
        .min_connections(config.min_connections)
        .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(config.acquire_timeout_secs))
        // No ping before each checkout: it is a round trip per statement, as much as many
        // cached reads cost. A connection the server dropped fails its statement instead,
        // which the repository's retry (`db::retry`) treats as transient and runs again.
        .test_before_acquire(false)
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Trace)
        .sqlx_slow_statements_logging_settings(
            log::LevelFilter::Warn,
            Duration::from_millis(config.slow_statement_ms),
        );
    if config.is_sqlite() && (config.url.contains(":memory:") || config.url.contains("mode=memory"))
    {
        // Every SQLite connection to `:memory:` is a separate, empty database: keep exactly
        // one, forever, or migrations and data would vanish between queries.
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(Duration::from_secs(u64::from(u32::MAX)))
            .max_lifetime(Duration::from_secs(u64::from(u32::MAX)));
    }
    if !config.is_sqlite() && tls_pointless(&config.url) {
        options.map_sqlx_postgres_opts(|o| o.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable));
    }
    let busy = Duration::from_millis(config.sqlite_busy_timeout_ms);
    options.map_sqlx_sqlite_opts(move |o| {
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        o.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(busy)
    });
    Database::connect(options).await.map_err(|e| {
        let reason = scrub(&e.to_string(), &config.url);
        let hint = if tls_pointless(&config.url) {
            " (TLS is off for a server on this machine unless the URL says otherwise: add \
             `?sslmode=require` if the server accepts only TLS connections)"
        } else {
            ""
        };
        DbError::Unavailable {
            reason: format!(
                "cannot connect to {}: {reason}{hint}",
                redact_url(&config.url)
            ),
        }
    })
}

/// Whether a PostgreSQL URL names a server on this machine (loopback) and leaves the TLS
/// mode to the driver (no `sslmode` in the URL, no `PGSSLMODE`). Such a connection is opened
/// without TLS: the driver's default (`prefer`) negotiates TLS whenever the server offers it,
/// which on a loopback connection protects nothing and costs CPU on both sides (the rustls
/// socket layer, its I/O included, was about 6% of the bot's CPU in `perf` under load). A URL
/// or `PGSSLMODE` that names a mode is obeyed.
fn tls_pointless(url: &str) -> bool {
    loopback_without_mode(url, std::env::var_os("PGSSLMODE").is_some())
}

/// [`tls_pointless`] with the environment's say passed in (`env_names_mode`: `PGSSLMODE` is set).
fn loopback_without_mode(url: &str, env_names_mode: bool) -> bool {
    use std::str::FromStr as _;
    let Ok(options) = sea_orm::sqlx::postgres::PgConnectOptions::from_str(url) else {
        return false;
    };
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let names_mode = query.split('&').any(|kv| {
        let key = kv.split_once('=').map_or(kv, |(k, _)| k);
        key.eq_ignore_ascii_case("sslmode") || key.eq_ignore_ascii_case("ssl-mode")
    });
    if names_mode || env_names_mode {
        return false;
    }
    let host = options
        .get_host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || std::net::IpAddr::from_str(host).is_ok_and(|ip| ip.is_loopback())
}

/// The migrations this binary knows, oldest first (what a backup's `seaql_migrations` rows are
/// checked against before it is restored).
pub fn known_migrations() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect()
}

/// The tables every Questline database has (a backup without them is not one).
pub const CORE_TABLES: &[&str] = &[
    "levels",
    "quests",
    "user_quests",
    "server_config",
    "achievements",
    "user_achievements",
    "cards",
    "roles",
    "seaql_migrations",
];

async fn migration_state(conn: &DatabaseConnection) -> Result<MigrationState, DbError> {
    let applied: Vec<String> = Migrator::get_migration_models(conn)
        .await
        .map_err(DbError::from)?
        .into_iter()
        .map(|m| m.version)
        .collect();
    let known = known_migrations();
    let unknown_applied = applied
        .iter()
        .filter(|a| !known.contains(a))
        .cloned()
        .collect();
    let migrations = known
        .into_iter()
        .map(|name| MigrationStatus {
            applied: applied.contains(&name),
            name,
        })
        .collect();
    Ok(MigrationState {
        migrations,
        unknown_applied,
    })
}

#[cfg(test)]
mod tests {
    use super::loopback_without_mode;

    #[test]
    fn tls_is_dropped_only_for_loopback_servers_whose_url_leaves_the_mode_open() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://u:p@localhost/db",
            "postgres://u@[::1]:5432/db",
            "postgresql://u@127.0.0.2/db?application_name=ql",
        ] {
            assert!(loopback_without_mode(url, false), "{url}");
            // PGSSLMODE in the environment names a mode: obeyed.
            assert!(!loopback_without_mode(url, true), "{url}");
        }
        for url in [
            // A mode in the URL is obeyed.
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=require",
            "postgres://postgres@localhost/db?application_name=x&sslmode=prefer",
            "postgres://postgres@localhost/db?ssl-mode=verify-full",
            // Another machine keeps the driver's default (TLS when offered).
            "postgres://u@db.example.com/db",
            "postgres://u@10.0.0.5:5432/db",
            "not a url",
        ] {
            assert!(!loopback_without_mode(url, false), "{url}");
        }
    }
}
