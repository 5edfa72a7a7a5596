//! The batch processor: resolves activities (replays dropped, voice changes turned into
//! seconds), groups them by guild, has each guild's share computed (`guild_batch/`)
//! and commits all of them in one transaction (one commit per batch, not per guild); effects
//! are released only after that commit. If the combined commit fails, guilds are committed
//! one by one, so one guild's bad data cannot hold the others back.
//!
//! A guild whose commit fails (after the repository's retries and `commit_attempts` of our
//! own) keeps its events for the next batch: nothing is announced and nothing is lost. The
//! [`Engine`](super::Engine) drives a pipeline from its queue; `questline simulate` drives
//! one directly, in fixed-size batches, so a run with a fixed seed replays exactly.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt as _;

use super::activity::{Activity, ActivityKind};
use super::clock::Clock;
use super::config::EngineConfig;
use super::dedupe::{SeenIds, SeenKey};
use super::effects::{Effect, EffectSink};
use super::error::EngineError;
use super::metrics::EngineCounters;
use super::plugin_cache::PluginCache;
use super::quests::QuestManager;
use super::voice::{VoiceCredit, VoiceTracker};
use super::wit::{Event, Work, ms};
use crate::db::{Db, DbError};
use crate::plugins::PluginHost;
use questline_metrics::Heartbeat;

/// How many guilds of a batch are prepared at once (see [`Pipeline::process_events`]).
const PREPARE_CONCURRENCY: usize = 4;

/// Batches of at most this many events are prepared on one thread, their plugin calls inline
/// (see [`crate::plugins::calls_inline`]); bigger ones spread their guilds' plugin calls over
/// the blocking pool, where they run side by side on every core.
const INLINE_PREPARE_MAX_EVENTS: usize = 256;

/// How many transactions commit a batch side by side: `[engine] commit_lanes`, or by default
/// one per core, at most 4. On PostgreSQL one transaction keeps one backend (one core) busy
/// while the bot waits for it; lanes let the server use the machine's other cores (SQLite
/// always takes one).
fn commit_lanes(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// What a pipeline needs from the rest of the bot.
#[derive(Clone)]
pub struct EngineDeps {
    pub db: Db,
    pub plugins: PluginHost,
    pub clock: Arc<dyn Clock>,
    pub sink: Arc<dyn EffectSink>,
}

/// What one batch did (for summaries and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub events: usize,
    pub deduplicated: usize,
    pub committed_guilds: usize,
    pub failed_guilds: usize,
    pub level_ups: usize,
    pub quests_completed: usize,
    pub achievements_earned: usize,
}

/// The batch processor.
pub struct Pipeline {
    pub(crate) db: Db,
    pub(crate) plugins: PluginHost,
    pub(crate) cache: PluginCache,
    pub(crate) quests: QuestManager,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sink: Arc<dyn EffectSink>,
    pub(crate) counters: Arc<EngineCounters>,
    pub(crate) config: EngineConfig,
    pub(crate) seed: u64,
    seen: SeenIds,
    voice: Mutex<VoiceTracker>,
    /// Events of guilds whose commit failed, retried first in the next batch.
    retry: Mutex<Vec<Event>>,
    pub(crate) achievements_seeded: tokio::sync::Mutex<HashSet<u64>>,
    /// Beaten after every successful quest-scheduler run (`/healthz`).
    heartbeat: Heartbeat,
    /// Paused while the database's storage is full (`/healthz`; the runner stops taking
    /// activity and retries until a commit succeeds).
    intake: questline_metrics::Intake,
    /// [`commit_lanes`], read once (finding the core count reads cgroup files).
    commit_lanes: usize,
    /// When old period totals were last pruned (hourly, by the tick).
    pub(crate) pruned_periods: Mutex<Option<DateTime<Utc>>>,
}

impl Pipeline {
    pub fn new(deps: EngineDeps, config: EngineConfig, counters: Arc<EngineCounters>) -> Self {
        let cache = PluginCache::new(deps.plugins.clone(), deps.db.clone());
        let quests = QuestManager::new(
            deps.db.clone(),
            deps.plugins.clone(),
            cache.clone(),
            config.quests,
            (config.max_reward_xp, counters.clone()),
        );
        let seed = config.seed.unwrap_or_else(rand::random);
        let lanes = commit_lanes(config.commit_lanes);
        Self {
            db: deps.db,
            plugins: deps.plugins,
            cache,
            quests,
            clock: deps.clock,
            sink: deps.sink,
            counters,
            seen: SeenIds::new(
                config.dedupe_capacity,
                Duration::from_secs(config.dedupe_ttl_secs),
            ),
            config,
            seed,
            voice: Mutex::new(VoiceTracker::new()),
            retry: Mutex::new(Vec::new()),
            achievements_seeded: tokio::sync::Mutex::new(HashSet::new()),
            heartbeat: Heartbeat::new(),
            intake: questline_metrics::Intake::default(),
            commit_lanes: lanes,
            pruned_periods: Mutex::new(None),
        }
    }

    /// The QuestManager (for `/quests` and admin tools).
    pub fn quests(&self) -> &QuestManager {
        &self.quests
    }

    /// Level tables and plugin settings (for `/rank`).
    pub fn plugin_cache(&self) -> &PluginCache {
        &self.cache
    }

    pub fn counters(&self) -> &EngineCounters {
        &self.counters
    }

    /// The quest scheduler's heartbeat: beaten after each successful run of due resets
    /// ([`Self::tick`]); running while an [`super::Engine`] drives this pipeline.
    pub fn heartbeat(&self) -> &Heartbeat {
        &self.heartbeat
    }

    /// Turns activities into events: drops replays, turns voice changes into credited
    /// seconds (for everyone in the channels the change touches).
    fn resolve(
        &self,
        batch: Vec<(u64, Activity)>,
        afk: &HashMap<u64, Option<u64>>,
    ) -> (Vec<Event>, usize) {
        let mut out = Vec::with_capacity(batch.len());
        let mut dropped = 0;
        for (seq, a) in batch {
            let work = match &a.kind {
                ActivityKind::Message { id, length } => {
                    if !self.seen.first_time(SeenKey::Message(*id)) {
                        dropped += 1;
                        continue;
                    }
                    Work::Message {
                        id: *id,
                        length: *length,
                    }
                }
                ActivityKind::Reaction { message, emoji } => {
                    let key = SeenKey::Reaction {
                        message: *message,
                        user: a.user,
                        emoji: emoji.clone(),
                    };
                    if !self.seen.first_time(key) {
                        dropped += 1;
                        continue;
                    }
                    Work::Reaction {
                        message: *message,
                        emoji: emoji.clone(),
                    }
                }
                ActivityKind::Command { name } => Work::Command { name: name.clone() },
                ActivityKind::Voice(change) => {
                    let credits = self.voice.lock().unwrap_or_else(|p| p.into_inner()).apply(
                        a.guild,
                        a.user,
                        *change,
                        ms(a.at),
                        afk.get(&a.guild).copied().flatten(),
                    );
                    out.extend(credits.into_iter().map(|c| voice_event(c, a.at, seq, &a)));
                    continue;
                }
            };
            out.push(Event {
                guild: a.guild,
                channel: a.channel,
                parent_channel: a.parent_channel,
                user: a.user,
                roles: a.roles,
                at: a.at,
                work,
                user_name: a.user_name,
                guild_name: a.guild_name,
                seq,
            });
        }
        (out, dropped)
    }

    /// Processes one batch of `(sequence number, activity)` pairs: everything is committed
    /// (guild by guild) and announced, or kept for retry.
    ///
    /// Give a batch a task of its own (the engine's runner does): a small batch is prepared
    /// inside `block_in_place`, which also holds up whatever else the same task is running
    /// (`join!`, `select!`), and if that holds a lock the preparation waits for, neither
    /// finishes.
    pub async fn process(&self, batch: Vec<(u64, Activity)>) -> BatchReport {
        let n = batch.len();
        let voice_guilds: Vec<u64> = batch
            .iter()
            .filter(|(_, a)| matches!(a.kind, ActivityKind::Voice(_)))
            .map(|(_, a)| a.guild)
            .collect();
        let afk = self.afk_channels(voice_guilds).await;
        let (mut events, dropped) = self.resolve(batch, &afk);
        EngineCounters::add(&self.counters.deduplicated, dropped as u64);
        let retried = std::mem::take(&mut *self.retry.lock().unwrap_or_else(|p| p.into_inner()));
        if !retried.is_empty() {
            let mut all = retried;
            all.extend(events);
            events = all;
        }
        let mut report = self.process_events(events).await;
        report.events = n;
        report.deduplicated = dropped;
        EngineCounters::add(&self.counters.processed, n as u64);
        EngineCounters::add(&self.counters.batches, 1);
        report
    }

    async fn process_events(&self, events: Vec<Event>) -> BatchReport {
        let mut report = BatchReport::default();
        if events.is_empty() {
            return report;
        }
        let now = self.clock.now();
        let total = events.len();
        let mut by_guild: BTreeMap<u64, Vec<Event>> = BTreeMap::new();
        for e in events {
            by_guild.entry(e.guild).or_default().push(e);
        }
        // The members' stored state, for every guild at once (a handful of statements, not
        // three per guild); a failure here only means each guild reads its own.
        let members: Vec<(u64, Vec<u64>)> = by_guild
            .iter()
            .map(|(guild, events)| {
                let users: std::collections::BTreeSet<u64> =
                    events.iter().map(|e| e.user).collect();
                (*guild, users.into_iter().collect())
            })
            .collect();
        if let Err(e) = self.db.prefetch_members(&members).await {
            tracing::warn!(error = %e, "reading the batch's members failed; each guild reads its own");
        }
        // Every guild's share is computed first, then committed in ONE transaction (one
        // commit per batch, however many guilds it spans). If that commit fails, each guild
        // is committed on its own, so one guild's bad data cannot hold the others back.
        let prepare = async {
            let mut prepared = Vec::new();
            let mut alone: Vec<(u64, Vec<Event>)> = Vec::new();
            // Guilds are prepared a few at a time: each waits on cache misses, plugin calls
            // and reads, so overlapping them keeps both the cores and the database busy.
            // Results come back in guild order, so a run stays reproducible.
            let work: Vec<_> = by_guild
                .iter()
                .map(|(guild, events)| async move {
                    if let Err(e) = self.ensure_guild_at(*guild, now).await {
                        EngineCounters::add(&self.counters.quest_errors, 1);
                        tracing::warn!(guild, error = %e, "quest reset check failed; retried on the next batch");
                    }
                    (*guild, events, self.prepare_guild(*guild, events, now).await)
                })
                .collect();
            let mut results = futures::stream::iter(work).buffered(PREPARE_CONCURRENCY);
            while let Some((guild, events, result)) = results.next().await {
                match result {
                    Ok(p) => prepared.push((p, events.as_slice())),
                    Err(e) => {
                        EngineCounters::add(&self.counters.commit_failures, 1);
                        if !self.quiet(&e) {
                            tracing::warn!(guild, error = %e, "batch for guild failed; retried on its own");
                        }
                        alone.push((guild, events.clone()));
                    }
                }
            }
            (prepared, alone)
        };
        let (prepared, mut alone) = if total <= INLINE_PREPARE_MAX_EVENTS
            && let Ok(handle) = tokio::runtime::Handle::try_current()
            && handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        {
            // A small batch: this thread may block (its other tasks move to another worker),
            // and every plugin call runs on it, without a thread hand-off per call.
            tokio::task::block_in_place(|| {
                crate::plugins::calls_inline(|| handle.block_on(prepare))
            })
        } else {
            prepare.await
        };
        for lane in self.commit_guilds(prepared, self.commit_lanes).await {
            match lane.effects {
                Ok(all) => {
                    for effects in all {
                        self.committed(&mut report, effects);
                    }
                }
                Err(e) => {
                    EngineCounters::add(&self.counters.commit_failures, 1);
                    if !self.quiet(&e) {
                        tracing::warn!(guilds = lane.guilds.len(), error = %e, "batch commit failed; committing guild by guild");
                    }
                    for guild in lane.guilds {
                        if let Some(events) = by_guild.get(&guild) {
                            alone.push((guild, events.clone()));
                        }
                    }
                }
            }
        }
        alone.sort_by_key(|(g, _)| *g);
        for (guild, events) in alone {
            let mut last_err = None;
            let attempts = self.config.commit_attempts.max(1);
            let mut done = None;
            for attempt in 1..=attempts {
                match self.process_guild(guild, &events, now).await {
                    Ok(effects) => {
                        done = Some(effects);
                        break;
                    }
                    Err(e) => {
                        EngineCounters::add(&self.counters.commit_failures, 1);
                        if !self.quiet(&e) {
                            tracing::warn!(guild, attempt, attempts, error = %e, "batch for guild failed; nothing was announced");
                        }
                        last_err = Some(e);
                    }
                }
            }
            match done {
                Some(effects) => self.committed(&mut report, effects),
                None => {
                    report.failed_guilds += 1;
                    self.keep_for_retry(events, last_err);
                }
            }
        }
        report
    }

    /// Whether a failure is the storage-full condition already reported (intake is paused and
    /// said why once; each retry while it lasts is not worth a line).
    fn quiet(&self, e: &EngineError) -> bool {
        matches!(e, EngineError::Db(DbError::StorageFull { .. })) && self.intake.paused().is_some()
    }

    /// Whether intake is paused, and why (`/healthz`).
    pub fn intake(&self) -> &questline_metrics::Intake {
        &self.intake
    }

    /// Counts a committed guild's effects and releases them.
    fn committed(&self, report: &mut BatchReport, effects: Vec<Effect>) {
        report.committed_guilds += 1;
        if let Some(paused) = self.intake.resume() {
            let secs = (Utc::now() - paused.since).num_seconds();
            tracing::warn!(
                paused_secs = secs,
                "the database stores again: intake resumed; the activity held meanwhile is being committed"
            );
        }
        let (mut level_ups, mut quests, mut achievements) = (0, 0, 0);
        for e in &effects {
            match e {
                Effect::LevelUp { .. } => level_ups += 1,
                Effect::QuestCompleted { .. } => quests += 1,
                Effect::AchievementEarned { .. } => achievements += 1,
                _ => {}
            }
        }
        report.level_ups += level_ups;
        report.quests_completed += quests;
        report.achievements_earned += achievements;
        EngineCounters::add(&self.counters.level_ups, level_ups as u64);
        EngineCounters::add(&self.counters.quests_completed, quests as u64);
        EngineCounters::add(&self.counters.achievements_earned, achievements as u64);
        EngineCounters::add(&self.counters.effects_released, effects.len() as u64);
        if self.sink.outbox().is_some() {
            // Role changes and notices are in the outbox already (committed with the batch);
            // the sink gets the rest, and the call wakes its sender up.
            let rest = effects
                .into_iter()
                .filter(|e| matches!(e, Effect::XpGained { .. }))
                .collect();
            self.sink.release(rest);
        } else if !effects.is_empty() {
            self.sink.release(effects);
        }
    }

    /// Keeps a failed guild's events for the next batch, up to the queue's capacity; beyond
    /// that they are counted as failed (and logged), never dropped silently.
    /// When the database's storage is full, intake pauses instead: everything is kept (the
    /// runner takes no new activity meanwhile, so this stays bounded) and retried until a
    /// commit succeeds.
    fn keep_for_retry(&self, events: Vec<Event>, err: Option<EngineError>) {
        if let Some(EngineError::Db(e @ DbError::StorageFull { .. })) = &err {
            EngineCounters::add(&self.counters.storage_full, 1);
            if self.intake.pause(e.to_string()) {
                tracing::error!(error = %e, held = events.len(), "intake paused: the database cannot store anything; nothing is dropped, and the engine resumes by itself once space is freed");
            }
            self.retry
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(events);
            return;
        }
        let mut retry = self.retry.lock().unwrap_or_else(|p| p.into_inner());
        let room = self.config.queue_capacity.saturating_sub(retry.len());
        let n = events.len();
        if n > room {
            EngineCounters::add(&self.counters.failed_events, (n - room) as u64);
            tracing::error!(lost = n - room, error = ?err.map(|e| e.to_string()), "retry buffer full; events given up");
        }
        retry.extend(events.into_iter().take(room));
    }

    /// Events waiting for a retry after a failed commit.
    pub fn pending_retry(&self) -> usize {
        self.retry.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// The AFK channel of each guild (server_config, cached by the repository). A guild whose
    /// config cannot be read is treated as having none: voice time is then credited rather
    /// than lost, and the read error is logged.
    async fn afk_channels(&self, mut guilds: Vec<u64>) -> HashMap<u64, Option<u64>> {
        guilds.sort_unstable();
        guilds.dedup();
        let mut out = HashMap::with_capacity(guilds.len());
        for g in guilds {
            let afk = match self.db.get_server_config(g).await {
                Ok(cfg) => cfg.afk_channel.as_deref().and_then(|c| c.parse().ok()),
                Err(e) => {
                    tracing::warn!(guild = g, error = %e, "cannot read the guild's AFK channel; voice time there counts this time");
                    None
                }
            };
            out.insert(g, afk);
        }
        out
    }

    /// Periodic work: credits running voice sessions, applies due quest resets, retries
    /// failed batches.
    pub async fn tick(&self) -> BatchReport {
        let now = self.clock.now();
        match self.quests.run_due(now).await {
            Ok(reports) => {
                let resets = reports
                    .iter()
                    .filter(|r| !r.created.is_empty() || r.deactivated > 0)
                    .count();
                EngineCounters::add(&self.counters.quest_resets, resets as u64);
                // Wall clock, not the engine's: `/healthz` asks whether it runs *now*.
                self.heartbeat.beat(Utc::now());
            }
            Err(e) => {
                EngineCounters::add(&self.counters.quest_errors, 1);
                tracing::warn!(error = %e, "quest resets failed; retried on the next tick");
            }
        }
        self.announce_ended_boosts().await;
        self.end_due_seasons().await;
        self.prune_periods(now).await;
        let in_voice = self
            .voice
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .guilds();
        let afk = self.afk_channels(in_voice).await;
        let credits = self
            .voice
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .settle_all(ms(now), |g| afk.get(&g).copied().flatten());
        let events: Vec<Event> = credits
            .into_iter()
            .map(|c| Event {
                guild: c.guild,
                channel: c.channel,
                parent_channel: None,
                user: c.user,
                roles: Vec::new(),
                at: now,
                work: Work::Voice { seconds: c.seconds },
                user_name: None,
                guild_name: None,
                seq: 0,
            })
            .filter(|e| matches!(e.work, Work::Voice { seconds } if seconds > 0))
            .collect();
        let retried = std::mem::take(&mut *self.retry.lock().unwrap_or_else(|p| p.into_inner()));
        let mut all = retried;
        all.extend(events);
        self.process_events(all).await
    }

    /// Applies quest resets due at the clock's time for `guild` (and generates its first
    /// quests); what the console runs after `:advance`.
    pub async fn ensure_guild(
        &self,
        guild: u64,
    ) -> Result<Vec<super::quests::ResetReport>, EngineError> {
        self.ensure_guild_at(guild, self.clock.now()).await
    }

    async fn ensure_guild_at(
        &self,
        guild: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<super::quests::ResetReport>, EngineError> {
        let reports = self.quests.ensure_guild(guild, now).await?;
        let resets = reports
            .iter()
            .filter(|r| !r.created.is_empty() || r.deactivated > 0)
            .count();
        EngineCounters::add(&self.counters.quest_resets, resets as u64);
        Ok(reports)
    }

    /// Starts new quest periods of `cycles` in `guild` now, due or not (`/quest reset-now`);
    /// see [`super::quests::QuestManager::force_reset`].
    pub async fn force_quest_reset(
        &self,
        guild: u64,
        cycles: &[super::schedule::Cycle],
    ) -> Result<Vec<super::quests::ForcedReset>, EngineError> {
        let out = self
            .quests
            .force_reset(guild, cycles, self.clock.now())
            .await?;
        let applied = out
            .iter()
            .filter(|r| matches!(r, super::quests::ForcedReset::Applied(_)))
            .count();
        EngineCounters::add(&self.counters.quest_resets, applied as u64);
        Ok(out)
    }

    /// The current time of the engine's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

fn voice_event(c: VoiceCredit, at: DateTime<Utc>, seq: u64, source: &Activity) -> Event {
    let own = c.user == source.user;
    Event {
        guild: c.guild,
        channel: c.channel,
        parent_channel: None,
        user: c.user,
        roles: if own {
            source.roles.clone()
        } else {
            Vec::new()
        },
        at,
        work: Work::Voice { seconds: c.seconds },
        user_name: if own { source.user_name.clone() } else { None },
        guild_name: source.guild_name.clone(),
        seq,
    }
}
