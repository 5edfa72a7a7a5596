//! The engine's sense of time.
//!
//! All time the engine uses (quest resets, quest expiry, what plugins see as `clock.now`)
//! comes from a [`Clock`] it is given: the system clock in production, a manual clock the
//! console moves with `:advance`, and event time in a simulation. Nothing in the engine calls
//! `Utc::now()` directly, so tests control time exactly and simulations replay byte for byte.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (console `:advance`, tests, simulation event time).
/// Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Sets the time (a simulation sets it to each event's time; time never goes back).
    pub fn set(&self, at: DateTime<Utc>) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        if at > *now {
            *now = at;
        }
    }

    /// Moves the clock forward by `by` and returns the new time.
    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
        *now
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The system clock shifted by an offset that only grows: the console's clock, so typing
/// feels real-time while `:advance 1d` jumps ahead. Clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct OffsetClock {
    offset: Arc<Mutex<Duration>>,
}

impl OffsetClock {
    /// Starts at `start` if it is in the future (a previous session advanced past now).
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        let ahead = (start - Utc::now()).max(Duration::zero());
        Self {
            offset: Arc::new(Mutex::new(ahead)),
        }
    }

    /// Moves the clock forward by `by` and returns the new time.
    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        *offset += by;
        Utc::now() + *offset
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_forward_and_is_shared() {
        let start = DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let clock = ManualClock::new(start);
        let other = clock.clone();
        assert_eq!(clock.advance(Duration::days(1)), start + Duration::days(1));
        assert_eq!(other.now(), start + Duration::days(1));
        other.set(start);
        assert_eq!(clock.now(), start + Duration::days(1), "never goes back");
    }
}
