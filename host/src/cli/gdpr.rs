//! `questline gdpr download|delete --guild ID --user ID`: privacy requests for one member.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::db::{Db, redact_url};

#[derive(Debug, clap::Args)]
pub struct GdprArgs {
    #[command(subcommand)]
    pub action: GdprAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum GdprAction {
    /// Everything stored about the member in the guild, as JSON.
    Download {
        #[arg(long)]
        guild: String,
        #[arg(long)]
        user: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Erase everything stored about the member in the guild (one transaction).
    Delete {
        #[arg(long)]
        guild: String,
        #[arg(long)]
        user: String,
    },
}

pub async fn run(config: &Config, args: GdprArgs) -> anyhow::Result<ExitCode> {
    let db = Db::connect(&config.database).await.with_context(|| {
        format!(
            "cannot open the database at {}",
            redact_url(&config.database.url)
        )
    })?;
    match args.action {
        GdprAction::Download { guild, user, out } => {
            let data = db
                .member_data(super::parse_guild(&guild)?, super::parse_user(&user)?)
                .await?;
            let json = serde_json::to_string_pretty(&data)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, json)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    println!("member {user}'s data written to {}", path.display());
                }
                None => println!("{json}"),
            }
        }
        GdprAction::Delete { guild, user } => {
            let d = db
                .delete_member_data(super::parse_guild(&guild)?, super::parse_user(&user)?)
                .await?;
            if d.total() == 0 {
                println!("nothing stored about member {user} in guild {guild}");
            } else {
                println!(
                    "member {user} erased from guild {guild}: levels {}, quest progress {}, achievements {}, card {}, XP changes received {}, XP changes made (anonymised) {}",
                    d.levels,
                    d.user_quests,
                    d.user_achievements,
                    d.cards,
                    d.audit_received,
                    d.audit_made_anonymised
                );
            }
        }
    }
    db.close().await?;
    Ok(ExitCode::SUCCESS)
}
