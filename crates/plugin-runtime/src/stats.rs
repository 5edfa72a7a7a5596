//! Per-plugin call statistics for `/metrics`: calls, failures and durations, kept by plugin
//! name in the runtime so they survive hot reloads (a new version of a plugin continues its
//! predecessor's counters, as Prometheus expects of a counter).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use questline_metrics::histogram::{Histogram, HistogramSnapshot};

#[derive(Debug)]
struct PluginCalls {
    calls: AtomicU64,
    failures: AtomicU64,
    /// Durations of calls that ran (refusals by the breaker do not), in microseconds.
    durations: Histogram,
}

/// One plugin's call statistics at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginCallStats {
    pub plugin: String,
    /// Every call asked of the plugin, refused ones included.
    pub calls: u64,
    /// Calls that returned an error (trap, timeout, bad output, quarantined, ...).
    pub failures: u64,
    /// Durations of the calls that ran, in microseconds.
    pub durations: HistogramSnapshot,
}

#[derive(Debug, Default)]
pub(crate) struct CallStats {
    per_plugin: RwLock<HashMap<Arc<str>, Arc<PluginCalls>>>,
}

impl CallStats {
    fn entry(&self, plugin: &Arc<str>) -> Arc<PluginCalls> {
        if let Some(e) = self
            .per_plugin
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(plugin)
        {
            return e.clone();
        }
        self.per_plugin
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(plugin.clone())
            .or_insert_with(|| {
                Arc::new(PluginCalls {
                    calls: AtomicU64::new(0),
                    failures: AtomicU64::new(0),
                    durations: Histogram::durations(),
                })
            })
            .clone()
    }

    /// Counts one call; `ran_since` is when it started if it reached the plugin.
    pub(crate) fn record(&self, plugin: &Arc<str>, ran_since: Option<Instant>, ok: bool) {
        let e = self.entry(plugin);
        e.calls.fetch_add(1, Ordering::Relaxed);
        if !ok {
            e.failures.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(started) = ran_since {
            e.durations.record_since(started);
        }
    }

    /// Every plugin called so far, by name.
    pub(crate) fn snapshot(&self) -> Vec<PluginCallStats> {
        let map = self.per_plugin.read().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<PluginCallStats> = map
            .iter()
            .map(|(name, e)| PluginCallStats {
                plugin: name.to_string(),
                calls: e.calls.load(Ordering::Relaxed),
                failures: e.failures.load(Ordering::Relaxed),
                durations: e.durations.snapshot(),
            })
            .collect();
        out.sort_by(|a, b| a.plugin.cmp(&b.plugin));
        out
    }
}
