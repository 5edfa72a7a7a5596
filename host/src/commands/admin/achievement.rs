//! `/achievement create|delete|list`: the guild's achievements.

use std::fmt::Write as _;

use crate::commands::Commands;
use crate::commands::requirements::{For, resolve, unit};
use crate::commands::types::{CommandError, Reply, Request, fit_to};

pub(super) async fn handle(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let gid = req.guild;
    match req.subcommand.as_deref() {
        Some("create") => {
            let name = req.need("name", req.string("name"))?.trim().to_string();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(CommandError::Usage(
                    "an achievement name is 1 to 100 characters".into(),
                ));
            }
            let typed = req.need("requirement", req.string("requirement"))?;
            let requirement = resolve(c, For::Achievement, typed).await?;
            let target = req.need("target", req.integer("target"))?;
            let reward = req.need("reward", req.integer("reward"))?;
            if !(1..=1_000_000_000).contains(&target) || !(0..=1_000_000).contains(&reward) {
                return Err(CommandError::Usage(
                    "target must be 1 to 1,000,000,000 and reward 0 to 1,000,000".into(),
                ));
            }
            let description = req
                .string("description")
                .map(|d| fit_to(d.to_string(), 500))
                .unwrap_or_default();
            let a =
                c.db.create_achievement(
                    gid,
                    &name,
                    &description,
                    &requirement,
                    target,
                    reward,
                    req.at,
                )
                .await
                .map_err(|e| match e {
                    crate::db::DbError::Invalid { .. } => CommandError::Usage(e.to_string()),
                    other => CommandError::Db(other),
                })?;
            Ok(Reply::private(format!(
                "Achievement #{} **{}** created: {} {} (`{}`) for {} XP.",
                a.id,
                a.name,
                a.requirement_value,
                unit(&a.requirement_type),
                a.requirement_type,
                a.reward_xp
            )))
        }
        Some("list") => {
            let list = c.db.list_achievements(gid).await?;
            if list.is_empty() {
                return Ok(Reply::private("No achievements yet."));
            }
            let mut out = "🎖️ **Achievements**\n".to_string();
            for a in list {
                let _ = writeln!(
                    out,
                    "#{} **{}** · {} {} · {} XP",
                    a.id,
                    fit_to(a.name, 80),
                    a.requirement_value,
                    a.requirement_type,
                    a.reward_xp
                );
            }
            Ok(Reply::private(out))
        }
        Some("delete") => {
            let id = req.need("id", req.integer("id"))?;
            match c.db.delete_achievement(gid, id).await? {
                Some(earned) => Ok(Reply::private(format!(
                    "Achievement #{id} deleted; {earned} member(s) no longer list it (XP they got from it is kept)."
                ))),
                None => Err(CommandError::NotFound(format!(
                    "there is no achievement #{id} on this server; see /achievement list"
                ))),
            }
        }
        _ => Err(CommandError::Usage(
            "use /achievement create, list or delete".into(),
        )),
    }
}
