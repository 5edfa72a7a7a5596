//! Starting and stopping the bot: the path `questline run` takes, and the tests too.
//!
//! Start: check the token (one REST call, so a bad token fails in a second with a clear
//! message), open the database and plugins, start the engine with the Discord sink, register
//! the slash commands, connect the gateway. Stop: ignore new events, let the engine finish
//! and commit what it has, send the effects that follow, then close the gateway.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serenity::all::GatewayIntents;
use serenity::all::ShardId;
use serenity::gateway::{ShardManager, ShardMessenger, ShardRunnerMessage};
use serenity::http::Http;
use tokio::task::JoinHandle;

use super::directory::RestDirectory;
use super::events::{FrontState, Handler};
use super::files::DiscordFiles;
use super::http::{build_http, build_http_with, rest_client, status};
use super::interactions::register;
use super::sink::{DiscordSink, RestTarget, SinkSettings, SinkSnapshot};
use super::{DiscordConfig, DiscordError};
use crate::backup::schedule::Housekeeping;
use crate::commands::{CommandDef, Commands, SharedEngine, check_definitions};
use crate::config::Config;
use crate::engine::{CounterSnapshot, Engine, EngineDeps, SystemClock, boot};
use crate::observe::{ObserveServer, ObserveSources};

/// A range of shards this process runs (`--shards 0-3 --shard-count 8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

impl ShardRange {
    /// Parses `A-B` (or a single `A`) with the total shard count.
    pub fn parse(range: &str, total: u32) -> Result<Self, String> {
        let (a, b) = range.split_once('-').unwrap_or((range, range));
        let first = a
            .trim()
            .parse::<u32>()
            .map_err(|_| format!("`{range}` is not a shard range like 0-3"))?;
        let last = b
            .trim()
            .parse::<u32>()
            .map_err(|_| format!("`{range}` is not a shard range like 0-3"))?;
        if first > last || last >= total {
            return Err(format!(
                "shards {first}-{last} do not fit in a shard count of {total} (shards are numbered 0 to {})",
                total.saturating_sub(1)
            ));
        }
        Ok(Self { first, last, total })
    }
}

/// What `questline run` (or a test) asks for. (Its `Debug` leaves the secrets out.)
#[derive(Clone, Default)]
pub struct BotOptions {
    pub token: String,
    /// Register commands in this guild instead of globally.
    pub dev_guild: Option<u64>,
    /// `None`: as many shards as Discord recommends.
    pub shards: Option<ShardRange>,
    /// The OAuth2 client secret for the web pages' Discord login (`DISCORD_CLIENT_SECRET`).
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for BotOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotOptions")
            .field("dev_guild", &self.dev_guild)
            .field("shards", &self.shards)
            .finish_non_exhaustive()
    }
}

/// What a shutdown did.
#[derive(Debug, Clone)]
pub struct ShutdownReport {
    pub engine: CounterSnapshot,
    pub effects: SinkSnapshot,
}

/// The running bot.
pub struct Bot {
    state: Arc<FrontState>,
    /// The shards connected (`/healthz`), watched for lost sessions while the bot runs.
    gateway: questline_metrics::GatewayStatus,
    sink: Arc<DiscordSink>,
    shard_manager: Arc<ShardManager>,
    client: JoinHandle<Result<(), serenity::Error>>,
    sync: Option<JoinHandle<()>>,
    _watcher: Option<crate::plugins::PluginWatcher>,
    observe: Option<ObserveServer>,
    housekeeping: Housekeeping,
    /// Writes the member directory ([`super::profiles`]).
    profiles: JoinHandle<()>,
    /// The leaderboard pages (`[web] listen`).
    web: Option<crate::web::WebServer>,
    pub db: crate::db::Db,
    pub http: Arc<Http>,
    pub registered: Vec<CommandDef>,
}

fn intents(cfg: &DiscordConfig) -> GatewayIntents {
    // GUILD_MODERATION (bans) is not privileged: banned members leave the boards.
    let mut i = GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MODERATION
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::GUILD_MESSAGE_REACTIONS
        | GatewayIntents::GUILD_VOICE_STATES;
    if cfg.message_content {
        i |= GatewayIntents::MESSAGE_CONTENT;
    }
    if cfg.members_intent {
        i |= GatewayIntents::GUILD_MEMBERS;
    }
    i
}

/// Says which privileged intents start-up asks for, and what is off without them.
fn log_intents(cfg: &DiscordConfig) {
    if cfg.members_intent {
        tracing::info!(
            "asking for the privileged GUILD_MEMBERS intent ([discord] members_intent): members leaving are seen, so they leave the leaderboards until they return, and guilds with reset_on_leave lose a leaver's XP; enable \"Server Members Intent\" in the developer portal or the gateway refuses to connect"
        );
    } else {
        tracing::info!(
            "GUILD_MEMBERS intent not asked for: members who leave stay on the leaderboards and reset_on_leave has no effect (set [discord] members_intent = true to use them)"
        );
    }
    if cfg.message_content {
        tracing::info!(
            "asking for the privileged MESSAGE_CONTENT intent ([discord] message_content)"
        );
    }
}

fn token_looks_valid(token: &str) -> bool {
    let t = token.trim();
    let t = t.strip_prefix("Bot ").unwrap_or(t);
    !t.is_empty() && !t.chars().any(char::is_whitespace)
}

impl Bot {
    /// Starts everything; returns once the gateway connection is under way.
    pub async fn start(config: &Config, options: BotOptions) -> Result<Bot, DiscordError> {
        let token = options.token.trim().to_string();
        if token.is_empty() {
            return Err(DiscordError::MissingToken);
        }
        if !token_looks_valid(&token) {
            return Err(DiscordError::InvalidToken(
                "it contains spaces or is empty".into(),
            ));
        }
        let dc = &config.discord;
        let probe = build_http(&token, &dc.api_base, None);
        let me = probe
            .get_current_user()
            .await
            .map_err(|e| match status(&e) {
                Some(401) => DiscordError::InvalidToken("401 Unauthorized".into()),
                Some(code) => DiscordError::Unreachable {
                    api: dc.api_base.clone(),
                    reason: format!("HTTP {code}: {e}"),
                },
                None => DiscordError::Unreachable {
                    api: dc.api_base.clone(),
                    reason: e.to_string(),
                },
            })?;
        // The application's owner, or its team's members, run the bot: they are its
        // operators, with the users `[discord] operators` adds.
        let mut operators: std::collections::HashSet<u64> = dc.operators.iter().copied().collect();
        let app = match probe.get_current_application_info().await {
            Ok(a) => {
                match &a.team {
                    Some(team) => operators.extend(team.members.iter().map(|m| m.user.id.get())),
                    None => operators.extend(a.owner.as_ref().map(|o| o.id.get())),
                }
                a.id.get()
            }
            Err(e) => {
                tracing::warn!(error = %e, "application info unavailable; using the bot's user id, and only [discord] operators may run process-wide commands");
                me.id.get()
            }
        };
        tracing::info!(bot = %me.name, application = app, "token accepted");
        let client = rest_client();
        let http = Arc::new(build_http_with(
            client.clone(),
            &token,
            &dc.api_base,
            Some(app),
        ));

        let (db, plugins) = boot::open(&config.database, &config.plugins, true).await?;
        let sink = DiscordSink::start(
            RestTarget {
                client: client.clone(),
                api_base: dc.api_base.clone(),
                token: token.clone(),
            },
            db.clone(),
            SinkSettings {
                coalesce: Duration::from_millis(dc.coalesce_ms),
                capacity: dc.effect_queue,
                notice_ttl: Duration::from_secs(dc.notice_ttl_secs),
                shards: options.shards.map(|r| crate::db::ShardFilter {
                    first: r.first,
                    last: r.last,
                    total: r.total,
                }),
            },
        );
        let deps = EngineDeps {
            db: db.clone(),
            plugins: plugins.clone(),
            clock: Arc::new(SystemClock),
            sink: sink.clone(),
        };
        let engine = Engine::start(deps, config.engine.clone(), &[]).await?;
        let observe_sources = ObserveSources::with_engine(
            db.clone(),
            plugins.clone(),
            &engine,
            config.engine.tick_secs,
        );
        let engine = SharedEngine::new(engine);
        let commands = Commands::new(
            db.clone(),
            engine.clone(),
            plugins.clone(),
            &config.cards,
            &config.engine.default_xp_plugin,
        )
        .with_attachments(Arc::new(DiscordFiles::new(client)))
        .with_directory(Arc::new(RestDirectory::new(http.clone())))
        .with_operators(operators);
        let defs = commands.definitions().await;
        check_definitions(&defs).map_err(DiscordError::Commands)?;
        let n = register(&http, &defs, options.dev_guild)
            .await
            .map_err(|e| DiscordError::Commands(e.to_string()))?;
        tracing::info!(commands = n, dev_guild = ?options.dev_guild, "slash commands registered");

        let watcher = if config.plugins.hot_reload {
            match plugins.start_watching() {
                Ok(w) => Some(w),
                Err(e) => {
                    tracing::warn!(error = %e, "plugin hot reload unavailable");
                    None
                }
            }
        } else {
            None
        };
        let sync = (dc.command_sync_secs > 0).then(|| {
            tokio::spawn(sync_commands(
                commands.clone(),
                http.clone(),
                defs.clone(),
                options.dev_guild,
                Duration::from_secs(dc.command_sync_secs),
            ))
        });

        log_intents(dc);
        // `/healthz` and `/metrics` when `[observe] listen` is set; a taken port stops the
        // start-up here, before the gateway connects.
        // Scheduled backups and cache purges, when configured.
        let housekeeping = Housekeeping::from_config(db.clone(), config);
        let gateway = questline_metrics::GatewayStatus::default();
        super::session_watch::watch(&gateway);
        let observe_sources = ObserveSources {
            housekeeping: Some(housekeeping.counters.clone()),
            gateway: Some(gateway.clone()),
            ..observe_sources
        };
        let observe = crate::observe::start_configured(&config.observe, observe_sources).await?;
        let state = Arc::new(
            FrontState::new(engine, commands, dc.message_content).seeing_members(dc.members_intent),
        );
        let profiles = state.profiles.start(db.clone(), PROFILE_WRITE_EVERY);
        // The leaderboard pages when `[web] listen` is set.
        let web = match config.web.listen_addr() {
            Some(Ok(addr)) => {
                let pipeline = state
                    .engine
                    .get()
                    .await
                    .as_ref()
                    .map(|e| e.shared_pipeline());
                let login = web_login(config, options.client_secret.clone())?;
                Some(
                    crate::web::start(
                        addr,
                        crate::web::WebSources {
                            db: db.clone(),
                            pipeline,
                            scope: crate::web::server::Scope::Bot {
                                guilds: state.clone(),
                            },
                            login,
                            commands: Some(state.commands.clone()),
                            managers: Some(Arc::new(super::managers::LiveManagers {
                                http: http.clone(),
                                state: state.clone(),
                            })),
                        },
                    )
                    .await?,
                )
            }
            _ => None,
        };
        let mut client = client_builder(&token, &dc.api_base, app, intents(dc))
            .event_handler(Handler {
                state: state.clone(),
                gateway: gateway.clone(),
            })
            .await
            .map_err(|e| DiscordError::Gateway(e.to_string()))?;
        let shard_manager = client.shard_manager.clone();
        let shards = options.shards;
        let task = tokio::spawn(async move {
            match shards {
                Some(r) => {
                    client
                        // serenity treats the range end as the last shard (inclusive).
                        .start_shard_range(r.first..r.last, r.total)
                        .await
                }
                None => client.start_autosharded().await,
            }
        });
        Ok(Bot {
            state,
            gateway,
            sink,
            shard_manager,
            client: task,
            sync,
            _watcher: watcher,
            observe,
            housekeeping,
            profiles,
            web,
            db,
            http,
            registered: defs,
        })
    }

    /// Waits until the gateway stops by itself (an error such as a revoked token).
    pub async fn wait(&mut self) -> Result<(), DiscordError> {
        match (&mut self.client).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(match status(&e) {
                Some(401) => DiscordError::InvalidToken("401 Unauthorized".into()),
                _ => DiscordError::Gateway(e.to_string()),
            }),
            Err(e) => Err(DiscordError::Gateway(format!("gateway task ended: {e}"))),
        }
    }

    /// Where `/healthz` and `/metrics` are served, when `[observe] listen` is set.
    pub fn observe_addr(&self) -> Option<std::net::SocketAddr> {
        self.observe.as_ref().map(|o| o.local_addr)
    }

    /// The effect sender's counters.
    pub fn effects(&self) -> SinkSnapshot {
        self.sink.counters()
    }

    /// Waits until every activity submitted so far is committed and its effects are sent.
    pub async fn settle(&self) -> Result<(), DiscordError> {
        {
            let engine = self.state.engine.get().await;
            if let Some(engine) = engine.as_ref() {
                engine.flush().await?;
            }
        }
        self.sink.flush().await;
        Ok(())
    }

    /// Graceful shutdown: stop taking events, commit the current batch, send the effects
    /// that follow, close the gateway.
    pub async fn shutdown(self) -> ShutdownReport {
        self.state.accepting.store(false, Ordering::Release);
        if let Some(sync) = &self.sync {
            sync.abort();
        }
        self.housekeeping.stop().await;
        self.state.profiles.stop();
        if let Err(e) = self.profiles.await {
            tracing::warn!(error = %e, "member directory writer ended abnormally");
        }
        let engine = match self.state.engine.take().await {
            Some(engine) => engine.shutdown().await,
            None => CounterSnapshot::default(),
        };
        if tokio::time::timeout(Duration::from_secs(30), self.sink.flush())
            .await
            .is_err()
        {
            tracing::warn!(
                "effects still unsent after 30 s; they stay in the outbox and the next start sends them"
            );
        }
        // The runners' messengers, for the close below: `shutdown_all` forgets them.
        let runners: Vec<_> = self
            .shard_manager
            .runners
            .lock()
            .await
            .iter()
            .map(|(id, info)| (*id, info.runner_tx.clone()))
            .collect();
        self.shard_manager.shutdown_all().await;
        close_runners_left(&runners).await;
        super::session_watch::unwatch(&self.gateway);
        if let Some(observe) = self.observe {
            observe.stop().await;
        }
        if let Some(web) = self.web {
            web.stop().await;
        }
        if tokio::time::timeout(Duration::from_secs(10), self.client)
            .await
            .is_err()
        {
            tracing::warn!("gateway did not close within 10 s");
        }
        let effects = self.sink.counters();
        tracing::info!(
            activities = engine.submitted,
            level_ups = engine.level_ups,
            messages = effects.messages_sent,
            effects_dropped = effects.dropped,
            "shut down"
        );
        ShutdownReport { engine, effects }
    }
}

/// The web pages' Discord login, when `[web] client_id` is set (it then needs the secret).
fn web_login(
    config: &Config,
    secret: Option<String>,
) -> Result<Option<crate::web::auth::Login>, DiscordError> {
    let web = &config.web;
    let (Some(client_id), Some(public_url)) = (web.client_id, web.public_url.as_deref()) else {
        return Ok(None);
    };
    let secret = secret.ok_or(DiscordError::WebLoginSecret)?;
    Ok(Some(crate::web::auth::Login::new(
        client_id,
        secret,
        public_url,
        &config.discord.api_base,
        Duration::from_secs(web.session_hours.saturating_mul(3_600)),
    )))
}

/// How often changed member names and avatars are written.
const PROFILE_WRITE_EVERY: Duration = Duration::from_secs(5);

/// Makes sure every shard runner sent its close frame before the process goes on to exit.
///
/// After a re-identify, serenity 0.12.5's `shutdown_all` can return before the new runner
/// was told to stop (see [`super::session_watch`]); Discord would then see the connection
/// drop without a close 1000 and keep the bot shown online until its session times out.
/// Each runner still alive is told to close with 1000 and waited for (at most 5 s).
async fn close_runners_left(runners: &[(ShardId, ShardMessenger)]) {
    use super::session_watch::{live_runners, runners_stopped};
    if runners_stopped(Duration::from_millis(500)).await {
        return;
    }
    tracing::debug!(
        alive = live_runners(),
        "shard runners still alive after shutdown; closing them"
    );
    for (id, messenger) in runners {
        messenger.send_to_shard(ShardRunnerMessage::Shutdown(*id, 1000));
    }
    if !runners_stopped(Duration::from_secs(5)).await {
        tracing::warn!("a shard runner did not close its gateway connection within 5 s");
    }
}

/// Re-registers the commands when the plugins' commands change (a hot reload added or
/// removed some).
async fn sync_commands(
    commands: Commands,
    http: Arc<Http>,
    mut current: Vec<CommandDef>,
    dev_guild: Option<u64>,
    every: Duration,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let defs = commands.definitions().await;
        if defs == current {
            continue;
        }
        if let Err(e) = check_definitions(&defs) {
            tracing::warn!(error = %e, "plugin commands changed but are invalid; not re-registered");
            continue;
        }
        match register(&http, &defs, dev_guild).await {
            Ok(n) => {
                tracing::info!(commands = n, "plugin commands changed; re-registered");
                current = defs;
            }
            Err(e) => tracing::warn!(error = %e, "re-registering commands failed; retried later"),
        }
    }
}

/// serenity's client on an `Http` built by [`build_http`] (not `ClientBuilder::token`, which
/// would rebuild the `Http` without the base URL).
fn client_builder(
    token: &str,
    api_base: &str,
    app: u64,
    intents: GatewayIntents,
) -> serenity::all::ClientBuilder {
    serenity::all::ClientBuilder::new_with_http(build_http(token, api_base, Some(app)), intents)
}
