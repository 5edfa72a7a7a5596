//! `/xp add|remove|set|reset`: a moderator's manual XP change, through the engine's audited
//! path ([`crate::commands::xp::adjust`]).

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
    let reason = req
        .string("reason")
        .map(|r| fit_to(r.trim().to_string(), 500))
        .filter(|r| !r.is_empty());
    let done = crate::commands::xp::adjust(c, req.guild, member, change, req.user, reason).await?;
    Ok(Reply::private(format!(
        "<@{member}>: {} XP → {} XP (level {} → {}).",
        done.old_xp, done.new_xp, done.old_level, done.new_level
    )))
}
