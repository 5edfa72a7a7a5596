//! When quests reset.
//!
//! Resets follow the guild's `server_config`: daily quests at `quest_reset_hour` (UTC), weekly
//! quests on `quest_reset_day` (0 = Monday) at that hour, monthly quests on the 1st at that
//! hour, and `once` quests never. The schedule is pure arithmetic on instants so it can be
//! tested across day, week, month and year boundaries, and so the QuestManager can be
//! idempotent: it stores the *period start* a quest belongs to (its `created_at` falls in it,
//! its `expires_at` is the next boundary), and a restart at any moment computes the same
//! boundaries, so a reset is never applied twice and a reset missed while the bot was down
//! is applied exactly once.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};

/// How often a quest resets (the `refresh_cycle` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cycle {
    Daily,
    Weekly,
    Monthly,
    Once,
}

/// A guild's reset settings (`quest_reset_hour`, `quest_reset_day`), validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetSettings {
    hour: u32,
    weekday: Weekday,
}

/// A reset setting out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("quest_reset_hour must be 0-23 (UTC), got {0}")]
    BadHour(i64),
    #[error("quest_reset_day must be 0-6 (0 = Monday), got {0}")]
    BadDay(i64),
}

impl Default for ResetSettings {
    /// Midnight UTC, weeks starting on Monday.
    fn default() -> Self {
        Self {
            hour: 0,
            weekday: Weekday::Mon,
        }
    }
}

impl ResetSettings {
    /// From the stored columns.
    pub fn new(hour: i64, day: i64) -> Result<Self, ScheduleError> {
        let hour = u32::try_from(hour)
            .ok()
            .filter(|h| *h < 24)
            .ok_or(ScheduleError::BadHour(hour))?;
        let day_u8 = u8::try_from(day)
            .ok()
            .filter(|d| *d < 7)
            .ok_or(ScheduleError::BadDay(day))?;
        let weekday = Weekday::try_from(day_u8).map_err(|_| ScheduleError::BadDay(day))?;
        Ok(Self { hour, weekday })
    }

    /// The start of the period of `cycle` that contains `now` (the latest reset boundary at or
    /// before `now`); `None` for `once`.
    pub fn period_start(&self, cycle: Cycle, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let at_hour = |date: chrono::NaiveDate| {
            let time = NaiveTime::from_hms_opt(self.hour, 0, 0).unwrap_or(NaiveTime::MIN);
            Utc.from_utc_datetime(&date.and_time(time))
        };
        match cycle {
            Cycle::Once => None,
            Cycle::Daily => {
                let today = at_hour(now.date_naive());
                Some(if today <= now {
                    today
                } else {
                    today - Duration::days(1)
                })
            }
            Cycle::Weekly => {
                let days_back = (i64::from(now.weekday().num_days_from_monday())
                    - i64::from(self.weekday.num_days_from_monday()))
                .rem_euclid(7);
                let candidate = at_hour(now.date_naive() - Duration::days(days_back));
                Some(if candidate <= now {
                    candidate
                } else {
                    candidate - Duration::days(7)
                })
            }
            Cycle::Monthly => {
                let first = now.date_naive().with_day(1)?;
                let candidate = at_hour(first);
                if candidate <= now {
                    Some(candidate)
                } else {
                    Some(at_hour(previous_month_first(first)?))
                }
            }
        }
    }

    /// The first reset boundary strictly after `now`: when a quest generated now expires.
    pub fn next_reset(&self, cycle: Cycle, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = self.period_start(cycle, now)?;
        let time = NaiveTime::from_hms_opt(self.hour, 0, 0).unwrap_or(NaiveTime::MIN);
        match cycle {
            Cycle::Once => None,
            Cycle::Daily => Some(start + Duration::days(1)),
            Cycle::Weekly => Some(start + Duration::days(7)),
            Cycle::Monthly => {
                let next = next_month_first(start.date_naive())?;
                Some(Utc.from_utc_datetime(&next.and_time(time)))
            }
        }
    }

    /// Whether a quest instance generated at `created_at` is due for a reset at `now`: true
    /// when a boundary lies in `(created_at, now]`. Applying the reset creates instances in the
    /// current period, for which this is false again: resets are idempotent.
    pub fn is_due(&self, cycle: Cycle, created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        match self.period_start(cycle, now) {
            Some(start) => created_at < start,
            None => false,
        }
    }
}

fn previous_month_first(first: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
    let (year, month) = if first.month() == 1 {
        (first.year() - 1, 12)
    } else {
        (first.year(), first.month() - 1)
    };
    chrono::NaiveDate::from_ymd_opt(year, month, 1)
}

fn next_month_first(date: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    chrono::NaiveDate::from_ymd_opt(year, month, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test timestamps are valid")
            .with_timezone(&Utc)
    }

    #[test]
    fn daily_boundaries_follow_the_reset_hour() {
        let s = ResetSettings::new(6, 0).expect("valid");
        assert_eq!(
            s.period_start(Cycle::Daily, at("2026-01-05T05:59:59Z")),
            Some(at("2026-01-04T06:00:00Z"))
        );
        assert_eq!(
            s.period_start(Cycle::Daily, at("2026-01-05T06:00:00Z")),
            Some(at("2026-01-05T06:00:00Z"))
        );
        assert_eq!(
            s.next_reset(Cycle::Daily, at("2026-12-31T23:00:00Z")),
            Some(at("2027-01-01T06:00:00Z"))
        );
    }

    #[test]
    fn weekly_boundaries_follow_the_reset_day() {
        // 2026-01-05 is a Monday; reset on Wednesday (2) at 12:00.
        let s = ResetSettings::new(12, 2).expect("valid");
        assert_eq!(
            s.period_start(Cycle::Weekly, at("2026-01-05T10:00:00Z")),
            Some(at("2025-12-31T12:00:00Z"))
        );
        assert_eq!(
            s.period_start(Cycle::Weekly, at("2026-01-07T12:00:00Z")),
            Some(at("2026-01-07T12:00:00Z"))
        );
        assert_eq!(
            s.next_reset(Cycle::Weekly, at("2026-01-07T11:59:00Z")),
            Some(at("2026-01-07T12:00:00Z"))
        );
    }

    #[test]
    fn monthly_boundaries_cross_years_and_short_months() {
        let s = ResetSettings::new(0, 0).expect("valid");
        assert_eq!(
            s.period_start(Cycle::Monthly, at("2026-03-01T00:00:00Z")),
            Some(at("2026-03-01T00:00:00Z"))
        );
        assert_eq!(
            s.next_reset(Cycle::Monthly, at("2026-02-28T23:59:59Z")),
            Some(at("2026-03-01T00:00:00Z"))
        );
        assert_eq!(
            s.next_reset(Cycle::Monthly, at("2026-12-15T00:00:00Z")),
            Some(at("2027-01-01T00:00:00Z"))
        );
        let late = ResetSettings::new(5, 0).expect("valid");
        assert_eq!(
            late.period_start(Cycle::Monthly, at("2026-01-01T04:00:00Z")),
            Some(at("2025-12-01T05:00:00Z"))
        );
    }

    #[test]
    fn resets_are_due_once_per_boundary_and_never_for_once() {
        let s = ResetSettings::default();
        let created = at("2026-01-05T10:00:00Z");
        assert!(!s.is_due(Cycle::Daily, created, at("2026-01-05T23:59:59Z")));
        assert!(s.is_due(Cycle::Daily, created, at("2026-01-06T00:00:00Z")));
        // Down for three days: due, and an instance created after the reset is not due again.
        assert!(s.is_due(Cycle::Daily, created, at("2026-01-09T08:00:00Z")));
        assert!(!s.is_due(
            Cycle::Daily,
            at("2026-01-09T08:00:01Z"),
            at("2026-01-09T20:00:00Z")
        ));
        assert!(!s.is_due(Cycle::Once, created, at("2030-01-01T00:00:00Z")));
    }

    #[test]
    fn bad_settings_are_rejected_with_the_allowed_range() {
        assert_eq!(ResetSettings::new(24, 0), Err(ScheduleError::BadHour(24)));
        assert_eq!(ResetSettings::new(0, 7), Err(ScheduleError::BadDay(7)));
        assert_eq!(ResetSettings::new(-1, 0), Err(ScheduleError::BadHour(-1)));
        assert!(ScheduleError::BadDay(9).to_string().contains("0 = Monday"));
    }
}
