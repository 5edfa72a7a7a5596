//! The database layer: the only place SQL is issued.

use serde::Deserialize;

/// `[database]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://data/questline.db?mode=rwc` (default) or `postgres://...`.
    pub url: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://data/questline.db?mode=rwc".to_string(),
        }
    }
}
