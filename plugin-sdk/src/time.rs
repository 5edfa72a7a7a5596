//! Time as the host sees it, and UTC-day arithmetic for daily features.
//!
//! Always use [`now`] (never the system clock): in a simulation the host's clock is the
//! event time, which is what makes runs replay deterministically.

use crate::types::Timestamp;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The host's current time, Unix milliseconds UTC.
pub fn now() -> Timestamp {
    crate::host::now()
}

/// The UTC day number of `at` (days since 1970-01-01; negative before it).
pub fn utc_day(at: Timestamp) -> i64 {
    at.div_euclid(DAY_MS)
}

/// The start of the UTC day after the one containing `at`.
pub fn next_utc_midnight(at: Timestamp) -> Timestamp {
    (utc_day(at) + 1) * DAY_MS
}

/// A short human duration: `3h 12m`, `12m 5s`, `42s`.
pub fn format_duration(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_days() {
        assert_eq!(utc_day(0), 0);
        assert_eq!(utc_day(DAY_MS - 1), 0);
        assert_eq!(utc_day(DAY_MS), 1);
        assert_eq!(utc_day(-1), -1);
        assert_eq!(next_utc_midnight(DAY_MS + 5), 2 * DAY_MS);
        assert_eq!(
            format_duration(3 * 3_600_000 + 12 * 60_000 + 5_000),
            "3h 12m"
        );
        assert_eq!(format_duration(65_000), "1m 5s");
        assert_eq!(format_duration(-5), "0s");
    }
}
