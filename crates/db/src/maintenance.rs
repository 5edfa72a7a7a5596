//! Maintenance: health ping, consistency checks and repairs (`questline db verify`),
//! housekeeping (`questline db maintain`) and SQLite backups (`VACUUM INTO`).
//!
//! Checks are plain counting queries, repairs are deletes/updates of exactly the rows the
//! checks count, all repairs in one transaction. The schema already prevents most of these
//! (foreign keys, unique indexes); the checks exist for databases that were written by older
//! versions, restored from partial backups, or edited by hand, where they did not hold.

use std::path::Path;
use std::time::Instant;

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use serde::Serialize;

use super::Db;
use super::changes::LevelCurve;
use super::error::DbError;

/// One kind of inconsistency and how many rows have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Short identifier (`stale_quest_progress`, ...).
    pub check: &'static str,
    /// What it means, in words.
    pub description: &'static str,
    pub rows: u64,
}

/// A member whose stored level disagrees with their XP under the guild's curve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelMismatch {
    pub user_id: String,
    pub xp: i64,
    pub stored_level: i32,
    pub expected_level: i32,
}

/// What `db maintain` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MaintenanceReport {
    /// Each statement run and how long it took.
    pub steps: Vec<(String, u64)>,
    pub size_before_bytes: Option<i64>,
    pub size_after_bytes: Option<i64>,
    /// SQLite: `PRAGMA integrity_check` (`ok` when healthy).
    pub integrity: Option<String>,
    /// PostgreSQL: indexes never used since statistics were reset (candidates to review).
    pub unused_indexes: Vec<String>,
}

/// A check: (id, description, counting SQL, repairing SQL). Parameters: `$1` = false.
struct Check {
    id: &'static str,
    description: &'static str,
    count: &'static str,
    repair: &'static str,
}

const CHECKS: &[Check] = &[
    Check {
        id: "orphaned_quest_progress",
        description: "quest progress rows whose quest was deleted",
        count: "SELECT COUNT(*) AS n FROM user_quests WHERE quest_id NOT IN (SELECT id FROM quests)",
        repair: "DELETE FROM user_quests WHERE quest_id NOT IN (SELECT id FROM quests)",
    },
    Check {
        id: "cross_guild_quest_progress",
        description: "quest progress rows pointing at another guild's quest",
        count: "SELECT COUNT(*) AS n FROM user_quests uq WHERE EXISTS \
                (SELECT 1 FROM quests q WHERE q.id = uq.quest_id AND q.guild_id <> uq.guild_id)",
        repair: "DELETE FROM user_quests WHERE EXISTS \
                 (SELECT 1 FROM quests q WHERE q.id = user_quests.quest_id AND q.guild_id <> user_quests.guild_id)",
    },
    Check {
        id: "stale_quest_progress",
        description: "unfinished progress on inactive quests (they can never complete; finished ones are kept as history)",
        count: "SELECT COUNT(*) AS n FROM user_quests WHERE completed = $1 AND quest_id IN \
                (SELECT id FROM quests WHERE active = $1)",
        repair: "DELETE FROM user_quests WHERE completed = $1 AND quest_id IN \
                 (SELECT id FROM quests WHERE active = $1)",
    },
    Check {
        id: "duplicate_quest_progress",
        description: "second progress rows for the same member and quest",
        count: "SELECT COUNT(*) AS n FROM user_quests WHERE id NOT IN \
                (SELECT MIN(id) FROM user_quests GROUP BY guild_id, user_id, quest_id)",
        repair: "DELETE FROM user_quests WHERE id NOT IN \
                 (SELECT MIN(id) FROM user_quests GROUP BY guild_id, user_id, quest_id)",
    },
    Check {
        id: "orphaned_achievement_grants",
        description: "earned achievements whose achievement was deleted",
        count: "SELECT COUNT(*) AS n FROM user_achievements WHERE achievement_id NOT IN (SELECT id FROM achievements)",
        repair: "DELETE FROM user_achievements WHERE achievement_id NOT IN (SELECT id FROM achievements)",
    },
    Check {
        id: "cross_guild_achievement_grants",
        description: "earned achievements pointing at another guild's achievement",
        count: "SELECT COUNT(*) AS n FROM user_achievements ua WHERE EXISTS \
                (SELECT 1 FROM achievements a WHERE a.id = ua.achievement_id AND a.guild_id <> ua.guild_id)",
        repair: "DELETE FROM user_achievements WHERE EXISTS \
                 (SELECT 1 FROM achievements a WHERE a.id = user_achievements.achievement_id \
                  AND a.guild_id <> user_achievements.guild_id)",
    },
    Check {
        id: "duplicate_achievement_grants",
        description: "achievements earned twice by the same member (the earliest grant is kept)",
        count: "SELECT COUNT(*) AS n FROM user_achievements WHERE id NOT IN \
                (SELECT MIN(id) FROM user_achievements GROUP BY guild_id, user_id, achievement_id)",
        repair: "DELETE FROM user_achievements WHERE id NOT IN \
                 (SELECT MIN(id) FROM user_achievements GROUP BY guild_id, user_id, achievement_id)",
    },
];

impl Db {
    /// `SELECT 1`: whether the database answers (for `/healthz`). Not retried.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.conn()
            .execute_unprepared("SELECT 1")
            .await
            .map(|_| ())
            .map_err(DbError::from)
    }

    /// Counts every kind of inconsistency (rows the schema should have prevented).
    pub async fn find_inconsistencies(&self) -> Result<Vec<Finding>, DbError> {
        self.retry("find_inconsistencies", || async {
            let mut out = Vec::new();
            for check in CHECKS {
                let rows = count(self.conn(), self.backend(), check.count).await?;
                out.push(Finding {
                    check: check.id,
                    description: check.description,
                    rows,
                });
            }
            Ok::<_, DbError>(out)
        })
        .await
    }

    /// Repairs every inconsistency [`Db::find_inconsistencies`] counts, in one transaction;
    /// returns the rows changed per check.
    pub async fn repair_inconsistencies(&self) -> Result<Vec<Finding>, DbError> {
        let out = self
            .retry("repair_inconsistencies", || async {
                let txn = self.begin_write().await?;
                let mut out = Vec::new();
                for check in CHECKS {
                    let rows = txn
                        .execute(Statement::from_sql_and_values(
                            txn.get_database_backend(),
                            check.repair,
                            params(check.repair),
                        ))
                        .await?
                        .rows_affected();
                    out.push(Finding {
                        check: check.id,
                        description: check.description,
                        rows,
                    });
                }
                txn.commit().await?;
                Ok::<_, DbError>(out)
            })
            .await?;
        self.invalidate_all_caches();
        Ok(out)
    }

    /// Guilds that have members stored.
    pub async fn guilds_with_members(&self) -> Result<Vec<String>, DbError> {
        self.retry("guilds_with_members", || async {
            let rows = self
                .conn()
                .query_all(self.stmt(
                    "SELECT DISTINCT guild_id FROM levels ORDER BY guild_id",
                    vec![],
                ))
                .await?;
            rows.iter()
                .map(|r| r.try_get::<String>("", "guild_id").map_err(DbError::from))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
    }

    /// Members of `guild` whose stored level is not what `curve` gives for their XP.
    pub async fn find_level_mismatches(
        &self,
        guild: u64,
        curve: &dyn LevelCurve,
    ) -> Result<Vec<LevelMismatch>, DbError> {
        let guild: &str = &guild.to_string();
        let rows = self
            .retry("find_level_mismatches", || async {
                Ok::<_, DbError>(
                    self.conn()
                        .query_all(self.stmt(
                            "SELECT user_id, xp, level FROM levels WHERE guild_id = $1 ORDER BY user_id",
                            vec![guild.into()],
                        ))
                        .await?,
                )
            })
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let xp: i64 = r.try_get("", "xp")?;
            let stored: i32 = r.try_get("", "level")?;
            let expected = curve.level_for_xp(xp).max(0);
            if expected != stored {
                out.push(LevelMismatch {
                    user_id: r.try_get("", "user_id")?,
                    xp,
                    stored_level: stored,
                    expected_level: expected,
                });
            }
        }
        Ok(out)
    }

    /// Sets the expected levels, in one transaction. A member whose XP changed since the
    /// check is left alone (the engine recomputed their level anyway). Returns rows fixed.
    pub async fn fix_levels(&self, guild: u64, fixes: &[LevelMismatch]) -> Result<u64, DbError> {
        let guild: &str = &guild.to_string();
        let fixed = self
            .retry("fix_levels", || async {
                let txn = self.begin_write().await?;
                let mut n = 0;
                for f in fixes {
                    n += txn
                        .execute(Statement::from_sql_and_values(
                            txn.get_database_backend(),
                            "UPDATE levels SET level = $1 WHERE guild_id = $2 AND user_id = $3 AND xp = $4",
                            vec![
                                f.expected_level.into(),
                                guild.into(),
                                f.user_id.as_str().into(),
                                f.xp.into(),
                            ],
                        ))
                        .await?
                        .rows_affected();
                }
                txn.commit().await?;
                Ok::<_, DbError>(n)
            })
            .await?;
        self.caches().all_changed();
        Ok(fixed)
    }

    /// Housekeeping: `PRAGMA optimize` + `VACUUM` + an integrity check on SQLite; `VACUUM
    /// (ANALYZE)` and a list of never-used indexes on PostgreSQL.
    pub async fn maintain(&self) -> Result<MaintenanceReport, DbError> {
        let mut report = MaintenanceReport {
            size_before_bytes: self.size_bytes().await.ok(),
            ..Default::default()
        };
        let statements: &[&str] = match self.backend() {
            DbBackend::Sqlite => &[
                "PRAGMA optimize",
                "VACUUM",
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ],
            DbBackend::Postgres => &["VACUUM (ANALYZE)"],
            _ => &["ANALYZE"],
        };
        for sql in statements {
            let started = Instant::now();
            self.conn().execute_unprepared(sql).await?;
            report
                .steps
                .push((sql.to_string(), started.elapsed().as_millis() as u64));
        }
        match self.backend() {
            DbBackend::Sqlite => {
                let rows = self
                    .conn()
                    .query_all(self.stmt("PRAGMA integrity_check", vec![]))
                    .await?;
                let lines: Vec<String> = rows
                    .iter()
                    .filter_map(|r| r.try_get_by_index::<String>(0).ok())
                    .collect();
                report.integrity = Some(lines.join("; "));
            }
            DbBackend::Postgres => {
                let rows = self
                    .conn()
                    .query_all(self.stmt(
                        "SELECT s.indexrelname AS name FROM pg_stat_user_indexes s \
                         JOIN pg_index i ON i.indexrelid = s.indexrelid \
                         WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary \
                         ORDER BY 1",
                        vec![],
                    ))
                    .await?;
                report.unused_indexes = rows
                    .iter()
                    .filter_map(|r| r.try_get::<String>("", "name").ok())
                    .collect();
            }
            _ => {}
        }
        report.size_after_bytes = self.size_bytes().await.ok();
        Ok(report)
    }

    /// The database's size on disk.
    pub async fn size_bytes(&self) -> Result<i64, DbError> {
        let sql = match self.backend() {
            DbBackend::Sqlite => {
                "SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()"
            }
            _ => "SELECT pg_database_size(current_database())::BIGINT AS n",
        };
        let row = self
            .conn()
            .query_one(self.stmt(sql, vec![]))
            .await?
            .ok_or_else(|| DbError::Other("size query returned no row".into()))?;
        Ok(row.try_get::<i64>("", "n")?)
    }

    /// SQLite only: a consistent copy of the whole database in `out` (`VACUUM INTO`), taken
    /// while the bot keeps running. `out` must not exist.
    pub async fn backup_sqlite_into(&self, out: &Path) -> Result<(), DbError> {
        if self.backend() != DbBackend::Sqlite {
            return Err(DbError::invalid(
                "backend",
                "VACUUM INTO is SQLite's; back up PostgreSQL with pg_dump",
            ));
        }
        let path = out
            .to_str()
            .ok_or_else(|| DbError::invalid("out", "the backup path must be valid UTF-8"))?;
        let literal = path.replace('\'', "''");
        self.conn()
            .execute_unprepared(&format!("VACUUM INTO '{literal}'"))
            .await?;
        Ok(())
    }
}

/// `$1 = false` for statements that use it.
fn params(sql: &str) -> Vec<Value> {
    if sql.contains("$1") {
        vec![false.into()]
    } else {
        vec![]
    }
}

async fn count<C: ConnectionTrait>(c: &C, backend: DbBackend, sql: &str) -> Result<u64, DbError> {
    let row = c
        .query_one(Statement::from_sql_and_values(backend, sql, params(sql)))
        .await?
        .ok_or_else(|| DbError::Other("count returned no row".into()))?;
    Ok(row.try_get::<i64>("", "n")?.max(0) as u64)
}
