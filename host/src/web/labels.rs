//! What a page calls a guild's channels and roles: Discord's names (`#level-ups`,
//! `@Regular`) from the commands' [`GuildDirectory`], so no visitor reads a bare id.
//!
//! Names are a nicety: when the front has no directory (the console) or Discord cannot be
//! asked, pages fall back to ids and forms to plain id fields, and nothing fails.

use std::sync::Arc;

use crate::commands::{ChannelKind, Commands, GuildChannel, GuildDirectory, GuildRole};

/// A guild's channels and roles, each `None` when unknown.
#[derive(Debug, Default, Clone)]
pub struct GuildLabels {
    pub channels: Option<Vec<GuildChannel>>,
    pub roles: Option<Vec<GuildRole>>,
}

/// The list, or `None` after logging why Discord's names are unavailable.
fn known<T>(guild: u64, what: &str, r: Result<Vec<T>, String>) -> Option<Vec<T>> {
    r.inspect_err(|e| {
        tracing::warn!(guild, error = %e, "web page shows {what} ids: Discord's names are unavailable");
    })
    .ok()
}

impl GuildLabels {
    /// Asks `commands`' directory (kept answers are reused; see `RestDirectory`).
    pub async fn load(commands: Option<&Commands>, guild: u64) -> Self {
        let Some(dir) = commands.and_then(|c| c.directory.clone()) else {
            return Self::default();
        };
        Self::ask(&dir, guild).await
    }

    async fn ask(dir: &Arc<dyn GuildDirectory>, guild: u64) -> Self {
        let (channels, roles) = tokio::join!(dir.channels(guild), dir.roles(guild));
        Self {
            channels: known(guild, "channel", channels),
            roles: known(guild, "role", roles),
        }
    }

    pub fn channel(&self, id: u64) -> Option<&str> {
        self.channels
            .as_ref()?
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.as_str())
    }

    pub fn role(&self, id: u64) -> Option<&str> {
        self.roles
            .as_ref()?
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.as_str())
    }

    /// The channels of `kind`, when known.
    pub fn channels_of(&self, kind: ChannelKind) -> Option<Vec<&GuildChannel>> {
        Some(
            self.channels
                .as_ref()?
                .iter()
                .filter(|c| c.kind == kind)
                .collect(),
        )
    }

    /// The roles the bot could give, when known.
    pub fn assignable_roles(&self) -> Option<Vec<&GuildRole>> {
        Some(
            self.roles
                .as_ref()?
                .iter()
                .filter(|r| r.assignable)
                .collect(),
        )
    }

    /// `#name` for a channel, or `channel <id>` when its name is unknown.
    pub fn channel_text(&self, id: u64) -> String {
        self.channel(id)
            .map_or_else(|| format!("channel {id}"), |n| format!("#{n}"))
    }

    /// `@name` for a role, or `role <id>` when its name is unknown.
    pub fn role_text(&self, id: u64) -> String {
        self.role(id)
            .map_or_else(|| format!("role {id}"), |n| format!("@{n}"))
    }
}
