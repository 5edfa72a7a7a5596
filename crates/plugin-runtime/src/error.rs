//! Errors of the plugin runtime. Every variant names the plugin and says what happened, so the
//! engine can log it and fall back to default behaviour, and an operator knows what to fix.

use std::path::PathBuf;

/// What can go wrong loading or calling a plugin.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error(
        "plugin `{plugin}` used more than its {limit_ms} ms of CPU time in one call and was stopped"
    )]
    Timeout { plugin: String, limit_ms: u64 },

    /// The plugin's key-value store could not be reached during the call, so its answer was
    /// computed without its stored state and is not used; the caller retries the work once
    /// the database is back. Not the plugin's fault.
    #[error(
        "plugin `{plugin}` could not reach its key-value store ({reason}); its answer is not used and the work is retried"
    )]
    HostUnavailable { plugin: String, reason: String },

    #[error(
        "plugin `{plugin}` tried to use more than its {limit_mib} MiB memory limit and was stopped"
    )]
    MemoryLimit { plugin: String, limit_mib: u64 },

    #[error("plugin `{plugin}` crashed (trap): {message}")]
    Trap { plugin: String, message: String },

    #[error("plugin `{plugin}` returned an invalid result: {reason}")]
    BadOutput { plugin: String, reason: String },

    #[error(
        "plugin `{plugin}` is quarantined after {failures} consecutive failures; it is retried in {retry_in_secs} s"
    )]
    Quarantined {
        plugin: String,
        failures: u32,
        retry_in_secs: u64,
    },

    #[error("no plugin named `{plugin}` is loaded (see `questline plugin list`)")]
    NotLoaded { plugin: String },

    #[error("plugin `{plugin}` does not implement the `{kind}` kind")]
    MissingKind { plugin: String, kind: String },

    #[error("plugin is incompatible with this host: {reason}")]
    Incompatible { reason: String },

    #[error("cannot read plugin file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot watch plugin directory {path}: {message}")]
    Watch { path: PathBuf, message: String },

    #[error("plugin `{plugin}` could not be started: {message}")]
    Instantiate { plugin: String, message: String },

    #[error("plugin runtime could not start: {0}")]
    Engine(String),

    #[error("plugin call `{plugin}` was cancelled: {message}")]
    Cancelled { plugin: String, message: String },
}

impl PluginError {
    /// Whether the failure is the host's and passes (the database was unreachable): the work
    /// is to be retried, not done without the plugin.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::HostUnavailable { .. })
    }

    /// Whether this failure counts against the plugin's circuit breaker: the plugin misbehaved,
    /// as opposed to the caller asking for something that is not there.
    pub fn is_plugin_fault(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. }
                | Self::MemoryLimit { .. }
                | Self::Trap { .. }
                | Self::BadOutput { .. }
        )
    }
}

/// Renders a wasmtime error with its whole cause chain on one line.
pub(crate) fn describe(err: &wasmtime::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let cause_text = cause.to_string();
        if text.contains(&cause_text) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause_text);
    }
    text
}
