//! [`PluginHost`]: the runtime's front door. Cheap to clone (one `Arc`); every method may be
//! called from any thread. Loading and reloading never block calls: see [`super::registry`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::bundled::BundledPlugin;
use super::capability::Capability;
use super::config::PluginsConfig;
use super::error::PluginError;
use super::kind::{PluginInfo, PluginKind, PluginSource};
use super::kv::KvStore;
use super::loader::{self, LoadStats, LoadedPlugin};
use super::registry::{PluginStatus, Registry};
use super::runtime::Runtime;
use super::settings::{SettingKey, SettingsSchema};

pub(crate) struct Inner {
    pub(crate) rt: Runtime,
    pub(crate) registry: Registry,
    /// CPU time spent inside plugin calls, in nanoseconds (the calling thread's own CPU
    /// clock, so waiting for a core or for the pool is not counted).
    pub(crate) cpu_ns: std::sync::atomic::AtomicU64,
}

/// The plugin runtime. See the crate docs.
#[derive(Clone)]
pub struct PluginHost {
    pub(crate) inner: Arc<Inner>,
}

/// What `check` found out about a plugin file.
#[derive(Debug, Clone)]
pub struct PluginReport {
    pub info: PluginInfo,
    /// sha256 of the `.wasm` bytes.
    pub sha256: String,
    pub size_bytes: usize,
    pub stats: LoadStats,
    /// Imports the sandbox denies (name, what happens to calls), e.g. `wasi:sockets/tcp`.
    pub sandboxed_imports: Vec<(String, &'static str)>,
    /// The contract's host interfaces it imports (each is among `info.capabilities`).
    pub imports: Vec<Capability>,
    /// The keys of its settings schema, as compiled at load; `None` without a schema.
    pub settings_keys: Option<Vec<SettingKey>>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("plugins", &self.inner.registry.snapshot().len())
            .finish()
    }
}

impl PluginHost {
    /// Builds the engine (with the epoch ticker) and an empty registry.
    pub fn new(cfg: &PluginsConfig, kv: Arc<dyn KvStore>) -> Result<Self, PluginError> {
        Ok(Self {
            inner: Arc::new(Inner {
                rt: Runtime::new(cfg, kv)?,
                registry: Registry::default(),
                cpu_ns: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    pub fn config(&self) -> &PluginsConfig {
        &self.inner.rt.cfg
    }

    /// Calls, failures and call durations per plugin since start-up (`/metrics`).
    pub fn call_stats(&self) -> Vec<super::PluginCallStats> {
        self.inner.rt.stats.snapshot()
    }

    fn load_plugin(
        &self,
        bytes: &[u8],
        source: PluginSource,
    ) -> Result<(LoadedPlugin, LoadStats), PluginError> {
        loader::load(&self.inner.rt, bytes, source)
    }

    /// Loads the plugins compiled into the binary. A bundled plugin that fails is reported
    /// in [`Self::list`] and returned; the others still load.
    pub fn load_bundled(&self, plugins: &[BundledPlugin]) -> Vec<(String, PluginError)> {
        let mut failures = Vec::new();
        for bundled in plugins {
            if let Err(err) = self.load_bundled_bytes(bundled.name, bundled.wasm) {
                tracing::error!(plugin = bundled.name, error = %err, "bundled plugin failed to load");
                self.inner
                    .registry
                    .bundled_failed(bundled.name, err.to_string());
                failures.push((bundled.name.to_owned(), err));
            }
        }
        failures
    }

    /// Loads `wasm` as a bundled plugin (what [`Self::load_bundled`] does for each entry;
    /// public for benchmarks and embedders).
    pub fn load_bundled_bytes(&self, label: &str, wasm: &[u8]) -> Result<PluginInfo, PluginError> {
        let (plugin, _) = self.load_plugin(wasm, PluginSource::Bundled)?;
        if plugin.info.name != label {
            tracing::warn!(label, name = %plugin.info.name, "bundled plugin's metadata name differs from its crate name");
        }
        let info = plugin.info.clone();
        self.inner.registry.add_bundled(plugin);
        Ok(info)
    }

    /// The plugin directory, created when missing, as an absolute path.
    pub fn plugin_dir(&self) -> Result<PathBuf, PluginError> {
        let dir = &self.inner.rt.cfg.dir;
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::canonicalize(dir))
            .map_err(|source| PluginError::Read {
                path: dir.clone(),
                source,
            })
    }

    /// Loads every `.wasm` file of the plugin directory. Failures are recorded (see
    /// [`Self::list`]) and returned; they never stop other files from loading.
    pub fn load_dir(&self) -> Result<Vec<(PathBuf, PluginError)>, PluginError> {
        let dir = self.plugin_dir()?;
        let entries = std::fs::read_dir(&dir).map_err(|source| PluginError::Read {
            path: dir.clone(),
            source,
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_plugin_file(p))
            .collect();
        paths.sort();
        let mut failures = Vec::new();
        for path in paths {
            if let Err(err) = self.load_file(&path) {
                failures.push((path, err));
            }
        }
        Ok(failures)
    }

    /// Loads (or reloads) one plugin file and swaps it in. On failure the version the file
    /// served before keeps serving, and the reason shows in [`Self::list`].
    pub fn load_file(&self, path: &Path) -> Result<PluginInfo, PluginError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(source) => {
                let err = PluginError::Read {
                    path: path.to_owned(),
                    source,
                };
                self.inner.registry.file_failed(path, err.to_string());
                return Err(err);
            }
        };
        // Editors and copies fire several events per save: the same bytes are not reloaded
        // (which would also reset the plugin's breaker and drop its warm instances).
        if let Some(current) = self.inner.registry.get_file(path)
            && current.sha256 == super::cache::sha256_hex(&bytes)
        {
            return Ok(current.info.clone());
        }
        let result = self.load_plugin(&bytes, PluginSource::File(path.to_owned()));
        match result {
            Ok((plugin, stats)) => {
                let info = plugin.info.clone();
                tracing::info!(plugin = %info.name, version = %info.version, path = %path.display(), cached = ?stats.cache, ms = stats.total.as_millis() as u64, "plugin loaded");
                self.inner.registry.file_loaded(path, plugin);
                Ok(info)
            }
            Err(err) => {
                tracing::error!(path = %path.display(), error = %err, "plugin file rejected; any previous version keeps serving");
                self.inner.registry.file_failed(path, err.to_string());
                Err(err)
            }
        }
    }

    /// Unloads the plugin a file provided (a bundled plugin it shadowed comes back).
    pub fn unload_file(&self, path: &Path) -> bool {
        let removed = self.inner.registry.file_removed(path);
        if removed {
            tracing::info!(path = %path.display(), "plugin file removed; plugin unloaded");
        }
        removed
    }

    /// Plugin files the registry knows (loaded or failed).
    pub fn known_files(&self) -> Vec<PathBuf> {
        self.inner.registry.known_files()
    }

    /// Validates a plugin without registering it (what `questline plugin check` runs).
    pub fn check_bytes(&self, wasm: &[u8], path: &Path) -> Result<PluginReport, PluginError> {
        let (plugin, stats) = self.load_plugin(wasm, PluginSource::File(path.to_owned()))?;
        Ok(PluginReport {
            info: plugin.info.clone(),
            sha256: plugin.sha256.clone(),
            size_bytes: wasm.len(),
            stats,
            sandboxed_imports: loader::sandboxed_imports(&plugin),
            imports: loader::imported_capabilities(plugin.pre.component(), plugin.pre.engine()),
            settings_keys: plugin.settings.as_ref().map(|s| s.keys().to_vec()),
        })
    }

    /// Reads and validates a plugin file without registering it.
    pub fn check_file(&self, path: &Path) -> Result<PluginReport, PluginError> {
        let bytes = std::fs::read(path).map_err(|source| PluginError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.check_bytes(&bytes, path)
    }

    /// Every plugin, bundled and from the directory, with its state.
    pub fn list(&self) -> Vec<PluginStatus> {
        self.inner.registry.statuses()
    }

    /// What the serving plugin of that name says about itself.
    pub fn info(&self, plugin: &str) -> Option<PluginInfo> {
        self.inner.registry.get(plugin).map(|p| p.info.clone())
    }

    /// The compiled settings schema of the serving plugin of that name, if it declares one.
    pub fn settings_schema(&self, plugin: &str) -> Option<Arc<SettingsSchema>> {
        self.inner
            .registry
            .get(plugin)
            .and_then(|p| p.settings.clone())
    }

    /// Names of the serving plugins that implement `kind`, sorted.
    pub fn plugins_with_kind(&self, kind: PluginKind) -> Vec<String> {
        let mut names: Vec<String> = self
            .inner
            .registry
            .snapshot()
            .values()
            .filter(|p| p.info.kinds.contains(&kind))
            .map(|p| p.info.name.clone())
            .collect();
        names.sort();
        names
    }

    pub(crate) fn plugin(&self, name: &str) -> Result<Arc<LoadedPlugin>, PluginError> {
        self.inner
            .registry
            .get(name)
            .ok_or_else(|| PluginError::NotLoaded {
                plugin: name.to_owned(),
            })
    }

    /// CPU time all plugin calls of this host used so far, in nanoseconds (benchmarks:
    /// the plugins' share of the bot's CPU, whatever the calls waited for).
    pub fn cpu_ns(&self) -> u64 {
        self.inner.cpu_ns.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs a blocking plugin call on tokio's blocking pool, or right here inside
    /// [`crate::calls_inline`] (see [`crate::inline`] for why). Either way a panic in the
    /// call fails the call, not the caller.
    pub(crate) async fn off_thread<R: Send + 'static>(
        &self,
        plugin: &str,
        f: impl FnOnce(&PluginHost) -> Result<R, PluginError> + Send + 'static,
    ) -> Result<R, PluginError> {
        if super::inline::calls_are_inline() {
            return std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.timed_call(f)))
                .map_err(|panic| PluginError::Cancelled {
                plugin: plugin.to_owned(),
                message: panic_message(&panic),
            })?;
        }
        let host = self.clone();
        tokio::task::spawn_blocking(move || host.timed_call(f))
            .await
            .map_err(|e| PluginError::Cancelled {
                plugin: plugin.to_owned(),
                message: e.to_string(),
            })?
    }

    /// Runs `f`, adding the CPU time it used to [`Self::cpu_ns`].
    fn timed_call<R>(
        &self,
        f: impl FnOnce(&PluginHost) -> Result<R, PluginError>,
    ) -> Result<R, PluginError> {
        let started = cpu_time::ThreadTime::now();
        let result = f(self);
        let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.inner
            .cpu_ns
            .fetch_add(ns, std::sync::atomic::Ordering::Relaxed);
        result
    }
}

/// What a caught panic said, as `JoinError` would show it.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic");
    format!("the plugin call panicked: {text}")
}

/// Whether the plugin directory's watcher and loader should consider this path.
pub(crate) fn is_plugin_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "wasm")
        && path
            .file_name()
            .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls_inline;
    use std::thread::{self, ThreadId};

    fn host() -> PluginHost {
        let cfg = PluginsConfig {
            pooling: false,
            ..PluginsConfig::default()
        };
        PluginHost::new(&cfg, Arc::new(crate::MemoryKv::new())).expect("host")
    }

    #[test]
    fn calls_run_on_the_blocking_pool_or_inline_where_asked() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .expect("runtime");
        let host = host();
        rt.block_on(async {
            let me = thread::current().id();
            let pooled = host
                .off_thread("p", |_| Ok(thread::current().id()))
                .await
                .expect("call");
            assert_ne!(pooled, me, "off the async thread");
            let (here, ran_on): (ThreadId, ThreadId) = tokio::task::block_in_place(|| {
                calls_inline(|| {
                    let handle = tokio::runtime::Handle::current();
                    let ran_on = handle
                        .block_on(host.off_thread("p", |_| Ok(thread::current().id())))
                        .expect("call");
                    (thread::current().id(), ran_on)
                })
            });
            assert_eq!(ran_on, here, "inline: on the thread that may block");
            // A panicking call fails as a call, inline as on the pool.
            let inline_panic = tokio::task::block_in_place(|| {
                calls_inline(|| {
                    tokio::runtime::Handle::current()
                        .block_on(host.off_thread("p", |_| -> Result<(), _> { panic!("boom") }))
                })
            });
            let pooled_panic = host
                .off_thread("p", |_| -> Result<(), _> { panic!("boom") })
                .await;
            for result in [inline_panic, pooled_panic] {
                match result {
                    Err(PluginError::Cancelled { plugin, message }) => {
                        assert_eq!(plugin, "p");
                        assert!(
                            message.contains("boom") || message.contains("panic"),
                            "{message}"
                        );
                    }
                    other => panic!("expected a cancelled call, got {other:?}"),
                }
            }
        });
    }
}
