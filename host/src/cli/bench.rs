//! `questline bench`: the whole pipeline's throughput against the per-event baseline and the
//! database's own single-row update ceiling (see [`crate::bench`]). Exits non-zero when any
//! event is missing from the stored counters.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::bench::{self, BenchOptions, Mode, WorkloadSpec};
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Activities to generate.
    #[arg(long, default_value_t = 20_000)]
    pub events: usize,
    /// Guilds they are spread over (Zipf: a few busy guilds, many quiet ones).
    #[arg(long, default_value_t = 50)]
    pub guilds: usize,
    /// Members per guild (Zipf: a few members send most messages).
    #[arg(long, default_value_t = 1_000)]
    pub members: usize,
    /// Active quests per guild.
    #[arg(long, default_value_t = 5)]
    pub quests: usize,
    /// Batched pipeline, one transaction per event (the baseline), or both.
    #[arg(long, value_enum, default_value_t = Mode::Both)]
    pub mode: Mode,
    /// Events of the per-event baseline (a prefix of the same workload; it is slow).
    #[arg(long, default_value_t = 2_000)]
    pub per_event_events: usize,
    /// Pace the batched run at this many events per second (default: as fast as it goes).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Also run the batched pipeline paced at half the throughput it reached and report its
    /// latency.
    #[arg(long)]
    pub half_rate: bool,
    /// Most events per batch (default: the bot's own, `[engine] batch_max_events`).
    #[arg(long, default_value_t = crate::engine::EngineConfig::default().batch_max_events)]
    pub batch_max: usize,
    /// Longest a batch started on an idle engine waits to fill, in milliseconds (default:
    /// the bot's own, `[engine] batch_max_wait_ms`).
    #[arg(long, default_value_t = crate::engine::EngineConfig::default().batch_max_wait_ms)]
    pub batch_wait_ms: u64,
    /// Transactions committing a batch side by side on PostgreSQL (default: the bot's own,
    /// `[engine] commit_lanes`; 0 = one per core, at most 4).
    #[arg(long, default_value_t = crate::engine::EngineConfig::default().commit_lanes)]
    pub commit_lanes: usize,
    /// Seconds the database's single-row update ceiling is measured (0 skips it).
    #[arg(long, default_value_t = 3.0)]
    pub ceiling_secs: f64,
    /// Connections the ceiling probe uses.
    #[arg(long, default_value_t = 1)]
    pub ceiling_clients: usize,
    /// Seed of the workload (the same seed generates the same activities).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    pub json: bool,
}

/// `database`: the global `--database` when given (a PostgreSQL server to create a scratch
/// database on); without it, a temporary SQLite file.
pub async fn run(
    config: &Config,
    database: Option<String>,
    args: BenchArgs,
) -> anyhow::Result<ExitCode> {
    if !(args.ceiling_secs >= 0.0 && args.ceiling_secs.is_finite()) {
        anyhow::bail!("--ceiling-secs must be a number of seconds, 0 or more");
    }
    if args.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        anyhow::bail!("--rate must be a positive number of events per second");
    }
    // A SQLite URL names the user's own file: the benchmark uses a temporary file instead.
    let database = database.filter(|url| {
        let sqlite = url.starts_with("sqlite:");
        if sqlite {
            eprintln!("note: benchmarking a temporary SQLite file, not {url}");
        }
        !sqlite
    });
    let mut plugins = config.plugins.clone();
    plugins.hot_reload = false;
    let opts = BenchOptions {
        database,
        workload: WorkloadSpec {
            events: args.events,
            guilds: args.guilds,
            members: args.members,
            seed: args.seed,
        },
        quests: args.quests,
        mode: args.mode,
        per_event_events: args.per_event_events,
        rate: args.rate,
        half_rate: args.half_rate,
        batch_max_events: args.batch_max,
        batch_max_wait_ms: args.batch_wait_ms,
        commit_lanes: args.commit_lanes,
        ceiling: Duration::from_secs_f64(args.ceiling_secs),
        ceiling_clients: args.ceiling_clients,
        plugins,
        database_config: config.database.clone(),
    };
    let report = bench::run(&opts).await.context("benchmark failed")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", bench::render(&report));
    }
    if report.verified() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: {} event(s) are missing from the stored counters (or were applied twice); the run is not valid",
            report.lost_events
        );
        Ok(ExitCode::FAILURE)
    }
}
