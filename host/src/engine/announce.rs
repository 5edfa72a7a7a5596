//! Effects of a committed batch: XP gains, level-ups (one per member, however many levels
//! were crossed), role rewards, quest completions and achievements. Built from the
//! repository's [`BatchOutcome`], i.e. from what the transaction really did.

use super::ceiling::clamp_reward;
use std::collections::HashMap;

use chrono::DateTime;
use chrono::Utc;

use super::effects::Effect;
use super::error::EngineError;
use super::guild_batch::PreparedGuild;
use super::pipeline::Pipeline;
use super::template::{LevelUpVars, level_up_text};
use super::wit::Event;
use crate::db::entities::roles;
use crate::db::{BatchOutcome, XpOutcome};

/// The reward roles a member at `level` holds: every stacked role reached, plus the highest
/// role reached (a non-stacked role is replaced by the next higher reward).
pub fn roles_for_level(roles: &[roles::Model], level: i32) -> Vec<u64> {
    let mut reached: Vec<&roles::Model> = roles.iter().filter(|r| r.level <= level).collect();
    reached.sort_by_key(|r| (r.level, r.id));
    let top_level = reached.last().map(|r| r.level);
    let mut out: Vec<u64> = reached
        .iter()
        .filter(|r| r.is_stacked || Some(r.level) == top_level)
        .filter_map(|r| r.role_id.parse().ok())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A reward role and the level it is given at.
pub type RoleAtLevel = (u64, i32);

/// Role changes between two levels: (added, removed).
pub fn role_changes(
    roles: &[roles::Model],
    old: i32,
    new: i32,
) -> (Vec<RoleAtLevel>, Vec<RoleAtLevel>) {
    let before = roles_for_level(roles, old);
    let after = roles_for_level(roles, new);
    let level_of = |id: u64| {
        roles
            .iter()
            .find(|r| r.role_id.parse::<u64>().ok() == Some(id))
            .map_or(0, |r| r.level)
    };
    let added = after
        .iter()
        .filter(|r| !before.contains(r))
        .map(|&r| (r, level_of(r)))
        .collect();
    let removed = before
        .iter()
        .filter(|r| !after.contains(r))
        .map(|&r| (r, level_of(r)))
        .collect();
    (added, removed)
}

/// The effects of reward-role changes for a member: gives, then removals (the order the
/// sender keeps per guild).
pub fn role_effects(
    guild: u64,
    user: u64,
    added: Vec<RoleAtLevel>,
    removed: Vec<RoleAtLevel>,
) -> Vec<Effect> {
    let at = |l: i32| u32::try_from(l).unwrap_or(0);
    added
        .into_iter()
        .map(|(role, l)| Effect::RoleAdd {
            guild,
            user,
            role,
            level: at(l),
        })
        .chain(removed.into_iter().map(|(role, l)| Effect::RoleRemove {
            guild,
            user,
            role,
            level: at(l),
        }))
        .collect()
}

fn channel(setting: &Option<String>, fallback: u64) -> u64 {
    setting
        .as_deref()
        .and_then(|c| c.parse().ok())
        .unwrap_or(fallback)
}

impl PreparedGuild {
    /// The effects of this guild's committed batch, from what the transaction did. A pure
    /// function of the outcome (the reads it needs were made while preparing): it runs inside
    /// the transaction, for the outbox, and again after the commit, for the sink.
    pub(crate) fn effects(&self, events: &[Event], outcome: &BatchOutcome) -> Vec<Effect> {
        let (guild, cfg, members, active) = (self.guild, &self.cfg, &self.members, &self.active);
        let guild_name = events
            .iter()
            .find_map(|e| e.guild_name.clone())
            .unwrap_or_else(|| format!("guild {guild}"));
        // Per member: first and last XP outcome, in the order the transaction applied them.
        let mut first: HashMap<u64, XpOutcome> = HashMap::new();
        let mut last: HashMap<u64, XpOutcome> = HashMap::new();
        let mut note = |user: u64, xp: XpOutcome| {
            first.entry(user).or_insert(xp);
            last.insert(user, xp);
        };
        for (_, u, xp) in &outcome.members {
            note(*u, *xp);
        }
        for c in &outcome.completed_quests {
            note(c.user_id, c.xp);
        }
        for g in &outcome.granted_achievements {
            note(g.user_id, g.xp);
        }
        let role_table = &self.level_roles;
        let mut effects = Vec::new();
        for (user, m) in members {
            let (Some(f), Some(l)) = (first.get(user), last.get(user)) else {
                continue;
            };
            let name = m.name.clone().unwrap_or_else(|| format!("member {user}"));
            let gained = l.new_xp - f.old_xp;
            let new_level = u32::try_from(l.new_level).unwrap_or(0);
            if gained != 0 {
                effects.push(Effect::XpGained {
                    guild,
                    user: *user,
                    gained,
                    total_xp: l.new_xp,
                    level: new_level,
                });
            }
            let (added, removed) = if l.new_level > f.old_level
                || (cfg.demote_on_xp_loss && l.new_level < f.old_level)
            {
                role_changes(role_table, f.old_level, l.new_level)
            } else {
                (Vec::new(), Vec::new())
            };
            if l.new_level > f.old_level {
                let role = added.iter().max_by_key(|(_, lvl)| *lvl).map(|(r, _)| *r);
                let given: Vec<u64> = added.iter().map(|(r, _)| *r).collect();
                let message = level_up_text(
                    cfg,
                    &LevelUpVars {
                        user_id: *user,
                        user_name: &name,
                        level: new_level,
                        xp: l.new_xp,
                        role_id: role,
                        guild_name: &guild_name,
                    },
                    &given,
                );
                effects.push(Effect::LevelUp {
                    guild,
                    user: *user,
                    channel: channel(&cfg.level_up_channel, m.last_channel),
                    old_level: u32::try_from(f.old_level).unwrap_or(0),
                    new_level,
                    xp: l.new_xp,
                    message,
                });
            }
            effects.extend(role_effects(guild, *user, added, removed));
            for c in outcome
                .completed_quests
                .iter()
                .filter(|c| c.user_id == *user)
            {
                let quest = active.iter().find(|q| q.id == c.quest_id);
                let qname =
                    quest.map_or_else(|| format!("quest {}", c.quest_id), |q| q.name.clone());
                let multiplier = quest.map_or(1.0, |q| q.reward_multiplier);
                let mut message = format!(
                    "🏆 <@{user}> completed the quest **{qname}** (+{} XP)",
                    c.reward_xp
                );
                if multiplier != 1.0 {
                    message.push_str(&format!(
                        " and a {multiplier}× XP boost until the quest resets"
                    ));
                }
                effects.push(Effect::QuestCompleted {
                    guild,
                    user: *user,
                    channel: channel(&cfg.quest_channel, m.last_channel),
                    quest_id: c.quest_id,
                    name: qname,
                    reward_xp: c.reward_xp,
                    reward_multiplier: multiplier,
                    message,
                });
            }
            let grants: Vec<_> = outcome
                .granted_achievements
                .iter()
                .filter(|g| g.user_id == *user)
                .collect();
            if !grants.is_empty() {
                for g in grants {
                    let aname = self
                        .achievements
                        .iter()
                        .find(|a| a.id == g.achievement_id)
                        .map_or_else(
                            || format!("achievement {}", g.achievement_id),
                            |a| a.name.clone(),
                        );
                    effects.push(Effect::AchievementEarned {
                        guild,
                        user: *user,
                        channel: channel(&cfg.achievement_channel, m.last_channel),
                        achievement_id: g.achievement_id,
                        name: aname.clone(),
                        reward_xp: g.reward_xp,
                        message: format!("🎖️ <@{user}> earned **{aname}** (+{} XP)", g.reward_xp),
                    });
                }
            }
        }
        effects
    }
}

impl Pipeline {
    /// Gives a guild without achievements the achievement plugins' defaults (once per
    /// process per guild; a guild that has any achievement is left as its admins made it).
    pub(crate) async fn seed_achievements(
        &self,
        guild: u64,
        plugins: &[(String, Vec<String>)],
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let mut seeded = self.achievements_seeded.lock().await;
        if seeded.contains(&guild) {
            return Ok(());
        }
        if self.db.list_achievements(guild).await?.is_empty() {
            for (plugin, _) in plugins {
                let ctx = self
                    .cache
                    .context(guild, plugin, now.timestamp_millis(), 0)
                    .await?;
                match self.plugins.achievement_defaults(plugin, &ctx).await {
                    Ok(list) => {
                        for t in list {
                            self.db
                                .create_achievement(
                                    guild,
                                    &t.name,
                                    &t.description,
                                    &t.requirement_type,
                                    t.requirement_value,
                                    clamp_reward(
                                        t.reward_xp,
                                        self.config.max_reward_xp,
                                        plugin,
                                        "achievement",
                                        &self.counters,
                                    ),
                                    now,
                                )
                                .await?;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(plugin = %plugin, error = %e, "achievement defaults unavailable")
                    }
                }
            }
        }
        seeded.insert(guild);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: i64, level: i32, is_stacked: bool) -> roles::Model {
        roles::Model {
            id,
            guild_id: "1".into(),
            role_id: (100 + id).to_string(),
            level,
            is_stacked,
        }
    }

    #[test]
    fn stacked_roles_stay_and_non_stacked_ones_are_replaced() {
        let table = [role(1, 1, true), role(2, 2, false), role(3, 5, false)];
        assert_eq!(roles_for_level(&table, 0), Vec::<u64>::new());
        assert_eq!(roles_for_level(&table, 2), vec![101, 102]);
        assert_eq!(roles_for_level(&table, 7), vec![101, 103]);
        assert_eq!(role_changes(&table, 2, 5), (vec![(103, 5)], vec![(102, 2)]));
        // A demotion (XP removed) gives the lower reward back.
        assert_eq!(role_changes(&table, 5, 3), (vec![(102, 2)], vec![(103, 5)]));
        assert_eq!(
            role_changes(&table, 5, 0),
            (vec![], vec![(101, 1), (103, 5)])
        );
    }
}
