//! What members do, as the engine receives it.
//!
//! Fronts (the Discord gateway, the console, a simulation file) translate their events into
//! [`Activity`] values; everything downstream (XP, counters, quests, achievements) works on
//! these alone, so the engine behaves the same whether Discord is there or not.

use chrono::{DateTime, Utc};

use super::voice::VoiceChange;

/// One member activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub guild: u64,
    pub channel: u64,
    /// The channel's parent (a thread's channel, a channel's category), for multipliers.
    pub parent_channel: Option<u64>,
    pub user: u64,
    /// Role ids the member holds.
    pub roles: Vec<u64>,
    /// When it happened (event time; the simulation's clock).
    pub at: DateTime<Utc>,
    pub kind: ActivityKind,
    /// Display name for `{user.name}` in level-up messages, when the front knows it.
    pub user_name: Option<String>,
    /// Guild name for `{guild}`, when the front knows it.
    pub guild_name: Option<String>,
}

/// What kind of activity, with its details.
#[derive(Debug, Clone, PartialEq)]
pub enum ActivityKind {
    /// A message was posted (`length` in characters).
    Message { id: u64, length: u32 },
    /// A reaction was added to message `message`.
    Reaction { message: u64, emoji: String },
    /// A voice state change; the engine turns these into eligible voice seconds.
    Voice(VoiceChange),
    /// A slash command was used.
    Command { name: String },
}

impl Activity {
    /// A bare activity (no roles, parent channel or names), for fronts and tests.
    pub fn new(guild: u64, channel: u64, user: u64, at: DateTime<Utc>, kind: ActivityKind) -> Self {
        Self {
            guild,
            channel,
            parent_channel: None,
            user,
            roles: Vec::new(),
            at,
            kind,
            user_name: None,
            guild_name: None,
        }
    }

    /// A message activity.
    pub fn message(
        guild: u64,
        channel: u64,
        user: u64,
        id: u64,
        length: u32,
        at: DateTime<Utc>,
    ) -> Self {
        Self::new(
            guild,
            channel,
            user,
            at,
            ActivityKind::Message { id, length },
        )
    }

    /// Sets the member's display name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.user_name = Some(name.into());
        self
    }

    /// Sets the member's roles.
    pub fn with_roles(mut self, roles: Vec<u64>) -> Self {
        self.roles = roles;
        self
    }
}
