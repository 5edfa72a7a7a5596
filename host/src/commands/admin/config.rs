//! `/config show` and `/config set`: the guild's settings, each value checked before it is
//! stored (channels against the guild's channels, card styles against the loaded styles).

use crate::commands::Commands;
use crate::commands::defs::CONFIG_SETTINGS;
use crate::commands::types::{CommandError, Reply, Request, fit_to};
use crate::db::ServerSetting;
use crate::engine::template::check_template;
use crate::plugins::PluginKind;

fn shown(v: &Option<String>) -> String {
    match v {
        Some(s) if !s.is_empty() => fit_to(s.clone(), 300),
        _ => "(not set)".to_string(),
    }
}

fn channel_shown(v: &Option<String>) -> String {
    match v {
        Some(s) if !s.is_empty() => format!("<#{s}>"),
        _ => "(where the member was active)".to_string(),
    }
}

pub(super) async fn show(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let cfg = c.db.get_server_config(req.guild).await?;
    let out = format!(
        "⚙️ **Questline settings**\n\
         xp_rate: {}\nlevel_up_message: {}\nlevel_up_channel: {}\nquest_channel: {}\n\
         achievement_channel: {}\nquest_reset_hour: {} (UTC)\nquest_reset_day: {} (0 = Monday)\n\
         xp_formula_plugin: {}\ncard_style: {}\ndemote_on_xp_loss: {}\n\
         afk_channel: {}\nreset_on_leave: {}\nleaderboard_visibility: {} (web leaderboard)\n\
         leaderboard_indexable: {}\nlevel_up_destination: {}\nlevel_up_ping: {}\n\
         role_reward_message: {}\nper-level messages: {} (see /levelup messages)",
        cfg.xp_rate,
        shown(&cfg.level_up_message),
        channel_shown(&cfg.level_up_channel),
        channel_shown(&cfg.quest_channel),
        channel_shown(&cfg.achievement_channel),
        cfg.quest_reset_hour,
        cfg.quest_reset_day,
        cfg.xp_formula_plugin
            .clone()
            .unwrap_or_else(|| format!("{} (default)", c.default_xp_plugin)),
        shown(&cfg.card_style),
        cfg.demote_on_xp_loss,
        match &cfg.afk_channel {
            Some(c) if !c.is_empty() => format!("<#{c}>"),
            _ => "(not set)".to_string(),
        },
        cfg.reset_on_leave,
        crate::db::LeaderboardVisibility::of(&cfg),
        cfg.leaderboard_indexable,
        crate::db::LevelUpDestination::of(&cfg).as_str(),
        cfg.level_up_ping,
        shown(&cfg.role_reward_message),
        cfg.level_messages
            .as_ref()
            .and_then(|m| m.as_object())
            .map_or(0, |m| m.len()),
    );
    Ok(Reply::private(out))
}

/// A channel given as `<#id>` or a bare id.
/// The settings that name a channel.
const CHANNEL_SETTINGS: [&str; 4] = [
    "level_up_channel",
    "quest_channel",
    "achievement_channel",
    "afk_channel",
];

fn channel_id(value: &str) -> Option<u64> {
    let v = value.trim();
    let v = v
        .strip_prefix("<#")
        .and_then(|v| v.strip_suffix('>'))
        .unwrap_or(v);
    v.parse::<u64>().ok().filter(|id| *id > 0)
}

pub(super) async fn set(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let setting = req.need("setting", req.string("setting"))?;
    if !CONFIG_SETTINGS.contains(&setting) {
        return Err(CommandError::Usage(format!(
            "`{setting}` is not a setting; one of: {}",
            CONFIG_SETTINGS.join(", ")
        )));
    }
    let raw = req.string("value").unwrap_or("").trim().to_string();
    let value = match setting {
        _ if CHANNEL_SETTINGS.contains(&setting) && !raw.is_empty() => {
            let id = channel_id(&raw).ok_or_else(|| {
                CommandError::Usage(format!(
                    "`{}` is not a channel: mention it (#channel) or give its id",
                    fit_to(raw.clone(), 100)
                ))
            })?;
            crate::commands::guild::check_channel(c, req.guild, id, setting).await?;
            id.to_string()
        }
        "xp_formula_plugin" if !raw.is_empty() => {
            let loaded = c.plugins.plugins_with_kind(PluginKind::XpFormula);
            if !loaded.iter().any(|p| p == &raw) {
                return Err(CommandError::Usage(format!(
                    "no XP formula plugin named `{raw}` is loaded; loaded: {}",
                    loaded.join(", ")
                )));
            }
            raw
        }
        "level_up_message" | "role_reward_message" if raw.chars().count() > 1_500 => {
            return Err(CommandError::Usage(format!(
                "`{setting}` may be at most 1500 characters (it must fit in one Discord message with names filled in)"
            )));
        }
        "level_up_message" | "role_reward_message" => {
            check_template(&raw)
                .map_err(|e| CommandError::Usage(format!("`{setting}` was not changed: {e}")))?;
            raw
        }
        _ => raw,
    };
    let parsed =
        ServerSetting::parse(setting, &value).map_err(|e| CommandError::Usage(e.to_string()))?;
    c.db.update_server_config(req.guild, parsed)
        .await
        .map_err(|e| match e {
            crate::db::DbError::Invalid { .. } => CommandError::Usage(e.to_string()),
            other => CommandError::Db(other),
        })?;
    let note = if setting == "reset_on_leave" {
        " (Questline sees members leave only when the bot runs with `[discord] members_intent = true` and the Server Members Intent enabled in the developer portal.)"
    } else {
        ""
    };
    let is_channel = CHANNEL_SETTINGS.contains(&setting);
    Ok(Reply::private(if value.is_empty() {
        format!("`{setting}` cleared (back to the default).{note}")
    } else if is_channel {
        // A mention: Discord and the web pages both show the channel's name.
        format!("`{setting}` is now <#{value}>.{note}")
    } else {
        format!("`{setting}` is now `{}`.{note}", fit_to(value, 200))
    }))
}
