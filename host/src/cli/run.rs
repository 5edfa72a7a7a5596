//! `questline run`: the bot on Discord. Reads DISCORD_TOKEN and the configuration, starts
//! [`crate::discord::Bot`], and shuts it down gracefully on Ctrl-C (SIGINT) or SIGTERM.

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::discord::{Bot, BotOptions, ShardRange};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The bot token (Developer Portal → Bot → Token). Read from the environment so it never
    /// lands in a file or in shell history.
    #[arg(
        long,
        env = "DISCORD_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    pub token: String,

    /// Register slash commands in this guild only (they update at once; global commands can
    /// take up to an hour to reach every client). For development.
    #[arg(long, value_name = "GUILD_ID")]
    pub dev_guild: Option<u64>,

    /// Run only these shards (`0-3`), so several processes can share one database. Needs
    /// `--shard-count`. Default: as many shards as Discord recommends, all in this process.
    #[arg(long, value_name = "A-B", requires = "shard_count")]
    pub shards: Option<String>,

    /// The total number of shards across all processes (with `--shards`).
    #[arg(long, value_name = "N", requires = "shards")]
    pub shard_count: Option<u32>,

    /// The OAuth2 client secret (Developer Portal → OAuth2), for "Log in with Discord" on
    /// the web pages (`[web] client_id`). Read from the environment, like the token.
    #[arg(long, env = "DISCORD_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
}

pub async fn run(config: &Config, args: RunArgs) -> anyhow::Result<ExitCode> {
    let shards = match (&args.shards, args.shard_count) {
        (Some(range), Some(total)) => {
            Some(ShardRange::parse(range, total).map_err(anyhow::Error::msg)?)
        }
        _ => None,
    };
    let options = BotOptions {
        token: args.token,
        dev_guild: args.dev_guild,
        shards,
        client_secret: args.client_secret.filter(|s| !s.is_empty()),
    };
    let mut bot = Bot::start(config, options).await?;
    tracing::info!("running; Ctrl-C or SIGTERM stops the bot gracefully");
    let ended = tokio::select! {
        r = bot.wait() => Some(r),
        () = shutdown_signal() => None,
    };
    if let Some(result) = ended {
        // The gateway stopped by itself: still commit what the engine holds.
        let report = bot.shutdown().await;
        tracing::info!(?report, "stopped");
        result.context("the Discord connection ended")?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = bot.shutdown().await;
    eprintln!(
        "stopped: {} activities, {} level-ups, {} messages sent, {} role changes",
        report.engine.submitted,
        report.engine.level_ups,
        report.effects.messages_sent,
        report.effects.roles_changed
    );
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
