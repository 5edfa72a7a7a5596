//! The batch API: the engine accumulates activity for a short window and commits it here in
//! ONE transaction, then releases effects (level-up messages, role changes) only after the
//! commit succeeded. Either the whole batch is applied or nothing is.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Serialize;

use super::achievements::{AchievementGrant, apply_grant};
use super::audit::{NewAuditEntry, apply_audit};
use super::error::DbError;
use super::levels::{LevelCurve, XpOutcome, apply_member_delta};
use super::quests::apply_progress;
use super::{Db, check_id};

/// One member's accumulated changes. Counters are increments (a negative increment that
/// would take a counter below 0 fails the whole batch); `xp` is a delta clamped at 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberDelta {
    pub guild_id: String,
    pub user_id: String,
    pub xp: i64,
    pub messages: i64,
    pub voice_time_seconds: i64,
    pub total_messages: i64,
    pub total_reactions: i64,
    pub commands_used: i64,
    /// Latest message time seen in the window (kept if `None`).
    pub last_message_time: Option<DateTime<Utc>>,
}

impl MemberDelta {
    /// An all-zero delta for a member, to fill with `..MemberDelta::new(g, u)`.
    pub fn new(guild_id: &str, user_id: &str) -> Self {
        Self {
            guild_id: guild_id.to_string(),
            user_id: user_id.to_string(),
            ..Self::default()
        }
    }

    fn merge(&mut self, other: &MemberDelta) {
        self.xp = self.xp.saturating_add(other.xp);
        self.messages += other.messages;
        self.voice_time_seconds += other.voice_time_seconds;
        self.total_messages += other.total_messages;
        self.total_reactions += other.total_reactions;
        self.commands_used += other.commands_used;
        self.last_message_time = self.last_message_time.max(other.last_message_time);
    }
}

/// A member's progress on one quest instance. `None` leaves a value unchanged (0 for a new
/// row); `complete = true` marks it completed and awards the quest's `reward_xp` if, and only
/// if, it was not completed before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestProgressUpdate {
    pub guild_id: String,
    pub user_id: String,
    pub quest_id: i64,
    pub progress: Option<i64>,
    pub quest_specific_progress: Option<i64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub complete: bool,
    /// When this happened (stored as `completed_at` on completion), from the caller's clock,
    /// so a seeded simulation stores the same timestamps every run.
    pub at: DateTime<Utc>,
}

/// One achievement to grant in a batch (skipped if the member already holds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchievementAward {
    pub guild_id: String,
    pub user_id: String,
    pub achievement_id: i64,
    /// Stored as `earned_at`; from the caller's clock, not the wall clock.
    pub at: DateTime<Utc>,
}

/// A quest completed by this write, with the XP its reward gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestCompletion {
    pub guild_id: String,
    pub user_id: String,
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
}

/// What a batch did, for the engine to announce after commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    /// One entry per distinct member of `members`, in (guild, user) order.
    pub members: Vec<(String, String, XpOutcome)>,
    /// Quests that became completed (rewards included in the XP totals).
    pub completed_quests: Vec<QuestCompletion>,
    /// Achievements newly granted (not those already held).
    pub granted_achievements: Vec<AchievementGrant>,
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
        let parts = parts
            .into_iter()
            .map(|(batch, curve)| Ok((merged_members(&batch)?, batch, curve)))
            .collect::<Result<Vec<_>, DbError>>()?;
        let outcomes = self
            .retry("apply_batch", || async {
                let txn = self.conn().begin().await?;
                let mut outcomes = Vec::with_capacity(parts.len());
                for (members, batch, curve) in &parts {
                    outcomes.push(apply_in(&txn, members, batch, *curve).await?);
                }
                txn.commit().await?;
                Ok::<_, DbError>(outcomes)
            })
            .await?;
        let caches = self.caches();
        for (members, batch, _) in &parts {
            for d in members {
                caches.member_changed(&d.guild_id, &d.user_id);
            }
            for p in &batch.quest_progress {
                caches.progress_changed(&p.guild_id, &p.user_id);
                caches.member_changed(&p.guild_id, &p.user_id);
            }
            for a in &batch.achievements {
                caches.member_changed(&a.guild_id, &a.user_id);
            }
        }
        Ok(outcomes)
    }
}

/// Validates `batch` and returns its members sorted by (guild, user), duplicates merged.
fn merged_members(batch: &ActivityBatch) -> Result<Vec<MemberDelta>, DbError> {
    let mut members: Vec<MemberDelta> = Vec::with_capacity(batch.members.len());
    let mut sorted = batch.members.clone();
    sorted.sort_by(|a, b| (&a.guild_id, &a.user_id).cmp(&(&b.guild_id, &b.user_id)));
    for d in sorted {
        check_id("guild_id", &d.guild_id)?;
        check_id("user_id", &d.user_id)?;
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
    for a in &batch.achievements {
        check_id("guild_id", &a.guild_id)?;
        check_id("user_id", &a.user_id)?;
    }
    for e in &batch.audit {
        e.validate()?;
    }
    Ok(members)
}

/// Applies one batch inside the caller's transaction.
async fn apply_in<C: ConnectionTrait>(
    txn: &C,
    members: &[MemberDelta],
    batch: &ActivityBatch,
    curve: &dyn LevelCurve,
) -> Result<BatchOutcome, DbError> {
    let mut out = BatchOutcome::default();
    for d in members {
        let xp = apply_member_delta(txn, d, curve).await?;
        out.members
            .push((d.guild_id.clone(), d.user_id.clone(), xp));
    }
    for p in &batch.quest_progress {
        if let Some(done) = apply_progress(txn, p, curve).await? {
            out.completed_quests.push(done);
        }
    }
    for a in &batch.achievements {
        if let Some(grant) =
            apply_grant(txn, &a.guild_id, &a.user_id, a.achievement_id, a.at, curve).await?
        {
            out.granted_achievements.push(grant);
        }
    }
    for e in &batch.audit {
        apply_audit(txn, e).await?;
    }
    Ok(out)
}
