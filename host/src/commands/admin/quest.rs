//! `/quest create|delete|list|reset-now`: the guild's quests and their reset cycles.

use std::fmt::Write as _;

use crate::commands::Commands;
use crate::commands::requirements::{For, resolve, unit};
use crate::commands::types::{CommandError, Reply, Request, fit_to};
use crate::db::NewQuest;
use crate::engine::wit::cycle_name;

pub(super) async fn handle(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let gid = req.guild;
    match req.subcommand.as_deref() {
        Some("create") => {
            let name = req.need("name", req.string("name"))?.trim().to_string();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(CommandError::Usage(
                    "a quest name is 1 to 100 characters".into(),
                ));
            }
            let typed = req.need("requirement", req.string("requirement"))?;
            let requirement = resolve(c, For::Quest, typed).await?;
            let target = req.need("target", req.integer("target"))?;
            let reward = req.need("reward", req.integer("reward"))?;
            if !(1..=1_000_000).contains(&target) || !(0..=1_000_000).contains(&reward) {
                return Err(CommandError::Usage(
                    "target must be 1 to 1,000,000 and reward 0 to 1,000,000".into(),
                ));
            }
            let cycle = req.string("cycle").unwrap_or("once").to_string();
            let quest_type = match cycle.as_str() {
                "daily" => "daily",
                "weekly" => "weekly",
                _ => "special",
            };
            let description = req
                .string("description")
                .map(|d| fit_to(d.to_string(), 500))
                .unwrap_or_default();
            let q =
                c.db.create_quest(NewQuest {
                    guild_id: gid,
                    name,
                    description,
                    quest_type: quest_type.to_string(),
                    requirement_type: requirement,
                    requirement_value: target,
                    reward_xp: reward,
                    reward_multiplier: None,
                    difficulty: None,
                    refresh_cycle: Some(cycle),
                    created_at: req.at,
                })
                .await
                .map_err(|e| match e {
                    crate::db::DbError::Invalid { .. } => CommandError::Usage(e.to_string()),
                    other => CommandError::Db(other),
                })?;
            Ok(Reply::private(format!(
                "Quest #{} **{}** created: {} {} (`{}`) for {} XP.",
                q.id,
                q.name,
                q.requirement_value,
                unit(q.requirement_type.rsplit(':').next().unwrap_or("")),
                q.requirement_type,
                q.reward_xp
            )))
        }
        Some("list") => {
            let list = c.db.get_guild_active_quests(gid, None).await?;
            if list.is_empty() {
                return Ok(Reply::private("No active quests."));
            }
            let mut out = "📜 **Active quests**\n".to_string();
            for q in list {
                let _ = writeln!(
                    out,
                    "#{} **{}** · {} {} · {} XP · {}",
                    q.id,
                    fit_to(q.name, 80),
                    q.requirement_value,
                    q.requirement_type,
                    q.reward_xp,
                    cycle_name(crate::engine::wit::parse_cycle(&q.refresh_cycle))
                );
            }
            Ok(Reply::private(out))
        }
        Some("deactivate") => {
            let id = req.need("id", req.integer("id"))?;
            let found = c.db.get_quest(id).await?;
            match found {
                Some(q) if q.guild_id == gid.to_string() => {
                    let n = c.db.deactivate_quests(gid, &[id]).await?;
                    Ok(Reply::private(if n > 0 {
                        format!("Quest #{id} **{}** ended.", q.name)
                    } else {
                        format!("Quest #{id} had already ended.")
                    }))
                }
                _ => Err(CommandError::NotFound(format!(
                    "there is no quest #{id} on this server; see /quest list"
                ))),
            }
        }
        Some("reset-now") => {
            use crate::engine::ForcedReset;
            use crate::engine::schedule::Cycle;
            let cycles: Vec<Cycle> = match req.string("cycle") {
                None => vec![Cycle::Daily, Cycle::Weekly, Cycle::Monthly],
                Some("daily") => vec![Cycle::Daily],
                Some("weekly") => vec![Cycle::Weekly],
                Some("monthly") => vec![Cycle::Monthly],
                Some(other) => {
                    return Err(CommandError::Usage(format!(
                        "`{}` is not a cycle; use daily, weekly or monthly",
                        fit_to(other.to_string(), 40)
                    )));
                }
            };
            let engine = c.engine.get().await;
            let engine = engine.as_ref().ok_or(CommandError::Closed)?;
            let results = engine
                .pipeline()
                .force_quest_reset(req.guild, &cycles)
                .await?;
            let lines: Vec<String> = results
                .iter()
                .map(|r| match r {
                    ForcedReset::Applied(r) => format!(
                        "{}: {} ended, {} new",
                        cycle_name(r.cycle),
                        r.deactivated,
                        r.created.len()
                    ),
                    ForcedReset::AlreadyDone(cycle) => format!(
                        "{}: reset by another process at the same moment (not repeated)",
                        cycle_name(*cycle)
                    ),
                })
                .collect();
            Ok(Reply::private(format!(
                "🔄 New quest period started now. {}. The new quests end at the next scheduled reset.",
                lines.join("; ")
            )))
        }
        _ => Err(CommandError::Usage(
            "use /quest create, list, deactivate or reset-now".into(),
        )),
    }
}
