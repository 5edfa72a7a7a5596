//! What the benchmark (`questline bench`) needs from the database, kept here because only the
//! db layer issues SQL:
//! - [`ScratchDatabase`]: a uniquely named PostgreSQL database created for one run and dropped
//!   afterwards, so a benchmark never touches a user's data;
//! - [`Db::single_row_update_ceiling`]: the database's own ceiling for a design that commits every activity alone
//!   (one single-row UPDATE per transaction), measured the way `pgbench -N` does, on the same
//!   `levels` table the engine writes;
//! - [`Db::stored_counter_totals`]: what the verification compares with what was sent.

use std::time::{Duration, Instant};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, FromQueryResult};
use serde::Serialize;

use super::Db;
use super::error::{DbError, redact_url};

/// Guild id of the probe's rows (not a Discord snowflake, so it never collides with a real
/// guild's rows).
const PROBE_GUILD: &str = "ql-bench-probe";

/// A PostgreSQL database that exists only for one benchmark run.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

/// `url` with its database name replaced by `name` (query string kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let slash = base[after_scheme..]
        .rfind('/')
        .map(|i| i + after_scheme)
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..slash])
}

async fn admin(url: &str) -> Result<sea_orm::DatabaseConnection, DbError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options).await.map_err(|e| {
        DbError::Other(format!(
            "cannot connect to PostgreSQL at {} to create the benchmark's database: {}; \
             check the URL and that the role may CREATE DATABASE",
            redact_url(url),
            super::error::scrub(&e.to_string(), url)
        ))
    })
}

impl ScratchDatabase {
    /// Creates `ql_bench_<random>` on the server `admin_url` points at (any database there
    /// the role can connect to, e.g. `postgres`).
    pub async fn create(admin_url: &str) -> Result<Self, DbError> {
        if !admin_url.starts_with("postgres://") && !admin_url.starts_with("postgresql://") {
            return Err(DbError::invalid(
                "database",
                "a scratch database needs a postgres:// URL",
            ));
        }
        let name = format!("ql_bench_{:016x}", rand::random::<u64>());
        let conn = admin(admin_url).await?;
        conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let _ = conn.close().await;
        Ok(Self {
            url: with_database(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    /// The URL of the scratch database.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database (closing any connection still open to it).
    pub async fn drop_database(self) -> Result<(), DbError> {
        let conn = admin(&self.admin_url).await?;
        conn.execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .await?;
        let _ = conn.close().await;
        Ok(())
    }
}

/// What the ceiling probe measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CeilingReport {
    /// Committed single-row UPDATE transactions.
    pub transactions: u64,
    pub seconds: f64,
    pub tps: f64,
    /// Concurrent connections issuing them.
    pub clients: usize,
}

/// Sums of the activity counters of a set of guilds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct CounterTotals {
    pub members: i64,
    pub total_messages: i64,
    pub total_reactions: i64,
    pub commands_used: i64,
    pub voice_time_seconds: i64,
}

impl Db {
    /// Runs single-row `UPDATE levels SET xp = xp + 1 WHERE ...` statements, each its own
    /// transaction (autocommit, as one transaction per activity does), from `clients`
    /// connections (each on its own row, so they never wait for each other's locks) for
    /// `duration`. The probe's rows are removed afterwards.
    pub async fn single_row_update_ceiling(
        &self,
        duration: Duration,
        clients: usize,
    ) -> Result<CeilingReport, DbError> {
        let clients = clients.max(1);
        for c in 0..clients {
            self.conn()
                .execute(self.stmt(
                    "INSERT INTO levels (guild_id, user_id) VALUES ($1, $2) \
                     ON CONFLICT (guild_id, user_id) DO NOTHING",
                    vec![PROBE_GUILD.into(), c.to_string().into()],
                ))
                .await?;
        }
        let started = Instant::now();
        let deadline = started + duration;
        let loops = (0..clients).map(|c| {
            let db = self.clone();
            async move {
                let user = c.to_string();
                let mut n = 0u64;
                while Instant::now() < deadline {
                    db.conn()
                        .execute(db.stmt(
                            "UPDATE levels SET xp = xp + 1 WHERE guild_id = $1 AND user_id = $2",
                            vec![PROBE_GUILD.into(), user.as_str().into()],
                        ))
                        .await?;
                    n += 1;
                }
                Ok::<_, DbError>(n)
            }
        });
        let counts = futures::future::try_join_all(loops).await?;
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        self.conn()
            .execute(self.stmt(
                "DELETE FROM levels WHERE guild_id = $1",
                vec![PROBE_GUILD.into()],
            ))
            .await?;
        let transactions = counts.iter().sum();
        Ok(CeilingReport {
            transactions,
            seconds,
            tps: transactions as f64 / seconds,
            clients,
        })
    }

    /// Sums of the stored counters of `guilds`, straight from the table (no cache).
    pub async fn stored_counter_totals(&self, guilds: &[u64]) -> Result<CounterTotals, DbError> {
        let mut totals = CounterTotals::default();
        for chunk in guilds.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS members, \
                   CAST(COALESCE(SUM(total_messages), 0) AS BIGINT) AS total_messages, \
                   CAST(COALESCE(SUM(total_reactions), 0) AS BIGINT) AS total_reactions, \
                   CAST(COALESCE(SUM(commands_used), 0) AS BIGINT) AS commands_used, \
                   CAST(COALESCE(SUM(voice_time_seconds), 0) AS BIGINT) AS voice_time_seconds \
                 FROM levels WHERE guild_id IN ({})",
                placeholders.join(", ")
            );
            let values = chunk.iter().map(|g| g.to_string().into()).collect();
            let part = CounterTotals::find_by_statement(self.stmt(&sql, values))
                .one(self.conn())
                .await?
                .unwrap_or_default();
            totals.members += part.members;
            totals.total_messages += part.total_messages;
            totals.total_reactions += part.total_reactions;
            totals.commands_used += part.commands_used;
            totals.voice_time_seconds += part.voice_time_seconds;
        }
        Ok(totals)
    }

    /// Whether this handle talks to PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_url_replaces_only_the_database_name() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
