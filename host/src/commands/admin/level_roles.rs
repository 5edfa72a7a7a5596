//! `/level-roles add|remove|list`: the reward roles given at levels.

use std::fmt::Write as _;

use crate::commands::Commands;
use crate::commands::types::{CommandError, Reply, Request};

pub(super) async fn handle(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let gid = req.guild;
    match req.subcommand.as_deref() {
        Some("add") => {
            let role = req.need("role", req.role("role"))?;
            let level = req.need("level", req.integer("level"))?;
            if !(1..=10_000).contains(&level) {
                return Err(CommandError::Usage(format!(
                    "level must be from 1 to 10000; {level} is not"
                )));
            }
            if role == req.guild {
                return Err(CommandError::Usage(
                    "@everyone cannot be a reward role".into(),
                ));
            }
            crate::commands::guild::check_role(c, req.guild, role).await?;
            let stacked = req.boolean("stacked").unwrap_or(false);
            c.db.add_level_role(gid, role, level as i32, stacked)
                .await?;
            Ok(Reply::private(format!(
                "<@&{role}> is now given at level {level}{}.",
                if stacked {
                    " and kept when higher rewards come"
                } else {
                    " and replaced by the next reward"
                }
            )))
        }
        Some("remove") => {
            let role = req.need("role", req.role("role"))?;
            if c.db.remove_level_role(gid, role).await? {
                Ok(Reply::private(format!(
                    "<@&{role}> is no longer a level reward (members keep it)."
                )))
            } else {
                Err(CommandError::NotFound(format!(
                    "<@&{role}> is not a level reward; see /level-roles list"
                )))
            }
        }
        Some("list") => {
            let roles = c.db.list_level_roles(gid).await?;
            if roles.is_empty() {
                return Ok(Reply::private(
                    "No level roles yet; add one with /level-roles add.",
                ));
            }
            let mut out = "🎭 **Level roles**\n".to_string();
            for r in roles {
                let _ = writeln!(
                    out,
                    "level {} → <@&{}>{}",
                    r.level,
                    r.role_id,
                    if r.is_stacked { " (stacked)" } else { "" }
                );
            }
            Ok(Reply::private(out))
        }
        _ => Err(CommandError::Usage(
            "use /level-roles add, remove or list".into(),
        )),
    }
}
