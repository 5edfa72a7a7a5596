//! Housekeeping in the running bot: a backup every `[backup] every` (pruned to `keep`), and
//! the repository's caches purged every `[database] cache_purge_every`. Each runs in its
//! own task; a failed run is logged and the next one tries again. The first run is one
//! interval after start-up (a restart loop must not fill the disk with backups).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{BackupError, prune, scheduled_name, write};
use crate::db::{DatabaseConfig, Db};

/// Scheduled backups: how often, where, how many to keep.
#[derive(Debug, Clone)]
pub struct BackupSchedule {
    pub every: Duration,
    pub dir: PathBuf,
    pub keep: usize,
}

/// What the housekeeping tasks did so far.
#[derive(Debug, Default)]
pub struct HousekeepingCounters {
    pub backups: AtomicU64,
    pub backup_failures: AtomicU64,
    pub backups_pruned: AtomicU64,
    pub cache_purges: AtomicU64,
}

/// The running housekeeping tasks; [`Housekeeping::stop`] ends them after the run in
/// progress (dropping it aborts them).
#[derive(Debug)]
pub struct Housekeeping {
    tasks: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
    pub counters: Arc<HousekeepingCounters>,
}

impl Drop for Housekeeping {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Housekeeping {
    /// Starts what the configuration asks for (nothing when neither is set). Call inside a
    /// tokio runtime; the configuration was validated at start-up.
    pub fn from_config(db: Db, config: &crate::config::Config) -> Self {
        let backups = match config.backup.interval() {
            Some(Ok(every)) => Some(BackupSchedule {
                every,
                dir: config.backup.dir.clone(),
                keep: config.backup.keep,
            }),
            _ => None,
        };
        let purge = match super::cache_purge_interval(&config.database) {
            Some(Ok(every)) => Some(every),
            _ => None,
        };
        Self::start(db, config.database.clone(), backups, purge)
    }

    /// Starts scheduled backups and cache purges with explicit intervals.
    pub fn start(
        db: Db,
        db_config: DatabaseConfig,
        backups: Option<BackupSchedule>,
        cache_purge_every: Option<Duration>,
    ) -> Self {
        let counters = Arc::new(HousekeepingCounters::default());
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        if let Some(schedule) = backups {
            tracing::info!(every = ?schedule.every, dir = %schedule.dir.display(), keep = schedule.keep, "scheduled backups on");
            tasks.push(tokio::spawn(backup_loop(
                db.clone(),
                db_config,
                schedule,
                counters.clone(),
                stopped.clone(),
            )));
        }
        if let Some(every) = cache_purge_every {
            tasks.push(tokio::spawn(purge_loop(
                db,
                every,
                counters.clone(),
                stopped,
            )));
        }
        Self {
            tasks,
            stop,
            counters,
        }
    }

    /// Stops the tasks, letting a backup being written finish (a backup cut short would
    /// leave a `.partial` file, never taken for a backup, but useless).
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

fn interval(every: Duration) -> tokio::time::Interval {
    let start = tokio::time::Instant::now() + every;
    let mut i = tokio::time::interval_at(start, every.max(Duration::from_millis(1)));
    i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    i
}

async fn backup_loop(
    db: Db,
    db_config: DatabaseConfig,
    schedule: BackupSchedule,
    counters: Arc<HousekeepingCounters>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticker = interval(schedule.every);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stopped.changed() => return,
        }
        match backup_once(&db, &db_config, &schedule).await {
            Ok((path, size, pruned)) => {
                counters.backups.fetch_add(1, Ordering::Relaxed);
                counters
                    .backups_pruned
                    .fetch_add(pruned as u64, Ordering::Relaxed);
                tracing::info!(path = %path.display(), bytes = size, pruned, "scheduled backup written");
            }
            Err(e) => {
                counters.backup_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "scheduled backup failed; retried at the next interval");
            }
        }
    }
}

/// One scheduled backup: written under a temporary name, renamed when complete (so a
/// half-written file never counts as a backup), then older ones pruned.
pub async fn backup_once(
    db: &Db,
    db_config: &DatabaseConfig,
    schedule: &BackupSchedule,
) -> Result<(PathBuf, u64, usize), BackupError> {
    let name = scheduled_name(chrono::Utc::now(), db_config);
    let done = schedule.dir.join(&name);
    let partial = schedule.dir.join(format!("{name}.partial"));
    let _ = std::fs::remove_file(&partial);
    let size = match write(db, db_config, &partial).await {
        Ok(size) => size,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, &done).map_err(super::io("rename", &partial))?;
    let pruned = prune(&schedule.dir, schedule.keep)?;
    Ok((done, size, pruned.len()))
}

async fn purge_loop(
    db: Db,
    every: Duration,
    counters: Arc<HousekeepingCounters>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticker = interval(every);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stopped.changed() => return,
        }
        let dropped = db.purge_caches();
        counters.cache_purges.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(entries = dropped, "caches purged on schedule");
    }
}
