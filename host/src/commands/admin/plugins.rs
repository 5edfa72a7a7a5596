//! `/plugins list|enable|disable|config|reload`: the loaded plugins and a guild's switch and
//! settings for each.

use std::fmt::Write as _;

use crate::commands::Commands;
use crate::commands::types::{CommandError, Reply, Request, fit_to};
use crate::plugins::SettingsSchema;

pub(super) async fn handle(c: &Commands, req: &Request) -> Result<Reply, CommandError> {
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
            c.check_operator(req)?;
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
                let mut out = format!(
                    "`{name}` is {} here; settings: `{}`",
                    if s.enabled { "on" } else { "off" },
                    fit_to(s.config_json.clone(), 1_000)
                );
                if let Some(schema) = c.plugins.settings_schema(&name) {
                    out.push_str(&describe_schema(&schema, &s.config_json));
                }
                return Ok(Reply::private(fit_to(out, 1_900)));
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
            if let Some(schema) = c.plugins.settings_schema(&name) {
                schema.validate(&value).map_err(|problems| {
                    CommandError::Usage(format!(
                        "`{name}` settings refused, nothing was saved: {problems}. \
                         `/plugins config name:{name}` without JSON lists its settings"
                    ))
                })?;
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

/// The keys a plugin's schema declares, and whether the stored settings still fit it (they
/// may predate the schema, or a new plugin version's).
fn describe_schema(schema: &SettingsSchema, stored_json: &str) -> String {
    let mut out = String::new();
    if schema.keys().is_empty() {
        out.push_str("\nIt takes no settings.");
    } else {
        out.push_str("\nIts settings (unset ones take the default):");
        for key in schema.keys() {
            let _ = write!(out, "\n- {}", fit_to(key.to_string(), 200));
        }
    }
    if let Ok(stored) = serde_json::from_str::<serde_json::Value>(stored_json)
        && let Err(problems) = schema.validate(&stored)
    {
        let _ = write!(
            out,
            "\n⚠️ The stored settings do not fit this version's schema ({problems}); the plugin \
             gets them as they are until you set new ones."
        );
    }
    out
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
