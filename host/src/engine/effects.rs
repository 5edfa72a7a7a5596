//! What the engine announces after a commit.
//!
//! Effects are released only after the batch that caused them committed, so a member is
//! never congratulated for XP the database does not have. The [`EffectSink`] decides what to
//! do with them: the console prints them, the Discord front sends messages and changes roles.

use std::sync::Mutex;

/// One thing to announce or carry out.
#[derive(Debug, Clone, PartialEq)]
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
}

/// Where effects go. Called from the engine's task after each commit, in order; it must not
/// block for long (queue the work if sending is slow).
pub trait EffectSink: Send + Sync {
    fn release(&self, effects: Vec<Effect>);
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
