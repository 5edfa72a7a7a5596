//! After a run: is every event reflected in the stored counters? The sums of `levels` over
//! the workload's guilds must equal what was sent (messages, reactions, commands, eligible
//! voice seconds), and the engine must have processed every event with no failed commit.
//! Anything missing counts as lost; anything extra (an event applied twice) fails too.

use serde::Serialize;

use super::workload::{Expected, Workload};
use crate::db::{CounterTotals, Db, DbError};
use crate::engine::CounterSnapshot;

/// What the verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub ok: bool,
    /// Events missing from the stored counters (messages, reactions and commands one for
    /// one; a voice shortfall counts as at least one lost voice change).
    pub lost_events: u64,
    /// Stored minus expected, per counter (negative: lost; positive: applied twice).
    pub messages_diff: i64,
    pub reactions_diff: i64,
    pub commands_diff: i64,
    pub voice_seconds_diff: i64,
    pub expected: Expected,
    pub stored: CounterTotals,
    /// Events the engine reported it could not commit or dropped.
    pub failed_events: u64,
    pub dropped_events: u64,
}

impl Verification {
    /// One line for the report.
    pub fn summary(&self) -> String {
        format!(
            "stored/sent: messages {}/{}, reactions {}/{}, commands {}/{}, voice {}/{} s; failed {}, dropped {}",
            self.stored.total_messages,
            self.expected.messages,
            self.stored.total_reactions,
            self.expected.reactions,
            self.stored.commands_used,
            self.expected.commands,
            self.stored.voice_time_seconds,
            self.expected.voice_seconds,
            self.failed_events,
            self.dropped_events
        )
    }
}

/// Compares `expected` with `stored` (and the engine's own failure counters).
pub fn compare(
    expected: Expected,
    stored: CounterTotals,
    counters: &CounterSnapshot,
) -> Verification {
    let messages_diff = stored.total_messages - expected.messages;
    let reactions_diff = stored.total_reactions - expected.reactions;
    let commands_diff = stored.commands_used - expected.commands;
    let voice_seconds_diff = stored.voice_time_seconds - expected.voice_seconds;
    let missing = |d: i64| u64::try_from(-d.min(0)).unwrap_or(0);
    let lost_events = missing(messages_diff)
        + missing(reactions_diff)
        + missing(commands_diff)
        + u64::from(voice_seconds_diff < 0);
    let ok = messages_diff == 0
        && reactions_diff == 0
        && commands_diff == 0
        && voice_seconds_diff == 0
        && counters.failed_events == 0
        && counters.dropped == 0;
    Verification {
        ok,
        lost_events: lost_events.max(counters.failed_events + counters.dropped),
        messages_diff,
        reactions_diff,
        commands_diff,
        voice_seconds_diff,
        expected,
        stored,
        failed_events: counters.failed_events,
        dropped_events: counters.dropped,
    }
}

/// Reads the stored counters of the workload's guilds and compares them with what it sent.
pub async fn verify(
    db: &Db,
    workload: &Workload,
    counters: &CounterSnapshot,
) -> Result<Verification, DbError> {
    let stored = db.stored_counter_totals(&workload.guild_ids).await?;
    Ok(compare(workload.expected, stored, counters))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Expected {
        Expected {
            messages: 10,
            reactions: 4,
            commands: 2,
            voice_changes: 2,
            voice_seconds: 60,
        }
    }

    fn stored() -> CounterTotals {
        CounterTotals {
            members: 3,
            total_messages: 10,
            total_reactions: 4,
            commands_used: 2,
            voice_time_seconds: 60,
        }
    }

    #[test]
    fn equal_totals_pass_and_any_difference_fails() {
        let c = CounterSnapshot::default();
        assert!(compare(expected(), stored(), &c).ok);
        let lost = compare(
            expected(),
            CounterTotals {
                total_messages: 7,
                ..stored()
            },
            &c,
        );
        assert!(!lost.ok);
        assert_eq!(lost.lost_events, 3);
        let twice = compare(
            expected(),
            CounterTotals {
                total_reactions: 5,
                ..stored()
            },
            &c,
        );
        assert!(!twice.ok, "an event applied twice fails too");
        let voice = compare(
            expected(),
            CounterTotals {
                voice_time_seconds: 30,
                ..stored()
            },
            &c,
        );
        assert_eq!(voice.lost_events, 1);
        let failed = CounterSnapshot {
            failed_events: 2,
            ..CounterSnapshot::default()
        };
        let v = compare(expected(), stored(), &failed);
        assert!(!v.ok);
        assert_eq!(v.lost_events, 2);
    }
}
