//! The typed configuration: one [`Config`], loaded once at start-up, validated, and passed
//! down explicitly. Each subsystem owns its section's type.
//!
//! Sources, weakest first: built-in defaults, the TOML file (`--config FILE`,
//! `QUESTLINE_CONFIG`, or `./questline.toml` when present), the conventional `DATABASE_URL`
//! and `DISCORD_TOKEN`, then `QUESTLINE_<SECTION>_<KEY>` variables (see [`env`](mod@env)). Every
//! problem (unknown key, wrong type, out-of-range value) is reported by key, with the value
//! and what is allowed, before anything starts (see [`check`]).
//!
//! Adding a section is one struct (deriving `Deserialize`, `Serialize` and `Default`, with
//! `#[serde(default, deny_unknown_fields)]`) plus one field here, plus its keys in
//! `example.toml` (a test fails until every key is documented there).

pub mod check;
pub mod env;
pub mod ranges;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::db::DatabaseConfig;
use crate::plugins::PluginsConfig;

pub use crate::problem::Problem;
pub use check::check_text;

/// The complete, commented example printed by `questline config example`.
pub const EXAMPLE: &str = include_str!("example.toml");

/// Errors loading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "invalid configuration ({source_name}):\n{}\nfix these keys (`questline config example` prints every key with its default)",
        problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
    )]
    Invalid {
        /// The file, or "environment".
        source_name: String,
        problems: Vec<Problem>,
    },
}

/// The whole configuration (`questline.toml`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub database: DatabaseConfig,
    pub plugins: PluginsConfig,
    /// `[engine]`: batching, queue and quest generation.
    pub engine: crate::engine::EngineConfig,
    /// `[cards]`: rank-card rendering and image fetching.
    pub cards: crate::cards::CardsConfig,
    /// `[observe]`: the health and metrics endpoint.
    pub observe: crate::observe::ObserveConfig,
    /// `[web]`: the leaderboard pages and their JSON API.
    pub web: crate::web::WebConfig,
    /// `[discord]`: where Discord is and which intents to ask for (the token comes from
    /// `DISCORD_TOKEN`, never from this file).
    pub discord: crate::discord::DiscordConfig,
    /// `[backup]`: scheduled backups in the running bot.
    pub backup: crate::backup::BackupConfig,
    /// `[logging]`: log files (rotated daily) besides stderr. (Not `[log]`: `QUESTLINE_LOG`
    /// and `QUESTLINE_LOG_FORMAT` are the filter and the format.)
    pub logging: crate::observe::logging::LogConfig,
}

impl Config {
    /// Loads `path` (or `./questline.toml` when it exists, or defaults), with the process
    /// environment's overrides.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with_env(path, std::env::vars())
    }

    /// [`Config::load`] with an explicit environment, so tests need not touch the process's.
    pub fn load_with_env(
        path: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("questline.toml"), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        Self::from_sources(&text, &path.display().to_string(), vars)
    }

    /// Parses `text` (named `source_name` in errors) and applies `vars` on top.
    pub fn from_sources(
        text: &str,
        source_name: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let invalid = |problems| ConfigError::Invalid {
            source_name: source_name.to_string(),
            problems,
        };
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| invalid(vec![Problem::syntax(e.to_string())]))?;
        let schema = check::schema();
        let mut problems = check::check_table(&table, &schema);
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        let env_problems = env::apply(&mut table, &schema, vars);
        if !env_problems.is_empty() {
            return Err(ConfigError::Invalid {
                source_name: "environment".to_string(),
                problems: env_problems,
            });
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| invalid(vec![Problem::syntax(e.to_string())]))?;
        problems.extend(config.validate());
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(invalid(problems))
        }
    }

    /// Rules the types cannot express (ranges, URL schemes, addresses).
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut rule = |ok: bool, key: &str, value: String, allowed: &str| {
            if !ok {
                out.push(Problem::value(key, value, allowed));
            }
        };
        let db = &self.database;
        rule(
            ["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| db.url.starts_with(p)),
            "database.url",
            crate::db::redact_url(&db.url),
            "a sqlite:PATH?mode=rwc or postgres://user:pass@host/db URL",
        );
        rule(
            db.min_connections <= db.max_connections,
            "database.min_connections",
            db.min_connections.to_string(),
            "at most database.max_connections",
        );
        let e = &self.engine;
        rule(
            !e.default_xp_plugin.is_empty(),
            "engine.default_xp_plugin",
            "\"\"".into(),
            "the name of an xp-formula plugin, e.g. \"mee6-xp\"",
        );
        for (i, host) in self.cards.allowed_hosts.iter().enumerate() {
            rule(
                !host.is_empty() && !host.contains('/') && !host.contains(':'),
                &format!("cards.allowed_hosts[{i}]"),
                format!("\"{host}\""),
                "a bare host name such as \"cdn.discordapp.com\" (no scheme, port or path)",
            );
        }
        if let Some(Err(_)) = crate::backup::cache_purge_interval(db) {
            rule(
                false,
                "database.cache_purge_every",
                format!("{:?}", db.cache_purge_every.as_deref().unwrap_or_default()),
                "a duration such as \"1h\" or \"30m\" (d, h, m, s), at least 1 s",
            );
        }
        out.extend(ranges::check(
            &serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
        ));
        out.extend(self.observe.validate());
        out.extend(self.web.validate());
        out.extend(self.backup.validate());
        out.extend(self.logging.validate());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env() -> Vec<(String, String)> {
        Vec::new()
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The first ```toml block of docs/configuration.md: the configuration reference.
    fn reference_example() -> &'static str {
        let page = include_str!("../../../docs/configuration.md");
        let start = page
            .find("```toml\n")
            .expect("docs/configuration.md has a ```toml reference block")
            + "```toml\n".len();
        let len = page[start..]
            .find("```")
            .expect("the reference block in docs/configuration.md is closed");
        &page[start..start + len]
    }

    /// docs/configuration.md's reference is what operators copy: it must stay valid as keys
    /// are added, renamed or removed (unknown keys are rejected).
    #[test]
    fn reference_example_parses() {
        let config = Config::from_sources(reference_example(), "docs/configuration.md", no_env())
            .expect("the docs/configuration.md reference parses");
        assert_eq!(config.engine.default_xp_plugin, "mee6-xp");
        assert!(
            config
                .cards
                .allowed_hosts
                .iter()
                .any(|h| h == "cdn.discordapp.com")
        );
    }

    /// One source of truth: docs/configuration.md's reference is `questline config example`.
    #[test]
    fn reference_example_is_the_config_example() {
        assert_eq!(
            reference_example(),
            EXAMPLE,
            "the reference in docs/configuration.md differs from host/src/config/example.toml; \
             regenerate it: paste the output of `questline config example` between the \
             ```toml fences of docs/configuration.md"
        );
    }

    #[test]
    fn example_passes_the_check_and_documents_every_key() {
        assert_eq!(check_text(EXAMPLE), Vec::<Problem>::new());
        let config = Config::from_sources(EXAMPLE, "example", no_env()).expect("valid");
        assert_eq!(config.database.url, DatabaseConfig::default().url);
        let table: toml::Table = toml::from_str(EXAMPLE).expect("toml");
        for (path, default) in check::leaves(&check::schema()) {
            if default.is_null() {
                // Optional keys with no default appear commented out: `# key = ...`.
                let key = path.rsplit('.').next().unwrap_or(&path);
                assert!(
                    EXAMPLE.contains(&format!("# {key} = ")),
                    "optional key {path} is not documented in example.toml"
                );
            } else {
                assert!(
                    check::lookup(&table, &path).is_some(),
                    "key {path} is missing from example.toml"
                );
            }
        }
    }

    #[test]
    fn unknown_keys_are_rejected_by_name_with_the_allowed_ones() {
        let err = Config::from_sources("[plugins]\ncall_timeout = 5\n", "t.toml", no_env())
            .expect_err("unknown key");
        let msg = err.to_string();
        assert!(msg.contains("plugins.call_timeout"), "{msg}");
        assert!(
            msg.contains("call_timeout_ms"),
            "names the allowed keys: {msg}"
        );
        let err = Config::from_sources("[databse]\nurl = 'x'\n", "t.toml", no_env())
            .expect_err("unknown section");
        assert!(err.to_string().contains("databse"), "{err}");
    }

    #[test]
    fn every_bad_key_is_reported_with_value_and_rule() {
        let problems = check_text(
            "[database]\nmax_connections = \"ten\"\nurl = \"mysql://x\"\n[engine]\nbatch_max_events = 0\nbogus = 1\n",
        );
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        let all = text.join("\n");
        assert!(
            all.contains("database.max_connections") && all.contains("\"ten\""),
            "{all}"
        );
        assert!(all.contains("engine.bogus"), "{all}");
        // Type errors stop the semantic pass, so the url rule shows up once types are fixed.
        let problems =
            check_text("[database]\nurl = \"mysql://x\"\n[engine]\nbatch_max_events = 0\n");
        let all: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(
            all.iter()
                .any(|p| p.contains("database.url") && p.contains("mysql://x")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|p| p.contains("engine.batch_max_events") && p.contains("at least 1")),
            "{all:?}"
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let text = "[database]\nurl = 'sqlite://file.db'\nmax_connections = 3\n";
        let c = Config::from_sources(
            text,
            "t.toml",
            env(&[
                ("QUESTLINE_DATABASE_MAX_CONNECTIONS", "7"),
                ("QUESTLINE_PLUGINS_HOT_RELOAD", "false"),
                ("QUESTLINE_DATABASE_CACHE_QUEST_TTL_MS", "5"),
                ("QUESTLINE_CARDS_ALLOWED_HOSTS", "a.example, b.example"),
                ("QUESTLINE_ENGINE_SEED", "42"),
                ("QUESTLINE_LOG", "debug"),
                ("QUESTLINE_TEST_POSTGRES_URL", "postgres://ignored"),
            ]),
        )
        .expect("valid");
        assert_eq!(c.database.max_connections, 7);
        assert_eq!(c.database.url, "sqlite://file.db");
        assert!(!c.plugins.hot_reload);
        assert_eq!(c.database.cache.quest.ttl_ms, 5);
        assert_eq!(c.cards.allowed_hosts, vec!["a.example", "b.example"]);
        assert_eq!(c.engine.seed, Some(42));

        // DATABASE_URL beats the file; QUESTLINE_DATABASE_URL beats DATABASE_URL.
        let c = Config::from_sources(text, "t.toml", env(&[("DATABASE_URL", "sqlite://env.db")]))
            .expect("valid");
        assert_eq!(c.database.url, "sqlite://env.db");
        let c = Config::from_sources(
            text,
            "t.toml",
            env(&[
                ("DATABASE_URL", "sqlite://env.db"),
                ("QUESTLINE_DATABASE_URL", "sqlite://specific.db"),
            ]),
        )
        .expect("valid");
        assert_eq!(c.database.url, "sqlite://specific.db");
    }

    #[test]
    fn bad_environment_values_name_the_variable() {
        let err = Config::from_sources(
            "",
            "t.toml",
            env(&[("QUESTLINE_DATABASE_MAX_CONNECTIONS", "many")]),
        )
        .expect_err("bad value");
        let msg = err.to_string();
        assert!(
            msg.contains("QUESTLINE_DATABASE_MAX_CONNECTIONS") && msg.contains("many"),
            "{msg}"
        );
        assert!(msg.contains("whole number"), "{msg}");
        let err = Config::from_sources("", "t.toml", env(&[("QUESTLINE_ENGINE_BATCH_SIZE", "8")]))
            .expect_err("unknown key in a known section");
        assert!(
            err.to_string().contains("QUESTLINE_ENGINE_BATCH_SIZE"),
            "{err}"
        );
    }
}
