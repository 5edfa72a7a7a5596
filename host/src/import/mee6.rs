//! MEE6 leaderboard JSON (`GET /api/plugins/levels/leaderboard/{guild}?page=N&limit=1000`):
//! `players` (each with `id` and total `xp`; `level`, `detailed_xp` and the rest are
//! ignored because levels are recomputed), `role_rewards` in both shapes (`{rank, role{id}}`
//! and the older `{role_id, rank}`). A JSON list of pages is accepted too, so a script that
//! saved every page into one array needs no post-processing.

use serde_json::Value;

use super::values::{count, level, optional_count, snowflake};
use super::{Format, ImportError, ImportPlan};
use crate::db::{ImportedCounters, ImportedMember, ImportedRole};

pub(crate) fn parse(value: &Value, plan: &mut ImportPlan) -> Result<(), ImportError> {
    let pages: Vec<&Value> = match value {
        Value::Array(pages) if pages.iter().all(Value::is_object) => pages.iter().collect(),
        Value::Object(_) => vec![value],
        _ => {
            return Err(shape(
                "expected the leaderboard object (with `players`) or a list of them",
            ));
        }
    };
    if !pages
        .iter()
        .any(|p| p.get("players").is_some() || p.get("role_rewards").is_some())
    {
        return Err(shape("no `players` or `role_rewards` found"));
    }
    for (page_no, page) in pages.iter().enumerate() {
        let prefix = if pages.len() > 1 {
            format!("page {page_no}: ")
        } else {
            String::new()
        };
        match page.get("players") {
            None | Some(Value::Null) => {}
            Some(Value::Array(players)) => {
                for (i, p) in players.iter().enumerate() {
                    let row = format!("{prefix}players[{i}]");
                    match player(p) {
                        Ok(m) => plan.members.push(m),
                        Err(reason) => plan.skip(row, reason),
                    }
                }
            }
            Some(_) => plan.skip(format!("{prefix}players"), "is not a list"),
        }
        match page.get("role_rewards") {
            None | Some(Value::Null) => {}
            Some(Value::Array(rewards)) => {
                for (i, r) in rewards.iter().enumerate() {
                    match reward(r) {
                        Ok(role) => plan.roles.push(role),
                        Err(reason) => plan.skip(format!("{prefix}role_rewards[{i}]"), reason),
                    }
                }
            }
            Some(_) => plan.skip(format!("{prefix}role_rewards"), "is not a list"),
        }
    }
    if plan.members.iter().any(|m| m.counters.is_some()) {
        plan.notes
            .push("MEE6 message counts were imported as `messages` and `total_messages`".into());
    }
    Ok(())
}

fn shape(reason: &str) -> ImportError {
    ImportError::Shape {
        format: Format::Mee6,
        reason: reason.to_string(),
    }
}

fn player(p: &Value) -> Result<ImportedMember, String> {
    if !p.is_object() {
        return Err("is not an object".into());
    }
    let user_id = snowflake(p.get("id"), "id")?;
    let xp = match p.get("xp") {
        Some(v) if !v.is_null() => count(Some(v), "xp")?,
        // Some payloads only have `detailed_xp = [into level, span, total]`.
        _ => count(p.get("detailed_xp").and_then(|d| d.get(2)), "xp")?,
    };
    let messages = optional_count(p.get("message_count"), "message_count")?;
    Ok(ImportedMember {
        user_id,
        xp,
        counters: messages.map(|n| ImportedCounters {
            messages: n,
            total_messages: n,
            ..Default::default()
        }),
        last_message_time: None,
        hidden: None,
    })
}

fn reward(r: &Value) -> Result<ImportedRole, String> {
    let role_id = match r.get("role") {
        Some(role) if role.is_object() => snowflake(role.get("id"), "role.id")?,
        _ => snowflake(r.get("role_id"), "role_id")?,
    };
    Ok(ImportedRole {
        role_id,
        level: level(r.get("rank"), "rank")?,
        // MEE6 keeps earlier reward roles unless told otherwise.
        is_stacked: true,
    })
}
