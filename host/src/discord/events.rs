//! Gateway events → engine activities, and slash commands → [`super::interactions`].
//!
//! What earns nothing: bots (including this one), webhooks, system messages, and anything
//! outside a guild (DMs). Everything else is submitted to the engine, which waits when its
//! queue is full, so a flood slows the gateway down instead of losing activity.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use serenity::all::{
    Context, EventHandler, Guild, GuildId, Interaction, Member, Message, MessageType, Reaction,
    ReactionType, Ready, User, VoiceState,
};

use super::profiles::ProfileBook;
use super::voice::{VoiceSnapshot, VoiceStates};
use crate::commands::{Commands, SharedEngine};
use crate::db::Away;
use crate::engine::{Activity, ActivityKind};

/// Shared by the event handler and the bot.
pub struct FrontState {
    pub engine: SharedEngine,
    pub commands: Commands,
    /// Cleared at shutdown: events after that are ignored (not acknowledged work).
    pub accepting: AtomicBool,
    /// Guild → (name, owner), from GUILD_CREATE.
    guilds: std::sync::RwLock<HashMap<u64, (String, u64)>>,
    /// Channel → parent (a thread's channel, a channel's category), for multipliers.
    parents: std::sync::RwLock<HashMap<u64, u64>>,
    voice: std::sync::Mutex<VoiceStates>,
    /// Whether message content is expected (MESSAGE_CONTENT intent asked for).
    pub message_content: bool,
    /// Members' names and avatars for the web pages.
    pub profiles: ProfileBook,
    /// Whether members joining and leaving are seen (GUILD_MEMBERS intent asked for).
    pub members_intent: bool,
}

impl FrontState {
    pub fn new(engine: SharedEngine, commands: Commands, message_content: bool) -> Self {
        Self {
            engine,
            commands,
            accepting: AtomicBool::new(true),
            guilds: Default::default(),
            parents: Default::default(),
            voice: Default::default(),
            message_content,
            profiles: ProfileBook::default(),
            members_intent: false,
        }
    }

    /// Members joining and leaving are seen (the GUILD_MEMBERS intent is asked for).
    pub fn seeing_members(mut self, on: bool) -> Self {
        self.members_intent = on;
        self
    }

    /// Records that a member left, was banned or unbanned, or came back; logged, never
    /// fatal (the next event about them corrects it).
    async fn mark_away(&self, guild: u64, user: u64, change: Away) {
        match self.commands.db.mark_away(guild, user, change).await {
            Ok(changed) => tracing::debug!(guild, user, ?change, changed, "member presence"),
            Err(e) => {
                tracing::warn!(guild, user, ?change, error = %e, "member presence not recorded")
            }
        }
    }

    pub fn guild_name(&self, guild: u64) -> Option<String> {
        self.guilds
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&guild)
            .map(|(name, _)| name.clone())
    }

    /// The guild's owner, who manages it whatever their roles.
    pub fn guild_owner(&self, guild: u64) -> Option<u64> {
        self.guilds
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&guild)
            .map(|(_, owner)| *owner)
    }

    fn parent(&self, channel: u64) -> Option<u64> {
        self.parents
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&channel)
            .copied()
    }

    /// Submits an activity unless shutting down. Returns whether the engine took it.
    pub async fn submit(&self, mut activity: Activity) -> bool {
        if !self.accepting.load(Ordering::Acquire) {
            return false;
        }
        if activity.guild_name.is_none() {
            activity.guild_name = self.guild_name(activity.guild);
        }
        if activity.parent_channel.is_none() {
            activity.parent_channel = self.parent(activity.channel);
        }
        let engine = self.engine.get().await;
        let Some(engine) = engine.as_ref() else {
            return false;
        };
        match engine.submit(activity).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "activity not submitted");
                false
            }
        }
    }

    fn voice_changes(
        &self,
        guild: u64,
        user: u64,
        snap: VoiceSnapshot,
    ) -> Vec<crate::engine::VoiceChange> {
        self.voice
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .update(guild, user, snap)
    }
}

/// The web pages show the guilds the bot is in, named as the gateway says.
impl crate::web::server::GuildNames for FrontState {
    fn guild_name(&self, guild: u64) -> Option<String> {
        FrontState::guild_name(self, guild)
    }
}

/// serenity's handler; the state is shared with [`super::Bot`].
pub struct Handler {
    pub state: Arc<FrontState>,
    /// Shards connected, for `/healthz`.
    pub gateway: questline_metrics::GatewayStatus,
}

fn time_of(ts: &serenity::model::Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp(ts.unix_timestamp(), 0).unwrap_or_else(Utc::now)
}

fn emoji_key(e: &ReactionType) -> String {
    match e {
        ReactionType::Unicode(s) => s.clone(),
        ReactionType::Custom { id, .. } => id.get().to_string(),
        other => other.to_string(),
    }
}

fn voice_snapshot(v: &VoiceState) -> VoiceSnapshot {
    VoiceSnapshot {
        channel: v.channel_id.map(|c| c.get()),
        muted: v.mute || v.self_mute,
        deafened: v.deaf || v.self_deaf,
    }
}

impl Handler {
    async fn voice(&self, v: &VoiceState) {
        let Some(guild) = v.guild_id else { return };
        if v.member.as_ref().is_some_and(|m| m.user.bot) {
            return;
        }
        let (guild, user) = (guild.get(), v.user_id.get());
        let snap = voice_snapshot(v);
        let channel = snap.channel.unwrap_or(0);
        let roles: Vec<u64> = v
            .member
            .as_ref()
            .map(|m| m.roles.iter().map(|r| r.get()).collect())
            .unwrap_or_default();
        let name = v.member.as_ref().map(|m| m.display_name().to_string());
        if let (Some(m), Some(name)) = (&v.member, &name) {
            let avatar = m.user.avatar.map(|h| h.to_string());
            self.state
                .profiles
                .note(guild, user, name, avatar.as_deref());
        }
        for change in self.state.voice_changes(guild, user, snap) {
            let mut a = Activity::new(
                guild,
                channel,
                user,
                Utc::now(),
                ActivityKind::Voice(change),
            )
            .with_roles(roles.clone());
            a.user_name = name.clone();
            self.state.submit(a).await;
        }
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        self.gateway
            .shard_connected(ready.shard.map_or(0, |s| s.id.0));
        tracing::info!(
            user = %ready.user.name,
            guilds = ready.guilds.len(),
            shard = ?ready.shard.map(|s| s.id.0),
            "connected to Discord"
        );
    }

    /// Keeps `/healthz`'s gateway check true to each shard's connection.
    async fn shard_stage_update(
        &self,
        _ctx: Context,
        event: serenity::gateway::ShardStageUpdateEvent,
    ) {
        use serenity::gateway::ConnectionStage;
        match event.new {
            ConnectionStage::Connected => self.gateway.shard_connected(event.shard_id.0),
            _ => self.gateway.shard_disconnected(event.shard_id.0),
        }
    }

    async fn guild_create(&self, _ctx: Context, guild: Guild, _is_new: Option<bool>) {
        let id = guild.id.get();
        self.state
            .guilds
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, (guild.name.clone(), guild.owner_id.get()));
        {
            let mut parents = self
                .state
                .parents
                .write()
                .unwrap_or_else(|p| p.into_inner());
            for c in guild.channels.values().chain(guild.threads.iter()) {
                if let Some(p) = c.parent_id {
                    parents.insert(c.id.get(), p.get());
                }
            }
        }
        // Quests for this guild (first generation, or resets missed while the bot was down).
        {
            let engine = self.state.engine.get().await;
            if let Some(engine) = engine.as_ref()
                && let Err(e) = engine.pipeline().ensure_guild(id).await
            {
                tracing::warn!(guild = id, error = %e, "quest check failed; retried with the next activity");
            }
        }
        // Members already in voice when we connect start their sessions now.
        for v in guild.voice_states.values() {
            let mut v = v.clone();
            v.guild_id.get_or_insert(guild.id);
            self.voice(&v).await;
        }
        tracing::info!(guild = id, name = %guild.name, "guild available");
    }

    async fn message(&self, _ctx: Context, msg: Message) {
        let Some(guild) = msg.guild_id else { return };
        if msg.author.bot || msg.webhook_id.is_some() {
            return;
        }
        if !matches!(msg.kind, MessageType::Regular | MessageType::InlineReply) {
            return;
        }
        let length = u32::try_from(msg.content.chars().count()).unwrap_or(u32::MAX);
        let roles = msg
            .member
            .as_ref()
            .map(|m| m.roles.iter().map(|r| r.get()).collect())
            .unwrap_or_default();
        let name = msg
            .member
            .as_ref()
            .and_then(|m| m.nick.clone())
            .or_else(|| msg.author.global_name.clone())
            .unwrap_or_else(|| msg.author.name.clone());
        let avatar = msg.author.avatar.map(|h| h.to_string());
        self.state
            .profiles
            .note(guild.get(), msg.author.id.get(), &name, avatar.as_deref());
        let a = Activity::message(
            guild.get(),
            msg.channel_id.get(),
            msg.author.id.get(),
            msg.id.get(),
            length,
            time_of(&msg.timestamp),
        )
        .named(name)
        .with_roles(roles);
        self.state.submit(a).await;
    }

    async fn reaction_add(&self, _ctx: Context, r: Reaction) {
        let (Some(guild), Some(user)) = (r.guild_id, r.user_id) else {
            return;
        };
        if r.member.as_ref().is_some_and(|m| m.user.bot) {
            return;
        }
        let mut a = Activity::new(
            guild.get(),
            r.channel_id.get(),
            user.get(),
            Utc::now(),
            ActivityKind::Reaction {
                message: r.message_id.get(),
                emoji: emoji_key(&r.emoji),
            },
        );
        if let Some(m) = &r.member {
            a.roles = m.roles.iter().map(|r| r.get()).collect();
            a.user_name = Some(m.display_name().to_string());
            let avatar = m.user.avatar.map(|h| h.to_string());
            self.state
                .profiles
                .note(guild.get(), user.get(), m.display_name(), avatar.as_deref());
        }
        self.state.submit(a).await;
    }

    /// A member left (or was kicked or banned). Only arrives with the privileged
    /// GUILD_MEMBERS intent (`[discord] members_intent`). When the guild turned on
    /// `reset_on_leave`, the member's leveling data there is erased like a privacy deletion
    /// (levels, quest progress, achievements, card, XP changes made to them), in one
    /// transaction; rejoining starts from zero. Otherwise they are off the leaderboards until
    /// they return.
    async fn guild_member_removal(
        &self,
        _ctx: Context,
        guild: GuildId,
        user: User,
        _member: Option<Member>,
    ) {
        if user.bot || !self.state.accepting.load(Ordering::Acquire) {
            return;
        }
        let (gid, uid) = (guild.get(), user.id.get());
        let db = &self.state.commands.db;
        self.state.profiles.forget(gid, uid);
        match db.get_server_config(gid).await {
            Ok(cfg) if cfg.reset_on_leave => match db.delete_member_data(gid, uid).await {
                Ok(d) => {
                    tracing::info!(guild = %gid, user = %uid, rows = d.total(), "member left; data reset (reset_on_leave)")
                }
                Err(e) => {
                    tracing::warn!(guild = %gid, user = %uid, error = %e, "member left but their data could not be reset")
                }
            },
            Ok(_) => self.state.mark_away(gid, uid, Away::Left).await,
            Err(e) => {
                tracing::warn!(guild = %gid, user = %uid, error = %e, "member left; reset_on_leave setting unreadable");
                self.state.mark_away(gid, uid, Away::Left).await;
            }
        }
    }

    /// A member joined (with the members intent): one who had left is on the boards again.
    async fn guild_member_addition(&self, _ctx: Context, member: Member) {
        if member.user.bot || !self.state.accepting.load(Ordering::Acquire) {
            return;
        }
        self.state
            .mark_away(member.guild_id.get(), member.user.id.get(), Away::Returned)
            .await;
    }

    /// A member was banned (GUILD_BAN_ADD, a non-privileged intent): off the leaderboards
    /// until the ban is lifted; their data stays.
    async fn guild_ban_addition(&self, _ctx: Context, guild: GuildId, user: User) {
        if user.bot || !self.state.accepting.load(Ordering::Acquire) {
            return;
        }
        self.state
            .mark_away(guild.get(), user.id.get(), Away::Banned)
            .await;
    }

    /// A ban was lifted: back on the boards, or (when joins are seen) once they rejoin.
    async fn guild_ban_removal(&self, _ctx: Context, guild: GuildId, user: User) {
        if user.bot || !self.state.accepting.load(Ordering::Acquire) {
            return;
        }
        let must_rejoin = self.state.members_intent;
        self.state
            .mark_away(guild.get(), user.id.get(), Away::Unbanned { must_rejoin })
            .await;
    }

    async fn voice_state_update(&self, _ctx: Context, _old: Option<VoiceState>, new: VoiceState) {
        self.voice(&new).await;
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(cmd) => {
                if !self.state.accepting.load(Ordering::Acquire) {
                    super::interactions::refuse_shutting_down(&ctx, &cmd).await;
                    return;
                }
                super::interactions::handle(&self.state, &ctx, cmd).await;
            }
            Interaction::Autocomplete(ac) => {
                super::interactions::autocomplete(&self.state, &ctx, ac).await;
            }
            _ => {}
        }
    }
}
