//! tracing set-up: human-readable lines by default, one JSON object per line for log
//! shippers (`--log-format json`), to stderr and, with `[logging] dir`, also to a file rotated
//! daily (`questline.log.2026-01-05`, the newest `[logging] keep` kept). The filter comes from
//! `QUESTLINE_LOG` (tracing's `EnvFilter` syntax, e.g. `info,questline::db=debug`).

use std::io::IsTerminal as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::problem::Problem;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Aligned, coloured on a terminal.
    #[default]
    Human,
    /// One JSON object per line with the span fields flattened in.
    Json,
}

/// `[logging]` section: log files besides stderr.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Directory of the log files; off when unset (stderr only, for systemd or a container
    /// runtime to collect).
    pub dir: Option<PathBuf>,
    /// File name; each day's file gets the date appended (`questline.log.2026-01-05`).
    pub file: String,
    /// Daily files kept; older ones are deleted when a new day starts.
    pub keep: usize,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            dir: None,
            file: "questline.log".to_string(),
            keep: 14,
        }
    }
}

impl LogConfig {
    pub(crate) fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let bad_name = self.file.is_empty()
            || self.file.contains(['/', '\\'])
            || self.file == "."
            || self.file == "..";
        if bad_name {
            out.push(Problem::value(
                "logging.file",
                format!("{:?}", self.file),
                "a plain file name such as \"questline.log\" (the directory is logging.dir)",
            ));
        }
        out
    }
}

/// Errors setting up log files.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(
        "cannot write log files in {dir}: {reason}; fix [logging] dir (or QUESTLINE_LOGGING_DIR)"
    )]
    File { dir: PathBuf, reason: String },
}

/// The daily-rotated file writer of `config`, `None` when file logging is off.
pub fn file_writer(config: &LogConfig) -> Result<Option<RollingFileAppender>, LogError> {
    let Some(dir) = &config.dir else {
        return Ok(None);
    };
    let fail = |reason: String| LogError::File {
        dir: dir.clone(),
        reason,
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(&config.file)
        .max_log_files(config.keep.max(1))
        .build(dir)
        .map(Some)
        .map_err(|e| fail(e.to_string()))
}

/// Installs the global subscriber (once; later calls are ignored) writing to stderr and,
/// when `[logging] dir` is set, to the daily file.
pub fn init(format: LogFormat, default_level: &str, config: &LogConfig) -> Result<(), LogError> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("QUESTLINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let file = file_writer(config)?;
    let ansi = std::io::stderr().is_terminal();
    type Boxed = Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>;
    let mut layers: Vec<Boxed> = Vec::new();
    match format {
        LogFormat::Human => {
            layers.push(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(ansi)
                    .boxed(),
            );
            if let Some(file) = file {
                layers.push(
                    tracing_subscriber::fmt::layer()
                        .with_writer(file)
                        .with_ansi(false)
                        .boxed(),
                );
            }
        }
        LogFormat::Json => {
            layers.push(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(std::io::stderr)
                    .boxed(),
            );
            if let Some(file) = file {
                layers.push(
                    tracing_subscriber::fmt::layer()
                        .json()
                        .flatten_event(true)
                        .with_current_span(true)
                        .with_writer(file)
                        .boxed(),
                );
            }
        }
    }
    // The filter applies to the output only: the gateway's session watch sees serenity's
    // shard events whatever the log level.
    let _ = tracing_subscriber::registry()
        .with(layers.with_filter(filter))
        .with(crate::discord::session_watch::layer())
        .try_init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[test]
    fn files_are_named_by_day_and_old_days_pruned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = LogConfig {
            dir: Some(dir.path().join("logs")),
            file: "questline.log".into(),
            keep: 2,
        };
        // Three earlier days already on disk.
        std::fs::create_dir_all(dir.path().join("logs")).expect("dir");
        for day in ["2020-01-01", "2020-01-02", "2020-01-03"] {
            std::fs::write(
                dir.path().join("logs").join(format!("questline.log.{day}")),
                day,
            )
            .expect("old file");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let mut w = file_writer(&config).expect("writer").expect("on");
        w.write_all(b"hello from today\n").expect("write");
        w.flush().expect("flush");
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let todays = dir
            .path()
            .join("logs")
            .join(format!("questline.log.{today}"));
        let text = std::fs::read_to_string(&todays).expect("today's file");
        assert!(text.contains("hello from today"), "{text}");
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("logs"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                "questline.log.2020-01-03".to_string(),
                format!("questline.log.{today}")
            ]
        );
        assert!(file_writer(&LogConfig::default()).expect("off").is_none());
    }

    #[test]
    fn bad_file_names_are_refused() {
        let bad = LogConfig {
            dir: None,
            file: "logs/questline.log".into(),
            keep: 0,
        };
        let keys: Vec<String> = bad.validate().iter().map(|p| p.key.clone()).collect();
        // `keep` is range-checked with every number (`config::ranges`).
        assert_eq!(keys, vec!["logging.file"]);
    }
}
