//! Liveness signals a subsystem sets and the health endpoint reads: a [`Heartbeat`] for
//! periodic work (the quest scheduler), the Discord gateway's [`GatewayStatus`] and the
//! engine's [`Intake`] (paused while the database's storage is full). Here,
//! below both the subsystems and the endpoint, so neither imports the other.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use chrono::{DateTime, Utc};

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

/// Whether the Discord gateway is connected, set by the Discord front as shards connect and
/// disconnect. Processes without a gateway (the console) have none.
#[derive(Debug, Clone, Default)]
pub struct GatewayStatus(Arc<GatewayInner>);

#[derive(Debug, Default)]
struct GatewayInner {
    /// Shards whose session is up (READY or RESUMED seen, not disconnected since).
    connected: std::sync::Mutex<std::collections::BTreeSet<u32>>,
}

impl GatewayStatus {
    /// A shard's session is up.
    pub fn shard_connected(&self, shard: u32) {
        self.shards().insert(shard);
    }

    /// A shard's session dropped (it reconnects on its own).
    pub fn shard_disconnected(&self, shard: u32) {
        self.shards().remove(&shard);
    }

    /// Whether `other` is this same status (a clone of it), not merely equal.
    pub fn same_as(&self, other: &GatewayStatus) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Shards connected now.
    pub fn connected_shards(&self) -> Vec<u32> {
        self.shards().iter().copied().collect()
    }

    fn shards(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeSet<u32>> {
        self.0.connected.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether the engine takes new activity. It pauses, with a reason, when the database cannot
/// store anything (its disk is full): activity then waits where it came from (backpressure)
/// instead of piling up or being dropped, and `/healthz` says why.
#[derive(Debug, Clone, Default)]
pub struct Intake(Arc<std::sync::Mutex<Option<Paused>>>);

/// Why and since when intake is paused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paused {
    pub reason: String,
    pub since: DateTime<Utc>,
}

impl Intake {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Paused>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Pauses intake; returns whether it was running (the first report of an episode).
    pub fn pause(&self, reason: String) -> bool {
        let mut p = self.lock();
        let first = p.is_none();
        if first {
            *p = Some(Paused {
                reason,
                since: Utc::now(),
            });
        }
        first
    }

    /// Resumes intake; returns the pause that ended, if any.
    pub fn resume(&self) -> Option<Paused> {
        self.lock().take()
    }

    pub fn paused(&self) -> Option<Paused> {
        self.lock().clone()
    }
}
