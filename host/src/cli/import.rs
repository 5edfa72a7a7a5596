//! `questline import mee6|polaris|experienced|questline FILE --guild ID [--overwrite|--add]`:
//! the CLI face of [`crate::import`] with a progress bar and a printed summary.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::db::ImportMode;
use crate::engine::boot;
use crate::import::{Format, apply, guild_curve, parse};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file's format.
    #[arg(value_enum)]
    pub format: Format,
    /// The JSON file.
    pub file: PathBuf,
    /// The guild to import into.
    #[arg(long)]
    pub guild: String,
    /// Replace the XP (and counters) of members already stored.
    #[arg(long, conflicts_with = "add")]
    pub overwrite: bool,
    /// Add the file's XP (and counters) to what members already have.
    #[arg(long)]
    pub add: bool,
    /// Parse and report, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(config: &Config, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let guild = super::parse_guild(&args.guild)?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let plan = parse(args.format, &bytes)
        .with_context(|| format!("{} was not imported", args.file.display()))?;
    println!(
        "{}: {} members, {} level roles{}, {} rows skipped",
        args.file.display(),
        plan.members.len(),
        plan.roles.len(),
        if plan.server_config.is_some() {
            ", guild settings"
        } else {
            ""
        },
        plan.skipped.len()
    );
    let (db, plugins) = boot::open(&config.database, &config.plugins, true)
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                crate::db::redact_url(&config.database.url)
            )
        })?;
    let existing = db.count_guild_members(guild).await?;
    let mode = match (args.overwrite, args.add) {
        (true, _) => ImportMode::Overwrite,
        (_, true) => ImportMode::Add,
        _ if existing == 0 => ImportMode::Overwrite,
        _ => anyhow::bail!(
            "guild {} already has {existing} members stored: choose --overwrite (the file's XP replaces theirs) or --add (the file's XP is added to theirs)",
            args.guild
        ),
    };
    let override_plugin = plan
        .server_config
        .as_ref()
        .and_then(|c| c.xp_formula_plugin.clone());
    let (curve, plugin) = guild_curve(
        &db,
        &plugins,
        &config.engine.default_xp_plugin,
        guild,
        override_plugin.as_deref(),
    )
    .await?;
    if args.dry_run {
        println!("dry run: levels would use `{plugin}`; nothing was written");
        for s in plan.skipped.iter().take(50) {
            println!("  skipped {}: {}", s.row, s.reason);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let bar = ProgressBar::new(plan.members.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} members {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if plan.members.len() < 1_000 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let progress = {
        let bar = bar.clone();
        move |n: u64| bar.set_position(n)
    };
    let summary = apply(&db, guild, &plan, mode, &curve, &progress).await;
    bar.finish_and_clear();
    let summary = summary.context("the import was rolled back")?;
    print!("{summary}");
    println!("levels computed with `{plugin}`");
    db.close().await?;
    Ok(ExitCode::SUCCESS)
}
