//! The first phase: every member of the batch with their stored stats and quest progress
//! (one read each for all members, cache first), and each event's stats before and after
//! its own counters.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::Member;
use crate::db::MemberDelta;
use crate::engine::error::EngineError;
use crate::engine::pipeline::Pipeline;
use crate::engine::wit::{Event, Work, stats};
use crate::plugins::{MemberStats, QuestProgress};

impl Pipeline {
    /// The batch's members in id order, each with their events' indices.
    pub(super) async fn load_members(
        &self,
        guild: u64,
        events: &[Event],
    ) -> Result<BTreeMap<u64, Member>, EngineError> {
        // Every member's row and progress in one read each (cache first), not per member.
        let users: Vec<u64> = events
            .iter()
            .map(|e| e.user)
            .collect::<std::collections::BTreeSet<u64>>()
            .into_iter()
            .collect();
        let mut rows = self.db.get_user_levels(guild, &users).await?;
        let mut views = self.db.get_users_active_quests(guild, &users).await?;
        let mut members: BTreeMap<u64, Member> = BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            if let std::collections::btree_map::Entry::Vacant(slot) = members.entry(e.user) {
                let row = rows.remove(&e.user).flatten();
                let uq = views.remove(&e.user).unwrap_or_default();
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
                    delta: MemberDelta::new(guild, e.user),
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
        Ok(members)
    }
}

/// Each event's stats before and after its own counters (what XP formulas and quest plugins
/// see), in event order.
pub(super) fn running_stats(
    events: &[Event],
    members: &BTreeMap<u64, Member>,
) -> (Vec<MemberStats>, Vec<MemberStats>) {
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
    (before, after)
}
