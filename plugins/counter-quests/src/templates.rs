//! The quest templates: every counter, for every cycle, at every difficulty.
//!
//! Values grow with the cycle's length and the difficulty; rewards grow with the effort
//! (roughly what a member earns chatting over the same period, so quests matter without
//! dwarfing normal activity).

use questline_plugin_sdk::{Difficulty, QuestCategory, QuestTemplate, RefreshCycle};

/// One counter's quest line: `(requirement_type, noun for the name, verb phrase, unit)`.
struct Counter {
    requirement_type: &'static str,
    title: &'static str,
    /// `{n}` is replaced by the (human) amount.
    task: &'static str,
    /// Requirement values are in seconds but templates speak minutes.
    seconds_per_unit: i64,
    /// Amount at easy difficulty for a daily quest, in the counter's human unit.
    daily_easy: i64,
}

const COUNTERS: [Counter; 4] = [
    Counter {
        requirement_type: "total_messages",
        title: "Chatter",
        task: "Send {n} messages",
        seconds_per_unit: 1,
        daily_easy: 10,
    },
    Counter {
        requirement_type: "total_reactions",
        title: "Reactor",
        task: "Add {n} reactions",
        seconds_per_unit: 1,
        daily_easy: 5,
    },
    Counter {
        requirement_type: "voice_time_seconds",
        title: "On Air",
        task: "Spend {n} minutes in voice",
        seconds_per_unit: 60,
        daily_easy: 15,
    },
    Counter {
        requirement_type: "commands_used",
        title: "Commander",
        task: "Use {n} commands",
        seconds_per_unit: 1,
        daily_easy: 3,
    },
];

/// `(category, label, value scale vs. a daily quest, base reward, reward multiplier)` per cycle.
fn cycle_shapes(cycle: RefreshCycle) -> Vec<(QuestCategory, &'static str, i64, i64, f64)> {
    match cycle {
        RefreshCycle::Daily => vec![(QuestCategory::Daily, "Daily", 1, 50, 1.0)],
        RefreshCycle::Weekly => vec![(QuestCategory::Weekly, "Weekly", 6, 300, 1.0)],
        RefreshCycle::Monthly => vec![(QuestCategory::Special, "Monthly", 25, 1_200, 1.0)],
        RefreshCycle::Once => vec![
            (QuestCategory::Event, "Event", 4, 250, 1.0),
            (QuestCategory::Challenge, "Challenge", 50, 2_500, 1.1),
        ],
    }
}

fn difficulty_factor(d: Difficulty) -> (i64, &'static str) {
    match d {
        Difficulty::Easy => (1, "Easy"),
        Difficulty::Medium => (3, "Medium"),
        Difficulty::Hard => (7, "Hard"),
    }
}

/// Templates for `cycle`, only of `difficulty` when given.
pub fn templates_for(cycle: RefreshCycle, difficulty: Option<Difficulty>) -> Vec<QuestTemplate> {
    let difficulties: Vec<Difficulty> = match difficulty {
        Some(d) => vec![d],
        None => Difficulty::ALL.to_vec(),
    };
    let mut out = Vec::new();
    for (category, label, scale, base_reward, multiplier) in cycle_shapes(cycle) {
        for &d in &difficulties {
            let (factor, d_label) = difficulty_factor(d);
            for c in &COUNTERS {
                let amount = c.daily_easy * scale * factor;
                let when = match cycle {
                    RefreshCycle::Daily => " today",
                    RefreshCycle::Weekly => " this week",
                    RefreshCycle::Monthly => " this month",
                    RefreshCycle::Once => "",
                };
                out.push(QuestTemplate {
                    name: format!("{label} {} ({d_label})", c.title),
                    description: format!("{}{when}.", c.task.replace("{n}", &amount.to_string())),
                    quest_type: category,
                    requirement_type: c.requirement_type.to_string(),
                    requirement_value: amount * c.seconds_per_unit,
                    reward_xp: base_reward * factor,
                    reward_multiplier: if d == Difficulty::Hard {
                        multiplier
                    } else {
                        1.0
                    },
                    refresh_cycle: cycle,
                    difficulty: d,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cycle_and_difficulty_has_every_counter() {
        for cycle in RefreshCycle::ALL {
            for d in Difficulty::ALL {
                let t = templates_for(cycle, Some(d));
                let per_shape = if cycle == RefreshCycle::Once { 2 } else { 1 };
                assert_eq!(t.len(), 4 * per_shape, "{cycle:?} {d:?}");
                assert!(
                    t.iter()
                        .all(|t| t.difficulty == d && t.refresh_cycle == cycle)
                );
                assert!(t.iter().all(|t| t.requirement_value > 0 && t.reward_xp > 0));
            }
        }
        let categories: Vec<QuestCategory> = RefreshCycle::ALL
            .iter()
            .flat_map(|c| templates_for(*c, None))
            .map(|t| t.quest_type)
            .collect();
        for c in [
            QuestCategory::Daily,
            QuestCategory::Weekly,
            QuestCategory::Special,
            QuestCategory::Event,
            QuestCategory::Challenge,
        ] {
            assert!(categories.contains(&c), "{c:?} missing");
        }
    }

    #[test]
    fn harder_and_longer_means_more() {
        let value = |cycle, d| {
            templates_for(cycle, Some(d))
                .into_iter()
                .find(|t| t.requirement_type == "total_messages")
                .map(|t| (t.requirement_value, t.reward_xp))
                .unwrap()
        };
        assert_eq!(value(RefreshCycle::Daily, Difficulty::Easy), (10, 50));
        assert!(
            value(RefreshCycle::Daily, Difficulty::Hard).0
                > value(RefreshCycle::Daily, Difficulty::Medium).0
        );
        assert!(
            value(RefreshCycle::Weekly, Difficulty::Easy).0
                > value(RefreshCycle::Daily, Difficulty::Easy).0
        );
        let voice = templates_for(RefreshCycle::Daily, Some(Difficulty::Easy))
            .into_iter()
            .find(|t| t.requirement_type == "voice_time_seconds")
            .unwrap();
        assert_eq!(voice.requirement_value, 15 * 60);
        assert_eq!(voice.description, "Spend 15 minutes in voice today.");
    }
}
