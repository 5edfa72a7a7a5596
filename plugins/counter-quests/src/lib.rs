//! `counter-quests`: quests on the activity counters (messages, reactions, voice time,
//! commands).
//!
//! Progress is what the member did since the quest started: the plugin sees each activity
//! once, so it accumulates that activity's increment (a message is +1 for `total_messages`,
//! voice is +seconds for `voice_time_seconds`, ...) and completes the quest when the total
//! reaches the requirement.

mod templates;

use questline_plugin_sdk::*;

pub use templates::templates_for;

/// The requirement types this plugin understands.
pub const REQUIREMENT_TYPES: [&str; 4] = [
    "total_messages",
    "total_reactions",
    "voice_time_seconds",
    "commands_used",
];

/// The plugin.
pub struct CounterQuests;

impl Plugin for CounterQuests {
    const NAME: &'static str = "counter-quests";
    const DESCRIPTION: &'static str =
        "Quests on activity counters: messages, reactions, voice time and commands.";
}

/// How much `activity` advances a quest of `requirement_type` (0 = not at all).
pub fn increment(requirement_type: &str, activity: &ActivityKind) -> i64 {
    match (requirement_type, activity) {
        ("total_messages", ActivityKind::Message(_)) => 1,
        ("total_reactions", ActivityKind::Reaction(_)) => 1,
        ("voice_time_seconds", ActivityKind::Voice(v)) => i64::from(v.seconds),
        ("commands_used", ActivityKind::Command(_)) => 1,
        _ => 0,
    }
}

impl QuestType for CounterQuests {
    fn requirement_types() -> Vec<String> {
        REQUIREMENT_TYPES.iter().map(|s| s.to_string()).collect()
    }

    fn templates(cycle: RefreshCycle, difficulty: Option<Difficulty>) -> Vec<QuestTemplate> {
        templates_for(cycle, difficulty)
    }

    fn progress_one(input: &ProgressInput) -> Option<QuestProgress> {
        if input.current.completed {
            return None;
        }
        if input
            .quest
            .expires_at
            .is_some_and(|end| input.activity.at >= end)
        {
            return None;
        }
        let step = increment(&input.quest.requirement_type, &input.activity.kind);
        if step <= 0 {
            return None;
        }
        let progress = input.current.progress.saturating_add(step);
        Some(QuestProgress {
            progress,
            quest_specific_progress: input.current.quest_specific_progress,
            completed: progress >= input.quest.requirement_value,
        })
    }
}

export_plugin!(CounterQuests, kinds: [quest_type]);

#[cfg(test)]
mod tests {
    use super::*;

    fn quest(requirement_type: &str, value: i64) -> QuestDef {
        QuestDef {
            id: 1,
            name: "q".into(),
            description: String::new(),
            quest_type: QuestCategory::Daily,
            requirement_type: requirement_type.into(),
            requirement_value: value,
            reward_xp: 10,
            reward_multiplier: 1.0,
            refresh_cycle: RefreshCycle::Daily,
            difficulty: Difficulty::Easy,
            expires_at: Some(1_000_000),
        }
    }

    /// `progress_one` for one activity, with no stats.
    fn step(q: QuestDef, current: QuestProgress, activity: Activity) -> Option<QuestProgress> {
        CounterQuests::progress_one(&ProgressInput {
            quest: &q,
            current,
            activity: &activity,
            stats: &MemberStats::default(),
        })
    }

    #[test]
    fn messages_count_until_complete() {
        let mut current = QuestProgress::default();
        for i in 1..=3 {
            let next = step(
                quest("total_messages", 3),
                current,
                Activity::message(1, 2, 3, 100, 5),
            )
            .expect("a message advances a message quest");
            assert_eq!(next.progress, i);
            assert_eq!(next.completed, i == 3);
            current = next;
        }
        // Completed quests no longer change.
        assert_eq!(
            step(
                quest("total_messages", 3),
                current,
                Activity::message(1, 2, 3, 100, 5)
            ),
            None
        );
    }

    #[test]
    fn voice_adds_seconds_and_other_activities_do_not_count() {
        let q = quest("voice_time_seconds", 600);
        let p = step(
            q.clone(),
            QuestProgress::default(),
            Activity::voice(1, 2, 3, 0, 420),
        );
        assert_eq!(
            p.as_ref().map(|p| (p.progress, p.completed)),
            Some((420, false))
        );
        let p = step(q.clone(), p.unwrap(), Activity::voice(1, 2, 3, 0, 180));
        assert_eq!(p.map(|p| (p.progress, p.completed)), Some((600, true)));
        assert_eq!(
            step(
                q,
                QuestProgress::default(),
                Activity::message(1, 2, 3, 0, 1)
            ),
            None
        );
        let r = quest("total_reactions", 1);
        assert!(
            step(
                r,
                QuestProgress::default(),
                Activity::reaction(1, 2, 3, 0, "🎉")
            )
            .unwrap()
            .completed
        );
        let c = quest("commands_used", 2);
        assert_eq!(
            step(
                c,
                QuestProgress::default(),
                Activity::command(1, 2, 3, 0, "rank")
            )
            .unwrap()
            .progress,
            1
        );
    }

    #[test]
    fn expired_and_unknown_quests_are_unchanged() {
        let expired = Activity::message(1, 2, 3, 1_000_000, 5);
        assert_eq!(
            step(
                quest("total_messages", 3),
                QuestProgress::default(),
                expired
            ),
            None
        );
        assert_eq!(
            step(
                quest("streak_days", 3),
                QuestProgress::default(),
                Activity::message(1, 2, 3, 0, 5)
            ),
            None
        );
    }

    fn run(steps: Vec<Activity>) -> MemberRun {
        MemberRun {
            current: vec![QuestProgress::default(); 2],
            steps: steps
                .into_iter()
                .map(|activity| ProgressStep {
                    activity,
                    stats: MemberStats::default(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_run_folds_in_order_and_names_the_completing_activity() {
        let quests = vec![quest("total_messages", 2), quest("total_reactions", 5)];
        let out = CounterQuests::progress(
            quests,
            vec![
                run(vec![
                    Activity::message(1, 2, 3, 0, 5),
                    Activity::reaction(1, 2, 3, 0, "🎉"),
                    Activity::message(1, 2, 3, 0, 5),
                    Activity::message(1, 2, 3, 0, 5),
                ]),
                run(vec![Activity::voice(1, 2, 4, 0, 60)]),
            ],
        );
        assert_eq!(out.len(), 2);
        let messages = out[0][0].expect("two messages complete the message quest");
        assert_eq!(
            (
                messages.progress.progress,
                messages.progress.completed,
                messages.completed_at
            ),
            (2, true, Some(2)),
            "completed by the second message (step 2); the third changes nothing"
        );
        let reactions = out[0][1].expect("the reaction counts");
        assert_eq!(
            (reactions.progress.progress, reactions.completed_at),
            (1, None)
        );
        assert_eq!(out[1], vec![None, None], "voice moves neither quest");
    }

    #[test]
    fn metadata() {
        let info = plugin_info::<CounterQuests>();
        assert_eq!(
            (info.name.as_str(), info.kinds),
            ("counter-quests", vec![PluginKind::QuestType])
        );
    }
}
