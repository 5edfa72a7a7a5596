//! Caches (read-after-write, TTL expiry, counters) and `safe_db_operation`.

use questline_tests::both_backends;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::support::{G, SqrtCurve};
use questline::db::{DbError, RetryPolicy, ServerSetting, safe_db_operation};
use sea_orm::{ConnectionTrait, DbErr, Statement};

both_backends! {
    async fn writes_are_visible_on_next_read_and_hits_are_counted(t) {
        let db = t.open().await;
        assert_eq!(db.get_user_level(G, 1).await.unwrap(), None);
        assert_eq!(db.get_user_level(G, 1).await.unwrap(), None);
        let s = db.cache_stats().user_stats;
        assert_eq!((s.hits, s.misses), (1, 1));

        db.award_xp(G, 1, 10, &SqrtCurve).await.unwrap();
        assert_eq!(db.get_user_level(G, 1).await.unwrap().unwrap().xp, 10);
        db.award_xp(G, 1, 5, &SqrtCurve).await.unwrap();
        assert_eq!(db.get_user_level(G, 1).await.unwrap().unwrap().xp, 15);
        assert_eq!(db.get_user_level(G, 1).await.unwrap().unwrap().xp, 15);
        let s = db.cache_stats().user_stats;
        assert_eq!((s.hits, s.misses, s.entries), (2, 3, 1));

        assert_eq!(db.get_server_config(G).await.unwrap().xp_rate, 1.0);
        db.update_server_config(G, ServerSetting::XpRate(2.5)).await.unwrap();
        assert_eq!(db.get_server_config(G).await.unwrap().xp_rate, 2.5);
        assert_eq!(db.get_server_config(G).await.unwrap().xp_rate, 2.5);
        let s = db.cache_stats().server_config;
        assert_eq!((s.hits, s.misses), (1, 2));

        let q = db.create_quest(questline::db::NewQuest {
            guild_id: G, name: "q".into(), description: String::new(), quest_type: "weekly".into(),
            requirement_type: "commands_used".into(), requirement_value: 1, reward_xp: 1,
            reward_multiplier: Some(1.5), difficulty: Some("hard".into()), refresh_cycle: None,
            created_at: chrono::Utc::now(),
        }).await.unwrap();
        assert_eq!(db.get_guild_active_quests(G, None).await.unwrap().len(), 1);
        assert_eq!(db.get_user_active_quests(G, 1).await.unwrap().len(), 1);
        db.get_quest(q.id).await.unwrap();
        db.get_quest(q.id).await.unwrap();
        assert_eq!(db.cache_stats().quest.hits, 1);
        db.mark_quests_inactive(G, None).await.unwrap();
        assert!(db.get_guild_active_quests(G, None).await.unwrap().is_empty());
        assert!(db.get_user_active_quests(G, 1).await.unwrap().is_empty());
        assert!(!db.get_quest(q.id).await.unwrap().unwrap().active);
    }
}

both_backends! {
    async fn entries_expire_after_their_ttl(t) {
        let db = t.open_with(|c| c.cache.server_config.ttl_ms = 300).await;
        let raw = t.raw().await;
        db.update_server_config(G, ServerSetting::QuestResetHour(1)).await.unwrap();
        assert_eq!(db.get_server_config(G).await.unwrap().quest_reset_hour, 1);
        // A write behind the repository's back (another process) is not seen while cached...
        raw.execute(Statement::from_string(
            raw.get_database_backend(),
            format!("UPDATE server_config SET quest_reset_hour = 9 WHERE guild_id = '{G}'"),
        ))
        .await
        .unwrap();
        assert_eq!(db.get_server_config(G).await.unwrap().quest_reset_hour, 1);
        // ...and is seen once the entry expired.
        tokio::time::sleep(Duration::from_millis(450)).await;
        assert_eq!(db.get_server_config(G).await.unwrap().quest_reset_hour, 9);
        let s = db.cache_stats().server_config;
        assert_eq!((s.hits, s.misses), (1, 2));
        assert!(s.evictions >= 1, "expiry counted as eviction: {s:?}");
    }
}

both_backends! {
    async fn safe_db_operation_does_not_retry_constraint_violations(t) {
        let db = t.open().await;
        db.update_activity_counter(G, 1, questline::db::ActivityCounter::Messages, 1).await.unwrap();
        let raw = t.raw().await;
        let attempts = AtomicU32::new(0);
        let policy = RetryPolicy { attempts: 5, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(5) };
        let err = safe_db_operation("dup", &policy, || async {
            attempts.fetch_add(1, Ordering::SeqCst);
            raw.execute(Statement::from_string(
                raw.get_database_backend(),
                format!("INSERT INTO levels (guild_id, user_id) VALUES ('{G}', '1')"),
            ))
            .await
            .map_err(DbError::from)
        })
        .await
        .unwrap_err();
        assert!(matches!(err, DbError::Constraint { .. }), "{err:?}");
        assert!(err.to_string().contains("one levels row per guild"), "{err}");
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn safe_db_operation_retries_transient_errors_with_backoff() {
    let attempts = AtomicU32::new(0);
    let policy = RetryPolicy {
        attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(30),
    };
    let started = std::time::Instant::now();
    let value = safe_db_operation("flaky", &policy, || async {
        if attempts.fetch_add(1, Ordering::SeqCst) < 2 {
            Err(DbError::from(DbErr::ConnectionAcquire(
                sea_orm::error::ConnAcquireErr::Timeout,
            )))
        } else {
            Ok(42)
        }
    })
    .await
    .unwrap();
    assert_eq!((value, attempts.load(Ordering::SeqCst)), (42, 3));
    // Two backoffs: >= 10ms (20/2) + 15ms (30/2 after the cap).
    assert!(started.elapsed() >= Duration::from_millis(25));

    let attempts = AtomicU32::new(0);
    let err = safe_db_operation("down", &policy, || async {
        attempts.fetch_add(1, Ordering::SeqCst);
        Err::<(), _>(DbError::Unavailable {
            reason: "connection refused".into(),
        })
    })
    .await
    .unwrap_err();
    assert!(err.is_transient());
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        4,
        "gives up after the configured attempts"
    );
}

#[test]
fn backoff_is_capped_and_jittered() {
    let policy = RetryPolicy {
        attempts: 10,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(1_000),
    };
    for retry in 1..=10 {
        let d = policy.delay(retry);
        let full =
            Duration::from_millis(100 * 2u64.pow(retry - 1)).min(Duration::from_millis(1_000));
        assert!(
            d <= full && d >= full / 2,
            "retry {retry}: {d:?} vs {full:?}"
        );
    }
}
