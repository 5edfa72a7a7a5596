//! `questline console`: the first thing a newcomer runs. A local guild on the embedded
//! database with the bundled plugins; type as members and watch XP, level-ups, quests and
//! achievements happen. Reads stdin line by line, so a piped script works too.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::config::Config;
use crate::console::session::{ConsoleSink, GUILD, GUILD_NAME, Next, Session};
use crate::engine::{Clock, Engine, EngineDeps, boot};

#[derive(Debug, clap::Args)]
pub struct ConsoleArgs {
    /// Seed for the plugins' randomness (XP rolls), for a reproducible session.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also serve the local guild's leaderboard pages and JSON API on this loopback address
    /// (e.g. 127.0.0.1:8080), read-only and without login, while the console runs.
    #[arg(long, value_name = "ADDR")]
    pub web: Option<std::net::SocketAddr>,
}

pub async fn run(config: &Config, args: ConsoleArgs) -> anyhow::Result<ExitCode> {
    let (db, plugins) = boot::open(&config.database, &config.plugins, true)
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                crate::db::redact_url(&config.database.url)
            )
        })?;
    let clock = Session::saved_clock(&db).await;
    let sink = Arc::new(ConsoleSink::default());
    let mut engine_config = config.engine.clone();
    if args.seed.is_some() {
        engine_config.seed = args.seed;
    }
    // The console answers each line after its batch commits; no need to wait for more.
    engine_config.batch_max_wait_ms = engine_config.batch_max_wait_ms.min(20);
    let deps = EngineDeps {
        db: db.clone(),
        plugins: plugins.clone(),
        clock: Arc::new(clock.clone()),
        sink: sink.clone(),
    };
    let engine = Engine::start(deps, engine_config, &[GUILD])
        .await
        .context("cannot start the engine")?;
    // Hot reload, as in the running bot: a plugin file dropped into (or changed in) the
    // plugin directory while the console runs is picked up; a broken one is reported and the
    // working version keeps serving.
    let _watcher = if config.plugins.hot_reload {
        match plugins.start_watching() {
            Ok(watcher) => Some(watcher),
            Err(e) => {
                tracing::warn!(error = %e, "plugin hot reload unavailable");
                None
            }
        }
    } else {
        None
    };
    // `/healthz` and `/metrics` while the console runs, when `[observe] listen` is set.
    let observe = crate::observe::start_configured(
        &config.observe,
        crate::observe::ObserveSources::with_engine(
            db.clone(),
            plugins.clone(),
            &engine,
            config.engine.tick_secs,
        ),
    )
    .await?;
    let web = match args.web {
        Some(addr) => Some(
            crate::web::start(
                addr,
                crate::web::WebSources {
                    db: db.clone(),
                    pipeline: Some(engine.shared_pipeline()),
                    scope: crate::web::server::Scope::Local {
                        guild: GUILD,
                        name: GUILD_NAME.to_string(),
                    },
                    login: None,
                    commands: None,
                    managers: None,
                },
            )
            .await?,
        ),
        None => None,
    };
    let interactive = std::io::stdin().is_terminal();
    let mut stdout = tokio::io::stdout();
    let loaded: Vec<String> = plugins
        .list()
        .into_iter()
        .filter(|p| p.state.to_string() == "loaded")
        .map(|p| p.name)
        .collect();
    let banner = format!(
        "Questline console · {GUILD_NAME} · {} · clock {}\nplugins: {}\nType as a member (`alice: hello`), or :help. :quit leaves.\n",
        crate::db::redact_url(&config.database.url),
        clock.now().format("%Y-%m-%d %H:%M UTC"),
        if loaded.is_empty() {
            "none (!)".to_string()
        } else {
            loaded.join(", ")
        }
    );
    stdout.write_all(banner.as_bytes()).await?;
    if let Some(web) = &web {
        stdout
            .write_all(
                format!(
                    "leaderboard: http://{}/g/{GUILD} (read-only, this computer only)\n",
                    web.local_addr
                )
                .as_bytes(),
            )
            .await?;
    }
    // Rank cards go next to the database, as files a person can open.
    let commands = |shared| {
        crate::commands::Commands::new(
            db.clone(),
            shared,
            plugins.clone(),
            &config.cards,
            &config.engine.default_xp_plugin,
        )
    };
    let mut session = Session::new(engine, commands, db.clone(), clock, sink)
        .with_cards(std::path::PathBuf::from("data/cards"));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        if interactive {
            stdout.write_all(b"> ").await?;
            stdout.flush().await?;
        }
        let Some(line) = lines.next_line().await.context("cannot read stdin")? else {
            break;
        };
        if !interactive && !line.trim().is_empty() {
            stdout.write_all(format!("> {line}\n").as_bytes()).await?;
        }
        let (out, next) = session.line(&line).await;
        stdout.write_all(out.as_bytes()).await?;
        stdout.flush().await?;
        if matches!(next, Next::Quit) {
            break;
        }
    }
    let counters = match session.engine.take().await {
        Some(engine) => engine.shutdown().await,
        None => Default::default(),
    };
    if let Some(server) = observe {
        server.stop().await;
    }
    if let Some(web) = web {
        web.stop().await;
    }
    stdout
        .write_all(
            format!(
                "bye: {} activities, {} level-ups, {} quests completed, {} achievements this session\n",
                counters.submitted, counters.level_ups, counters.quests_completed, counters.achievements_earned
            )
            .as_bytes(),
        )
        .await?;
    stdout.flush().await?;
    Ok(ExitCode::SUCCESS)
}
