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
            let badge = req.string("badge").map(|u| badge_url(c, u)).transpose()?;
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
            if let Some(url) = &badge {
                c.db.set_achievement_badge(gid, a.id, Some(url)).await?;
            }
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
                    "#{} **{}** · {} {} · {} XP{}",
                    a.id,
                    fit_to(a.name, 80),
                    a.requirement_value,
                    a.requirement_type,
                    a.reward_xp,
                    badge_link(&a.badge_url)
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
        Some("badge") => {
            let id = req.need("id", req.integer("id"))?;
            let typed = req.need("url", req.string("url"))?.trim();
            let url = match typed {
                "" | "none" => None,
                u => Some(badge_url(c, u)?),
            };
            if !c.db.set_achievement_badge(gid, id, url.as_deref()).await? {
                return Err(CommandError::NotFound(format!(
                    "there is no achievement #{id} on this server; see /achievement list"
                )));
            }
            Ok(Reply::private(match url {
                Some(u) => format!("Achievement #{id} now shows [its badge](<{u}>)."),
                None => format!("Achievement #{id} has no badge any more."),
            }))
        }
        _ => Err(CommandError::Usage(
            "use /achievement create, list, delete or badge".into(),
        )),
    }
}

/// A badge image's URL, checked like card images (https, a host in `[cards] allowed_hosts`),
/// so every image Questline links to comes from a place the operator allowed.
fn badge_url(c: &Commands, typed: &str) -> Result<String, CommandError> {
    crate::cards::check_url(&c.cards, typed)
        .map(|u| u.to_string())
        .map_err(|e| CommandError::Usage(format!("the badge was not set: {e}")))
}

/// ` · [badge](<url>)` for an achievement with a badge (the angle brackets keep Discord
/// from embedding a preview under the list).
pub fn badge_link(url: &Option<String>) -> String {
    url.as_deref()
        .map_or(String::new(), |u| format!(" · [badge](<{u}>)"))
}
