//! Opening the database and the plugin runtime the way every engine front needs them: the
//! repository (migrations applied), a plugin host whose `kv` is the database, the bundled
//! plugins and (optionally) the plugin directory.

use std::sync::Arc;

use super::error::EngineError;
use super::kv::DbKv;
use crate::db::{DatabaseConfig, Db};
use crate::plugins::{PluginHost, PluginsConfig};

/// Connects to the database (running migrations) and starts the plugin runtime with the
/// bundled plugins; with `load_dir`, plugins from `[plugins] dir` override bundled ones.
/// Must be called inside a tokio runtime.
pub async fn open(
    database: &DatabaseConfig,
    plugins: &PluginsConfig,
    load_dir: bool,
) -> Result<(Db, PluginHost), EngineError> {
    let db = Db::connect(database).await?;
    let kv = Arc::new(DbKv::new(db.clone()));
    let host = PluginHost::new(plugins, kv)?;
    for (name, err) in host.load_bundled(crate::bundled::BUNDLED) {
        tracing::error!(plugin = %name, error = %err, "bundled plugin unavailable");
    }
    if load_dir {
        match host.load_dir() {
            Ok(failures) => {
                for (path, err) in failures {
                    tracing::error!(path = %path.display(), error = %err, "plugin file skipped");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "plugin directory unavailable; bundled plugins only")
            }
        }
    }
    Ok((db, host))
}
