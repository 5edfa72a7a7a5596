//! `/metrics`: Prometheus text exposition (format 0.0.4), rendered from the counters the
//! engine, the caches and the plugin runtime already keep. Rendering by hand keeps the
//! numbers in one place (the subsystems' atomics) and the dependency list short.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::backup::schedule::HousekeepingCounters;
use crate::db::{CacheCounters, CacheStats};
use crate::engine::{CounterSnapshot, EngineCounters};
use crate::plugins::{PluginCallStats, PluginState, PluginStatus};
use questline_metrics::histogram::HistogramSnapshot;

/// Microseconds per second: durations are kept in µs, exposed in seconds (dividing, so a
/// bound prints as `0.00005`, not a float artefact).
const US_PER_SECOND: f64 = 1e6;

/// Builds one exposition document.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    pub fn new() -> Self {
        Self::default()
    }

    /// A metric family header.
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    /// The engine's counters (`questline_engine_*_total`).
    pub fn engine(&mut self, c: &CounterSnapshot) {
        let rows: [(&str, u64, &str); 18] = [
            (
                "submitted",
                c.submitted,
                "Activities submitted to the engine.",
            ),
            (
                "processed",
                c.processed,
                "Activities processed in committed batches.",
            ),
            (
                "deduplicated",
                c.deduplicated,
                "Replayed message/reaction ids dropped.",
            ),
            (
                "dropped",
                c.dropped,
                "Activities refused on a full queue or after shutdown.",
            ),
            ("batches", c.batches, "Batches processed."),
            (
                "commit_failures",
                c.commit_failures,
                "Batch commits that failed after retries.",
            ),
            (
                "failed_events",
                c.failed_events,
                "Activities given up on after every commit attempt.",
            ),
            (
                "storage_full",
                c.storage_full,
                "Guild batches held back (intake paused) because the database's storage was full.",
            ),
            (
                "plugin_failures",
                c.plugin_failures,
                "Plugin calls that failed.",
            ),
            (
                "xp_clamped",
                c.xp_clamped,
                "Plugin XP answers and rewards above the configured ceilings, clamped.",
            ),
            (
                "curve_fallbacks",
                c.curve_fallbacks,
                "Guild batches that used the default XP formula because the guild's curve was unusable.",
            ),
            (
                "xp_skipped",
                c.xp_skipped,
                "Activities committed with counters only because no level curve was usable.",
            ),
            ("quest_errors", c.quest_errors, "QuestManager errors."),
            ("level_ups", c.level_ups, "Level-ups."),
            ("quests_completed", c.quests_completed, "Quests completed."),
            (
                "achievements_earned",
                c.achievements_earned,
                "Achievements earned.",
            ),
            ("quest_resets", c.quest_resets, "Quest resets performed."),
            (
                "effects_released",
                c.effects_released,
                "Effects released after commits.",
            ),
        ];
        for (name, value, help) in rows {
            let metric = format!("questline_engine_{name}_total");
            self.family(&metric, "counter", help);
            self.sample(&metric, &[], value as f64);
        }
        self.family(
            "questline_engine_queue_depth",
            "gauge",
            "Activities submitted but not yet processed, deduplicated, dropped or failed.",
        );
        let settled = c.processed + c.deduplicated + c.failed_events + c.dropped;
        self.sample(
            "questline_engine_queue_depth",
            &[],
            c.submitted.saturating_sub(settled) as f64,
        );
    }

    /// One histogram series (`_bucket` per bound and `+Inf`, `_sum`, `_count`); values are
    /// divided by `unit` (1e6 turns microseconds into seconds).
    fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &HistogramSnapshot, unit: f64) {
        let bucket = format!("{name}_bucket");
        for (bound, count) in &h.buckets {
            let le = (*bound as f64 / unit).to_string();
            let mut l = labels.to_vec();
            l.push(("le", &le));
            self.sample(&bucket, &l, *count as f64);
        }
        let mut l = labels.to_vec();
        l.push(("le", "+Inf"));
        self.sample(&bucket, &l, h.count as f64);
        self.sample(&format!("{name}_sum"), labels, h.sum as f64 / unit);
        self.sample(&format!("{name}_count"), labels, h.count as f64);
    }

    /// The engine's histograms: events per batch, commit latency, submit-to-commit latency.
    pub fn engine_histograms(&mut self, c: &EngineCounters) {
        let families: [(&str, &str, HistogramSnapshot, f64); 3] = [
            (
                "questline_engine_batch_events",
                "Events per batch the engine cut.",
                c.batch_events.snapshot(),
                1.0,
            ),
            (
                "questline_engine_commit_seconds",
                "Time to commit one batch's transaction, retries included.",
                c.commit_seconds.snapshot(),
                US_PER_SECOND,
            ),
            (
                "questline_engine_event_latency_seconds",
                "From an activity's submission to its batch being committed and announced.",
                c.event_seconds.snapshot(),
                US_PER_SECOND,
            ),
        ];
        for (name, help, h, unit) in families {
            self.family(name, "histogram", help);
            self.histogram(name, &[], &h, unit);
        }
    }

    /// Calls, failures and call durations per plugin.
    pub fn plugin_calls(&mut self, stats: &[PluginCallStats]) {
        self.family(
            "questline_plugin_calls_total",
            "counter",
            "Calls asked of the plugin (refused ones included).",
        );
        for s in stats {
            self.sample(
                "questline_plugin_calls_total",
                &[("plugin", &s.plugin)],
                s.calls as f64,
            );
        }
        self.family(
            "questline_plugin_call_failures_total",
            "counter",
            "Plugin calls that failed: trap, timeout, memory limit, bad output, quarantined.",
        );
        for s in stats {
            self.sample(
                "questline_plugin_call_failures_total",
                &[("plugin", &s.plugin)],
                s.failures as f64,
            );
        }
        self.family(
            "questline_plugin_call_duration_seconds",
            "histogram",
            "Wall-clock time of plugin calls that ran (instance checkout and output checks included).",
        );
        for s in stats {
            self.histogram(
                "questline_plugin_call_duration_seconds",
                &[("plugin", &s.plugin)],
                &s.durations,
                US_PER_SECOND,
            );
        }
    }

    /// What the bot's scheduled housekeeping did.
    pub fn housekeeping(&mut self, h: &HousekeepingCounters) {
        let rows: [(&str, &AtomicU64, &str); 4] = [
            ("backups", &h.backups, "Scheduled backups written."),
            (
                "backup_failures",
                &h.backup_failures,
                "Scheduled backups that failed (see the log for why).",
            ),
            (
                "backups_pruned",
                &h.backups_pruned,
                "Old scheduled backups deleted to keep [backup] keep.",
            ),
            ("cache_purges", &h.cache_purges, "Scheduled cache purges."),
        ];
        for (name, value, help) in rows {
            let metric = format!("questline_{name}_total");
            self.family(&metric, "counter", help);
            self.sample(&metric, &[], value.load(Ordering::Relaxed) as f64);
        }
    }

    /// Hit/miss/eviction counters and sizes of the repository's caches.
    pub fn caches(&mut self, s: &CacheStats) {
        let caches: [(&str, &CacheCounters); 8] = [
            ("quest", &s.quest),
            ("active_quests", &s.active_quests),
            ("user_quests", &s.user_quests),
            ("user_stats", &s.user_stats),
            ("server_config", &s.server_config),
            ("achievements", &s.achievements),
            ("level_roles", &s.level_roles),
            ("held_achievements", &s.held_achievements),
        ];
        type Field = fn(&CacheCounters) -> u64;
        let families: [(&str, &str, &str, Field); 4] = [
            (
                "questline_cache_hits_total",
                "counter",
                "Cache lookups answered from memory.",
                |c| c.hits,
            ),
            (
                "questline_cache_misses_total",
                "counter",
                "Cache lookups that went to the database.",
                |c| c.misses,
            ),
            (
                "questline_cache_evictions_total",
                "counter",
                "Entries expired or evicted for space.",
                |c| c.evictions,
            ),
            (
                "questline_cache_entries",
                "gauge",
                "Entries currently cached.",
                |c| c.entries,
            ),
        ];
        for (metric, kind, help, field) in families {
            self.family(metric, kind, help);
            for (cache, counters) in caches {
                self.sample(metric, &[("cache", cache)], field(counters) as f64);
            }
        }
    }

    /// One gauge per plugin: 1 when serving calls, 0 otherwise, with its state as a label.
    pub fn plugins(&mut self, list: &[PluginStatus]) {
        self.family(
            "questline_plugin_up",
            "gauge",
            "1 when the plugin serves calls, 0 when it failed to load or is quarantined.",
        );
        for p in list {
            let (up, state) = match &p.state {
                PluginState::Loaded => (1.0, "loaded"),
                PluginState::LoadedWithError(_) => (1.0, "loaded_with_error"),
                PluginState::Shadowed { .. } => (0.0, "shadowed"),
                PluginState::Failed(_) => (0.0, "failed"),
                PluginState::Quarantined { .. } => (0.0, "quarantined"),
            };
            let version = p.version.clone().unwrap_or_default();
            let source = p.source.to_string();
            self.sample(
                "questline_plugin_up",
                &[
                    ("plugin", &p.name),
                    ("version", &version),
                    ("source", &source),
                    ("state", state),
                ],
                up,
            );
        }
    }

    /// Whether the last health check passed (1) and its parts.
    pub fn health(&mut self, database: bool, plugins: bool, scheduler: bool) {
        self.family(
            "questline_up",
            "gauge",
            "1 when the component is healthy (as /healthz reports).",
        );
        for (component, ok) in [
            ("database", database),
            ("plugins", plugins),
            ("scheduler", scheduler),
        ] {
            self.sample(
                "questline_up",
                &[("component", component)],
                if ok { 1.0 } else { 0.0 },
            );
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Label value escaping per the exposition format.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_families_and_escapes_labels() {
        let mut e = Exposition::new();
        e.engine(&CounterSnapshot {
            submitted: 10,
            processed: 7,
            deduplicated: 1,
            level_ups: 2,
            ..Default::default()
        });
        e.sample("x", &[("l", "a\"b\\c\nd")], 1.0);
        let text = e.finish();
        assert!(text.contains("# TYPE questline_engine_level_ups_total counter\nquestline_engine_level_ups_total 2\n"), "{text}");
        assert!(text.contains("questline_engine_queue_depth 2\n"), "{text}");
        assert!(text.contains(r#"x{l="a\"b\\c\nd"} 1"#), "{text}");
    }

    #[test]
    fn histograms_are_cumulative_in_seconds() {
        let h = questline_metrics::histogram::Histogram::new(&[50, 1_000]);
        for us in [10, 50, 700, 3_000_000] {
            h.record(us);
        }
        let mut e = Exposition::new();
        e.histogram("d", &[("plugin", "p")], &h.snapshot(), US_PER_SECOND);
        assert_eq!(
            e.finish(),
            "d_bucket{plugin=\"p\",le=\"0.00005\"} 2\n\
             d_bucket{plugin=\"p\",le=\"0.001\"} 3\n\
             d_bucket{plugin=\"p\",le=\"+Inf\"} 4\n\
             d_sum{plugin=\"p\"} 3.00076\n\
             d_count{plugin=\"p\"} 4\n"
        );
    }
}
