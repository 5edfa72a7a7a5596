//! Quest progress: one call per quest plugin, with the plugin's quests once and each
//! member's run of activities in order (the plugin folds them). A completed quest pays its
//! XP and starts its multiplier from the activity that completed it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Member, NO_PROGRESS, Round};
use crate::db::QuestProgressUpdate;
use crate::db::entities::quests;
use crate::engine::error::EngineError;
use crate::engine::metrics::EngineCounters;
use crate::engine::pipeline::Pipeline;
use crate::engine::quests::quest_owner;
use crate::engine::schedule::{Cycle, ResetSettings};
use crate::engine::wit::{ms, parse_cycle, quest_def};
use crate::plugins::{MemberRun, MemberStats, ProgressStep, QuestDef, QuestProgress};

impl Pipeline {
    /// Advances the members' quests with the plugins' answers (in `members`) and returns the
    /// progress rows to write. A failing plugin moves none of its quests in this batch.
    pub(super) async fn advance_quests(
        &self,
        round: &mut Round<'_>,
        active: &[quests::Model],
        settings: &ResetSettings,
        after: &[MemberStats],
        members: &mut BTreeMap<u64, Member>,
    ) -> Result<BTreeMap<(u64, i64), QuestProgressUpdate>, EngineError> {
        let quest_plugins = self.cache.quest_plugins().await;
        let mut owned: Vec<(&quests::Model, String, String, Option<DateTime<Utc>>)> = Vec::new();
        for q in active.iter() {
            if let Some((plugin, kind)) = quest_owner(&q.requirement_type, &quest_plugins) {
                let cycle = parse_cycle(&q.refresh_cycle);
                let expires = if cycle == Cycle::Once {
                    None
                } else {
                    self.quests.expires_at(round.guild, cycle, settings)
                };
                owned.push((q, plugin, kind, expires));
            }
        }
        let mut updates: BTreeMap<(u64, i64), QuestProgressUpdate> = BTreeMap::new();
        for (plugin, _) in &quest_plugins {
            // The plugin's quests, sent once; each member's activities, sent once.
            let mine: Vec<&(&quests::Model, String, String, Option<DateTime<Utc>>)> =
                owned.iter().filter(|(_, p, _, _)| p == plugin).collect();
            if mine.is_empty() {
                continue;
            }
            let mut runs = Vec::new();
            let mut users = Vec::new();
            for (user, m) in members.iter() {
                let current: Vec<QuestProgress> = mine
                    .iter()
                    .map(|(q, ..)| m.progress.get(&q.id).copied().unwrap_or(NO_PROGRESS))
                    .collect();
                if current.iter().all(|c| c.completed) {
                    continue;
                }
                runs.push(MemberRun {
                    current,
                    steps: m
                        .events
                        .iter()
                        .map(|&i| ProgressStep {
                            activity: round.events[i].to_wit(),
                            stats: after[i],
                        })
                        .collect(),
                });
                users.push(*user);
            }
            if runs.is_empty() {
                continue;
            }
            let defs: Vec<QuestDef> = mine
                .iter()
                .map(|(q, _, kind, expires)| quest_def(q, kind, *expires))
                .collect();
            let ctx = self
                .cache
                .context(round.guild, plugin, ms(round.now), round.next_seed())
                .await?;
            let started = std::time::Instant::now();
            let answer = self.plugins.quest_progress(plugin, &ctx, defs, runs).await;
            self.plugin_time(started);
            let answers = match answer {
                Ok(a) => a,
                // The store was unreachable: the whole guild's batch is retried, rather than
                // committed without the progress this plugin would have made.
                Err(e) if e.is_transient() => return Err(e.into()),
                Err(e) => {
                    EngineCounters::add(&self.counters.plugin_failures, 1);
                    tracing::warn!(guild = round.guild, plugin = %plugin, error = %e, "quest plugin failed; no progress from it in this batch");
                    continue;
                }
            };
            for (user, outcomes) in users.into_iter().zip(answers) {
                let Some(m) = members.get_mut(&user) else {
                    continue;
                };
                for ((q, _, _, expires), outcome) in mine.iter().zip(outcomes) {
                    let Some(outcome) = outcome else { continue };
                    let p = outcome.progress;
                    let was = m.progress.get(&q.id).copied().unwrap_or(NO_PROGRESS);
                    // A completed quest stays as it is; an answer that changes nothing writes
                    // nothing (most activities do not move most quests).
                    if was.completed || was == p {
                        continue;
                    }
                    m.progress.insert(q.id, p);
                    let u = updates
                        .entry((user, q.id))
                        .or_insert_with(|| QuestProgressUpdate {
                            guild_id: round.guild,
                            user_id: user,
                            quest_id: q.id,
                            progress: None,
                            quest_specific_progress: None,
                            expires_at: None,
                            complete: false,
                            at: round.now,
                        });
                    u.progress = Some(p.progress.max(0));
                    u.quest_specific_progress = Some(p.quest_specific_progress.max(0));
                    u.expires_at = *expires;
                    if p.completed {
                        // Dated by the activity that completed it (the run's last when the
                        // plugin did not say which).
                        let i = outcome
                            .completed_at
                            .and_then(|k| m.events.get(usize::try_from(k).ok()?))
                            .or(m.events.last())
                            .copied();
                        let at = i.map_or(round.now, |i| round.events[i].at);
                        u.complete = true;
                        u.at = at;
                        m.stats.xp = m.stats.xp.saturating_add(q.reward_xp);
                        if q.reward_multiplier != 1.0 {
                            m.multipliers.push((q.reward_multiplier, *expires, at));
                        }
                    }
                }
            }
        }
        Ok(updates)
    }
}
