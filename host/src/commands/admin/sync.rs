//! `/sync [member]`: reward roles re-applied from stored levels, for one member at once or
//! for every member a reward concerns in the background (`/sync` again shows how far it
//! got). What to change is the engine's rule ([`crate::engine::role_sync`]); the changes go
//! out through the outbox within Discord's rate limits, and roles that are not rewards are
//! never touched.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::commands::types::{CommandError, Reply, Request};
use crate::commands::{Commands, GuildDirectory};
use crate::engine::Effect;

/// How far a guild's `/sync` got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncProgress {
    /// Members a reward concerns.
    pub total: usize,
    pub checked: usize,
    /// Roles queued to be given or taken away.
    pub changes: usize,
    /// Members who left the server (nothing to fix).
    pub gone: usize,
    /// Members Discord could not be asked about.
    pub failed: usize,
    pub done: bool,
}

impl SyncProgress {
    fn text(&self) -> String {
        let state = if self.done { "Done" } else { "Syncing" };
        let mut out = format!(
            "{state}: {} of {} members checked, {} role changes queued",
            self.checked, self.total, self.changes
        );
        if self.gone > 0 {
            out.push_str(&format!(", {} no longer on the server", self.gone));
        }
        if self.failed > 0 {
            out.push_str(&format!(
                ", {} could not be checked (run /sync again later)",
                self.failed
            ));
        }
        out.push('.');
        out
    }
}

/// Each guild's running or last `/sync`.
pub type SyncJobs = Arc<Mutex<HashMap<u64, SyncProgress>>>;

fn jobs(c: &Commands) -> std::sync::MutexGuard<'_, HashMap<u64, SyncProgress>> {
    c.syncs.lock().unwrap_or_else(|p| p.into_inner())
}

/// Where members' roles are read; only a front connected to Discord has one.
fn directory(c: &Commands) -> Result<&Arc<dyn GuildDirectory>, CommandError> {
    c.directory.as_ref().ok_or_else(|| {
        CommandError::Usage(
            "/sync compares members' roles on Discord with their levels, so it needs the bot connected to Discord".into(),
        )
    })
}

/// Queues the fixes for one member; `None` when they are no longer on the server.
async fn fix(c: &Commands, guild: u64, user: u64) -> Result<Option<Vec<Effect>>, CommandError> {
    let Some(held) = directory(c)?.member_roles(guild, user).await.map_err(|e| {
        CommandError::Usage(format!(
            "could not read the member's roles from Discord ({e}); nothing was changed, try again"
        ))
    })?
    else {
        return Ok(None);
    };
    let engine = c.engine.get().await;
    let engine = engine.as_ref().ok_or(CommandError::Closed)?;
    let effects = engine.pipeline().role_fixes(guild, user, &held).await?;
    engine.pipeline().queue_effects(effects.clone()).await?;
    Ok(Some(effects))
}

fn describe(effects: &[Effect]) -> String {
    let list = |add: bool| {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::RoleAdd { role, .. } if add => Some(format!("<@&{role}>")),
                Effect::RoleRemove { role, .. } if !add => Some(format!("<@&{role}>")),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let (added, removed) = (list(true), list(false));
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("giving {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("taking away {}", removed.join(", ")));
    }
    parts.join(" and ")
}

pub(super) async fn run(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let guild = req.guild;
    if let Some(user) = req.user("member") {
        return Ok(Reply::private(match fix(c, guild, user).await? {
            None => format!("<@{user}> is not on this server; nothing to sync."),
            Some(e) if e.is_empty() => {
                format!("<@{user}>'s reward roles already match their level.")
            }
            Some(e) => format!(
                "<@{user}>: {} (sent within Discord's rate limits).",
                describe(&e)
            ),
        }));
    }
    let last = match jobs(c).get(&guild) {
        Some(p) if !p.done => return Ok(Reply::private(p.text())),
        Some(p) => format!(" Last run: {}", p.text()),
        None => String::new(),
    };
    directory(c)?;
    let rewards = c.db.list_level_roles(guild).await?;
    let Some(lowest) = rewards.iter().map(|r| r.level).min() else {
        return Ok(Reply::private(
            "This server gives no roles for levels (see /level-roles add); nothing to sync.",
        ));
    };
    let members = c.db.members_at_level(guild, lowest).await?;
    let total = members.len();
    jobs(c).insert(
        guild,
        SyncProgress {
            total,
            ..SyncProgress::default()
        },
    );
    let commands = c.clone();
    tokio::spawn(async move {
        for (user, _) in members {
            let result = fix(&commands, guild, user).await;
            let mut all = jobs(&commands);
            let p = all.entry(guild).or_default();
            p.checked += 1;
            match result {
                Ok(Some(e)) => p.changes += e.len(),
                Ok(None) => p.gone += 1,
                Err(CommandError::Closed) => break,
                Err(e) => {
                    p.failed += 1;
                    tracing::warn!(guild, user, error = %e, "/sync: member not checked");
                }
            }
        }
        let mut all = jobs(&commands);
        let p = all.entry(guild).or_default();
        p.done = true;
        tracing::info!(
            guild,
            checked = p.checked,
            changes = p.changes,
            failed = p.failed,
            "/sync finished"
        );
    });
    Ok(Reply::private(format!(
        "Syncing the reward roles of {total} members at level {lowest} or above in the background; changes go out within Discord's rate limits. Run /sync again to see how far it got.{last}"
    )))
}
