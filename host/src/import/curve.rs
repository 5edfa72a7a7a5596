//! The guild's XP curve for importers and `db verify`: the level table of the guild's
//! xp-formula plugin (chosen by [`xp_formula_for`], like everywhere else)
//! under the guild's plugin configuration, exactly as the engine computes it.

use crate::db::Db;
use crate::engine::plugin_cache::{PluginCache, TableCurve, xp_formula_for};
use crate::plugins::PluginHost;

/// The curve of `guild`; `plugin` overrides the guild's choice (e.g. the plugin named in a
/// Questline export's settings). Returns the curve and the plugin it came from.
pub async fn guild_curve(
    db: &Db,
    plugins: &PluginHost,
    default_plugin: &str,
    guild: u64,
    plugin: Option<&str>,
) -> Result<(TableCurve, String), super::ImportError> {
    let chosen = match plugin {
        Some(p) => Some(p.to_string()),
        None => db.get_server_config(guild).await?.xp_formula_plugin,
    };
    let name = xp_formula_for(plugins, guild, chosen.as_deref(), default_plugin);
    let cache = PluginCache::new(plugins.clone(), db.clone());
    let table = cache
        .level_table(guild, &name, chrono::Utc::now().timestamp_millis())
        .await
        .map_err(|e| super::ImportError::Curve(format!("plugin `{name}`: {e}")))?;
    Ok((TableCurve(table), name))
}
