//! What exists in a guild, as far as commands and pages need to know: the channels and roles
//! that `/config set` and `/level-roles add` are given, so a typo'd or deleted id is refused
//! with a clear error instead of stored and silently failing later (no level-up messages, no
//! rewards), and their names, so the web pages can show `#level-ups` instead of an id.
//!
//! The front answers through [`GuildDirectory`] (Discord: a REST fetch of the guild's
//! channels or roles, kept for a short while). Without a directory (no front that knows the
//! guild) ids are taken as given and shown as ids.

use futures::future::BoxFuture;

use super::Commands;
use super::types::CommandError;

/// What a channel is for, as far as settings care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// Where messages can be sent (text and announcement channels).
    Text,
    /// Voice and stage channels.
    Voice,
    /// Categories, forums and anything else.
    Other,
}

/// One of a guild's channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuildChannel {
    pub id: u64,
    pub name: String,
    pub kind: ChannelKind,
}

/// One of a guild's roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuildRole {
    pub id: u64,
    pub name: String,
    /// Whether a bot could give it: not `@everyone` and not managed by an integration.
    pub assignable: bool,
}

/// The channels and roles of a guild, asked when needed. Answers may be a few seconds old;
/// [`GuildDirectory::forget`] drops what is kept so the next answer is fresh.
pub trait GuildDirectory: Send + Sync {
    /// The guild's channels (threads excluded), in Discord's order, or a plain-words reason.
    fn channels(&self, guild: u64) -> BoxFuture<'_, Result<Vec<GuildChannel>, String>>;
    /// The guild's roles (including `@everyone`), highest first, or a plain-words reason.
    fn roles(&self, guild: u64) -> BoxFuture<'_, Result<Vec<GuildRole>, String>>;
    /// The roles `user` holds in `guild` now, asked fresh (never kept: `/sync` compares them
    /// with what the member should hold); `None` when they are not a member.
    fn member_roles(
        &self,
        guild: u64,
        user: u64,
    ) -> BoxFuture<'_, Result<Option<Vec<u64>>, String>>;
    /// Forgets what is kept about `guild` (a channel or role made a moment ago is then seen).
    fn forget(&self, _guild: u64) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// Refuses `channel` unless it is one of the guild's channels.
pub async fn check_channel(
    c: &Commands,
    guild: u64,
    channel: u64,
    setting: &str,
) -> Result<(), CommandError> {
    let Some(dir) = &c.directory else {
        return Ok(());
    };
    let found = |list: &[GuildChannel]| list.iter().any(|ch| ch.id == channel);
    let unreachable = |e: String| {
        CommandError::Usage(format!(
            "could not check the channel with Discord ({e}); nothing was changed, try again"
        ))
    };
    if found(&dir.channels(guild).await.map_err(unreachable)?) {
        return Ok(());
    }
    // Perhaps made since the list was kept: ask again before refusing.
    dir.forget(guild).await;
    if found(&dir.channels(guild).await.map_err(unreachable)?) {
        Ok(())
    } else {
        Err(CommandError::Usage(format!(
            "channel {channel} is not a channel of this server, so `{setting}` was not changed: pick it with #channel-name (or copy its id with Developer Mode)"
        )))
    }
}

/// Refuses `role` unless it is one of the guild's roles.
pub async fn check_role(c: &Commands, guild: u64, role: u64) -> Result<(), CommandError> {
    let Some(dir) = &c.directory else {
        return Ok(());
    };
    let found = |list: &[GuildRole]| list.iter().any(|r| r.id == role);
    let unreachable = |e: String| {
        CommandError::Usage(format!(
            "could not check the role with Discord ({e}); nothing was changed, try again"
        ))
    };
    if found(&dir.roles(guild).await.map_err(unreachable)?) {
        return Ok(());
    }
    dir.forget(guild).await;
    if found(&dir.roles(guild).await.map_err(unreachable)?) {
        Ok(())
    } else {
        Err(CommandError::Usage(format!(
            "role {role} is not a role of this server (deleted?): pick one with @role-name"
        )))
    }
}
