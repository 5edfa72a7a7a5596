//! tracing set-up: human-readable lines by default, one JSON object per line for log
//! shippers (`--log-format json`). The filter comes from `QUESTLINE_LOG` (tracing's
//! `EnvFilter` syntax, e.g. `info,questline::db=debug`).

use std::io::IsTerminal as _;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Aligned, coloured on a terminal.
    #[default]
    Human,
    /// One JSON object per line with the span fields flattened in.
    Json,
}

/// Installs the global subscriber (once; later calls are ignored) writing to stderr.
pub fn init(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("QUESTLINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}
