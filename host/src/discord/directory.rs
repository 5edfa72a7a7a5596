//! [`GuildDirectory`] over Discord's REST API: a guild's channels and roles fetched when an
//! admin command names one (rare, so no cache to keep in step with channel and role events).

use std::sync::Arc;

use futures::future::BoxFuture;
use serenity::all::GuildId;
use serenity::http::Http;

use crate::commands::GuildDirectory;

/// Asks Discord.
pub struct RestDirectory {
    http: Arc<Http>,
}

impl RestDirectory {
    pub fn new(http: Arc<Http>) -> Self {
        Self { http }
    }
}

fn reason(e: serenity::Error) -> String {
    match super::http::status(&e) {
        Some(403) => "the bot may not see this server's channels or roles".to_string(),
        Some(code) => format!("Discord answered HTTP {code}"),
        None => e.to_string(),
    }
}

impl GuildDirectory for RestDirectory {
    fn channels(&self, guild: u64) -> BoxFuture<'_, Result<Vec<u64>, String>> {
        Box::pin(async move {
            let list = self
                .http
                .get_channels(GuildId::new(guild))
                .await
                .map_err(reason)?;
            Ok(list.iter().map(|c| c.id.get()).collect())
        })
    }

    fn roles(&self, guild: u64) -> BoxFuture<'_, Result<Vec<u64>, String>> {
        Box::pin(async move {
            let list = self
                .http
                .get_guild_roles(GuildId::new(guild))
                .await
                .map_err(reason)?;
            Ok(list.iter().map(|r| r.id.get()).collect())
        })
    }
}
