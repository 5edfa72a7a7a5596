//! The command-line front end. Each subcommand lives in its own module; this one only parses
//! and dispatches, and turns errors into one readable message.

pub mod backup;
pub mod bench;
mod card;
pub mod config;
pub mod console;
pub mod db;
pub mod export;
pub mod gdpr;
pub mod import;
mod migrate;
pub mod plugin;
mod plugin_try;
pub mod run;
pub mod simulate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

/// Questline: a self-hostable Discord leveling bot with hot-reloadable WASM plugins.
#[derive(Debug, Parser)]
#[command(name = "questline", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Defaults to `questline.toml` when it exists.
    #[arg(long, global = true, env = "QUESTLINE_CONFIG")]
    pub config: Option<PathBuf>,

    /// Database URL (`sqlite://...` or `postgres://...`); overrides the configuration and
    /// the environment (`DATABASE_URL`, `QUESTLINE_DATABASE_URL`).
    #[arg(long, global = true)]
    pub database: Option<String>,

    /// Log lines as human-readable text or JSON (one object per line).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "human",
        env = "QUESTLINE_LOG_FORMAT"
    )]
    pub log_format: crate::observe::logging::LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// An interactive local guild: type as members, see XP, levels, quests and achievements.
    Console(console::ConsoleArgs),
    /// Replay activities from a JSON-lines file through the full pipeline.
    Simulate(simulate::SimulateArgs),
    /// Print a guild (members, quests, achievements, configuration) as JSON.
    Export(export::ExportArgs),
    /// Apply, revert or inspect schema migrations.
    Migrate(migrate::MigrateArgs),
    /// Inspect, check and scaffold plugins.
    Plugin(plugin::PluginArgs),
    /// Render rank cards offline and list card styles.
    Card(card::CardArgs),
    /// Validate a configuration file or print a complete example.
    Config(config::ConfigArgs),
    /// Import members (and MEE6 role rewards) from MEE6, Polaris, Experienced or a Questline export.
    Import(import::ImportArgs),
    /// A consistent copy of the database (SQLite VACUUM INTO; PostgreSQL pg_dump).
    Backup(backup::BackupArgs),
    /// Replace the database with a backup (stop the bot first).
    Restore(backup::RestoreArgs),
    /// Verify and repair the data, or run database housekeeping.
    Db(db::DbArgs),
    /// Privacy requests: a member's data as JSON, or its erasure.
    Gdpr(gdpr::GdprArgs),
    /// Measure the pipeline's throughput against one transaction per event and the
    /// database's own single-row update ceiling, on a scratch database.
    Bench(bench::BenchArgs),
    /// Run the bot on Discord (needs DISCORD_TOKEN; try `questline console` without one).
    Run(run::RunArgs),
}

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Interactive and report-printing commands keep the terminal for their own output: only
    // warnings and errors are logged unless QUESTLINE_LOG asks for more.
    let quiet = matches!(
        cli.command,
        Command::Console(_)
            | Command::Simulate(_)
            | Command::Export(_)
            | Command::Plugin(_)
            | Command::Card(_)
            | Command::Config(_)
            | Command::Import(_)
            | Command::Db(_)
            | Command::Gdpr(_)
            | Command::Bench(_)
    );
    // `plugin try` shows the tried plugin's own log lines (and every plugin's warnings).
    let trying = matches!(&cli.command, Command::Plugin(p) if p.is_try());
    let level = if trying {
        "warn,questline_plugin_runtime::state=trace"
    } else if quiet {
        "warn"
    } else {
        "info"
    };
    match run(cli, level) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Parses a `--guild` into the Discord id the database API takes, rejecting anything else
/// before anything is opened.
pub(crate) fn parse_guild(guild: &str) -> anyhow::Result<u64> {
    parse_id(guild)
        .ok_or_else(|| anyhow::anyhow!("--guild must be a numeric guild id, e.g. --guild 1"))
}

/// Parses a `--user` into a Discord id, like [`parse_guild`].
pub(crate) fn parse_user(user: &str) -> anyhow::Result<u64> {
    parse_id(user).ok_or_else(|| anyhow::anyhow!("--user must be a numeric user id, e.g. --user 1"))
}

/// Digits only (no sign, no spaces) that fit a snowflake.
fn parse_id(id: &str) -> Option<u64> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

fn run(cli: Cli, level: &str) -> anyhow::Result<ExitCode> {
    use crate::observe::logging::{LogConfig, init};
    // Checking a file must work even when the configuration in use is broken.
    let command = match cli.command {
        Command::Config(args) => {
            init(cli.log_format, level, &LogConfig::default())?;
            return self::config::run(args);
        }
        other => other,
    };
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            init(cli.log_format, level, &LogConfig::default())?;
            return Err(e.into());
        }
    };
    // Logs go where `[logging]` says from here on (stderr, and the daily file when set).
    init(cli.log_format, level, &config.logging)?;
    let bench_database = cli.database.clone();
    if let Some(url) = cli.database {
        config.database.url = url;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match command {
            Command::Console(args) => console::run(&config, args).await,
            Command::Simulate(args) => simulate::run(&config, args).await,
            Command::Export(args) => export::run(&config, args).await,
            Command::Migrate(args) => migrate::run(&config, args).await,
            Command::Plugin(args) => plugin::run(&config, args).await,
            Command::Card(args) => card::run(&config, args).await,
            Command::Import(args) => import::run(&config, args).await,
            Command::Backup(args) => backup::backup(&config, args).await,
            Command::Restore(args) => backup::restore(&config, args).await,
            Command::Db(args) => db::run(&config, args).await,
            Command::Gdpr(args) => gdpr::run(&config, args).await,
            Command::Config(args) => self::config::run(args),
            Command::Bench(args) => bench::run(&config, bench_database, args).await,
            Command::Run(args) => run::run(&config, args).await,
        }
    })
}
