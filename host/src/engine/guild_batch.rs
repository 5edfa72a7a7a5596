//! One guild's share of a batch: counters, XP, quest progress and achievements computed in
//! memory from the cached state, then committed in ONE transaction; effects are built from
//! what the commit reports (so a concurrent writer's changes are reflected, and rewards that
//! the database found already given are not announced).
//!
//! Plugin calls: the guild's xp-formula plugin gets every activity of the batch in one call
//! (repeated only for the members whose cooldown chain the first answers changed, which is
//! rare); each quest plugin once per batch, with its quests and every member's activities in
//! order (the plugin folds them); achievement plugins once per batch.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::effects::Effect;
use super::error::EngineError;
use super::metrics::EngineCounters;
use super::pipeline::Pipeline;
use super::plugin_cache::TableCurve;
use super::quests::quest_owner;
use super::schedule::{Cycle, ResetSettings};
use super::wit::{Event, Work, mix, ms, parse_cycle, quest_def, stats};
use crate::db::entities::{quests, server_config};
use crate::db::{AchievementAward, ActivityBatch, MemberDelta, QuestProgressUpdate};
use crate::plugins::{
    AchievementDef, CheckInput, MemberRun, MemberStats, ProgressStep, QuestDef, QuestProgress,
    XpContext,
};

/// What a member has on a quest they have not started.
const NO_PROGRESS: QuestProgress = QuestProgress {
    progress: 0,
    quest_specific_progress: 0,
    completed: false,
};

/// A member's running state within the batch.
pub(crate) struct Member {
    pub(crate) stats: MemberStats,
    pub(crate) delta: MemberDelta,
    /// Indices into the guild's events, in order.
    pub(crate) events: Vec<usize>,
    pub(crate) last_channel: u64,
    pub(crate) name: Option<String>,
    /// quest id -> progress (from the database, then as plugins answer).
    pub(crate) progress: HashMap<i64, QuestProgress>,
    /// Active multipliers: (multiplier, until).
    pub(crate) multipliers: Vec<(f64, Option<DateTime<Utc>>, DateTime<Utc>)>,
}

/// One guild's share of a batch, computed with the plugins and ready to commit.
pub(crate) struct PreparedGuild {
    guild: u64,
    cfg: server_config::Model,
    members: BTreeMap<u64, Member>,
    active: Vec<quests::Model>,
    batch: ActivityBatch,
    curve: TableCurve,
}

/// What one commit lane did: its guilds, in order, and their effects, or the error that
/// kept the whole lane from committing.
pub(crate) struct CommittedLane {
    pub(crate) guilds: Vec<u64>,
    pub(crate) effects: Result<Vec<Vec<Effect>>, EngineError>,
}

impl Pipeline {
    /// Computes and commits one guild's share alone, and builds its effects.
    pub(crate) async fn process_guild(
        &self,
        guild: u64,
        events: &[Event],
        now: DateTime<Utc>,
    ) -> Result<Vec<Effect>, EngineError> {
        let prepared = self.prepare_guild(guild, events, now).await?;
        let mut lanes = self.commit_guilds(vec![(prepared, events)], 1).await;
        match lanes.pop() {
            Some(lane) => Ok(lane.effects?.pop().unwrap_or_default()),
            None => Ok(Vec::new()),
        }
    }

    /// Commits the prepared guilds in at most `lanes` transactions that run side by side
    /// (one commit per lane instead of one per guild; see [`crate::db::Db::apply_in_lanes`]),
    /// then builds each committed guild's effects from what its commit did. A lane whose
    /// commit failed committed nothing: its guilds come back with the error, to be retried.
    /// Effects that cannot be built after a commit are logged and skipped: the changes are
    /// stored, and retrying would apply them twice.
    pub(crate) async fn commit_guilds(
        &self,
        mut parts: Vec<(PreparedGuild, &[Event])>,
        lanes: usize,
    ) -> Vec<CommittedLane> {
        let batches: Vec<(ActivityBatch, &dyn crate::db::LevelCurve)> = parts
            .iter_mut()
            .map(|(p, _)| {
                (
                    std::mem::take(&mut p.batch),
                    &p.curve as &dyn crate::db::LevelCurve,
                )
            })
            .collect();
        let started = std::time::Instant::now();
        let results = self.db.apply_in_lanes(batches, lanes).await;
        EngineCounters::add_elapsed(&self.counters.commit_ns, started);
        let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.counters.commit_latency.record(us);
        self.counters.commit_seconds.record(us);
        let mut out = Vec::with_capacity(results.len());
        for (range, result) in results {
            let guilds: Vec<u64> = parts[range.clone()].iter().map(|(p, _)| p.guild).collect();
            let outcomes = match result {
                Ok(o) => o,
                Err(e) => {
                    out.push(CommittedLane {
                        guilds,
                        effects: Err(e.into()),
                    });
                    continue;
                }
            };
            let mut all = Vec::with_capacity(range.len());
            for ((p, events), outcome) in parts[range].iter().zip(outcomes) {
                match self
                    .announce(p.guild, &p.cfg, events, &p.members, &p.active, outcome)
                    .await
                {
                    Ok(effects) => all.push(effects),
                    Err(e) => {
                        EngineCounters::add(&self.counters.announce_failures, 1);
                        tracing::error!(guild = p.guild, error = %e, "batch committed but its effects could not be built; nothing announced for it");
                        all.push(Vec::new());
                    }
                }
            }
            out.push(CommittedLane {
                guilds,
                effects: Ok(all),
            });
        }
        out
    }

    /// Computes one guild's share of a batch (counters, XP, quest progress, achievements)
    /// with the plugins; nothing is written.
    pub(crate) async fn prepare_guild(
        &self,
        guild: u64,
        events: &[Event],
        now: DateTime<Utc>,
    ) -> Result<PreparedGuild, EngineError> {
        let gid = guild.to_string();
        let cfg = self.db.get_server_config(&gid).await?;
        let settings = ResetSettings::new(
            i64::from(cfg.quest_reset_hour),
            i64::from(cfg.quest_reset_day),
        )?;
        let xp_plugin = self.xp_plugin_for(guild, &cfg);
        let table = self.cache.level_table(guild, &xp_plugin, ms(now)).await?;
        let curve = TableCurve(table.clone());
        let base_seed =
            mix(self.seed ^ events.first().map_or(0, |e| e.seq).rotate_left(17) ^ guild);

        // Members, their stored stats and quest progress.
        let active = self.db.get_guild_active_quests(&gid, None).await?;
        // Every member's row and progress in one read each (cache first), not per member.
        let user_ids: Vec<String> = events
            .iter()
            .map(|e| e.user)
            .collect::<std::collections::BTreeSet<u64>>()
            .into_iter()
            .map(|u| u.to_string())
            .collect();
        let mut rows = self.db.get_user_levels(&gid, &user_ids).await?;
        let mut views = self.db.get_users_active_quests(&gid, &user_ids).await?;
        let mut members: BTreeMap<u64, Member> = BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            if let std::collections::btree_map::Entry::Vacant(slot) = members.entry(e.user) {
                let user = e.user.to_string();
                let row = rows.remove(&user).flatten();
                let uq = views.remove(&user).unwrap_or_default();
                let mut progress = HashMap::new();
                let mut multipliers = Vec::new();
                for q in &uq {
                    if let Some(p) = &q.progress {
                        progress.insert(
                            q.quest.id,
                            QuestProgress {
                                progress: p.progress,
                                quest_specific_progress: p.quest_specific_progress,
                                completed: p.completed,
                            },
                        );
                        if p.completed && q.quest.reward_multiplier != 1.0 {
                            // Completed in an earlier batch: active from the start of
                            // this one (`completed_at` is the database's wall clock, which
                            // is not the engine's clock in a simulation).
                            multipliers.push((
                                q.quest.reward_multiplier,
                                p.expires_at,
                                DateTime::<Utc>::MIN_UTC,
                            ));
                        }
                    }
                }
                slot.insert(Member {
                    stats: stats(row.as_ref()),
                    delta: MemberDelta::new(&gid, &e.user.to_string()),
                    events: Vec::new(),
                    last_channel: e.channel,
                    name: None,
                    progress,
                    multipliers,
                });
            }
            let m = members
                .get_mut(&e.user)
                .ok_or_else(|| EngineError::Internal("member vanished".into()))?;
            m.events.push(i);
            m.last_channel = e.channel;
            if e.user_name.is_some() {
                m.name = e.user_name.clone();
            }
        }

        // Counters, and each event's stats after its counters (what quest plugins see).
        let mut after: Vec<MemberStats> = Vec::with_capacity(events.len());
        let mut before: Vec<MemberStats> = Vec::with_capacity(events.len());
        {
            let mut running: HashMap<u64, MemberStats> =
                members.iter().map(|(u, m)| (*u, m.stats)).collect();
            for e in events {
                let s = running.entry(e.user).or_insert_with(|| stats(None));
                before.push(*s);
                match &e.work {
                    Work::Message { .. } => s.total_messages += 1,
                    Work::Reaction { .. } => s.total_reactions += 1,
                    Work::Voice { seconds } => s.voice_time_seconds += i64::from(*seconds),
                    Work::Command { .. } => s.commands_used += 1,
                }
                after.push(*s);
            }
        }

        // Quest progress: one call per quest plugin.
        let quest_plugins = self.cache.quest_plugins().await;
        let mut owned: Vec<(&quests::Model, String, String, Option<DateTime<Utc>>)> = Vec::new();
        for q in active.iter() {
            if let Some((plugin, kind)) = quest_owner(&q.requirement_type, &quest_plugins) {
                let cycle = parse_cycle(&q.refresh_cycle);
                let expires = if cycle == Cycle::Once {
                    None
                } else {
                    self.quests.expires_at(&gid, cycle, &settings)
                };
                owned.push((q, plugin, kind, expires));
            }
        }
        let mut updates: BTreeMap<(u64, i64), QuestProgressUpdate> = BTreeMap::new();
        let mut call = 0u64;
        for (plugin, _) in &quest_plugins {
            // The plugin's quests, sent once; each member's activities, sent once.
            let mine: Vec<&(&quests::Model, String, String, Option<DateTime<Utc>>)> =
                owned.iter().filter(|(_, p, _, _)| p == plugin).collect();
            if mine.is_empty() {
                continue;
            }
            let mut runs = Vec::new();
            let mut users = Vec::new();
            for (user, m) in &members {
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
                            activity: events[i].to_wit(),
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
            call += 1;
            let ctx = self
                .cache
                .context(guild, plugin, ms(now), mix(base_seed ^ call))
                .await?;
            let started = std::time::Instant::now();
            let answer = self.plugins.quest_progress(plugin, &ctx, defs, runs).await;
            self.plugin_time(started);
            let answers = match answer {
                Ok(a) => a,
                Err(e) => {
                    EngineCounters::add(&self.counters.plugin_failures, 1);
                    tracing::warn!(guild, plugin = %plugin, error = %e, "quest plugin failed; no progress from it in this batch");
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
                            guild_id: gid.clone(),
                            user_id: user.to_string(),
                            quest_id: q.id,
                            progress: None,
                            quest_specific_progress: None,
                            expires_at: None,
                            complete: false,
                            at: now,
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
                        let at = i.map_or(now, |i| events[i].at);
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

        // XP: one call with every activity; again only for members whose cooldown chain the
        // answers changed.
        let xp = self
            .compute_xp(
                guild,
                &xp_plugin,
                events,
                &before,
                &members,
                cfg.xp_rate,
                now,
                base_seed,
            )
            .await;
        for (i, e) in events.iter().enumerate() {
            let Some(m) = members.get_mut(&e.user) else {
                continue;
            };
            let mut gained = xp[i];
            if gained > 0 {
                let factor: f64 = m
                    .multipliers
                    .iter()
                    .filter(|(_, until, from)| *from <= e.at && until.is_none_or(|u| e.at < u))
                    .map(|(f, _, _)| f.max(0.0))
                    .product();
                if factor != 1.0 && factor.is_finite() {
                    gained = (gained as f64 * factor).floor() as i64;
                }
            }
            let d = &mut m.delta;
            d.xp = d.xp.saturating_add(gained);
            match &e.work {
                Work::Message { .. } => {
                    d.total_messages += 1;
                    if gained > 0 {
                        d.messages += 1;
                        d.last_message_time = d.last_message_time.max(Some(e.at));
                    }
                }
                Work::Reaction { .. } => d.total_reactions += 1,
                Work::Voice { seconds } => d.voice_time_seconds += i64::from(*seconds),
                Work::Command { .. } => d.commands_used += 1,
            }
        }

        // Achievements, on the members' final stats.
        let mut grants = Vec::new();
        let ach_plugins = self.cache.achievement_plugins().await;
        if !ach_plugins.is_empty() {
            self.seed_achievements(&gid, guild, &ach_plugins, now)
                .await?;
            let defs = self.db.list_achievements(&gid).await?;
            let user_ids: Vec<String> = members.keys().map(u64::to_string).collect();
            let held = self.db.earned_achievement_ids(&gid, &user_ids).await?;
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
                for (user, m) in &members {
                    let earned: &[i64] = held.get(&user.to_string()).map_or(&[], Vec::as_slice);
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
                call += 1;
                let ctx = self
                    .cache
                    .context(guild, plugin, ms(now), mix(base_seed ^ call))
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
                                    guild_id: gid.clone(),
                                    user_id: user.to_string(),
                                    achievement_id: id,
                                    at: now,
                                });
                            }
                        }
                    }
                    Err(e) => {
                        EngineCounters::add(&self.counters.plugin_failures, 1);
                        tracing::warn!(guild, plugin = %plugin, error = %e, "achievement plugin failed; checked again on the next batch");
                    }
                }
            }
        }

        // What the transaction will write.
        let batch = ActivityBatch {
            members: members.values().map(|m| m.delta.clone()).collect(),
            quest_progress: updates.into_values().collect(),
            achievements: grants,
            audit: Vec::new(),
        };
        Ok(PreparedGuild {
            guild,
            cfg,
            members,
            active,
            batch,
            curve,
        })
    }

    /// Accounts one plugin call that started at `started` (for `plugin_ns` per event).
    fn plugin_time(&self, started: std::time::Instant) {
        EngineCounters::add_elapsed(&self.counters.plugin_ns, started);
        EngineCounters::add(&self.counters.plugin_calls, 1);
    }

    #[allow(clippy::too_many_arguments)]
    async fn compute_xp(
        &self,
        guild: u64,
        plugin: &str,
        events: &[Event],
        before: &[MemberStats],
        members: &BTreeMap<u64, Member>,
        xp_rate: f64,
        now: DateTime<Utc>,
        base_seed: u64,
    ) -> Vec<i64> {
        let n = events.len();
        let mut results = vec![0i64; n];
        let mut since_used: Vec<Option<i64>> = vec![None; n];
        // First guess: every message awards.
        let mut todo: Vec<usize> = Vec::new();
        for m in members.values() {
            let mut last = m.stats.last_message_time;
            for &i in &m.events {
                since_used[i] = last.map(|l| (ms(events[i].at) - l).div_euclid(1000));
                if matches!(events[i].work, Work::Message { .. }) {
                    last = Some(ms(events[i].at));
                }
                todo.push(i);
            }
        }
        todo.sort_unstable();
        let mut round = 0u64;
        while !todo.is_empty() && round <= n as u64 {
            round += 1;
            let items: Vec<XpContext> = todo
                .iter()
                .map(|&i| XpContext {
                    activity: events[i].to_wit(),
                    stats: before[i],
                    seconds_since_last_award: since_used[i],
                    xp_rate,
                })
                .collect();
            let ctx = match self
                .cache
                .context(guild, plugin, ms(now), mix(base_seed ^ (round << 32)))
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    EngineCounters::add(&self.counters.plugin_failures, 1);
                    tracing::warn!(guild, error = %e, "xp formula settings unavailable; no XP in this batch");
                    return vec![0; n];
                }
            };
            let started = std::time::Instant::now();
            let answer = self.plugins.xp_for_activities(plugin, &ctx, items).await;
            self.plugin_time(started);
            match answer {
                Ok(xp) => {
                    for (&i, x) in todo.iter().zip(xp) {
                        results[i] = x.max(0);
                    }
                }
                Err(e) => {
                    EngineCounters::add(&self.counters.plugin_failures, 1);
                    tracing::warn!(guild, plugin, error = %e, "xp formula failed; no XP for these activities");
                    for &i in &todo {
                        results[i] = 0;
                    }
                    return results;
                }
            }
            // Re-check the chains with the real answers.
            todo.clear();
            for m in members.values() {
                let mut last = m.stats.last_message_time;
                for &i in &m.events {
                    let since = last.map(|l| (ms(events[i].at) - l).div_euclid(1000));
                    if since != since_used[i] {
                        since_used[i] = since;
                        todo.push(i);
                    }
                    if matches!(events[i].work, Work::Message { .. }) && results[i] > 0 {
                        last = Some(ms(events[i].at));
                    }
                }
            }
            todo.sort_unstable();
        }
        results
    }
}
