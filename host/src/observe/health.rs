//! `/healthz`: is the database answering, are plugins loaded, is the quest scheduler running.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::Db;
use crate::plugins::{PluginHost, PluginState};

/// Whether something periodic (the quest scheduler) is running and when it last ran. Cheap
/// to clone; the owner calls [`Heartbeat::start`] when it starts, [`Heartbeat::beat`] after
/// each run and [`Heartbeat::stop`] when it ends; `/healthz` reads it. Wall-clock time, not
/// the engine's clock: the question is whether the process is alive now.
#[derive(Debug, Clone, Default)]
pub struct Heartbeat(Arc<Beat>);

#[derive(Debug, Default)]
struct Beat {
    /// Milliseconds since the epoch of the last run; 0 before the first.
    last_ms: AtomicI64,
    running: AtomicBool,
}

impl Heartbeat {
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks the owner as running (before its first run).
    pub fn start(&self) {
        self.0.running.store(true, Ordering::Relaxed);
    }

    /// Marks the owner as stopped (its task ended, normally or not).
    pub fn stop(&self) {
        self.0.running.store(false, Ordering::Relaxed);
    }

    pub fn running(&self) -> bool {
        self.0.running.load(Ordering::Relaxed)
    }

    /// Records a run at `at`.
    pub fn beat(&self, at: DateTime<Utc>) {
        self.0
            .last_ms
            .store(at.timestamp_millis(), Ordering::Relaxed);
    }

    /// The last run, `None` before the first.
    pub fn last(&self) -> Option<DateTime<Utc>> {
        match self.0.last_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => DateTime::from_timestamp_millis(ms),
        }
    }
}

/// The body of `/healthz`.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    /// `ok` or `unhealthy`.
    pub status: &'static str,
    pub database: Check,
    pub plugins: PluginsCheck,
    pub scheduler: SchedulerCheck,
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
    let ok = database.ok && plugins.ok && scheduler.ok;
    HealthReport {
        status: if ok { "ok" } else { "unhealthy" },
        database,
        plugins,
        scheduler,
    }
}
