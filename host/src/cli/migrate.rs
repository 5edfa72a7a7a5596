//! `questline migrate up|down|status|fresh`: schema migrations by hand (the bot also applies
//! pending migrations at start-up unless `[database] run_migrations = false`).

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::db::{Db, redact_url};

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub action: MigrateAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations (all, or the next N).
    Up {
        #[arg(long)]
        steps: Option<u32>,
    },
    /// Revert applied migrations (the last one by default).
    Down {
        /// How many to revert.
        #[arg(long, default_value_t = 1, conflicts_with = "all")]
        steps: u32,
        /// Revert every migration (drops all Questline tables and their data).
        #[arg(long)]
        all: bool,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and re-apply all migrations. ALL DATA IS LOST.
    Fresh {
        /// Confirm that all data may be deleted.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(config: &Config, args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let url = redact_url(&config.database.url);
    let db = Db::connect_without_migrations(&config.database)
        .await
        .with_context(|| format!("opening the database {url}"))?;
    match args.action {
        MigrateAction::Up { steps } => {
            db.migrate_up(steps).await?;
            println!("migrations applied ({url})");
            print_status(&db).await?;
        }
        MigrateAction::Down { steps, all } => {
            db.migrate_down(if all { None } else { Some(steps) })
                .await?;
            println!("migrations reverted ({url})");
            print_status(&db).await?;
        }
        MigrateAction::Status => print_status(&db).await?,
        MigrateAction::Fresh { yes } => {
            if !yes {
                anyhow::bail!(
                    "`migrate fresh` deletes every table and all data in {url}; re-run with --yes to confirm"
                );
            }
            db.migrate_fresh().await?;
            println!("database recreated ({url})");
            print_status(&db).await?;
        }
    }
    db.close().await?;
    Ok(ExitCode::SUCCESS)
}

async fn print_status(db: &Db) -> anyhow::Result<()> {
    let state = db.migration_status().await?;
    for m in &state.migrations {
        println!(
            "  [{}] {}",
            if m.applied { "applied" } else { "pending" },
            m.name
        );
    }
    for name in &state.unknown_applied {
        println!("  [unknown] {name} (applied by a newer Questline)");
    }
    Ok(())
}
