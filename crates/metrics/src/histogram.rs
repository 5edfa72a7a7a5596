//! Prometheus-style histograms: fixed upper bounds, one atomic counter per bucket, a sum.
//! Lock-free, so the engine's task and plugin calls record into them on the hot path and
//! `/metrics` reads them whenever it is scraped. (The engine's `LatencyHistogram` answers
//! percentiles for the benchmark; Prometheus wants cumulative counts at fixed bounds, which
//! that one can only approximate.)

use std::sync::atomic::{AtomicU64, Ordering};

/// Bounds for durations recorded in microseconds: 50 µs to 10 s.
pub const DURATION_BOUNDS_US: &[u64] = &[
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 10_000_000,
];

/// Bounds for batch sizes, in events.
pub const SIZE_BOUNDS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024, 4_096];

/// A histogram over `u64` values with fixed upper bounds (a value lands in the first bucket
/// whose bound is at least the value; larger values only in `+Inf`).
pub struct Histogram {
    bounds: &'static [u64],
    /// One per bound, plus `+Inf`. Not cumulative; summed when read.
    counts: Box<[AtomicU64]>,
    sum: AtomicU64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.snapshot();
        f.debug_struct("Histogram")
            .field("count", &s.count)
            .field("sum", &s.sum)
            .finish()
    }
}

/// What a histogram held at one moment, in the exposition's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramSnapshot {
    /// `(upper bound, values <= bound)`, cumulative, in bound order.
    pub buckets: Vec<(u64, u64)>,
    pub count: u64,
    pub sum: u64,
}

impl Histogram {
    pub fn new(bounds: &'static [u64]) -> Self {
        debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]), "bounds ascend");
        Self {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
        }
    }

    /// Durations in microseconds.
    pub fn durations() -> Self {
        Self::new(DURATION_BOUNDS_US)
    }

    /// Sizes (events per batch).
    pub fn sizes() -> Self {
        Self::new(SIZE_BOUNDS)
    }

    pub fn record(&self, value: u64) {
        let i = self.bounds.partition_point(|&b| b < value);
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
    }

    /// Records the time since `started`, in microseconds.
    pub fn record_since(&self, started: std::time::Instant) {
        self.record(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut seen = 0;
        let mut buckets = Vec::with_capacity(self.bounds.len());
        for (bound, c) in self.bounds.iter().zip(self.counts.iter()) {
            seen += c.load(Ordering::Relaxed);
            buckets.push((*bound, seen));
        }
        let count = seen + self.counts[self.bounds.len()].load(Ordering::Relaxed);
        HistogramSnapshot {
            buckets,
            count,
            sum: self.sum.load(Ordering::Relaxed),
        }
    }
}

/// A [`Histogram`] of durations in microseconds that can be a `#[derive(Default)]` field.
#[derive(Debug)]
pub struct Durations(pub Histogram);

impl Default for Durations {
    fn default() -> Self {
        Self(Histogram::durations())
    }
}

impl std::ops::Deref for Durations {
    type Target = Histogram;
    fn deref(&self) -> &Histogram {
        &self.0
    }
}

/// A [`Histogram`] of sizes that can be a `#[derive(Default)]` field.
#[derive(Debug)]
pub struct Sizes(pub Histogram);

impl Default for Sizes {
    fn default() -> Self {
        Self(Histogram::sizes())
    }
}

impl std::ops::Deref for Sizes {
    type Target = Histogram;
    fn deref(&self) -> &Histogram {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_at_or_below_their_bound_and_counts_are_cumulative() {
        let h = Histogram::new(&[10, 100]);
        for v in [0, 10, 11, 100, 101, 5_000] {
            h.record(v);
        }
        let s = h.snapshot();
        assert_eq!(s.buckets, vec![(10, 2), (100, 4)]);
        assert_eq!(s.count, 6);
        assert_eq!(s.sum, 5_222);
    }
}
