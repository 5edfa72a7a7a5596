//! The typed configuration: one [`Config`], loaded once at start-up, validated, and passed
//! down explicitly. Each subsystem owns its section's type.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::db::DatabaseConfig;
use crate::plugins::PluginsConfig;

/// Errors loading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration in {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The whole configuration (`questline.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub database: DatabaseConfig,
    pub plugins: PluginsConfig,
    /// `[engine]`: batching, queue and quest generation.
    pub engine: crate::engine::EngineConfig,
    /// `[cards]`: rank-card rendering and image fetching.
    pub cards: crate::cards::CardsConfig,
    /// `[discord]`: where Discord is and which intents to ask for (the token comes from
    /// `DISCORD_TOKEN`, never from this file).
    pub discord: crate::discord::DiscordConfig,
}

impl Config {
    /// Loads `path`, or `questline.toml` in the working directory when it exists, or defaults.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("questline.toml"), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path,
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's configuration example is what operators copy: it must stay valid as keys
    /// are added, renamed or removed (unknown keys are rejected).
    #[test]
    fn readme_example_parses() {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("```toml\n")
            .expect("README has a ```toml example")
            + "```toml\n".len();
        let len = readme[start..].find("```").expect("the example is closed");
        let config: Config =
            toml::from_str(&readme[start..start + len]).expect("README example parses");
        assert_eq!(config.engine.default_xp_plugin, "mee6-xp");
        assert!(
            config
                .cards
                .allowed_hosts
                .iter()
                .any(|h| h == "cdn.discordapp.com")
        );
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let err =
            toml::from_str::<Config>("[plugins]\ncall_timeout = 5\n").expect_err("unknown key");
        assert!(err.to_string().contains("call_timeout"), "{err}");
    }
}
