//! Effects are released only after the commit: a batch whose transaction fails announces
//! nothing and loses nothing (its events are retried), and the queue applies backpressure
//! and counts every drop.

use std::sync::Arc;

use crate::support::*;
use chrono::Duration;
use questline::engine::{CollectingSink, Effect, Engine, EngineDeps, EngineError, ManualClock};
use sea_orm::ConnectionTrait;

/// A harness without default achievements, and an engine on it whose batches have a latency
/// budget of `budget_ms`.
async fn with_budget(
    t: &TestDb,
    start: chrono::DateTime<chrono::Utc>,
    budget_ms: u64,
) -> (Harness, Engine) {
    let h = Harness::new(t, engine_config(), start).await;
    h.no_default_achievements().await;
    let config = questline::engine::EngineConfig {
        batch_max_wait_ms: budget_ms,
        ..engine_config()
    };
    let deps = EngineDeps {
        db: h.db.clone(),
        plugins: h.plugins.clone(),
        clock: Arc::new(ManualClock::new(start)),
        sink: Arc::new(CollectingSink::new()),
    };
    let engine = Engine::start(deps, config, &[GUILD]).await.expect("start");
    (h, engine)
}

async fn break_levels(t: &TestDb) {
    let raw = t.raw().await;
    match t.backend {
        Backend::Sqlite => {
            for event in ["INSERT", "UPDATE"] {
                raw.execute_unprepared(&format!(
                    "CREATE TRIGGER ql_fail_{event} BEFORE {event} ON levels BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                ))
                .await
                .expect("trigger");
            }
        }
        Backend::Postgres => {
            raw.execute_unprepared(
                "CREATE FUNCTION ql_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
            )
            .await
            .expect("function");
            raw.execute_unprepared("CREATE TRIGGER ql_fail BEFORE INSERT OR UPDATE ON levels FOR EACH ROW EXECUTE FUNCTION ql_fail()")
                .await
                .expect("trigger");
        }
    }
    let _ = raw.close().await;
}

async fn repair_levels(t: &TestDb) {
    let raw = t.raw().await;
    match t.backend {
        Backend::Sqlite => {
            for event in ["INSERT", "UPDATE"] {
                raw.execute_unprepared(&format!("DROP TRIGGER ql_fail_{event}"))
                    .await
                    .expect("drop");
            }
        }
        Backend::Postgres => {
            raw.execute_unprepared("DROP TRIGGER ql_fail ON levels")
                .await
                .expect("drop");
        }
    }
    let _ = raw.close().await;
}

both_backends! {
    async fn a_failed_commit_announces_nothing_and_loses_nothing(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        h.db.update_server_config(GUILD, questline::db::ServerSetting::XpRate(100.0)).await.expect("rate");
        break_levels(&t).await;
        let report = h.batch(vec![msg(7, 1, start), msg(8, 2, start)]).await;
        assert_eq!(report.failed_guilds, 1);
        assert!(h.effects().is_empty(), "nothing announced for an uncommitted batch");
        assert_eq!(h.xp(7).await, 0);
        assert_eq!(h.pipeline.pending_retry(), 2, "events kept for retry");
        assert!(h.pipeline.counters().snapshot().commit_failures >= 1);

        repair_levels(&t).await;
        h.clock.set(start + Duration::seconds(5));
        let report = h.pipeline.tick().await;
        assert_eq!(report.committed_guilds, 1);
        assert_eq!(h.pipeline.pending_retry(), 0);
        assert!((1500..=2500).contains(&h.xp(7).await), "the retried batch committed");
        assert!((1500..=2500).contains(&h.xp(8).await));
        let effects = h.effects();
        let ups = effects.iter().filter(|e| matches!(e, Effect::LevelUp { .. })).count();
        assert_eq!(ups, 2, "announced after the commit: {effects:?}");
        // The replay memory still drops a replay of the retried message.
        h.batch(vec![msg(7, 1, start + Duration::seconds(200))]).await;
        let row = h.db.get_user_level(GUILD, 7).await.expect("row").expect("exists");
        assert_eq!(row.total_messages, 1);
    }
}

both_backends! {
    async fn the_queue_applies_backpressure_and_counts_drops(t) {
        let start = at("2026-01-05T10:00:00Z");
        let h = Harness::new(&t, engine_config(), start).await;
        h.no_default_achievements().await;
        let sink = Arc::new(CollectingSink::new());
        let clock = ManualClock::new(start);
        let config = questline::engine::EngineConfig {
            queue_capacity: 4,
            batch_max_events: 3,
            batch_max_wait_ms: 5,
            ..engine_config()
        };
        let deps = EngineDeps { db: h.db.clone(), plugins: h.plugins.clone(), clock: Arc::new(clock), sink: sink.clone() };
        let engine = Engine::start(deps, config, &[GUILD]).await.expect("start");
        // `submit` waits for room: nothing is lost however fast we go.
        for i in 0..50u64 {
            engine.submit(msg(100 + i % 5, i + 1, start + Duration::seconds(i as i64))).await.expect("submit");
        }
        engine.flush().await.expect("flush");
        let mut total = 0;
        for u in 100..105 {
            total += h.db.get_user_level(GUILD, u).await.expect("row").expect("exists").total_messages;
        }
        assert_eq!(total, 50);
        // `try_submit` refuses on a full queue, and every refusal is counted.
        let mut refused = 0u64;
        for i in 0..200u64 {
            match engine.try_submit(msg(200, 1000 + i, start)) {
                Ok(()) => {}
                Err(EngineError::QueueFull(4)) => refused += 1,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        let counters = engine.shutdown().await;
        assert_eq!(counters.dropped, refused);
        assert_eq!(counters.submitted, 250);
        assert_eq!(counters.processed + counters.dropped, 250, "{counters:?}");
        let xp_effects = sink.snapshot().iter().filter(|e| matches!(e, Effect::XpGained { .. })).count();
        assert!(xp_effects >= 5);
    }
}

both_backends! {
    async fn events_within_a_batch_latency_budget_are_committed_together(t) {
        // A batch's first event waits for the budget (`batch_max_wait_ms`, less the recent
        // processing time) before the batch goes, so events arriving one by one meanwhile
        // share its transaction instead of each going as soon as the pipeline is free.
        let start = at("2026-01-05T10:00:00Z");
        let (h, engine) = with_budget(&t, start, 2_000).await;
        let first = std::time::Instant::now();
        for i in 0..5u64 {
            engine.submit(msg(300, 500 + i, start + Duration::seconds(i as i64 * 90))).await.expect("submit");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // The first state anyone sees has all five: one transaction.
        let deadline = first + std::time::Duration::from_secs(30);
        let stored = loop {
            let stored = h.db.get_user_level(GUILD, 300).await.expect("row").map_or(0, |r| r.total_messages);
            if stored > 0 || std::time::Instant::now() > deadline {
                break stored;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        let waited = first.elapsed();
        assert_eq!(stored, 5, "the events were committed in more than one batch");
        // No batch had run yet, so the whole budget was the linger.
        assert!(waited >= std::time::Duration::from_millis(1_500), "committed after {waited:?}");
        let counters = engine.shutdown().await;
        assert_eq!(counters.processed, 5);
    }
}

both_backends! {
    async fn a_flush_or_a_shutdown_is_not_held_back_by_a_lingering_batch(t) {
        // While a batch waits for its budget, arrivals stay in the queue (the engine's task
        // is not woken for each); a flush or a shutdown must still be answered at once, with
        // everything submitted before it committed.
        let start = at("2026-01-05T10:00:00Z");
        let (h, engine) = with_budget(&t, start, 20_000).await;
        let began = std::time::Instant::now();
        for i in 0..3u64 {
            engine.submit(msg(301, 600 + i, start + Duration::seconds(i as i64 * 90))).await.expect("submit");
        }
        engine.flush().await.expect("flush");
        assert_eq!(h.db.get_user_level(GUILD, 301).await.expect("row").map(|r| r.total_messages), Some(3));
        engine.submit(msg(302, 700, start)).await.expect("submit");
        let counters = engine.shutdown().await;
        let waited = began.elapsed();
        assert!(waited < std::time::Duration::from_secs(10), "held back for {waited:?} by a 20 s budget");
        assert_eq!(counters.processed, 4);
        assert_eq!(h.db.get_user_level(GUILD, 302).await.expect("row").map(|r| r.total_messages), Some(1));
    }
}
