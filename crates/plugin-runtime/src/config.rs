//! `[plugins]` configuration: where plugins live, where compiled artifacts are cached, and the
//! limits every plugin call runs under. Defaults are safe for a small bot on a small machine.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::capability::Capability;

/// `[plugins]` section.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {
    /// Directory operators drop `.wasm` plugins into (watched for hot reload).
    pub dir: PathBuf,
    /// Directory for compiled artifacts the host wrote itself (never operator-supplied).
    pub cache_dir: PathBuf,
    /// Watch `dir` and reload changed plugins without a restart.
    pub hot_reload: bool,
    /// Quiet period before a burst of file events is acted on, in milliseconds.
    pub debounce_ms: u64,
    /// CPU-time limit of one plugin call, in milliseconds: the plugin's own work, so a busy
    /// machine does not stop a plugin that stays within it (see `cpu_budget`).
    pub call_timeout_ms: u64,
    /// Linear-memory limit of one plugin instance, in MiB.
    pub memory_limit_mib: u64,
    /// Table-element limit of one plugin instance.
    pub max_table_elements: u64,
    /// Core instances one plugin store may create (a Rust component holds a handful).
    pub max_instances: u64,
    /// Ready instances kept per plugin between calls.
    pub pool_size: usize,
    /// Use wasmtime's pooling allocator (faster instantiation; reserves virtual memory).
    pub pooling: bool,
    /// Component instances the pooling allocator can hold across all plugins at once.
    pub pool_total_instances: u32,
    /// Consecutive failed calls that quarantine a plugin.
    pub breaker_failures: u32,
    /// How long a quarantined plugin is skipped before it is tried again, in seconds.
    pub breaker_cooldown_secs: u64,
    /// Bytes of stdout/stderr a plugin may write per call before output is dropped.
    pub max_output_bytes: usize,
    /// Log lines a plugin may emit per call before further lines are dropped.
    pub max_log_lines: u32,
    /// Largest plugin `questline plugin install URL` downloads, in bytes (plugins in other
    /// languages carry their runtime: a JavaScript or Python component is 10 to 20 MB).
    pub max_download_bytes: u64,
    /// Capabilities an operator denies, per plugin name (`[plugins.deny] streak-quests =
    /// ["kv"]`): a plugin that imports one it is denied is refused at load.
    pub deny: BTreeMap<String, Vec<Capability>>,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("data/plugins"),
            cache_dir: PathBuf::from("data/cache/plugins"),
            hot_reload: true,
            debounce_ms: 200,
            call_timeout_ms: 50,
            memory_limit_mib: 64,
            max_table_elements: 100_000,
            max_instances: 32,
            pool_size: 4,
            pooling: true,
            pool_total_instances: 128,
            breaker_failures: 5,
            breaker_cooldown_secs: 60,
            max_output_bytes: 16 * 1024,
            max_log_lines: 100,
            max_download_bytes: 64 * 1024 * 1024,
            deny: BTreeMap::new(),
        }
    }
}

impl PluginsConfig {
    pub(crate) fn memory_limit_bytes(&self) -> usize {
        usize::try_from(self.memory_limit_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }
}
