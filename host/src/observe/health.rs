//! `/healthz`: is the database answering, are plugins loaded, is the quest scheduler running,
//! is the gateway connected, does the engine take activity.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use questline_metrics::status::{GatewayStatus, Heartbeat, Intake};

use crate::db::Db;
use crate::plugins::{PluginHost, PluginState};

#[derive(Debug, Clone, Serialize)]
pub struct GatewayCheck {
    pub ok: bool,
    /// Whether this process has a gateway at all (false in the console).
    pub present: bool,
    pub connected_shards: Vec<u32>,
}

/// The body of `/healthz`.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    /// `ok` or `unhealthy`.
    pub status: &'static str,
    pub database: Check,
    pub plugins: PluginsCheck,
    pub scheduler: SchedulerCheck,
    pub gateway: GatewayCheck,
    pub intake: IntakeCheck,
}

/// Whether the engine takes new activity.
#[derive(Debug, Clone, Serialize)]
pub struct IntakeCheck {
    pub ok: bool,
    /// Why it is paused (the database's storage is full), and since when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
}

impl HealthReport {
    pub fn healthy(&self) -> bool {
        self.status == "ok"
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PluginsCheck {
    pub ok: bool,
    pub loaded: usize,
    /// Plugins that failed to load or are quarantined, with the reason.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SchedulerCheck {
    pub ok: bool,
    /// Whether the quest scheduler runs in this process now (false when the process has
    /// none, or its engine stopped).
    pub running: bool,
    /// The last successful run (wall clock), `None` before the first.
    pub last_run: Option<DateTime<Utc>>,
    pub seconds_since_last_run: Option<i64>,
}

/// Inputs of a health check; any may be absent in a process that does not have it.
pub(crate) struct HealthInputs<'a> {
    pub db: Option<&'a Db>,
    pub plugins: Option<&'a PluginHost>,
    pub scheduler: Option<&'a Heartbeat>,
    pub gateway: Option<&'a GatewayStatus>,
    pub intake: Option<&'a Intake>,
    /// The scheduler counts as stopped when its last run is older than this.
    pub scheduler_stale_after: Duration,
    pub db_timeout: Duration,
}

pub(crate) async fn check(inputs: HealthInputs<'_>) -> HealthReport {
    let database = match inputs.db {
        None => Check {
            ok: false,
            latency_ms: None,
            error: Some("no database configured in this process".into()),
        },
        Some(db) => {
            let started = Instant::now();
            match tokio::time::timeout(inputs.db_timeout, db.ping()).await {
                Ok(Ok(())) => Check {
                    ok: true,
                    latency_ms: Some(started.elapsed().as_millis() as u64),
                    error: None,
                },
                Ok(Err(e)) => Check {
                    ok: false,
                    latency_ms: None,
                    error: Some(e.to_string()),
                },
                Err(_) => Check {
                    ok: false,
                    latency_ms: None,
                    error: Some(format!(
                        "no answer within {} ms",
                        inputs.db_timeout.as_millis()
                    )),
                },
            }
        }
    };
    let plugins = match inputs.plugins {
        None => PluginsCheck {
            ok: false,
            loaded: 0,
            problems: vec!["no plugin runtime in this process".into()],
        },
        Some(host) => {
            let mut loaded = 0;
            let mut problems = Vec::new();
            for p in host.list() {
                match &p.state {
                    PluginState::Loaded | PluginState::Shadowed { .. } => loaded += 1,
                    PluginState::LoadedWithError(e) => {
                        loaded += 1;
                        problems.push(format!("{}: newer file failed to load: {e}", p.name));
                    }
                    PluginState::Failed(e) => problems.push(format!("{}: {e}", p.name)),
                    PluginState::Quarantined { retry_in_secs } => problems.push(format!(
                        "{}: quarantined after repeated failures, retried in {retry_in_secs} s",
                        p.name
                    )),
                }
            }
            PluginsCheck {
                ok: loaded > 0,
                loaded,
                problems,
            }
        }
    };
    let scheduler = match inputs.scheduler {
        None => SchedulerCheck {
            ok: true,
            running: false,
            last_run: None,
            seconds_since_last_run: None,
        },
        Some(beat) => {
            let last = beat.last();
            let age = last.map(|t| (Utc::now() - t).num_seconds());
            let stale = inputs.scheduler_stale_after.as_secs() as i64;
            let running = beat.running();
            SchedulerCheck {
                // Not run yet right after start-up is fine; stopped or too long ago is not.
                ok: running && age.is_none_or(|a| a <= stale),
                running,
                last_run: last,
                seconds_since_last_run: age,
            }
        }
    };
    let gateway = match inputs.gateway {
        None => GatewayCheck {
            ok: true,
            present: false,
            connected_shards: Vec::new(),
        },
        Some(status) => {
            let connected_shards = status.connected_shards();
            GatewayCheck {
                ok: !connected_shards.is_empty(),
                present: true,
                connected_shards,
            }
        }
    };
    let paused = inputs.intake.and_then(Intake::paused);
    let intake = IntakeCheck {
        ok: paused.is_none(),
        since: paused.as_ref().map(|p| p.since),
        paused: paused.map(|p| p.reason),
    };
    let ok = database.ok && plugins.ok && scheduler.ok && gateway.ok && intake.ok;
    HealthReport {
        status: if ok { "ok" } else { "unhealthy" },
        database,
        plugins,
        scheduler,
        gateway,
        intake,
    }
}
