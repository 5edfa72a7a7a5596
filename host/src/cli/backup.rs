//! `questline backup --out FILE` and `questline restore FILE`: flags and confirmations;
//! the work is [`crate::backup`]'s.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::config::Config;
use crate::db::{Db, redact_url};

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
    let db = Db::connect(&config.database).await.with_context(|| {
        format!(
            "cannot open the database at {}",
            redact_url(&config.database.url)
        )
    })?;
    let written = crate::backup::write(&db, &config.database, &args.out).await;
    db.close().await?;
    let size = written.with_context(|| format!("backup to {} failed", args.out.display()))?;
    println!(
        "backup of {} written to {} ({size} bytes)",
        redact_url(&config.database.url),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(config: &Config, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let url = redact_url(&config.database.url);
    if !args.file.exists() {
        bail!("{} does not exist", args.file.display());
    }
    let target_exists = match config.database.sqlite_path() {
        Some(path) => path.exists(),
        None => !config.database.is_sqlite(),
    };
    if target_exists && !args.yes {
        bail!(
            "restoring replaces the database {url} with {}; stop the bot and re-run with --yes",
            args.file.display()
        );
    }
    crate::backup::restore(&config.database, &args.file).await?;
    println!("restored {} into {url}", args.file.display());
    Ok(ExitCode::SUCCESS)
}
