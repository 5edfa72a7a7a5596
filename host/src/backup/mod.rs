//! Backups: writing one (`questline backup`, and the running bot on a schedule), restoring
//! one (`questline restore`), and keeping the newest `[backup] keep` of the scheduled ones.
//!
//! SQLite: `VACUUM INTO` gives a consistent, compacted copy while the bot runs; a restore
//! checks the file is a Questline database this binary runs, then replaces the database
//! file. PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean`, which must be
//! installed (the error says how when they are not): a dump is PostgreSQL's own consistent
//! snapshot, and SQL through the repository could not copy a database while it changes.
//! Housekeeping that runs in the bot (scheduled backups, cache purges) is in [`schedule`].

pub mod schedule;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::db::{DatabaseConfig, Db, DbError, redact_url};
use crate::problem::Problem;

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const PGDUMP_MAGIC: &[u8] = b"PGDMP";
/// Scheduled backups are `questline-<UTC time>.<ext>` in `[backup] dir`; only such files
/// are ever pruned.
const PREFIX: &str = "questline-";

/// `[backup]` section: scheduled backups in the running bot.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// How often the running bot writes a backup (`1d`, `6h`, `30m`; combinable: `1h30m`).
    /// Off when unset.
    pub every: Option<String>,
    /// Scheduled backups kept; older ones are deleted after each new one.
    pub keep: usize,
    /// Where scheduled backups are written.
    pub dir: PathBuf,
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self {
            every: None,
            keep: 7,
            dir: PathBuf::from("data/backups"),
        }
    }
}

impl BackupConfig {
    /// The interval, when scheduled backups are on.
    pub fn interval(&self) -> Option<Result<Duration, String>> {
        self.every.as_deref().map(parse_every)
    }

    pub(crate) fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if let Some(Err(_)) = self.interval() {
            out.push(Problem::value(
                "backup.every",
                format!("{:?}", self.every.as_deref().unwrap_or_default()),
                "a duration such as \"1d\", \"6h\" or \"1h30m\" (d, h, m, s), at least 1 minute",
            ));
        }
        out
    }
}

/// Parses `1d`, `6h`, `1h30m`, `90s` (at least a minute: a backup is a full copy).
pub fn parse_every(spec: &str) -> Result<Duration, String> {
    parse_interval(spec, Duration::from_secs(60))
}

/// Parses an interval in the console's duration syntax (d, h, m, s; combinable), at least
/// `min`.
pub fn parse_interval(spec: &str, min: Duration) -> Result<Duration, String> {
    let d = questline_text::parse_duration(spec.trim()).map_err(|e| e.to_string())?;
    if d < min {
        return Err(format!("`{spec}` is shorter than {} s", min.as_secs()));
    }
    Ok(d)
}

/// `[database] cache_purge_every`, when set: at least a second.
pub fn cache_purge_interval(config: &DatabaseConfig) -> Option<Result<Duration, String>> {
    config
        .cache_purge_every
        .as_deref()
        .map(|s| parse_interval(s, Duration::from_secs(1)))
}

/// Errors writing, restoring or pruning backups.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path} exists; choose another file or replace it explicitly")]
    Exists { path: PathBuf },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Db(#[from] DbError),
    #[error(
        "{tool} is not installed, and PostgreSQL backups and restores need it: install the PostgreSQL client tools of your server's major version (Debian/Ubuntu: apt-get install postgresql-client) or use your provider's snapshots"
    )]
    ToolMissing { tool: &'static str },
    #[error("{tool} failed ({status}): {stderr}")]
    ToolFailed {
        tool: &'static str,
        status: String,
        stderr: String,
    },
    #[error("{file} cannot be restored: {reason}")]
    NotRestorable { file: PathBuf, reason: String },
    #[error("{0} is not valid UTF-8; use a plain path")]
    BadPath(PathBuf),
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.to_path_buf();
    move |source| BackupError::Io {
        action,
        path,
        source,
    }
}

fn path_str(p: &Path) -> Result<&str, BackupError> {
    p.to_str()
        .ok_or_else(|| BackupError::BadPath(p.to_path_buf()))
}

/// The file extension of a backup of this backend.
pub fn extension(config: &DatabaseConfig) -> &'static str {
    if config.is_sqlite() {
        "sqlite"
    } else {
        "pgdump"
    }
}

/// Writes a consistent copy of the database to `out` (which must not exist) and returns
/// its size. `db` is the open repository (used for SQLite's `VACUUM INTO`); PostgreSQL is
/// dumped with `pg_dump` from `config.url`.
pub async fn write(db: &Db, config: &DatabaseConfig, out: &Path) -> Result<u64, BackupError> {
    if out.exists() {
        return Err(BackupError::Exists {
            path: out.to_path_buf(),
        });
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io("create", parent))?;
    }
    if config.is_sqlite() {
        db.backup_sqlite_into(out).await?;
    } else {
        let out_s = path_str(out)?;
        run_tool_off_thread(
            "pg_dump",
            &[
                "--format=custom",
                "--no-owner",
                "--file",
                out_s,
                "--dbname",
                &config.url,
            ],
        )
        .await?;
    }
    Ok(std::fs::metadata(out).map_err(io("read", out))?.len())
}

/// Replaces the configured database with the backup `file` (stop the bot first). The file
/// is checked first: a SQLite backup must be a Questline database this binary runs; a
/// PostgreSQL backup must be a `pg_dump` custom-format file, restored in one transaction
/// (`pg_restore --single-transaction`), so a failed restore leaves the database as it was.
pub async fn restore(config: &DatabaseConfig, file: &Path) -> Result<(), BackupError> {
    let head = {
        use std::io::Read as _;
        let mut head = [0u8; 16];
        let mut f = std::fs::File::open(file).map_err(io("open", file))?;
        let n = f.read(&mut head).map_err(io("read", file))?;
        head[..n].to_vec()
    };
    let not = |reason: String| BackupError::NotRestorable {
        file: file.to_path_buf(),
        reason,
    };
    let url = redact_url(&config.url);
    if config.is_sqlite() {
        if !head.starts_with(SQLITE_MAGIC) {
            return Err(not(format!(
                "it is not a SQLite backup{}, and the configured database is SQLite ({url})",
                if head.starts_with(PGDUMP_MAGIC) {
                    " (it is a pg_dump file: restore it into PostgreSQL)"
                } else {
                    ""
                }
            )));
        }
        let target = config.sqlite_path().ok_or_else(|| {
            not(
                "the configured SQLite database is in memory; there is nothing to restore into"
                    .into(),
            )
        })?;
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        // Work on a copy next to the target: the backup file itself is never modified, and
        // the target is replaced only once the copy proved to be a database we can run.
        let tmp = target.with_extension("restoring");
        std::fs::copy(file, &tmp).map_err(io("write", &tmp))?;
        if let Err(reason) = probe(&tmp, config).await {
            let _ = std::fs::remove_file(&tmp);
            return Err(not(reason));
        }
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", target.display()));
            if side.exists() {
                std::fs::remove_file(&side).map_err(io("remove", &side))?;
            }
        }
        std::fs::rename(&tmp, &target).map_err(io("replace", &target))?;
    } else {
        if !head.starts_with(PGDUMP_MAGIC) {
            return Err(not(format!(
                "it is not a pg_dump custom-format backup{}, and the configured database is PostgreSQL ({url})",
                if head.starts_with(SQLITE_MAGIC) {
                    " (it is a SQLite backup: restore it with a sqlite: database URL)"
                } else {
                    ""
                }
            )));
        }
        let file_s = path_str(file)?.to_owned();
        // Checked before the target is touched: the dump's tables and migrations.
        let toc = run_tool_off_thread("pg_restore", &["--list", &file_s]).await?;
        let migrations = run_tool_off_thread(
            "pg_restore",
            &[
                "--data-only",
                "--table=seaql_migrations",
                "--file=-",
                &file_s,
            ],
        )
        .await?;
        check_pg_dump(&toc, &migrations).map_err(not)?;
        run_tool_off_thread(
            "pg_restore",
            &[
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                &config.url,
                &file_s,
            ],
        )
        .await?;
    }
    Ok(())
}

/// Checks that `file` is a Questline database this binary can run; the reason when not.
async fn probe(file: &Path, base: &DatabaseConfig) -> Result<(), String> {
    let path = file
        .to_str()
        .ok_or_else(|| "its path is not valid UTF-8".to_string())?;
    let config = DatabaseConfig {
        url: format!("sqlite://{path}?mode=rw"),
        run_migrations: false,
        ..base.clone()
    };
    let db = Db::connect_without_migrations(&config)
        .await
        .map_err(|e| format!("cannot open it as a database: {e}"))?;
    let state = db.migration_status().await;
    let _ = db.close().await;
    let state = state.map_err(|e| format!("it is not a Questline database ({e})"))?;
    if !state.unknown_applied.is_empty() {
        return Err(format!(
            "it was written by a newer Questline (migrations {:?}); upgrade before restoring it",
            state.unknown_applied
        ));
    }
    if !state.migrations.iter().any(|m| m.applied) {
        return Err("it is not a Questline database (no migrations applied)".into());
    }
    Ok(())
}

/// Checks a `pg_dump` file's table of contents (`pg_restore --list`) and its
/// `seaql_migrations` rows (`pg_restore --data-only --table=seaql_migrations`): a Questline
/// database of a version this binary runs, or the reason it is not.
fn check_pg_dump(toc: &str, migrations: &str) -> Result<(), String> {
    let tables: Vec<&str> = toc
        .lines()
        .filter(|l| !l.starts_with(';'))
        .filter_map(|l| {
            let rest = &l[l.find(" TABLE ")? + " TABLE ".len()..];
            let mut words = rest.split_whitespace();
            (words.next()? != "DATA").then_some(())?;
            words.next()
        })
        .collect();
    let missing: Vec<&str> = crate::db::CORE_TABLES
        .iter()
        .copied()
        .filter(|t| !tables.contains(t))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "it is a pg_dump file, but not of a Questline database (tables {} are missing)",
            missing.join(", ")
        ));
    }
    // The COPY block's rows: `version<TAB>applied_at`, up to the `\.` that ends it.
    let applied: Vec<&str> = migrations
        .lines()
        .skip_while(|l| !l.starts_with("COPY "))
        .skip(1)
        .take_while(|l| *l != "\\.")
        .filter_map(|l| l.split('\t').next())
        .collect();
    if applied.is_empty() {
        return Err("it is not a Questline database (no migrations applied)".into());
    }
    let known = crate::db::known_migrations();
    let unknown: Vec<&str> = applied
        .iter()
        .copied()
        .filter(|v| !known.iter().any(|k| k == v))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "it was written by a newer Questline (migrations {unknown:?}); upgrade before restoring it"
        ));
    }
    Ok(())
}

/// [`run_tool`] on the blocking pool (the tools take seconds; the runtime must not wait).
async fn run_tool_off_thread(tool: &'static str, args: &[&str]) -> Result<String, BackupError> {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_tool(tool, &args)
    })
    .await
    .map_err(|e| BackupError::ToolFailed {
        tool,
        status: "task failed".into(),
        stderr: e.to_string(),
    })?
}

/// Runs a PostgreSQL client tool and returns what it printed; [`BackupError::ToolMissing`]
/// when it is not installed.
fn run_tool(tool: &'static str, args: &[&str]) -> Result<String, BackupError> {
    let output = match std::process::Command::new(tool).args(args).output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BackupError::ToolMissing { tool });
        }
        Err(e) => {
            return Err(BackupError::ToolFailed {
                tool,
                status: "not started".into(),
                stderr: e.to_string(),
            });
        }
    };
    if !output.status.success() {
        return Err(BackupError::ToolFailed {
            tool,
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The scheduled backups in `dir` (`questline-*.sqlite|pgdump`), oldest first.
pub fn scheduled_backups(dir: &Path) -> Result<Vec<PathBuf>, BackupError> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io("list", dir)(e)),
    };
    for entry in entries {
        let path = entry.map_err(io("list", dir))?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with(PREFIX) && (name.ends_with(".sqlite") || name.ends_with(".pgdump")) {
            out.push(path);
        }
    }
    // The names embed a sortable UTC time.
    out.sort();
    Ok(out)
}

/// Deletes all but the newest `keep` scheduled backups in `dir`; returns what it deleted.
/// Other files in `dir` are never touched.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, BackupError> {
    let all = scheduled_backups(dir)?;
    let excess = all.len().saturating_sub(keep.max(1));
    let mut deleted = Vec::with_capacity(excess);
    for path in all.into_iter().take(excess) {
        std::fs::remove_file(&path).map_err(io("delete", &path))?;
        deleted.push(path);
    }
    Ok(deleted)
}

/// The name of a scheduled backup taken at `at`.
pub fn scheduled_name(at: chrono::DateTime<chrono::Utc>, config: &DatabaseConfig) -> String {
    format!(
        "{PREFIX}{}.{}",
        at.format("%Y%m%dT%H%M%S%.3fZ"),
        extension(config)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_and_short_or_bad_ones_are_refused() {
        assert_eq!(parse_every("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_every("1h30m"), Ok(Duration::from_secs(5_400)));
        assert!(parse_every("30s").is_err());
        assert!(parse_every("daily").is_err());
        let bad = BackupConfig {
            every: Some("often".into()),
            keep: 0,
            ..BackupConfig::default()
        };
        let keys: Vec<String> = bad.validate().iter().map(|p| p.key.clone()).collect();
        // `keep` is range-checked with every number (`config::ranges`).
        assert_eq!(keys, vec!["backup.every"]);
    }

    #[test]
    fn a_missing_client_tool_is_named_with_how_to_install_it() {
        let err = run_tool("questline-no-such-pg-tool", &["--version"])
            .expect_err("not installed")
            .to_string();
        assert!(
            err.contains("questline-no-such-pg-tool is not installed")
                && err.contains("apt-get install postgresql-client"),
            "{err}"
        );
    }

    #[test]
    fn prune_keeps_the_newest_and_touches_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = DatabaseConfig::default();
        let base = chrono::DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
            .expect("time")
            .to_utc();
        let mut names = Vec::new();
        for i in 0..5 {
            let name = scheduled_name(base + chrono::Duration::hours(i), &config);
            std::fs::write(dir.path().join(&name), b"x").expect("write");
            names.push(name);
        }
        std::fs::write(dir.path().join("mine.sqlite"), b"x").expect("write");
        let deleted = prune(dir.path(), 2).expect("prune");
        assert_eq!(deleted.len(), 3);
        let left: Vec<String> = scheduled_backups(dir.path())
            .expect("list")
            .iter()
            .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, names[3..].to_vec());
        assert!(dir.path().join("mine.sqlite").exists());
    }
}
