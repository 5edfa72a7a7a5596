//! What the engine remembers about plugins between batches: level tables, per-guild plugin
//! configuration, and which quest plugin owns which requirement type.
//!
//! A level table costs ~1,000 plugin calls to build, so it is built once per (plugin,
//! version, guild configuration) and kept; a hot reload that changes the version, or a
//! configuration change, builds a new one. Entries also expire after a while so a reload that
//! kept the version number is picked up.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use super::curve::{LevelTable, MAX_LEVEL};
use super::error::EngineError;
use crate::db::{Db, LevelCurve, PluginSettings};
use crate::plugins::{CallContext, PluginHost, PluginKind, SettingsSchema};

/// The xp-formula plugin a guild uses: `chosen` (its own setting, or an import's) when that
/// plugin is loaded, else `default` (`[engine] default_xp_plugin`), with a warning. Every
/// front, the engine, the commands, the console, imports and `db verify`, asks here, so they
/// all level a guild on the same curve.
pub fn xp_formula_for(
    plugins: &PluginHost,
    guild: u64,
    chosen: Option<&str>,
    default: &str,
) -> String {
    match chosen {
        Some(name) if name == default || plugins.info(name).is_some() => name.to_owned(),
        Some(name) => {
            tracing::warn!(guild, plugin = %name, fallback = %default, "guild's xp formula plugin is not loaded; using the default");
            default.to_owned()
        }
        None => default.to_owned(),
    }
}

/// A level table as the repository's [`LevelCurve`].
#[derive(Debug, Clone)]
pub struct TableCurve(pub Arc<LevelTable>);

impl LevelCurve for TableCurve {
    fn level_for_xp(&self, xp: i64) -> i32 {
        i32::try_from(self.0.level_for_xp(xp)).unwrap_or(i32::MAX)
    }
}

/// A plugin's configuration for a guild, and whether the guild switched it on.
#[derive(Debug, Clone)]
pub struct GuildPluginSettings {
    pub enabled: bool,
    /// What the guild stored (`{}` when never set).
    pub config_json: String,
    /// What the plugin's `config.get` returns: the stored settings with the top-level
    /// defaults of the plugin's settings schema filled in.
    pub effective_json: String,
    /// The schema `effective_json` was made with: a hot reload that brings another schema
    /// makes the cached entry stale.
    schema: Option<Arc<SettingsSchema>>,
}

impl GuildPluginSettings {
    fn new(enabled: bool, config: &serde_json::Value, schema: Option<Arc<SettingsSchema>>) -> Self {
        let effective_json = match &schema {
            Some(s) if s.has_defaults() => s.with_defaults(config).to_string(),
            _ => config.to_string(),
        };
        Self {
            enabled,
            config_json: config.to_string(),
            effective_json,
            schema,
        }
    }

    fn made_with(&self, schema: Option<&Arc<SettingsSchema>>) -> bool {
        match (&self.schema, schema) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// Caches over plugin data.
#[derive(Clone)]
pub struct PluginCache {
    plugins: PluginHost,
    db: Db,
    tables: Cache<(String, String, String), Arc<LevelTable>>,
    settings: Cache<(u64, String), GuildPluginSettings>,
    /// Requirement types per (kind, plugin, version): asked once, not on every batch of every
    /// guild (two plugin calls per guild and batch otherwise).
    types: Cache<(PluginKind, String, String), Arc<Vec<String>>>,
}

impl PluginCache {
    pub fn new(plugins: PluginHost, db: Db) -> Self {
        Self {
            plugins,
            db,
            tables: Cache::builder()
                .max_capacity(256)
                .time_to_live(Duration::from_secs(300))
                .build(),
            settings: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(30))
                .build(),
            types: Cache::builder()
                .max_capacity(1_000)
                .time_to_live(Duration::from_secs(30))
                .build(),
        }
    }

    /// The guild's settings for `plugin` (enabled, `{}` configuration when never set).
    pub async fn settings(
        &self,
        guild: u64,
        plugin: &str,
    ) -> Result<GuildPluginSettings, EngineError> {
        let key = (guild, plugin.to_string());
        let schema = self.plugins.settings_schema(plugin);
        if let Some(hit) = self.settings.get(&key).await
            && hit.made_with(schema.as_ref())
        {
            return Ok(hit);
        }
        let stored = self.db.get_plugin_settings(guild, plugin).await?;
        let value = match stored {
            Some(s) => GuildPluginSettings::new(s.enabled, &s.config, schema),
            None => GuildPluginSettings::new(true, &serde_json::json!({}), schema),
        };
        self.settings.insert(key, value.clone()).await;
        Ok(value)
    }

    /// Changes the guild's switch and/or configuration of `plugin` (`None` keeps what is
    /// stored) and forgets the cached copy, so this process uses the new settings from the
    /// next call on (other processes within the cache's 30 s).
    pub async fn store_settings(
        &self,
        guild: u64,
        plugin: &str,
        enabled: Option<bool>,
        config: Option<serde_json::Value>,
    ) -> Result<GuildPluginSettings, EngineError> {
        let current = self.db.get_plugin_settings(guild, plugin).await;
        // A stored configuration that no longer parses is replaced, not a dead end.
        let current = match (current, &config) {
            (Ok(c), _) => c,
            (Err(_), Some(_)) => None,
            (Err(e), None) => return Err(e.into()),
        };
        let next = PluginSettings {
            enabled: enabled.unwrap_or(current.as_ref().is_none_or(|c| c.enabled)),
            config: config
                .or_else(|| current.map(|c| c.config))
                .unwrap_or_else(|| serde_json::json!({})),
        };
        self.db.set_plugin_settings(guild, plugin, &next).await?;
        self.settings.invalidate(&(guild, plugin.to_string())).await;
        Ok(GuildPluginSettings::new(
            next.enabled,
            &next.config,
            self.plugins.settings_schema(plugin),
        ))
    }

    /// A call context for `plugin` in `guild` at `now_ms` with `seed`.
    pub async fn context(
        &self,
        guild: u64,
        plugin: &str,
        now_ms: i64,
        seed: u64,
    ) -> Result<CallContext, EngineError> {
        let settings = self.settings(guild, plugin).await?;
        Ok(CallContext {
            guild,
            config_json: settings.effective_json,
            now_ms,
            seed,
        })
    }

    /// The level table of `plugin` (an xp-formula) under `guild`'s configuration.
    pub async fn level_table(
        &self,
        guild: u64,
        plugin: &str,
        now_ms: i64,
    ) -> Result<Arc<LevelTable>, EngineError> {
        let version = self
            .plugins
            .info(plugin)
            .map(|i| i.version)
            .ok_or_else(|| EngineError::MissingPlugin {
                plugin: plugin.to_string(),
                kind: "xp-formula",
            })?;
        let ctx = self.context(guild, plugin, now_ms, 0).await?;
        let key = (plugin.to_string(), version, ctx.config_json.clone());
        if let Some(hit) = self.tables.get(&key).await {
            return Ok(hit);
        }
        let host = self.plugins.clone();
        let name = plugin.to_string();
        let table = tokio::task::spawn_blocking(move || -> Result<LevelTable, EngineError> {
            let mut failure = None;
            let table = LevelTable::build(MAX_LEVEL, |level| {
                if failure.is_some() {
                    return i64::MAX;
                }
                match host.total_xp_for_level_blocking(&name, &ctx, level) {
                    Ok(xp) => xp,
                    Err(e) => {
                        failure = Some(e);
                        i64::MAX
                    }
                }
            });
            if let Some(e) = failure {
                return Err(e.into());
            }
            table.map_err(|e| EngineError::Curve {
                plugin: name.clone(),
                reason: e.to_string(),
            })
        })
        .await
        .map_err(|e| EngineError::Internal(format!("level table task failed: {e}")))??;
        let table = Arc::new(table);
        self.tables.insert(key, table.clone()).await;
        Ok(table)
    }

    /// Quest-type plugins and the requirement types each understands, sorted by name.
    pub async fn quest_plugins(&self) -> Vec<(String, Vec<String>)> {
        self.requirement_types(PluginKind::QuestType).await
    }

    /// Achievement-check plugins and their requirement types, sorted by name.
    pub async fn achievement_plugins(&self) -> Vec<(String, Vec<String>)> {
        self.requirement_types(PluginKind::AchievementCheck).await
    }

    async fn requirement_types(&self, kind: PluginKind) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        for name in self.plugins.plugins_with_kind(kind) {
            let Some(version) = self.plugins.info(&name).map(|i| i.version) else {
                continue;
            };
            let key = (kind, name.clone(), version);
            if let Some(hit) = self.types.get(&key).await {
                out.push((name, (*hit).clone()));
                continue;
            }
            let ctx = CallContext::default();
            let answer = match kind {
                PluginKind::QuestType => self.plugins.quest_requirement_types(&name, &ctx).await,
                _ => {
                    self.plugins
                        .achievement_requirement_types(&name, &ctx)
                        .await
                }
            };
            match answer {
                Ok(types) => {
                    self.types.insert(key, Arc::new(types.clone())).await;
                    out.push((name, types));
                }
                Err(e) => tracing::warn!(plugin = %name, error = %e, "plugin skipped"),
            }
        }
        out
    }
}
