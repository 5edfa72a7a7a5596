//! `questline export --guild ID`: a guild as JSON (members with counters, completed quests
//! and achievements; level roles; the guild's quests and configuration), for backups,
//! inspection and moving a guild: `questline import questline FILE --guild ID` reads it back
//! (members, level roles and settings).

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::db::Db;
use crate::import::export_guild;

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The guild id.
    #[arg(long)]
    pub guild: String,
}

pub async fn run(config: &Config, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let guild = super::parse_guild(&args.guild)?;
    let db = Db::connect(&config.database).await.with_context(|| {
        format!(
            "cannot open the database at {}",
            crate::db::redact_url(&config.database.url)
        )
    })?;
    let value = export_guild(&db, guild).await?;
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(ExitCode::SUCCESS)
}
