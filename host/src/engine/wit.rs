//! Conversions between the engine's and the database's types and the plugin contract's.

use chrono::{DateTime, TimeZone, Utc};

use super::schedule::Cycle;
use crate::db::entities::{levels, quests};
use crate::plugins::{
    Activity as WitActivity, ActivityKind as WitKind, CommandDetails, Difficulty, MemberStats,
    MessageDetails, QuestCategory, QuestDef, ReactionDetails, RefreshCycle, VoiceDetails,
};

/// Unix milliseconds.
pub fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// From Unix milliseconds (out-of-range values clamp to the epoch).
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// What the engine processes: an activity with voice changes already turned into seconds.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    Message { id: u64, length: u32 },
    Reaction { message: u64, emoji: String },
    Voice { seconds: u32 },
    Command { name: String },
}

/// A resolved activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub guild: u64,
    pub channel: u64,
    pub parent_channel: Option<u64>,
    pub user: u64,
    pub roles: Vec<u64>,
    pub at: DateTime<Utc>,
    pub work: Work,
    pub user_name: Option<String>,
    pub guild_name: Option<String>,
    /// Position in submission order (seeds plugin randomness).
    pub seq: u64,
}

impl Event {
    pub fn to_wit(&self) -> WitActivity {
        WitActivity {
            guild: self.guild,
            channel: self.channel,
            parent_channel: self.parent_channel,
            user: self.user,
            roles: self.roles.clone(),
            at: ms(self.at),
            kind: match &self.work {
                Work::Message { id, length } => WitKind::Message(MessageDetails {
                    message_id: *id,
                    length: *length,
                }),
                Work::Reaction { message, emoji } => WitKind::Reaction(ReactionDetails {
                    message_id: *message,
                    emoji: emoji.clone(),
                }),
                Work::Voice { seconds } => WitKind::Voice(VoiceDetails { seconds: *seconds }),
                Work::Command { name } => WitKind::Command(CommandDetails { name: name.clone() }),
            },
        }
    }
}

/// A member's stored stats (zeros for a member never seen).
pub fn stats(row: Option<&levels::Model>) -> MemberStats {
    match row {
        Some(m) => MemberStats {
            xp: m.xp,
            level: u32::try_from(m.level).unwrap_or(0),
            messages: m.messages,
            voice_time_seconds: m.voice_time_seconds,
            total_messages: m.total_messages,
            total_reactions: m.total_reactions,
            commands_used: m.commands_used,
            last_message_time: m.last_message_time.map(ms),
        },
        None => MemberStats::default(),
    }
}

pub fn cycle_name(cycle: Cycle) -> &'static str {
    match cycle {
        Cycle::Daily => "daily",
        Cycle::Weekly => "weekly",
        Cycle::Monthly => "monthly",
        Cycle::Once => "once",
    }
}

pub fn parse_cycle(name: &str) -> Cycle {
    match name {
        "daily" => Cycle::Daily,
        "weekly" => Cycle::Weekly,
        "monthly" => Cycle::Monthly,
        _ => Cycle::Once,
    }
}

pub fn wit_cycle(cycle: Cycle) -> RefreshCycle {
    match cycle {
        Cycle::Daily => RefreshCycle::Daily,
        Cycle::Weekly => RefreshCycle::Weekly,
        Cycle::Monthly => RefreshCycle::Monthly,
        Cycle::Once => RefreshCycle::Once,
    }
}

pub fn category_name(c: QuestCategory) -> &'static str {
    match c {
        QuestCategory::Daily => "daily",
        QuestCategory::Weekly => "weekly",
        QuestCategory::Special => "special",
        QuestCategory::Event => "event",
        QuestCategory::Challenge => "challenge",
    }
}

fn parse_category(name: &str) -> QuestCategory {
    match name {
        "daily" => QuestCategory::Daily,
        "weekly" => QuestCategory::Weekly,
        "event" => QuestCategory::Event,
        "challenge" => QuestCategory::Challenge,
        _ => QuestCategory::Special,
    }
}

pub fn difficulty_name(d: Difficulty) -> &'static str {
    match d {
        Difficulty::Easy => "easy",
        Difficulty::Medium => "medium",
        Difficulty::Hard => "hard",
    }
}

fn parse_difficulty(name: &str) -> Difficulty {
    match name {
        "easy" => Difficulty::Easy,
        "hard" => Difficulty::Hard,
        _ => Difficulty::Medium,
    }
}

/// A stored quest as the plugin sees it; `requirement_type` is the plugin's own name for it
/// (without the host's `plugin:<name>:` prefix).
pub fn quest_def(
    q: &quests::Model,
    requirement_type: &str,
    expires_at: Option<DateTime<Utc>>,
) -> QuestDef {
    QuestDef {
        id: q.id,
        name: q.name.clone(),
        description: q.description.clone(),
        quest_type: parse_category(&q.quest_type),
        requirement_type: requirement_type.to_string(),
        requirement_value: q.requirement_value,
        reward_xp: q.reward_xp,
        reward_multiplier: q.reward_multiplier,
        refresh_cycle: wit_cycle(parse_cycle(&q.refresh_cycle)),
        difficulty: parse_difficulty(&q.difficulty),
        expires_at: expires_at.map(ms),
    }
}

/// A deterministic 64-bit mix (splitmix64), for seeds and template choice.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A stable hash of a string (FNV-1a), for seeding from guild ids.
pub fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
