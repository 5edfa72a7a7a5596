//! `/xp add|remove|set|reset` and `/level set`: a moderator's manual XP change, through the
//! engine's audited path ([`crate::commands::xp::adjust`]).

use crate::commands::Commands;
use crate::commands::defs::MAX_XP_AMOUNT;
use crate::commands::types::{CommandError, Reply, Request, fit_to};

/// `/xp add|remove|set|reset member amount [reason]`.
pub(super) async fn handle(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    use crate::commands::xp::XpChange;
    let member = req.need("member", req.user("member"))?;
    let sub = req.subcommand.as_deref().unwrap_or("");
    let amount = || -> Result<i64, CommandError> {
        let a = req.need("amount", req.integer("amount"))?;
        let min = if sub == "set" { 0 } else { 1 };
        if !(min..=MAX_XP_AMOUNT).contains(&a) {
            return Err(CommandError::Usage(format!(
                "amount must be a whole number from {min} to {MAX_XP_AMOUNT}; {a} is not (to take XP away use /xp remove)"
            )));
        }
        Ok(a)
    };
    let change = match sub {
        "add" => XpChange::Add(amount()?),
        "remove" => XpChange::Remove(amount()?),
        "set" => XpChange::Set(amount()?),
        "reset" => XpChange::Reset,
        other => {
            return Err(CommandError::Usage(format!(
                "/xp has no `{other}` subcommand; use add, remove, set or reset"
            )));
        }
    };
    let done =
        crate::commands::xp::adjust(c, req.guild, member, change, req.user, reason(req)).await?;
    Ok(Reply::private(format!(
        "<@{member}>: {} XP → {} XP (level {} → {}).",
        done.old_xp, done.new_xp, done.old_level, done.new_level
    )))
}

/// The moderator's reason, if they gave one.
fn reason(req: &Request) -> Option<String> {
    req.string("reason")
        .map(|r| fit_to(r.trim().to_string(), 500))
        .filter(|r| !r.is_empty())
}

/// `/level set member level [reason]`: the member's XP becomes exactly what `level` needs
/// on the guild's curve (so they sit at the start of it), through `/xp set`'s audited path.
pub(super) async fn set_level(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    use crate::commands::xp::XpChange;
    let member = req.need("member", req.user("member"))?;
    let level = req.need("level", req.integer("level"))?;
    let table = {
        let engine = c.engine.get().await;
        let engine = engine.as_ref().ok_or(CommandError::Closed)?;
        engine.pipeline().guild_level_table(req.guild).await?
    };
    let top = table.max_level();
    let level = u32::try_from(level)
        .ok()
        .filter(|l| *l <= top)
        .ok_or_else(|| {
            CommandError::Usage(format!(
                "level must be from 0 to {top} on this server's curve; {level} is not"
            ))
        })?;
    let xp = table.total_for_level(level);
    if xp > MAX_XP_AMOUNT {
        return Err(CommandError::Usage(format!(
            "level {level} needs {xp} XP on this server's curve, more than the {MAX_XP_AMOUNT} a moderator may set; choose a lower level"
        )));
    }
    let why = reason(req).unwrap_or_else(|| format!("level set to {level}"));
    let done =
        crate::commands::xp::adjust(c, req.guild, member, XpChange::Set(xp), req.user, Some(why))
            .await?;
    Ok(Reply::private(format!(
        "<@{member}> is now level {} with {} XP (was level {} with {} XP).",
        done.new_level, done.new_xp, done.old_level, done.old_xp
    )))
}
