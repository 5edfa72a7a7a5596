//! `questline db verify [--fix]` and `questline db maintain`.

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::db::redact_url;
use crate::engine::boot;
use crate::import::guild_curve;

#[derive(Debug, clap::Args)]
pub struct DbArgs {
    #[command(subcommand)]
    pub action: DbAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum DbAction {
    /// Find inconsistencies (levels that disagree with XP under the guild's curve, progress
    /// of deleted or inactive quests, achievements earned twice, orphaned rows); with --fix,
    /// repair them. Exit status 1 when problems remain.
    Verify {
        /// Repair what was found (in one transaction per kind).
        #[arg(long)]
        fix: bool,
        /// Only this guild's levels (the other checks are database-wide).
        #[arg(long)]
        guild: Option<String>,
    },
    /// Housekeeping: ANALYZE/VACUUM (PostgreSQL) or PRAGMA optimize/VACUUM and an integrity
    /// check (SQLite); lists indexes that are never used.
    Maintain,
}

pub async fn run(config: &Config, args: DbArgs) -> anyhow::Result<ExitCode> {
    let url = redact_url(&config.database.url);
    match args.action {
        DbAction::Verify { fix, guild } => verify(config, fix, guild).await,
        DbAction::Maintain => {
            let db = crate::db::Db::connect(&config.database)
                .await
                .with_context(|| format!("cannot open the database at {url}"))?;
            let r = db.maintain().await?;
            for (step, ms) in &r.steps {
                println!("{step}: {ms} ms");
            }
            if let (Some(a), Some(b)) = (r.size_before_bytes, r.size_after_bytes) {
                println!("size: {a} → {b} bytes");
            }
            if let Some(i) = &r.integrity {
                println!("integrity check: {i}");
            }
            if !r.unused_indexes.is_empty() {
                println!(
                    "indexes never used since statistics were reset: {}",
                    r.unused_indexes.join(", ")
                );
            }
            db.close().await?;
            let healthy = r.integrity.as_deref().is_none_or(|i| i == "ok");
            Ok(if healthy {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

async fn verify(config: &Config, fix: bool, guild: Option<String>) -> anyhow::Result<ExitCode> {
    let (db, plugins) = boot::open(&config.database, &config.plugins, true)
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                redact_url(&config.database.url)
            )
        })?;
    let guilds = match guild {
        Some(g) => {
            super::parse_guild(&g)?;
            vec![g]
        }
        None => db.guilds_with_members().await?,
    };
    let mut remaining = 0u64;
    let mut changed = 0u64;
    for g in &guilds {
        // Stored guild ids are text; one that is not a number cannot have a curve.
        let Ok(guild) = g.parse::<u64>() else {
            println!(
                "guild {g}: levels not checked: the guild's XP curve is unavailable: guild id `{g}` is not a number"
            );
            remaining += 1;
            continue;
        };
        let (curve, plugin) =
            match guild_curve(&db, &plugins, &config.engine.default_xp_plugin, guild, None).await {
                Ok(c) => c,
                Err(e) => {
                    println!("guild {g}: levels not checked: {e}");
                    remaining += 1;
                    continue;
                }
            };
        let mismatches = db.find_level_mismatches(guild, &curve).await?;
        if mismatches.is_empty() {
            continue;
        }
        println!(
            "guild {g}: {} members' levels disagree with their XP under `{plugin}`",
            mismatches.len()
        );
        for m in mismatches.iter().take(10) {
            println!(
                "  member {}: {} XP, level {} stored, {} expected",
                m.user_id, m.xp, m.stored_level, m.expected_level
            );
        }
        if mismatches.len() > 10 {
            println!("  ... and {} more", mismatches.len() - 10);
        }
        if fix {
            let n = db.fix_levels(guild, &mismatches).await?;
            println!("  fixed {n} levels");
            changed += n;
            remaining += mismatches.len() as u64 - n;
        } else {
            remaining += mismatches.len() as u64;
        }
    }
    let findings = db.find_inconsistencies().await?;
    for f in findings.iter().filter(|f| f.rows > 0) {
        println!("{}: {} rows ({})", f.check, f.rows, f.description);
    }
    let found: u64 = findings.iter().map(|f| f.rows).sum();
    if fix && found > 0 {
        for f in db.repair_inconsistencies().await? {
            if f.rows > 0 {
                println!("  {}: {} rows removed", f.check, f.rows);
                changed += f.rows;
            }
        }
    } else {
        remaining += found;
    }
    println!(
        "checked {} guilds; {} problems {}; {} rows changed",
        guilds.len(),
        remaining,
        if fix {
            "left"
        } else {
            "found (re-run with --fix to repair)"
        },
        changed
    );
    println!(
        "members' reward roles live in Discord and are not checked here; the bot gives and takes them as levels change"
    );
    db.close().await?;
    Ok(if remaining == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
