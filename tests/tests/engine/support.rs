//! Shared support for the engine tests (the `engine` test binary's `support` module): a fresh database per test on SQLite (temp file) and
//! PostgreSQL (a fresh `ql_test_<random>` database, dropped afterwards), and an engine
//! pipeline over it with the real bundled plugins and a controlled clock.
//!
//! PostgreSQL comes from `QUESTLINE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); with `CI=true` it is mandatory and an
//! unreachable server fails loudly, otherwise the PostgreSQL variant prints a notice and
//! passes (see [`questline_tests::testdb`]).
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use questline::db::Db;
use questline::engine::{
    Activity, Clock, CollectingSink, Effect, EngineConfig, EngineCounters, EngineDeps, ManualClock,
    Pipeline, QuestCounts, boot,
};
use questline::plugins::{PluginHost, PluginsConfig};

pub use questline_tests::both_backends;
pub use questline_tests::testdb::*;

/// The guild the tests use.
pub const GUILD: u64 = 42;
pub const CHANNEL: u64 = 10;

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid time")
        .with_timezone(&Utc)
}

/// Plugins: bundled only, compiled artifacts cached across tests, no pooling allocator (many
/// engines run in parallel in one test process).
pub fn plugins_config() -> PluginsConfig {
    let base = std::env::temp_dir().join("questline-engine-tests");
    PluginsConfig {
        dir: base.join("plugins"),
        cache_dir: base.join("cache"),
        hot_reload: false,
        pooling: false,
        call_timeout_ms: 2_000,
        ..PluginsConfig::default()
    }
}

/// An engine config for tests: fixed seed, no generated quests unless asked.
pub fn engine_config() -> EngineConfig {
    EngineConfig {
        seed: Some(7),
        commit_attempts: 1,
        quests: QuestCounts {
            daily: 0,
            weekly: 0,
            monthly: 0,
        },
        ..EngineConfig::default()
    }
}

/// [`engine_config`] that generates this many daily, weekly and monthly quests.
pub fn generating_quests(daily: usize, weekly: usize, monthly: usize) -> EngineConfig {
    EngineConfig {
        quests: QuestCounts {
            daily,
            weekly,
            monthly,
        },
        ..engine_config()
    }
}

/// A pipeline over a test database.
pub struct Harness {
    pub db: Db,
    pub plugins: PluginHost,
    pub clock: ManualClock,
    pub sink: Arc<CollectingSink>,
    pub pipeline: Pipeline,
    seq: u64,
}

impl Harness {
    pub async fn new(t: &TestDb, config: EngineConfig, start: DateTime<Utc>) -> Self {
        // Few retries: the commit-failure tests break the database on purpose.
        let mut db_config = t.config.clone();
        db_config.retry_attempts = 2;
        let (db, plugins) = boot::open(&db_config, &plugins_config(), false)
            .await
            .expect("boot");
        Self::with(db, plugins, config, start)
    }

    /// Another pipeline (a "restarted" or concurrent engine) over the same database.
    pub fn with(db: Db, plugins: PluginHost, config: EngineConfig, start: DateTime<Utc>) -> Self {
        let clock = ManualClock::new(start);
        let sink = Arc::new(CollectingSink::new());
        let pipeline = Pipeline::new(
            EngineDeps {
                db: db.clone(),
                plugins: plugins.clone(),
                clock: Arc::new(clock.clone()),
                sink: sink.clone(),
            },
            config,
            Arc::new(EngineCounters::default()),
        );
        Self {
            db,
            plugins,
            clock,
            sink,
            pipeline,
            seq: 0,
        }
    }

    /// Keeps the guild free of default achievements (so XP is message XP only).
    pub async fn no_default_achievements(&self) {
        self.db
            .create_achievement(
                GUILD,
                "Unreachable",
                "never",
                "level",
                1_000_000,
                0,
                self.clock.now(),
            )
            .await
            .expect("create achievement");
    }

    /// Processes `activities` as one batch at the clock's time (moved to the last one).
    pub async fn batch(&mut self, activities: Vec<Activity>) -> questline::engine::BatchReport {
        if let Some(last) = activities.last() {
            self.clock.set(last.at);
        }
        let batch = activities
            .into_iter()
            .map(|a| {
                self.seq += 1;
                (self.seq, a)
            })
            .collect();
        self.pipeline.process(batch).await
    }

    pub async fn xp(&self, user: u64) -> i64 {
        self.db
            .get_user_level(GUILD, user)
            .await
            .expect("level")
            .map_or(0, |m| m.xp)
    }

    pub fn effects(&self) -> Vec<Effect> {
        self.sink.take()
    }
}

/// A message activity in the test guild.
pub fn msg(user: u64, id: u64, when: DateTime<Utc>) -> Activity {
    Activity::message(GUILD, CHANNEL, user, id, 12, when)
}

/// Total XP for a level under MEE6.
pub fn mee6_total(level: i64) -> i64 {
    5 * level * (2 * level * level + 27 * level + 91) / 6
}

/// The MEE6 level for a total.
pub fn mee6_level(xp: i64) -> i64 {
    let mut l = 0;
    while mee6_total(l + 1) <= xp {
        l += 1;
    }
    l
}
