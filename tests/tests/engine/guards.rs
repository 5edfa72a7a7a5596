//! What a misbehaving XP formula cannot do: lose a guild's activity (a formula whose level
//! curve is unusable under the guild's settings gives way to the default formula, and when
//! no curve is usable at all the activities are still stored with their counters), or award
//! unbounded XP (answers are clamped to `[engine] max_xp_per_activity`). Each is counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Duration;
use questline::db::{NewQuest, ServerSetting};
use questline::engine::EngineConfig;
use questline::plugins::{KvError, KvStore, MemoryKv, PluginHost};
use questline_tests::fixtures;
use serde_json::json;

use crate::support::*;

/// The fixture formula whose answers and curve follow its settings.
const ODD: &str = "fixture-odd-formula";

/// Loads the fixture, makes it the guild's formula and gives it `settings`.
async fn use_odd_formula(h: &Harness, settings: serde_json::Value) {
    let bytes = std::fs::read(fixtures::ODD_FORMULA).expect("fixture built");
    h.plugins
        .load_bundled_bytes("fixture", &bytes)
        .expect("the fixture loads: its curve is fine with no settings");
    let choose = ServerSetting::parse("xp_formula_plugin", ODD).expect("setting");
    h.db.update_server_config(GUILD, choose)
        .await
        .expect("choose formula");
    h.pipeline
        .plugin_cache()
        .store_settings(GUILD, ODD, None, Some(settings))
        .await
        .expect("settings");
}

/// Three messages a minute apart from member 7; every batch must commit.
async fn three_messages(h: &mut Harness) {
    let start = h.pipeline.now();
    for i in 0..3 {
        let report = h
            .batch(vec![msg(
                7,
                100 + i,
                start + Duration::seconds(61 * i as i64),
            )])
            .await;
        assert_eq!((report.committed_guilds, report.failed_guilds), (1, 0));
    }
}

both_backends! {
    async fn an_unusable_curve_falls_back_to_the_default_formula(t) {
        let mut h = Harness::new(&t, engine_config(), at("2026-01-05T10:00:00Z")).await;
        h.no_default_achievements().await;
        use_odd_formula(&h, json!({"flat_curve": true})).await;
        three_messages(&mut h).await;
        let row = h.db.get_user_level(GUILD, 7).await.expect("read").expect("member stored");
        assert_eq!(row.total_messages, 3);
        assert!((45..=75).contains(&row.xp), "mee6-xp's 15 to 25 per message: {}", row.xp);
        assert_eq!(h.pipeline.counters().snapshot().curve_fallbacks, 3);
    }
}

both_backends! {
    async fn with_no_usable_curve_the_counters_are_still_stored(t) {
        let config = EngineConfig { default_xp_plugin: ODD.into(), ..engine_config() };
        let mut h = Harness::new(&t, config, at("2026-01-05T10:00:00Z")).await;
        h.no_default_achievements().await;
        use_odd_formula(&h, json!({"flat_curve": true})).await;
        three_messages(&mut h).await;
        let row = h.db.get_user_level(GUILD, 7).await.expect("read").expect("member stored");
        assert_eq!((row.total_messages, row.xp, row.level), (3, 0, 0));
        let counters = h.pipeline.counters().snapshot();
        assert_eq!((counters.xp_skipped, counters.failed_events), (3, 0));
    }
}

both_backends! {
    async fn the_settings_schema_defaults_reach_the_plugin(t) {
        let mut h = Harness::new(&t, engine_config(), at("2026-01-05T10:00:00Z")).await;
        h.no_default_achievements().await;
        // No `xp` set: the schema's default (30) is what `config.get` returns, not the
        // fixture's own fallback (20).
        use_odd_formula(&h, json!({"flat_curve": false})).await;
        three_messages(&mut h).await;
        assert_eq!(h.xp(7).await, 3 * 30);
        // A guild's own value still wins over the default.
        h.pipeline
            .plugin_cache()
            .store_settings(GUILD, ODD, None, Some(json!({"xp": 7})))
            .await
            .expect("settings");
        let start = h.pipeline.now() + Duration::hours(1);
        h.batch(vec![msg(7, 200, start)]).await;
        assert_eq!(h.xp(7).await, 3 * 30 + 7);
    }
}

both_backends! {
    async fn xp_answers_above_the_ceiling_are_clamped(t) {
        let mut h = Harness::new(&t, engine_config(), at("2026-01-05T10:00:00Z")).await;
        h.no_default_achievements().await;
        use_odd_formula(&h, json!({"xp": i64::MAX})).await;
        three_messages(&mut h).await;
        let ceiling = EngineConfig::default().max_xp_per_activity;
        assert_eq!(h.xp(7).await, 3 * ceiling);
        assert_eq!(h.pipeline.counters().snapshot().xp_clamped, 3);
    }
}

/// A key-value store that can be switched off, like a database that went away.
#[derive(Default)]
struct FlakyKv {
    inner: MemoryKv,
    down: AtomicBool,
}

impl FlakyKv {
    fn check(&self) -> Result<(), KvError> {
        if self.down.load(Ordering::SeqCst) {
            Err(KvError::Unavailable("test: the store is down".into()))
        } else {
            Ok(())
        }
    }
}

impl KvStore for FlakyKv {
    fn get(&self, plugin: &str, guild: u64, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.check()?;
        self.inner.get(plugin, guild, key)
    }
    fn set(&self, plugin: &str, guild: u64, key: &str, value: Vec<u8>) -> Result<(), KvError> {
        self.check()?;
        self.inner.set(plugin, guild, key, value)
    }
    fn delete(&self, plugin: &str, guild: u64, key: &str) -> Result<(), KvError> {
        self.check()?;
        self.inner.delete(plugin, guild, key)
    }
}

/// A quest that two days in a row complete; streak-quests keeps the streak in its store.
async fn two_day_streak_quest(h: &Harness, start: chrono::DateTime<chrono::Utc>) {
    h.db.create_quest(NewQuest {
        guild_id: GUILD,
        name: "Two days".into(),
        description: "Be active two days in a row".into(),
        quest_type: "daily".into(),
        requirement_type: "plugin:streak-quests:streak_days".into(),
        requirement_value: 2,
        reward_xp: 0,
        reward_multiplier: None,
        difficulty: None,
        refresh_cycle: None,
        created_at: start,
    })
    .await
    .expect("quest");
}

both_backends! {
    async fn a_store_outage_retries_the_batch_instead_of_losing_quest_progress(t) {
        let start = at("2026-01-05T10:00:00Z");
        let kv = Arc::new(FlakyKv::default());
        let plugins = PluginHost::new(&plugins_config(), kv.clone()).expect("plugin host");
        assert!(plugins.load_bundled(questline::bundled::BUNDLED).is_empty());
        let mut h = Harness::with(t.open().await, plugins, engine_config(), start);
        h.no_default_achievements().await;
        two_day_streak_quest(&h, start).await;

        kv.down.store(true, Ordering::SeqCst);
        let report = h.batch(vec![msg(7, 1, start)]).await;
        assert_eq!((report.committed_guilds, report.failed_guilds), (0, 1));
        assert_eq!(h.pipeline.pending_retry(), 1, "the day's activity waits for a retry");
        assert_eq!(h.db.get_user_level(GUILD, 7).await.expect("read"), None);

        kv.down.store(false, Ordering::SeqCst);
        let report = h.batch(vec![msg(7, 2, start + Duration::days(1))]).await;
        assert_eq!((report.committed_guilds, report.failed_guilds), (1, 0));
        let row = h.db.get_user_level(GUILD, 7).await.expect("read").expect("stored");
        assert_eq!(row.total_messages, 2, "both days' messages are counted");
        let data = h.db.member_data(GUILD, 7).await.expect("member data");
        assert!(
            data.quests.iter().any(|(p, _)| p.completed),
            "the streak counted both days: {:?}",
            data.quests
        );
    }
}

both_backends! {
    /// A small batch runs its plugin calls inline on one thread, and a plugin's store is the
    /// database (`DbKv`): its reads and writes from inside that thread work, so the streak
    /// that `streak-quests` keeps there carries from one day's batch to the next.
    async fn a_plugin_store_works_from_a_small_batch_prepared_inline(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        two_day_streak_quest(&h, start).await;
        for day in 0..2 {
            let report = h.batch(vec![msg(7, 1 + day, start + Duration::days(day as i64))]).await;
            assert_eq!((report.committed_guilds, report.failed_guilds), (1, 0));
        }
        let failures = h.pipeline.counters().snapshot().plugin_failures;
        assert_eq!(failures, 0, "no plugin call failed");
        let data = h.db.member_data(GUILD, 7).await.expect("member data");
        assert!(
            data.quests.iter().any(|(p, _)| p.completed),
            "the streak counted both days: {:?}",
            data.quests
        );
    }
}
