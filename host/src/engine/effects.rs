//! What the engine announces after a commit.
//!
//! Effects are released only after the batch that caused them committed, so a member is
//! never congratulated for XP the database does not have. The [`EffectSink`] decides what to
//! do with them: the console prints them, the Discord front sends messages and changes roles.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::{NewOutboxEntry, OutboxKind};

/// One thing to announce or carry out. Those Discord must see (role changes and notices) are
/// stored in the outbox as this type's JSON, so changing a variant's fields needs care: an
/// older entry must still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// XP a member earned in a batch (the console shows it; Discord ignores it).
    XpGained {
        guild: u64,
        user: u64,
        gained: i64,
        total_xp: i64,
        level: u32,
    },
    /// A member reached a higher level (possibly several at once).
    LevelUp {
        guild: u64,
        user: u64,
        channel: u64,
        old_level: u32,
        new_level: u32,
        xp: i64,
        /// The rendered level-up message.
        message: String,
    },
    /// Give the member a reward role.
    RoleAdd {
        guild: u64,
        user: u64,
        role: u64,
        level: u32,
    },
    /// Take a reward role away (a higher non-stacked reward replaced it, or a demotion).
    RoleRemove {
        guild: u64,
        user: u64,
        role: u64,
        level: u32,
    },
    /// A member completed a quest (its reward XP is already applied).
    QuestCompleted {
        guild: u64,
        user: u64,
        channel: u64,
        quest_id: i64,
        name: String,
        reward_xp: i64,
        reward_multiplier: f64,
        message: String,
    },
    /// A member earned an achievement (its reward XP is already applied).
    AchievementEarned {
        guild: u64,
        user: u64,
        channel: u64,
        achievement_id: i64,
        name: String,
        reward_xp: i64,
        message: String,
    },
    /// A message to a guild's channel from the bot itself (an XP boost ended).
    Announcement {
        guild: u64,
        channel: u64,
        message: String,
    },
}

impl Effect {
    /// The guild and member it concerns.
    pub fn member(&self) -> (u64, u64) {
        match self {
            Self::XpGained { guild, user, .. }
            | Self::LevelUp { guild, user, .. }
            | Self::RoleAdd { guild, user, .. }
            | Self::RoleRemove { guild, user, .. }
            | Self::QuestCompleted { guild, user, .. }
            | Self::AchievementEarned { guild, user, .. } => (*guild, *user),
            Self::Announcement { guild, .. } => (*guild, 0),
        }
    }

    /// What the outbox stores for it: role changes, and notices expiring `notice_ttl` after
    /// `now`; `None` for what Discord never sees (XP gains).
    pub fn outbox_entry(&self, now: DateTime<Utc>, notice_ttl: Duration) -> Option<NewOutboxEntry> {
        let kind = match self {
            Self::XpGained { .. } => return None,
            Self::RoleAdd { .. } => OutboxKind::RoleAdd,
            Self::RoleRemove { .. } => OutboxKind::RoleRemove,
            Self::LevelUp { .. }
            | Self::QuestCompleted { .. }
            | Self::AchievementEarned { .. }
            | Self::Announcement { .. } => OutboxKind::Notice,
        };
        let payload = serde_json::to_string(self).ok()?;
        let expires_at = (kind == OutboxKind::Notice).then(|| {
            chrono::TimeDelta::from_std(notice_ttl)
                .ok()
                .and_then(|ttl| now.checked_add_signed(ttl))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        });
        let (guild_id, user_id) = self.member();
        Some(NewOutboxEntry {
            guild_id,
            user_id,
            kind,
            payload,
            expires_at,
        })
    }
}

/// Where effects go. Called from the engine's task after each commit, in order; it must not
/// block for long (queue the work if sending is slow).
pub trait EffectSink: Send + Sync {
    fn release(&self, effects: Vec<Effect>);

    /// `Some(notice_ttl)` when this sink sends from the database's outbox: the engine then
    /// stores the effects Discord must see (role changes, notices expiring after
    /// `notice_ttl`) in the transaction of the batch that caused them, and `release` gets
    /// only the rest (it is still called after every commit, to wake the sender up).
    fn outbox(&self) -> Option<Duration> {
        None
    }
}

/// A sink that keeps everything (tests, simulations).
#[derive(Debug, Default)]
pub struct CollectingSink {
    effects: Mutex<Vec<Effect>>,
}

impl CollectingSink {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the effects collected so far.
    pub fn take(&self) -> Vec<Effect> {
        std::mem::take(&mut *self.effects.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// A copy of the effects collected so far.
    pub fn snapshot(&self) -> Vec<Effect> {
        self.effects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl EffectSink for CollectingSink {
    fn release(&self, effects: Vec<Effect>) {
        self.effects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(effects);
    }
}

/// A sink that drops everything (simulations that only want the summary).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl EffectSink for NullSink {
    fn release(&self, _effects: Vec<Effect>) {}
}
