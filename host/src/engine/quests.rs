//! The QuestManager: gives guilds quests and resets them on schedule.
//!
//! Resets follow the guild's `server_config` through [`ResetSettings`]. Which period the
//! current quests of a cycle belong to is stored in the database (the engine's own
//! key-value namespace, [`ENGINE_KV`]), and a reset is one transaction that claims that
//! period by compare-and-set ([`Db::reset_quest_cycle`]), so:
//! - a restart at any moment never resets twice (the stored period equals the current one);
//! - a crash in the middle of a reset changes nothing, and the next start redoes it once;
//! - two processes sharing a database never both reset a guild: the second claim fails;
//! - resets missed while the bot was down are applied once, to the current period
//!   ([`crate::engine::Engine::start`] catches up every guild the database knows).
//!
//! Time comes from the engine's clock, so the console's `:advance 1d` triggers resets.
//!
//! A reset deactivates exactly the quests of the cycle being reset (by id), never quests of
//! another cycle that share a `quest_type`. New quests are stamped with the engine's clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::ceiling::clamp_reward;
use super::config::QuestCounts;
use super::error::EngineError;
use super::metrics::EngineCounters;
use super::plugin_cache::PluginCache;
use super::schedule::{Cycle, ResetSettings};
use super::wit::{
    category_name, cycle_name, difficulty_name, hash_str, mix, ms, parse_cycle, wit_cycle,
};
use crate::db::entities::quests;
use crate::db::quests::REQUIREMENT_TYPES;
use crate::db::{CycleReset, CycleResetOutcome, Db, NewQuest};
use crate::plugins::{CallContext, Difficulty, PluginHost, QuestTemplate};

/// The engine's namespace in `plugin_kv` (not a valid plugin name, so no plugin can use it).
pub const ENGINE_KV: &str = "_engine";

/// The cycles that reset (`once` never does).
pub const RESETTING: [Cycle; 3] = [Cycle::Daily, Cycle::Weekly, Cycle::Monthly];

/// One reset (or first generation) that happened.
#[derive(Debug, Clone, PartialEq)]
pub struct ResetReport {
    pub guild: u64,
    pub cycle: Cycle,
    pub period_start: DateTime<Utc>,
    /// Quests made inactive.
    pub deactivated: u64,
    /// Quests created for the new period.
    pub created: Vec<quests::Model>,
}

/// What a forced reset of one cycle did.
#[derive(Debug, Clone, PartialEq)]
pub enum ForcedReset {
    Applied(ResetReport),
    /// Another writer changed this cycle's period between our read and our claim (a
    /// concurrent `/quest reset-now` or scheduled reset): nothing was done a second time.
    AlreadyDone(Cycle),
}

/// Separates a forced reset's moment from the period start in the stored period.
const FORCED_MARK: &str = "#forced@";

/// The period start stored for a cycle (a forced reset's marker ignored).
fn stored_period(raw: Option<&[u8]>) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(raw?).ok()?;
    let start = text.split(FORCED_MARK).next()?;
    DateTime::parse_from_rfc3339(start)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[derive(Debug, Clone)]
struct KnownGuild {
    settings: ResetSettings,
    periods: HashMap<Cycle, DateTime<Utc>>,
}

/// Quest generation and resets.
pub struct QuestManager {
    db: Db,
    plugins: PluginHost,
    cache: PluginCache,
    counts: QuestCounts,
    /// `[engine] max_reward_xp`: the most a generated quest may reward.
    max_reward_xp: i64,
    counters: Arc<EngineCounters>,
    known: tokio::sync::Mutex<HashMap<u64, KnownGuild>>,
    periods: Mutex<HashMap<u64, HashMap<Cycle, DateTime<Utc>>>>,
}

fn period_key(cycle: Cycle) -> String {
    format!("quests.{}.period", cycle_name(cycle))
}

fn generated_key(cycle: Cycle) -> String {
    format!("quests.{}.generated", cycle_name(cycle))
}

impl QuestManager {
    /// `rewards`: `[engine] max_reward_xp` and the counters that count clamped rewards.
    pub fn new(
        db: Db,
        plugins: PluginHost,
        cache: PluginCache,
        counts: QuestCounts,
        rewards: (i64, Arc<EngineCounters>),
    ) -> Self {
        let (max_reward_xp, counters) = rewards;
        Self {
            db,
            plugins,
            cache,
            counts,
            max_reward_xp,
            counters,
            known: tokio::sync::Mutex::new(HashMap::new()),
            periods: Mutex::new(HashMap::new()),
        }
    }

    fn count(&self, cycle: Cycle) -> usize {
        match cycle {
            Cycle::Daily => self.counts.daily,
            Cycle::Weekly => self.counts.weekly,
            Cycle::Monthly => self.counts.monthly,
            Cycle::Once => 0,
        }
    }

    /// When the current instance of a quest of `cycle` in `guild` ends (the next reset), as
    /// known after [`Self::ensure_guild`]; `None` for `once`.
    pub fn expires_at(
        &self,
        guild: u64,
        cycle: Cycle,
        settings: &ResetSettings,
    ) -> Option<DateTime<Utc>> {
        let periods = self.periods.lock().unwrap_or_else(|p| p.into_inner());
        let start = periods.get(&guild)?.get(&cycle).copied()?;
        settings.next_reset(cycle, start)
    }

    /// The expiry of `quest` (by its refresh cycle) in `guild` (the quest's guild).
    pub async fn quest_expiry(
        &self,
        guild: u64,
        quest: &quests::Model,
    ) -> Result<Option<DateTime<Utc>>, EngineError> {
        let cycle = parse_cycle(&quest.refresh_cycle);
        if cycle == Cycle::Once {
            return Ok(None);
        }
        let cfg = self.db.get_server_config(guild).await?;
        let settings = ResetSettings::new(
            i64::from(cfg.quest_reset_hour),
            i64::from(cfg.quest_reset_day),
        )?;
        Ok(self.expires_at(guild, cycle, &settings))
    }

    /// Guilds seen so far, in the order of their ids' text (the order resets have always
    /// run in).
    pub async fn known_guilds(&self) -> Vec<u64> {
        let mut g: Vec<u64> = self.known.lock().await.keys().copied().collect();
        g.sort_by_cached_key(u64::to_string);
        g
    }

    /// Applies every due reset of every known guild at `now`.
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<Vec<ResetReport>, EngineError> {
        let mut out = Vec::new();
        for guild in self.known_guilds().await {
            out.extend(self.ensure_guild(guild, now).await?);
        }
        Ok(out)
    }

    /// Makes sure `guild` has quests for the current periods at `now`: generates them the
    /// first time, and applies due resets. Cheap when nothing is due (in-memory check).
    pub async fn ensure_guild(
        &self,
        guild: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<ResetReport>, EngineError> {
        let cfg = self.db.get_server_config(guild).await?;
        let settings = ResetSettings::new(
            i64::from(cfg.quest_reset_hour),
            i64::from(cfg.quest_reset_day),
        )?;
        // One guild at a time: two batches must not both decide a reset is due.
        let mut known = self.known.lock().await;
        let first_sight = !known.contains_key(&guild);
        if let Some(k) = known.get(&guild)
            && k.settings == settings
            && RESETTING
                .iter()
                .all(|c| k.periods.get(c).copied() == settings.period_start(*c, now))
        {
            return Ok(Vec::new());
        }
        let mut active = self.db.get_guild_active_quests(guild, None).await?;
        let force = first_sight && active.is_empty();
        let mut reports = Vec::new();
        let mut periods = HashMap::new();
        for cycle in RESETTING {
            let Some(want) = settings.period_start(cycle, now) else {
                continue;
            };
            let stored_raw = self.db.kv_get(guild, ENGINE_KV, &period_key(cycle)).await?;
            let stored = stored_period(stored_raw.as_deref());
            let of_cycle: Vec<quests::Model> = active
                .iter()
                .filter(|q| parse_cycle(&q.refresh_cycle) == cycle)
                .cloned()
                .collect();
            let due = match stored {
                Some(s) => s != want || (force && of_cycle.is_empty()),
                None => true,
            };
            if !due {
                periods.insert(cycle, want);
                continue;
            }
            // Quests of this cycle created by an admin before the engine ever ran are
            // adopted for the current period instead of being replaced.
            let adopt = stored.is_none() && !of_cycle.is_empty();
            let plan = if adopt {
                CycleReset {
                    deactivate: Vec::new(),
                    recreate: Vec::new(),
                    generate: Vec::new(),
                    ..self.plan_base(guild, cycle, stored_raw, want, now)
                }
            } else {
                self.plan_reset(guild, cycle, stored_raw, want, &of_cycle, now, want)
                    .await?
            };
            match self.db.reset_quest_cycle(&plan).await? {
                CycleResetOutcome::Applied {
                    deactivated,
                    created,
                } => {
                    tracing::info!(guild, cycle = cycle_name(cycle), period = %want, created = created.len(), deactivated, "quests reset");
                    reports.push(ResetReport {
                        guild,
                        cycle,
                        period_start: want,
                        deactivated,
                        created,
                    });
                }
                CycleResetOutcome::AlreadyDone => {
                    tracing::debug!(
                        guild,
                        cycle = cycle_name(cycle),
                        "another writer reset these quests first"
                    );
                }
            }
            periods.insert(cycle, want);
            active = self.db.get_guild_active_quests(guild, None).await?;
        }
        self.periods
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(guild, periods.clone());
        known.insert(guild, KnownGuild { settings, periods });
        Ok(reports)
    }

    /// Starts a new period of each of `cycles` in `guild` now, whether or not a reset is due
    /// (`/quest reset-now`): the current quests of the cycle end, admin quests come back and
    /// the plugins pick new ones, exactly as at a scheduled reset. The new quests still
    /// expire at the cycle's next scheduled boundary.
    ///
    /// It is the same single compare-and-set claim as a scheduled reset
    /// ([`Db::reset_quest_cycle`]): the stored period becomes `<period start>#forced@<now>`
    /// (read back as the period start, so no scheduled reset follows), and a second process
    /// forcing, or resetting, the same cycle from the same stored value matches nothing and
    /// gets [`ForcedReset::AlreadyDone`] instead of resetting twice.
    pub async fn force_reset(
        &self,
        guild: u64,
        cycles: &[Cycle],
        now: DateTime<Utc>,
    ) -> Result<Vec<ForcedReset>, EngineError> {
        // First quests and resets that are due anyway come first (and make the guild known).
        self.ensure_guild(guild, now).await?;
        let cfg = self.db.get_server_config(guild).await?;
        let settings = ResetSettings::new(
            i64::from(cfg.quest_reset_hour),
            i64::from(cfg.quest_reset_day),
        )?;
        let mut known = self.known.lock().await;
        let mut out = Vec::new();
        for &cycle in cycles {
            let Some(want) = settings.period_start(cycle, now) else {
                continue;
            };
            let stored_raw = self.db.kv_get(guild, ENGINE_KV, &period_key(cycle)).await?;
            let active = self.db.get_guild_active_quests(guild, None).await?;
            let of_cycle: Vec<quests::Model> = active
                .into_iter()
                .filter(|q| parse_cycle(&q.refresh_cycle) == cycle)
                .collect();
            let mut plan = self
                .plan_reset(guild, cycle, stored_raw, want, &of_cycle, now, now)
                .await?;
            plan.new_period = format!(
                "{}{FORCED_MARK}{}",
                want.to_rfc3339(),
                now.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
            )
            .into_bytes();
            match self.db.reset_quest_cycle(&plan).await? {
                CycleResetOutcome::Applied {
                    deactivated,
                    created,
                } => {
                    tracing::info!(
                        guild,
                        cycle = cycle_name(cycle),
                        created = created.len(),
                        deactivated,
                        "quests reset by an admin"
                    );
                    out.push(ForcedReset::Applied(ResetReport {
                        guild,
                        cycle,
                        period_start: want,
                        deactivated,
                        created,
                    }));
                }
                CycleResetOutcome::AlreadyDone => out.push(ForcedReset::AlreadyDone(cycle)),
            }
            if let Some(k) = known.get_mut(&guild) {
                k.periods.insert(cycle, want);
            }
        }
        Ok(out)
    }

    fn plan_base(
        &self,
        guild: u64,
        cycle: Cycle,
        stored: Option<Vec<u8>>,
        period: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> CycleReset {
        CycleReset {
            guild_id: guild,
            namespace: ENGINE_KV.to_string(),
            period_key: period_key(cycle),
            generated_key: generated_key(cycle),
            expected_period: stored,
            new_period: period.to_rfc3339().into_bytes(),
            deactivate: Vec::new(),
            recreate: Vec::new(),
            generate: Vec::new(),
            at: now,
        }
    }

    /// Plans a reset: the old period's quests end, admin-created ones come back as new
    /// instances, and the plugins' picks are added. Applied atomically by the repository.
    /// `pick_seed`: the instant the plugins' picks depend on (the period for a scheduled
    /// reset, so a redone reset picks the same; the moment for a forced one, so it differs).
    #[allow(clippy::too_many_arguments)]
    async fn plan_reset(
        &self,
        guild: u64,
        cycle: Cycle,
        stored: Option<Vec<u8>>,
        period: DateTime<Utc>,
        old: &[quests::Model],
        now: DateTime<Utc>,
        pick_seed: DateTime<Utc>,
    ) -> Result<CycleReset, EngineError> {
        let generated: Vec<i64> = self
            .db
            .kv_get(guild, ENGINE_KV, &generated_key(cycle))
            .await?
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let recreate = old
            .iter()
            .filter(|q| !generated.contains(&q.id))
            .map(|q| NewQuest {
                guild_id: guild,
                name: q.name.clone(),
                description: q.description.clone(),
                quest_type: q.quest_type.clone(),
                requirement_type: q.requirement_type.clone(),
                requirement_value: q.requirement_value,
                reward_xp: q.reward_xp,
                reward_multiplier: Some(q.reward_multiplier),
                difficulty: Some(q.difficulty.clone()),
                refresh_cycle: Some(q.refresh_cycle.clone()),
                created_at: now,
            })
            .collect();
        Ok(CycleReset {
            deactivate: old.iter().map(|q| q.id).collect(),
            recreate,
            generate: self.pick(guild, cycle, pick_seed, now).await,
            ..self.plan_base(guild, cycle, stored, period, now)
        })
    }

    /// Chooses this period's quests from the quest plugins' templates: mixed difficulties,
    /// varied requirement types, and a choice that depends only on (guild, `seed_at`): the
    /// period for scheduled resets, so a redone reset picks the same quests.
    async fn pick(
        &self,
        guild: u64,
        cycle: Cycle,
        seed_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<NewQuest> {
        let want = self.count(cycle);
        if want == 0 {
            return Vec::new();
        }
        let mut templates: Vec<(String, QuestTemplate)> = Vec::new();
        for (plugin, _) in self.cache.quest_plugins().await {
            // A plugin the guild switched off (`/plugins disable`) offers no new quests.
            if let Ok(s) = self.cache.settings(guild, &plugin).await
                && !s.enabled
            {
                continue;
            }
            let ctx = match self.cache.context(guild, &plugin, ms(now), 0).await {
                Ok(c) => c,
                Err(_) => CallContext::new(guild, ms(now), 0),
            };
            match self
                .plugins
                .quest_templates(&plugin, &ctx, wit_cycle(cycle), None)
                .await
            {
                Ok(list) => templates.extend(
                    list.into_iter()
                        .filter(|t| t.refresh_cycle == wit_cycle(cycle))
                        .map(|t| (plugin.clone(), t)),
                ),
                Err(e) => {
                    tracing::warn!(plugin = %plugin, error = %e, "quest templates unavailable")
                }
            }
        }
        let mut seed = mix(hash_str(&guild.to_string()) ^ (ms(seed_at) as u64));
        let order = [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard];
        let mut picked: Vec<usize> = Vec::new();
        for i in 0..want {
            let diff = order[(i + (seed % 3) as usize) % 3];
            let used_types: Vec<&str> = picked
                .iter()
                .map(|&j| templates[j].1.requirement_type.as_str())
                .collect();
            let candidates = |strict_diff: bool, strict_type: bool| -> Vec<usize> {
                (0..templates.len())
                    .filter(|j| !picked.contains(j))
                    .filter(|&j| !strict_diff || templates[j].1.difficulty == diff)
                    .filter(|&j| {
                        !strict_type
                            || !used_types.contains(&templates[j].1.requirement_type.as_str())
                    })
                    .collect()
            };
            let pool = [
                candidates(true, true),
                candidates(true, false),
                candidates(false, false),
            ]
            .into_iter()
            .find(|p| !p.is_empty());
            let Some(pool) = pool else { break };
            seed = mix(seed);
            picked.push(pool[(seed % pool.len() as u64) as usize]);
        }
        picked
            .into_iter()
            .map(|j| {
                let (plugin, t) = &templates[j];
                let requirement_type = if REQUIREMENT_TYPES.contains(&t.requirement_type.as_str()) {
                    t.requirement_type.clone()
                } else {
                    format!("plugin:{plugin}:{}", t.requirement_type)
                };
                NewQuest {
                    guild_id: guild,
                    name: t.name.clone(),
                    description: t.description.clone(),
                    quest_type: category_name(t.quest_type).to_string(),
                    requirement_type,
                    requirement_value: t.requirement_value,
                    reward_xp: clamp_reward(
                        t.reward_xp,
                        self.max_reward_xp,
                        plugin,
                        "quest",
                        &self.counters,
                    ),
                    reward_multiplier: Some(t.reward_multiplier),
                    difficulty: Some(difficulty_name(t.difficulty).to_string()),
                    refresh_cycle: Some(cycle_name(cycle).to_string()),
                    created_at: now,
                }
            })
            .collect()
    }
}

/// Which quest plugin handles a stored `requirement_type`, and the plugin's own name for it:
/// `plugin:<name>:<type>` names it; a bare counter name belongs to the first plugin (by name)
/// that lists it.
pub fn quest_owner(
    requirement_type: &str,
    plugins: &[(String, Vec<String>)],
) -> Option<(String, String)> {
    if let Some(rest) = requirement_type.strip_prefix("plugin:") {
        let (name, kind) = rest.split_once(':').unwrap_or((rest, rest));
        return plugins
            .iter()
            .any(|(p, _)| p == name)
            .then(|| (name.to_string(), kind.to_string()));
    }
    plugins
        .iter()
        .find(|(_, types)| types.iter().any(|t| t == requirement_type))
        .map(|(p, _)| (p.clone(), requirement_type.to_string()))
}
