//! Manual XP changes (`/xp`, plugin XP grants), through one function so the commands do not
//! depend on how the engine applies them.
//!
//! INTERIM (until `Engine::adjust_xp` lands on main): applied with the repository's atomic
//! `award_xp` on the guild's curve and written to the audit log; reward roles are not
//! recomputed here yet.

use super::Commands;
use super::types::CommandError;
use crate::db::{NewAuditEntry, XpOutcome};
use crate::engine::plugin_cache::TableCurve;

/// Largest amount one change may add, remove or set.
pub const MAX_MANUAL_XP: i64 = 1_000_000_000;

/// What a moderator (or a plugin) asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XpChange {
    Add(i64),
    Remove(i64),
    Set(i64),
    Reset,
}

/// Applies `change` to `user` in `guild` on behalf of `actor`; returns the XP and levels
/// before and after.
pub async fn adjust(
    c: &Commands,
    guild: u64,
    user: u64,
    change: XpChange,
    actor: u64,
    reason: Option<String>,
) -> Result<XpOutcome, CommandError> {
    let bad = |v: i64, min: i64| {
        CommandError::Usage(format!(
            "amount must be a whole number from {min} to {MAX_MANUAL_XP}; {v} is not (to take XP away use /xp remove)"
        ))
    };
    let (gid, uid) = (guild.to_string(), user.to_string());
    let current = c.db.get_user_level(&gid, &uid).await?.map_or(0, |m| m.xp);
    let delta = match change {
        XpChange::Add(v) if (1..=MAX_MANUAL_XP).contains(&v) => v,
        XpChange::Remove(v) if (1..=MAX_MANUAL_XP).contains(&v) => -v,
        XpChange::Set(v) if (0..=MAX_MANUAL_XP).contains(&v) => v - current,
        XpChange::Reset => -current,
        XpChange::Add(v) | XpChange::Remove(v) => return Err(bad(v, 1)),
        XpChange::Set(v) => return Err(bad(v, 0)),
    };
    let cfg = c.db.get_server_config(&gid).await?;
    let plugin = cfg
        .xp_formula_plugin
        .unwrap_or_else(|| c.default_xp_plugin.clone());
    let engine = c.engine.get().await;
    let engine = engine.as_ref().ok_or(CommandError::Closed)?;
    let now = engine.pipeline().now();
    let table = engine
        .pipeline()
        .plugin_cache()
        .level_table(guild, &plugin, now.timestamp_millis())
        .await?;
    let outcome = c.db.award_xp(&gid, &uid, delta, &TableCurve(table)).await?;
    c.db.append_audit(&NewAuditEntry {
        guild_id: gid,
        actor_id: actor.to_string(),
        target_id: uid,
        delta: outcome.new_xp - outcome.old_xp,
        reason: reason.unwrap_or_default(),
        created_at: now,
    })
    .await?;
    Ok(outcome)
}
