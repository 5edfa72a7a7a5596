//! When a collected batch goes: its latency budget.
//!
//! A member's rows are written once per batch, so the cost of a batch is mostly fixed (member
//! reads, a plugin call per kind and guild, a handful of statements) and a batch of five
//! events costs nearly what a batch of fifty does. Sending each batch as soon as the pipeline
//! is free makes batches as small as the pipeline is fast: at 1,000 events/s on PostgreSQL
//! that was ~5 events a batch and ~490 µs of CPU per event. Instead, a batch's first event
//! may wait up to the budget (`[engine] batch_max_wait_ms`) less what a batch currently
//! takes to process, so it is committed about when the budget runs out, and the batch holds
//! everything that arrived meanwhile. Under load nothing changes: by the time the pipeline
//! is free the oldest event has waited longer than the budget, and the batch goes at once,
//! as large as the backlog (`docs/performance.md` has the measurements).

use std::time::Duration;

/// Weight of the newest batch in the running mean of processing time (1/8: a slow batch
/// moves the estimate, a single outlier does not dominate it).
const NEWEST_WEIGHT: f64 = 0.125;

/// Weight of the newest batch in the running mean deviation (1/4, as TCP weighs its
/// round-trip variation: spread shows up quicker than a shift of the mean).
const DEVIATION_WEIGHT: f64 = 0.25;

/// How many mean deviations above the mean a batch may take and still commit within the
/// budget (TCP's retransmission timer keeps the same margin over its round-trip estimate).
const DEVIATIONS: f64 = 4.0;

/// The running estimate of how long a batch takes, and what is left of the budget for
/// collecting.
#[derive(Debug, Clone)]
pub(crate) struct BatchCycle {
    budget: Duration,
    /// Exponentially weighted mean processing time of recent batches, in seconds.
    mean: Option<f64>,
    /// Exponentially weighted mean deviation from it, in seconds.
    deviation: f64,
}

impl BatchCycle {
    pub(crate) fn new(budget: Duration) -> Self {
        Self {
            budget,
            mean: None,
            deviation: 0.0,
        }
    }

    /// How long the first event of a new batch may wait before the batch goes: the budget
    /// less what a slow batch takes (the mean processing time plus four mean deviations), or
    /// nothing when that alone uses the budget. Steady batches leave most of the budget for
    /// collecting; batches whose time varies (a busy database, SQLite's checkpoints) leave
    /// room for their slow ones, which is what keeps the tail of the latency within budget.
    pub(crate) fn linger(&self) -> Duration {
        let slow = self.mean.unwrap_or(0.0) + DEVIATIONS * self.deviation;
        self.budget
            .saturating_sub(Duration::try_from_secs_f64(slow).unwrap_or(Duration::MAX))
    }

    /// Records how long a batch took, from dispatch to commit.
    pub(crate) fn record(&mut self, took: Duration) {
        let took = took.as_secs_f64();
        match self.mean {
            None => {
                self.mean = Some(took);
                self.deviation = took / 2.0;
            }
            Some(mean) => {
                self.deviation += DEVIATION_WEIGHT * ((took - mean).abs() - self.deviation);
                self.mean = Some(mean + NEWEST_WEIGHT * (took - mean));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1e3
    }

    #[test]
    fn the_linger_is_the_budget_less_a_slow_batch() {
        let mut cycle = BatchCycle::new(Duration::from_millis(40));
        assert_eq!(
            cycle.linger(),
            Duration::from_millis(40),
            "nothing measured yet"
        );
        // The first batch counts as its own mean, give or take half of it.
        cycle.record(Duration::from_millis(5));
        assert!(
            (ms(cycle.linger()) - 25.0).abs() < 1e-6,
            "{:?}",
            cycle.linger()
        );
        // Steady batches: the deviation fades and the linger approaches budget - mean.
        for _ in 0..64 {
            cycle.record(Duration::from_millis(5));
        }
        assert!(
            (ms(cycle.linger()) - 35.0).abs() < 0.01,
            "{:?}",
            cycle.linger()
        );
        // Batches that alternate 2 and 8 ms: mean about 5, mean deviation about 3, so the
        // linger is about 40 - 5 - 12 (the estimates sway with the last few batches).
        for _ in 0..200 {
            cycle.record(Duration::from_millis(2));
            cycle.record(Duration::from_millis(8));
        }
        assert!(
            (21.0..=24.0).contains(&ms(cycle.linger())),
            "{:?}",
            cycle.linger()
        );
        // Batches slower than the budget leave nothing to collect for: they go at once.
        for _ in 0..64 {
            cycle.record(Duration::from_millis(45));
        }
        assert_eq!(cycle.linger(), Duration::ZERO);
        assert_eq!(
            BatchCycle::new(Duration::ZERO).linger(),
            Duration::ZERO,
            "a zero budget sends every batch as soon as the pipeline is free"
        );
    }
}
