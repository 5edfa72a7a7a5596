//! The contract's data types, re-exported from the generated bindings under stable paths.
//!
//! WHY re-export: the generated module tree (`bindings::base::questline::plugin::types`) is
//! an implementation detail that changes with wit-bindgen; plugin code names these instead.

pub use crate::bindings::achievement_check::exports::questline::plugin::achievement_check::CheckInput;
pub use crate::bindings::base::exports::questline::plugin::metadata::{
    Capability, CapabilityUse, PluginInfo,
};
pub use crate::bindings::base::questline::plugin::kv::KvError as HostKvError;
pub use crate::bindings::base::questline::plugin::log::Level;
pub use crate::bindings::base::questline::plugin::types::{
    AchievementDef, AchievementTemplate, Activity, ActivityKind, CardData, CommandDetails,
    CommandInvocation, CommandOption, CommandSpec, Difficulty, Embed, EmbedField, Intent,
    MemberStats, MessageDetails, OptionKind, OptionValue, PluginKind, QuestCategory, QuestDef,
    QuestProgress, QuestTemplate, ReactionDetails, RefreshCycle, Reply, Snowflake, Timestamp,
    VoiceDetails, XpGrant,
};
pub use crate::bindings::quest_type::exports::questline::plugin::quest_type::{
    MemberRun, ProgressOutcome, ProgressStep,
};
pub use crate::bindings::xp_formula::exports::questline::plugin::xp_formula::XpContext;

/// One activity offered to one quest: what [`QuestType::progress_one`](crate::QuestType::progress_one)
/// sees.
///
/// WHY borrowed: the contract sends a member's activities and the guild's quests once per
/// batch ([`MemberRun`]); the SDK folds them one activity and one quest at a time without
/// copying either.
#[derive(Debug, Clone, Copy)]
pub struct ProgressInput<'a> {
    /// The quest.
    pub quest: &'a QuestDef,
    /// Progress so far (zeros when the member has none yet).
    pub current: QuestProgress,
    /// What the member did.
    pub activity: &'a Activity,
    /// The member's stats after this activity's counters were applied.
    pub stats: &'a MemberStats,
}

impl Default for MemberStats {
    /// A member with no activity yet.
    fn default() -> Self {
        MemberStats {
            xp: 0,
            level: 0,
            messages: 0,
            voice_time_seconds: 0,
            total_messages: 0,
            total_reactions: 0,
            commands_used: 0,
            last_message_time: None,
        }
    }
}

impl Default for QuestProgress {
    /// No progress, not completed (what the host sends for a quest the member has not started).
    fn default() -> Self {
        QuestProgress {
            progress: 0,
            quest_specific_progress: 0,
            completed: false,
        }
    }
}

impl Activity {
    /// An activity with no roles and no parent channel; handy in tests and simulations.
    pub fn new(
        guild: Snowflake,
        channel: Snowflake,
        user: Snowflake,
        at: Timestamp,
        kind: ActivityKind,
    ) -> Self {
        Activity {
            guild,
            channel,
            parent_channel: None,
            user,
            roles: Vec::new(),
            at,
            kind,
        }
    }

    /// A message of `length` characters.
    pub fn message(
        guild: Snowflake,
        channel: Snowflake,
        user: Snowflake,
        at: Timestamp,
        length: u32,
    ) -> Self {
        Self::new(
            guild,
            channel,
            user,
            at,
            ActivityKind::Message(MessageDetails {
                message_id: 0,
                length,
            }),
        )
    }

    /// `seconds` of eligible voice time.
    pub fn voice(
        guild: Snowflake,
        channel: Snowflake,
        user: Snowflake,
        at: Timestamp,
        seconds: u32,
    ) -> Self {
        Self::new(
            guild,
            channel,
            user,
            at,
            ActivityKind::Voice(VoiceDetails { seconds }),
        )
    }

    /// A reaction with `emoji`.
    pub fn reaction(
        guild: Snowflake,
        channel: Snowflake,
        user: Snowflake,
        at: Timestamp,
        emoji: &str,
    ) -> Self {
        Self::new(
            guild,
            channel,
            user,
            at,
            ActivityKind::Reaction(ReactionDetails {
                message_id: 0,
                emoji: emoji.to_string(),
            }),
        )
    }

    /// A use of the slash command `name`.
    pub fn command(
        guild: Snowflake,
        channel: Snowflake,
        user: Snowflake,
        at: Timestamp,
        name: &str,
    ) -> Self {
        Self::new(
            guild,
            channel,
            user,
            at,
            ActivityKind::Command(CommandDetails {
                name: name.to_string(),
            }),
        )
    }

    /// The same activity with these roles.
    pub fn with_roles(mut self, roles: Vec<Snowflake>) -> Self {
        self.roles = roles;
        self
    }

    /// The same activity with this parent channel (thread's channel or channel's category).
    pub fn with_parent(mut self, parent: Snowflake) -> Self {
        self.parent_channel = Some(parent);
        self
    }
}

impl PluginKind {
    /// The kind's name as the host and WIT spell it (`xp-formula`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::XpFormula => "xp-formula",
            PluginKind::QuestType => "quest-type",
            PluginKind::AchievementCheck => "achievement-check",
            PluginKind::CardStyle => "card-style",
            PluginKind::Commands => "commands",
        }
    }
}

impl RefreshCycle {
    /// Every cycle, in order.
    pub const ALL: [RefreshCycle; 4] = [
        RefreshCycle::Daily,
        RefreshCycle::Weekly,
        RefreshCycle::Monthly,
        RefreshCycle::Once,
    ];
}

impl Difficulty {
    /// Every difficulty, easiest first.
    pub const ALL: [Difficulty; 3] = [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard];
}
