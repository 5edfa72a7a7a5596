//! Whether a member manages a guild *now*, asked of Discord with the bot's token: the web
//! dashboard checks this before every change (a login's claim may be a week old, and the
//! browser is never trusted with it). Owner, or Manage Server or Administrator through the
//! `@everyone` role or any of the member's roles.

use std::sync::Arc;

use futures::future::BoxFuture;
use serenity::all::{GuildId, UserId};
use serenity::http::Http;

use super::events::FrontState;
use crate::web::server::ManagerCheck;

/// Asks Discord (see the module docs).
pub struct LiveManagers {
    pub http: Arc<Http>,
    pub state: Arc<FrontState>,
}

impl ManagerCheck for LiveManagers {
    fn is_manager(&self, guild: u64, user: u64) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            if guild == 0 || user == 0 {
                return Ok(false);
            }
            if self.state.guild_owner(guild) == Some(user) {
                return Ok(true);
            }
            let member = match self
                .http
                .get_member(GuildId::new(guild), UserId::new(user))
                .await
            {
                Ok(m) => m,
                Err(e) if super::http::status(&e) == Some(404) => return Ok(false),
                Err(e) => {
                    return Err(format!(
                        "Discord did not answer who manages the server: {e}"
                    ));
                }
            };
            let roles = self
                .http
                .get_guild_roles(GuildId::new(guild))
                .await
                .map_err(|e| format!("Discord did not list the server's roles: {e}"))?;
            let perms = roles
                .iter()
                // `@everyone` has the guild's id.
                .filter(|r| r.id.get() == guild || member.roles.contains(&r.id))
                .fold(0u64, |acc, r| acc | r.permissions.bits());
            Ok(crate::commands::is_admin(perms))
        })
    }
}
