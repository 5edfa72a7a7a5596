//! Achievements, checked on the members' final stats: one call per achievement plugin, with
//! the plugin's achievements once and each member's candidates (those not yet held) as ids.

use std::collections::BTreeMap;

use super::{Member, Round};
use crate::db::AchievementAward;
use crate::db::entities::achievements;
use crate::engine::curve::LevelTable;
use crate::engine::error::EngineError;
use crate::engine::metrics::EngineCounters;
use crate::engine::pipeline::Pipeline;
use crate::engine::wit::ms;
use crate::plugins::{AchievementDef, CheckInput};

impl Pipeline {
    /// The achievements the members earned in this batch, and the guild's definitions as
    /// read after seeding (the effects name grants from them). A failing plugin grants
    /// nothing now; its members are checked again on the next batch.
    pub(super) async fn check_achievements(
        &self,
        round: &mut Round<'_>,
        table: &LevelTable,
        members: &BTreeMap<u64, Member>,
    ) -> Result<(Vec<AchievementAward>, Vec<achievements::Model>), EngineError> {
        let mut grants = Vec::new();
        let mut defs = Vec::new();
        let ach_plugins = self.cache.achievement_plugins().await;
        if !ach_plugins.is_empty() {
            self.seed_achievements(round.guild, &ach_plugins, round.now)
                .await?;
            defs = self.db.list_achievements(round.guild).await?;
            let users: Vec<u64> = members.keys().copied().collect();
            let held = self.db.earned_achievement_ids(round.guild, &users).await?;
            for (plugin, types) in &ach_plugins {
                // The plugin's achievements, sent once; each member names its candidates by id.
                let mine: Vec<AchievementDef> = defs
                    .iter()
                    .filter(|a| types.contains(&a.requirement_type))
                    .map(|a| AchievementDef {
                        id: a.id,
                        name: a.name.clone(),
                        description: a.description.clone(),
                        requirement_type: a.requirement_type.clone(),
                        requirement_value: a.requirement_value,
                        reward_xp: a.reward_xp,
                    })
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                let mut items = Vec::new();
                let mut users = Vec::new();
                for (user, m) in members.iter() {
                    let earned: &[i64] = held.get(user).map_or(&[], Vec::as_slice);
                    let candidates: Vec<i64> = mine
                        .iter()
                        .map(|a| a.id)
                        .filter(|id| !earned.contains(id))
                        .collect();
                    if candidates.is_empty() {
                        continue;
                    }
                    let mut s = m.stats;
                    let d = &m.delta;
                    s.xp = s.xp.saturating_add(d.xp).max(0);
                    s.level = table.level_for_xp(s.xp);
                    s.messages += d.messages;
                    s.total_messages += d.total_messages;
                    s.total_reactions += d.total_reactions;
                    s.voice_time_seconds += d.voice_time_seconds;
                    s.commands_used += d.commands_used;
                    items.push(CheckInput {
                        user: *user,
                        stats: s,
                        candidates,
                    });
                    users.push(*user);
                }
                if items.is_empty() {
                    continue;
                }
                let ctx = self
                    .cache
                    .context(round.guild, plugin, ms(round.now), round.next_seed())
                    .await?;
                let started = std::time::Instant::now();
                let answer = self
                    .plugins
                    .achievement_check(plugin, &ctx, mine, items)
                    .await;
                self.plugin_time(started);
                match answer {
                    Ok(answers) => {
                        for (user, ids) in users.into_iter().zip(answers) {
                            for id in ids {
                                grants.push(AchievementAward {
                                    guild_id: round.guild,
                                    user_id: user,
                                    achievement_id: id,
                                    at: round.now,
                                });
                            }
                        }
                    }
                    Err(e) if e.is_transient() => return Err(e.into()),
                    Err(e) => {
                        EngineCounters::add(&self.counters.plugin_failures, 1);
                        tracing::warn!(guild = round.guild, plugin = %plugin, error = %e, "achievement plugin failed; checked again on the next batch");
                    }
                }
            }
        }
        Ok((grants, defs))
    }
}
