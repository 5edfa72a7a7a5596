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

/// Weight of the newest batch in the running estimate of processing time (1/8: a slow
/// batch moves the estimate, a single outlier does not dominate it).
const NEWEST_WEIGHT: f64 = 0.125;

/// The running estimate of how long a batch takes, and what is left of the budget for
/// collecting.
#[derive(Debug, Clone)]
pub(crate) struct BatchCycle {
    budget: Duration,
    /// Exponentially weighted mean processing time of recent batches.
    processing: Option<Duration>,
}

impl BatchCycle {
    pub(crate) fn new(budget: Duration) -> Self {
        Self {
            budget,
            processing: None,
        }
    }

    /// How long the first event of a new batch may wait before the batch goes: the budget
    /// less twice the recent processing time (room for a batch slower than the mean), or
    /// nothing when processing alone uses the budget.
    pub(crate) fn linger(&self) -> Duration {
        let processing = self.processing.unwrap_or_default();
        self.budget.saturating_sub(processing.saturating_mul(2))
    }

    /// Records how long a batch took, from dispatch to commit.
    pub(crate) fn record(&mut self, took: Duration) {
        self.processing = Some(match self.processing {
            None => took,
            Some(mean) => mean.mul_f64(1.0 - NEWEST_WEIGHT) + took.mul_f64(NEWEST_WEIGHT),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_linger_is_the_budget_less_twice_the_recent_processing_time() {
        let mut cycle = BatchCycle::new(Duration::from_millis(40));
        assert_eq!(cycle.linger(), Duration::from_millis(40));
        cycle.record(Duration::from_millis(5));
        assert_eq!(cycle.linger(), Duration::from_millis(30));
        // One slow batch moves the estimate by an eighth of the difference.
        cycle.record(Duration::from_millis(13));
        assert_eq!(cycle.linger(), Duration::from_millis(28));
        // Batches slower than half the budget leave nothing to collect for: they go at once.
        for _ in 0..64 {
            cycle.record(Duration::from_millis(30));
        }
        assert_eq!(cycle.linger(), Duration::ZERO);
        assert_eq!(
            BatchCycle::new(Duration::ZERO).linger(),
            Duration::ZERO,
            "a zero budget sends every batch as soon as the pipeline is free"
        );
    }
}
