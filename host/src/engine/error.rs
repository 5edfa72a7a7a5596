//! Errors of the engine.

use crate::db::DbError;
use crate::plugins::PluginError;

/// What can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("plugin: {0}")]
    Plugin(#[from] PluginError),
    #[error(
        "no {kind} plugin named `{plugin}` is loaded; load it or set the guild's xp_formula_plugin to one that is (see `questline plugin list`)"
    )]
    MissingPlugin { plugin: String, kind: &'static str },
    #[error("the level curve of plugin `{plugin}` is unusable: {reason}")]
    Curve { plugin: String, reason: String },
    #[error("the guild's quest reset settings are invalid: {0}")]
    Schedule(#[from] super::schedule::ScheduleError),
    #[error("the engine has shut down; activities can no longer be submitted")]
    Closed,
    #[error("the activity queue is full ({0} events); try again shortly")]
    QueueFull(usize),
    /// A request (usually a moderator's) that cannot be carried out as given; the message
    /// says what would be accepted.
    #[error("{0}")]
    InvalidInput(String),
    #[error("engine internal error: {0}")]
    Internal(String),
}
