//! Circuit breaker: a plugin that fails N calls in a row is skipped for a cool-down, so a
//! broken plugin costs one fast error per event instead of a timeout per event. After the
//! cool-down one call is let through; one more failure re-opens the breaker, a success
//! closes it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct State {
    consecutive: u32,
    open_until: Option<Instant>,
}

/// The breaker of one loaded plugin.
#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

/// Why a call is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Open {
    pub(crate) failures: u32,
    pub(crate) retry_in: Duration,
}

impl Breaker {
    pub(crate) fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::default(),
        }
    }

    /// Refuses the call while the breaker is open.
    pub(crate) fn check(&self, now: Instant) -> Result<(), Open> {
        let Ok(state) = self.state.lock() else {
            return Ok(());
        };
        match state.open_until {
            Some(until) if until > now => Err(Open {
                failures: state.consecutive,
                retry_in: until - now,
            }),
            _ => Ok(()),
        }
    }

    pub(crate) fn success(&self) {
        if let Ok(mut state) = self.state.lock() {
            *state = State::default();
        }
    }

    /// Records a failure; returns true when it opened the breaker.
    pub(crate) fn failure(&self, now: Instant) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        state.consecutive = state.consecutive.saturating_add(1);
        if state.consecutive >= self.threshold {
            state.open_until = Some(now + self.cooldown);
            return true;
        }
        false
    }

    /// Remaining quarantine, if the breaker is open.
    pub(crate) fn quarantined(&self, now: Instant) -> Option<Open> {
        self.check(now).err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_and_recovers() {
        let breaker = Breaker::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(!breaker.failure(t0));
        assert!(!breaker.failure(t0));
        assert!(breaker.check(t0).is_ok());
        assert!(breaker.failure(t0));
        let open = breaker.check(t0).unwrap_err();
        assert_eq!(open.failures, 3);
        assert!(open.retry_in <= Duration::from_secs(60));
        // After the cool-down one call goes through; another failure re-opens at once.
        let later = t0 + Duration::from_secs(61);
        assert!(breaker.check(later).is_ok());
        assert!(breaker.failure(later));
        assert!(breaker.check(later).is_err());
        breaker.success();
        assert!(breaker.check(later).is_ok());
    }

    #[test]
    fn success_resets_the_count() {
        let breaker = Breaker::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(!breaker.failure(t0));
        breaker.success();
        assert!(!breaker.failure(t0));
        assert!(breaker.check(t0).is_ok());
    }
}
