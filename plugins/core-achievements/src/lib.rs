//! `core-achievements`: thresholds on the member's counters.
//!
//! Requirement types: `level`, `messages` (total messages), `voice` (voice time in seconds),
//! `reactions` and `commands`. The counters' own column names (`total_messages`,
//! `voice_time_seconds`, `total_reactions`, `commands_used`) are accepted as aliases, so
//! achievements imported from the seed data work too. A member qualifies when the stat is at
//! least the requirement value.

use questline_plugin_sdk::*;

/// The plugin.
pub struct CoreAchievements;

impl Plugin for CoreAchievements {
    const NAME: &'static str = "core-achievements";
    const DESCRIPTION: &'static str =
        "Achievements for level, messages, voice time, reactions and commands thresholds.";
}

/// The requirement types (and aliases) this plugin understands.
pub const REQUIREMENT_TYPES: [&str; 9] = [
    "level",
    "messages",
    "voice",
    "reactions",
    "commands",
    "total_messages",
    "voice_time_seconds",
    "total_reactions",
    "commands_used",
];

/// The stat a requirement type measures, if the type is one of ours.
pub fn stat(requirement_type: &str, stats: &MemberStats) -> Option<i64> {
    Some(match requirement_type {
        "level" => i64::from(stats.level),
        "messages" | "total_messages" => stats.total_messages,
        "voice" | "voice_time_seconds" => stats.voice_time_seconds,
        "reactions" | "total_reactions" => stats.total_reactions,
        "commands" | "commands_used" => stats.commands_used,
        _ => return None,
    })
}

/// `(name, description, requirement_type, value, reward_xp)` of the defaults.
const DEFAULTS: [(&str, &str, &str, i64, i64); 16] = [
    ("First Words", "Send your first message.", "messages", 1, 25),
    ("Regular", "Send 100 messages.", "messages", 100, 100),
    ("Chatterbox", "Send 1,000 messages.", "messages", 1_000, 500),
    (
        "Town Crier",
        "Send 10,000 messages.",
        "messages",
        10_000,
        2_500,
    ),
    ("Rising Star", "Reach level 5.", "level", 5, 100),
    ("Double Digits", "Reach level 10.", "level", 10, 250),
    ("Veteran", "Reach level 25.", "level", 25, 1_000),
    ("Legend", "Reach level 50.", "level", 50, 5_000),
    ("Tuned In", "Spend an hour in voice.", "voice", 3_600, 100),
    (
        "Night Owl",
        "Spend 10 hours in voice.",
        "voice",
        36_000,
        500,
    ),
    (
        "Voice of the Server",
        "Spend 100 hours in voice.",
        "voice",
        360_000,
        2_500,
    ),
    ("Reactor", "Add 50 reactions.", "reactions", 50, 50),
    (
        "Emoji Enthusiast",
        "Add 500 reactions.",
        "reactions",
        500,
        300,
    ),
    ("Button Pusher", "Use 10 commands.", "commands", 10, 50),
    ("Power User", "Use 100 commands.", "commands", 100, 250),
    (
        "Command Line Hero",
        "Use 1,000 commands.",
        "commands",
        1_000,
        1_000,
    ),
];

impl AchievementCheck for CoreAchievements {
    fn requirement_types() -> Vec<String> {
        REQUIREMENT_TYPES.iter().map(|s| s.to_string()).collect()
    }

    fn defaults() -> Vec<AchievementTemplate> {
        DEFAULTS
            .iter()
            .map(
                |(name, description, kind, value, reward)| AchievementTemplate {
                    name: name.to_string(),
                    description: description.to_string(),
                    requirement_type: kind.to_string(),
                    requirement_value: *value,
                    reward_xp: *reward,
                },
            )
            .collect()
    }

    fn qualifies(_user: Snowflake, stats: &MemberStats, achievement: &AchievementDef) -> bool {
        stat(&achievement.requirement_type, stats)
            .is_some_and(|v| v >= achievement.requirement_value)
    }
}

export_plugin!(CoreAchievements, kinds: [achievement_check]);

#[cfg(test)]
mod tests {
    use super::*;

    fn def(id: i64, kind: &str, value: i64) -> AchievementDef {
        AchievementDef {
            id,
            name: format!("a{id}"),
            description: String::new(),
            requirement_type: kind.into(),
            requirement_value: value,
            reward_xp: 0,
        }
    }

    #[test]
    fn thresholds_are_inclusive() {
        let stats = MemberStats {
            level: 10,
            total_messages: 1_000,
            voice_time_seconds: 3_599,
            total_reactions: 50,
            commands_used: 9,
            ..MemberStats::default()
        };
        let achievements = vec![
            def(1, "level", 10),
            def(2, "level", 11),
            def(3, "messages", 1_000),
            def(4, "voice", 3_600),
            def(5, "reactions", 50),
            def(6, "commands", 10),
            def(7, "total_messages", 999),
            def(8, "unknown", 0),
        ];
        let got = CoreAchievements::check(
            achievements,
            vec![CheckInput {
                user: 1,
                stats,
                // 9 is not among the call's achievements: skipped.
                candidates: vec![1, 2, 3, 4, 5, 6, 7, 8, 9],
            }],
        );
        assert_eq!(got, vec![vec![1, 3, 5, 7]]);
    }

    #[test]
    fn batch_answers_each_member() {
        let fresh = CheckInput {
            user: 1,
            stats: MemberStats::default(),
            candidates: vec![1],
        };
        let talker = CheckInput {
            user: 2,
            stats: MemberStats {
                total_messages: 1,
                ..MemberStats::default()
            },
            candidates: vec![1],
        };
        let veteran = CheckInput {
            user: 3,
            stats: MemberStats {
                total_messages: 1,
                ..MemberStats::default()
            },
            // Already holds 1: only what is offered is answered.
            candidates: vec![],
        };
        assert_eq!(
            CoreAchievements::check(vec![def(1, "messages", 1)], vec![fresh, talker, veteran]),
            vec![vec![], vec![1], vec![]]
        );
    }

    #[test]
    fn defaults_are_understood_and_sensible() {
        let defaults = CoreAchievements::defaults();
        assert!(
            defaults
                .iter()
                .any(|d| d.name == "First Words" && d.requirement_value == 1)
        );
        assert!(
            defaults
                .iter()
                .any(|d| d.name == "Chatterbox" && d.requirement_value == 1_000)
        );
        for level in [5, 10, 25, 50] {
            assert!(
                defaults
                    .iter()
                    .any(|d| d.requirement_type == "level" && d.requirement_value == level)
            );
        }
        let types = CoreAchievements::requirement_types();
        for d in &defaults {
            assert!(types.contains(&d.requirement_type), "{}", d.name);
            assert!(d.requirement_value > 0 && d.reward_xp > 0);
        }
        let mut names: Vec<_> = defaults.iter().map(|d| &d.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), defaults.len(), "names are unique");
    }

    #[test]
    fn metadata() {
        assert_eq!(
            plugin_info::<CoreAchievements>().kinds,
            vec![PluginKind::AchievementCheck]
        );
    }
}
