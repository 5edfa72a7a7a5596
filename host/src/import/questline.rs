//! Questline's own export (`questline export --guild ID`): members with their XP, counters,
//! last message time and privacy flag; level roles; the guild's settings. Completed quests
//! and achievements are history tied to quest and achievement rows of the source guild and
//! are not recreated (a note says so).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::values::{count, level, optional_count, snowflake};
use super::{Format, ImportError, ImportPlan};
use crate::db::entities::server_config;
use crate::db::{ImportedCounters, ImportedMember, ImportedRole};

/// Marks a Questline export; checked when present so another bot's file is not mistaken.
pub const FORMAT_TAG: &str = "questline-export";

pub(crate) fn parse(value: &Value, plan: &mut ImportPlan) -> Result<(), ImportError> {
    let shape = |reason: &str| ImportError::Shape {
        format: Format::Questline,
        reason: reason.to_string(),
    };
    let Value::Object(top) = value else {
        return Err(shape("expected the object `questline export` prints"));
    };
    if let Some(tag) = top.get("format")
        && tag.as_str() != Some(FORMAT_TAG)
    {
        return Err(shape(&format!(
            "`format` is {tag}, expected \"{FORMAT_TAG}\""
        )));
    }
    let Some(Value::Array(members)) = top.get("members") else {
        return Err(shape("no `members` list"));
    };
    for (i, m) in members.iter().enumerate() {
        match member(m) {
            Ok(m) => plan.members.push(m),
            Err(reason) => plan.skip(format!("members[{i}]"), reason),
        }
    }
    if let Some(Value::Array(roles)) = top.get("roles") {
        for (i, r) in roles.iter().enumerate() {
            let role = (|| {
                Ok::<_, String>(ImportedRole {
                    role_id: snowflake(r.get("role_id"), "role_id")?,
                    level: level(r.get("level"), "level")?,
                    is_stacked: r.get("is_stacked").and_then(Value::as_bool).unwrap_or(true),
                })
            })();
            match role {
                Ok(role) => plan.roles.push(role),
                Err(reason) => plan.skip(format!("roles[{i}]"), reason),
            }
        }
    }
    if let Some(cfg) = top.get("config").filter(|c| !c.is_null()) {
        match config(cfg) {
            Ok(c) => plan.server_config = Some(c),
            Err(reason) => plan.skip("config", reason),
        }
    }
    let has_history = members.iter().any(|m| {
        ["completed_quests", "achievements"].iter().any(|k| {
            m.get(k)
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        })
    });
    if has_history
        || top
            .get("quests")
            .and_then(Value::as_array)
            .is_some_and(|q| !q.is_empty())
    {
        plan.notes.push(
            "quests, completed quests and achievements are not imported (they belong to the source guild's quest and achievement rows)".into(),
        );
    }
    Ok(())
}

fn member(m: &Value) -> Result<ImportedMember, String> {
    if !m.is_object() {
        return Err("is not an object".into());
    }
    let user_id = snowflake(m.get("user").or_else(|| m.get("user_id")), "user")?;
    let xp = count(m.get("xp"), "xp")?;
    let c = |k: &str| optional_count(m.get(k), k).map(|v| v.unwrap_or(0));
    let counters = ImportedCounters {
        messages: c("messages")?,
        voice_time_seconds: c("voice_time_seconds")?,
        total_messages: c("total_messages")?,
        total_reactions: c("total_reactions")?,
        commands_used: c("commands_used")?,
    };
    let last_message_time = match m.get("last_message_time") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value::<DateTime<Utc>>(v.clone())
                .map_err(|_| format!("last_message_time {v} is not an RFC 3339 time"))?,
        ),
    };
    Ok(ImportedMember {
        user_id,
        xp,
        counters: Some(counters),
        last_message_time,
        hidden: m.get("hidden").and_then(Value::as_bool),
    })
}

fn config(v: &Value) -> Result<server_config::Model, String> {
    let d = server_config::Model::defaults("0");
    let text = |k: &str| -> Result<Option<String>, String> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("config.{k} {other} is not text")),
        }
    };
    let int = |k: &str, default: i32, max: i64| -> Result<i32, String> {
        match optional_count(v.get(k), &format!("config.{k}"))? {
            None => Ok(default),
            Some(n) if n <= max => Ok(n as i32),
            Some(n) => Err(format!("config.{k} {n} is above {max}")),
        }
    };
    let xp_rate = match v.get("xp_rate") {
        None | Some(Value::Null) => d.xp_rate,
        Some(x) => x
            .as_f64()
            .filter(|r| r.is_finite() && *r >= 0.0)
            .ok_or_else(|| format!("config.xp_rate {x} is not a number ≥ 0"))?,
    };
    Ok(server_config::Model {
        guild_id: d.guild_id,
        xp_rate,
        level_up_message: text("level_up_message")?,
        level_up_channel: text("level_up_channel")?,
        quest_channel: text("quest_channel")?,
        achievement_channel: text("achievement_channel")?,
        quest_reset_hour: int("quest_reset_hour", d.quest_reset_hour, 23)?,
        quest_reset_day: int("quest_reset_day", d.quest_reset_day, 6)?,
        cooldowns: v.get("cooldowns").filter(|c| !c.is_null()).cloned(),
        xp_formula_plugin: text("xp_formula_plugin")?,
        card_style: text("card_style")?,
        demote_on_xp_loss: v
            .get("demote_on_xp_loss")
            .and_then(Value::as_bool)
            .unwrap_or(d.demote_on_xp_loss),
        afk_channel: text("afk_channel")?,
        reset_on_leave: v
            .get("reset_on_leave")
            .and_then(Value::as_bool)
            .unwrap_or(d.reset_on_leave),
        leaderboard_visibility: match v.get("leaderboard_visibility").and_then(Value::as_str) {
            None => d.leaderboard_visibility,
            Some(s) => questline_db::LeaderboardVisibility::parse(s)
                .ok_or_else(|| {
                    format!(
                        "config.leaderboard_visibility `{s}` is not public, members, managers or off"
                    )
                })?
                .as_str()
                .to_string(),
        },
        leaderboard_indexable: v
            .get("leaderboard_indexable")
            .and_then(Value::as_bool)
            .unwrap_or(d.leaderboard_indexable),
        level_up_destination: match v.get("level_up_destination").and_then(Value::as_str) {
            None => d.level_up_destination,
            Some(s) => questline_db::LevelUpDestination::parse(s)
                .ok_or_else(|| format!("config.level_up_destination `{s}` is not channel, dm or off"))?
                .as_str()
                .to_string(),
        },
        level_up_ping: v
            .get("level_up_ping")
            .and_then(Value::as_bool)
            .unwrap_or(d.level_up_ping),
        role_reward_message: text("role_reward_message")?,
        level_messages: match v.get("level_messages") {
            None | Some(Value::Null) => None,
            Some(m @ Value::Object(map)) if map.values().all(Value::is_string) => Some(m.clone()),
            Some(other) => {
                return Err(format!(
                    "config.level_messages {other} is not an object of level → message"
                ));
            }
        },
    })
}
