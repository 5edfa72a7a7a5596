//! The engine's counters: every drop and failure is counted, never silent. Plain atomics so
//! the metrics exporter (a later issue) can read them without locking.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Live counters, shared by the engine's task and whoever reads them.
#[derive(Debug, Default)]
pub struct EngineCounters {
    pub submitted: AtomicU64,
    pub processed: AtomicU64,
    /// Replayed message/reaction ids counted once.
    pub deduplicated: AtomicU64,
    /// Refused by `try_submit` on a full queue, or submitted after shutdown.
    pub dropped: AtomicU64,
    pub batches: AtomicU64,
    /// Commits that failed (after the repository's own retries).
    pub commit_failures: AtomicU64,
    /// Events given up on after every commit attempt failed.
    pub failed_events: AtomicU64,
    /// Plugin calls that failed (the batch continues with no XP/progress from that call).
    pub plugin_failures: AtomicU64,
    /// QuestManager errors (the next tick tries again).
    pub quest_errors: AtomicU64,
    pub level_ups: AtomicU64,
    pub quests_completed: AtomicU64,
    pub achievements_earned: AtomicU64,
    pub quest_resets: AtomicU64,
    pub effects_released: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CounterSnapshot {
    pub submitted: u64,
    pub processed: u64,
    pub deduplicated: u64,
    pub dropped: u64,
    pub batches: u64,
    pub commit_failures: u64,
    pub failed_events: u64,
    pub plugin_failures: u64,
    pub quest_errors: u64,
    pub level_ups: u64,
    pub quests_completed: u64,
    pub achievements_earned: u64,
    pub quest_resets: u64,
    pub effects_released: u64,
}

impl EngineCounters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> CounterSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CounterSnapshot {
            submitted: g(&self.submitted),
            processed: g(&self.processed),
            deduplicated: g(&self.deduplicated),
            dropped: g(&self.dropped),
            batches: g(&self.batches),
            commit_failures: g(&self.commit_failures),
            failed_events: g(&self.failed_events),
            plugin_failures: g(&self.plugin_failures),
            quest_errors: g(&self.quest_errors),
            level_ups: g(&self.level_ups),
            quests_completed: g(&self.quests_completed),
            achievements_earned: g(&self.achievements_earned),
            quest_resets: g(&self.quest_resets),
            effects_released: g(&self.effects_released),
        }
    }
}
