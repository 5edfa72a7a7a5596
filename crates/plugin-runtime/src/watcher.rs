//! Hot reload: the plugin directory is watched (debounced), and each changed `.wasm` file is
//! reloaded on the watcher's own thread, off the hot path. A file that appears or changes is
//! loaded and swapped in only if every check passes; a file that disappears is unloaded.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::error::PluginError;
use super::host::{Inner, PluginHost, is_plugin_file};

/// Keeps the directory watched; dropping it stops hot reload.
pub struct PluginWatcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    dir: PathBuf,
}

impl PluginWatcher {
    /// The directory being watched (absolute).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl std::fmt::Debug for PluginWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginWatcher")
            .field("dir", &self.dir)
            .finish()
    }
}

impl PluginHost {
    /// Starts watching the plugin directory. Reloads happen until the returned guard is
    /// dropped (or the host is).
    pub fn start_watching(&self) -> Result<PluginWatcher, PluginError> {
        let dir = self.plugin_dir()?;
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let watch_dir = dir.clone();
        let debounce = Duration::from_millis(self.config().debounce_ms.max(10));
        let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let host = PluginHost { inner };
            match result {
                Ok(events) => {
                    let changed: BTreeSet<PathBuf> = events
                        .iter()
                        .flat_map(|e| e.event.paths.iter())
                        .filter_map(|p| p.file_name().map(|n| watch_dir.join(n)))
                        .filter(|p| is_plugin_file(p))
                        .collect();
                    for path in changed {
                        host.reload_path(path);
                    }
                }
                Err(errors) => {
                    for error in errors {
                        tracing::warn!(error = %error, "plugin directory watch error");
                    }
                }
            }
        })
        .map_err(|e| PluginError::Watch {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        debouncer
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|e| PluginError::Watch {
                path: dir.clone(),
                message: e.to_string(),
            })?;
        tracing::info!(dir = %dir.display(), "watching the plugin directory for changes");
        Ok(PluginWatcher {
            _debouncer: debouncer,
            dir,
        })
    }

    /// Brings the registry in line with one file: load it if it exists, unload it if not.
    fn reload_path(&self, path: PathBuf) {
        if path.is_file() {
            // Errors are logged and recorded by `load_file`; the old version keeps serving.
            let _ = self.load_file(&path);
        } else {
            self.unload_file(&path);
        }
    }
}
