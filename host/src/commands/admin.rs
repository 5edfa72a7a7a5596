//! Admin commands. [`super::Commands::handle`] has already checked Manage Server (or
//! Administrator) from the invoker's permissions on the server before anything here runs.

use std::fmt::Write as _;

use super::Commands;
use super::defs::{CONFIG_SETTINGS, MAX_XP_AMOUNT};
use super::types::{CommandError, Reply, Request, fit_to};
use crate::db::{NewQuest, ServerSetting};
use crate::engine::wit::cycle_name;
use crate::plugins::PluginKind;

pub async fn handle(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let sub = req.subcommand.as_deref().unwrap_or("");
    match (req.name.as_str(), sub) {
        ("config", "show") => config_show(c, req).await,
        ("config", "set") => config_set(c, req).await,
        ("xp", _) => xp(c, req).await,
        ("level-roles", _) => level_roles(c, req).await,
        ("quest", _) => quest(c, req).await,
        ("achievement", _) => achievement(c, req).await,
        ("plugins", _) => plugins(c, req).await,
        ("import", _) => super::files::import(c, req).await,
        ("export", _) => super::files::export(c, req).await,
        _ => Err(CommandError::Usage(format!(
            "/{} has no `{sub}` subcommand",
            req.name
        ))),
    }
}

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

async fn config_show(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let cfg = c.db.get_server_config(&req.guild.to_string()).await?;
    let out = format!(
        "⚙️ **Questline settings**\n\
         xp_rate: {}\nlevel_up_message: {}\nlevel_up_channel: {}\nquest_channel: {}\n\
         achievement_channel: {}\nquest_reset_hour: {} (UTC)\nquest_reset_day: {} (0 = Monday)\n\
         cooldowns: {}\nxp_formula_plugin: {}\ncard_style: {}\ndemote_on_xp_loss: {}",
        cfg.xp_rate,
        shown(&cfg.level_up_message),
        channel_shown(&cfg.level_up_channel),
        channel_shown(&cfg.quest_channel),
        channel_shown(&cfg.achievement_channel),
        cfg.quest_reset_hour,
        cfg.quest_reset_day,
        cfg.cooldowns
            .as_ref()
            .map_or("(defaults)".to_string(), |v| fit_to(v.to_string(), 300)),
        cfg.xp_formula_plugin
            .clone()
            .unwrap_or_else(|| format!("{} (default)", c.default_xp_plugin)),
        shown(&cfg.card_style),
        cfg.demote_on_xp_loss,
    );
    Ok(Reply::private(out))
}

/// A channel given as `<#id>` or a bare id.
fn channel_id(value: &str) -> Option<u64> {
    let v = value.trim();
    let v = v
        .strip_prefix("<#")
        .and_then(|v| v.strip_suffix('>'))
        .unwrap_or(v);
    v.parse::<u64>().ok().filter(|id| *id > 0)
}

async fn config_set(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let setting = req.need("setting", req.string("setting"))?;
    if !CONFIG_SETTINGS.contains(&setting) {
        return Err(CommandError::Usage(format!(
            "`{setting}` is not a setting; one of: {}",
            CONFIG_SETTINGS.join(", ")
        )));
    }
    let raw = req.string("value").unwrap_or("").trim().to_string();
    let value = match setting {
        "level_up_channel" | "quest_channel" | "achievement_channel" | "afk_channel"
            if !raw.is_empty() =>
        {
            let id = channel_id(&raw).ok_or_else(|| {
                CommandError::Usage(format!(
                    "`{}` is not a channel: mention it (#channel) or give its id",
                    fit_to(raw.clone(), 100)
                ))
            })?;
            super::guild::check_channel(c, req.guild, id, setting).await?;
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
        "level_up_message" if raw.chars().count() > 1_500 => {
            return Err(CommandError::Usage(
                "a level-up message may be at most 1500 characters (it must fit in one Discord message with names filled in)".into(),
            ));
        }
        _ => raw,
    };
    let parsed =
        ServerSetting::parse(setting, &value).map_err(|e| CommandError::Usage(e.to_string()))?;
    c.db.update_server_config(&req.guild.to_string(), parsed)
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
    Ok(Reply::private(if value.is_empty() {
        format!("`{setting}` cleared (back to the default).{note}")
    } else {
        format!("`{setting}` is now `{}`.{note}", fit_to(value, 200))
    }))
}

/// `/xp add|remove|set|reset member amount [reason]`.
async fn xp(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    use super::xp::XpChange;
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
    let done = super::xp::adjust(c, req.guild, member, change, req.user, reason).await?;
    Ok(Reply::private(format!(
        "<@{member}>: {} XP → {} XP (level {} → {}).",
        done.old_xp, done.new_xp, done.old_level, done.new_level
    )))
}

async fn level_roles(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let gid = req.guild.to_string();
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
            super::guild::check_role(c, req.guild, role).await?;
            let stacked = req.boolean("stacked").unwrap_or(false);
            c.db.add_level_role(&gid, &role.to_string(), level as i32, stacked)
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
            if c.db.remove_level_role(&gid, &role.to_string()).await? {
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
            let roles = c.db.list_level_roles(&gid).await?;
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

async fn quest(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let gid = req.guild.to_string();
    match req.subcommand.as_deref() {
        Some("create") => {
            let name = req.need("name", req.string("name"))?.trim().to_string();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(CommandError::Usage(
                    "a quest name is 1 to 100 characters".into(),
                ));
            }
            let requirement = req.need("requirement", req.string("requirement"))?.trim();
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
                    requirement_type: requirement.to_string(),
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
                "Quest #{} **{}** created: {} {} for {} XP.",
                q.id, q.name, q.requirement_value, q.requirement_type, q.reward_xp
            )))
        }
        Some("list") => {
            let list = c.db.get_guild_active_quests(&gid, None).await?;
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
                Some(q) if q.guild_id == gid => {
                    let n = c.db.deactivate_quests(&gid, &[id]).await?;
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

async fn achievement(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    let gid = req.guild.to_string();
    match req.subcommand.as_deref() {
        Some("create") => {
            let name = req.need("name", req.string("name"))?.trim().to_string();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(CommandError::Usage(
                    "an achievement name is 1 to 100 characters".into(),
                ));
            }
            let requirement = req.need("requirement", req.string("requirement"))?.trim();
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
                    &gid,
                    &name,
                    &description,
                    requirement,
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
                "Achievement #{} **{}** created: {} {} for {} XP.",
                a.id, a.name, a.requirement_value, a.requirement_type, a.reward_xp
            )))
        }
        Some("list") => {
            let list = c.db.list_achievements(&gid).await?;
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
            match c.db.delete_achievement(&gid, id).await? {
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

async fn plugins(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
    match req.subcommand.as_deref() {
        Some("list") => {
            let mut out = "🧩 **Plugins**\n".to_string();
            let engine = c.engine.get().await;
            for p in c.plugins.list() {
                let kinds: Vec<&str> = p.kinds.iter().map(|k| k.as_str()).collect();
                let off = match engine.as_ref() {
                    Some(e) => {
                        !e.pipeline()
                            .plugin_cache()
                            .settings(req.guild, &p.name)
                            .await?
                            .enabled
                    }
                    None => false,
                };
                let _ = writeln!(
                    out,
                    "**{}** {} · {} · {}{}",
                    p.name,
                    p.version.as_deref().unwrap_or("-"),
                    kinds.join(", "),
                    p.state,
                    if off { " · switched off here" } else { "" }
                );
            }
            Ok(Reply::private(out))
        }
        Some("reload") => {
            let host = c.plugins.clone();
            let result = tokio::task::spawn_blocking(move || host.load_dir())
                .await
                .map_err(|e| CommandError::Plugin(format!("reload task failed: {e}")))?;
            match result {
                Ok(failures) if failures.is_empty() => Ok(Reply::private(
                    "Plugins reloaded from the plugin directory.",
                )),
                Ok(failures) => {
                    let mut out =
                        "Reloaded; these files were refused (the previous versions keep serving):\n"
                            .to_string();
                    for (path, err) in failures {
                        let _ = writeln!(
                            out,
                            "- {}: {}",
                            path.display(),
                            fit_to(err.to_string(), 300)
                        );
                    }
                    Ok(Reply::private(out))
                }
                Err(e) => Err(CommandError::Plugin(format!(
                    "the plugin directory could not be read: {e}"
                ))),
            }
        }
        Some(sub @ ("enable" | "disable")) => {
            let name = loaded_plugin(c, req)?;
            let on = sub == "enable";
            engine_settings(c, req.guild, &name, Some(on), None).await?;
            Ok(Reply::private(if on {
                format!("`{name}` is switched on for this server.")
            } else {
                format!(
                    "`{name}` is switched off for this server: its commands answer that it is off and it offers no new quests."
                )
            }))
        }
        Some("config") => {
            let name = loaded_plugin(c, req)?;
            let raw = req.string("json").map(str::trim).unwrap_or("");
            if raw.is_empty() {
                let s = {
                    let engine = c.engine.get().await;
                    let engine = engine.as_ref().ok_or(CommandError::Closed)?;
                    engine
                        .pipeline()
                        .plugin_cache()
                        .settings(req.guild, &name)
                        .await?
                };
                return Ok(Reply::private(format!(
                    "`{name}` is {} here; settings: `{}`",
                    if s.enabled { "on" } else { "off" },
                    fit_to(s.config_json, 1_800)
                )));
            }
            let value: serde_json::Value = serde_json::from_str(raw).map_err(|e| {
                CommandError::Usage(format!(
                    "the settings must be JSON (e.g. {{\"bonus\": 50}}); yours is not: {e}"
                ))
            })?;
            if !value.is_object() {
                return Err(CommandError::Usage(
                    "the settings must be a JSON object, like {\"bonus\": 50}".into(),
                ));
            }
            let stored = engine_settings(c, req.guild, &name, None, Some(value)).await?;
            Ok(Reply::private(format!(
                "`{name}` settings saved: `{}`",
                fit_to(stored.config_json, 1_800)
            )))
        }
        _ => Err(CommandError::Usage(
            "use /plugins list, enable, disable, config or reload".into(),
        )),
    }
}

/// The `name` option, if it names a loaded plugin.
fn loaded_plugin(c: &Commands, req: &Request) -> Result<String, CommandError> {
    let name = req.need("name", req.string("name"))?.trim().to_string();
    if c.plugins.info(&name).is_none() {
        let loaded: Vec<String> = c.plugins.list().into_iter().map(|p| p.name).collect();
        return Err(CommandError::NotFound(format!(
            "no plugin named `{}` is loaded; loaded: {}",
            fit_to(name, 64),
            loaded.join(", ")
        )));
    }
    Ok(name)
}

/// Stores a guild's plugin switch/settings through the engine's plugin cache (which the
/// engine reads), so the change applies from the next command or batch.
async fn engine_settings(
    c: &Commands,
    guild: u64,
    plugin: &str,
    enabled: Option<bool>,
    config: Option<serde_json::Value>,
) -> Result<crate::engine::plugin_cache::GuildPluginSettings, CommandError> {
    let engine = c.engine.get().await;
    let engine = engine.as_ref().ok_or(CommandError::Closed)?;
    engine
        .pipeline()
        .plugin_cache()
        .store_settings(guild, plugin, enabled, config)
        .await
        .map_err(|e| match e {
            crate::engine::EngineError::Db(crate::db::DbError::Invalid { field, reason }) => {
                CommandError::Usage(format!("{field}: {reason}"))
            }
            other => CommandError::Engine(other),
        })
}
