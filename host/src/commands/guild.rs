//! What exists in a guild, as far as commands need to know: the channels and roles that
//! `/config set` and `/level-roles add` are given, so a typo'd or deleted id is refused with
//! a clear error instead of stored and silently failing later (no level-up messages, no
//! rewards).
//!
//! The front answers through [`GuildDirectory`] (Discord: a REST fetch of the guild's
//! channels or roles). Without a directory (no front that knows the guild) ids are taken as
//! given.

use futures::future::BoxFuture;

use super::Commands;
use super::types::CommandError;

/// The channels and roles of a guild, asked when needed.
pub trait GuildDirectory: Send + Sync {
    /// Ids of the guild's channels (threads excluded), or a plain-words reason.
    fn channels(&self, guild: u64) -> BoxFuture<'_, Result<Vec<u64>, String>>;
    /// Ids of the guild's roles (including `@everyone`), or a plain-words reason.
    fn roles(&self, guild: u64) -> BoxFuture<'_, Result<Vec<u64>, String>>;
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
    let ids = dir.channels(guild).await.map_err(|e| {
        CommandError::Usage(format!(
            "could not check the channel with Discord ({e}); nothing was changed, try again"
        ))
    })?;
    if ids.contains(&channel) {
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
    let ids = dir.roles(guild).await.map_err(|e| {
        CommandError::Usage(format!(
            "could not check the role with Discord ({e}); nothing was changed, try again"
        ))
    })?;
    if ids.contains(&role) {
        Ok(())
    } else {
        Err(CommandError::Usage(format!(
            "role {role} is not a role of this server (deleted?): pick one with @role-name"
        )))
    }
}
