//! The range of every numeric setting, checked by `questline config check` and at start-up
//! alike ([`super::Config::validate`]), and listed in `docs/configuration.md` (a test keeps
//! the list there identical to [`markdown`]). Ranges stop values the rest of the program
//! cannot honour (a timeout that overflows a deadline, a pool sized in exabytes, a cache kept
//! for a thousand years) with a message, instead of a panic or a hang at start-up; a test
//! fails when a numeric key has no range.

use serde_json::Value as Json;

use crate::problem::Problem;

/// `(key, least, most)`, inclusive.
pub const RANGES: &[(&str, i128, i128)] = &[
    ("database.max_connections", 1, 1_000),
    ("database.min_connections", 0, 1_000),
    ("database.connect_timeout_secs", 1, 3_600),
    ("database.acquire_timeout_secs", 1, 3_600),
    ("database.slow_statement_ms", 0, 3_600_000),
    ("database.sqlite_busy_timeout_ms", 0, 600_000),
    ("database.retry_attempts", 1, 100),
    ("database.retry_base_delay_ms", 0, 60_000),
    ("database.retry_max_delay_ms", 0, 3_600_000),
    ("database.kv_max_keys", 1, 10_000_000),
    ("database.cache.quest.ttl_ms", 0, 31_536_000_000),
    ("database.cache.quest.capacity", 0, 100_000_000),
    ("database.cache.active_quests.ttl_ms", 0, 31_536_000_000),
    ("database.cache.active_quests.capacity", 0, 100_000_000),
    ("database.cache.user_quests.ttl_ms", 0, 31_536_000_000),
    ("database.cache.user_quests.capacity", 0, 100_000_000),
    ("database.cache.user_stats.ttl_ms", 0, 31_536_000_000),
    ("database.cache.user_stats.capacity", 0, 100_000_000),
    ("database.cache.server_config.ttl_ms", 0, 31_536_000_000),
    ("database.cache.server_config.capacity", 0, 100_000_000),
    ("database.cache.definitions.ttl_ms", 0, 31_536_000_000),
    ("database.cache.definitions.capacity", 0, 100_000_000),
    ("engine.queue_capacity", 1, 10_000_000),
    ("engine.batch_max_events", 1, 1_000_000),
    ("engine.batch_max_wait_ms", 0, 60_000),
    ("engine.commit_lanes", 0, 64),
    ("engine.max_xp_per_activity", 1, 1_000_000_000_000),
    ("engine.max_reward_xp", 0, 1_000_000_000_000),
    ("engine.commit_attempts", 1, 100),
    ("engine.tick_secs", 1, 86_400),
    ("engine.dedupe_ttl_secs", 1, 604_800),
    ("engine.dedupe_capacity", 1, 100_000_000),
    ("engine.seed", 0, u64::MAX as i128),
    ("engine.quests.daily", 0, 25),
    ("engine.quests.weekly", 0, 25),
    ("engine.quests.monthly", 0, 25),
    ("plugins.debounce_ms", 0, 60_000),
    ("plugins.call_timeout_ms", 1, 60_000),
    ("plugins.memory_limit_mib", 1, 4_096),
    ("plugins.max_table_elements", 1, 10_000_000),
    ("plugins.max_instances", 1, 10_000),
    ("plugins.pool_size", 0, 1_024),
    ("plugins.pool_total_instances", 1, 10_000),
    ("plugins.breaker_failures", 1, 1_000),
    ("plugins.breaker_cooldown_secs", 0, 86_400),
    ("plugins.max_output_bytes", 0, 16_777_216),
    ("plugins.max_log_lines", 0, 100_000),
    ("plugins.max_download_bytes", 1, 1_073_741_824),
    ("cards.max_image_bytes", 1, 268_435_456),
    ("cards.fetch_timeout_ms", 1, 120_000),
    ("cards.max_image_dimension", 1, 16_384),
    ("cards.max_decode_bytes", 1, 1_073_741_824),
    ("cards.cache_capacity", 0, 100_000),
    ("cards.cache_ttl_secs", 0, 2_592_000),
    ("cards.max_svg_bytes", 1, 16_777_216),
    ("cards.max_svg_elements", 1, 1_000_000),
    ("cards.max_svg_depth", 1, 1_024),
    ("cards.max_width", 1, 8_192),
    ("cards.max_height", 1, 8_192),
    ("logging.keep", 1, 3_650),
    ("backup.keep", 1, 10_000),
    ("discord.command_sync_secs", 0, 86_400),
    ("discord.coalesce_ms", 0, 60_000),
    ("discord.effect_queue", 1, 10_000_000),
    ("discord.notice_ttl_secs", 1, 604_800),
    ("web.client_id", 1, u64::MAX as i128),
    ("web.session_hours", 1, 8_760),
];

/// The value at `a.b.c` of the configuration as JSON, as an integer.
fn number_at(config: &Json, key: &str) -> Option<i128> {
    let v = key.split('.').try_fold(config, |v, k| v.get(k))?;
    v.as_u64()
        .map(i128::from)
        .or_else(|| v.as_i64().map(i128::from))
}

/// Every numeric setting of `config` (as JSON) outside its range.
pub fn check(config: &Json) -> Vec<Problem> {
    RANGES
        .iter()
        .filter_map(|&(key, least, most)| {
            let value = number_at(config, key)?;
            (!(least..=most).contains(&value)).then(|| {
                Problem::value(
                    key,
                    value.to_string(),
                    format!("at least {least} and at most {most}"),
                )
            })
        })
        .collect()
}

/// The ranges as the Markdown table `docs/configuration.md` shows.
pub fn markdown() -> String {
    let mut out = String::from("| key | least | most |\n|---|---|---|\n");
    for (key, least, most) in RANGES {
        out.push_str(&format!("| `{key}` | {least} | {most} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::config::Config;
    use crate::config::check::{leaves, schema};

    /// `[a.b]\nc = v` for the key `a.b.c`; a cache's section takes both of its keys, so the
    /// other one keeps its default.
    fn toml_setting(key: &str, value: i128) -> String {
        let (section, name) = key.rsplit_once('.').expect("keys have a section");
        let mut text = format!("[{section}]\n{name} = {value}\n");
        if section.starts_with("database.cache.") {
            let sibling = if name == "ttl_ms" {
                "capacity"
            } else {
                "ttl_ms"
            };
            let default = number_at(&schema(), &format!("{section}.{sibling}"))
                .expect("a cache has both keys");
            text.push_str(&format!("{sibling} = {default}\n"));
        }
        text
    }

    #[test]
    fn every_numeric_setting_has_a_range() {
        let numeric: Vec<String> = leaves(&schema())
            .into_iter()
            .filter(|(_, default)| default.is_number())
            .map(|(key, _)| key)
            .collect();
        let ranged: Vec<&str> = RANGES.iter().map(|(k, _, _)| *k).collect();
        let missing: Vec<&String> = numeric
            .iter()
            .filter(|k| !ranged.contains(&k.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "numeric settings without a range: {missing:?}"
        );
        for (key, least, most) in RANGES {
            assert!(least <= most, "{key}");
            let default = number_at(&schema(), key);
            assert!(
                default.is_none_or(|d| (*least..=*most).contains(&d)),
                "{key}'s default {default:?} is outside its own range"
            );
        }
    }

    /// Every numeric setting at 0, 1, its range's edges and just past them, and the largest
    /// number TOML holds: out of range is refused by name; in range, the parts that use the
    /// value start (or refuse with an error), never panic or hang.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn numbers_at_the_edges_are_refused_or_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut started = 0;
        for (key, least, most) in RANGES {
            let mut values = vec![0, 1, *least, *most, *most + 1, i128::from(i64::MAX)];
            values.retain(|v| *v <= i128::from(i64::MAX));
            values.sort_unstable();
            values.dedup();
            for value in values {
                let text = toml_setting(key, value);
                let result = Config::from_sources(&text, "test", Vec::new());
                let in_range = (*least..=*most).contains(&value);
                match result {
                    Err(err) => {
                        let message = err.to_string();
                        // In range, another rule may still refuse it (min_connections above
                        // max_connections); out of range, the refusal names the key.
                        let range = format!("at least {least} and at most {most}");
                        assert!(
                            !in_range || !message.contains(&range),
                            "{key} = {value} is in range but was refused: {message}"
                        );
                        let name = key.rsplit('.').next().unwrap_or(key);
                        assert!(
                            in_range || message.contains(name),
                            "{key} = {value} was refused without naming it: {message}"
                        );
                    }
                    Ok(config) => {
                        assert!(in_range, "{key} = {value} is out of range but was accepted");
                        if value == *least || value == *most {
                            start_parts(&config, key, dir.path()).await;
                            started += 1;
                        }
                    }
                }
            }
        }
        assert!(
            started >= RANGES.len(),
            "only {started} configurations started"
        );
    }

    /// Starts what the setting's section configures: the database and the plugin runtime
    /// (with the engine's batch pipeline), or the card renderer and image fetcher.
    async fn start_parts(config: &Config, key: &str, dir: &std::path::Path) {
        let section = key.split('.').next().unwrap_or_default();
        match section {
            "database" | "plugins" | "engine" => {
                let mut database = config.database.clone();
                database.url = format!("sqlite://{}?mode=rwc", dir.join("edges.db").display());
                let mut plugins = config.plugins.clone();
                plugins.dir = dir.join("plugins");
                plugins.cache_dir = dir.join("cache");
                let opened = tokio::time::timeout(
                    Duration::from_secs(120),
                    crate::engine::boot::open(&database, &plugins, false),
                )
                .await
                .unwrap_or_else(|_| panic!("{key}: start-up hung"));
                if let Ok((db, host)) = opened {
                    let clock = crate::engine::ManualClock::new(chrono::Utc::now());
                    let _pipeline = crate::engine::Pipeline::new(
                        crate::engine::EngineDeps {
                            db: db.clone(),
                            plugins: host,
                            clock: Arc::new(clock),
                            sink: Arc::new(crate::engine::NullSink),
                        },
                        config.engine.clone(),
                        Arc::new(crate::engine::EngineCounters::default()),
                    );
                    let _dedupe = crate::engine::dedupe::SeenIds::new(
                        config.engine.dedupe_capacity,
                        Duration::from_secs(config.engine.dedupe_ttl_secs),
                    );
                    let _ = db.close().await;
                }
            }
            "cards" => {
                let _ = crate::cards::ImageFetcher::new(&config.cards);
                let _ = crate::cards::CardRenderer::new(&config.cards);
            }
            _ => {}
        }
    }

    /// The ranges operators read are the ones enforced.
    #[test]
    fn the_configuration_docs_list_every_range() {
        let docs = include_str!("../../../docs/configuration.md");
        assert!(
            docs.contains(&markdown()),
            "docs/configuration.md's table of ranges differs from host/src/config/ranges.rs; paste config::ranges::markdown() there:\n{}",
            markdown()
        );
    }
}
