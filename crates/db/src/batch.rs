//! The batch API: the engine accumulates activity for a short window and commits it here in
//! ONE transaction, then releases effects (level-up messages, role changes) only after the
//! commit succeeded. Either the whole batch is applied or nothing is.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;

use std::collections::HashMap;
use std::sync::Arc;

use super::Db;
use super::achievements::AchievementGrant;
use super::audit::{NewAuditEntry, apply_audit};
use super::bulk;
use super::changes::{LevelCurve, MemberDelta, QuestProgressUpdate, XpOutcome};
use super::entities::{levels, user_quests};
use super::error::DbError;
use super::outbox::{OutcomeEffects, insert_entries};

/// One achievement to grant in a batch (skipped if the member already holds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchievementAward {
    pub guild_id: u64,
    pub user_id: u64,
    pub achievement_id: i64,
    /// Stored as `earned_at`; from the caller's clock, not the wall clock.
    pub at: DateTime<Utc>,
}

/// A quest completed by this write, with the XP its reward gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestCompletion {
    #[serde(serialize_with = "crate::id_text")]
    pub guild_id: u64,
    #[serde(serialize_with = "crate::id_text")]
    pub user_id: u64,
    pub quest_id: i64,
    pub reward_xp: i64,
    pub xp: XpOutcome,
}

/// Everything one engine flush writes.
#[derive(Debug, Clone, Default)]
pub struct ActivityBatch {
    /// Duplicates of a member are merged before applying.
    pub members: Vec<MemberDelta>,
    pub quest_progress: Vec<QuestProgressUpdate>,
    /// Already-held grants are skipped.
    pub achievements: Vec<AchievementAward>,
    pub audit: Vec<NewAuditEntry>,
    /// When the activity happened (the engine's clock): the week and month its XP counts
    /// in on the period boards. `None`: the time of the commit.
    pub at: Option<DateTime<Utc>>,
}

/// One guild's batch as [`Db::apply_in_lanes`] takes it: the changes, the guild's level curve
/// and, when the caller keeps a durable outbox, what Discord effects the outcome causes
/// (stored in the same transaction).
pub struct BatchPart<'c> {
    pub batch: ActivityBatch,
    pub curve: &'c dyn LevelCurve,
    pub effects: Option<&'c dyn OutcomeEffects>,
}

impl<'c> From<(ActivityBatch, &'c dyn LevelCurve)> for BatchPart<'c> {
    fn from((batch, curve): (ActivityBatch, &'c dyn LevelCurve)) -> Self {
        Self {
            batch,
            curve,
            effects: None,
        }
    }
}

/// What a batch did, for the engine to announce after commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    /// One entry per distinct member of `members`, in (guild, user) order.
    #[serde(serialize_with = "members_text")]
    pub members: Vec<(u64, u64, XpOutcome)>,
    /// Quests that became completed (rewards included in the XP totals).
    pub completed_quests: Vec<QuestCompletion>,
    /// Achievements newly granted (not those already held).
    pub granted_achievements: Vec<AchievementGrant>,
}

/// [`BatchOutcome::members`] with the ids as text (see [`crate::id_text`]).
fn members_text<S: serde::Serializer>(
    members: &[(u64, u64, XpOutcome)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(
        members
            .iter()
            .map(|(g, u, xp)| (g.to_string(), u.to_string(), xp)),
    )
}

impl Db {
    /// Applies `batch` in one transaction (members sorted by (guild, user) so concurrent
    /// batches lock rows in the same order and cannot deadlock each other), then invalidates
    /// the caches of every member touched.
    pub async fn apply_batch(
        &self,
        batch: ActivityBatch,
        curve: &dyn LevelCurve,
    ) -> Result<BatchOutcome, DbError> {
        let mut outcomes = self.apply_batches(vec![(batch, curve)]).await?;
        outcomes
            .pop()
            .ok_or_else(|| DbError::Other("batch produced no outcome".into()))
    }

    /// Applies several batches (typically one per guild, each with its guild's level curve)
    /// in ONE transaction: one commit, one fsync, for everything the engine gathered in its
    /// window. All are applied or none is. Outcomes come back in the order of `parts`.
    pub async fn apply_batches(
        &self,
        parts: Vec<(ActivityBatch, &dyn LevelCurve)>,
    ) -> Result<Vec<BatchOutcome>, DbError> {
        let n = parts.len();
        let mut lanes = self
            .apply_in_lanes(parts.into_iter().map(BatchPart::from).collect(), 1)
            .await;
        match lanes.pop() {
            Some((_, result)) => result,
            None if n == 0 => Ok(Vec::new()),
            None => Err(DbError::Other("batch produced no outcome".into())),
        }
    }

    /// Applies batches of distinct guilds in up to `lanes` transactions that run at the same
    /// time on their own connections, so the database works on several cores at once instead
    /// of one backend doing the whole batch. Each lane is all-or-nothing on its own; the
    /// result says, per range of `parts`, what was committed. Parts that name the same guild
    /// always share a lane (two lanes never touch the same rows, so they cannot deadlock).
    /// SQLite has one writer: it always gets one lane.
    pub async fn apply_in_lanes(
        &self,
        parts: Vec<BatchPart<'_>>,
        lanes: usize,
    ) -> Vec<(std::ops::Range<usize>, Result<Vec<BatchOutcome>, DbError>)> {
        let n = parts.len();
        let parts = match parts
            .into_iter()
            .map(|p| Ok((merged_members(&p.batch)?, p.batch, p.curve, p.effects)))
            .collect::<Result<Vec<_>, DbError>>()
        {
            Ok(p) => p,
            Err(e) => return vec![(0..n, Err(e))],
        };
        if parts.is_empty() {
            return Vec::new();
        }
        let lanes = if self.is_postgres() && disjoint_groups(&parts).len() == 1 {
            lanes.max(1)
        } else {
            1
        };
        let ranges = balanced_ranges(&parts, lanes);
        // Noted before the transactions: if anything invalidates a member's stats while they
        // run, the rows they return may be older than the cache's view and are not stored.
        let caches = self.caches();
        let stats_generation = caches.user_stats.generation();
        let progress_generation = caches.user_quests.generation();
        // Other processes hear of the lanes' guilds from inside each lane's transaction.
        let announced = caches.announcing();
        let results = futures::future::join_all(
            ranges
                .iter()
                .map(|range| self.commit_parts(&parts[range.clone()], announced)),
        )
        .await;
        let mut rows = Vec::new();
        let mut progress = Vec::new();
        let mut out = Vec::with_capacity(ranges.len());
        for (range, result) in ranges.into_iter().zip(results) {
            out.push((
                range,
                result.map(|(outcomes, touched, written)| {
                    rows.extend(touched);
                    progress.extend(written);
                    outcomes
                }),
            ));
        }
        // Members who earned something are read again next time (grants are rare).
        for (_, result) in &out {
            for grant in result
                .iter()
                .flatten()
                .flat_map(|o| &o.granted_achievements)
            {
                caches
                    .held_achievements
                    .invalidate(&(grant.guild_id.to_string(), grant.user_id.to_string()));
            }
        }
        self.write_through(
            rows,
            progress,
            stats_generation,
            progress_generation,
            announced,
        );
        out
    }

    /// One transaction over `parts`, retried as a whole on a transient error. With
    /// `announce`, the transaction also tells other processes which guilds it changed.
    async fn commit_parts(&self, parts: &[Part<'_>], announce: bool) -> Result<Applied, DbError> {
        let guilds: std::collections::BTreeSet<String> = if announce {
            parts
                .iter()
                .flat_map(part_guilds)
                .map(|g| g.to_string())
                .collect()
        } else {
            Default::default()
        };
        self.retry("apply_batch", || async {
            let txn = self.begin_write().await?;
            let mut outcomes = Vec::with_capacity(parts.len());
            let mut rows = Vec::new();
            let mut progress = Vec::new();
            let now = Utc::now();
            for group in disjoint_groups(parts) {
                let (outcome, touched, written) = apply_in(&txn, &parts[group.clone()]).await?;
                // The Discord effects these outcomes cause commit with them, or not at all.
                for ((.., effects), o) in parts[group].iter().zip(&outcome) {
                    if let Some(effects) = effects {
                        insert_entries(&txn, &effects.outbox(o), now).await?;
                    }
                }
                outcomes.extend(outcome);
                rows.extend(touched);
                progress.extend(written);
            }
            if !guilds.is_empty() {
                super::notify::announce_in(&txn, self.caches().origin(), &guilds).await?;
            }
            txn.commit().await?;
            Ok::<_, DbError>((outcomes, rows, progress))
        })
        .await
    }

    /// The committed rows go into the cache (write-through) so the next batch's busy
    /// members are not read back from the database. `announced`: the transactions already
    /// told other processes, so nothing more is announced here.
    fn write_through(
        &self,
        rows: Vec<levels::Model>,
        progress: Vec<user_quests::Model>,
        stats_generation: u64,
        progress_generation: u64,
        announced: bool,
    ) {
        let caches = self.caches();
        let keys: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.guild_id.clone(), r.user_id.clone()))
            .collect();
        let stored = caches.user_stats.insert_all_if_fresh(
            rows.into_iter()
                .map(|r| ((r.guild_id.clone(), r.user_id.clone()), Some(Arc::new(r)))),
            stats_generation,
        );
        if !stored {
            for (g, u) in &keys {
                caches.member_dropped(g, u);
            }
        }
        if !announced {
            caches.members_written(
                keys.iter()
                    .map(|(g, _)| g.clone())
                    .collect::<std::collections::BTreeSet<_>>(),
            );
        }
        caches.progress_written(progress, progress_generation, announced);
    }
}

/// The fewest rows worth a lane of their own. Every lane is a transaction of its own, with
/// the same statements as the others (and a connection to take and give back): for a small
/// batch a second lane doubles the round trips to the server and saves nothing, since one
/// backend writes a few dozen rows in well under a millisecond.
const MIN_LANE_ROWS: usize = 256;

/// Cuts `parts` into at most `lanes` consecutive ranges of about the same number of rows, and
/// of at least [`MIN_LANE_ROWS`] each (a small batch takes one lane).
fn balanced_ranges(parts: &[Part<'_>], lanes: usize) -> Vec<std::ops::Range<usize>> {
    let weight = |(members, batch, ..): &Part<'_>| {
        1 + members.len() + batch.quest_progress.len() + batch.achievements.len()
    };
    let total: usize = parts.iter().map(weight).sum();
    let lanes = lanes
        .min(total / MIN_LANE_ROWS)
        .clamp(1, parts.len().max(1));
    let mut out = Vec::with_capacity(lanes);
    let (mut start, mut acc) = (0, 0);
    for (i, p) in parts.iter().enumerate() {
        acc += weight(p);
        // Close a lane once it holds its share of the rows (the last lane takes the rest).
        if out.len() + 1 < lanes && acc * lanes >= total * (out.len() + 1) {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < parts.len() {
        out.push(start..parts.len());
    }
    out
}

/// Sorts members by (guild, user) compared as the stored text, not as numbers: the order
/// rows are locked in and outcomes are listed in stays what it was with text ids, and
/// matches [`XpLedger::changed`]'s (which sorts stored rows).
fn sort_members(members: &mut [MemberDelta]) {
    members.sort_by_cached_key(|d| (d.guild_id.to_string(), d.user_id.to_string()));
}

/// Validates `batch` and returns its members sorted by (guild, user), duplicates merged.
fn merged_members(batch: &ActivityBatch) -> Result<Vec<MemberDelta>, DbError> {
    let mut members: Vec<MemberDelta> = Vec::with_capacity(batch.members.len());
    let mut sorted = batch.members.clone();
    sort_members(&mut sorted);
    for d in sorted {
        match members.last_mut() {
            Some(last) if last.guild_id == d.guild_id && last.user_id == d.user_id => {
                last.merge(&d)
            }
            _ => members.push(d),
        }
    }
    for p in &batch.quest_progress {
        p.validate()?;
    }
    for e in &batch.audit {
        e.validate()?;
    }
    Ok(members)
}

/// What applying parts did: one outcome per part, and every `levels` and `user_quests` row as
/// the transaction leaves them (for the caches).
type Applied = (
    Vec<BatchOutcome>,
    Vec<levels::Model>,
    Vec<user_quests::Model>,
);

/// A batch with its merged members, sorted, its guild's curve and its effects' builder.
type Part<'c> = (
    Vec<MemberDelta>,
    ActivityBatch,
    &'c dyn LevelCurve,
    Option<&'c dyn OutcomeEffects>,
);

/// Splits `parts` into runs that [`apply_in`] can apply together: all of them when no guild
/// appears in two parts (what the engine sends: one part per guild), otherwise one by one.
fn disjoint_groups(parts: &[Part<'_>]) -> Vec<std::ops::Range<usize>> {
    let mut owner: HashMap<u64, usize> = HashMap::new();
    for (i, part) in parts.iter().enumerate() {
        for g in part_guilds(part) {
            if *owner.entry(g).or_insert(i) != i {
                return (0..parts.len()).map(|i| i..i + 1).collect();
            }
        }
    }
    std::iter::once(0..parts.len()).collect()
}

/// Every guild a part writes to (with repeats).
fn part_guilds<'p>((members, batch, ..): &'p Part<'_>) -> impl Iterator<Item = u64> + 'p {
    members
        .iter()
        .map(|d| d.guild_id)
        .chain(batch.quest_progress.iter().map(|u| u.guild_id))
        .chain(batch.achievements.iter().map(|a| a.guild_id))
}

/// Applies batches of distinct guilds inside the caller's transaction, set-based and all
/// together: the members' counters and XP gains in one upsert per chunk, quest progress in
/// one, and at the end the levels (and rewards) that changed in one upsert per chunk,
/// whatever the number of guilds and members. Rewards (quests completed, achievements granted) go through an in-memory
/// ledger of each member's XP, in the order each batch lists them, so the outcomes are exactly
/// those of applying the changes one by one.
///
/// Returns one outcome per part, and every `levels` and `user_quests` row as this transaction
/// leaves it (for the caches).
async fn apply_in<C: ConnectionTrait>(txn: &C, parts: &[Part<'_>]) -> Result<Applied, DbError> {
    let mut outs: Vec<BatchOutcome> = vec![BatchOutcome::default(); parts.len()];
    let mut curves: HashMap<u64, &dyn LevelCurve> = HashMap::new();
    let mut all_members: Vec<MemberDelta> = Vec::new();
    for part @ (members, _, curve, _) in parts {
        for g in part_guilds(part) {
            curves.entry(g).or_insert(*curve);
        }
        all_members.extend(members.iter().cloned());
    }
    // One lock order for every member of the transaction.
    sort_members(&mut all_members);
    let mut ledger = XpLedger::new(curves);
    ledger.extend(bulk::upsert_counters(txn, &all_members).await?);
    for (i, (members, ..)) in parts.iter().enumerate() {
        for d in members {
            let xp = ledger.add(d.guild_id, d.user_id, d.xp, bulk::folded_xp(d.xp))?;
            outs[i].members.push((d.guild_id, d.user_id, xp));
        }
    }

    // Quest progress: checked against the quests table once, then written set-based.
    let tagged: Vec<(usize, QuestProgressUpdate)> = parts
        .iter()
        .enumerate()
        .flat_map(|(i, (_, batch, ..))| {
            merged_progress(&batch.quest_progress)
                .into_iter()
                .map(move |u| (i, u))
        })
        .collect();
    let mut rewards_due: Vec<(usize, u64, u64, i64, i64)> = Vec::new();
    let mut progress_rows: Vec<user_quests::Model> = Vec::new();
    if !tagged.is_empty() {
        let named: Vec<(i64, u64)> = tagged
            .iter()
            .map(|(_, u)| (u.quest_id, u.guild_id))
            .collect();
        let quests = bulk::rewards(txn, bulk::RewardTable::Quests, &named).await?;
        let updates: Vec<QuestProgressUpdate> = tagged.iter().map(|(_, u)| u.clone()).collect();
        progress_rows = bulk::write_progress(txn, &updates).await?;
        let done: Vec<_> = tagged
            .iter()
            .filter(|(_, u)| u.complete)
            .map(|(_, u)| (u.guild_id, u.user_id, u.quest_id, u.at))
            .collect();
        if !done.is_empty() {
            // The completed rows supersede the ones written just before (found by row id,
            // not by scanning: a batch writes thousands of progress rows).
            let by_id: HashMap<i64, usize> = progress_rows
                .iter()
                .enumerate()
                .map(|(i, r)| (r.id, i))
                .collect();
            let mut flipped = std::collections::HashSet::new();
            for row in bulk::complete_quests(txn, &done).await? {
                flipped.insert((row.guild_id.clone(), row.user_id.clone(), row.quest_id));
                if let Some(&i) = by_id.get(&row.id) {
                    progress_rows[i] = row;
                }
            }
            for (i, u) in tagged.iter().filter(|(_, u)| u.complete) {
                let key = (u.guild_id.to_string(), u.user_id.to_string(), u.quest_id);
                if flipped.contains(&key) {
                    let reward = quests.get(&u.quest_id).map_or(0, |(_, xp)| *xp);
                    rewards_due.push((*i, u.guild_id, u.user_id, u.quest_id, reward));
                }
            }
        }
    }
    let grants = apply_grants(txn, parts).await?;

    // Members who earn a reward without activity of their own in this batch.
    let missing: Vec<MemberDelta> = rewards_due
        .iter()
        .map(|(_, g, u, _, _)| (*g, *u))
        .chain(grants.iter().map(|(_, a, _)| (a.guild_id, a.user_id)))
        .filter(|(g, u)| !ledger.holds(*g, *u))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|(g, u)| MemberDelta::new(g, u))
        .collect();
    if !missing.is_empty() {
        ledger.extend(bulk::upsert_counters(txn, &missing).await?);
    }
    // Per member, quest rewards come before achievement rewards, each in list order; members
    // of different parts are distinct, so the order across parts does not matter.
    for (i, guild_id, user_id, quest_id, reward_xp) in rewards_due {
        let xp = ledger.add(guild_id, user_id, reward_xp, 0)?;
        outs[i].completed_quests.push(QuestCompletion {
            guild_id,
            user_id,
            quest_id,
            reward_xp,
            xp,
        });
    }
    for (i, a, reward_xp) in grants {
        let xp = ledger.add(a.guild_id, a.user_id, reward_xp, 0)?;
        outs[i].granted_achievements.push(AchievementGrant {
            guild_id: a.guild_id,
            user_id: a.user_id,
            achievement_id: a.achievement_id,
            reward_xp,
            xp,
        });
    }
    let changed = ledger.changed();
    if !changed.is_empty() {
        bulk::write_xp(txn, &changed).await?;
    }
    write_period_xp(txn, parts, &outs).await?;
    for (_, batch, ..) in parts {
        for e in &batch.audit {
            apply_audit(txn, e).await?;
        }
    }
    Ok((outs, ledger.into_rows(), progress_rows))
}

/// Adds what each member gained in the batch (activity and rewards, as applied) to their
/// period totals, at the time of their part's activity; a net loss (an xp formula or a
/// plugin's negative award) is taken off them instead.
async fn write_period_xp<C: ConnectionTrait>(
    txn: &C,
    parts: &[Part<'_>],
    outs: &[BatchOutcome],
) -> Result<(), DbError> {
    let now = Utc::now();
    // (guild, user) -> (part, XP before the batch, XP after it), in the order applied.
    let mut net: HashMap<(u64, u64), (usize, i64, i64)> = HashMap::new();
    for (i, o) in outs.iter().enumerate() {
        let applied = o
            .members
            .iter()
            .map(|(g, u, xp)| (*g, *u, xp))
            .chain(
                o.completed_quests
                    .iter()
                    .map(|q| (q.guild_id, q.user_id, &q.xp)),
            )
            .chain(
                o.granted_achievements
                    .iter()
                    .map(|a| (a.guild_id, a.user_id, &a.xp)),
            );
        for (g, u, xp) in applied {
            net.entry((g, u))
                .and_modify(|e| e.2 = xp.new_xp)
                .or_insert((i, xp.old_xp, xp.new_xp));
        }
    }
    let at = |i: usize| parts[i].1.at.unwrap_or(now);
    let mut gains = Vec::new();
    for ((guild_id, user_id), (i, before, after)) in net {
        let change = after.saturating_sub(before);
        if change > 0 {
            gains.push(bulk::PeriodGain {
                guild_id,
                user_id,
                xp: change,
                at: at(i),
            });
        } else if change < 0 {
            bulk::period_change(txn, guild_id, user_id, change, at(i)).await?;
        }
    }
    bulk::add_period_xp(txn, &gains).await
}

/// Records the parts' achievement awards set-based and returns those this transaction
/// granted, with their reward, in list order (an award listed twice is granted once).
async fn apply_grants<'p, C: ConnectionTrait>(
    txn: &C,
    parts: &'p [Part<'_>],
) -> Result<Vec<(usize, &'p AchievementAward, i64)>, DbError> {
    let awards: Vec<(usize, &AchievementAward)> = parts
        .iter()
        .enumerate()
        .flat_map(|(i, (_, batch, ..))| batch.achievements.iter().map(move |a| (i, a)))
        .collect();
    if awards.is_empty() {
        return Ok(Vec::new());
    }
    let named: Vec<(i64, u64)> = awards
        .iter()
        .map(|(_, a)| (a.achievement_id, a.guild_id))
        .collect();
    let known = bulk::rewards(txn, bulk::RewardTable::Achievements, &named).await?;
    // Each award once, its first listing (whose time is stored as `earned_at`).
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<_> = awards
        .iter()
        .map(|(_, a)| (a.guild_id, a.user_id, a.achievement_id, a.at))
        .filter(|(g, u, id, _)| seen.insert((*g, *u, *id)))
        .collect();
    let mut inserted = bulk::insert_grants(txn, &rows).await?;
    let mut granted = Vec::new();
    for (i, a) in awards {
        // `remove`: the first listing of an award takes it, a repeat gets nothing.
        if inserted.remove(&(
            a.guild_id.to_string(),
            a.user_id.to_string(),
            a.achievement_id,
        )) {
            let reward = known.get(&a.achievement_id).map_or(0, |(_, xp)| *xp);
            granted.push((i, a, reward));
        }
    }
    Ok(granted)
}

/// Progress updates with each (guild, user, quest) once, in first-seen order: later values
/// win, and a completion anywhere counts (at the time of the first one).
fn merged_progress(updates: &[QuestProgressUpdate]) -> Vec<QuestProgressUpdate> {
    let mut index: HashMap<(u64, u64, i64), usize> = HashMap::new();
    let mut merged: Vec<QuestProgressUpdate> = Vec::with_capacity(updates.len());
    for u in updates {
        let key = (u.guild_id, u.user_id, u.quest_id);
        match index.get(&key) {
            Some(&i) => {
                let m = &mut merged[i];
                m.progress = u.progress.or(m.progress);
                m.quest_specific_progress = u.quest_specific_progress.or(m.quest_specific_progress);
                m.expires_at = u.expires_at.or(m.expires_at);
                if u.complete && !m.complete {
                    m.complete = true;
                    m.at = u.at;
                }
            }
            None => {
                index.insert(key, merged.len());
                merged.push(u.clone());
            }
        }
    }
    merged
}

/// Each touched member's XP while a batch is applied: starts from the stored row, takes every
/// change in order (clamped at 0, level from the guild's curve), and is written once at the end.
struct XpLedger<'c> {
    rows: HashMap<(String, String), levels::Model>,
    /// XP and level as stored, to write only what changed.
    stored: HashMap<(String, String), (i64, i32)>,
    /// Each guild's level curve.
    curves: HashMap<u64, &'c dyn LevelCurve>,
}

impl<'c> XpLedger<'c> {
    fn new(curves: HashMap<u64, &'c dyn LevelCurve>) -> Self {
        Self {
            rows: HashMap::new(),
            stored: HashMap::new(),
            curves,
        }
    }

    fn extend(&mut self, rows: HashMap<(String, String), levels::Model>) {
        for (key, row) in rows {
            self.stored.insert(key.clone(), (row.xp, row.level));
            self.rows.insert(key, row);
        }
    }

    fn holds(&self, guild_id: u64, user_id: u64) -> bool {
        self.rows
            .contains_key(&(guild_id.to_string(), user_id.to_string()))
    }

    /// Applies `delta` to the member's XP (clamped at 0; a zero delta changes nothing, not
    /// even the level), of which the stored row already holds `added` (a member's activity
    /// gain, which the counters upsert adds: [`bulk::folded_xp`]; 0 for rewards).
    fn add(
        &mut self,
        guild_id: u64,
        user_id: u64,
        delta: i64,
        added: i64,
    ) -> Result<XpOutcome, DbError> {
        let row = self
            .rows
            .get_mut(&(guild_id.to_string(), user_id.to_string()))
            .ok_or_else(|| DbError::Other(format!("no levels row for {guild_id}/{user_id}")))?;
        let old_level = row.level;
        let (old_xp, new_xp) = bulk::xp_change(row.xp, delta, added);
        if delta != 0 {
            let curve = self
                .curves
                .get(&guild_id)
                .ok_or_else(|| DbError::Other(format!("no level curve for guild {guild_id}")))?;
            row.xp = new_xp;
            row.level = curve.level_for_xp(row.xp).max(0);
        }
        Ok(XpOutcome {
            old_xp,
            new_xp: row.xp,
            old_level,
            new_level: row.level,
        })
    }

    /// `(guild, user, xp, level)` of every member whose XP or level differs from the stored
    /// row, in (guild, user) order so rows are locked in the same order as the upsert's.
    fn changed(&self) -> Vec<(&str, &str, i64, i32)> {
        let mut changed: Vec<_> = self
            .rows
            .iter()
            .filter(|(key, row)| self.stored.get(*key) != Some(&(row.xp, row.level)))
            .map(|(_, r)| (r.guild_id.as_str(), r.user_id.as_str(), r.xp, r.level))
            .collect();
        changed.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        changed
    }

    fn into_rows(self) -> Vec<levels::Model> {
        self.rows.into_values().collect()
    }
}
