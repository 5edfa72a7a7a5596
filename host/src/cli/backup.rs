//! `questline backup --out FILE` and `questline restore FILE`.
//!
//! SQLite: `VACUUM INTO` gives a consistent, compacted copy while the bot runs; restore
//! checks the file is a Questline database this binary understands, then replaces the
//! database file (stop the bot first). PostgreSQL: `pg_dump --format=custom` and
//! `pg_restore --clean`, when the client tools are installed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::config::Config;
use crate::db::{DatabaseConfig, Db, redact_url};

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Where to write the backup (must not exist unless --force).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing file at --out.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A file written by `questline backup`.
    pub file: PathBuf,
    /// Confirm that the current database is replaced (stop the bot first).
    #[arg(long)]
    pub yes: bool,
}

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const PGDUMP_MAGIC: &[u8] = b"PGDMP";

pub async fn backup(config: &Config, args: BackupArgs) -> anyhow::Result<ExitCode> {
    if args.out.exists() {
        if !args.force {
            bail!(
                "{} exists; choose another --out or add --force to replace it",
                args.out.display()
            );
        }
        std::fs::remove_file(&args.out)
            .with_context(|| format!("cannot replace {}", args.out.display()))?;
    }
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    if config.database.is_sqlite() {
        let db = open(&config.database).await?;
        db.backup_sqlite_into(&args.out)
            .await
            .with_context(|| format!("backup to {} failed", args.out.display()))?;
        db.close().await?;
    } else {
        run_tool(
            "pg_dump",
            &[
                "--format=custom",
                "--no-owner",
                "--file",
                path_str(&args.out)?,
                "--dbname",
                &config.database.url,
            ],
        )?;
    }
    let size = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    println!(
        "backup of {} written to {} ({size} bytes)",
        redact_url(&config.database.url),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(config: &Config, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let mut head = [0u8; 16];
    let n = {
        use std::io::Read as _;
        let mut f = std::fs::File::open(&args.file)
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        f.read(&mut head)?
    };
    let head = &head[..n];
    let url = redact_url(&config.database.url);
    if config.database.is_sqlite() {
        if !head.starts_with(SQLITE_MAGIC) {
            bail!(
                "{} is not a SQLite backup{}; the configured database is SQLite ({url})",
                args.file.display(),
                if head.starts_with(PGDUMP_MAGIC) {
                    " (it is a pg_dump file: restore it into PostgreSQL)"
                } else {
                    ""
                }
            );
        }
        let target = config
            .database
            .sqlite_path()
            .context("the configured SQLite database is in memory; nothing to restore into")?;
        if target.exists() && !args.yes {
            bail!(
                "restoring replaces the database {} with {}; stop the bot and re-run with --yes",
                target.display(),
                args.file.display()
            );
        }
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        // Work on a copy next to the target: the backup file itself is never modified, and
        // the target is replaced only once the copy proved to be a database we can run.
        let tmp = target.with_extension("restoring");
        std::fs::copy(&args.file, &tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        if let Err(e) = probe(&tmp, &config.database).await {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.context(format!("{} was not restored", args.file.display())));
        }
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", target.display()));
            if side.exists() {
                std::fs::remove_file(&side)
                    .with_context(|| format!("cannot remove {}", side.display()))?;
            }
        }
        std::fs::rename(&tmp, &target)
            .with_context(|| format!("cannot replace {}", target.display()))?;
    } else {
        if !head.starts_with(PGDUMP_MAGIC) {
            bail!(
                "{} is not a pg_dump custom-format backup; the configured database is PostgreSQL ({url})",
                args.file.display()
            );
        }
        if !args.yes {
            bail!("restoring replaces the tables of {url}; stop the bot and re-run with --yes");
        }
        run_tool(
            "pg_restore",
            &[
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                &config.database.url,
                path_str(&args.file)?,
            ],
        )?;
    }
    println!("restored {} into {url}", args.file.display());
    Ok(ExitCode::SUCCESS)
}

/// Checks that `file` is a Questline database this binary can run.
async fn probe(file: &Path, base: &DatabaseConfig) -> anyhow::Result<()> {
    let config = DatabaseConfig {
        url: format!("sqlite://{}?mode=rw", path_str(file)?),
        run_migrations: false,
        ..base.clone()
    };
    let db = Db::connect_without_migrations(&config)
        .await
        .context("cannot open it as a database")?;
    let state = db.migration_status().await;
    db.close().await?;
    let state = state.context("it is not a Questline database")?;
    if !state.unknown_applied.is_empty() {
        bail!(
            "it was written by a newer Questline (migrations {:?}); upgrade before restoring it",
            state.unknown_applied
        );
    }
    if !state.migrations.iter().any(|m| m.applied) {
        bail!("it is not a Questline database (no migrations applied)");
    }
    Ok(())
}

async fn open(config: &DatabaseConfig) -> anyhow::Result<Db> {
    Db::connect(config)
        .await
        .with_context(|| format!("cannot open the database at {}", redact_url(&config.url)))
}

fn path_str(p: &Path) -> anyhow::Result<&str> {
    p.to_str()
        .with_context(|| format!("{} is not valid UTF-8", p.display()))
}

/// Runs a PostgreSQL client tool; a clear message when it is not installed.
fn run_tool(tool: &str, args: &[&str]) -> anyhow::Result<()> {
    let output = match std::process::Command::new(tool).args(args).output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{tool} is not installed: install the PostgreSQL client tools of your server's major version (Debian/Ubuntu: apt-get install postgresql-client) or use your provider's snapshots"
        ),
        Err(e) => bail!("cannot run {tool}: {e}"),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("{tool} failed ({}): {}", output.status, stderr.trim());
    }
    Ok(())
}
