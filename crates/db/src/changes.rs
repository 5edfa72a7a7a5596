//! The values a write is made of: one member's changes ([`MemberDelta`]), one quest's
//! progress ([`QuestProgressUpdate`]), the curve levels are computed with ([`LevelCurve`])
//! and what an XP change did ([`XpOutcome`]). A leaf module: the batch write (`batch.rs`),
//! its set-based statements (`bulk.rs`) and single-member writes (`levels.rs`) all use
//! these, and none of them imports another for them.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The XP curve: owned by a plugin, passed in by the engine for each award.
pub trait LevelCurve: Send + Sync {
    /// The level a member with `xp` total XP has. Negative results are treated as 0.
    fn level_for_xp(&self, xp: i64) -> i32;
}

/// What an XP change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct XpOutcome {
    pub old_xp: i64,
    pub new_xp: i64,
    pub old_level: i32,
    pub new_level: i32,
}

impl XpOutcome {
    pub fn leveled_up(&self) -> bool {
        self.new_level > self.old_level
    }
}

/// One member's accumulated changes. Counters are increments (a negative increment that
/// would take a counter below 0 fails the whole batch); `xp` is a delta clamped at 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberDelta {
    pub guild_id: u64,
    pub user_id: u64,
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
    pub fn new(guild_id: u64, user_id: u64) -> Self {
        Self {
            guild_id,
            user_id,
            ..Self::default()
        }
    }

    pub(crate) fn merge(&mut self, other: &MemberDelta) {
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
    pub guild_id: u64,
    pub user_id: u64,
    pub quest_id: i64,
    pub progress: Option<i64>,
    pub quest_specific_progress: Option<i64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub complete: bool,
    /// When this happened (stored as `completed_at` on completion), from the caller's clock,
    /// so a seeded simulation stores the same timestamps every run.
    pub at: DateTime<Utc>,
}
