//! The engine's sense of time.
//!
//! All time the engine uses (quest resets, quest expiry, what plugins see as `clock.now`)
//! comes from a [`Clock`] it is given: the system clock in production, a manual clock the
//! console moves with `:advance`, and event time in a simulation. Nothing in the engine calls
//! `Utc::now()` directly, so tests control time exactly and simulations replay byte for byte.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use super::error::EngineError;

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

/// The latest time a clock can be moved to: the last second of year 9999, where dates still
/// have four-digit years in every format the database and the plugins see.
pub fn latest() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `from + by`, or why the clock cannot go there.
fn moved(from: DateTime<Utc>, by: Duration) -> Result<DateTime<Utc>, EngineError> {
    from.checked_add_signed(by)
        .filter(|t| *t <= latest())
        .ok_or_else(|| {
            EngineError::InvalidInput(format!(
                "the clock stops at the end of year 9999; it is {} now and cannot move {} days further",
                from.format("%Y-%m-%d"),
                by.num_days()
            ))
        })
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

    /// Moves the clock forward by `by` and returns the new time; refused past [`latest`].
    pub fn advance(&self, by: Duration) -> Result<DateTime<Utc>, EngineError> {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now = moved(*now, by)?;
        Ok(*now)
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

    /// Moves the clock forward by `by` and returns the new time; refused past [`latest`].
    pub fn advance(&self, by: Duration) -> Result<DateTime<Utc>, EngineError> {
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        let now = moved(Utc::now() + *offset, by)?;
        *offset += by;
        Ok(now)
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().unwrap_or_else(|p| p.into_inner());
        Utc::now()
            .checked_add_signed(offset)
            .map_or_else(latest, |t| t.min(latest()))
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
        assert_eq!(
            clock.advance(Duration::days(1)).expect("advance"),
            start + Duration::days(1)
        );
        assert_eq!(other.now(), start + Duration::days(1));
        other.set(start);
        assert_eq!(clock.now(), start + Duration::days(1), "never goes back");
    }

    #[test]
    fn clocks_stop_at_the_end_of_year_9999_instead_of_overflowing() {
        let manual = ManualClock::new(Utc::now());
        let offset = OffsetClock::default();
        let step = Duration::days(3_650);
        let mut refused = (false, false);
        for _ in 0..2_000 {
            refused.0 |= manual.advance(step).is_err();
            refused.1 |= offset.advance(step).is_err();
        }
        assert_eq!(refused, (true, true));
        assert!(manual.now() <= latest() && offset.now() <= latest());
        assert!(manual.now() > latest() - step, "it went as far as it could");
        let err = manual.advance(Duration::MAX).expect_err("overflow refused");
        assert!(err.to_string().contains("year 9999"), "{err}");
    }
}
