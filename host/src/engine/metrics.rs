//! The engine's counters: every drop and failure is counted, never silent. Plain atomics so
//! the metrics endpoint (`crate::observe`) can read them without locking.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use questline_metrics::histogram::{Durations, Sizes};

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
    /// Guild batches held back because the database's storage was full (intake paused).
    pub storage_full: AtomicU64,
    /// Plugin calls that failed (the batch continues with no XP/progress from that call).
    pub plugin_failures: AtomicU64,
    /// Plugin answers above the configured ceilings (XP per activity, quest and achievement
    /// rewards), clamped.
    pub xp_clamped: AtomicU64,
    /// Guild batches whose guild's XP formula had an unusable level curve and that used the
    /// default formula instead.
    pub curve_fallbacks: AtomicU64,
    /// Activities committed with their counters only (no XP, quest progress or
    /// achievements) because no level curve was usable for their guild.
    pub xp_skipped: AtomicU64,
    /// QuestManager errors (the next tick tries again).
    pub quest_errors: AtomicU64,
    pub level_ups: AtomicU64,
    pub quests_completed: AtomicU64,
    pub achievements_earned: AtomicU64,
    pub quest_resets: AtomicU64,
    pub effects_released: AtomicU64,
    /// Time spent in plugin calls (from the pipeline's side of the call: queueing on the
    /// blocking pool included), in nanoseconds, and how many calls.
    pub plugin_ns: AtomicU64,
    pub plugin_calls: AtomicU64,
    /// Time spent in `apply_batch` (the transaction, retries included), in nanoseconds.
    pub commit_ns: AtomicU64,
    /// Latency of each transaction the pipeline committed, in microseconds.
    pub commit_latency: LatencyHistogram,
    /// Per event: from `Engine::submit` to its batch being committed and announced, in
    /// microseconds (what "durable within X ms" means for a member).
    pub event_latency: LatencyHistogram,
    /// Events per batch the engine's task cut.
    pub batch_sizes: LatencyHistogram,
    /// The same three at Prometheus' fixed bounds, for `/metrics` (microseconds; events).
    pub commit_seconds: Durations,
    pub event_seconds: Durations,
    pub batch_events: Sizes,
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
    pub storage_full: u64,
    pub plugin_failures: u64,
    pub xp_clamped: u64,
    pub curve_fallbacks: u64,
    pub xp_skipped: u64,
    pub quest_errors: u64,
    pub level_ups: u64,
    pub quests_completed: u64,
    pub achievements_earned: u64,
    pub quest_resets: u64,
    pub effects_released: u64,
    pub plugin_ns: u64,
    pub plugin_calls: u64,
    pub commit_ns: u64,
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
            storage_full: g(&self.storage_full),
            plugin_failures: g(&self.plugin_failures),
            xp_clamped: g(&self.xp_clamped),
            curve_fallbacks: g(&self.curve_fallbacks),
            xp_skipped: g(&self.xp_skipped),
            quest_errors: g(&self.quest_errors),
            level_ups: g(&self.level_ups),
            quests_completed: g(&self.quests_completed),
            achievements_earned: g(&self.achievements_earned),
            quest_resets: g(&self.quest_resets),
            effects_released: g(&self.effects_released),
            plugin_ns: g(&self.plugin_ns),
            plugin_calls: g(&self.plugin_calls),
            commit_ns: g(&self.commit_ns),
        }
    }

    /// Adds the time since `started` to `counter`, in nanoseconds.
    pub(crate) fn add_elapsed(counter: &AtomicU64, started: std::time::Instant) {
        let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        counter.fetch_add(ns, Ordering::Relaxed);
    }
}

/// Sub-buckets per power of two: values are kept to within 1/16 (about 6%).
const SUB_BITS: u32 = 4;
const SUB: usize = 1 << SUB_BITS;
const BUCKETS: usize = (64 - SUB_BITS as usize + 1) * SUB;

/// A lock-free log-linear histogram of `u64` values (latencies in microseconds, batch
/// sizes): fixed memory (~8 KiB) however many values are recorded, so the engine can keep
/// one running forever. Percentiles are accurate to about 6%.
pub struct LatencyHistogram {
    counts: Box<[AtomicU64]>,
    total: AtomicU64,
    max: AtomicU64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            total: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }
}

impl std::fmt::Debug for LatencyHistogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatencyHistogram")
            .field("count", &self.count())
            .field("max", &self.max.load(Ordering::Relaxed))
            .finish()
    }
}

fn bucket_of(v: u64) -> usize {
    if v < SUB as u64 {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros();
    let sub = ((v >> (exp - SUB_BITS)) as usize) & (SUB - 1);
    (exp - SUB_BITS + 1) as usize * SUB + sub
}

/// The smallest value that falls in bucket `b`.
fn bucket_floor(b: usize) -> u64 {
    if b < SUB {
        return b as u64;
    }
    let exp = (b / SUB) as u32 + SUB_BITS - 1;
    let sub = (b % SUB) as u64;
    (1u64 << exp) | (sub << (exp - SUB_BITS))
}

impl LatencyHistogram {
    pub fn record(&self, value: u64) {
        self.counts[bucket_of(value)].fetch_add(1, Ordering::Relaxed);
        self.total.fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(value, Ordering::Relaxed);
    }

    /// Records `n` values of `value` at once (every event of one batch).
    pub fn record_n(&self, value: u64, n: u64) {
        if n == 0 {
            return;
        }
        self.counts[bucket_of(value)].fetch_add(n, Ordering::Relaxed);
        self.total.fetch_add(n, Ordering::Relaxed);
        self.max.fetch_max(value, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// The value below which a fraction `q` (0..=1) of the recorded values fall (the floor of
    /// its bucket, capped at the largest value seen); 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        let total = self.count();
        if total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (b, c) in self.counts.iter().enumerate() {
            seen += c.load(Ordering::Relaxed);
            if seen >= rank {
                return bucket_floor(b).min(self.max.load(Ordering::Relaxed));
            }
        }
        self.max.load(Ordering::Relaxed)
    }

    pub fn max(&self) -> u64 {
        self.max.load(Ordering::Relaxed)
    }

    /// Forgets everything recorded (between benchmark phases).
    pub fn reset(&self) {
        for c in self.counts.iter() {
            c.store(0, Ordering::Relaxed);
        }
        self.total.store(0, Ordering::Relaxed);
        self.max.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_trip_within_a_sixteenth() {
        for v in [0u64, 1, 15, 16, 17, 100, 1_000, 12_345, 1 << 40, u64::MAX] {
            let floor = bucket_floor(bucket_of(v));
            assert!(floor <= v, "{v}: floor {floor}");
            assert!(v - floor <= v / 16, "{v}: floor {floor} too far");
        }
        assert!(bucket_of(u64::MAX) < BUCKETS);
    }

    #[test]
    fn quantiles_follow_the_recorded_values() {
        let h = LatencyHistogram::default();
        assert_eq!(h.quantile(0.5), 0);
        for v in 1..=1_000u64 {
            h.record(v);
        }
        h.record_n(5_000, 10);
        assert_eq!(h.count(), 1_010);
        let p50 = h.quantile(0.5);
        assert!((470..=505).contains(&p50), "p50 {p50}");
        assert!((4_700..=5_000).contains(&h.quantile(0.999)));
        assert_eq!(h.max(), 5_000);
        h.reset();
        assert_eq!(h.count(), 0);
    }
}
