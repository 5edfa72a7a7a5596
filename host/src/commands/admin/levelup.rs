//! `/levelup preview|message|message-remove|messages`: level-up messages. Where they go,
//! whether they ping and the reward-role message are `/config set` settings
//! (`level_up_destination`, `level_up_ping`, `role_reward_message`); here are the messages
//! for particular levels and a preview of exactly what a level-up would send.

use std::fmt::Write as _;

use crate::commands::Commands;
use crate::commands::types::{CommandError, Reply, Request, fit_to};
use crate::db::LevelUpDestination;
use crate::engine::announce::roles_for_level;
use crate::engine::template::{LevelUpVars, check_template, level_up_text};

/// The level option, checked against the engine's highest level.
fn level(req: &Request) -> Result<u32, CommandError> {
    let l = req.need("level", req.integer("level"))?;
    u32::try_from(l)
        .ok()
        .filter(|l| (1..=crate::engine::curve::MAX_LEVEL).contains(l))
        .ok_or_else(|| {
            CommandError::Usage(format!(
                "level must be from 1 to {}; {l} is not",
                crate::engine::curve::MAX_LEVEL
            ))
        })
}

pub(super) async fn handle(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let gid = req.guild;
    match req.subcommand.as_deref() {
        Some("preview") => preview(c, req).await,
        Some("message") => {
            let level = level(req)?;
            let text = req.need("text", req.string("text"))?.trim().to_string();
            if text.is_empty() || text.chars().count() > 1_500 {
                return Err(CommandError::Usage(
                    "a level-up message is 1 to 1500 characters (it must fit in one Discord message with names filled in)".into(),
                ));
            }
            check_template(&text).map_err(|e| CommandError::Usage(format!("not saved: {e}")))?;
            c.db.set_level_message(gid, level, Some(&text)).await?;
            Ok(Reply::private(format!(
                "Reaching level {level} now says: {}\nSee it with `/levelup preview level:{level}`.",
                fit_to(text, 300)
            )))
        }
        Some("message-remove") => {
            let level = level(req)?;
            c.db.set_level_message(gid, level, None).await?;
            Ok(Reply::private(format!(
                "Level {level} uses the server's level-up message again."
            )))
        }
        Some("messages") => {
            let cfg = c.db.get_server_config(gid).await?;
            let mut list: Vec<(u32, String)> = cfg
                .level_messages
                .as_ref()
                .and_then(|m| m.as_object())
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.parse().ok()?, v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            if list.is_empty() {
                return Ok(Reply::private(
                    "No level has its own message; every level-up uses `level_up_message` (set one with `/levelup message`).",
                ));
            }
            list.sort_by_key(|(l, _)| *l);
            let mut out = "💬 **Messages for particular levels**\n".to_string();
            for (l, text) in list {
                let _ = writeln!(out, "**{l}**: {}", fit_to(text, 150));
            }
            Ok(Reply::private(out))
        }
        _ => Err(CommandError::Usage(
            "use /levelup preview, message, message-remove or messages".into(),
        )),
    }
}

/// Exactly what reaching a level would send for the invoker (the level's own message or the
/// server's, the reward-role message for each role given there), where it goes and whether
/// it pings. Nothing is sent or stored.
async fn preview(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let gid = req.guild;
    let cfg = c.db.get_server_config(gid).await?;
    let stored = c.db.get_user_level(gid, req.user).await?;
    let level = match req.integer("level") {
        Some(_) => level(req)?,
        None => stored
            .as_ref()
            .map_or(1, |r| u32::try_from(r.level).unwrap_or(0) + 1),
    };
    let rewards = c.db.list_level_roles(gid).await?;
    let before = roles_for_level(&rewards, i32::try_from(level).unwrap_or(i32::MAX) - 1);
    let given: Vec<u64> = roles_for_level(&rewards, i32::try_from(level).unwrap_or(i32::MAX))
        .into_iter()
        .filter(|r| !before.contains(r))
        .collect();
    let xp = {
        let engine = c.engine.get().await;
        let engine = engine.as_ref().ok_or(CommandError::Closed)?;
        let table = engine.pipeline().guild_level_table(gid).await?;
        table.total_for_level(level)
    };
    let guild_name = req
        .guild_name
        .clone()
        .unwrap_or_else(|| "this server".into());
    let text = level_up_text(
        &cfg,
        &LevelUpVars {
            user_id: req.user,
            user_name: &req.user_name,
            level,
            xp,
            role_id: given.last().copied(),
            guild_name: &guild_name,
        },
        &given,
    );
    let destination = match LevelUpDestination::of(&cfg) {
        LevelUpDestination::Off => "nowhere (`level_up_destination` is off)".to_string(),
        LevelUpDestination::Dm => "to the member by direct message".to_string(),
        LevelUpDestination::Channel => match cfg.level_up_channel.as_deref() {
            Some(ch) if !ch.is_empty() => format!("to <#{ch}>"),
            _ => "where the member spoke".to_string(),
        },
    };
    let ping = if cfg.level_up_ping {
        "pings the member"
    } else {
        "does not ping"
    };
    Ok(Reply::private(format!(
        "Preview of reaching level {level} (sent {destination}; {ping}):\n\n{text}"
    )))
}
