//! [`GuildDirectory`] over Discord's REST API: a guild's channels and roles, fetched when an
//! admin command names one or a web page shows their names, and kept for 30 seconds so a busy
//! page does not ask Discord per view (checks ask again before refusing an id they do not
//! see, so a channel made a moment ago is never refused).

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use moka::future::Cache;
use serenity::all::{ChannelType, GuildId, UserId};
use serenity::http::Http;

use crate::commands::{ChannelKind, GuildChannel, GuildDirectory, GuildRole};

/// How long a guild's lists are kept.
const KEEP: Duration = Duration::from_secs(30);
/// Guilds whose lists are kept at once.
const GUILDS: u64 = 10_000;

/// Asks Discord, keeping answers for 30 seconds.
pub struct RestDirectory {
    http: Arc<Http>,
    channels: Cache<u64, Arc<Vec<GuildChannel>>>,
    roles: Cache<u64, Arc<Vec<GuildRole>>>,
}

impl RestDirectory {
    pub fn new(http: Arc<Http>) -> Self {
        Self {
            http,
            channels: kept(),
            roles: kept(),
        }
    }
}

/// A guild's list, kept for [`KEEP`].
fn kept<T: Send + Sync + 'static>() -> Cache<u64, Arc<Vec<T>>> {
    Cache::builder()
        .max_capacity(GUILDS)
        .time_to_live(KEEP)
        .build()
}

fn reason(e: serenity::Error) -> String {
    match super::http::status(&e) {
        Some(403) => "the bot may not see this server's channels or roles".to_string(),
        Some(code) => format!("Discord answered HTTP {code}"),
        None => e.to_string(),
    }
}

fn kind(t: ChannelType) -> ChannelKind {
    match t {
        ChannelType::Text | ChannelType::News => ChannelKind::Text,
        ChannelType::Voice | ChannelType::Stage => ChannelKind::Voice,
        _ => ChannelKind::Other,
    }
}

impl GuildDirectory for RestDirectory {
    fn channels(&self, guild: u64) -> BoxFuture<'_, Result<Vec<GuildChannel>, String>> {
        Box::pin(async move {
            let fetch = async {
                let mut list = self
                    .http
                    .get_channels(GuildId::new(guild))
                    .await
                    .map_err(reason)?;
                list.sort_by_key(|c| (c.position, c.id));
                let list = list
                    .iter()
                    .map(|c| GuildChannel {
                        id: c.id.get(),
                        name: c.name.clone(),
                        kind: kind(c.kind),
                    })
                    .collect();
                Ok::<_, String>(Arc::new(list))
            };
            let list = self
                .channels
                .try_get_with(guild, fetch)
                .await
                .map_err(|e| e.to_string())?;
            Ok(list.as_ref().clone())
        })
    }

    fn roles(&self, guild: u64) -> BoxFuture<'_, Result<Vec<GuildRole>, String>> {
        Box::pin(async move {
            let fetch = async {
                let mut list = self
                    .http
                    .get_guild_roles(GuildId::new(guild))
                    .await
                    .map_err(reason)?;
                list.sort_by_key(|r| (std::cmp::Reverse(r.position), r.id));
                let list = list
                    .iter()
                    .map(|r| GuildRole {
                        id: r.id.get(),
                        name: r.name.clone(),
                        assignable: r.id.get() != guild && !r.managed,
                    })
                    .collect();
                Ok::<_, String>(Arc::new(list))
            };
            let list = self
                .roles
                .try_get_with(guild, fetch)
                .await
                .map_err(|e| e.to_string())?;
            Ok(list.as_ref().clone())
        })
    }

    fn member_roles(
        &self,
        guild: u64,
        user: u64,
    ) -> BoxFuture<'_, Result<Option<Vec<u64>>, String>> {
        Box::pin(async move {
            match self
                .http
                .get_member(GuildId::new(guild), UserId::new(user))
                .await
            {
                Ok(m) => Ok(Some(m.roles.iter().map(|r| r.get()).collect())),
                Err(e) if super::http::status(&e) == Some(404) => Ok(None),
                Err(e) => Err(reason(e)),
            }
        })
    }

    fn forget(&self, guild: u64) -> BoxFuture<'_, ()> {
        // Both: a page that shows one usually shows the other.
        Box::pin(async move {
            self.channels.invalidate(&guild).await;
            self.roles.invalidate(&guild).await;
        })
    }
}
