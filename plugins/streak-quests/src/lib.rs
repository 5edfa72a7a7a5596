//! `streak-quests`: "be active N days in a row".
//!
//! The member's streak lives in the key-value store (the last UTC day they were active and
//! how many days in a row that makes), shared by all streak quests; a quest's progress is the
//! current streak, so a missed day sets it back to 1. Days are UTC days of the activity's
//! timestamp (the host's clock), so simulations replay exactly.

mod streak;

use questline_plugin_sdk::*;

pub use streak::{Streak, load, record_activity, save};

/// The requirement type this plugin understands.
pub const STREAK_DAYS: &str = "streak_days";

/// The plugin.
pub struct StreakQuests;

impl Plugin for StreakQuests {
    const NAME: &'static str = "streak-quests";
    const DESCRIPTION: &'static str = "Streak quests: be active N days in a row.";
    const CAPABILITIES: &'static [(Capability, &'static str)] = &[
        (
            Capability::Log,
            "warns when a stored streak cannot be read or written",
        ),
        (
            Capability::Kv,
            "remembers each member's streak between batches",
        ),
    ];
}

/// New progress for a streak quest given the member's streak after the activity.
pub fn progress_for(
    quest: &QuestDef,
    current: &QuestProgress,
    streak: &Streak,
) -> Option<QuestProgress> {
    if current.completed {
        return None;
    }
    let days = i64::from(streak.days);
    // quest_specific_progress: the last UTC day this quest counted, so a second activity on
    // the same day changes nothing (no write for the host).
    if current.progress == days && current.quest_specific_progress == streak.last_day {
        return None;
    }
    Some(QuestProgress {
        progress: days,
        quest_specific_progress: streak.last_day,
        completed: days >= quest.requirement_value,
    })
}

/// Templates: `(category, label, days per difficulty, reward per difficulty)` per cycle.
fn shape(cycle: RefreshCycle) -> Option<(QuestCategory, &'static str, [i64; 3], [i64; 3])> {
    match cycle {
        // A one-day streak is just "be active today": not a streak quest.
        RefreshCycle::Daily => None,
        RefreshCycle::Weekly => Some((QuestCategory::Weekly, "Weekly", [3, 5, 7], [150, 300, 600])),
        RefreshCycle::Monthly => Some((
            QuestCategory::Special,
            "Monthly",
            [7, 14, 28],
            [500, 1_200, 3_000],
        )),
        RefreshCycle::Once => Some((
            QuestCategory::Challenge,
            "Legendary",
            [30, 60, 100],
            [2_000, 5_000, 10_000],
        )),
    }
}

impl QuestType for StreakQuests {
    fn requirement_types() -> Vec<String> {
        vec![STREAK_DAYS.to_string()]
    }

    fn templates(cycle: RefreshCycle, difficulty: Option<Difficulty>) -> Vec<QuestTemplate> {
        let Some((category, label, days, rewards)) = shape(cycle) else {
            return Vec::new();
        };
        Difficulty::ALL
            .into_iter()
            .enumerate()
            .filter(|(_, d)| difficulty.is_none_or(|want| want == *d))
            .map(|(i, d)| QuestTemplate {
                name: format!("{label} Streak: {} days", days[i]),
                description: format!("Be active {} days in a row.", days[i]),
                quest_type: category,
                requirement_type: STREAK_DAYS.to_string(),
                requirement_value: days[i],
                reward_xp: rewards[i],
                reward_multiplier: 1.0,
                refresh_cycle: cycle,
                difficulty: d,
            })
            .collect()
    }

    fn progress_one(input: &ProgressInput) -> Option<QuestProgress> {
        if !counts(input) {
            return None;
        }
        let streak = record_activity(input.activity.user, input.activity.at);
        progress_for(input.quest, &input.current, &streak)
    }

    /// One store read and at most one write per member and batch, not one per activity and
    /// quest: the streak advances in memory over the member's run.
    fn progress(quests: Vec<QuestDef>, runs: Vec<MemberRun>) -> Vec<Vec<Option<ProgressOutcome>>> {
        runs.iter()
            .map(|run| {
                let Some(user) = run.steps.first().map(|s| s.activity.user) else {
                    return vec![None; quests.len()];
                };
                let stored = load(user);
                let mut streak = stored;
                let out = fold_run(&quests, run, |input| {
                    streak = streak.advance(utc_day(input.activity.at));
                    if counts(input) {
                        progress_for(input.quest, &input.current, &streak)
                    } else {
                        None
                    }
                });
                // Activity after every quest was completed still extends the streak.
                for s in &run.steps {
                    streak = streak.advance(utc_day(s.activity.at));
                }
                save(user, stored, streak);
                out
            })
            .collect()
    }
}

/// Whether `input` can move its quest: a streak quest, not completed, not expired.
fn counts(input: &ProgressInput) -> bool {
    input.quest.requirement_type == STREAK_DAYS
        && !input.current.completed
        && input
            .quest
            .expires_at
            .is_none_or(|end| input.activity.at < end)
}

export_plugin!(StreakQuests, kinds: [quest_type]);

#[cfg(test)]
mod tests {
    use super::*;

    fn quest(days: i64) -> QuestDef {
        QuestDef {
            id: 9,
            name: "streak".into(),
            description: String::new(),
            quest_type: QuestCategory::Weekly,
            requirement_type: STREAK_DAYS.into(),
            requirement_value: days,
            reward_xp: 100,
            reward_multiplier: 1.0,
            refresh_cycle: RefreshCycle::Weekly,
            difficulty: Difficulty::Easy,
            expires_at: None,
        }
    }

    fn run(current: &QuestProgress, user: u64, day: i64, hour: i64) -> Option<QuestProgress> {
        StreakQuests::progress_one(&ProgressInput {
            quest: &quest(3),
            current: *current,
            activity: &Activity::message(1, 2, user, day * DAY_MS + hour * 3_600_000, 5),
            stats: &MemberStats::default(),
        })
    }

    fn member_run(user: u64, days: &[i64]) -> MemberRun {
        MemberRun {
            current: vec![QuestProgress::default()],
            steps: days
                .iter()
                .map(|day| ProgressStep {
                    activity: Activity::message(1, 2, user, day * DAY_MS, 5),
                    stats: MemberStats::default(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_run_advances_the_streak_once_per_day_and_stores_it_once() {
        testing::reset();
        let out = StreakQuests::progress(
            vec![quest(3)],
            vec![
                member_run(7, &[100, 100, 101, 102, 103]),
                member_run(8, &[100]),
            ],
        );
        let seven = out[0][0].expect("the streak quest moved");
        assert_eq!(
            (
                seven.progress.progress,
                seven.progress.completed,
                seven.completed_at
            ),
            (3, true, Some(3)),
            "completed by the activity on day 102"
        );
        assert_eq!(out[1][0].map(|o| o.progress.progress), Some(1));
        // The day after completion still counts towards the stored streak.
        assert_eq!(
            load(7),
            Streak {
                last_day: 103,
                days: 4
            }
        );
        assert_eq!(
            load(8),
            Streak {
                last_day: 100,
                days: 1
            }
        );
    }

    #[test]
    fn three_days_in_a_row_completes() {
        testing::reset();
        let mut p = QuestProgress::default();
        for (day, expected) in [(100, 1), (101, 2), (102, 3)] {
            p = run(&p, 7, day, 12).expect("a new day advances the streak");
            assert_eq!(p.progress, expected);
        }
        assert!(p.completed);
        assert_eq!(
            run(&p, 7, 103, 1),
            None,
            "completed quests stay as they are"
        );
    }

    #[test]
    fn same_day_is_unchanged_and_a_gap_resets() {
        testing::reset();
        let p = run(&QuestProgress::default(), 7, 200, 1).unwrap();
        assert_eq!(run(&p, 7, 200, 23), None);
        let p = run(&p, 7, 201, 0).unwrap();
        assert_eq!(p.progress, 2);
        let p = run(&p, 7, 203, 0).unwrap();
        assert_eq!((p.progress, p.completed), (1, false));
    }

    #[test]
    fn members_have_separate_streaks() {
        testing::reset();
        run(&QuestProgress::default(), 1, 10, 0);
        run(&QuestProgress::default(), 1, 11, 0);
        let other = run(&QuestProgress::default(), 2, 11, 0).unwrap();
        assert_eq!(other.progress, 1);
    }

    #[test]
    fn templates_per_cycle() {
        assert!(StreakQuests::templates(RefreshCycle::Daily, None).is_empty());
        let weekly = StreakQuests::templates(RefreshCycle::Weekly, None);
        assert_eq!(
            weekly
                .iter()
                .map(|t| t.requirement_value)
                .collect::<Vec<_>>(),
            vec![3, 5, 7]
        );
        let hard_monthly = StreakQuests::templates(RefreshCycle::Monthly, Some(Difficulty::Hard));
        assert_eq!(hard_monthly.len(), 1);
        assert_eq!(hard_monthly[0].requirement_value, 28);
        assert_eq!(StreakQuests::templates(RefreshCycle::Once, None).len(), 3);
    }
}
