//! One guild's share of a batch: counters, XP, quest progress and achievements computed in
//! memory from the cached state, then committed in ONE transaction; effects are built from
//! what the commit reports (so a concurrent writer's changes are reflected, and rewards that
//! the database found already given are not announced).
//!
//! Plugin calls: the guild's xp-formula plugin gets every activity of the batch in one call
//! (repeated only for the members whose cooldown chain the first answers changed, which is
//! rare); each quest plugin once per batch, with its quests and every member's activities in
//! order (the plugin folds them); achievement plugins once per batch.

//!
//! [`Pipeline::prepare_guild`] runs the phases in order, each in its own module: the members'
//! stored state ([`members`]), quest progress ([`quest_phase`]), XP ([`xp_phase`]) and
//! achievements on the members' final stats ([`achievement_phase`]).

mod achievement_phase;
mod members;
mod quest_phase;
mod xp_phase;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::curve::LevelTable;
use super::effects::Effect;
use super::error::EngineError;
use super::metrics::EngineCounters;
use super::pipeline::Pipeline;
use super::plugin_cache::TableCurve;
use super::schedule::ResetSettings;
use super::wit::{Event, mix, ms};
use crate::db::entities::{achievements, quests, roles, server_config};
use crate::db::{
    ActivityBatch, BatchOutcome, BatchPart, MemberDelta, NewOutboxEntry, OutcomeEffects,
};
use crate::plugins::{MemberStats, QuestProgress};

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

/// What every phase of one guild's preparation reads, and the count of plugin calls made so
/// far (each call's random stream is seeded from it, so a simulation with a fixed seed is
/// reproducible).
struct Round<'a> {
    guild: u64,
    events: &'a [Event],
    now: DateTime<Utc>,
    base_seed: u64,
    calls: u64,
}

impl Round<'_> {
    /// The seed of the next plugin call's random stream.
    fn next_seed(&mut self) -> u64 {
        self.calls += 1;
        mix(self.base_seed ^ self.calls)
    }
}

/// One guild's share of a batch, computed with the plugins and ready to commit, with what
/// its effects are built from ([`PreparedGuild::effects`]).
pub(crate) struct PreparedGuild {
    pub(crate) guild: u64,
    pub(crate) cfg: server_config::Model,
    pub(crate) members: BTreeMap<u64, Member>,
    pub(crate) active: Vec<quests::Model>,
    /// The guild's reward roles and achievement definitions (as the achievement phase read
    /// them), held so the effects can be built inside the commit's transaction.
    pub(crate) level_roles: Vec<roles::Model>,
    pub(crate) achievements: Vec<achievements::Model>,
    batch: ActivityBatch,
    curve: TableCurve,
}

/// Builds a prepared guild's outbox entries inside its batch's transaction.
struct Outboxed<'a> {
    prepared: &'a PreparedGuild,
    events: &'a [Event],
    notice_ttl: std::time::Duration,
}

impl OutcomeEffects for Outboxed<'_> {
    fn outbox(&self, outcome: &BatchOutcome) -> Vec<NewOutboxEntry> {
        let now = Utc::now();
        self.prepared
            .effects(self.events, outcome)
            .iter()
            .filter_map(|e| e.outbox_entry(now, self.notice_ttl))
            .collect()
    }
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
    /// When the sink sends from the outbox, each guild's Discord effects are stored in its
    /// lane's transaction, so they are sent even if this process stops right after.
    pub(crate) async fn commit_guilds(
        &self,
        mut parts: Vec<(PreparedGuild, &[Event])>,
        lanes: usize,
    ) -> Vec<CommittedLane> {
        let taken: Vec<ActivityBatch> = parts
            .iter_mut()
            .map(|(p, _)| std::mem::take(&mut p.batch))
            .collect();
        let notice_ttl = self.sink.outbox();
        let outboxed: Vec<Option<Outboxed<'_>>> = parts
            .iter()
            .map(|(p, events)| {
                notice_ttl.map(|notice_ttl| Outboxed {
                    prepared: p,
                    events,
                    notice_ttl,
                })
            })
            .collect();
        let batches: Vec<BatchPart<'_>> = taken
            .into_iter()
            .zip(&parts)
            .zip(&outboxed)
            .map(|((batch, (p, _)), plan)| BatchPart {
                batch,
                curve: &p.curve,
                effects: plan.as_ref().map(|o| o as &dyn OutcomeEffects),
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
            let all = parts[range]
                .iter()
                .zip(outcomes)
                .map(|((p, events), outcome)| p.effects(events, &outcome))
                .collect();
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
        let cfg = self.db.get_server_config(guild).await?;
        let settings = ResetSettings::new(
            i64::from(cfg.quest_reset_hour),
            i64::from(cfg.quest_reset_day),
        )?;
        let formula = self.usable_formula(guild, &cfg, ms(now)).await?;
        let mut round = Round {
            guild,
            events,
            now,
            base_seed: mix(self.seed ^ events.first().map_or(0, |e| e.seq).rotate_left(17) ^ guild),
            calls: 0,
        };

        let active = self.db.get_guild_active_quests(round.guild, None).await?;
        let level_roles = self.db.list_level_roles(guild).await?;
        let mut members = self.load_members(round.guild, events).await?;
        let (before, after) = members::running_stats(events, &members);
        let (curve, quest_progress, (achievements, achievement_defs)) = match formula {
            Some((xp_plugin, table)) => {
                let quest_progress = self
                    .advance_quests(&mut round, &active, &settings, &after, &mut members)
                    .await?;
                let boosts = self.db.guild_boosts(guild).await?;
                let rates: Vec<f64> = events
                    .iter()
                    .map(|e| cfg.xp_rate * crate::engine::boosts::boost_factor(&boosts, e))
                    .collect();
                let xp = self
                    .compute_xp(&round, &xp_plugin, &before, &members, &rates)
                    .await?;
                xp_phase::apply_xp(events, &xp, &mut members);
                let achievements = self
                    .check_achievements(&mut round, &table, &members)
                    .await?;
                (TableCurve(table), quest_progress, achievements)
            }
            None => {
                // No curve to level anyone on: the activities' counters are stored, and the
                // XP, progress and achievements they would have earned are skipped (counted).
                EngineCounters::add(&self.counters.xp_skipped, events.len() as u64);
                xp_phase::apply_xp(events, &vec![0; events.len()], &mut members);
                let flat = Arc::new(LevelTable::level_zero_only());
                (TableCurve(flat), BTreeMap::new(), (Vec::new(), Vec::new()))
            }
        };

        // What the transaction will write.
        let batch = ActivityBatch {
            members: members.values().map(|m| m.delta.clone()).collect(),
            quest_progress: quest_progress.into_values().collect(),
            achievements,
            audit: Vec::new(),
            at: events.iter().map(|e| e.at).max(),
        };
        Ok(PreparedGuild {
            guild,
            cfg,
            members,
            active,
            level_roles,
            achievements: achievement_defs,
            batch,
            curve,
        })
    }

    /// The guild's XP formula and its level table. A formula whose curve is unusable (not
    /// strictly increasing under the guild's settings, failing, timing out, not loaded)
    /// gives way to `[engine] default_xp_plugin` for this batch; when that is unusable too,
    /// `None`: the batch then commits its activities' counters and awards nothing. Both are
    /// logged and counted, and neither loses an activity. A database error is returned, so the
    /// batch is retried as a whole.
    async fn usable_formula(
        &self,
        guild: u64,
        cfg: &server_config::Model,
        now_ms: i64,
    ) -> Result<Option<(String, Arc<LevelTable>)>, EngineError> {
        let chosen = self.xp_plugin_for(guild, cfg);
        let failure = match self.cache.level_table(guild, &chosen, now_ms).await {
            Ok(table) => return Ok(Some((chosen, table))),
            Err(e @ (EngineError::Db(_) | EngineError::Internal(_))) => return Err(e),
            Err(e) => e,
        };
        let default = &self.config.default_xp_plugin;
        if chosen != *default {
            match self.cache.level_table(guild, default, now_ms).await {
                Ok(table) => {
                    EngineCounters::add(&self.counters.curve_fallbacks, 1);
                    tracing::warn!(guild, plugin = %chosen, fallback = %default, error = %failure, "the guild's XP formula has no usable level curve; this batch uses the default formula");
                    return Ok(Some((default.clone(), table)));
                }
                Err(e @ (EngineError::Db(_) | EngineError::Internal(_))) => return Err(e),
                Err(e) => {
                    tracing::error!(guild, plugin = %default, error = %e, "the default XP formula has no usable level curve either");
                }
            }
        }
        tracing::error!(guild, plugin = %chosen, error = %failure, "no usable level curve: activities are stored with their counters only (no XP, quest progress or achievements); fix or replace the XP formula");
        Ok(None)
    }

    /// Accounts one plugin call that started at `started` (for `plugin_ns` per event).
    fn plugin_time(&self, started: std::time::Instant) {
        EngineCounters::add_elapsed(&self.counters.plugin_ns, started);
        EngineCounters::add(&self.counters.plugin_calls, 1);
    }
}
