//! The member's streak in the key-value store.

use questline_plugin_sdk::{Snowflake, Timestamp, kv, utc_day, warn};
use serde::{Deserialize, Serialize};

/// A member's streak: the last UTC day they were active and the days in a row up to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Streak {
    /// UTC day number (days since 1970-01-01).
    pub last_day: i64,
    /// Consecutive active days ending on `last_day`.
    pub days: u32,
}

impl Streak {
    /// The streak after activity on `day`.
    pub fn advance(self, day: i64) -> Streak {
        let days = match day - self.last_day {
            _ if self.days == 0 => 1,
            0 => self.days,
            1 => self.days.saturating_add(1),
            d if d < 0 => return self, // an older, out-of-order activity changes nothing
            _ => 1,
        };
        Streak {
            last_day: day,
            days,
        }
    }
}

fn key(user: Snowflake) -> String {
    format!("streak:{user}")
}

/// The stored streak of `user` (none yet: the default).
///
/// WHY tolerate store errors: a full or unreachable store must not break quest progress for
/// everyone; the streak is then computed from what could be read, and the problem logged.
pub fn load(user: Snowflake) -> Streak {
    match kv::get_json::<Streak>(&key(user)) {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => {
            warn!("streak-quests: could not read the streak of {user}: {e}");
            Streak::default()
        }
    }
}

/// Stores `next` as the streak of `user` if it differs from `stored` (what [`load`] gave).
pub fn save(user: Snowflake, stored: Streak, next: Streak) {
    if next != stored
        && let Err(e) = kv::set_json(&key(user), &next)
    {
        warn!("streak-quests: could not save the streak of {user}: {e}");
    }
}

/// Records activity by `user` at `at` and returns their streak.
pub fn record_activity(user: Snowflake, at: Timestamp) -> Streak {
    let stored = load(user);
    let next = stored.advance(utc_day(at));
    save(user, stored, next);
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use questline_plugin_sdk::{DAY_MS, testing};

    #[test]
    fn advance_rules() {
        let s = Streak::default().advance(10);
        assert_eq!(
            s,
            Streak {
                last_day: 10,
                days: 1
            }
        );
        assert_eq!(s.advance(10), s);
        assert_eq!(s.advance(11).days, 2);
        assert_eq!(s.advance(11).advance(13).days, 1);
        assert_eq!(s.advance(9), s);
    }

    #[test]
    fn persists_in_the_store() {
        testing::reset();
        record_activity(5, 3 * DAY_MS);
        let s = record_activity(5, 4 * DAY_MS + 10);
        assert_eq!(s.days, 2);
        let stored: Streak = kv::get_json("streak:5").unwrap().unwrap();
        assert_eq!(
            stored,
            Streak {
                last_day: 4,
                days: 2
            }
        );
    }

    #[test]
    fn corrupt_store_value_restarts_with_a_warning() {
        testing::reset();
        kv::set("streak:5", b"not json").unwrap();
        assert_eq!(record_activity(5, 0).days, 1);
        assert!(
            testing::logs()
                .iter()
                .any(|(_, m)| m.contains("could not read"))
        );
    }
}
