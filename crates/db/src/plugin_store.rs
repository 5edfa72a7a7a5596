//! Plugin key-value storage and per-guild plugin settings.
//!
//! Limits protect the database from a misbehaving plugin: keys <= 128 bytes, values <= 64 KiB,
//! and at most `kv_max_keys` keys per (guild, plugin). The quota is checked in the same
//! transaction as the write; two concurrent inserts of new keys may overshoot it by the number
//! of racing writers, which is acceptable for a resource guard.

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};

use super::Db;
use super::entities::{plugin_kv, plugin_settings};
use super::error::DbError;

pub const KV_MAX_KEY_BYTES: usize = 128;
pub const KV_MAX_VALUE_BYTES: usize = 64 * 1024;

/// A plugin's settings in one guild.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginSettings {
    pub enabled: bool,
    pub config: serde_json::Value,
}

fn check_plugin(plugin: &str) -> Result<(), DbError> {
    if plugin.is_empty() || plugin.len() > 64 {
        return Err(DbError::invalid("plugin", "must be 1 to 64 characters"));
    }
    Ok(())
}

impl Db {
    pub async fn kv_get(
        &self,
        guild: u64,
        plugin: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, DbError> {
        let guild_id: &str = &guild.to_string();
        self.retry("kv_get", || async {
            Ok::<_, DbError>(
                plugin_kv::Entity::find_by_id((
                    guild_id.to_string(),
                    plugin.to_string(),
                    key.to_string(),
                ))
                .one(self.conn())
                .await?
                .map(|m| m.value),
            )
        })
        .await
    }

    /// Stores `value` under `key`, enforcing the size limits and the key quota.
    pub async fn kv_set(
        &self,
        guild: u64,
        plugin: &str,
        key: &str,
        value: &[u8],
    ) -> Result<(), DbError> {
        let guild_id: &str = &guild.to_string();
        check_plugin(plugin)?;
        if key.is_empty() {
            return Err(DbError::invalid("key", "cannot be empty"));
        }
        if key.len() > KV_MAX_KEY_BYTES {
            return Err(DbError::KvKeyTooLong {
                len: key.len(),
                max: KV_MAX_KEY_BYTES,
            });
        }
        if value.len() > KV_MAX_VALUE_BYTES {
            return Err(DbError::KvValueTooLarge {
                len: value.len(),
                max: KV_MAX_VALUE_BYTES,
            });
        }
        let max = self.inner.kv_max_keys;
        self.retry("kv_set", || async {
            // Write first, then check the quota and roll back if this write broke it: on
            // SQLite this takes the write lock up front (no read-to-write upgrade), and on
            // both backends the count sees our own insert.
            let txn = self.begin_write().await?;
            txn.execute(Statement::from_sql_and_values(
                txn.get_database_backend(),
                "INSERT INTO plugin_kv (guild_id, plugin, key, value, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (guild_id, plugin, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                vec![
                    guild_id.into(),
                    plugin.into(),
                    key.into(),
                    value.to_vec().into(),
                    Utc::now().into(),
                ],
            ))
            .await?;
            let count = plugin_kv::Entity::find()
                .filter(plugin_kv::Column::GuildId.eq(guild_id))
                .filter(plugin_kv::Column::Plugin.eq(plugin))
                .count(&txn)
                .await?;
            if count > max {
                txn.rollback().await?;
                return Err(DbError::KvQuotaExceeded {
                    plugin: plugin.to_string(),
                    max,
                });
            }
            txn.commit().await?;
            Ok(())
        })
        .await
    }

    /// Deletes `key`. Returns whether it existed.
    pub async fn kv_delete(&self, guild: u64, plugin: &str, key: &str) -> Result<bool, DbError> {
        let guild_id: &str = &guild.to_string();
        self.retry("kv_delete", || async {
            let res = plugin_kv::Entity::delete_by_id((
                guild_id.to_string(),
                plugin.to_string(),
                key.to_string(),
            ))
            .exec(self.conn())
            .await?;
            Ok::<_, DbError>(res.rows_affected > 0)
        })
        .await
    }

    /// Keys of a plugin in a guild that start with `prefix`, sorted.
    pub async fn kv_list_keys(
        &self,
        guild: u64,
        plugin: &str,
        prefix: &str,
    ) -> Result<Vec<String>, DbError> {
        let guild_id: &str = &guild.to_string();
        let keys: Vec<String> = self
            .retry("kv_list_keys", || async {
                Ok::<_, DbError>(
                    plugin_kv::Entity::find()
                        .filter(plugin_kv::Column::GuildId.eq(guild_id))
                        .filter(plugin_kv::Column::Plugin.eq(plugin))
                        .order_by_asc(plugin_kv::Column::Key)
                        .select_only()
                        .column(plugin_kv::Column::Key)
                        .into_tuple::<String>()
                        .all(self.conn())
                        .await?,
                )
            })
            .await?;
        // Filtered here rather than with LIKE so `%`/`_` in a prefix need no escaping.
        Ok(keys.into_iter().filter(|k| k.starts_with(prefix)).collect())
    }

    /// A plugin's settings in a guild; `None` if never set (the plugin's defaults apply).
    pub async fn get_plugin_settings(
        &self,
        guild: u64,
        plugin: &str,
    ) -> Result<Option<PluginSettings>, DbError> {
        let guild_id: &str = &guild.to_string();
        let row = self
            .retry("get_plugin_settings", || async {
                Ok::<_, DbError>(
                    plugin_settings::Entity::find_by_id((guild_id.to_string(), plugin.to_string()))
                        .one(self.conn())
                        .await?,
                )
            })
            .await?;
        row.map(|m| {
            let config = serde_json::from_str(&m.config).map_err(|e| {
                DbError::Other(format!(
                    "stored configuration of plugin `{plugin}` is not valid JSON ({e}); set it again"
                ))
            })?;
            Ok(PluginSettings {
                enabled: m.enabled,
                config,
            })
        })
        .transpose()
    }

    /// Sets a plugin's switch and configuration in a guild.
    pub async fn set_plugin_settings(
        &self,
        guild: u64,
        plugin: &str,
        settings: &PluginSettings,
    ) -> Result<(), DbError> {
        let guild_id: &str = &guild.to_string();
        check_plugin(plugin)?;
        let config = settings.config.to_string();
        if config.len() > KV_MAX_VALUE_BYTES {
            return Err(DbError::invalid("config", "at most 64 KiB of JSON"));
        }
        self.retry("set_plugin_settings", || async {
            self.conn()
                .execute(self.stmt(
                    "INSERT INTO plugin_settings (guild_id, plugin, enabled, config, updated_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (guild_id, plugin) DO UPDATE SET enabled = excluded.enabled, config = excluded.config, \
                     updated_at = excluded.updated_at",
                    vec![
                        guild_id.into(),
                        plugin.into(),
                        settings.enabled.into(),
                        config.as_str().into(),
                        Utc::now().into(),
                    ],
                ))
                .await?;
            Ok::<_, DbError>(())
        })
        .await
    }
}
