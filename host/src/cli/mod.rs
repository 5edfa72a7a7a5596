//! The command-line front end. Each subcommand lives in its own module; this one only parses
//! and dispatches, and turns errors into one readable message.

mod card;
pub mod console;
pub mod export;
mod migrate;
mod plugin;
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

    /// Database URL (`sqlite://...` or `postgres://...`); overrides the configuration.
    #[arg(long, global = true, env = "DATABASE_URL")]
    pub database: Option<String>,

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
    );
    init_tracing(if quiet { "warn" } else { "info" });
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(default_level: &str) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("QUESTLINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(url) = cli.database {
        config.database.url = url;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Console(args) => console::run(&config, args).await,
            Command::Simulate(args) => simulate::run(&config, args).await,
            Command::Export(args) => export::run(&config, args).await,
            Command::Migrate(args) => migrate::run(&config, args).await,
            Command::Plugin(args) => plugin::run(&config, args).await,
            Command::Card(args) => card::run(&config, args).await,
            Command::Run(args) => run::run(&config, args).await,
        }
    })
}
