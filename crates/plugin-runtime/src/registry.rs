//! Which plugins are loaded. Calls read an immutable snapshot (name -> plugin) that is
//! replaced as a whole after every change, so a call never waits on a reload and a reload
//! never waits on a call: a call in flight keeps its `Arc` to the old version until it ends.
//! The catalog behind the snapshot (bundled plugins, files and their last errors) is only
//! touched by loads, reloads and `list`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use super::capability::Capability;
use super::kind::{PluginKind, PluginSource};
use super::loader::LoadedPlugin;

pub(crate) type Snapshot = HashMap<String, Arc<LoadedPlugin>>;

/// A plugin file and what became of it.
#[derive(Default)]
struct FileEntry {
    /// The version serving calls (the last one that loaded).
    loaded: Option<Arc<LoadedPlugin>>,
    /// Why the file as it is now on disk could not be loaded.
    error: Option<String>,
}

#[derive(Default)]
struct Catalog {
    bundled: BTreeMap<String, Arc<LoadedPlugin>>,
    bundled_failed: BTreeMap<String, String>,
    files: BTreeMap<PathBuf, FileEntry>,
}

/// A plugin's state as `list` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginState {
    /// Serving calls.
    Loaded,
    /// Serving calls, but the file on disk now failed to load (the previous version stays).
    LoadedWithError(String),
    /// Could not be loaded.
    Failed(String),
    /// Loaded but skipped after repeated failures, for this many more seconds.
    Quarantined { retry_in_secs: u64 },
    /// Loaded but overridden by a plugin of the same name from this source.
    Shadowed { by: String },
}

impl std::fmt::Display for PluginState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Loaded => f.write_str("loaded"),
            Self::LoadedWithError(e) => write!(f, "loaded (new file rejected: {e})"),
            Self::Failed(e) => write!(f, "failed: {e}"),
            Self::Quarantined { retry_in_secs } => {
                write!(f, "quarantined (retry in {retry_in_secs} s)")
            }
            Self::Shadowed { by } => write!(f, "shadowed by {by}"),
        }
    }
}

/// One row of `list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginStatus {
    /// The plugin's name (for a file that never loaded: the file name).
    pub name: String,
    pub version: Option<String>,
    pub kinds: Vec<PluginKind>,
    /// The host interfaces it declared (and so may import).
    pub capabilities: Vec<Capability>,
    pub source: PluginSource,
    pub state: PluginState,
}

#[derive(Default)]
pub(crate) struct Registry {
    snapshot: RwLock<Arc<Snapshot>>,
    catalog: Mutex<Catalog>,
}

impl Registry {
    /// The current snapshot (cheap: one `Arc` clone under a read lock).
    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<Arc<LoadedPlugin>> {
        self.snapshot().get(name).cloned()
    }

    fn with_catalog<R>(&self, f: impl FnOnce(&mut Catalog) -> R) -> R {
        let mut catalog = match self.catalog.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let result = f(&mut catalog);
        let snapshot = Arc::new(build_snapshot(&catalog));
        match self.snapshot.write() {
            Ok(mut guard) => *guard = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
        result
    }

    pub(crate) fn add_bundled(&self, plugin: LoadedPlugin) {
        self.with_catalog(|c| {
            c.bundled_failed.remove(&plugin.info.name);
            c.bundled.insert(plugin.info.name.clone(), Arc::new(plugin));
        });
    }

    pub(crate) fn bundled_failed(&self, name: &str, reason: String) {
        self.with_catalog(|c| {
            c.bundled_failed.insert(name.to_owned(), reason);
        });
    }

    /// A file loaded: it replaces whatever that file served before.
    pub(crate) fn file_loaded(&self, path: &Path, plugin: LoadedPlugin) {
        self.with_catalog(|c| {
            c.files.insert(
                path.to_owned(),
                FileEntry {
                    loaded: Some(Arc::new(plugin)),
                    error: None,
                },
            );
        });
    }

    /// A file failed to load: the version it served before (if any) keeps serving.
    pub(crate) fn file_failed(&self, path: &Path, reason: String) {
        self.with_catalog(|c| {
            c.files.entry(path.to_owned()).or_default().error = Some(reason);
        });
    }

    /// A file was removed: its plugin is unloaded (a bundled one of that name comes back).
    pub(crate) fn file_removed(&self, path: &Path) -> bool {
        self.with_catalog(|c| c.files.remove(path).is_some())
    }

    /// The version a file serves, when its current bytes loaded cleanly.
    pub(crate) fn get_file(&self, path: &Path) -> Option<Arc<LoadedPlugin>> {
        let catalog = match self.catalog.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let entry = catalog.files.get(path)?;
        if entry.error.is_some() {
            return None;
        }
        entry.loaded.clone()
    }

    /// Files currently known (loaded or failed).
    pub(crate) fn known_files(&self) -> Vec<PathBuf> {
        match self.catalog.lock() {
            Ok(c) => c.files.keys().cloned().collect(),
            Err(p) => p.into_inner().files.keys().cloned().collect(),
        }
    }

    pub(crate) fn statuses(&self) -> Vec<PluginStatus> {
        let catalog = match self.catalog.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let active = build_snapshot(&catalog);
        let now = Instant::now();
        let state_of = |plugin: &Arc<LoadedPlugin>, error: Option<&String>| {
            let serving = active.get(&plugin.info.name);
            match serving {
                Some(s) if !Arc::ptr_eq(s, plugin) => PluginState::Shadowed {
                    by: s.source.to_string(),
                },
                _ => match plugin.breaker.quarantined(now) {
                    Some(open) => PluginState::Quarantined {
                        retry_in_secs: open.retry_in.as_secs().max(1),
                    },
                    None => match error {
                        Some(e) => PluginState::LoadedWithError(e.clone()),
                        None => PluginState::Loaded,
                    },
                },
            }
        };
        let mut rows = Vec::new();
        for plugin in catalog.bundled.values() {
            rows.push(row(plugin, state_of(plugin, None)));
        }
        for (name, reason) in &catalog.bundled_failed {
            rows.push(PluginStatus {
                name: name.clone(),
                version: None,
                kinds: Vec::new(),
                capabilities: Vec::new(),
                source: PluginSource::Bundled,
                state: PluginState::Failed(reason.clone()),
            });
        }
        for (path, entry) in &catalog.files {
            match &entry.loaded {
                Some(plugin) => rows.push(row(plugin, state_of(plugin, entry.error.as_ref()))),
                None => rows.push(PluginStatus {
                    name: path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    version: None,
                    kinds: Vec::new(),
                    capabilities: Vec::new(),
                    source: PluginSource::File(path.clone()),
                    state: PluginState::Failed(entry.error.clone().unwrap_or_default()),
                }),
            }
        }
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows
    }
}

fn row(plugin: &LoadedPlugin, state: PluginState) -> PluginStatus {
    PluginStatus {
        name: plugin.info.name.clone(),
        version: Some(plugin.info.version.clone()),
        kinds: plugin.info.kinds.clone(),
        capabilities: plugin
            .info
            .capabilities
            .iter()
            .map(|c| c.capability)
            .collect(),
        source: plugin.source.clone(),
        state,
    }
}

/// Bundled plugins first, then files in path order: a file overrides a bundled plugin of the
/// same name (and of two files with one name, the later path wins and the other is shadowed).
fn build_snapshot(catalog: &Catalog) -> Snapshot {
    let mut active: Snapshot = catalog
        .bundled
        .iter()
        .map(|(name, p)| (name.clone(), p.clone()))
        .collect();
    for entry in catalog.files.values() {
        if let Some(plugin) = &entry.loaded {
            active.insert(plugin.info.name.clone(), plugin.clone());
        }
    }
    active
}
