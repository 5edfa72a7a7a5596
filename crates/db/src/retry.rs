//! `safe_db_operation`: retries transient failures with capped exponential backoff and jitter.
//!
//! Only [`DbError::is_transient`] errors are retried (connection refused/lost, pool timeout,
//! serialization failure, deadlock, SQLite busy/locked). Constraint violations and invalid
//! input are final: retrying them would fail the same way. Every write of the repository runs
//! in one transaction, so a failed attempt left nothing behind and retrying is safe.
//! One window remains: a connection lost while the COMMIT acknowledgement is in flight. The
//! write may have been applied, and a retried increment then applies twice. That takes a
//! network failure at exactly that moment; never retrying writes instead would drop whole
//! activity batches on every database failover, which is worse for a leveling bot.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use super::error::DbError;

/// Backoff parameters (from [`super::DatabaseConfig`]).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts including the first; at least 1.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (1-based): base * 2^(retry-1), capped, then
    /// "full jitter" (uniform in [delay/2, delay]) so concurrent retries do not stampede.
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let capped = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let nanos = u64::try_from(capped.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return capped;
        }
        Duration::from_nanos(rand::rng().random_range(nanos / 2..=nanos))
    }
}

/// Runs `operation` until it succeeds, fails with a non-transient error, or the attempts are
/// used up. `name` goes into the log line of each retry.
pub async fn safe_db_operation<T, F, Fut>(
    name: &str,
    policy: &RetryPolicy,
    mut operation: F,
) -> Result<T, DbError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DbError>>,
{
    let attempts = policy.attempts.max(1);
    let mut attempt = 1;
    loop {
        match operation().await {
            Ok(value) => return Ok(value),
            Err(err) if err.is_transient() && attempt < attempts => {
                let delay = policy.delay(attempt);
                tracing::warn!(
                    operation = name,
                    attempt,
                    ?delay,
                    error = %err,
                    "transient database failure; retrying"
                );
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(err) => {
                if err.is_transient() {
                    tracing::error!(operation = name, attempts, error = %err, "giving up");
                }
                return Err(err);
            }
        }
    }
}
