//! The HTTP endpoint (axum): `/healthz` and `/metrics`, bound to `[observe] listen`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use questline_metrics::{GatewayStatus, Heartbeat};

use super::health::{HealthInputs, check};
use super::metrics::Exposition;
use crate::backup::schedule::HousekeepingCounters;
use crate::db::Db;
use crate::engine::{Engine, EngineCounters};
use crate::plugins::PluginHost;

/// What the endpoint reports on. Every part is optional so any front (the bot, the
/// console, a test) can start it with what it has.
#[derive(Clone, Default)]
pub struct ObserveSources {
    pub db: Option<Db>,
    pub plugins: Option<PluginHost>,
    /// The engine's counters and histograms ([`Engine::shared_counters`]).
    pub engine: Option<Arc<EngineCounters>>,
    /// Beaten by the quest scheduler each time it runs.
    pub scheduler: Option<Heartbeat>,
    /// The scheduler counts as stopped after this long without a run (3 ticks is sensible).
    pub scheduler_stale_after: Duration,
    /// Scheduled backups and cache purges of the running bot.
    pub housekeeping: Option<Arc<HousekeepingCounters>>,
    /// The Discord gateway's shards (the bot only).
    pub gateway: Option<GatewayStatus>,
    /// Whether the engine takes activity (paused while the database's storage is full).
    pub intake: Option<questline_metrics::Intake>,
}

impl ObserveSources {
    /// Everything a front that runs an engine has: the database, the plugins, the engine's
    /// counters and its quest scheduler's heartbeat, counted as stopped after three missed
    /// ticks (`[engine] tick_secs`).
    pub fn with_engine(db: Db, plugins: PluginHost, engine: &Engine, tick_secs: u64) -> Self {
        Self {
            db: Some(db),
            plugins: Some(plugins),
            engine: Some(engine.shared_counters()),
            scheduler: Some(engine.heartbeat()),
            scheduler_stale_after: Duration::from_secs(tick_secs.max(1).saturating_mul(3)),
            housekeeping: None,
            gateway: None,
            intake: Some(engine.intake()),
        }
    }
}

impl std::fmt::Debug for ObserveSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObserveSources")
            .field("db", &self.db.is_some())
            .field("plugins", &self.plugins.is_some())
            .field("engine", &self.engine.is_some())
            .field("scheduler", &self.scheduler.is_some())
            .field("housekeeping", &self.housekeeping.is_some())
            .finish()
    }
}

/// A running endpoint. Dropping it leaves the server running; call [`ObserveServer::stop`].
pub type ObserveServer = crate::serve::Served;

/// Errors starting the endpoint.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    #[error(
        "cannot listen on {addr} for /healthz and /metrics: {source}; choose a free address with [observe] listen (or QUESTLINE_OBSERVE_LISTEN)"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Binds `addr` and serves in a background task (call inside a tokio runtime).
pub async fn start(
    addr: SocketAddr,
    sources: ObserveSources,
) -> Result<ObserveServer, ObserveError> {
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(Arc::new(sources));
    crate::serve::Served::start(addr, app, "/healthz and /metrics")
        .await
        .map_err(|source| ObserveError::Bind { addr, source })
}

type Shared = Arc<ObserveSources>;

async fn report(s: &ObserveSources) -> super::HealthReport {
    check(HealthInputs {
        db: s.db.as_ref(),
        plugins: s.plugins.as_ref(),
        scheduler: s.scheduler.as_ref(),
        gateway: s.gateway.as_ref(),
        intake: s.intake.as_ref(),
        scheduler_stale_after: if s.scheduler_stale_after.is_zero() {
            Duration::from_secs(180)
        } else {
            s.scheduler_stale_after
        },
        db_timeout: Duration::from_secs(2),
    })
    .await
}

async fn healthz(State(s): State<Shared>) -> Response {
    let report = report(&s).await;
    let status = if report.healthy() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(report)).into_response()
}

async fn metrics(State(s): State<Shared>) -> Response {
    let mut e = Exposition::new();
    if let Some(engine) = &s.engine {
        e.engine(&engine.snapshot());
        e.engine_histograms(engine);
    }
    if let Some(db) = &s.db {
        e.caches(&db.cache_stats());
    }
    if let Some(plugins) = &s.plugins {
        e.plugins(&plugins.list());
        e.plugin_calls(&plugins.call_stats());
    }
    if let Some(h) = &s.housekeeping {
        e.housekeeping(h);
    }
    let r = report(&s).await;
    e.health(r.database.ok, r.plugins.ok, r.scheduler.ok);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        e.finish(),
    )
        .into_response()
}
